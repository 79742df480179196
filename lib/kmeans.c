/*
 * kmeans.c - k-means++ seeding, Lloyd and Hamerly drivers.
 *
 * Facts from scikit-learn 1.2 (sklearn/cluster/_kmeans.py,
 * _k_means_lloyd.pyx), matched here: the data are centred; k-means++
 * draws the first centre uniformly and each next one as the best (lowest
 * potential) of 2 + floor(ln K) candidates drawn in proportion to the
 * squared distance to the nearest chosen centre; an iteration assigns
 * every point to the first nearest centre (by |c|^2 - 2 x.c) and moves
 * each centre to its points' mean; an empty cluster takes the point
 * farthest from its centre; iteration stops when the labels repeat or
 * the summed squared centre shift is <= tol = 1e-4 * mean column
 * variance.  Hamerly's algorithm (G. Hamerly, "Making k-means even
 * faster", SDM 2010) and Elkan's (C. Elkan, "Using the triangle
 * inequality to accelerate k-means", ICML 2003) give the same
 * assignments with fewer distances.
 * Everything here after kmeans_center runs on the calling thread: the
 * tool runs restarts in parallel.
 */
#include "blas.h"
#include "kmeans.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <blis.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BLOCK 1024        /* rows gathered per GEMM in Hamerly's step */
/* float32 GEMM distances are trusted to this fraction of |x|^2+|c|^2 */
#define SLACK 1e-5

int
kmeans_ws_alloc(struct kmeans_ws *ws, size_t N, size_t D, size_t K)
{
	memset(ws, 0, sizeof *ws);
	ws->N = N;
	ws->D = D;
	ws->K = K;
	ws->L = 2 + (size_t)floor(log((double)K));
	size_t nd = N * K > ws->L * N ? N * K : ws->L * N;
	size_t ng = BLOCK > ws->L ? BLOCK : ws->L;
	ws->xx = malloc(N * sizeof *ws->xx);
	ws->dist = malloc(nd * sizeof *ws->dist);
	ws->cc = malloc(K * sizeof *ws->cc);
	ws->cold = malloc(K * D * sizeof *ws->cold);
	ws->gather = malloc(ng * D * sizeof *ws->gather);
	ws->sums = malloc(K * D * sizeof *ws->sums);
	ws->count = malloc(K * sizeof *ws->count);
	ws->closest = malloc(N * sizeof *ws->closest);
	ws->cum = malloc(N * sizeof *ws->cum);
	ws->upper = malloc(N * sizeof *ws->upper);
	ws->lower = malloc(N * sizeof *ws->lower);
	ws->lowk = malloc(N * K * sizeof *ws->lowk);
	ws->cdist = malloc(K * K * sizeof *ws->cdist);
	ws->drift = malloc(K * sizeof *ws->drift);
	ws->shift = malloc(K * sizeof *ws->shift);
	ws->half = malloc(K * sizeof *ws->half);
	ws->old = malloc(N * sizeof *ws->old);
	ws->idx = malloc(N * sizeof *ws->idx);
	if (!ws->xx || !ws->dist || !ws->cc || !ws->cold || !ws->gather ||
	    !ws->sums || !ws->count || !ws->closest || !ws->cum ||
	    !ws->upper || !ws->lower || !ws->lowk || !ws->cdist || !ws->drift || !ws->shift || !ws->half ||
	    !ws->old || !ws->idx) {
		kmeans_ws_free(ws);
		return -1;
	}
	return 0;
}

void
kmeans_ws_free(struct kmeans_ws *ws)
{
	free(ws->xx);
	free(ws->dist);
	free(ws->cc);
	free(ws->cold);
	free(ws->gather);
	free(ws->sums);
	free(ws->count);
	free(ws->closest);
	free(ws->cum);
	free(ws->upper);
	free(ws->lower);
	free(ws->lowk);
	free(ws->cdist);
	free(ws->drift);
	free(ws->shift);
	free(ws->half);
	free(ws->old);
	free(ws->idx);
	memset(ws, 0, sizeof *ws);
}

