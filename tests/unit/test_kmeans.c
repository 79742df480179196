/*
 * test_kmeans.c - Lloyd, Hamerly and Elkan against scikit-learn 1.2 from the
 * same starting centres (labels equal, centres to 1e-5), and k-means++
 * restarts against sklearn's best inertia.
 */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "fixture.h"
#include "kmeans.h"
#include "npy.h"

#define DIR "tests/fixtures/cluster/"

/* Run from sklearn's starting centres; compare with its result. */
static void
from_init(const char *tag, const char *pts, const char *init,
    const char *out, size_t max_iter, int hamerly)
{
	struct npy_header hx, hc, h;
	char what[96];
	float *X = fixture_load(pts, 0, NPY_F32, &hx);
	float *C = fixture_load(init, 0, NPY_F32, &hc);
	int32_t *want_l = fixture_load(out, 0, NPY_I32, &h);
	float *want_c = fixture_load(out, 1, NPY_F32, &h);
	double *want_in = fixture_load(out, 2, NPY_F64, &h);
	int64_t *want_it = fixture_load(out, 3, NPY_I64, &h);
	size_t N = hx.shape[0], D = hx.shape[1], K = hc.shape[0];
	double mean[64];
	struct kmeans_ws ws;
	int32_t *lab = malloc(N * sizeof *lab);

	double tol = kmeans_tolerance(X, N, D, 1e-4);
	kmeans_center(mean, X, N, D);
	for (size_t k = 0; k < K; k++)
		for (size_t d = 0; d < D; d++)
			C[k * D + d] = (float)(C[k * D + d] - mean[d]);
	CHECK(kmeans_ws_alloc(&ws, N, D, K) == 0);
	struct kmeans_result res = hamerly == 2 ?
	    kmeans_elkan(lab, C, &ws, X, max_iter, tol) : hamerly ?
	    kmeans_hamerly(lab, C, &ws, X, max_iter, tol) :
	    kmeans_lloyd(lab, C, &ws, X, max_iter, tol);
	for (size_t k = 0; k < K; k++)
		for (size_t d = 0; d < D; d++)
			C[k * D + d] = (float)(C[k * D + d] + mean[d]);
	size_t diff = 0;
	for (size_t i = 0; i < N; i++)
		diff += lab[i] != want_l[i];
	if (diff)
		fprintf(stderr, "%s: %zu labels differ\n", tag, diff);
	CHECK(diff == 0);
	snprintf(what, sizeof what, "%s centres", tag);
	check_close_f32(what, C, want_c, K * D, 1e-5, 1e-5);
	snprintf(what, sizeof what, "%s inertia", tag);
	check_close_f64(what, &res.inertia, want_in, 1, 0, 1e-5);
	if (res.iters != (size_t)want_it[0])
		fprintf(stderr, "%s: %zu iterations, sklearn %lld\n", tag,
		    res.iters, (long long)want_it[0]);
	CHECK(res.iters == (size_t)want_it[0]);
	kmeans_ws_free(&ws);
	free(X);
	free(C);
	free(want_l);
	free(want_c);
	free(want_in);
	free(want_it);
	free(lab);
}

/* Ten k-means++ restarts reach sklearn's best inertia within 0.1 %. */
static void
restarts(void)
{
	struct npy_header hx, h;
	float *X = fixture_load(DIR "km_mix.npy", 0, NPY_F32, &hx);
	double *best = fixture_load(DIR "km_mix_best.npy", 0, NPY_F64, &h);
	size_t N = hx.shape[0], D = hx.shape[1], K = 6;
	double mean[64], low = INFINITY;
	struct kmeans_ws ws;
	float *C = malloc(K * D * sizeof *C);
	int32_t *lab = malloc(N * sizeof *lab);
	double tol = kmeans_tolerance(X, N, D, 1e-4);
	kmeans_center(mean, X, N, D);
	CHECK(kmeans_ws_alloc(&ws, N, D, K) == 0);
	for (uint64_t r = 0; r < 10; r++) {
		struct rng g;
		rng_split(&g, 0, r);
		kmeans_plusplus(C, &ws, X, &g);
		struct kmeans_result res = kmeans_elkan(lab, C, &ws, X, 300,
		    tol);
		low = res.inertia < low ? res.inertia : low;
	}
	printf("restarts: best inertia %.9g, sklearn %.9g\n", low, best[0]);
	CHECK(low <= best[0] * 1.001);
	kmeans_ws_free(&ws);
	free(X);
	free(best);
	free(C);
	free(lab);
}

int
main(void)
{
	blas_init(1, 0);
	for (int hm = 0; hm < 3; hm++) {
		const char *name = hm == 2 ? "elkan" : hm ? "hamerly" :
		    "lloyd";
		char tag[64];
		snprintf(tag, sizeof tag, "%s blobs", name);
		from_init(tag, DIR "km_blobs.npy", DIR "km_blobs_init.npy",
		    DIR "km_blobs_out.npy", 300, hm);
		snprintf(tag, sizeof tag, "%s mix", name);
		from_init(tag, DIR "km_mix.npy", DIR "km_mix_init.npy",
		    DIR "km_mix_out300.npy", 300, hm);
		snprintf(tag, sizeof tag, "%s mix max_iter 3", name);
		from_init(tag, DIR "km_mix.npy", DIR "km_mix_init.npy",
		    DIR "km_mix_out3.npy", 3, hm);
	}
	restarts();
	return check_done();
}
