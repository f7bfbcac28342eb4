#include "low_rank.h"

#include <string.h>

// No fused multiply-adds anywhere in this file: `reconstruct` must give the same bits on every
// CPU, and the products' speed is bound by memory, not arithmetic.
#pragma STDC FP_CONTRACT OFF
#pragma clang fp contract(off)

// Sixteen floats; under-aligned, so loads and stores through it are unaligned-safe.
typedef float v16 __attribute__((vector_size(64), aligned(4)));

#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))

// Macros, not functions: a 64-byte vector may not cross a function boundary in a baseline clone.
#define load16(p) (*(const v16 *)(p))
#define store16(p, v) (*(v16 *)(p) = (v))
#define splat16(x) ((v16){0} + (float)(x))

// Sums of `rowCount` (1...4) rows of m against four rows of qt, into p[row][k0 + k] for k < group:
// sixteen accumulators, so each vector of qt loaded from L2 serves four rows.
static inline __attribute__((always_inline))
void project_block(const float *m, size_t rowCount, size_t columns, const float *q0, const float *q1, const float *q2,
                   const float *q3, size_t group, float *p, size_t rank) {
    size_t vectorEnd = columns - columns % 16;
    const float *r0 = m, *r1 = rowCount > 1 ? m + columns : m, *r2 = rowCount > 2 ? m + 2 * columns : m,
                *r3 = rowCount > 3 ? m + 3 * columns : m;
    v16 a00 = splat16(0), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
    v16 a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
    for (size_t j = 0; j < vectorEnd; j += 16) {
        v16 b0 = load16(q0 + j), b1 = load16(q1 + j), b2 = load16(q2 + j), b3 = load16(q3 + j);
        v16 x = load16(r0 + j);
        a00 += x * b0; a01 += x * b1; a02 += x * b2; a03 += x * b3;
        x = load16(r1 + j);
        a10 += x * b0; a11 += x * b1; a12 += x * b2; a13 += x * b3;
        x = load16(r2 + j);
        a20 += x * b0; a21 += x * b1; a22 += x * b2; a23 += x * b3;
        x = load16(r3 + j);
        a30 += x * b0; a31 += x * b1; a32 += x * b2; a33 += x * b3;
    }
    float s[4][4] = {{0}};
    for (int lane = 0; lane < 16; lane++) {
        s[0][0] += a00[lane]; s[0][1] += a01[lane]; s[0][2] += a02[lane]; s[0][3] += a03[lane];
        s[1][0] += a10[lane]; s[1][1] += a11[lane]; s[1][2] += a12[lane]; s[1][3] += a13[lane];
        s[2][0] += a20[lane]; s[2][1] += a21[lane]; s[2][2] += a22[lane]; s[2][3] += a23[lane];
        s[3][0] += a30[lane]; s[3][1] += a31[lane]; s[3][2] += a32[lane]; s[3][3] += a33[lane];
    }
    const float *rows[4] = {r0, r1, r2, r3}, *qs[4] = {q0, q1, q2, q3};
    for (size_t r = 0; r < rowCount; r++) {
        for (size_t k = 0; k < group; k++) {
            float total = s[r][k];
            for (size_t j = vectorEnd; j < columns; j++) total += rows[r][j] * qs[k][j];
            p[r * rank + k] = total;
        }
    }
}

CLONES
void cifake_low_rank_project(const float *m, size_t rows, size_t columns,
                             const float *qt, size_t rank, float *p) {
    for (size_t i = 0; i < rows; i += 4) {
        size_t rowCount = rows - i < 4 ? rows - i : 4;
        // Four factors per sweep of four rows (they stay in L1 for the next four factors).
        for (size_t k0 = 0; k0 < rank; k0 += 4) {
            size_t group = rank - k0 < 4 ? rank - k0 : 4;
            const float *q0 = qt + k0 * columns;
            const float *q1 = group > 1 ? q0 + columns : q0;
            const float *q2 = group > 2 ? q0 + 2 * columns : q0;
            const float *q3 = group > 3 ? q0 + 3 * columns : q0;
            project_block(m + i * columns, rowCount, columns, q0, q1, q2, q3, group, p + i * rank + k0, rank);
        }
    }
}

