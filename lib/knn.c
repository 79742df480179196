/* knn.c - exact k-NN by blocked float GEMM, exact float64 re-ranking and
 * a certified fallback.  See knn.h. */
#include "knn.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"

struct cand {
	double key;     /* smaller is better: d^2, or -d^2 when farthest */
	int64_t i;
};

/* (key, index) order: a tie goes to the smaller index */
static int
cand_better(const struct cand *a, const struct cand *b)
{
	return a->key < b->key || (a->key == b->key && a->i < b->i);
}

/* Max-heap of the C best so far, worst on top. */
static void
heap_sift_down(struct cand *h, size_t n, size_t p)
{
	for (;;) {
		size_t l = 2 * p + 1, r = l + 1, w = p;
		if (l < n && cand_better(&h[w], &h[l]))
			w = l;
		if (r < n && cand_better(&h[w], &h[r]))
			w = r;
		if (w == p)
			return;
		struct cand t = h[p];
		h[p] = h[w];
		h[w] = t;
		p = w;
	}
}

static void
heap_push(struct cand *h, size_t *n, size_t cap, struct cand c)
{
	if (*n < cap) {
		size_t p = (*n)++;
		h[p] = c;
		while (p > 0 && cand_better(&h[(p - 1) / 2], &h[p])) {
			struct cand t = h[p];
			h[p] = h[(p - 1) / 2];
			h[(p - 1) / 2] = t;
			p = (p - 1) / 2;
		}
	} else if (cand_better(&c, &h[0])) {
		h[0] = c;
		heap_sift_down(h, cap, 0);
	}
}

static int
cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (cand_better(x, y))
		return -1;
	if (cand_better(y, x))
		return 1;
	return 0;
}

static double
dist2_exact(const float *a, const float *b, size_t D)
{
	double s = 0;
	for (size_t j = 0; j < D; j++) {
		double t = (double)a[j] - (double)b[j];
		s += t * t;
	}
	return s;
}

/* Brute force for one query into cand[N] scratch; k best to out. */
static void
knn_one_exact(int64_t *idx, float *dist, const float *q, size_t qi,
    const float *B, size_t N, size_t D, size_t k, int flags,
    struct cand *h /*[k]*/)
{
	size_t n = 0;
	for (size_t j = 0; j < N; j++) {
		if ((flags & KNN_EXCLUDE_SELF) && j == qi)
			continue;
		double d2 = dist2_exact(q, B + j * D, D);
		struct cand c = { (flags & KNN_FARTHEST) ? -d2 : d2, (int64_t)j };
		heap_push(h, &n, k, c);
	}
	qsort(h, n, sizeof *h, cand_cmp);
	for (size_t t = 0; t < k; t++) {
		idx[t] = h[t].i;
		dist[t] = (float)sqrt(fabs(h[t].key));
	}
}

