/*
 * silhouette.c - blocked exact silhouette.
 *
 * Facts from scikit-learn 1.2 (sklearn/metrics/cluster/_unsupervised.py):
 * intra-cluster mean over n_A - 1 points, nearest other cluster by mean
 * distance, s = (b - a) / max(a, b) with NaN (0/0) turned into 0, and a
 * singleton cluster's point scores 0; the mean over all points is
 * silhouette_score.  sklearn computes float32 inputs' distances in
 * float64 (euclidean_distances upcasts by chunks) and zeroes the
 * diagonal; this code skips the diagonal instead.
 */
#include "blas.h"
#include "silhouette.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <blis.h>
#include <omp.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define P SILHOUETTE_PANEL

int
silhouette_ws_alloc(struct silhouette_ws *ws, const float *X,
    const int32_t *labels, size_t N, size_t D, size_t L, int precise)
{
	memset(ws, 0, sizeof *ws);
	ws->N = N;
	ws->D = D;
	ws->L = L;
	ws->T = (size_t)omp_get_max_threads();
	ws->precise = precise;
	size_t T = ws->T, es = precise ? sizeof(double) : sizeof(float);
	ws->order = malloc(N * sizeof *ws->order);
	ws->start = calloc(L + 1, sizeof *ws->start);
	ws->xx = malloc(N * sizeof *ws->xx);
	ws->tile = malloc(T * P * N * es);
	ws->colbuf = malloc(T * N * sizeof *ws->colbuf);
	ws->rowsum = malloc(N * L * sizeof *ws->rowsum);
	ws->colsum = malloc(T * N * L * sizeof *ws->colsum);
	size_t *cur = malloc((L + 1) * sizeof *cur);
	double *mean = calloc(D ? D : 1, sizeof *mean);
	if (precise)
		ws->xd = malloc(N * D * sizeof *ws->xd);
	else
		ws->xs = malloc(N * D * sizeof *ws->xs);
	if (!ws->order || !ws->start || !ws->xx || !ws->tile ||
	    !ws->colbuf || !ws->rowsum || !ws->colsum || !cur || !mean ||
	    (precise ? !ws->xd : !ws->xs)) {
		free(mean);
		free(cur);
		silhouette_ws_free(ws);
		return -1;
	}
	/* counting sort by label, stable */
	for (size_t i = 0; i < N; i++)
		ws->start[labels[i] + 1]++;
	for (size_t l = 0; l < L; l++)
		ws->start[l + 1] += ws->start[l];
	for (size_t l = 0; l < L; l++)
		cur[l] = ws->start[l];
	for (size_t i = 0; i < N; i++)
		ws->order[cur[labels[i]]++] = i;
	free(cur);
	for (size_t i = 0; i < N; i++)
		for (size_t d = 0; d < D; d++)
			mean[d] += X[i * D + d];
	for (size_t d = 0; d < D; d++)
		mean[d] /= (double)N;
	#pragma omp parallel for schedule(static)
	for (size_t r = 0; r < N; r++) {
		const float *x = X + ws->order[r] * D;
		double s = 0;
		for (size_t d = 0; d < D; d++) {
			double v = (double)x[d] - mean[d];
			if (precise) {
				ws->xd[r * D + d] = v;
			} else {
				ws->xs[r * D + d] = (float)v;
				v = (float)v;
			}
			s += v * v;
		}
		ws->xx[r] = s;
	}
	free(mean);
	return 0;
}

void
silhouette_ws_free(struct silhouette_ws *ws)
{
	free(ws->order);
	free(ws->start);
	free(ws->xx);
	free(ws->xs);
	free(ws->xd);
	free(ws->tile);
	free(ws->colbuf);
	free(ws->rowsum);
	free(ws->colsum);
	memset(ws, 0, sizeof *ws);
}

/* Row-major GEMM C[M,N] = A B^T on one thread: panels run in parallel. */
static void
gemm_nt_1(int precise, size_t M, size_t N, size_t K, const void *A,
    const void *B, void *C)
{
	rntm_t rntm;
	blas_rntm(&rntm, 1, K);
	if (precise) {
		double one = 1, zero = 0;
		bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, (dim_t)M,
		    (dim_t)N, (dim_t)K, &one, (double *)A, (inc_t)K, 1,
		    (double *)B, (inc_t)K, 1, &zero, C, (inc_t)N, 1, NULL,
		    &rntm);
	} else {
		float one = 1, zero = 0;
		bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, (dim_t)M,
		    (dim_t)N, (dim_t)K, &one, (float *)A, (inc_t)K, 1,
		    (float *)B, (inc_t)K, 1, &zero, C, (inc_t)N, 1, NULL,
		    &rntm);
	}
}