void
kmeans_center(double *mean, float *X, size_t N, size_t D)
{
	for (size_t d = 0; d < D; d++)
		mean[d] = 0;
	for (size_t i = 0; i < N; i++)
		for (size_t d = 0; d < D; d++)
			mean[d] += X[i * D + d];
	for (size_t d = 0; d < D; d++)
		mean[d] /= (double)N;
	#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++)
		for (size_t d = 0; d < D; d++)
			X[i * D + d] = (float)(X[i * D + d] - mean[d]);
}

double
kmeans_tolerance(const float *X, size_t N, size_t D, double tol)
{
	/* two passes, row by row: column means, then squared deviations */
	double *m = calloc(2 * D + 1, sizeof *m), total = 0;
	if (m == NULL)
		return NAN;
	double *v = m + D;
	for (size_t i = 0; i < N; i++)
		for (size_t d = 0; d < D; d++)
			m[d] += X[i * D + d];
	for (size_t d = 0; d < D; d++)
		m[d] /= (double)N;
	for (size_t i = 0; i < N; i++)
		for (size_t d = 0; d < D; d++) {
			double t = X[i * D + d] - m[d];
			v[d] += t * t;
		}
	for (size_t d = 0; d < D; d++)
		total += v[d] / (double)N;
	free(m);
	return tol * total / (double)D;
}

/*
 * Squared distance in float64.  Eight partial sums in pairs (GCC vector
 * extensions: SSE2 on x86-64, NEON on arm64) break the add chain.
 */
typedef double v2d __attribute__((vector_size(16)));

static double
sqdist(const float *a, const float *b, size_t D)
{
	v2d s0 = { 0, 0 }, s1 = s0, s2 = s0, s3 = s0;
	size_t d = 0;
	for (; d + 8 <= D; d += 8) {
		v2d t0 = { (double)a[d] - b[d], (double)a[d + 1] - b[d + 1] };
		v2d t1 = { (double)a[d + 2] - b[d + 2],
		    (double)a[d + 3] - b[d + 3] };
		v2d t2 = { (double)a[d + 4] - b[d + 4],
		    (double)a[d + 5] - b[d + 5] };
		v2d t3 = { (double)a[d + 6] - b[d + 6],
		    (double)a[d + 7] - b[d + 7] };
		s0 += t0 * t0;
		s1 += t1 * t1;
		s2 += t2 * t2;
		s3 += t3 * t3;
	}
	v2d s = (s0 + s1) + (s2 + s3);
	double r = s[0] + s[1];
	for (; d < D; d++) {
		double t = (double)a[d] - b[d];
		r += t * t;
	}
	return r;
}

/*
 * Row-major C[M,N] = alpha A B^T + beta C on this thread only: restarts
 * run in parallel, each single-threaded (no per-iteration barriers).
 */
static void
sgemm_nt_1(size_t M, size_t N, size_t K, float alpha, const float *A,
    const float *B, float beta, float *C)
{
	rntm_t rntm;
	if (M == 0 || N == 0)
		return;
	blas_rntm(&rntm, 1, K);
	bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, (dim_t)M, (dim_t)N,
	    (dim_t)K, &alpha, (float *)A, (inc_t)K, 1, (float *)B, (inc_t)K,
	    1, &beta, C, (inc_t)N, 1, NULL, &rntm);
}

static void
row_norms(float *xx, const float *X, size_t N, size_t D)
{
	for (size_t i = 0; i < N; i++) {
		double s = 0;
		for (size_t d = 0; d < D; d++)
			s += (double)X[i * D + d] * X[i * D + d];
		xx[i] = (float)s;
	}
}

