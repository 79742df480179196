/* test_spectral.c - the Lanczos solver (residuals, orthogonality, dense
 * reference, clustered spectra), the k-NN affinity graph, components,
 * and Laplacian eigenmaps against scikit-learn 1.2 SpectralEmbedding
 * (tests/reference/gen_spectral.py): principal angles between the
 * subspaces, eigenvalues, and sklearn's signs. */
#include <stdint.h>
#include <string.h>

#include "blas.h"
#include "check.h"
#include "fixture.h"
#include "eig.h"
#include "knn.h"
#include "lanczos.h"
#include "npy.h"
#include "rng.h"
#include "spectral.h"

#define FIX "tests/fixtures/spectral/"

struct dense {
	const double *A;
	size_t n;
};

static void
dense_apply(double *y, const double *x, void *ctx)
{
	const struct dense *d = ctx;
	for (size_t i = 0; i < d->n; i++) {
		double s = 0;
		for (size_t j = 0; j < d->n; j++)
			s += d->A[i * d->n + j] * x[j];
		y[i] = s;
	}
}

static void
test_lanczos(const char *what, const double *A, size_t n, size_t nev,
    size_t maxdim)
{
	double *w = malloc(nev * sizeof *w), *V = malloc(nev * n * sizeof *V);
	double *B = malloc(n * n * sizeof *B), *wr = malloc(nev * sizeof *wr);
	double *work = malloc(eig_work_size(n) * sizeof *work);
	struct dense op = { A, n };
	struct lanczos_info info;
	char name[128];
	CHECK(lanczos_largest(w, V, dense_apply, &op, n, nev, maxdim, 1e-12, 0,
	    1, &info) == 0);
	memcpy(B, A, n * n * sizeof *A);
	eig_sym_select(B, n, n - nev, nev, wr, NULL, work);
	for (size_t i = 0; i < nev / 2; i++) {      /* descending */
		double t = wr[i];
		wr[i] = wr[nev - 1 - i];
		wr[nev - 1 - i] = t;
	}
	snprintf(name, sizeof name, "%s values vs dense", what);
	check_close_f64(name, w, wr, nev, 1e-10, 0);
	double worst_res = 0, worst_orth = 0, y[1024];
	CHECK(n <= 1024);
	for (size_t c = 0; c < nev; c++) {
		dense_apply(y, V + c * n, &op);
		double r = 0;
		for (size_t i = 0; i < n; i++)
			r += (y[i] - w[c] * V[c * n + i]) * (y[i] - w[c] * V[c * n + i]);
		worst_res = fmax(worst_res, sqrt(r));
		for (size_t e = 0; e < nev; e++) {
			double d = 0;
			for (size_t i = 0; i < n; i++)
				d += V[c * n + i] * V[e * n + i];
			worst_orth = fmax(worst_orth, fabs(d - (c == e)));
		}
	}
	printf("%s: %zu products, %zu restarts, residual %.3g, "
	    "orthogonality %.3g\n", what, info.matvecs, info.restarts,
	    worst_res, worst_orth);
	CHECK(worst_res <= 1e-9);
	CHECK(worst_orth <= 1e-10);
	free(w), free(V), free(B), free(wr), free(work);
}

/* sin of the largest principal angle between span(Y) and span(E) */
static double
max_angle_sin(const double *Y, const double *E, size_t N, size_t d)
{
	double *Qa = malloc(N * d * sizeof *Qa), *Qb = malloc(N * d * sizeof *Qb);
	const double *src[2] = { Y, E };
	double *dst[2] = { Qa, Qb };
	for (int m = 0; m < 2; m++)      /* columns -> orthonormal rows */
		for (size_t c = 0; c < d; c++) {
			double *q = dst[m] + c * N;
			for (size_t i = 0; i < N; i++)
				q[i] = src[m][i * d + c];
			for (int pass = 0; pass < 2; pass++)
				for (size_t e = 0; e < c; e++) {
					double t = 0;
					for (size_t i = 0; i < N; i++)
						t += q[i] * dst[m][e * N + i];
					for (size_t i = 0; i < N; i++)
						q[i] -= t * dst[m][e * N + i];
				}
			double s = 0;
			for (size_t i = 0; i < N; i++)
				s += q[i] * q[i];
			for (size_t i = 0; i < N; i++)
				q[i] /= sqrt(s);
		}
	/* R = Qb - Qa^T (Qa Qb^T) rows; sin^2 = largest eigenvalue of R R^T */
	double G[64], Vv[64], w[8], work[8];
	CHECK(d <= 8);
	for (size_t c = 0; c < d; c++) {
		double *q = Qb + c * N;
		for (size_t e = 0; e < d; e++) {
			double t = 0;
			for (size_t i = 0; i < N; i++)
				t += q[i] * Qa[e * N + i];
			for (size_t i = 0; i < N; i++)
				q[i] -= t * Qa[e * N + i];
		}
	}
	for (size_t a = 0; a < d; a++)
		for (size_t b = 0; b < d; b++) {
			double t = 0;
			for (size_t i = 0; i < N; i++)
				t += Qb[a * N + i] * Qb[b * N + i];
			G[a * d + b] = t;
		}
	CHECK(eig_sym_jacobi(G, d, w, Vv, work) == 0);
	free(Qa), free(Qb);
	return sqrt(fmax(w[d - 1], 0));
}

