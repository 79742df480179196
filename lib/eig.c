/* eig.c - dense symmetric eigensolver: Householder + bisection + inverse
 * iteration, and a cyclic Jacobi reference.  See eig.h. */
#include "eig.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/*
 * Householder reduction.  Step k takes x = A[k, k+1..n-1] (row k of the
 * current matrix, the same as column k by symmetry), builds
 * v = x - alpha e1 with alpha = -sign(x0) |x|, tau = 1 / (alpha^2 -
 * alpha x0) so that H = I - tau v v^T maps x to alpha e1, and updates the
 * trailing block S <- H S H = S - v w^T - w v^T, with p = tau S v and
 * w = p - (tau/2)(p.v) v (Golub & Van Loan, "Matrix Computations",
 * section 8.3.1).  The trailing block is kept full (both triangles) so
 * that every row is contiguous.
 */
void
eig_tridiagonalize(double *A, double *diag, double *off, double *tau,
    size_t n)
{
	if (n == 0)
		return;
	/* mirror the upper triangle so both are valid */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			A[i * n + j] = A[j * n + i];
	for (size_t k = 0; k + 2 < n; k++) {
		size_t m = n - k - 1;
		double *v = A + k * n + k + 1;          /* [m] */
		double *S = A + (k + 1) * n + k + 1;    /* [m,m], ld n */
		double *p = tau + k + 1;                /* scratch [m] */
		double xnorm2 = 0;
		for (size_t i = 1; i < m; i++)
			xnorm2 += v[i] * v[i];
		diag[k] = A[k * n + k];
		if (xnorm2 == 0) {
			off[k] = v[0];
			tau[k] = 0;
			continue;
		}
		double x0 = v[0];
		double alpha = sqrt(x0 * x0 + xnorm2);
		if (x0 > 0)
			alpha = -alpha;
		double t = 1 / (alpha * alpha - alpha * x0);
		v[0] = x0 - alpha;
		off[k] = alpha;
		double pv = 0;
		#pragma omp parallel for schedule(static) reduction(+:pv) \
		    if (m >= 256)
		for (size_t i = 0; i < m; i++) {
			const double *row = S + i * n;
			double s = 0;
			for (size_t j = 0; j < m; j++)
				s += row[j] * v[j];
			p[i] = t * s;
			pv += p[i] * v[i];
		}
		double K = 0.5 * t * pv;
		for (size_t i = 0; i < m; i++)
			p[i] -= K * v[i];               /* p is now w */
		#pragma omp parallel for schedule(static) if (m >= 256)
		for (size_t i = 0; i < m; i++) {
			double *row = S + i * n;
			double vi = v[i], wi = p[i];
			for (size_t j = 0; j < m; j++)
				row[j] -= vi * p[j] + wi * v[j];
		}
		tau[k] = t;
	}
	if (n >= 2) {
		diag[n - 2] = A[(n - 2) * n + n - 2];
		off[n - 2] = A[(n - 2) * n + n - 1];
		tau[n - 2] = 0;
	}
	diag[n - 1] = A[(n - 1) * n + n - 1];
	off[n - 1] = 0;
	tau[n - 1] = 0;
}

/* Q = H_0 H_1 ... H_{n-3}: apply the last reflector first. */
void
eig_back_transform(const double *A, const double *tau, double *Y,
    size_t count, size_t n)
{
	#pragma omp parallel for schedule(static) if (count * n >= 4096)
	for (size_t c = 0; c < count; c++) {
		double *y = Y + c * n;
		for (size_t k = n >= 2 ? n - 2 : 0; k-- > 0;) {
			if (tau[k] == 0)
				continue;
			const double *v = A + k * n + k + 1;
			double *yy = y + k + 1;
			size_t m = n - k - 1;
			double s = 0;
			for (size_t j = 0; j < m; j++)
				s += v[j] * yy[j];
			s *= tau[k];
			for (size_t j = 0; j < m; j++)
				yy[j] -= s * v[j];
		}
	}
}

/* Number of eigenvalues of T less than x (Sturm sequence, LDL^T pivots). */
static size_t
sturm_count(const double *diag, const double *off, size_t n, double x,
    double pivmin)
{
	size_t count = 0;
	double q = diag[0] - x;
	if (fabs(q) < pivmin)
		q = -pivmin;
	if (q < 0)
		count++;
	for (size_t i = 1; i < n; i++) {
		q = diag[i] - x - off[i - 1] * off[i - 1] / q;
		if (fabs(q) < pivmin)
			q = -pivmin;
		if (q < 0)
			count++;
	}
	return count;
}

/* Gershgorin bounds and the norm of T. */
static void
tridiag_bounds(const double *diag, const double *off, size_t n, double *lo,
    double *hi)
{
	double l = INFINITY, h = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		double r = (i > 0 ? fabs(off[i - 1]) : 0) +
		    (i + 1 < n ? fabs(off[i]) : 0);
		if (diag[i] - r < l)
			l = diag[i] - r;
		if (diag[i] + r > h)
			h = diag[i] + r;
	}
	*lo = l;
	*hi = h;
}