/* dist [M,K] = |c|^2 - 2 A C^T for rows A [M,D] */
static void
tile_dist(float *dist, const float *A, const float *C, const float *cc,
    size_t M, size_t K, size_t D)
{
	for (size_t i = 0; i < M; i++)
		for (size_t k = 0; k < K; k++)
			dist[i * K + k] = cc[k];
	sgemm_nt_1(M, K, D, -2.0f, A, C, 1.0f, dist);
}

void
kmeans_plusplus(float *C, struct kmeans_ws *ws, const float *X,
    struct rng *r)
{
	size_t N = ws->N, D = ws->D, K = ws->K, L = ws->L;
	size_t cand[64];
	double pot[64];

	if (L > 64)
		L = 64;
	row_norms(ws->xx, X, N, D);
	size_t first = (size_t)rng_below(r, N);
	memcpy(C, X + first * D, D * sizeof *C);
	double c0 = 0;
	for (size_t d = 0; d < D; d++)
		c0 += (double)C[d] * C[d];
	sgemm_nt_1(1, N, D, 1.0f, C, X, 0.0f, ws->dist);
	double total = 0;
	for (size_t i = 0; i < N; i++) {
		double d2 = (double)ws->xx[i] + c0 - 2.0 * ws->dist[i];
		ws->closest[i] = d2 > 0 ? d2 : 0;
		total += ws->closest[i];
	}
	for (size_t c = 1; c < K; c++) {
		double run = 0;
		for (size_t i = 0; i < N; i++) {
			run += ws->closest[i];
			ws->cum[i] = run;
		}
		for (size_t t = 0; t < L; t++) {
			double v = rng_uniform(r) * total;
			size_t lo = 0, hi = N;   /* first cum[i] >= v */
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (ws->cum[mid] < v)
					lo = mid + 1;
				else
					hi = mid;
			}
			cand[t] = lo < N ? lo : N - 1;
			memcpy(ws->gather + t * D, X + cand[t] * D,
			    D * sizeof *X);
		}
		sgemm_nt_1(L, N, D, 1.0f, ws->gather, X, 0.0f, ws->dist);
		for (size_t t = 0; t < L; t++) {
			double cn = ws->xx[cand[t]], s = 0;
			const float *dot = ws->dist + t * N;
			for (size_t i = 0; i < N; i++) {
				double d2 = (double)ws->xx[i] + cn -
				    2.0 * dot[i];
				d2 = d2 > 0 ? d2 : 0;
				s += d2 < ws->closest[i] ? d2 : ws->closest[i];
			}
			pot[t] = s;
		}
		size_t best = 0;
		for (size_t t = 1; t < L; t++)
			if (pot[t] < pot[best])
				best = t;
		double cn = ws->xx[cand[best]];
		const float *dot = ws->dist + best * N;
		for (size_t i = 0; i < N; i++) {
			double d2 = (double)ws->xx[i] + cn - 2.0 * dot[i];
			d2 = d2 > 0 ? d2 : 0;
			if (d2 < ws->closest[i])
				ws->closest[i] = d2;
		}
		total = pot[best];
		memcpy(C + c * D, X + cand[best] * D, D * sizeof *C);
	}
}

static void
centre_norms(float *cc, const float *C, size_t K, size_t D)
{
	for (size_t k = 0; k < K; k++) {
		double s = 0;
		for (size_t d = 0; d < D; d++)
			s += (double)C[k * D + d] * C[k * D + d];
		cc[k] = (float)s;
	}
}

/* labels [N] = first nearest centre; returns how many changed */
static size_t
assign_all(int32_t *labels, struct kmeans_ws *ws, const float *X,
    const float *C)
{
	size_t N = ws->N, K = ws->K, changed = 0;
	centre_norms(ws->cc, C, K, ws->D);
	tile_dist(ws->dist, X, C, ws->cc, N, K, ws->D);
	for (size_t i = 0; i < N; i++) {
		const float *d = ws->dist + i * K;
		int32_t best = 0;
		for (size_t k = 1; k < K; k++)
			if (d[k] < d[best])
				best = (int32_t)k;
		changed += labels[i] != best;
		labels[i] = best;
	}
	return changed;
}

