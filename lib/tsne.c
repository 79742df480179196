/*
 * tsne.c - t-SNE affinities, PCA initialisation, exact gradient, KL and
 * the optimiser.  The FFT gradient is in tsne_fft.c.
 *
 * Facts from scikit-learn 1.2 (sklearn/manifold/_t_sne.py, _utils.pyx):
 * K = min(N-1, int(3 perplexity + 1)); squared distances; binary search
 * with beta = 1 start, doubling/halving, 100 steps, |H - log perp| <=
 * 1e-5, sum floor 1e-8; P = (C + C^T) / sum; PCA init / std(col 0) *
 * 1e-4; learning rate max(N / exaggeration / 4, 50); gains +0.2 / *0.8
 * clipped at 0.01; update and gains reset at the stage change; checks
 * every 50 iterations (stop when no progress for 250 / 300 iterations
 * or gradient norm <= 1e-7); gradient factor 2 (dof + 1) / dof = 4.
 */
#include "tsne.h"

#include <errno.h>
#include <immintrin.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "knn.h"
#include "pca.h"
#include "rng.h"

void
tsne_options_default(struct tsne_options *o)
{
	memset(o, 0, sizeof *o);
	o->perplexity = 30;
	o->iterations = 1000;
	o->early_iterations = 250;
	o->exaggeration = 12;
	o->learning_rate = 0;
	o->method = TSNE_FFT;
	o->init = TSNE_INIT_PCA;
}

size_t
tsne_neighbors(size_t N, double perplexity)
{
	double k = floor(3.0 * perplexity + 1.0);
	if (N < 2)
		return 0;
	if (k >= (double)(N - 1))
		return N - 1;
	return k < 1 ? 1 : (size_t)k;
}

/* ---- nearest neighbours ---------------------------------------------- */

int
tsne_knn(size_t *idx, double *dist2, const float *X, size_t N, size_t D,
    size_t K, int64_t *kidx, float *kdist)
{
	if (knn_search(kidx, kdist, X, N, X, N, D, K, KNN_EXCLUDE_SELF,
	    NULL) < 0)
		return -1;
	/* sklearn squares the float32 Euclidean distances in float32 */
	for (size_t i = 0; i < N * K; i++) {
		float d = kdist[i];
		idx[i] = (size_t)kidx[i];
		dist2[i] = (double)(d * d);
	}
	return 0;
}

/* ---- affinities ------------------------------------------------------- */

void
tsne_binary_search(double *cond, const double *dist2, size_t N, size_t K,
    double perplexity)
{
	/* sklearn passes the perplexity as a C float and the distances as
	 * float32, and computes in double */
	const double desired = log((double)(float)perplexity);
	const double tol = (double)1e-5f, floor_sum = (double)1e-8f;
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++) {
		const double *d = dist2 + i * K;
		double *c = cond + i * K;
		double beta = 1.0, bmin = -INFINITY, bmax = INFINITY;
		for (int step = 0; step < 100; step++) {
			double sum = 0, sdp = 0;
			for (size_t k = 0; k < K; k++) {
				c[k] = exp(-(double)(float)d[k] * beta);
				sum += c[k];
			}
			if (sum == 0.0)
				sum = floor_sum;
			for (size_t k = 0; k < K; k++) {
				c[k] /= sum;
				sdp += (double)(float)d[k] * c[k];
			}
			double diff = log(sum) + beta * sdp - desired;
			if (fabs(diff) <= tol)
				break;
			if (diff > 0) {
				bmin = beta;
				beta = bmax == INFINITY ? beta * 2 :
				    (beta + bmax) / 2;
			} else {
				bmax = beta;
				beta = bmin == -INFINITY ? beta / 2 :
				    (beta + bmin) / 2;
			}
		}
	}
}

void
tsne_symmetrize_count(struct tsne_p *P, const size_t *idx, size_t N,
    size_t K, size_t *colcount)
{
	/* colcount[j] = how many rows list j */
	memset(colcount, 0, (N + 1) * sizeof *colcount);
	for (size_t i = 0; i < N * K; i++)
		colcount[idx[i]]++;
	/* row i of C + C^T: the union of row i of C (sorted by index
	 * after a merge) and column i of C; count the union */
	P->N = N;
	P->indptr[0] = 0;
	for (size_t i = 0; i < N; i++)
		P->indptr[i + 1] = P->indptr[i] + K + colcount[i];
	/* an upper bound: duplicates (j in nbrs(i) and i in nbrs(j))
	 * are merged by the fill pass, which rewrites indptr */
}

