/*
 * lanczos.h - a few extreme eigenpairs of a large symmetric operator.
 *
 * Thick-restart Lanczos (Wu & Simon, SIAM J. Matrix Anal. Appl. 22,
 * 2000; the same as symmetric Krylov-Schur) with full
 * re-orthogonalisation (classical Gram-Schmidt, twice): the basis holds
 * at most maxdim + 1 vectors of length n, the projected matrix is solved
 * by the dense solver in eig.h, and a restart keeps the best half of the
 * Ritz vectors.  Only matrix-vector products touch the operator.
 *
 * Call blas_init() once before lanczos_largest.
 */
#ifndef LANCZOS_H
#define LANCZOS_H

#include <stddef.h>
#include <stdint.h>

/* y = A x; must be symmetric.  Called with x and y of length n. */
typedef void (*lanczos_op)(double *y /*[n]*/, const double *x /*[n]*/,
                           void *ctx);

struct lanczos_info {
	size_t matvecs;       /* operator applications */
	size_t restarts;
	double residual;      /* worst ||A v - w v|| of the returned pairs */
};

/*
 * The nev largest eigenpairs of A (n x n): w[nev] descending, V[nev,n]
 * orthonormal rows.  maxdim: basis size (0 picks max(2 nev + 20, 40));
 * tol: stop when every residual <= tol * max |w|; maxiter: a cap on
 * matvecs (0: 100 n); seed picks the start vector.  Returns 0 when
 * converged, 1 when the cap was reached (w, V hold the best so far),
 * -1 with errno EINVAL or ENOMEM.  Memory: (maxdim + 1 + nev) n doubles.
 */
int lanczos_largest(double *w /*[nev]*/, double *V /*[nev,n]*/,
                    lanczos_op op, void *ctx, size_t n, size_t nev,
                    size_t maxdim, double tol, size_t maxiter, uint64_t seed,
                    struct lanczos_info *info);

#endif