static void
sums_from_labels(struct kmeans_ws *ws, const float *X,
    const int32_t *labels)
{
	size_t K = ws->K, D = ws->D;
	memset(ws->sums, 0, K * D * sizeof *ws->sums);
	memset(ws->count, 0, K * sizeof *ws->count);
	for (size_t i = 0; i < ws->N; i++) {
		double *s = ws->sums + (size_t)labels[i] * D;
		for (size_t d = 0; d < D; d++)
			s[d] += X[i * D + d];
		ws->count[labels[i]] += 1;
	}
}

/*
 * Empty clusters take the points farthest from their (old) centres, as
 * sklearn's _relocate_empty_clusters.  With move_label the point's label
 * follows (Hamerly keeps sums and labels in step); sklearn's Lloyd
 * leaves labels alone until the next assignment.  Returns the number
 * relocated.
 */
static size_t
relocate_empty(struct kmeans_ws *ws, const float *X, int32_t *labels,
    int move_label)
{
	size_t K = ws->K, D = ws->D, N = ws->N, nempty = 0;
	for (size_t k = 0; k < K; k++)
		nempty += ws->count[k] == 0;
	if (nempty == 0)
		return 0;
	for (size_t i = 0; i < N; i++)
		ws->cum[i] = sqdist(X + i * D, ws->cold +
		    (size_t)labels[i] * D, D);
	for (size_t k = 0; k < K; k++) {
		if (ws->count[k] != 0)
			continue;
		size_t far = 0;
		for (size_t i = 1; i < N; i++)
			if (ws->cum[i] > ws->cum[far])
				far = i;
		ws->cum[far] = -1;         /* taken */
		size_t from = (size_t)labels[far];
		if (ws->count[from] <= 1)
			continue;          /* would empty another cluster */
		for (size_t d = 0; d < D; d++) {
			ws->sums[from * D + d] -= X[far * D + d];
			ws->sums[k * D + d] = X[far * D + d];
		}
		ws->count[from] -= 1;
		ws->count[k] = 1;
		if (move_label) {
			labels[far] = (int32_t)k;
			ws->upper[far] = 0;
			ws->lower[far] = 0;
		}
	}
	return nempty;
}

/* C from sums; shift[k] = |C_k - cold_k|; returns sum of shift^2 */
static double
centres_from_sums(float *C, struct kmeans_ws *ws)
{
	size_t K = ws->K, D = ws->D;
	double tot = 0;
	for (size_t k = 0; k < K; k++) {
		if (ws->count[k] > 0)
			for (size_t d = 0; d < D; d++)
				C[k * D + d] = (float)(ws->sums[k * D + d] /
				    ws->count[k]);
		double s = sqdist(C + k * D, ws->cold + k * D, D);
		ws->shift[k] = sqrt(s);
		tot += s;
	}
	return tot;
}

struct kmeans_result
kmeans_lloyd(int32_t *labels, float *C, struct kmeans_ws *ws,
    const float *X, size_t max_iter, double tol)
{
	struct kmeans_result res = { 0, 0, 0 };
	size_t N = ws->N, K = ws->K, D = ws->D;

	for (size_t i = 0; i < N; i++)
		labels[i] = -1;
	for (size_t it = 1; it <= max_iter; it++) {
		size_t changed = assign_all(labels, ws, X, C);
		memcpy(ws->cold, C, K * D * sizeof *C);
		sums_from_labels(ws, X, labels);
		relocate_empty(ws, X, labels, 0);
		double moved = centres_from_sums(C, ws);
		res.iters = it;
		if (changed == 0) {
			res.converged = 1;
			break;
		}
		if (moved <= tol) {
			res.converged = 2;
			break;
		}
	}
	if (res.converged != 1)
		assign_all(labels, ws, X, C);
	res.inertia = kmeans_inertia(X, C, labels, N, D);
	return res;
}

