/*
 * silhouette.h - exact silhouette coefficients (Euclidean), as
 * scikit-learn 1.2's silhouette_samples / silhouette_score.
 *
 * For point i in cluster A: a = mean distance to the other points of A,
 * b = the lowest mean distance to the points of another cluster,
 * s = (b - a) / max(a, b); s = 0 for a point alone in its cluster (and
 * where a = b = 0).  The O(N^2) distances are never stored: points are
 * sorted by cluster; a panel of P rows gets its distances to the points
 * after it by one single-threaded GEMM (|x|^2 + |y|^2 - 2 x.y on centred
 * data, norms and sums in float64); each distance is added to both
 * points' per-cluster sums (rows over contiguous runs of columns,
 * columns into a per-thread accumulator).  Panels go to threads
 * round-robin, so the result depends only on the thread count.
 * Memory: O(T N L + T P N) for T threads.
 */
#ifndef SILHOUETTE_H
#define SILHOUETTE_H

#include <stddef.h>
#include <stdint.h>

#define SILHOUETTE_PANEL 128       /* rows per GEMM panel */

struct silhouette_ws {
	size_t N, D, L, T;    /* T threads */
	int precise;          /* 1: float64 GEMM on a float64 copy */
	size_t *order;        /* [N] point index by cluster */
	size_t *start;        /* [L+1] first sorted index of each cluster */
	double *xx;           /* [N] squared norms, sorted order */
	float *xs;            /* [N,D] centred points, sorted (float32) */
	double *xd;           /* [N,D] the same in float64 (precise) */
	void *tile;           /* [T,PANEL,N] dot products, distances */
	double *colbuf;       /* [T,N] column sums of a run of rows */
	double *rowsum;       /* [N,L] sums over later points, per cluster */
	double *colsum;       /* [T,N,L] sums over earlier points */
};

/*
 * Allocate (0) or free the scratch.  labels [N] are dense 0..L-1.
 * Fills order, start, xx and the sorted centred points from X [N,D].
 */
int silhouette_ws_alloc(struct silhouette_ws *ws, const float *X,
                        const int32_t *labels, size_t N, size_t D,
                        size_t L, int precise);
void silhouette_ws_free(struct silhouette_ws *ws);

/* s [N] out, in the original order; returns the mean. */
double silhouette_samples(double *s, struct silhouette_ws *ws);

/* The plain reference: every distance in float64 by loops. */
double silhouette_ref(double *s, const float *X, const int32_t *labels,
                      size_t N, size_t D, size_t L);

#endif