/*
 * row[c] = |x_i - x_j| for c in [lo, W), from the dot products in row
 * and the float64 norms: d2 = xi + xj - 2 g in float64, rounded to
 * float32, then a float32 square root (SSE2, four at a time, where the
 * machine has it; the scalar tail computes the same correctly rounded
 * values).
 */
static void
dist_row_f32(float *row, const double *xj, double xi, size_t lo, size_t W)
{
	size_t c = lo;
#if defined(__SSE2__)
	__m128d vxi = _mm_set1_pd(xi), two = _mm_set1_pd(2.0);
	__m128d zero = _mm_setzero_pd();
	for (; c + 4 <= W; c += 4) {
		__m128 g = _mm_loadu_ps(row + c);
		__m128d g0 = _mm_cvtps_pd(g);
		__m128d g1 = _mm_cvtps_pd(_mm_movehl_ps(g, g));
		__m128d d0 = _mm_sub_pd(_mm_add_pd(vxi, _mm_loadu_pd(xj + c)),
		    _mm_mul_pd(two, g0));
		__m128d d1 = _mm_sub_pd(_mm_add_pd(vxi,
		    _mm_loadu_pd(xj + c + 2)), _mm_mul_pd(two, g1));
		d0 = _mm_max_pd(d0, zero);
		d1 = _mm_max_pd(d1, zero);
		__m128 f = _mm_movelh_ps(_mm_cvtpd_ps(d0), _mm_cvtpd_ps(d1));
		_mm_storeu_ps(row + c, _mm_sqrt_ps(f));
	}
#endif
	for (; c < W; c++) {
		double d2 = (xi + xj[c]) - 2.0 * row[c];
		row[c] = sqrtf((float)(d2 > 0 ? d2 : 0));
	}
}

/* acc[c] += row[c] (float32 into float64) */
static void
add_row_f32(double *acc, const float *row, size_t W)
{
	size_t c = 0;
#if defined(__SSE2__)
	for (; c + 4 <= W; c += 4) {
		__m128 g = _mm_loadu_ps(row + c);
		_mm_storeu_pd(acc + c, _mm_add_pd(_mm_loadu_pd(acc + c),
		    _mm_cvtps_pd(g)));
		_mm_storeu_pd(acc + c + 2, _mm_add_pd(_mm_loadu_pd(acc + c + 2),
		    _mm_cvtps_pd(_mm_movehl_ps(g, g))));
	}
#endif
	for (; c < W; c++)
		acc[c] += row[c];
}

/* Sum of row[lo..hi) in float64 (fixed order for a given lo, hi). */
static double
sum_row_f32(const float *row, size_t lo, size_t hi)
{
	size_t c = lo;
	double s = 0;
#if defined(__SSE2__)
	__m128d a0 = _mm_setzero_pd(), a1 = _mm_setzero_pd();
	for (; c + 4 <= hi; c += 4) {
		__m128 g = _mm_loadu_ps(row + c);
		a0 = _mm_add_pd(a0, _mm_cvtps_pd(g));
		a1 = _mm_add_pd(a1, _mm_cvtps_pd(_mm_movehl_ps(g, g)));
	}
	double t[2];
	_mm_storeu_pd(t, _mm_add_pd(a0, a1));
	s = t[0] + t[1];
#endif
	for (; c < hi; c++)
		s += row[c];
	return s;
}

/*
 * One panel: rows [i0, i0+m) against sorted points [i0, N).  Distances
 * of pairs j <= i are zeroed (the pair belongs to an earlier row).
 */
