/* test_knn.c - knn_search against a float64 brute force (the fixtures of
 * tests/reference/gen_spectral.py and knn_search_ref), ties, farthest,
 * density, data whose float distances cancel badly, and a tight cluster
 * with far outliers. */
#include <stdint.h>
#include <string.h>

#include "blas.h"
#include "check.h"
#include "fixture.h"
#include "knn.h"
#include "npy.h"
#include "rng.h"

#define FIX "tests/fixtures/spectral/"

static void
check_same_idx(const char *what, const int64_t *got, const int64_t *want,
    size_t n)
{
	size_t bad = 0, first = 0;
	for (size_t i = 0; i < n; i++)
		if (got[i] != want[i] && bad++ == 0)
			first = i;
	if (bad) {
		fprintf(stderr, "%s: FAIL %zu of %zu indices differ, first at "
		    "[%zu]: got %lld want %lld\n", what, bad, n, first,
		    (long long)got[first], (long long)want[first]);
		check_failures++;
	} else {
		printf("%s: ok (%zu indices identical)\n", what, n);
	}
}

static void
against_fixture(const char *what, const char *ref, const float *Q, size_t M,
    const float *B, size_t N, size_t D, size_t k, int flags)
{
	struct npy_header h;
	int64_t *wi = fixture_load(ref, 0, NPY_I64, &h);
	float *wd = fixture_load(ref, 1, NPY_F32, &h);
	int64_t *idx = malloc(M * k * sizeof *idx);
	float *dist = malloc(M * k * sizeof *dist);
	char name[128];
	CHECK(knn_search(idx, dist, Q, M, B, N, D, k, flags, NULL) == 0);
	snprintf(name, sizeof name, "%s indices", what);
	check_same_idx(name, idx, wi, M * k);
	snprintf(name, sizeof name, "%s distances", what);
	check_close_f32(name, dist, wd, M * k, 1e-4, 1e-6);
	CHECK(knn_search_ref(idx, dist, Q, M, B, N, D, k, flags) == 0);
	snprintf(name, sizeof name, "%s reference twin", what);
	check_same_idx(name, idx, wi, M * k);
	free(wi), free(wd), free(idx), free(dist);
}

/* Random points far from the origin: |x|^2 ~ 1e6 |x - y|^2, so float
 * squared distances from norms and dot products cancel completely. */
static void
test_cancellation(void)
{
	struct rng r;
	rng_seed(&r, 7);
	size_t N = 1500, D = 24, k = 6;
	float *X = malloc(N * D * sizeof *X);
	for (size_t i = 0; i < N * D; i++)
		X[i] = (float)(300 + rng_normal(&r));
	int64_t *i1 = malloc(N * 8 * sizeof *i1), *i2 = malloc(N * 8 * sizeof *i2);
	float *d1 = malloc(N * 8 * sizeof *d1), *d2 = malloc(N * 8 * sizeof *d2);
	size_t fb = 0;
	for (int flags = 0; flags < 4; flags++) {
		char name[64];
		CHECK(knn_search(i1, d1, X, N, X, N, D, k, flags, &fb) == 0);
		CHECK(knn_search_ref(i2, d2, X, N, X, N, D, k, flags) == 0);
		snprintf(name, sizeof name, "offset data flags %d indices", flags);
		check_same_idx(name, i1, i2, N * k);
		snprintf(name, sizeof name, "offset data flags %d distances", flags);
		check_close_f32(name, d1, d2, N * k, 0, 0);
		printf("  (%zu of %zu queries redone by brute force)\n", fb, N);
	}
	/* 60 copies of one point: more exact ties than candidates, so
	 * certification fails and those queries are redone exactly */
	for (size_t i = 100; i < 160; i++)
		memcpy(X + i * D, X + 99 * D, D * sizeof *X);
	CHECK(knn_search(i1, d1, X, N, X, N, D, k, KNN_EXCLUDE_SELF, &fb) == 0);
	CHECK(knn_search_ref(i2, d2, X, N, X, N, D, k, KNN_EXCLUDE_SELF) == 0);
	check_same_idx("duplicates indices", i1, i2, N * k);
	check_close_f32("duplicates distances", d1, d2, N * k, 0, 0);
	printf("  (%zu of %zu queries redone by brute force)\n", fb, N);
	CHECK(fb > 0);
	/* queries spanning several blocks against a small base */
	CHECK(knn_search(i1, d1, X, N, X, 7, D, 7, 0, NULL) == 0);
	CHECK(knn_search_ref(i2, d2, X, N, X, 7, D, 7, 0) == 0);
	check_same_idx("k = N", i1, i2, N * 7);
	free(X), free(i1), free(i2), free(d1), free(d2);
}