static void
test_embedding(const char *what, const struct spectral_graph *g,
    const char *ref)
{
	struct npy_header h;
	double *E = fixture_load(ref, 0, NPY_F64, &h);
	size_t N = h.shape[0], d = h.shape[1];
	double *lam_ref = fixture_load(ref, 1, NPY_F64, &h);
	float *Y = malloc(N * d * sizeof *Y);
	double *Yd = malloc(N * d * sizeof *Yd), lam[9];
	struct spectral_info info;
	char name[128];
	CHECK(g->N == N && d <= 8);
	CHECK(spectral_embed(Y, lam, g, d, 1e-10, 0, &info) == 0);
	CHECK(info.converged);
	for (size_t i = 0; i < N * d; i++)
		Yd[i] = Y[i];
	double s = max_angle_sin(Yd, E, N, d);
	printf("%s: largest principal angle %.3g rad (%zu products)\n", what,
	    asin(fmin(s, 1)), info.matvecs);
	if (!(asin(fmin(s, 1)) <= 1e-3)) {
		fprintf(stderr, "%s: FAIL principal angle %.3g\n", what, asin(s));
		check_failures++;
	}
	snprintf(name, sizeof name, "%s eigenvalues", what);
	check_close_f64(name, lam, lam_ref, d + 1, 1e-6, 0);
	snprintf(name, sizeof name, "%s values with sklearn's signs", what);
	check_close_f64(name, Yd, E, N * d, 1e-6, 1e-4);
	free(E), free(lam_ref), free(Y), free(Yd);
}

int
main(void)
{
	struct rng r;
	struct npy_header h;
	blas_init(2, 0);
	rng_seed(&r, 3);

	/* Lanczos on dense random matrices */
	{
		size_t n = 150;
		double *A = malloc(n * n * sizeof *A);
		for (size_t i = 0; i < n; i++)
			for (size_t j = i; j < n; j++)
				A[i * n + j] = A[j * n + i] = rng_normal(&r);
		test_lanczos("random 150, 4 largest", A, n, 4, 0);
		test_lanczos("random 150, 3 largest, small basis", A, n, 3, 12);
		free(A);
	}
	/* a clustered top: 1, 1 - 1e-4, 1 - 2e-4, then [-1, 0.9] */
	{
		size_t n = 300;
		double *lam = malloc(n * sizeof *lam), *A = malloc(n * n * sizeof *A);
		for (size_t i = 0; i < n; i++)
			lam[i] = -1 + 1.9 * (double)i / (double)(n - 4);
		lam[n - 3] = 1 - 2e-4, lam[n - 2] = 1 - 1e-4, lam[n - 1] = 1;
		fixture_spectrum(&r, A, lam, n);
		test_lanczos("clustered 300", A, n, 3, 0);
		free(A), free(lam);
	}
	/* n small enough that the basis spans everything */
	{
		double A[100];
		for (size_t i = 0; i < 10; i++)
			for (size_t j = i; j < 10; j++)
				A[i * 10 + j] = A[j * 10 + i] = rng_normal(&r);
		test_lanczos("whole space", A, 10, 3, 10);
	}

	/* the affinity graph of a 4-point example:
	 * 0 -> 1, 1 -> 0, 2 -> 1, 3 -> 3 (self, ignored) */
	{
		int64_t idx[4] = { 1, 0, 1, 3 };
		float dist[4] = { 1, 1, 2, 0 };
		struct spectral_graph g;
		CHECK(spectral_graph_build(&g, idx, dist, 4, 1, 0) == 0);
		CHECK(g.rowptr[4] == 4);
		/* row 0: (1, 1.0); row 1: (0, 1.0), (2, 0.5); row 2: (1, 0.5) */
		CHECK(g.rowptr[1] == 1 && g.col[0] == 1 && g.val[0] == 1.0);
		CHECK(g.rowptr[2] == 3 && g.col[1] == 0 && g.col[2] == 2 &&
		    g.val[2] == 0.5);
		CHECK(g.rowptr[3] == 4 && g.rowptr[4] == 4);
		size_t lab[4];
		CHECK(spectral_components(&g, lab) == 2);
		CHECK(lab[0] == lab[2] && lab[3] != lab[0]);
		spectral_graph_free(&g);
		/* heat weights */
		CHECK(spectral_graph_build(&g, idx, dist, 4, 1, 1.0) == 0);
		double want = 0.5 * exp(-2.0);
		check_close_f64("heat weight", &g.val[2], &want, 1, 1e-15, 0);
		spectral_graph_free(&g);
		int64_t bad[4] = { 1, 0, 4, 3 };
		CHECK(spectral_graph_build(&g, bad, dist, 4, 1, 0) == -1);
	}

	/* eigenmaps vs sklearn: connectivity (from knn-graph's lists,
	 * self excluded) and heat kernel */
	{
		int64_t *idx = fixture_load(FIX "lap_graph_k9.npy", 0, NPY_I64, &h);
		size_t N = h.shape[0], k = h.shape[1];
		float *dist = fixture_load(FIX "lap_graph_k9.npy", 1, NPY_F32, &h);
		struct spectral_graph g;
		CHECK(spectral_graph_build(&g, idx, dist, N, k, 0) == 0);
		CHECK(spectral_components(&g, NULL) == 1);
		test_embedding("connectivity k10", &g, FIX "lap_ref_k10.npy");
		spectral_graph_free(&g);
		free(idx), free(dist);

		/* heat: sklearn's graph includes self (k = 10); ours skips it */
		float *L = fixture_load(FIX "lap_in.npy", 0, NPY_F32, &h);
		size_t D = h.shape[1];
		idx = malloc(N * 10 * sizeof *idx);
		dist = malloc(N * 10 * sizeof *dist);
		CHECK(knn_search(idx, dist, L, N, L, N, D, 10, 0, NULL) == 0);
		CHECK(spectral_graph_build(&g, idx, dist, N, 10, 0.5) == 0);
		test_embedding("heat sigma 0.5", &g, FIX "lap_ref_heat.npy");
		spectral_graph_free(&g);
		free(idx), free(dist), free(L);
	}
	return check_done();
}