static void
panel(struct silhouette_ws *ws, size_t t, size_t i0, size_t m)
{
	size_t N = ws->N, D = ws->D, L = ws->L, W = N - i0;
	const size_t *start = ws->start;
	float *tf = (float *)ws->tile + t * P * N;
	double *td = (double *)ws->tile + t * P * N;
	double *colbuf = ws->colbuf + t * N;
	double *colsum = ws->colsum + t * N * L;
	const double *xx = ws->xx;

	if (ws->precise)
		gemm_nt_1(1, m, W, D, ws->xd + i0 * D, ws->xd + i0 * D, td);
	else
		gemm_nt_1(0, m, W, D, ws->xs + i0 * D, ws->xs + i0 * D, tf);
	/* distances in place (float tiles keep float32 distances, as
	 * sklearn's float32 distance chunks do); one loop per type */
	for (size_t r = 0; r < m; r++) {
		size_t i = i0 + r;
		double xi = xx[i];
		const double *xj = xx + i0;
		if (ws->precise) {
			double *row = td + r * W;
			for (size_t c = 0; c <= r; c++)
				row[c] = 0;
			for (size_t c = r + 1; c < W; c++) {
				double d2 = xi + xj[c] - 2 * row[c];
				row[c] = sqrt(d2 > 0 ? d2 : 0);
			}
		} else {
			float *row = tf + r * W;
			for (size_t c = 0; c <= r; c++)
				row[c] = 0;
			dist_row_f32(row, xj, xi, r + 1, W);
		}
	}
	/* rows: per cluster run of columns */
	for (size_t r = 0; r < m; r++) {
		double *sum = ws->rowsum + (i0 + r) * L;
		for (size_t l = 0; l < L; l++) {
			size_t lo = start[l] > i0 ? start[l] - i0 : 0;
			size_t hi = start[l + 1] > i0 ? start[l + 1] - i0 : 0;
			double s0 = 0, s1 = 0;
			size_t c = lo;
			if (ws->precise) {
				for (; c + 2 <= hi; c += 2) {
					s0 += td[r * W + c];
					s1 += td[r * W + c + 1];
				}
				for (; c < hi; c++)
					s0 += td[r * W + c];
			} else {
				s0 = sum_row_f32(tf + r * W, lo, hi);
			}
			sum[l] = s0 + s1;
		}
	}
	/* columns: per cluster run of rows */
	for (size_t r0 = 0; r0 < m;) {
		size_t l = 0;
		while (start[l + 1] <= i0 + r0)
			l++;
		size_t r1 = start[l + 1] - i0 < m ? start[l + 1] - i0 : m;
		for (size_t c = 0; c < W; c++)
			colbuf[c] = 0;
		for (size_t r = r0; r < r1; r++) {
			if (ws->precise)
				for (size_t c = 0; c < W; c++)
					colbuf[c] += td[r * W + c];
			else
				add_row_f32(colbuf, tf + r * W, W);
		}
		for (size_t c = 0; c < W; c++)
			colsum[(i0 + c) * L + l] += colbuf[c];
		r0 = r1;
	}
}

static double
coefficient(const double *sums, size_t own, const size_t *start, size_t L)
{
	size_t na = start[own + 1] - start[own];
	if (na <= 1)
		return 0;
	double a = sums[own] / (double)(na - 1), b = INFINITY;
	for (size_t l = 0; l < L; l++) {
		size_t n = start[l + 1] - start[l];
		if (l == own || n == 0)
			continue;
		double m = sums[l] / (double)n;
		b = m < b ? m : b;
	}
	double den = a > b ? a : b;
	if (!(den > 0) || isinf(b))
		return 0;
	return (b - a) / den;
}

double
silhouette_samples(double *s, struct silhouette_ws *ws)
{
	size_t N = ws->N, L = ws->L, T = ws->T;
	size_t npanel = (N + P - 1) / P;

	memset(ws->colsum, 0, T * N * L * sizeof *ws->colsum);
	#pragma omp parallel num_threads((int)T)
	{
		size_t t = (size_t)omp_get_thread_num();
		size_t nt = (size_t)omp_get_num_threads();
		/* round-robin: the same panels on the same thread every run */
		for (size_t p = t; p < npanel; p += nt) {
			size_t i0 = p * P;
			panel(ws, t, i0, N - i0 < P ? N - i0 : P);
		}
	}
	double total = 0;
	for (size_t i = 0; i < N; i++) {
		double *sum = ws->rowsum + i * L;
		for (size_t t = 0; t < T; t++)
			for (size_t l = 0; l < L; l++)
				sum[l] += ws->colsum[(t * N + i) * L + l];
		size_t own = 0;
		while (ws->start[own + 1] <= i)
			own++;
		s[ws->order[i]] = coefficient(sum, own, ws->start, L);
	}
	for (size_t i = 0; i < N; i++)
		total += s[i];
	return total / (double)N;
}

double
silhouette_ref(double *s, const float *X, const int32_t *labels, size_t N,
    size_t D, size_t L)
{
	double *sum = calloc(L ? L : 1, sizeof *sum);
	size_t *start = calloc(L + 1, sizeof *start);
	double total = 0;
	if (!sum || !start) {
		free(sum);
		free(start);
		return NAN;
	}
	/* counts as prefix offsets, so coefficient() can be shared */
	for (size_t i = 0; i < N; i++)
		start[labels[i] + 1]++;
	for (size_t l = 0; l < L; l++)
		start[l + 1] += start[l];
	for (size_t i = 0; i < N; i++) {
		memset(sum, 0, L * sizeof *sum);
		for (size_t j = 0; j < N; j++) {
			if (j == i)
				continue;
			double d2 = 0;
			for (size_t d = 0; d < D; d++) {
				double t = (double)X[i * D + d] - X[j * D + d];
				d2 += t * t;
			}
			sum[labels[j]] += sqrt(d2);
		}
		s[i] = coefficient(sum, (size_t)labels[i], start, L);
		total += s[i];
	}
	free(sum);
	free(start);
	return total / (double)N;
}
