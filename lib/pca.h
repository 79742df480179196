/*
 * pca.h - exact principal component analysis of float32 rows.
 *
 * The covariance (D x D) is one symmetric rank-k product per block of
 * rows of the centred data, accumulated in double (float products
 * within a block of pca_block_rows(D) rows, blocks summed in double); its
 * eigenvectors come from the dense symmetric solver in eig.h (double)
 * when D <= PCA_DENSE_MAX or d > D/8, else from Lanczos (lanczos.h) on
 * the covariance, converged to a residual of 1e-11 of its norm.
 * Components follow scikit-learn 1.2's sign convention (svd_flip on U):
 * in each column of the projection Y the entry of largest magnitude is
 * positive (the first such entry on ties).
 *
 * Call blas_init() once before any function here.
 */
#ifndef PCA_H
#define PCA_H

#include <stddef.h>

#define PCA_BLOCK_FLOATS ((size_t)1 << 21)  /* a float GEMM block: 8 MiB */
#define PCA_DENSE_MAX 512       /* larger D with d <= D/8: Lanczos */

/*
 * Fit a centred PCA to X and project it onto d components.
 * X:          [N,D] input rows (not modified)
 * Y:          [N,d] projections (X - mean) W^T, written
 * components: [d,D] principal axes W (rows, unit length) or NULL
 * variance:   [d] explained variance (eigenvalue, divisor N - 1) or NULL
 * ratio:      [d] explained variance ratio (of the total) or NULL
 * Needs 1 <= d <= min(N, D) and N >= 2.  Allocates its own work space
 * (about 3 D^2 doubles plus an 8 MiB block).  Returns 0, or -1
 * on bad arguments or out of memory (errno set: EINVAL, ENOMEM).
 */
/* Rows per block: PCA_BLOCK_FLOATS / D, at least 256. */
size_t pca_block_rows(size_t D);

int pca_fit(const float *X /*[N,D]*/, size_t N, size_t D, size_t d,
            float *Y /*[N,d]*/, float *components /*[d,D]*/,
            double *variance /*[d]*/, double *ratio /*[d]*/);

#endif
