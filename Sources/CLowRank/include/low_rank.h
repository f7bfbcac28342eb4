#ifndef CIFAKE_LOW_RANK_H
#define CIFAKE_LOW_RANK_H

#include <stddef.h>

/// PowerSGD's three passes over a row-major `rows x columns` gradient matrix `m` with a factor of
/// `rank` columns, each one pass over `m` at memory speed. The factor `qt` is held transposed,
/// `rank x columns` (rank-major), so every inner loop runs along a row of `m`.
///
/// Why hand-written: `cblas_sgemm` with n = rank (4) is a skinny product that OpenBLAS runs 3.5-4.5x
/// below memory speed (measured on a 37.7 MB matrix), and a `sgemv` per column would read `m` rank times.
/// Each function is compiled for AVX-512, AVX2 and baseline x86-64 and picked when the program
/// loads (`target_clones`); floating-point contraction is off throughout, so no multiply-add is
/// fused and every elementwise result has the same bits whichever clone runs.

/// `p[i * rank + k] = sum_j m[i * columns + j] * qt[k * columns + j]` for every row i.
/// The order of the sum over j is this function's own (the result is one replica's share of a sum).
void cifake_low_rank_project(const float *m, size_t rows, size_t columns,
                             const float *qt, size_t rank, float *p);

/// `qt[k * columns + j] = sum_i m[i * columns + j] * p[i * rank + k]` for every column j.
/// The order of the sum over i is this function's own.
void cifake_low_rank_back_project(const float *m, size_t rows, size_t columns,
                                  const float *p, size_t rank, float *qt);

/// For the matrix elements `first ..< first + count` (row-major indices): `out[e - first] =
/// ((p[i][0] qt[0][j] + p[i][1] qt[1][j]) + p[i][2] qt[2][j]) + ...` for element e = (i, j) (each
/// product rounded, summed in k order), then `m[e] = m[e] - out[e - first] * share`. Elementwise
/// only: the bits are the same on every CPU, whatever the vector width and however a matrix is
/// cut into ranges.
void cifake_low_rank_reconstruct(float *m, const float *p, const float *qt, size_t columns, size_t rank,
                                 size_t first, size_t count, float share, float *out);

#endif
