/* test_pca.c - pca_fit against scikit-learn 1.2 PCA(svd_solver='full')
 * (tests/reference/gen_spectral.py): projections with sklearn's signs,
 * components, explained variance and ratios. */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "fixture.h"
#include "eig.h"
#include "npy.h"
#include "pca.h"
#include "rng.h"

#define FIX "tests/fixtures/spectral/"

/*
 * D > PCA_DENSE_MAX takes the Lanczos path: compare with the dense solver
 * on the covariance computed here in plain double loops.
 */
static void
test_lanczos_path(void)
{
	size_t N = 700, D = PCA_DENSE_MAX + 88, d = 3;
	struct rng r;
	rng_seed(&r, 11);
	float *X = malloc(N * D * sizeof *X);
	for (size_t i = 0; i < N; i++) {
		double z[4] = { 9 * rng_normal(&r), 6 * rng_normal(&r),
		    4 * rng_normal(&r), 3 * rng_normal(&r) };
		for (size_t j = 0; j < D; j++)
			X[i * D + j] = (float)(z[j % 4] * ((j % 7) + 1) / 7.0 +
			    rng_normal(&r) + 2.0);
	}
	double *mean = calloc(D, sizeof *mean), *S = calloc(D * D, sizeof *S);
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < D; j++)
			mean[j] += X[i * D + j] / (double)N;
	for (size_t i = 0; i < N; i++)
		for (size_t a = 0; a < D; a++) {
			double xa = X[i * D + a] - mean[a];
			for (size_t b = a; b < D; b++)
				S[a * D + b] += xa * (X[i * D + b] - mean[b]);
		}
	double total = 0;
	for (size_t j = 0; j < D; j++)
		total += S[j * D + j];
	double w[3], V[3 * (PCA_DENSE_MAX + 88)];
	double *work = malloc(eig_work_size(D) * sizeof *work);
	eig_sym_select(S, D, D - d, d, w, V, work);
	float *Y = malloc(N * d * sizeof *Y), *W = malloc(d * D * sizeof *W);
	double var[3], ratio[3], want_var[3], want_ratio[3];
	CHECK(pca_fit(X, N, D, d, Y, W, var, ratio) == 0);
	double worst = 0;
	for (size_t k = 0; k < d; k++) {
		const double *v = V + (d - 1 - k) * D;
		want_var[k] = w[d - 1 - k] / (double)(N - 1);
		want_ratio[k] = w[d - 1 - k] / total;
		double dot = 0;
		for (size_t j = 0; j < D; j++)
			dot += v[j] * W[k * D + j];
		worst = fmax(worst, 1 - fabs(dot));
	}
	printf("lanczos path: D %zu, worst 1 - |cos| between axes %.3g\n", D,
	    worst);
	CHECK(worst <= 1e-6);
	check_close_f64("lanczos path variance", var, want_var, d, 0, 1e-6);
	check_close_f64("lanczos path ratio", ratio, want_ratio, d, 0, 1e-6);
	free(X), free(mean), free(S), free(work), free(Y), free(W);
}

int
main(void)
{
	struct npy_header h;
	blas_init(2, 0);
	double *Xd = fixture_load(FIX "pca_in.npy", 0, NPY_F64, &h);
	size_t N = h.shape[0], D = h.shape[1], d = 3;
	double *Yr = fixture_load(FIX "pca_ref.npy", 0, NPY_F64, &h);
	CHECK(h.shape[0] == N && h.shape[1] == d);
	double *Cr = fixture_load(FIX "pca_ref.npy", 1, NPY_F64, &h);
	double *ratio_r = fixture_load(FIX "pca_ref.npy", 2, NPY_F64, &h);
	double *var_r = fixture_load(FIX "pca_ref.npy", 3, NPY_F64, &h);

	float *X = malloc(N * D * sizeof *X), *Y = malloc(N * d * sizeof *Y);
	float *W = malloc(d * D * sizeof *W);
	float *Yrf = malloc(N * d * sizeof *Yrf), *Crf = malloc(d * D * sizeof *Crf);
	double var[3], ratio[3];
	for (size_t i = 0; i < N * D; i++)
		X[i] = (float)Xd[i];
	for (size_t i = 0; i < N * d; i++)
		Yrf[i] = (float)Yr[i];
	for (size_t i = 0; i < d * D; i++)
		Crf[i] = (float)Cr[i];

	CHECK(pca_fit(X, N, D, d, Y, W, var, ratio) == 0);
	/* same signs as sklearn, so compared directly (scale ~30) */
	check_close_f32("projections", Y, Yrf, N * d, 1e-4, 1e-5);
	check_close_f32("components", W, Crf, d * D, 1e-5, 0);
	check_close_f64("explained ratio", ratio, ratio_r, d, 1e-7, 1e-6);
	check_close_f64("explained variance", var, var_r, d, 0, 1e-5);

	/* d = D: all components; ratios sum to 1 */
	float *Y2 = malloc(N * D * sizeof *Y2), *W2 = malloc(D * D * sizeof *W2);
	double *r2 = malloc(D * sizeof *r2);
	CHECK(pca_fit(X, N, D, D, Y2, W2, NULL, r2) == 0);
	double s = 0;
	for (size_t k = 0; k < D; k++)
		s += r2[k];
	double one = 1;
	check_close_f64("ratios sum to 1 at d = D", &s, &one, 1, 1e-9, 0);
	/* the first three match the d = 3 run */
	for (size_t k = 0; k < d; k++)
		check_close_f32("d = D leading columns", &W2[k * D], &W[k * D], D,
		    1e-6, 0);

	/* bad arguments */
	CHECK(pca_fit(X, N, D, 0, Y, NULL, NULL, NULL) == -1);
	CHECK(pca_fit(X, N, D, D + 1, Y2, NULL, NULL, NULL) == -1);
	CHECK(pca_fit(X, 1, D, 1, Y, NULL, NULL, NULL) == -1);

	test_lanczos_path();
	free(Xd), free(Yr), free(Cr), free(ratio_r), free(var_r), free(X);
	free(Y), free(W), free(Yrf), free(Crf), free(Y2), free(W2), free(r2);
	return check_done();
}