CLONES
void cifake_low_rank_back_project(const float *m, size_t rows, size_t columns,
                                  const float *p, size_t rank, float *qt) {
    memset(qt, 0, rank * columns * sizeof(float));
    size_t vectorEnd = columns - columns % 16;
    // Four rows of m per sweep of qt (rank x columns, in L2): each element of qt is read and
    // written once per four rows.
    size_t i = 0;
    for (; i + 4 <= rows; i += 4) {
        const float *r0 = m + i * columns, *r1 = r0 + columns, *r2 = r1 + columns, *r3 = r2 + columns;
        const float *pi = p + i * rank;
        for (size_t j = 0; j < vectorEnd; j += 16) {
            v16 x0 = load16(r0 + j), x1 = load16(r1 + j), x2 = load16(r2 + j), x3 = load16(r3 + j);
            for (size_t k = 0; k < rank; k++) {
                float *q = qt + k * columns + j;
                store16(q, load16(q) + (((x0 * splat16(pi[k]) + x1 * splat16(pi[rank + k])) + x2 * splat16(pi[2 * rank + k]))
                                        + x3 * splat16(pi[3 * rank + k])));
            }
        }
        for (size_t j = vectorEnd; j < columns; j++) {
            for (size_t k = 0; k < rank; k++) {
                qt[k * columns + j] += ((r0[j] * pi[k] + r1[j] * pi[rank + k]) + r2[j] * pi[2 * rank + k]) + r3[j] * pi[3 * rank + k];
            }
        }
    }
    for (; i < rows; i++) {
        const float *row = m + i * columns;
        for (size_t k = 0; k < rank; k++) {
            float pk = p[i * rank + k];
            float *q = qt + k * columns;
            for (size_t j = 0; j < columns; j++) q[j] += row[j] * pk;
        }
    }
}

// Rows `0 ..< rowCount` (at most 4) of `m` and `p` over the columns `first ..< first + count`;
// row r's output goes to `out + r * outStride`. Each vector of qt loaded serves every row.
static inline __attribute__((always_inline))
void reconstruct_rows(float *m, const float *p, const float *qt, size_t columns, size_t rank, size_t rowCount,
                      size_t first, size_t count, float share, float *out, size_t outStride) {
    const v16 s = splat16(share);
    size_t j = 0;
    if (rank == 4) {
        // The default rank, unrolled: four vectors of qt per column block, for every row.
        const float *q0 = qt + first, *q1 = q0 + columns, *q2 = q1 + columns, *q3 = q2 + columns;
        for (; j + 16 <= count; j += 16) {
            v16 b0 = load16(q0 + j), b1 = load16(q1 + j), b2 = load16(q2 + j), b3 = load16(q3 + j);
            for (size_t r = 0; r < rowCount; r++) {
                const float *pr = p + r * rank;
                float *mr = m + r * columns + first + j;
                v16 v = ((splat16(pr[0]) * b0 + splat16(pr[1]) * b1) + splat16(pr[2]) * b2) + splat16(pr[3]) * b3;
                store16(out + r * outStride + j, v);
                store16(mr, load16(mr) - v * s);
            }
        }
    }
    for (; j + 16 <= count; j += 16) {
        for (size_t r = 0; r < rowCount; r++) {
            const float *pr = p + r * rank;
            float *mr = m + r * columns + first + j;
            v16 v = splat16(pr[0]) * load16(qt + first + j);
            for (size_t k = 1; k < rank; k++) v = v + splat16(pr[k]) * load16(qt + k * columns + first + j);
            store16(out + r * outStride + j, v);
            store16(mr, load16(mr) - v * s);
        }
    }
    for (; j < count; j++) {
        for (size_t r = 0; r < rowCount; r++) {
            const float *pr = p + r * rank;
            float v = pr[0] * qt[first + j];
            for (size_t k = 1; k < rank; k++) v = v + pr[k] * qt[k * columns + first + j];
            out[r * outStride + j] = v;
            m[r * columns + first + j] = m[r * columns + first + j] - v * share;
        }
    }
}

CLONES
void cifake_low_rank_reconstruct(float *m, const float *p, const float *qt, size_t columns, size_t rank,
                                 size_t first, size_t count, float share, float *out) {
    size_t index = first, end = first + count;
    while (index < end) {
        size_t row = index / columns, column = index - row * columns;
        float *o = out + (index - first);
        if (column == 0 && end - index >= columns) {
            // Whole rows, four at a time (the optimizer's blocks are four rows of D=4096).
            size_t rowCount = (end - index) / columns;
            if (rowCount > 4) rowCount = 4;
            reconstruct_rows(m + row * columns, p + row * rank, qt, columns, rank, rowCount, 0, columns, share, o, columns);
            index += rowCount * columns;
        } else {
            size_t part = columns - column < end - index ? columns - column : end - index;
            reconstruct_rows(m + row * columns, p + row * rank, qt, columns, rank, 1, column, part, share, o, 0);
            index += part;
        }
    }
}
