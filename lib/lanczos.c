/* lanczos.c - thick-restart Lanczos with full re-orthogonalisation.
 * See lanczos.h. */
#include "lanczos.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "eig.h"
#include "rng.h"

/* x -= B^T (B x) twice for the rows B[0..r-1]; h += the coefficients.
 * Plain loops: a few hundred thousand multiply-adds, called once a
 * step, where a threaded GEMM would only add synchronisation. */
static void
orthogonalize(double *x /*[n]*/, double *h /*[r]*/, double *t /*[r]*/,
    const double *B /*[r,n]*/, size_t r, size_t n)
{
	if (r == 0)
		return;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < r; i++) {
			const double *b = B + i * n;
			double s = 0;
			for (size_t j = 0; j < n; j++)
				s += b[j] * x[j];
			t[i] = s;
		}
		for (size_t i = 0; i < r; i++) {
			const double *b = B + i * n;
			double c = t[i];
			for (size_t j = 0; j < n; j++)
				x[j] -= c * b[j];
		}
		if (h != NULL)
			for (size_t i = 0; i < r; i++)
				h[i] += t[i];
	}
}

static double
norm2(const double *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i] * x[i];
	return sqrt(s);
}

/* A random unit vector orthogonal to B's rows (0 if none is left). */
static double
random_orthogonal(double *x, double *t, const double *B, size_t r, size_t n,
    struct rng *g)
{
	for (int tries = 0; tries < 3; tries++) {
		for (size_t i = 0; i < n; i++)
			x[i] = rng_normal(g);
		orthogonalize(x, NULL, t, B, r, n);
		double s = norm2(x, n);
		if (s > 1e-8 * sqrt((double)n)) {
			for (size_t i = 0; i < n; i++)
				x[i] /= s;
			return 1;
		}
	}
	memset(x, 0, n * sizeof *x);
	return 0;
}

int
lanczos_largest(double *w, double *V, lanczos_op op, void *ctx, size_t n,
    size_t nev, size_t maxdim, double tol, size_t maxiter, uint64_t seed,
    struct lanczos_info *info)
{
	if (nev == 0 || nev > n) {
		errno = EINVAL;
		return -1;
	}
	size_t m = maxdim ? maxdim : (2 * nev + 20 > 40 ? 2 * nev + 20 : 40);
	if (m < nev + 2)
		m = nev + 2;
	if (m > n)
		m = n;
	size_t keep = (m + nev) / 2;     /* Ritz vectors kept on restart */
	if (keep < nev)
		keep = nev;
	if (keep >= m)
		keep = m - 1;
	if (maxiter == 0)
		maxiter = 100 * n > 1000 ? 100 * n : 1000;

	double *B = malloc((m + 1) * n * sizeof *B);     /* basis rows */
	double *Y = malloc(m * n * sizeof *Y);           /* restart rows */
	double *H = calloc(m * m, sizeof *H);
	double *Hc = malloc(m * m * sizeof *Hc);
	double *th = malloc(m * sizeof *th), *S = malloc(m * m * sizeof *S);
	double *h = malloc((m + 1) * sizeof *h), *t = malloc((m + 1) * sizeof *t);
	double *work = malloc(eig_work_size(m) * sizeof *work);
	struct rng g;
	int rc = -1;
	size_t matvecs = 0, restarts = 0;
	double worst = INFINITY;
	if (!B || !Y || !H || !Hc || !th || !S || !h || !t || !work) {
		errno = ENOMEM;
		goto out;
	}
	rng_seed(&g, seed);
	random_orthogonal(B, t, NULL, 0, n, &g);

	size_t j = 0;                  /* next column of H to fill */
	size_t since = 0;              /* steps since the last check */
	double beta = 0;
	for (;;) {
		/* one Lanczos step: column j of H, basis vector j + 1 */
		double *x = B + j * n, *y = B + (j + 1) * n;
		op(y, x, ctx);
		matvecs++;
		memset(h, 0, (j + 1) * sizeof *h);
		orthogonalize(y, h, t, B, j + 1, n);
		for (size_t i = 0; i <= j; i++)
			H[i * m + j] = H[j * m + i] = h[i];
		beta = norm2(y, n);
		double scale = fabs(h[j]) + beta + 1e-300;
		if (beta <= 1e-12 * scale) {
			/* invariant subspace: continue from a fresh direction,
			 * uncoupled */
			beta = 0;
			if (j + 1 < n)
				random_orthogonal(y, t, B, j + 1, n, &g);
			else
				memset(y, 0, n * sizeof *y);
		} else {
			for (size_t i = 0; i < n; i++)
				y[i] /= beta;
		}
		if (j + 1 < m)
			H[(j + 1) * m + j] = H[j * m + j + 1] = beta;
		j++;
		since++;
		/* check every 8 steps once there are enough Ritz pairs, and
		 * always when the basis is full */
		if (j < m && (j <= nev || since < 8))
			continue;
		since = 0;
		size_t q = j;              /* size of the projected problem */
		for (size_t r = 0; r < q; r++)
			memcpy(Hc + r * q, H + r * m, q * sizeof *H);
		eig_sym_select(Hc, q, 0, q, th, S, work);
		double big = 0;
		for (size_t i = 0; i < q; i++)
			if (fabs(th[i]) > big)
				big = fabs(th[i]);
		worst = 0;
		for (size_t i = 0; i < nev; i++) {
			double r = fabs(beta * S[(q - 1 - i) * q + q - 1]);
			if (r > worst)
				worst = r;
		}
		int conv = worst <= tol * (big > 0 ? big : 1) || q == n;
		int done = conv || matvecs >= maxiter;
		if (!done && q < m)
			continue;
		size_t p = done ? nev : keep;
		/* the p largest Ritz vectors: Y[i] = sum_l S[q-1-i][l] B[l] */
		for (size_t i = 0; i < p; i++)
			memcpy(Hc + i * q, S + (q - 1 - i) * q, q * sizeof *S);
		dgemm(0, 0, p, n, q, 1.0, Hc, q, B, n, 0.0, Y, n);
		if (done) {
			for (size_t i = 0; i < nev; i++)
				w[i] = th[q - 1 - i];
			memcpy(V, Y, nev * n * sizeof *V);
			rc = conv ? 0 : 1;
			break;
		}
		/* thick restart: H = diag(theta) with an arrow to the residual
		 * direction B[m], which becomes B[p] */
		memmove(B + p * n, B + m * n, n * sizeof *B);
		memcpy(B, Y, p * n * sizeof *B);
		memset(H, 0, m * m * sizeof *H);
		for (size_t i = 0; i < p; i++) {
			H[i * m + i] = th[m - 1 - i];
			H[i * m + p] = H[p * m + i] = beta * S[(m - 1 - i) * m + m - 1];
		}
		j = p;
		restarts++;
	}
out:
	if (info != NULL) {
		info->matvecs = matvecs;
		info->restarts = restarts;
		info->residual = worst;
	}
	free(B), free(Y), free(H), free(Hc), free(th), free(S), free(h), free(t);
	free(work);
	return rc;
}