void
eig_tridiag_values(const double *diag, const double *off, size_t n,
    size_t lo, size_t count, double *w)
{
	double glo, ghi;
	if (n == 0 || count == 0)
		return;
	tridiag_bounds(diag, off, n, &glo, &ghi);
	double tnorm = fmax(fabs(glo), fabs(ghi));
	if (tnorm == 0) {
		for (size_t j = 0; j < count; j++)
			w[j] = 0;
		return;
	}
	double pivmin = DBL_MIN * fmax(1.0, tnorm * tnorm);
	glo -= 2 * DBL_EPSILON * tnorm * (double)n + 2 * pivmin;
	ghi += 2 * DBL_EPSILON * tnorm * (double)n + 2 * pivmin;
	#pragma omp parallel for schedule(dynamic) if (count * n >= 4096)
	for (size_t j = 0; j < count; j++) {
		size_t idx = lo + j;     /* want smallest x with count > idx */
		double a = glo, b = ghi;
		for (int it = 0; it < 200; it++) {
			double mid = 0.5 * (a + b);
			if (b - a <= 2 * DBL_EPSILON * fmax(fabs(a), fabs(b)) +
			    pivmin || mid == a || mid == b)
				break;
			if (sturm_count(diag, off, n, mid, pivmin) > idx)
				b = mid;
			else
				a = mid;
		}
		w[j] = 0.5 * (a + b);
	}
}

/*
 * Solve (T - s I) x = b in place by Gaussian elimination with partial
 * pivoting; a zero pivot is replaced by eps |T| (inverse iteration wants
 * the near-singular solve).  work: 5n doubles.
 */
static void
tridiag_shift_solve(const double *diag, const double *off, size_t n, double s,
    double tiny, double *x, double *work)
{
	double *dd = work, *du = work + n, *du2 = work + 2 * n,
	    *dl = work + 3 * n;
	double *piv = work + 4 * n;   /* 1 if rows i, i+1 were swapped */
	for (size_t i = 0; i < n; i++) {
		dd[i] = diag[i] - s;
		du[i] = i + 1 < n ? off[i] : 0;
		dl[i] = i + 1 < n ? off[i] : 0;
		du2[i] = 0;
	}
	/* LU with row interchanges: U has up to two super-diagonals */
	for (size_t i = 0; i + 1 < n; i++) {
		if (fabs(dd[i]) >= fabs(dl[i])) {
			piv[i] = 0;
			if (dd[i] == 0)
				dd[i] = tiny;
			double m = dl[i] / dd[i];
			dl[i] = m;
			dd[i + 1] -= m * du[i];
			du2[i] = 0;
		} else {
			piv[i] = 1;
			double m = dd[i] / dl[i];
			dd[i] = dl[i];
			dl[i] = m;
			double t = du[i];
			du[i] = dd[i + 1];
			dd[i + 1] = t - m * dd[i + 1];
			if (i + 2 < n) {
				du2[i] = du[i + 1];
				du[i + 1] = -m * du[i + 1];
			}
		}
	}
	if (dd[n - 1] == 0)
		dd[n - 1] = tiny;
	/* forward: L */
	for (size_t i = 0; i + 1 < n; i++) {
		if (piv[i] != 0) {
			double t = x[i];
			x[i] = x[i + 1];
			x[i + 1] = t - dl[i] * x[i + 1];
		} else {
			x[i + 1] -= dl[i] * x[i];
		}
	}
	/* backward: U */
	for (size_t i = n; i-- > 0;) {
		double t = x[i];
		if (i + 1 < n)
			t -= du[i] * x[i + 1];
		if (i + 2 < n)
			t -= du2[i] * x[i + 2];
		if (fabs(dd[i]) < tiny)
			dd[i] = dd[i] < 0 ? -tiny : tiny;
		x[i] = t / dd[i];
	}
}

static double
vec_norm(const double *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += x[i] * x[i];
	return sqrt(s);
}

static void
vec_normalize(double *x, size_t n)
{
	double s = vec_norm(x, n);
	if (s == 0) {
		x[0] = 1;
		return;
	}
	for (size_t i = 0; i < n; i++)
		x[i] /= s;
}

/*
 * Inverse iteration (as LAPACK's dstein does it, in outline): start from
 * a fixed pseudo-random vector, solve with the shifted matrix a few
 * times, orthogonalise against the earlier vectors of the same cluster
 * (eigenvalues closer than 1e-3 |T|) after every solve, and nudge a shift
 * that equals its predecessor.
 */
