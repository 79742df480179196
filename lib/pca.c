/* pca.c - exact PCA: blocked covariance, dense eigensolver, projection,
 * scikit-learn's sign convention.  See pca.h. */
#include "pca.h"

#include <blis.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "eig.h"
#include "lanczos.h"

/* Column means in double; threads split the columns. */
static void
pca_mean(double *mean /*[D]*/, const float *X /*[N,D]*/, size_t N, size_t D)
{
	#pragma omp parallel
	{
		#pragma omp for schedule(static)
		for (size_t j = 0; j < D; j++)
			mean[j] = 0;
		/* each thread sums a column range over all rows */
		#pragma omp for schedule(static)
		for (size_t c = 0; c < (D + 63) / 64; c++) {
			size_t j0 = c * 64, j1 = j0 + 64 < D ? j0 + 64 : D;
			double s[64] = { 0 };
			for (size_t i = 0; i < N; i++)
				for (size_t j = j0; j < j1; j++)
					s[j - j0] += X[i * D + j];
			for (size_t j = j0; j < j1; j++)
				mean[j] = s[j - j0] / (double)N;
		}
	}
}

/* Xc[B,D] = X[B,D] - mean, in float. */
static void
pca_center(float *Xc, const float *X, const double *mean, size_t B, size_t D)
{
	#pragma omp parallel for schedule(static) if (B * D >= ((size_t)1 << 20))
	for (size_t i = 0; i < B; i++)
		for (size_t j = 0; j < D; j++)
			Xc[i * D + j] = (float)((double)X[i * D + j] - mean[j]);
}

/*
 * S[D,D] (upper triangle) = sum of (X - mean)^T (X - mean): a float
 * rank-B update per block of rows (BLIS ssyrk), each block's
 * result added into S in double so the rounding error grows with the
 * block length only, not with N.
 */
static void
pca_scatter(double *S /*[D,D]*/, float *Cb /*[D,D]*/, float *Xc /*[B,D]*/,
    const float *X, const double *mean, size_t N, size_t D)
{
	memset(S, 0, D * D * sizeof *S);
	size_t R = pca_block_rows(D);
	for (size_t i0 = 0; i0 < N; i0 += R) {
		size_t B = N - i0 < R ? N - i0 : R;
		pca_center(Xc, X + i0 * D, mean, B, D);
		cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (f77_int)D,
		    (f77_int)B, 1.0f, Xc, (f77_int)D, 0.0f, Cb, (f77_int)D);
		#pragma omp parallel for schedule(dynamic, 16) if (D >= 512)
		for (size_t r = 0; r < D; r++)
			for (size_t c = r; c < D; c++)
				S[r * D + c] += Cb[r * D + c];
	}
}

struct covop {
	const double *S;        /* [D,D], both triangles */
	size_t D;
};

static void
covop_apply(double *y, const double *x, void *ctx)
{
	const struct covop *o = ctx;
	size_t D = o->D;
	#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < D; i++) {
		const double *row = o->S + i * D;
		double s = 0;
		for (size_t j = 0; j < D; j++)
			s += row[j] * x[j];
		y[i] = s;
	}
}

/*
 * The d largest eigenpairs of S (upper triangle given; vectors as rows
 * of V, ascending w).  Small or wide problems: the dense solver.  A few
 * pairs of a large matrix: the dense reduction alone would cost 4/3 D^3
 * memory-bound flops, so Lanczos on S (one D x D product a step) finds
 * them instead, to a residual of 1e-11 |S|.
 */