/* A tight cluster and a few points far away (collapsed representations
 * with outliers): the far points' norms must not fail the certification
 * of every query in the cluster (they did: 75 % of such queries were
 * redone by brute force), and the result is still the exact one. */
static void
test_outliers(void)
{
	struct rng r;
	rng_seed(&r, 9);
	size_t N = 2000, D = 32, k = 20;
	float *X = malloc(N * D * sizeof *X);
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < D; j++)
			X[i * D + j] = (float)(i % 400 == 0 ? 300 * rng_normal(&r) :
			    0.05 * rng_normal(&r));
	int64_t *i1 = malloc(N * k * sizeof *i1), *i2 = malloc(N * k * sizeof *i2);
	float *d1 = malloc(N * k * sizeof *d1), *d2 = malloc(N * k * sizeof *d2);
	size_t fb = 0;
	CHECK(knn_search(i1, d1, X, N, X, N, D, k, KNN_EXCLUDE_SELF, &fb) == 0);
	CHECK(knn_search_ref(i2, d2, X, N, X, N, D, k, KNN_EXCLUDE_SELF) == 0);
	check_same_idx("cluster and outliers indices", i1, i2, N * k);
	check_close_f32("cluster and outliers distances", d1, d2, N * k, 0, 0);
	printf("  (%zu of %zu queries redone by brute force)\n", fb, N);
	CHECK(fb < N / 20);
	free(X), free(i1), free(i2), free(d1), free(d2);
}

int
main(void)
{
	struct npy_header h;
	blas_init(2, 0);
	float *B = fixture_load(FIX "knn_base.npy", 0, NPY_F32, &h);
	size_t N = h.shape[0], D = h.shape[1];
	float *Q = fixture_load(FIX "knn_query.npy", 0, NPY_F32, &h);
	size_t M = h.shape[0];

	against_fixture("self k5", FIX "knn_self_k5.npy", B, N, B, N, D, 5,
	    KNN_EXCLUDE_SELF);
	against_fixture("self k5 incl", FIX "knn_self_k5_incl.npy", B, N, B, N,
	    D, 5, 0);
	against_fixture("self farthest k4", FIX "knn_self_far_k4.npy", B, N, B,
	    N, D, 4, KNN_EXCLUDE_SELF | KNN_FARTHEST);
	against_fixture("query k3", FIX "knn_query_k3.npy", Q, M, B, N, D, 3, 0);

	/* density: mean distance to the 2 nearest */
	int64_t idx[2 * 64];
	float dist[2 * 64], score[64];
	CHECK(M <= 64);
	CHECK(knn_search(idx, dist, Q, M, B, N, D, 2, 0, NULL) == 0);
	knn_density(score, idx, Q, M, B, D, 2);
	float *want = fixture_load(FIX "knn_density_k2.npy", 0, NPY_F32, &h);
	check_close_f32("density k2", score, want, M, 1e-6, 1e-6);
	free(want);

	/* bad arguments */
	CHECK(knn_search(idx, dist, Q, M, B, N, D, 0, 0, NULL) == -1);
	CHECK(knn_search(idx, dist, B, N, B, N, D, N, KNN_EXCLUDE_SELF,
	    NULL) == -1);
	CHECK(knn_search(idx, dist, Q, M, B, N, D, 2, KNN_EXCLUDE_SELF,
	    NULL) == -1);

	test_cancellation();
	test_outliers();
	free(B), free(Q);
	return check_done();
}
