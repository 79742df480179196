/* test_eig.c - dense symmetric eigensolver: residual ||A v - l v||,
 * orthogonality, agreement with the Jacobi reference, repeated and
 * clustered eigenvalues, partial selections. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "eig.h"
#include "rng.h"

static double *
alloc(size_t n)
{
	double *p = calloc(n ? n : 1, sizeof *p);
	if (p == NULL) {
		perror("calloc");
		exit(1);
	}
	return p;
}

static void
random_symmetric(struct rng *r, double *A, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = i; j < n; j++)
			A[i * n + j] = A[j * n + i] = rng_normal(r);
}

/* worst residual ||A v - w v|| / ||A|| and worst |V V^T - I| entry */
static void
check_pairs(const char *what, const double *A, size_t n, const double *w,
    const double *V, size_t count)
{
	double anorm = 0, worst_res = 0, worst_orth = 0;
	for (size_t i = 0; i < n * n; i++)
		anorm += A[i] * A[i];
	anorm = sqrt(anorm) + 1e-300;
	for (size_t c = 0; c < count; c++) {
		double res = 0;
		for (size_t i = 0; i < n; i++) {
			double s = 0;
			for (size_t j = 0; j < n; j++)
				s += A[i * n + j] * V[c * n + j];
			s -= w[c] * V[c * n + i];
			res += s * s;
		}
		res = sqrt(res) / anorm;
		if (res > worst_res)
			worst_res = res;
		for (size_t e = 0; e < count; e++) {
			double d = 0;
			for (size_t i = 0; i < n; i++)
				d += V[c * n + i] * V[e * n + i];
			d = fabs(d - (c == e));
			if (d > worst_orth)
				worst_orth = d;
		}
	}
	printf("%s: n %zu count %zu residual %.3g orthogonality %.3g\n", what,
	    n, count, worst_res, worst_orth);
	if (!(worst_res <= 1e-12 * sqrt((double)n + 1)) ||
	    !(worst_orth <= 1e-10)) {
		fprintf(stderr, "%s: FAIL residual %.3g orthogonality %.3g\n",
		    what, worst_res, worst_orth);
		check_failures++;
	}
}

static void
test_matrix(const char *what, const double *A, size_t n, const double *exact)
{
	double *B = alloc(n * n), *w = alloc(n), *V = alloc(n * n);
	double *wr = alloc(n), *Vr = alloc(n * n);
	double *work = alloc(eig_work_size(n));
	char name[128];

	/* all pairs */
	memcpy(B, A, n * n * sizeof *A);
	eig_sym_select(B, n, 0, n, w, V, work);
	snprintf(name, sizeof name, "%s all", what);
	check_pairs(name, A, n, w, V, n);
	/* the Jacobi reference */
	memcpy(B, A, n * n * sizeof *A);
	CHECK(eig_sym_jacobi(B, n, wr, Vr, work) == 0);
	snprintf(name, sizeof name, "%s jacobi", what);
	check_pairs(name, A, n, wr, Vr, n);
	snprintf(name, sizeof name, "%s values vs jacobi", what);
	check_close_f64(name, w, wr, n, 1e-11 * (1 + fabs(wr[n - 1]) +
	    fabs(wr[0])), 0);
	if (exact != NULL) {
		snprintf(name, sizeof name, "%s values vs exact", what);
		check_close_f64(name, w, exact, n, 1e-11 * (1 + fabs(exact[n - 1]) +
		    fabs(exact[0])), 0);
	}
	/* the largest three, then the smallest two */
	if (n >= 3) {
		memcpy(B, A, n * n * sizeof *A);
		eig_sym_select(B, n, n - 3, 3, w, V, work);
		snprintf(name, sizeof name, "%s top 3", what);
		check_pairs(name, A, n, w, V, 3);
		snprintf(name, sizeof name, "%s top 3 values", what);
		check_close_f64(name, w, wr + n - 3, 3, 1e-11 * (1 + fabs(wr[n - 1]) +
		    fabs(wr[0])), 0);
		memcpy(B, A, n * n * sizeof *A);
		eig_sym_select(B, n, 0, 2, w, NULL, work);
		snprintf(name, sizeof name, "%s bottom 2 values only", what);
		check_close_f64(name, w, wr, 2, 1e-11 * (1 + fabs(wr[n - 1]) +
		    fabs(wr[0])), 0);
	}
	free(B), free(w), free(V), free(wr), free(Vr), free(work);
}

int
main(void)
{
	struct rng r;
	rng_seed(&r, 42);
	size_t sizes[] = { 1, 2, 3, 5, 17, 64, 130 };
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		size_t n = sizes[s];
		double *A = alloc(n * n);
		char name[64];
		random_symmetric(&r, A, n);
		snprintf(name, sizeof name, "random %zu", n);
		test_matrix(name, A, n, NULL);
		free(A);
	}
	/* repeated eigenvalues: 1 (x4), 2 (x3), -3, 5 (x2), and a cluster */
	{
		double lam[] = { -3, 1, 1, 1, 1, 1 + 1e-9, 2, 2, 2, 5, 5, 7 };
		size_t n = sizeof lam / sizeof *lam;
		double *A = alloc(n * n);
		fixture_spectrum(&r, A, lam, n);
		test_matrix("repeated", A, n, lam);
		free(A);
	}
	/* 40 x 40 with only two distinct eigenvalues */
	{
		size_t n = 40;
		double *lam = alloc(n), *A = alloc(n * n);
		for (size_t i = 0; i < n; i++)
			lam[i] = i < 25 ? -1 : 4;
		fixture_spectrum(&r, A, lam, n);
		test_matrix("two values", A, n, lam);
		free(A), free(lam);
	}
	/* already diagonal, and the zero matrix */
	{
		size_t n = 6;
		double A[36] = { 0 }, lam[6] = { -2, 0, 0, 1, 3, 3 };
		double dg[6] = { 3, 0, -2, 3, 1, 0 };
		for (size_t i = 0; i < n; i++)
			A[i * n + i] = dg[i];
		test_matrix("diagonal", A, n, lam);
		double Z[36] = { 0 }, zero[6] = { 0 };
		test_matrix("zero", Z, n, zero);
	}
	return check_done();
}