/* Best and second best of a tile row into label, upper, lower. */
static void
bounds_from_row(struct kmeans_ws *ws, size_t i, const float *drow,
    int32_t *label)
{
	size_t K = ws->K;
	int32_t b = 0;
	for (size_t k = 1; k < K; k++)
		if (drow[k] < drow[b])
			b = (int32_t)k;
	double second = INFINITY, xx = ws->xx[i], slack1;
	size_t s = 0;
	for (size_t k = 0; k < K; k++)
		if ((int32_t)k != b && drow[k] < second) {
			second = drow[k];
			s = k;
		}
	slack1 = SLACK * (xx + ws->cc[b]);
	double u = xx + drow[b] + slack1;
	ws->upper[i] = sqrt(u > 0 ? u : 0);
	if (K > 1) {
		double l = xx + second - SLACK * (xx + ws->cc[s]);
		ws->lower[i] = sqrt(l > 0 ? l : 0);
	} else {
		ws->lower[i] = INFINITY;
	}
	*label = b;
}

struct kmeans_result
kmeans_hamerly(int32_t *labels, float *C, struct kmeans_ws *ws,
    const float *X, size_t max_iter, double tol)
{
	struct kmeans_result res = { 0, 0, 0 };
	size_t N = ws->N, K = ws->K, D = ws->D;
	size_t changed = N;

	if (max_iter == 0)
		return res;
	row_norms(ws->xx, X, N, D);
	centre_norms(ws->cc, C, K, D);
	tile_dist(ws->dist, X, C, ws->cc, N, K, D);
	for (size_t i = 0; i < N; i++)
		bounds_from_row(ws, i, ws->dist + i * K, labels + i);
	sums_from_labels(ws, X, labels);
	for (size_t it = 1;; it++) {
		memcpy(ws->cold, C, K * D * sizeof *C);
		relocate_empty(ws, X, labels, 1);
		double moved = centres_from_sums(C, ws);
		res.iters = it;
		if (changed == 0) {
			res.converged = 1;
			break;
		}
		if (moved <= tol) {
			res.converged = 2;
			break;
		}
		if (it == max_iter)
			break;

		/* bounds follow the centres */
		size_t far = 0;
		for (size_t k = 1; k < K; k++)
			if (ws->shift[k] > ws->shift[far])
				far = k;
		double p1 = ws->shift[far], p2 = 0;
		for (size_t k = 0; k < K; k++)
			if (k != far && ws->shift[k] > p2)
				p2 = ws->shift[k];
		for (size_t k = 0; k < K; k++) {
			double m = INFINITY;
			for (size_t j = 0; j < K; j++)
				if (j != k) {
					double d = sqrt(sqdist(C + k * D,
					    C + j * D, D));
					m = d < m ? d : m;
				}
			ws->half[k] = 0.5 * m;
		}
		centre_norms(ws->cc, C, K, D);
		size_t n = 0;
		for (size_t i = 0; i < N; i++) {
			size_t a = (size_t)labels[i];
			ws->upper[i] += ws->shift[a];
			ws->lower[i] -= a == far ? p2 : p1;
			double m = ws->half[a] > ws->lower[i] ? ws->half[a] :
			    ws->lower[i];
			ws->old[i] = 0;
			if (ws->upper[i] <= m)
				continue;
			ws->upper[i] = sqrt(sqdist(X + i * D, C + a * D, D));
			if (ws->upper[i] <= m)
				continue;
			ws->old[i] = 1;            /* needs all distances */
		}
		for (size_t i = 0; i < N; i++)
			if (ws->old[i])
				ws->idx[n++] = i;
		changed = 0;
		for (size_t b0 = 0; b0 < n; b0 += BLOCK) {
			size_t m = n - b0 < BLOCK ? n - b0 : BLOCK;
			for (size_t r = 0; r < m; r++)
				memcpy(ws->gather + r * D,
				    X + ws->idx[b0 + r] * D, D * sizeof *X);
			tile_dist(ws->dist, ws->gather, C, ws->cc, m, K, D);
			for (size_t r = 0; r < m; r++) {
				size_t i = ws->idx[b0 + r];
				int32_t was = labels[i], now;
				bounds_from_row(ws, i, ws->dist + r * K, &now);
				if (now == was)
					continue;
				labels[i] = now;
				changed++;
				double *sa = ws->sums + (size_t)was * D;
				double *sb = ws->sums + (size_t)now * D;
				for (size_t d = 0; d < D; d++) {
					sa[d] -= X[i * D + d];
					sb[d] += X[i * D + d];
				}
				ws->count[was] -= 1;
				ws->count[now] += 1;
			}
		}
	}
	if (res.converged != 1) {
		for (size_t i = 0; i < N; i++)
			ws->old[i] = labels[i];
		assign_all(labels, ws, X, C);
	}
	res.inertia = kmeans_inertia(X, C, labels, N, D);
	return res;
}

