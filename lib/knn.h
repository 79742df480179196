/*
 * knn.h - exact k nearest (or farthest) neighbours, Euclidean.
 *
 * knn_search works through blocks of KNN_QBLOCK queries x KNN_BBLOCK
 * base points, both shifted by the base's mean: squared distances |q|^2 + |b|^2 - 2 q.b from one float
 * GEMM per tile keep the best C = 2k + 8 candidates of each query; the
 * candidates are then re-ranked by exact float64 distances.  The float
 * distances can cancel (|q|^2 + |b|^2 >> d^2), so each query is
 * certified: every point left out had an approximate distance no better
 * than the last candidate's, and if that, less an error bound, could
 * still beat the k-th exact distance, the query is redone by brute force
 * in float64.  Results equal a float64 brute force; ties go to the
 * smaller base index.  Tiles run in parallel, one single-threaded GEMM
 * each (a self graph computes only the tiles on and above the diagonal
 * and scans each also transposed).  Memory: per thread a tile
 * (QBLOCK x BBLOCK floats) and two blocks of centred rows, plus C
 * candidates per query, besides the inputs and outputs.
 *
 * Call blas_init() once before knn_search.
 */
#ifndef KNN_H
#define KNN_H

#include <stddef.h>
#include <stdint.h>

#define KNN_QBLOCK 1024
#define KNN_BBLOCK 1024

enum {
	KNN_EXCLUDE_SELF = 1,   /* queries are the base: skip row i for query i */
	KNN_FARTHEST = 2,       /* the k farthest instead of the nearest */
};

/*
 * idx[M,k], dist[M,k] (exact distances, float64 rounded to float32), in
 * order: nearest first (farthest first with KNN_FARTHEST).  Needs k >= 1
 * and k <= N (N - 1 with KNN_EXCLUDE_SELF, which also needs M == N).
 * Returns 0, or -1 with errno EINVAL or ENOMEM.  *fallbacks (may be
 * NULL) counts the queries that were redone by brute force.
 */
int knn_search(int64_t *idx /*[M,k]*/, float *dist /*[M,k]*/,
               const float *Q /*[M,D]*/, size_t M,
               const float *B /*[N,D]*/, size_t N, size_t D, size_t k,
               int flags, size_t *fallbacks);

/*
 * score[i] = mean float64 distance from query i to its k neighbours
 * idx[i,:] (as knn_search found them), rounded to float32: the anomaly
 * score of the study (k = 2).
 */
void knn_density(float *score /*[M]*/, const int64_t *idx /*[M,k]*/,
                 const float *Q /*[M,D]*/, size_t M, const float *B /*[N,D]*/,
                 size_t D, size_t k);

/* The plain reference twin: float64 brute force, same contract. */
int knn_search_ref(int64_t *idx /*[M,k]*/, float *dist /*[M,k]*/,
                   const float *Q /*[M,D]*/, size_t M,
                   const float *B /*[N,D]*/, size_t N, size_t D, size_t k,
                   int flags);

#endif
