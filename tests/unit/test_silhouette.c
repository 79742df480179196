/*
 * test_silhouette.c - per-sample silhouettes and their mean against
 * scikit-learn 1.2 (a duplicate point, a singleton cluster, sparse label
 * values), for the float32 and float64 GEMM paths and the plain
 * reference, at one and two threads.
 */
#include <omp.h>
#include <string.h>

#include "blas.h"
#include "check.h"
#include "fixture.h"
#include "npy.h"
#include "silhouette.h"

#define DIR "tests/fixtures/cluster/"

int
main(void)
{
	struct npy_header hx, h;
	float *X = fixture_load(DIR "sil_in.npy", 0, NPY_F32, &hx);
	int64_t *y = fixture_load(DIR "sil_in.npy", 1, NPY_I64, &h);
	double *want = fixture_load(DIR "sil_samples.npy", 0, NPY_F64, &h);
	double *score = fixture_load(DIR "sil_score.npy", 0, NPY_F64, &h);
	size_t N = hx.shape[0], D = hx.shape[1], L = 0;
	int64_t values[16];
	int32_t *lab = malloc(N * sizeof *lab);
	double *s = malloc(N * sizeof *s);
	char what[64];

	/* dense labels in value order, as the tool makes them */
	for (size_t i = 0; i < N; i++) {
		size_t l = 0;
		while (l < L && values[l] != y[i])
			l++;
		if (l == L)
			values[L++] = y[i];
	}
	for (size_t a = 0; a < L; a++)          /* sort the few values */
		for (size_t b = a + 1; b < L; b++)
			if (values[b] < values[a]) {
				int64_t t = values[a];
				values[a] = values[b];
				values[b] = t;
			}
	for (size_t i = 0; i < N; i++)
		for (size_t l = 0; l < L; l++)
			if (values[l] == y[i])
				lab[i] = (int32_t)l;
	CHECK(L == 6);

	double m = silhouette_ref(s, X, lab, N, D, L);
	check_close_f64("reference samples", s, want, N, 1e-6, 1e-5);
	check_close_f64("reference mean", &m, score, 1, 0, 1e-6);
	for (int threads = 1; threads <= 2; threads++) {
		blas_init((size_t)threads, 0);
		for (int precise = 0; precise < 2; precise++) {
			struct silhouette_ws ws;
			CHECK(silhouette_ws_alloc(&ws, X, lab, N, D, L,
			    precise) == 0);
			memset(s, 0, N * sizeof *s);
			m = silhouette_samples(s, &ws);
			snprintf(what, sizeof what, "%s, %d thread(s): samples",
			    precise ? "float64" : "float32", threads);
			check_close_f64(what, s, want, N, 1e-6, 1e-5);
			snprintf(what, sizeof what, "%s, %d thread(s): mean",
			    precise ? "float64" : "float32", threads);
			check_close_f64(what, &m, score, 1, 0, 1e-6);
			silhouette_ws_free(&ws);
		}
	}
	CHECK(s[7] == 0);           /* the singleton */
	free(X);
	free(y);
	free(want);
	free(score);
	free(lab);
	free(s);
	return check_done();
}