void
tsne_symmetrize_fill(struct tsne_p *P, const size_t *idx, const double *cond,
    size_t N, size_t K, const size_t *colcount, size_t *cursor,
    size_t *tcol, double *tval)
{
	/* transpose: for each column j, the rows i listing j (increasing)
	 * and C[i,j], at tcol/tval[start_j ..) */
	size_t s = 0;
	for (size_t j = 0; j < N; j++) {
		cursor[j] = s;
		s += colcount[j];
	}
	for (size_t i = 0; i < N; i++)
		for (size_t k = 0; k < K; k++) {
			size_t j = idx[i * K + k];
			tcol[cursor[j]] = i;
			tval[cursor[j]] = cond[i * K + k];
			cursor[j]++;
		}
	/* cursor[j] is now the end of column j */
	size_t out = 0;
	double total = 0;
	for (size_t i = 0; i < N; i++) {
		size_t tb = cursor[i] - colcount[i], te = cursor[i];
		size_t rs = out, nc = te - tb;
		size_t *ind = P->indices;
		double *val = P->val;
		/* row i of C, sorted by column (insertion sort) */
		for (size_t k = 0; k < K; k++) {
			size_t j = idx[i * K + k], m = rs + k;
			double v = cond[i * K + k];
			while (m > rs && ind[m - 1] > j) {
				ind[m] = ind[m - 1];
				val[m] = val[m - 1];
				m--;
			}
			ind[m] = j;
			val[m] = v;
		}
		/* merge column i of C in, backwards from the end of the
		 * room this row has (K + nc slots); a write never reaches
		 * an own entry not yet consumed */
		size_t w = rs + K + nc, ra = rs + K, rb = te;
		while (rb > tb) {
			w--;
			if (ra > rs && ind[ra - 1] > tcol[rb - 1]) {
				ind[w] = ind[ra - 1];
				val[w] = val[ra - 1];
				ra--;
			} else if (ra > rs && ind[ra - 1] == tcol[rb - 1]) {
				ind[w] = ind[ra - 1];
				val[w] = val[ra - 1] + tval[rb - 1];
				ra--;
				rb--;
			} else {
				ind[w] = tcol[rb - 1];
				val[w] = tval[rb - 1];
				rb--;
			}
		}
		/* own entries left at [rs, ra); close the gap up to w */
		size_t tail = rs + K + nc - w;
		memmove(ind + ra, ind + w, tail * sizeof *ind);
		memmove(val + ra, val + w, tail * sizeof *val);
		out = ra + tail;
		P->indptr[i + 1] = out;
		for (size_t m = rs; m < out; m++)
			total += val[m];
	}
	if (total < DBL_EPSILON)
		total = DBL_EPSILON;
	for (size_t m = 0; m < out; m++)
		P->val[m] /= total;
}

void
tsne_p_free(struct tsne_p *P)
{
	free(P->indptr);
	free(P->indices);
	free(P->val);
	memset(P, 0, sizeof *P);
}

/* ---- PCA initialisation ----------------------------------------------- */

int
tsne_init_pca(double *Y, const float *X, size_t N, size_t D, float *work)
{
	/* pca_fit follows sklearn's svd_flip; with one feature the second
	 * column stays zero (sklearn would refuse) */
	size_t d = D < 2 ? D : 2;
	if (pca_fit(X, N, D, d, work, NULL, NULL, NULL) < 0)
		return -1;
	for (size_t i = 0; i < N; i++) {
		Y[2 * i] = work[i * d];
		Y[2 * i + 1] = d > 1 ? work[i * d + 1] : 0;
	}
	/* / std(col 0) * 1e-4 in float32 as numpy */
	double m0 = 0, v0 = 0;
	for (size_t i = 0; i < N; i++)
		m0 += Y[2 * i];
	m0 /= (double)N;
	for (size_t i = 0; i < N; i++)
		v0 += (Y[2 * i] - m0) * (Y[2 * i] - m0);
	float sd = (float)sqrt(v0 / (double)N);
	if (!(sd > 0))
		return -1;
	for (size_t i = 0; i < 2 * N; i++)
		Y[i] = (float)((float)Y[i] / sd) * 1e-4f;
	return 0;
}

/* ---- gradients -------------------------------------------------------- */

