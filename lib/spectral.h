/*
 * spectral.h - Laplacian eigenmaps, as scikit-learn 1.2's
 * SpectralEmbedding(affinity='nearest_neighbors') / spectral_embedding.
 *
 * The graph: each point's k-NN list (self entries ignored) gives
 * a_ij = 1 (connectivity) or exp(-d_ij^2 / (2 sigma^2)) (heat kernel);
 * W = (A + A^T) / 2, stored as a symmetric CSR matrix.  The normalised
 * Laplacian L = I - D^-1/2 W D^-1/2 (degrees without self loops, an
 * isolated point's degree taken as 1, as scipy's csgraph.laplacian);
 * its d + 1 smallest eigenpairs are the largest of D^-1/2 W D^-1/2,
 * found by lanczos.h.  Post-processing as sklearn: each eigenvector is
 * divided by sqrt(degree), its largest-magnitude entry made positive
 * (_deterministic_vector_sign_flip), and the first (trivial) dropped.
 */
#ifndef SPECTRAL_H
#define SPECTRAL_H

#include <stddef.h>
#include <stdint.h>

struct spectral_graph {
	size_t N;
	size_t *rowptr;         /* [N+1] */
	size_t *col;            /* [nnz], sorted within a row, no diagonal */
	double *val;            /* [nnz] */
};

/*
 * Build W from k-NN lists idx[N,k] (entries equal to the row, and
 * negative ones, are skipped) with distances dist[N,k] (needed when
 * sigma > 0: heat-kernel weights; sigma == 0: connectivity).  Returns
 * 0, or -1 with errno (EINVAL: an index >= N; ENOMEM).
 */
int spectral_graph_build(struct spectral_graph *g, const int64_t *idx,
                         const float *dist, size_t N, size_t k, double sigma);
void spectral_graph_free(struct spectral_graph *g);

/* Connected components; label[N] (may be NULL) gets each point's. */
size_t spectral_components(const struct spectral_graph *g, size_t *label);

struct spectral_info {
	size_t matvecs, restarts;
	double residual;
	int converged;
};

/*
 * Y[N,d]: the embedding; lambda[d+1] (may be NULL): the d + 1 smallest
 * eigenvalues of L, ascending (the first is the trivial ~0).  tol is the
 * Lanczos residual tolerance, seed its start vector.  Needs d + 1 <= N.
 * Returns 0, or -1 with errno.
 */
int spectral_embed(float *Y /*[N,d]*/, double *lambda /*[d+1]*/,
                   const struct spectral_graph *g, size_t d, double tol,
                   uint64_t seed, struct spectral_info *info);

#endif
