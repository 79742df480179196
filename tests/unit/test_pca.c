/* test_pca.c - pca_fit against scikit-learn 1.2 PCA(svd_solver='full')
 * (tests/reference/gen_spectral.py): projections with sklearn's signs,
 * components, explained variance and ratios. */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "npy.h"
#include "pca.h"

#define FIX "tests/fixtures/spectral/"

/* Read array idx of a stream file converted to double; shape in h. */
static double *
load(const char *path, int idx, struct npy_header *h)
{
	FILE *fp = fopen(path, "rb");
	struct npy_reader r;
	void *raw;
	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	npy_reader_init(&r, fp, path);
	for (int i = 0; i <= idx; i++)
		if (npy_next(&r) != 1) {
			fprintf(stderr, "%s: array %d missing: %s\n", path, idx,
			    r.err);
			exit(1);
		}
	if (npy_read_all(&r, &raw) < 0) {
		fprintf(stderr, "%s\n", r.err);
		exit(1);
	}
	*h = r.h;
	size_t n = npy_count(h);
	double *out = malloc((n ? n : 1) * sizeof *out);
	npy_convert(NPY_F64, out, h->dtype, raw, n);
	free(raw);
	fclose(fp);
	return out;
}

int
main(void)
{
	struct npy_header h;
	blas_init(2, 0);
	double *Xd = load(FIX "pca_in.npy", 0, &h);
	size_t N = h.shape[0], D = h.shape[1], d = 3;
	double *Yr = load(FIX "pca_ref.npy", 0, &h);
	CHECK(h.shape[0] == N && h.shape[1] == d);
	double *Cr = load(FIX "pca_ref.npy", 1, &h);
	double *ratio_r = load(FIX "pca_ref.npy", 2, &h);
	double *var_r = load(FIX "pca_ref.npy", 3, &h);

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

	free(Xd), free(Yr), free(Cr), free(ratio_r), free(var_r), free(X);
	free(Y), free(W), free(Yrf), free(Crf), free(Y2), free(W2), free(r2);
	return check_done();
}