static void
attractive_plain(double *attr, const struct tsne_p *P, double exaggeration,
    const double *Y, size_t N, double *rowkl)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++) {
		double fx = 0, fy = 0, k = 0;
		double yx = Y[2 * i], yy = Y[2 * i + 1];
		for (size_t m = P->indptr[i]; m < P->indptr[i + 1]; m++) {
			size_t j = P->indices[m];
			double dx = yx - Y[2 * j], dy = yy - Y[2 * j + 1];
			double w = 1.0 / (1.0 + dx * dx + dy * dy);
			double p = P->val[m] * exaggeration;
			fx += p * w * dx;
			fy += p * w * dy;
			if (rowkl && p > 0)
				k += p * log(p / w);
		}
		attr[2 * i] = fx;
		attr[2 * i + 1] = fy;
		if (rowkl)
			rowkl[i] = k;
	}
}

/* The same sums four neighbours at a time (gathered coordinates, a
 * vector division), then the row's remainder one by one; the order of
 * the additions differs from the plain twin's. */
__attribute__((target("avx2,fma"))) static void
attractive_avx2(double *attr, const struct tsne_p *P, double exaggeration,
    const double *Y, size_t N)
{
	_Static_assert(sizeof(size_t) == 8, "size_t is 64 bits");
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++) {
		const double yx = Y[2 * i], yy = Y[2 * i + 1];
		const __m256d vx = _mm256_set1_pd(yx), vy = _mm256_set1_pd(yy);
		const __m256d one = _mm256_set1_pd(1.0);
		const __m256d ex = _mm256_set1_pd(exaggeration);
		__m256d fx = _mm256_setzero_pd(), fy = _mm256_setzero_pd();
		size_t m = P->indptr[i], e = P->indptr[i + 1];
		for (; m + 4 <= e; m += 4) {
			__m256i j = _mm256_loadu_si256((const __m256i *)
			    (P->indices + m));
			j = _mm256_add_epi64(j, j);
			__m256d gx = _mm256_i64gather_pd(Y, j, 8);
			__m256d gy = _mm256_i64gather_pd(Y + 1, j, 8);
			__m256d dx = _mm256_sub_pd(vx, gx);
			__m256d dy = _mm256_sub_pd(vy, gy);
			__m256d d2 = _mm256_fmadd_pd(dx, dx,
			    _mm256_fmadd_pd(dy, dy, one));
			__m256d pw = _mm256_div_pd(_mm256_mul_pd(
			    _mm256_loadu_pd(P->val + m), ex), d2);
			fx = _mm256_fmadd_pd(pw, dx, fx);
			fy = _mm256_fmadd_pd(pw, dy, fy);
		}
		double lx[4], ly[4];
		_mm256_storeu_pd(lx, fx);
		_mm256_storeu_pd(ly, fy);
		double sx = (lx[0] + lx[1]) + (lx[2] + lx[3]);
		double sy = (ly[0] + ly[1]) + (ly[2] + ly[3]);
		for (; m < e; m++) {
			size_t jj = P->indices[m];
			double dx = yx - Y[2 * jj], dy = yy - Y[2 * jj + 1];
			double w = 1.0 / (1.0 + dx * dx + dy * dy);
			double p = P->val[m] * exaggeration;
			sx += p * w * dx;
			sy += p * w * dy;
		}
		attr[2 * i] = sx;
		attr[2 * i + 1] = sy;
	}
}

void
tsne_attractive(double *attr, const struct tsne_p *P, double exaggeration,
    const double *Y, size_t N, double *rowkl)
{
	/* the KL terms (every 50 iterations) come from the plain code */
	if (!rowkl && tsne_simd(-1) > 0)
		attractive_avx2(attr, P, exaggeration, Y, N);
	else
		attractive_plain(attr, P, exaggeration, Y, N, rowkl);
}

/* Sums over points are taken per row in parallel and added serially,
 * never by an OpenMP reduction (whose order is unspecified), so the
 * result is the same bytes on every run. */

