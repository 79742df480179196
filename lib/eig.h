/*
 * eig.h - dense symmetric eigensolver (double precision).
 *
 * eig_sym_select: Householder reduction to tridiagonal form, eigenvalues
 * of the tridiagonal matrix by bisection on Sturm sequence counts, their
 * eigenvectors by inverse iteration (re-orthogonalised within clusters of
 * close eigenvalues), and the back transformation.  Cost: 4/3 n^3 for
 * the reduction plus O(n^2) per wanted pair, so a few extreme pairs of a
 * large matrix cost little more than the reduction.
 *
 * eig_sym_jacobi: the plain reference twin (cyclic Jacobi rotations),
 * all pairs, O(n^3) per sweep; used by the tests.
 *
 * Eigenvalues come in ascending order.  Eigenvectors are returned as
 * ROWS: V[j*n + i] is component i of the j-th vector.
 */
#ifndef EIG_H
#define EIG_H

#include <stddef.h>

/*
 * Reduce symmetric A to tridiagonal T = Q^T A Q in place.  On return
 * diag[n] and off[n-1] hold T, row k of A (columns k+1..n-1) holds the
 * k-th Householder vector and tau[k] its scale (H_k = I - tau v v^T);
 * the rest of A is destroyed.  Only A's upper triangle is read.
 */
void eig_tridiagonalize(double *A /*[n,n]*/, double *diag /*[n]*/,
                        double *off /*[n]*/, double *tau /*[n]*/, size_t n);

/* y <- Q y for count vectors (rows of Y), Q from eig_tridiagonalize. */
void eig_back_transform(const double *A /*[n,n]*/, const double *tau /*[n]*/,
                        double *Y /*[count,n]*/, size_t count, size_t n);

/*
 * Eigenvalues lo..lo+count-1 (0-based, ascending) of the symmetric
 * tridiagonal matrix (diag[n], off[n-1]) into w[count], by bisection.
 */
void eig_tridiag_values(const double *diag, const double *off, size_t n,
                        size_t lo, size_t count, double *w /*[count]*/);

/*
 * Eigenvectors for the ascending eigenvalues w[count] of the tridiagonal
 * matrix, by inverse iteration, into rows of Z.  work: 7n doubles.
 */
void eig_tridiag_vectors(const double *diag, const double *off, size_t n,
                         const double *w, size_t count,
                         double *Z /*[count,n]*/, double *work /*[7n]*/);

/* Workspace (doubles) that eig_sym_select needs for order n. */
size_t eig_work_size(size_t n);

/*
 * Eigenpairs lo..lo+count-1 (ascending) of symmetric A [n,n] (upper
 * triangle read, A destroyed): values in w[count], vectors in rows of
 * V[count,n] (V may be NULL for values only).
 */
void eig_sym_select(double *A /*[n,n]*/, size_t n, size_t lo, size_t count,
                    double *w /*[count]*/, double *V /*[count,n]*/,
                    double *work /*[eig_work_size(n)]*/);

/*
 * Reference: all eigenpairs of symmetric A (A destroyed) by cyclic
 * Jacobi; w[n] ascending, V rows.  Returns 0, or -1 if 100 sweeps did
 * not converge.  work: n doubles.
 */
int eig_sym_jacobi(double *A /*[n,n]*/, size_t n, double *w /*[n]*/,
                   double *V /*[n,n]*/, double *work /*[n]*/);

#endif
