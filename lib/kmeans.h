/*
 * kmeans.h - k-means clustering as scikit-learn 1.2's KMeans: greedy
 * k-means++ seeding, Lloyd iterations with its stopping rules, restarts
 * keeping the lowest inertia.
 *
 * Three drivers give the same clustering: kmeans_lloyd (plain Lloyd,
 * every distance every iteration by one GEMM, the reference),
 * kmeans_hamerly (one lower bound per point skips points that cannot
 * change cluster) and kmeans_elkan (a lower bound per point and centre
 * skips single distances); the last two update centre sums
 * incrementally.  Both stop as
 * sklearn does: when no label changed in an iteration (the centres are
 * then final), or when the squared centre shift summed over clusters is
 * <= tol, or after max_iter iterations; in the last two cases the labels
 * are recomputed against the final centres.
 *
 * The data X must already be centred (sklearn subtracts the column
 * means; distances then lose less to cancellation): kmeans_center does
 * it.  All arrays are row-major float32 unless said otherwise.
 */
#ifndef KMEANS_H
#define KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* Scratch space for one problem size; kmeans_ws_alloc fills it. */
struct kmeans_ws {
	size_t N, D, K, L;  /* L = k-means++ local trials */
	float *xx;          /* [N] squared row norms of X */
	float *dist;        /* [max(BLOCK,L..)*K] / [L,N] distance tiles */
	float *cc;          /* [K] squared centre norms */
	float *cold;        /* [K,D] previous centres */
	float *gather;      /* [BLOCK,D] gathered rows */
	double *sums;       /* [K,D] per-cluster coordinate sums */
	double *count;      /* [K] cluster sizes */
	double *closest;    /* [N] k-means++: squared distance to centres */
	double *cum;        /* [N] k-means++: running sum of closest */
	double *upper;      /* [N] Hamerly upper bound to own centre */
	double *lower;      /* [N] Hamerly lower bound to any other */
	float *lowk;        /* [N,K] Elkan lower bound to each centre */
	double *drift;      /* [K] Elkan: total centre movement so far */
	double *cdist;      /* [K,K] half distances between centres */
	double *shift;      /* [K] centre movement */
	double *half;       /* [K] half distance to nearest other centre */
	int32_t *old;       /* [N] previous labels */
	size_t *idx;        /* [N] indices (gathering, relocation) */
};

struct kmeans_result {
	double inertia;     /* sum of squared distances to own centre */
	size_t iters;       /* Lloyd iterations run */
	int converged;      /* 1 labels stable, 2 shift <= tol, 0 max_iter */
};

/* Allocate (0) or free scratch for N points of D dims, K clusters. */
int kmeans_ws_alloc(struct kmeans_ws *ws, size_t N, size_t D, size_t K);
void kmeans_ws_free(struct kmeans_ws *ws);

/* mean [D] out (float64); X [N,D] centred in place. */
void kmeans_center(double *mean, float *X, size_t N, size_t D);
/* sklearn's tolerance: tol times the mean of the column variances
 * (NaN if out of memory). */
double kmeans_tolerance(const float *X, size_t N, size_t D, double tol);

/* C [K,D] out: greedy k-means++ (2 + floor(ln K) trials per centre). */
void kmeans_plusplus(float *C, struct kmeans_ws *ws, const float *X,
                     struct rng *r);

/* labels [N] out; C [K,D] in/out (starting centres in, final out). */
struct kmeans_result kmeans_lloyd(int32_t *labels, float *C,
    struct kmeans_ws *ws, const float *X, size_t max_iter, double tol);
struct kmeans_result kmeans_hamerly(int32_t *labels, float *C,
    struct kmeans_ws *ws, const float *X, size_t max_iter, double tol);
struct kmeans_result kmeans_elkan(int32_t *labels, float *C,
    struct kmeans_ws *ws, const float *X, size_t max_iter, double tol);

/* Sum of squared distances (float64) of each point to its centre. */
double kmeans_inertia(const float *X, const float *C, const int32_t *labels,
                      size_t N, size_t D);

#endif
