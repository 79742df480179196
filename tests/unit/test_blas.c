/*
 * test_blas.c - sgemm and dgemm against the plain loops, with every
 * operand ending at a page boundary followed by an inaccessible page.
 * Debian's BLIS 0.9.0 small-matrix kernels read past the end of A, B
 * or C when K % 8 != 0 (BLIS issue #821); blas_rntm() routes such
 * calls around them, and a read past an operand here is a SIGSEGV.
 * The shapes are ones that faulted without the workaround on zen3
 * (m=4, n=27, k=900 is the stem's weight gradient of the old im2col
 * path at width 4).
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <blis.h>

#include "blas.h"
#include "check.h"

/* n floats (or doubles) ending at a page boundary, the next page
 * PROT_NONE; *base and *len for munmap */
static void *
guarded(size_t bytes, char **base, size_t *len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (bytes + pg - 1) / pg * pg;
	*len = span + pg;
	char *p = mmap(NULL, *len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p + span, pg, PROT_NONE) != 0) {
		perror("mmap");
		exit(1);
	}
	*base = p;
	return p + span - bytes;
}

static void
fill(float *x, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)((i * 2654435761u + seed) % 1000) / 500.0f - 1.0f;
}

static void
one_s(int ta, int tb, size_t M, size_t N, size_t K)
{
	size_t lda = ta ? M : K, ldb = tb ? K : N;
	char *ba, *bb, *bc;
	size_t la, lb, lc;
	float *A = guarded(M * K * sizeof *A, &ba, &la);
	float *B = guarded(K * N * sizeof *B, &bb, &lb);
	float *C = guarded(M * N * sizeof *C, &bc, &lc);
	float *want = malloc(M * N * sizeof *want);
	fill(A, M * K, 1);
	fill(B, K * N, 2);
	fill(C, M * N, 3);
	memcpy(want, C, M * N * sizeof *C);
	sgemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 0.25f, C, N);
	sgemm_ref(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 0.25f, want, N);
	char what[64];
	snprintf(what, sizeof what, "sgemm %d%d %zux%zux%zu", ta, tb, M, N, K);
	CHECK(check_close_f32(what, C, want, M * N, 1e-4, 1e-4) == 0);
	/* the same through bli_sgemm_ex on one thread, as lib/nn.c does */
	rntm_t rntm;
	blas_rntm(&rntm, 1, K);
	float one = 1.0f, zero = 0.0f;
	bli_sgemm_ex(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE,
	    tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, (dim_t)M, (dim_t)N,
	    (dim_t)K, &one, A, (inc_t)lda, 1, B, (inc_t)ldb, 1, &zero, C,
	    (inc_t)N, 1, NULL, &rntm);
	sgemm_ref(ta, tb, M, N, K, 1.0f, A, lda, B, ldb, 0.0f, want, N);
	CHECK(check_close_f32(what, C, want, M * N, 1e-4, 1e-4) == 0);
	munmap(ba, la);
	munmap(bb, lb);
	munmap(bc, lc);
	free(want);
}

static void
one_d(size_t M, size_t N, size_t K)
{
	char *ba, *bb, *bc;
	size_t la, lb, lc;
	double *A = guarded(M * K * sizeof *A, &ba, &la);
	double *B = guarded(K * N * sizeof *B, &bb, &lb);
	double *C = guarded(M * N * sizeof *C, &bc, &lc);
	double *want = calloc(M * N, sizeof *want);
	for (size_t i = 0; i < M * K; i++)
		A[i] = (double)(i % 7) - 3.0;
	for (size_t i = 0; i < K * N; i++)
		B[i] = (double)(i % 5) - 2.0;
	dgemm(0, 1, M, N, K, 1.0, A, K, B, K, 0.0, C, N);
	for (size_t i = 0; i < M; i++)
		for (size_t j = 0; j < N; j++)
			for (size_t k = 0; k < K; k++)
				want[i * N + j] += A[i * K + k] * B[j * K + k];
	CHECK(check_close_f64("dgemm", C, want, M * N, 1e-9, 1e-12) == 0);
	munmap(ba, la);
	munmap(bb, lb);
	munmap(bc, lc);
	free(want);
}

int
main(void)
{
	blas_init(2, 0);
	static const size_t shapes[][3] = {
		{ 1, 3, 900 }, { 1, 27, 900 }, { 2, 3, 9 }, { 4, 27, 900 },
		{ 4, 36, 900 }, { 16, 16, 100 }, { 5, 16, 31 }, { 3, 8, 5 },
		{ 64, 64, 27 }, { 7, 13, 17 }, { 8, 8, 8 }, { 32, 128, 64 },
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
		for (int ta = 0; ta < 2; ta++)
			for (int tb = 0; tb < 2; tb++)
				one_s(ta, tb, shapes[i][0], shapes[i][1],
				    shapes[i][2]);
	one_d(4, 27, 900);
	one_d(16, 16, 100);
	return check_failures != 0;
}