void
tsne_gradient_exact(double *grad, const struct tsne_p *P,
    double exaggeration, const double *Y, size_t N, double *rowz,
    double *kl)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++) {
		double z = 0, rx = 0, ry = 0;
		double yx = Y[2 * i], yy = Y[2 * i + 1];
		for (size_t j = 0; j < N; j++) {
			if (j == i)
				continue;
			double dx = yx - Y[2 * j], dy = yy - Y[2 * j + 1];
			double w = 1.0 / (1.0 + dx * dx + dy * dy);
			z += w;
			rx += w * w * dx;
			ry += w * w * dy;
		}
		rowz[i] = z;
		grad[2 * i] = rx;
		grad[2 * i + 1] = ry;
	}
	double Z = 0;
	for (size_t i = 0; i < N; i++)
		Z += rowz[i];
	/* attractive part; rowz is reused for each row's KL terms */
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++) {
		double fx = 0, fy = 0, k = 0;
		double yx = Y[2 * i], yy = Y[2 * i + 1];
		for (size_t m = P->indptr[i]; m < P->indptr[i + 1]; m++) {
			size_t j = P->indices[m];
			double dx = yx - Y[2 * j], dy = yy - Y[2 * j + 1];
			double w = 1.0 / (1.0 + dx * dx + dy * dy);
			double p = P->val[m] * exaggeration;
			fx += p * w * dx;
			fy += p * w * dy;
			if (p > 0)
				k += p * log(p / (w / Z));
		}
		rowz[i] = k;
		grad[2 * i] = 4.0 * (fx - grad[2 * i] / Z);
		grad[2 * i + 1] = 4.0 * (fy - grad[2 * i + 1] / Z);
	}
	if (kl) {
		double klsum = 0;
		for (size_t i = 0; i < N; i++)
			klsum += rowz[i];
		*kl = klsum;
	}
}

double
tsne_kl_exact(const struct tsne_p *P, const double *Y, size_t N,
    double *rowz)
{
#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < N; i++) {
		double z = 0;
		double yx = Y[2 * i], yy = Y[2 * i + 1];
		for (size_t j = 0; j < N; j++) {
			if (j == i)
				continue;
			double dx = yx - Y[2 * j], dy = yy - Y[2 * j + 1];
			z += 1.0 / (1.0 + dx * dx + dy * dy);
		}
		rowz[i] = z;
	}
	double Z = 0;
	for (size_t i = 0; i < N; i++)
		Z += rowz[i];
	double kl = 0;
	for (size_t i = 0; i < N; i++)
		for (size_t m = P->indptr[i]; m < P->indptr[i + 1]; m++) {
			size_t j = P->indices[m];
			double dx = Y[2 * i] - Y[2 * j];
			double dy = Y[2 * i + 1] - Y[2 * j + 1];
			double q = 1.0 / (1.0 + dx * dx + dy * dy) / Z;
			double p = P->val[m];
			if (p > 0)
				kl += p * log(p / q);
		}
	return kl;
}

/* ---- the driver --------------------------------------------------------- */

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int
build_p(struct tsne_p *P, const float *X, size_t N, size_t D, size_t K,
    double perplexity)
{
	size_t *idx = malloc(N * K * sizeof *idx);
	double *dist2 = malloc(N * K * sizeof *dist2);
	int64_t *kidx = malloc(N * K * sizeof *kidx);
	float *kdist = malloc(N * K * sizeof *kdist);
	double *cond = malloc(N * K * sizeof *cond);
	size_t *colcount = malloc((N + 1) * sizeof *colcount);
	size_t *cursor = malloc(N * sizeof *cursor);
	size_t *tcol = malloc(N * K * sizeof *tcol);
	double *tval = malloc(N * K * sizeof *tval);
	int rc = -1;
	memset(P, 0, sizeof *P);
	P->indptr = malloc((N + 1) * sizeof *P->indptr);
	if (!idx || !dist2 || !kidx || !kdist || !cond || !colcount ||
	    !cursor || !tcol || !tval || !P->indptr)
		goto out;
	if (tsne_knn(idx, dist2, X, N, D, K, kidx, kdist) < 0)
		goto out;
	free(kidx);
	free(kdist);
	kidx = NULL;
	kdist = NULL;
	tsne_binary_search(cond, dist2, N, K, perplexity);
	tsne_symmetrize_count(P, idx, N, K, colcount);
	size_t cap = 0;
	for (size_t i = 0; i < N; i++)
		cap += K + colcount[i];
	P->indices = malloc(cap * sizeof *P->indices);
	P->val = malloc(cap * sizeof *P->val);
	if (!P->indices || !P->val)
		goto out;
	tsne_symmetrize_fill(P, idx, cond, N, K, colcount, cursor, tcol, tval);
	rc = 0;
out:
	free(idx);
	free(dist2);
	free(kidx);
	free(kdist);
	free(cond);
	free(colcount);
	free(cursor);
	free(tcol);
	free(tval);
	if (rc < 0) {
		tsne_p_free(P);
		errno = ENOMEM;
	}
	return rc;
}