static void
pca_top_eigen(double *S, size_t D, size_t d, double *w, double *V,
    double *work)
{
	if (D <= PCA_DENSE_MAX || 8 * d > D) {
		eig_sym_select(S, D, D - d, d, w, V, work);
		return;
	}
	for (size_t i = 0; i < D; i++)
		for (size_t j = 0; j < i; j++)
			S[i * D + j] = S[j * D + i];
	struct covop o = { S, D };
	double *wd = malloc(d * sizeof *wd), *Vd = malloc(d * D * sizeof *Vd);
	if (wd == NULL || Vd == NULL ||
	    lanczos_largest(wd, Vd, covop_apply, &o, D, d, 0, 1e-11, 0, 1,
	    NULL) < 0) {
		/* no memory for the basis: fall back to the dense solver */
		free(wd), free(Vd);
		eig_sym_select(S, D, D - d, d, w, V, work);
		return;
	}
	for (size_t k = 0; k < d; k++) {      /* descending -> ascending */
		w[k] = wd[d - 1 - k];
		memcpy(V + k * D, Vd + (d - 1 - k) * D, D * sizeof *V);
	}
	free(wd), free(Vd);
}

size_t
pca_block_rows(size_t D)
{
	size_t r = PCA_BLOCK_FLOATS / (D ? D : 1);
	return r < 256 ? 256 : r;
}

int
pca_fit(const float *X, size_t N, size_t D, size_t d, float *Y,
    float *components, double *variance, double *ratio)
{
	if (N < 2 || d < 1 || d > D || d > N) {
		errno = EINVAL;
		return -1;
	}
	size_t R = pca_block_rows(D), B = N < R ? N : R;
	double *mean = malloc(D * sizeof *mean);
	double *S = malloc(D * D * sizeof *S);
	double *V = malloc(d * D * sizeof *V);
	double *w = malloc(d * sizeof *w);
	double *work = malloc(eig_work_size(D) * sizeof *work);
	float *Cb = malloc(D * D * sizeof *Cb);
	float *Xc = malloc(B * D * sizeof *Xc);
	float *W = malloc(d * D * sizeof *W);
	int rc = -1;
	if (!mean || !S || !V || !w || !work || !Cb || !Xc || !W) {
		errno = ENOMEM;
		goto out;
	}
	pca_mean(mean, X, N, D);
	pca_scatter(S, Cb, Xc, X, mean, N, D);
	free(Cb);
	Cb = NULL;
	double total = 0;
	for (size_t j = 0; j < D; j++)
		total += S[j * D + j];
	total /= (double)(N - 1);
	pca_top_eigen(S, D, d, w, V, work);

	/* descending order: component k is eigenpair D-1-k */
	for (size_t k = 0; k < d; k++) {
		const double *v = V + (d - 1 - k) * D;
		double lam = w[d - 1 - k] / (double)(N - 1);
		if (lam < 0)
			lam = 0;
		if (variance != NULL)
			variance[k] = lam;
		if (ratio != NULL)
			ratio[k] = total > 0 ? lam / total : 0;
		for (size_t j = 0; j < D; j++)
			W[k * D + j] = (float)v[j];
	}

	/* Y = (X - mean) W^T, block by block */
	for (size_t i0 = 0; i0 < N; i0 += R) {
		size_t b = N - i0 < R ? N - i0 : R;
		pca_center(Xc, X + i0 * D, mean, b, D);
		sgemm(0, 1, b, d, D, 1.0f, Xc, D, W, D, 0.0f, Y + i0 * d, d);
	}

	/* svd_flip(u_based_decision=True): the entry of largest |.| in each
	 * column of U (so of Y = U S) is made positive */
	for (size_t k = 0; k < d; k++) {
		size_t best = 0;
		float big = -1;
		for (size_t i = 0; i < N; i++)
			if (fabsf(Y[i * d + k]) > big) {
				big = fabsf(Y[i * d + k]);
				best = i;
			}
		if (Y[best * d + k] < 0) {
			for (size_t i = 0; i < N; i++)
				Y[i * d + k] = -Y[i * d + k];
			for (size_t j = 0; j < D; j++)
				W[k * D + j] = -W[k * D + j];
		}
	}
	if (components != NULL)
		memcpy(components, W, d * D * sizeof *W);
	rc = 0;
out:
	free(mean), free(S), free(V), free(w), free(work), free(Cb), free(Xc);
	free(W);
	return rc;
}
