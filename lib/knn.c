/* knn.c - exact k-NN by blocked float GEMM, exact float64 re-ranking and
 * a certified fallback.  See knn.h. */
#include "knn.h"

#include <blis.h>
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
	for (size_t i = 0; i < R; i++)
		for (size_t j = 0; j < D; j++)
			Xc[i * D + j] = X[i * D + j] - mu[j];
}

/*
 * Row r of tile[QB,BB] holds query q0 + r against base points b0 + c.
 * key = sgn (|b|^2 - 2 q.b): d^2 less the query's own |q|^2, which does
 * not change its ranking.  A group of 64 keys is first tested against
 * the heap's worst as one vector comparison: usually nothing enters.
 */
static void
knn_scan_rows(struct cand *heaps, size_t *hn, size_t C, const float *tile,
    size_t QB, size_t BB, size_t q0, size_t b0, const float *bnf, float sgn,
    int exclude_self)
{
	for (size_t r = 0; r < QB; r++) {
		size_t qi = q0 + r;
		struct cand *h = heaps + qi * C;
		size_t n = hn[qi];
		const float *g = tile + r * BB;
		const float *bb = bnf + b0;
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
				if (key > thr || (exclude_self && j == qi))
					continue;
				struct cand cd = { key, (int64_t)j };
				heap_push(h, &n, C, cd);
				if (n == C)
					thr = (float)h[0].key;
			}
		}
		hn[qi] = n;
	}
}

/*
 * The transposed tile for the base block's own queries (a self graph):
 * column c of tile[QB,BB] holds query b0 + c against candidates q0 + r.
 * Rows are walked in order, 16 columns at a time; thr[BB] holds the
 * columns' current thresholds.
 */