int
tsne_run(float *Yout, const float *X, size_t N, size_t D,
    const struct tsne_options *o, struct tsne_result *res)
{
	memset(res, 0, sizeof *res);
	if (N < 2 || D < 1 || !(o->perplexity > 0) ||
	    o->perplexity >= (double)N) {
		errno = EINVAL;
		return -1;
	}
	size_t K = tsne_neighbors(N, o->perplexity);
	struct tsne_p P;
	double t0 = now();
	if (build_p(&P, X, N, D, K, o->perplexity) < 0)
		return -1;
	res->neighbors = K;
	res->seconds_affinities = now() - t0;
	t0 = now();

	double *Y = malloc(2 * N * sizeof *Y);
	double *grad = malloc(2 * N * sizeof *grad);
	double *update = malloc(2 * N * sizeof *update);
	double *gains = malloc(2 * N * sizeof *gains);
	double *rowz = malloc(N * sizeof *rowz);
	float *pw = NULL;
	struct tsne_fft *f = NULL;
	int rc = -1, err = ENOMEM;
	if (!Y || !grad || !update || !gains || !rowz)
		goto out;
	if (o->init == TSNE_INIT_PCA) {
		pw = malloc(2 * N * sizeof *pw);
		if (!pw)
			goto out;
		if (tsne_init_pca(Y, X, N, D, pw) < 0) {
			err = errno == ENOMEM ? ENOMEM : EINVAL;
			goto out;
		}
	} else {
		struct rng r;
		rng_seed(&r, o->seed);
		for (size_t i = 0; i < 2 * N; i++)
			Y[i] = (float)(1e-4 * (float)rng_normal(&r));
	}
	if (o->method == TSNE_FFT) {
		f = tsne_fft_alloc(N, blas_threads());
		if (!f)
			goto out;
	}
	double lr = o->learning_rate;
	if (!(lr > 0)) {
		lr = (double)N / o->exaggeration / 4;
		if (lr < 50)
			lr = 50;
	}
	res->learning_rate = lr;

	size_t it = 0;
	size_t stage_end[2] = { o->early_iterations, o->iterations };
	if (stage_end[0] > o->iterations)
		stage_end[0] = o->iterations;
	for (int stage = 0; stage < 2; stage++) {
		double exag = stage == 0 ? o->exaggeration : 1.0;
		double mom = stage == 0 ? 0.5 : 0.8;
		size_t without = stage == 0 ? 250 : 300;
		double best = DBL_MAX;
		size_t best_it = it;
		for (size_t i = 0; i < 2 * N; i++) {
			update[i] = 0;
			gains[i] = 1;
		}
		for (; it < stage_end[stage]; it++) {
			int check = (it + 1) % 50 == 0;
			double kl = 0;
			if (o->method == TSNE_FFT)
				tsne_gradient_fft(grad, &P, exag, Y, N, f,
				    check ? &kl : NULL);
			else
				tsne_gradient_exact(grad, &P, exag, Y, N,
				    rowz, check ? &kl : NULL);
			double gn = 0;
			for (size_t i = 0; i < 2 * N; i++) {
				if (update[i] * grad[i] < 0)
					gains[i] += 0.2;
				else
					gains[i] *= 0.8;
				if (gains[i] < 0.01)
					gains[i] = 0.01;
				grad[i] *= gains[i];
				gn += grad[i] * grad[i];
				update[i] = mom * update[i] - lr * grad[i];
				Y[i] += update[i];
			}
			if (!isfinite(gn)) {
				/* diverged (the FFT interpolation on a
				 * handful of points, say): never write NaN */
				err = ERANGE;
				res->iterations = it + 1;
				goto out;
			}
			if (check) {
				if (o->progress)
					o->progress(o->progress_ctx, it + 1,
					    kl);
				if (kl < best) {
					best = kl;
					best_it = it;
				} else if (it - best_it > without) {
					it++;
					break;
				}
				if (sqrt(gn) <= 1e-7) {
					it++;
					break;
				}
			}
		}
	}
	res->iterations = it;
	res->seconds_optimize = now() - t0;
	res->kl = tsne_kl_exact(&P, Y, N, rowz);
	for (size_t i = 0; i < 2 * N; i++)
		Yout[i] = (float)Y[i];
	rc = 0;
out:
	free(Y);
	free(grad);
	free(update);
	free(gains);
	free(rowz);
	free(pw);
	tsne_fft_free(f);
	tsne_p_free(&P);
	if (rc < 0)
		errno = err;
	return rc;
}
