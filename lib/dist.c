/*
 * dist.c - collectives over MPI_COMM_WORLD with -DVT_MPI, a single
 * process otherwise (see dist.h).
 */
#include <limits.h>
#include <stdint.h>

#include "dist.h"

void
dist_share(size_t N, int rank, int size, size_t *lo, size_t *n)
{
	size_t s = size > 0 ? (size_t)size : 1, r = (size_t)rank;
	/* floor(N r / s) without overflow for any N that fits memory */
	size_t a = N / s * r + N % s * r / s;
	size_t b = N / s * (r + 1) + N % s * (r + 1) / s;
	*lo = a;
	*n = b - a;
}

#ifdef VT_MPI

#include <mpi.h>

static int rank_, size_ = 1, started;

int
dist_init(int *argc, char ***argv)
{
	int provided;
	/* OpenMP threads compute; only the main thread calls MPI */
	MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
	MPI_Comm_size(MPI_COMM_WORLD, &size_);
	started = 1;
	return size_;
}

void
dist_finalize(void)
{
	if (started)
		MPI_Finalize();
	started = 0;
}

int dist_rank(void) { return rank_; }
int dist_size(void) { return size_; }

/* MPI counts are int: go in pieces of at most 2^30 elements. */
#define PIECE ((size_t)1 << 30)

static void
allreduce(void *x, size_t n, size_t esize, MPI_Datatype t, MPI_Op op)
{
	if (size_ == 1)
		return;
	for (size_t i = 0; i < n; i += PIECE) {
		size_t k = n - i < PIECE ? n - i : PIECE;
		MPI_Allreduce(MPI_IN_PLACE, (char *)x + i * esize, (int)k, t,
		    op, MPI_COMM_WORLD);
	}
}

void
dist_allreduce_sum_f32(float *x, size_t n)
{
	allreduce(x, n, sizeof *x, MPI_FLOAT, MPI_SUM);
}

void
dist_allreduce_sum_f64(double *x, size_t n)
{
	allreduce(x, n, sizeof *x, MPI_DOUBLE, MPI_SUM);
}

void
dist_allreduce_max_f64(double *x, size_t n)
{
	allreduce(x, n, sizeof *x, MPI_DOUBLE, MPI_MAX);
}

void
dist_barrier(void)
{
	if (size_ > 1)
		MPI_Barrier(MPI_COMM_WORLD);
}

int
dist_allgather_rows_f32(float *x, size_t N, size_t row)
{
	if (size_ == 1)
		return 0;
	/* at most a few processes on a node: the counts on the stack */
	int counts[size_], displs[size_];
	for (int r = 0; r < size_; r++) {
		size_t lo, n;
		dist_share(N, r, size_, &lo, &n);
		if (n * row > INT_MAX || lo * row > INT_MAX)
			return -1;
		counts[r] = (int)(n * row);
		displs[r] = (int)(lo * row);
	}
	MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, x, counts, displs,
	    MPI_FLOAT, MPI_COMM_WORLD);
	return 0;
}

#else /* one process */

int dist_init(int *argc, char ***argv) { (void)argc; (void)argv; return 1; }
void dist_finalize(void) {}
int dist_rank(void) { return 0; }
int dist_size(void) { return 1; }
void dist_allreduce_sum_f32(float *x, size_t n) { (void)x; (void)n; }
void dist_allreduce_sum_f64(double *x, size_t n) { (void)x; (void)n; }
void dist_allreduce_max_f64(double *x, size_t n) { (void)x; (void)n; }
void dist_barrier(void) {}

int
dist_allgather_rows_f32(float *x, size_t N, size_t row)
{
	(void)x;
	(void)N;
	(void)row;
	return 0;
}

#endif
