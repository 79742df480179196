/*
 * blas.h - BLIS, set up once per process, and a row-major GEMM.
 *
 * blas_init() must run before any other BLIS call: it picks the kernel
 * set from the CPU's features (Debian's BLIS 0.9.0 falls back to its
 * slow generic kernels on CPUs it does not know) unless the user set
 * BLIS_ARCH_TYPE, and sets the thread count for BLIS and OpenMP.
 */
#ifndef BLAS_H
#define BLAS_H

#include <stddef.h>

/* threads 0 = all online cores.  verbose prints one line on stderr. */
void blas_init(size_t threads, int verbose);
size_t blas_threads(void);

/*
 * C[M,N] = alpha * op(A) op(B) + beta * C, all row-major.
 * op(A) is [M,K]: A is [M,lda] (ta = 0) or [K,lda] (ta = 1).
 * op(B) is [K,N]: B is [K,ldb] (tb = 0) or [N,ldb] (tb = 1).
 */
void sgemm(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
           const float *A, size_t lda, const float *B, size_t ldb,
           float beta, float *C, size_t ldc);
void dgemm(int ta, int tb, size_t M, size_t N, size_t K, double alpha,
           const double *A, size_t lda, const double *B, size_t ldb,
           double beta, double *C, size_t ldc);
/*
 * The runtime of a direct bli_sgemm_ex/bli_dgemm_ex call of inner
 * dimension K on `threads` threads (0: the count blas_init set).
 * Debian's BLIS 0.9.0 small-matrix ("sup") kernels for haswell..zen3
 * read up to one row past the end of A, B or C when K % 8 != 0
 * (BLIS issue #821, fixed in 1.0): a segfault when that row is on an
 * unmapped page.  Such calls go through the large-matrix path instead.
 * sgemm and dgemm above do this themselves.
 */
struct rntm_s;
void blas_rntm(struct rntm_s *rntm, size_t threads, size_t K);

/* The same product by plain loops: the reference twin for tests. */
void sgemm_ref(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb,
               float beta, float *C, size_t ldc);

#endif