static int
knn_check(size_t M, size_t N, size_t k, int flags)
{
	size_t avail = (flags & KNN_EXCLUDE_SELF) ? (N ? N - 1 : 0) : N;
	if (k < 1 || k > avail || ((flags & KNN_EXCLUDE_SELF) && M != N)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
knn_search_ref(int64_t *idx, float *dist, const float *Q, size_t M,
    const float *B, size_t N, size_t D, size_t k, int flags)
{
	if (knn_check(M, N, k, flags) < 0)
		return -1;
	struct cand *h = malloc(k * sizeof *h);
	if (h == NULL) {
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < M; i++)
		knn_one_exact(idx + i * k, dist + i * k, Q + i * D, i, B, N, D, k,
		    flags, h);
	free(h);
	return 0;
}

/* |x - mu|^2 of each row, in double */
static void
row_norms(double *n2 /*[N]*/, const float *X /*[N,D]*/, const float *mu,
    size_t N, size_t D)
{
	#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++) {
		double s = 0;
		for (size_t j = 0; j < D; j++) {
			double t = (double)(X[i * D + j] - mu[j]);
			s += t * t;
		}
		n2[i] = s;
	}
}

/* Xc[R,D] = X[R,D] - mu: distances do not change under a shift, and
 * centring keeps |q|^2 + |b|^2 close to d^2, so little cancels. */
static void
rows_center(float *Xc, const float *X, const float *mu, size_t R, size_t D)
{
	#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < R; i++)
		for (size_t j = 0; j < D; j++)
			Xc[i * D + j] = X[i * D + j] - mu[j];
}

/*
 * The transposed tile for the base block's own queries (a self graph):
 * column c of tile[QB,BB] holds query b0 + c against candidates q0 + r.
 * Each thread owns a range of columns (so of queries' heaps) and walks
 * the rows in order, reading its part of each row contiguously; thr[BB]
 * holds the columns' current thresholds.
 */
static void
knn_scan_columns(struct cand *heaps, size_t *hn, size_t C, const float *tile,
    size_t QB, size_t BB, size_t q0, size_t b0, const float *bnf, float sgn,
    float *thr /*[BB]*/)
{
	#pragma omp parallel
	{
		size_t nth = (size_t)omp_get_num_threads();
		size_t tid = (size_t)omp_get_thread_num();
		size_t groups = (BB + 15) / 16;
		size_t cs = groups * tid / nth * 16, ce = groups * (tid + 1) / nth * 16;
		if (ce > BB)
			ce = BB;
		for (size_t c = cs; c < ce; c++) {
			size_t n = hn[b0 + c];
			thr[c] = n == C ? (float)heaps[(b0 + c) * C].key : INFINITY;
		}
		for (size_t r = 0; r < QB; r++) {
			const float *g = tile + r * BB;
			float base = bnf[q0 + r];
			for (size_t c0 = cs; c0 < ce; c0 += 16) {
				size_t c1 = c0 + 16 < ce ? c0 + 16 : ce;
				int any = 0;
				#pragma omp simd reduction(|:any)
				for (size_t c = c0; c < c1; c++)
					any |= sgn * (base - 2 * g[c]) <= thr[c];
				if (!any)
					continue;
				for (size_t c = c0; c < c1; c++) {
					float key = sgn * (base - 2 * g[c]);
					if (key > thr[c])
						continue;
					struct cand *h = heaps + (b0 + c) * C;
					struct cand cd = { key, (int64_t)(q0 + r) };
					heap_push(h, &hn[b0 + c], C, cd);
					if (hn[b0 + c] == C)
						thr[c] = (float)h[0].key;
				}
			}
		}
	}
}

int
knn_search(int64_t *idx, float *dist, const float *Q, size_t M,
    const float *B, size_t N, size_t D, size_t k, int flags,
    size_t *fallbacks)
{
	if (knn_check(M, N, k, flags) < 0)
		return -1;
	size_t avail = (flags & KNN_EXCLUDE_SELF) ? N - 1 : N;
	size_t C = 2 * k + 8 < avail ? 2 * k + 8 : avail;
	int far = (flags & KNN_FARTHEST) != 0;
	/* a self graph: tile (q, b) transposed is tile (b, q), so only the
	 * tiles on and above the diagonal are computed */
	int sym = Q == B && M == N;
	float sgn = far ? -1.0f : 1.0f;
	double *qn = malloc(M * sizeof *qn), *bn = malloc(N * sizeof *bn);
	float *bnf = malloc(N * sizeof *bnf);
	float *tile = malloc((size_t)KNN_QBLOCK * KNN_BBLOCK * sizeof *tile);
	struct cand *heaps = malloc(M * C * sizeof *heaps);
	size_t *hn = calloc(M ? M : 1, sizeof *hn);
	size_t QB0 = M < KNN_QBLOCK ? M : KNN_QBLOCK;
	size_t BB0 = N < KNN_BBLOCK ? N : KNN_BBLOCK;
	float *qc = malloc(QB0 * D * sizeof *qc), *bc = malloc(BB0 * D * sizeof *bc);
	float *mu = malloc(D * sizeof *mu);
	float *thrbuf = malloc(KNN_BBLOCK * sizeof *thrbuf);
	double *mud = calloc(D, sizeof *mud);
	size_t nfall = 0;
	int rc = -1;
	if (!qn || !bn || !bnf || !tile || !heaps || !hn || !qc || !bc ||
	    !mu || !mud || !thrbuf) {
		errno = ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < D; j++)
			mud[j] += B[i * D + j];
	for (size_t j = 0; j < D; j++)
		mu[j] = (float)(mud[j] / (double)N);
	row_norms(qn, Q, mu, M, D);
	row_norms(bn, B, mu, N, D);
	double bmax = 0;
	for (size_t j = 0; j < N; j++) {
		bnf[j] = (float)bn[j];
		if (bn[j] > bmax)
			bmax = bn[j];
	}

	for (size_t q0 = 0; q0 < M; q0 += KNN_QBLOCK) {
		size_t QB = M - q0 < KNN_QBLOCK ? M - q0 : KNN_QBLOCK;
		rows_center(qc, Q + q0 * D, mu, QB, D);
		for (size_t b0 = sym ? q0 : 0; b0 < N; b0 += KNN_BBLOCK) {
			size_t BB = N - b0 < KNN_BBLOCK ? N - b0 : KNN_BBLOCK;
			/* tile[QB,BB] = Q_blk B_blk^T */
			rows_center(bc, B + b0 * D, mu, BB, D);
			sgemm(0, 1, QB, BB, D, 1.0f, qc, D, bc, D, 0.0f, tile, BB);
			#pragma omp parallel for schedule(static)
			for (size_t r = 0; r < QB; r++) {
				size_t qi = q0 + r;
				struct cand *h = heaps + qi * C;
				size_t n = hn[qi];
				const float *g = tile + r * BB;
				const float *bb = bnf + b0;
				/* key = sgn (|b|^2 - 2 q.b): d^2 less the query's
				 * own |q|^2, which does not change its ranking */
				float thr = n == C ? (float)h[0].key : INFINITY;
				for (size_t c0 = 0; c0 < BB; c0 += 64) {
					size_t c1 = c0 + 64 < BB ? c0 + 64 : BB;
					int any = 0;
					#pragma omp simd reduction(|:any)
					for (size_t c = c0; c < c1; c++)
						any |= sgn * (bb[c] - 2 * g[c]) <= thr;
					if (!any)
						continue;        /* the common case */
					for (size_t c = c0; c < c1; c++) {
						float key = sgn * (bb[c] - 2 * g[c]);
						size_t j = b0 + c;
						if (key > thr || ((flags &
						    KNN_EXCLUDE_SELF) && j == qi))
							continue;
						struct cand cd = { key, (int64_t)j };
						heap_push(h, &n, C, cd);
						if (n == C)
							thr = (float)h[0].key;
					}
				}
				hn[qi] = n;
			}
			if (sym && b0 != q0)
				knn_scan_columns(heaps, hn, C, tile, QB, BB, q0, b0,
				    bnf, sgn, thrbuf);
		}
	}

	/*
	 * Re-rank by exact distances and certify.  An approximate squared
	 * distance errs by at most about (2 sqrt(D) + 8) eps (|q|^2 + |b|^2)
	 * (a generous bound for blocked float dot products; see Higham,
	 * "Accuracy and Stability of Numerical Algorithms", 3.1); anything
	 * outside the candidates had an approximate key >= the worst one.
	 */
	double ebound = (2 * sqrt((double)D) + 8) * FLT_EPSILON;
	#pragma omp parallel for schedule(dynamic, 64) reduction(+:nfall)
	for (size_t qi = 0; qi < M; qi++) {
		struct cand *h = heaps + qi * C;
		size_t n = hn[qi];
		/* heap top: the C-th, as a full (signed) squared distance */
		double worst_approx = h[0].key + (far ? -qn[qi] : qn[qi]);
		const float *q = Q + qi * D;
		for (size_t t = 0; t < n; t++) {
			double d2 = dist2_exact(q, B + (size_t)h[t].i * D, D);
			h[t].key = far ? -d2 : d2;
		}
		qsort(h, n, sizeof *h, cand_cmp);
		int ok = 1;
		if (n < avail) {
			double err = ebound * (qn[qi] + bmax) + 1e-30;
			/* outsiders have key >= worst_approx - err */
			if (worst_approx - err <= h[k - 1].key)
				ok = 0;
		}
		if (ok) {
			for (size_t t = 0; t < k; t++) {
				idx[qi * k + t] = h[t].i;
				dist[qi * k + t] = (float)sqrt(fabs(h[t].key));
			}
		} else {
			/* the candidates are spent: their space (C >= k) is the
			 * brute force's heap */
			knn_one_exact(idx + qi * k, dist + qi * k, q, qi, B, N, D,
			    k, flags, h);
			nfall++;
		}
	}
	if (fallbacks != NULL)
		*fallbacks = nfall;
	rc = 0;
out:
	free(qn), free(bn), free(bnf), free(tile), free(heaps), free(hn);
	free(qc), free(bc), free(mu), free(mud), free(thrbuf);
	return rc;
}

void
knn_density(float *score, const int64_t *idx, const float *Q, size_t M,
    const float *B, size_t D, size_t k)
{
	#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < M; i++) {
		double s = 0;
		for (size_t t = 0; t < k; t++)
			s += sqrt(dist2_exact(Q + i * D, B + (size_t)idx[i * k + t] *
			    D, D));
		score[i] = (float)(s / (double)k);
	}
}
