#include "streaming_stores.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>

void cifake_stream_copy_floats(float *destination, const float *source, size_t count) {
    size_t i = 0;
    // Non-temporal stores need 16-byte aligned destinations.
    while (i < count && ((uintptr_t)(destination + i) & 15) != 0) {
        destination[i] = source[i];
        i++;
    }
    // One 64-byte cache line per iteration, so each write-combining buffer fills at once.
    for (; i + 16 <= count; i += 16) {
        __m128 a = _mm_loadu_ps(source + i);
        __m128 b = _mm_loadu_ps(source + i + 4);
        __m128 c = _mm_loadu_ps(source + i + 8);
        __m128 d = _mm_loadu_ps(source + i + 12);
        _mm_stream_ps(destination + i, a);
        _mm_stream_ps(destination + i + 4, b);
        _mm_stream_ps(destination + i + 8, c);
        _mm_stream_ps(destination + i + 12, d);
    }
    for (; i < count; i++) {
        destination[i] = source[i];
    }
    _mm_sfence();
}

#else

void cifake_stream_copy_floats(float *destination, const float *source, size_t count) {
    memcpy(destination, source, count * sizeof(float));
}

#endif