static void
knn_scan_columns(struct cand *heaps, size_t *hn, size_t C, const float *tile,
    size_t QB, size_t BB, size_t q0, size_t b0, const float *bnf, float sgn,
    float *thr /*[BB]*/)
{
	for (size_t c = 0; c < BB; c++) {
		size_t n = hn[b0 + c];
		thr[c] = n == C ? (float)heaps[(b0 + c) * C].key : INFINITY;
	}
	for (size_t r = 0; r < QB; r++) {
		const float *g = tile + r * BB;
		float base = bnf[q0 + r];
		for (size_t c0 = 0; c0 < BB; c0 += 16) {
			size_t c1 = c0 + 16 < BB ? c0 + 16 : BB;
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

/* One thread's scratch: two centred blocks, the tile, thresholds. */
struct knn_scratch {
	float *qc;      /* [QBLOCK,D] */
	float *bc;      /* [BBLOCK,D] */
	float *tile;    /* [QBLOCK,BBLOCK] */
	float *thr;     /* [BBLOCK] */
};

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
	 * tiles on and above the diagonal are computed (KNN_QBLOCK ==
	 * KNN_BBLOCK keeps the blocks aligned) */
	int sym = Q == B && M == N && KNN_QBLOCK == KNN_BBLOCK;
	float sgn = far ? -1.0f : 1.0f;
	size_t nq = (M + KNN_QBLOCK - 1) / KNN_QBLOCK;
	size_t nb = (N + KNN_BBLOCK - 1) / KNN_BBLOCK;
	size_t ntiles = sym ? nq * (nq + 1) / 2 : nq * nb;
	size_t nth = blas_threads();
	double *qn = malloc(M * sizeof *qn), *bn = malloc(N * sizeof *bn);
	float *bnf = malloc(N * sizeof *bnf);
	struct cand *heaps = malloc(M * C * sizeof *heaps);
	size_t *hn = calloc(M ? M : 1, sizeof *hn);
	size_t QB0 = M < KNN_QBLOCK ? M : KNN_QBLOCK;
	size_t BB0 = N < KNN_BBLOCK ? N : KNN_BBLOCK;
	struct knn_scratch *scr = calloc(nth, sizeof *scr);
	omp_lock_t *locks = malloc(nq * sizeof *locks);
	size_t (*tiles)[2] = malloc(ntiles * sizeof *tiles);
	float *mu = malloc(D * sizeof *mu);
	double *mud = calloc(D, sizeof *mud);
	size_t nfall = 0, nlocks = 0;
	int rc = -1;
	if (!qn || !bn || !bnf || !heaps || !hn || !scr || !locks || !tiles ||
	    !mu || !mud) {
		errno = ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nth; i++) {
		scr[i].qc = malloc(QB0 * D * sizeof *scr[i].qc);
		scr[i].bc = malloc(BB0 * D * sizeof *scr[i].bc);
		scr[i].tile = malloc(QB0 * BB0 * sizeof *scr[i].tile);
		scr[i].thr = malloc(BB0 * sizeof *scr[i].thr);
		if (!scr[i].qc || !scr[i].bc || !scr[i].tile || !scr[i].thr) {
			errno = ENOMEM;
			goto out;
		}
	}
	for (; nlocks < nq; nlocks++)
		omp_init_lock(&locks[nlocks]);
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

	/*
	 * Tiles in parallel, each thread with its own single-threaded GEMM,
	 * so there is no barrier per tile.  A query block's heaps are
	 * locked while a tile's keys go in.  The candidates a heap ends
	 * with are the C best (key, index) pairs offered, whatever the
	 * order of the tiles, so the result does not depend on the threads.
	 */
	size_t nt = 0;
	for (size_t qb = 0; qb < nq; qb++)
		for (size_t bb = sym ? qb : 0; bb < (sym ? nq : nb); bb++) {
			tiles[nt][0] = qb;
			tiles[nt][1] = bb;
			nt++;
		}
	#pragma omp parallel for schedule(dynamic, 1) num_threads(nth)
	for (size_t ti = 0; ti < ntiles; ti++) {
		struct knn_scratch *s = &scr[omp_get_thread_num()];
		size_t qb = tiles[ti][0], bb = tiles[ti][1];
		size_t q0 = qb * KNN_QBLOCK, b0 = bb * KNN_BBLOCK;
		size_t QB = M - q0 < KNN_QBLOCK ? M - q0 : KNN_QBLOCK;
		size_t BB = N - b0 < KNN_BBLOCK ? N - b0 : KNN_BBLOCK;
		rows_center(s->qc, Q + q0 * D, mu, QB, D);
		rows_center(s->bc, B + b0 * D, mu, BB, D);
		/* tile[QB,BB] = Qc_blk Bc_blk^T, on this thread alone */
		float one = 1, zero = 0;
		rntm_t rntm;
		blas_rntm(&rntm, 1, D);
		bli_sgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, (dim_t)QB,
		    (dim_t)BB, (dim_t)D, &one, s->qc, (inc_t)D, 1, s->bc,
		    (inc_t)D, 1, &zero, s->tile, (inc_t)BB, 1, NULL, &rntm);
		omp_set_lock(&locks[qb]);
		knn_scan_rows(heaps, hn, C, s->tile, QB, BB, q0, b0, bnf, sgn,
		    (flags & KNN_EXCLUDE_SELF) != 0);
		omp_unset_lock(&locks[qb]);
		if (sym && bb != qb) {
			omp_set_lock(&locks[bb]);
			knn_scan_columns(heaps, hn, C, s->tile, QB, BB, q0, b0,
			    bnf, sgn, s->thr);
			omp_unset_lock(&locks[bb]);
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
			/* an outsider b's approximate key erred by at most
			 * ebound (|q|^2 + |b|^2), all centred.  For the nearest,
			 * |q - b| >= |b| - |q|, so a b with |b| above
			 * |q| + sqrt(k-th key) cannot beat the k-th: only the
			 * norms below that count, not the largest (a few
			 * outliers far away would otherwise fail every query of
			 * a tight cluster).  The norms are of the centred rows
			 * rounded to float (relative error 2^-24 per element):
			 * 1e-6 leaves room for that */
			double bb = bmax;
			if (!far) {
				double r = (sqrt(qn[qi]) * (1 + 1e-6) +
				    sqrt(h[k - 1].key)) / (1 - 1e-6);
				if (r * r < bb)
					bb = r * r;
			}
			double err = ebound * (qn[qi] + bb) + 1e-30;
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
	for (size_t l = 0; l < nlocks; l++)
		omp_destroy_lock(&locks[l]);
	if (scr != NULL)
		for (size_t i = 0; i < nth; i++) {
			free(scr[i].qc), free(scr[i].bc), free(scr[i].tile);
			free(scr[i].thr);
		}
	free(qn), free(bn), free(bnf), free(heaps), free(hn), free(scr);
	free(locks), free(tiles), free(mu), free(mud);
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