/*
 * Euclidean distance for Elkan's checks: float32 SSE2 arithmetic, four
 * lanes, two accumulators (relative error ~1e-7, below that of the
 * float32 GEMM distances sklearn assigns with); scalar float64 without
 * SSE2.
 */
static double
dist_fast(const float *a, const float *b, size_t D)
{
	size_t d = 0;
	double s = 0;
#if defined(__SSE2__)
	__m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps();
	for (; d + 8 <= D; d += 8) {
		__m128 t0 = _mm_sub_ps(_mm_loadu_ps(a + d), _mm_loadu_ps(b + d));
		__m128 t1 = _mm_sub_ps(_mm_loadu_ps(a + d + 4),
		    _mm_loadu_ps(b + d + 4));
		s0 = _mm_add_ps(s0, _mm_mul_ps(t0, t0));
		s1 = _mm_add_ps(s1, _mm_mul_ps(t1, t1));
	}
	float lane[4];
	_mm_storeu_ps(lane, _mm_add_ps(s0, s1));
	s = ((double)lane[0] + lane[1]) + ((double)lane[2] + lane[3]);
#endif
	for (; d < D; d++) {
		double t = (double)a[d] - b[d];
		s += t * t;
	}
	return sqrt(s);
}

/* Elkan's lower bounds are kept in float32, rounded down. */
static float
low_f32(double x)
{
	float f = (float)x;
	return (double)f > x ? nextafterf(f, 0.0f) : f;
}

/* Move point i from cluster was to now in the incremental sums. */
static void
move_point(struct kmeans_ws *ws, const float *x, size_t was, size_t now)
{
	size_t D = ws->D;
	double *sa = ws->sums + was * D, *sb = ws->sums + now * D;
	for (size_t d = 0; d < D; d++) {
		sa[d] -= x[d];
		sb[d] += x[d];
	}
	ws->count[was] -= 1;
	ws->count[now] += 1;
}

