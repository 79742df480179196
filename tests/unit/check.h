/*
 * check.h - the C unit tests' few helpers.  A test program runs its
 * checks, prints each failure with the worst difference, and exits 1 if
 * any failed.
 */
#ifndef CHECK_H
#define CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond)                                                      \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n",     \
			    __FILE__, __LINE__, #cond);                  \
			check_failures++;                                \
		}                                                        \
	} while (0)

/*
 * |got - want| <= atol + rtol |want| for every element; prints the
 * worst element and returns 0 when close.
 */
static inline int
check_close_f64(const char *what, const double *got, const double *want,
    size_t n, double atol, double rtol)
{
	size_t worst = 0;
	double wexcess = -INFINITY, wdiff = 0;
	for (size_t i = 0; i < n; i++) {
		double d = fabs(got[i] - want[i]);
		double excess = d - (atol + rtol * fabs(want[i]));
		if (isnan(d))
			excess = INFINITY;
		if (excess > wexcess) {
			wexcess = excess;
			worst = i;
			wdiff = d;
		}
	}
	if (n && wexcess > 0) {
		fprintf(stderr, "%s: FAIL worst at [%zu]: got %.9g want %.9g "
		    "(|diff| %.3g)\n", what, worst, got[worst], want[worst],
		    wdiff);
		check_failures++;
		return -1;
	}
	printf("%s: ok (max |diff| within atol %g rtol %g)\n", what, atol,
	    rtol);
	return 0;
}

static inline int
check_close_f32(const char *what, const float *got, const float *want,
    size_t n, double atol, double rtol)
{
	double *g = malloc((n ? n : 1) * sizeof *g);
	double *w = malloc((n ? n : 1) * sizeof *w);
	if (g == NULL || w == NULL) {
		fprintf(stderr, "%s: out of memory\n", what);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		g[i] = got[i];
		w[i] = want[i];
	}
	int rc = check_close_f64(what, g, w, n, atol, rtol);
	free(g);
	free(w);
	return rc;
}

/* A mkstemp/mkdtemp template "$TMPDIR/name" (TMPDIR defaults to /tmp). */
static inline char *
check_tmp_template(char *buf, size_t len, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(buf, len, "%s/%s", tmp && *tmp ? tmp : "/tmp", name);
	return buf;
}

static inline int
check_done(void)
{
	if (check_failures) {
		fprintf(stderr, "%d check(s) failed\n", check_failures);
		return 1;
	}
	return 0;
}

#endif
