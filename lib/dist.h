/*
 * dist.h - the few collective operations data-parallel training needs
 * (vicreg-train under mpirun), behind one small interface.
 *
 * Built with -DVT_MPI (make MPI=1: mpicc, build-mpi/, bin-mpi/) these
 * are MPI calls over MPI_COMM_WORLD; otherwise a single-process
 * implementation: one process of rank 0, sums and gathers that leave
 * their argument as it is.  Library code (model.c) calls the same API
 * either way.
 *
 * Every collective must be called by every process, in the same order
 * and with the same counts.  MPI errors are fatal (MPI's default
 * handler aborts the job).  Before dist_init, and in a program that
 * never calls it, there is one process.
 */
#ifndef DIST_H
#define DIST_H

#include <stddef.h>

/* Start MPI (a no-op without VT_MPI); returns the number of processes. */
int dist_init(int *argc, char ***argv);
/* End MPI after the last collective (a no-op without VT_MPI). */
void dist_finalize(void);
int dist_rank(void);    /* 0 .. dist_size() - 1 */
int dist_size(void);    /* 1 without MPI */

/* x [n] = its element-wise sum (or max) over every process. */
void dist_allreduce_sum_f32(float *x, size_t n);
void dist_allreduce_sum_f64(double *x, size_t n);
void dist_allreduce_max_f64(double *x, size_t n);
/* Wait until every process gets here. */
void dist_barrier(void);

/*
 * The split of a batch of N rows over `size` processes: process `rank`
 * holds rows [*lo, *lo + *n), lo = floor(N rank / size), so shares
 * differ by at most one row, are in rank order and cover the batch.
 */
void dist_share(size_t N, int rank, int size, size_t *lo, size_t *n);

/*
 * x [N,row]: on entry this process's rows (dist_share of N over
 * dist_size()) are in place; on return every process's rows are.
 * Returns -1 if a share exceeds what MPI counts (INT_MAX floats).
 */
int dist_allgather_rows_f32(float *x, size_t N, size_t row);

#endif