struct kmeans_result
kmeans_elkan(int32_t *labels, float *C, struct kmeans_ws *ws,
    const float *X, size_t max_iter, double tol)
{
	struct kmeans_result res = { 0, 0, 0 };
	size_t N = ws->N, K = ws->K, D = ws->D;
	size_t changed = N;

	if (max_iter == 0)
		return res;
	row_norms(ws->xx, X, N, D);
	centre_norms(ws->cc, C, K, D);
	/* first assignment: every distance by GEMM, bounds with slack */
	for (size_t b0 = 0; b0 < N; b0 += BLOCK) {
		size_t m = N - b0 < BLOCK ? N - b0 : BLOCK;
		tile_dist(ws->dist, X + b0 * D, C, ws->cc, m, K, D);
		for (size_t r = 0; r < m; r++) {
			size_t i = b0 + r;
			const float *drow = ws->dist + r * K;
			double xx = ws->xx[i];
			int32_t b = 0;
			for (size_t k = 1; k < K; k++)
				if (drow[k] < drow[b])
					b = (int32_t)k;
			for (size_t k = 0; k < K; k++) {
				double l = xx + drow[k] - SLACK * (xx + ws->cc[k]);
				ws->lowk[i * K + k] = low_f32(sqrt(l > 0 ? l : 0));
			}
			double u = xx + drow[b] + SLACK * (xx + ws->cc[b]);
			ws->upper[i] = sqrt(u > 0 ? u : 0);
			labels[i] = b;
		}
	}
	sums_from_labels(ws, X, labels);
	/*
	 * Bounds are stored lazily: with drift[k] the total movement of
	 * centre k so far, the stored lower bound is l + drift[k] and the
	 * stored upper bound u - drift[a] at the time of storing; a point
	 * whose bounds settle it is then skipped without touching them.
	 */
	for (size_t k = 0; k < K; k++)
		ws->drift[k] = 0;
	for (size_t it = 1;; it++) {
		memcpy(ws->cold, C, K * D * sizeof *C);
		if (relocate_empty(ws, X, labels, 1)) {
			/* moved points sit on their new centre; other bounds
			 * toward the changed clusters are no longer valid */
			for (size_t i = 0; i < N * K; i++)
				ws->lowk[i] = 0;
		}
		double moved = centres_from_sums(C, ws);
		res.iters = it;
		if (changed == 0) {
			res.converged = 1;
			break;
		}
		if (moved <= tol) {
			res.converged = 2;
			break;
		}
		if (it == max_iter)
			break;

		for (size_t k = 0; k < K; k++)
			ws->drift[k] += ws->shift[k];
		for (size_t k = 0; k < K; k++) {
			double m = INFINITY;
			ws->cdist[k * K + k] = 0;
			for (size_t j = 0; j < K; j++)
				if (j != k) {
					double d = 0.5 * sqrt(sqdist(C + k * D,
					    C + j * D, D));
					ws->cdist[k * K + j] = d;
					m = d < m ? d : m;
				}
			ws->half[k] = m;
		}
		changed = 0;
		for (size_t i = 0; i < N; i++) {
			const float *x = X + i * D;
			float *low = ws->lowk + i * K;
			const double *drift = ws->drift;
			size_t a = (size_t)labels[i];
			double u = ws->upper[i] + drift[a];
			if (u <= ws->half[a])
				continue;
			int tight = 0;
			size_t start_a = a;
			for (size_t k = 0; k < K; k++) {
				if (k == a || u <= low[k] - drift[k] ||
				    u <= ws->cdist[a * K + k])
					continue;
				if (!tight) {
					u = dist_fast(x, C + a * D, D);
					low[a] = low_f32(u + drift[a]);
					tight = 1;
					if (u <= low[k] - drift[k] ||
					    u <= ws->cdist[a * K + k])
						continue;
				}
				double dk = dist_fast(x, C + k * D, D);
				low[k] = low_f32(dk + drift[k]);
				/* ties go to the lower index, as argmin */
				if (dk < u || (dk == u && k < a)) {
					a = k;
					u = dk;
				}
			}
			ws->upper[i] = u - drift[a];
			if (a != start_a) {
				labels[i] = (int32_t)a;
				move_point(ws, x, start_a, a);
				changed++;
			}
		}
	}
	if (res.converged != 1)
		assign_all(labels, ws, X, C);
	res.inertia = kmeans_inertia(X, C, labels, N, D);
	return res;
}

double
kmeans_inertia(const float *X, const float *C, const int32_t *labels,
    size_t N, size_t D)
{
	double total = 0;
	for (size_t i = 0; i < N; i++)
		total += sqdist(X + i * D, C + (size_t)labels[i] * D, D);
	return total;
}
