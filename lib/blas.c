/* blas.c - BLIS kernel choice, threads, row-major GEMM wrappers. */
#include "blas.h"

#include <blis.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static size_t nthreads = 1;

/*
 * BLIS 0.9.0 reads BLIS_ARCH_TYPE as the number of an arch_t value.
 * It knows AMD's Zen families itself; Intel CPUs it does not recognise
 * by model get the generic kernels, so name the set by feature.
 */
static const char *
choose_arch(void)
{
	static char num[16];
	int id = -1;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512dq") &&
	    __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl"))
		id = BLIS_ARCH_SKX;
	else if (__builtin_cpu_is("amd"))
		id = -1;        /* BLIS's own zen detection is right */
	else if (__builtin_cpu_supports("avx2") &&
	    __builtin_cpu_supports("fma"))
		id = BLIS_ARCH_HASWELL;
	if (id < 0)
		return NULL;
	snprintf(num, sizeof num, "%d", id);
	return num;
}

void
blas_init(size_t threads, int verbose)
{
	const char *user = getenv("BLIS_ARCH_TYPE");
	const char *how = "BLIS's own detection";

	if (user != NULL && *user != '\0') {
		how = "BLIS_ARCH_TYPE from the environment";
	} else {
		const char *id = choose_arch();
		if (id != NULL) {
			setenv("BLIS_ARCH_TYPE", id, 1);
			how = "chosen by CPU features";
		}
	}
	if (threads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n > 0 ? (size_t)n : 1;
	}
	nthreads = threads;
	threads_start(threads);         /* dies if they cannot exist */
	bli_thread_set_num_threads((dim_t)threads);
	if (verbose)
		fprintf(stderr, "blas: BLIS %s kernels (%s), %zu thread%s\n",
		    bli_arch_string(bli_arch_query_id()), how, threads,
		    threads == 1 ? "" : "s");
}

size_t blas_threads(void) { return nthreads; }

/*
 * BLIS reports an internal error (malloc returning NULL for its packing
 * buffers, under a small ulimit -v, say) through this function, which
 * prints three lines and calls abort().  libblis exports it and calls it
 * through its PLT, so this definition in the program takes its place
 * (ELF symbol interposition): one line and exit 1, as for our own
 * allocations.  The prototype comes from blis.h, so a BLIS that changes
 * it fails to build here rather than misbehaving.  The first thread to
 * fail reports; any other waits for the exit.
 */
err_t
bli_check_error_code_helper(gint_t code, char *file, guint_t line)
{
	static atomic_flag once = ATOMIC_FLAG_INIT;

	if (code == BLIS_SUCCESS)
		return code;
	if (atomic_flag_test_and_set(&once))
		for (;;)
			pause();
	if (code == BLIS_MALLOC_RETURNED_NULL) {
		errno = ENOMEM;
		die_errno("BLIS: cannot allocate its packing buffers");
	}
	die("BLIS: error %ld (%s, line %lu)", (long)code, file,
	    (unsigned long)line);
}

/*
 * Row-major C = A B is column-major C^T = B^T A^T; BLIS takes explicit
 * row and column strides, so a row-major matrix is rs = ld, cs = 1.
 */
void
blas_rntm(rntm_t *rntm, size_t threads, size_t K)
{
	rntm_t r = BLIS_RNTM_INITIALIZER;
	*rntm = r;
	if (threads)
		bli_rntm_set_num_threads((dim_t)threads, rntm);
	else
		bli_rntm_init_from_global(rntm);
	if (K % 8 != 0)
		bli_rntm_disable_l3_sup(rntm);
}

void
sgemm(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
    const float *A, size_t lda, const float *B, size_t ldb, float beta,
    float *C, size_t ldc)
{
	if (M == 0 || N == 0)
		return;
	rntm_t rntm;
	blas_rntm(&rntm, 0, K);
	bli_sgemm_ex(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
	    tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, (dim_t)M, (dim_t)N,
	    (dim_t)K, &alpha, (float *)A, (inc_t)lda, 1, (float *)B,
	    (inc_t)ldb, 1, &beta, C, (inc_t)ldc, 1, NULL, &rntm);
}

void
dgemm(int ta, int tb, size_t M, size_t N, size_t K, double alpha,
    const double *A, size_t lda, const double *B, size_t ldb, double beta,
    double *C, size_t ldc)
{
	if (M == 0 || N == 0)
		return;
	rntm_t rntm;
	blas_rntm(&rntm, 0, K);
	bli_dgemm_ex(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
	    tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, (dim_t)M, (dim_t)N,
	    (dim_t)K, &alpha, (double *)A, (inc_t)lda, 1, (double *)B,
	    (inc_t)ldb, 1, &beta, C, (inc_t)ldc, 1, NULL, &rntm);
}

void
sgemm_ref(int ta, int tb, size_t M, size_t N, size_t K, float alpha,
    const float *A, size_t lda, const float *B, size_t ldb, float beta,
    float *C, size_t ldc)
{
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++) {
			double s = 0;
			for (size_t k = 0; k < K; k++)
				s += (double)(ta ? A[k * lda + i] :
				    A[i * lda + k]) *
				    (tb ? B[j * ldb + k] : B[k * ldb + j]);
			float c = beta == 0 ? 0 : beta * C[i * ldc + j];
			C[i * ldc + j] = c + alpha * (float)s;
		}
}
