#ifndef CIFAKE_STREAMING_STORES_H
#define CIFAKE_STREAMING_STORES_H

#include <stddef.h>

/// Copies `count` floats from `source` to `destination` (neither needs more than float
/// alignment; they must not overlap) with non-temporal stores where the CPU has them (SSE2 on
/// x86-64): the destination's cache lines are written straight to memory instead of being read
/// first, which halves the memory traffic of a copy into a buffer that is not in cache. Ends
/// with a store fence, so the values are visible to every thread once it returns.
void cifake_stream_copy_floats(float *destination, const float *source, size_t count);

#endif