void
eig_tridiag_vectors(const double *diag, const double *off, size_t n,
    const double *w, size_t count, double *Z, double *work)
{
	if (n == 0 || count == 0)
		return;
	double glo, ghi;
	tridiag_bounds(diag, off, n, &glo, &ghi);
	double tnorm = fmax(fmax(fabs(glo), fabs(ghi)), DBL_MIN);
	double tiny = DBL_EPSILON * tnorm;
	double ortol = 1e-3 * tnorm;
	double *x = work + 5 * n;
	size_t cstart = 0;
	double prev = 0;
	uint64_t state = 0x9e3779b97f4a7c15ULL;
	for (size_t j = 0; j < count; j++) {
		double s = w[j];
		if (j == 0 || w[j] - w[j - 1] > ortol)
			cstart = j;
		if (j > 0 && s - prev < 10 * tiny)
			s = prev + 10 * tiny;
		prev = s;
		for (size_t i = 0; i < n; i++) {
			state = state * 6364136223846793005ULL +
			    1442695040888963407ULL;
			x[i] = (double)(state >> 11) / 9007199254740992.0 - 0.5;
		}
		vec_normalize(x, n);
		for (int it = 0; it < 5; it++) {
			tridiag_shift_solve(diag, off, n, s, tiny, x, work);
			for (int pass = 0; pass < 2; pass++)
				for (size_t c = cstart; c < j; c++) {
					const double *z = Z + c * n;
					double dot = 0;
					for (size_t i = 0; i < n; i++)
						dot += z[i] * x[i];
					for (size_t i = 0; i < n; i++)
						x[i] -= dot * z[i];
				}
			vec_normalize(x, n);
		}
		memcpy(Z + j * n, x, n * sizeof *x);
	}
}

size_t
eig_work_size(size_t n)
{
	return 3 * n + 8 * n;
}

void
eig_sym_select(double *A, size_t n, size_t lo, size_t count, double *w,
    double *V, double *work)
{
	double *diag = work, *off = work + n, *tau = work + 2 * n;
	if (n == 0 || count == 0)
		return;
	eig_tridiagonalize(A, diag, off, tau, n);
	eig_tridiag_values(diag, off, n, lo, count, w);
	if (V == NULL)
		return;
	eig_tridiag_vectors(diag, off, n, w, count, V, work + 3 * n);
	eig_back_transform(A, tau, V, count, n);
}

/* Cyclic Jacobi: rotate away each off-diagonal element in turn
 * (Golub & Van Loan, section 8.5).  V accumulates rotations as rows. */
int
eig_sym_jacobi(double *A, size_t n, double *w, double *V, double *work)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			V[i * n + j] = i == j;
			if (j < i)
				A[i * n + j] = A[j * n + i];
		}
	int converged = 0;
	for (int sweep = 0; sweep < 100 && !converged; sweep++) {
		double offn = 0, tot = 0;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++) {
				double a = A[i * n + j] * A[i * n + j];
				tot += a;
				if (i != j)
					offn += a;
			}
		if (offn <= 1e-30 * tot || offn == 0) {
			converged = 1;
			break;
		}
		for (size_t p = 0; p < n; p++)
			for (size_t q = p + 1; q < n; q++) {
				double apq = A[p * n + q];
				if (apq == 0)
					continue;
				double theta = (A[q * n + q] - A[p * n + p]) /
				    (2 * apq);
				double t = (theta >= 0 ? 1 : -1) /
				    (fabs(theta) + sqrt(theta * theta + 1));
				double c = 1 / sqrt(t * t + 1), s = t * c;
				for (size_t k = 0; k < n; k++) {   /* columns */
					double akp = A[k * n + p],
					    akq = A[k * n + q];
					A[k * n + p] = c * akp - s * akq;
					A[k * n + q] = s * akp + c * akq;
				}
				for (size_t k = 0; k < n; k++) {   /* rows */
					double apk = A[p * n + k],
					    aqk = A[q * n + k];
					A[p * n + k] = c * apk - s * aqk;
					A[q * n + k] = s * apk + c * aqk;
				}
				for (size_t k = 0; k < n; k++) {
					double vp = V[p * n + k],
					    vq = V[q * n + k];
					V[p * n + k] = c * vp - s * vq;
					V[q * n + k] = s * vp + c * vq;
				}
			}
	}
	/* sort ascending (selection sort; n is small here) */
	for (size_t i = 0; i < n; i++)
		w[i] = A[i * n + i];
	for (size_t i = 0; i < n; i++) {
		size_t m = i;
		for (size_t j = i + 1; j < n; j++)
			if (w[j] < w[m])
				m = j;
		if (m != i) {
			double t = w[i];
			w[i] = w[m];
			w[m] = t;
			memcpy(work, V + i * n, n * sizeof *work);
			memcpy(V + i * n, V + m * n, n * sizeof *work);
			memcpy(V + m * n, work, n * sizeof *work);
		}
	}
	return converged ? 0 : -1;
}
