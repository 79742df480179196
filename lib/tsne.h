/*
 * tsne.h - 2-D t-SNE as scikit-learn 1.2 runs it (init='pca',
 * learning_rate='auto'), with an FFT-accelerated gradient.
 *
 * Pipeline (tsne_run):
 *   1. exact K nearest neighbours of every row, K = min(N-1, 3p+1)
 *      (squared Euclidean, self excluded, knn.h)       tsne_knn
 *   2. per-row binary search for the Gaussian precision that gives
 *      perplexity p (float32 arithmetic as sklearn's _utils.pyx)
 *                                                      tsne_binary_search
 *   3. P = (C + C^T) / sum, sparse CSR                 tsne_symmetrize
 *   4. initial embedding: PCA scaled to std 1e-4 in the first column,
 *      or N(0, 1e-4^2)                                 tsne_init_pca
 *   5. gradient descent with gains (delta-bar-delta), momentum 0.5 for
 *      the early-exaggeration stage, 0.8 after; the gradient exactly in
 *      O(N^2) (tsne_gradient_exact) or with the repulsive forces by
 *      Lagrange interpolation on a grid and an FFT convolution, as
 *      FIt-SNE (Linderman et al. 2019) (tsne_gradient_fft).
 *
 * Kernels take their buffers from the caller and never allocate, except
 * tsne_knn and tsne_init_pca, whose knn_search and pca_fit allocate
 * their own work space; the driver tsne_run allocates and returns -1
 * (errno set) on failure.
 * The kNN is lib/knn.h's and the PCA lib/pca.h's.
 */
#ifndef TSNE_H
#define TSNE_H

#include <stddef.h>
#include <stdint.h>

enum tsne_method { TSNE_FFT, TSNE_EXACT };
enum tsne_init { TSNE_INIT_PCA, TSNE_INIT_RANDOM };

#define TSNE_FFT_INTERP 3       /* interpolation nodes per box and axis */
#define TSNE_FFT_MIN_BOXES 50   /* boxes per axis, at least (FIt-SNE) */
#define TSNE_FFT_MAX_BOXES 300  /* boxes per axis, at most (memory cap) */

/* Sparse symmetric joint probabilities, CSR, columns ascending. */
struct tsne_p {
	size_t N;
	size_t *indptr;         /* [N+1] */
	size_t *indices;        /* [nnz] */
	double *val;            /* [nnz], sums to 1 */
};

struct tsne_options {
	double perplexity;          /* 30 */
	size_t iterations;          /* 1000, in total */
	size_t early_iterations;    /* 250 */
	double exaggeration;        /* 12 */
	double learning_rate;       /* <= 0: auto = max(N / exag / 4, 50) */
	enum tsne_method method;    /* TSNE_FFT */
	enum tsne_init init;        /* TSNE_INIT_PCA */
	uint64_t seed;              /* for the random init only */
	/* called every 50 iterations with the KL divergence (approximate
	 * for the FFT method, of the exaggerated P in the early stage) */
	void (*progress)(void *ctx, size_t iteration, double kl);
	void *progress_ctx;
};

struct tsne_result {
	double kl;                  /* exact KL(P || Q) of the final Y */
	size_t iterations;          /* iterations run (early stops) */
	double learning_rate;       /* the rate used */
	size_t neighbors;           /* K */
	double seconds_affinities;  /* kNN + P */
	double seconds_optimize;    /* gradient descent */
};

void tsne_options_default(struct tsne_options *o);
/* K = min(N - 1, floor(3 perplexity + 1)), as sklearn 1.2. */
size_t tsne_neighbors(size_t N, double perplexity);

/*
 * Exact K nearest neighbours, squared Euclidean, self excluded, sorted
 * ascending (distance, then index), by knn_search (lib/knn.h): its
 * float32 distances squared in float32 as sklearn does.
 * idx, dist2: [N,K]; kidx, kdist: [N,K] scratch for knn_search.
 * Needs blas_init().  Returns 0, or -1 with errno (ENOMEM).
 */
int tsne_knn(size_t *idx, double *dist2, const float *X, size_t N,
             size_t D, size_t K, int64_t *kidx, float *kdist);

/*
 * Conditional probabilities P(j|i) over each row's K neighbours so that
 * the row's perplexity is `perplexity` (sklearn _binary_search_perplexity:
 * float32 values, 100 steps, tolerance 1e-5 on the entropy in nats).
 * cond: [N,K]; dist2: [N,K].
 */
void tsne_binary_search(double *cond, const double *dist2, size_t N,
                        size_t K, double perplexity);

/*
 * P = (C + C^T) / sum(C + C^T) with C[i, idx[i,k]] = cond[i,k].
 * Counting pass: tsne_symmetrize_count fills P->indptr (needs
 * colcount [N+1] scratch); then the caller allocates indices/val of
 * P->indptr[N] entries and calls tsne_symmetrize_fill (scratch
 * cursor [N], tcol [N*K] size_t, tval [N*K] doubles).
 */
void tsne_symmetrize_count(struct tsne_p *P, const size_t *idx, size_t N,
                           size_t K, size_t *colcount);
void tsne_symmetrize_fill(struct tsne_p *P, const size_t *idx,
                          const double *cond, size_t N, size_t K,
                          const size_t *colcount, size_t *cursor,
                          size_t *tcol, double *tval);

/*
 * PCA initialisation: the projection of the centred X on its two
 * leading principal axes by pca_fit (lib/pca.h, sign as sklearn's
 * svd_flip), scaled so that column 0 has standard deviation 1e-4
 * (ddof 0) in float32 as sklearn.  Y: [N,2]; work: [N,2] floats.
 * Needs blas_init().  Returns -1 if X has no variance (errno ENOMEM
 * if pca_fit ran out of memory).
 */
int tsne_init_pca(double *Y, const float *X, size_t N, size_t D,
                  float *work);

/*
 * Gradient of KL(P || Q) w.r.t. Y [N,2] (sklearn's, including the
 * factor 4), P multiplied by `exaggeration`.  *kl, if not NULL, gets
 * the KL divergence of the exaggerated P (sklearn's error).
 * tsne_gradient_exact: O(N^2); rowz: [N] scratch.
 */
void tsne_gradient_exact(double *grad, const struct tsne_p *P,
                         double exaggeration, const double *Y, size_t N,
                         double *rowz, double *kl);

/* Exact KL(P || Q) in O(N^2); rowz: [N] scratch. */
double tsne_kl_exact(const struct tsne_p *P, const double *Y, size_t N,
                     double *rowz);

/*
 * The FFT gradient.  struct tsne_fft holds its work space, sized by
 * tsne_fft_alloc for N points and up to TSNE_FFT_MAX_BOXES boxes.
 */
struct tsne_fft;
struct tsne_fft *tsne_fft_alloc(size_t N, size_t threads);
void tsne_fft_free(struct tsne_fft *f);
/* boxes per axis the last call used (for tests and progress) */
size_t tsne_fft_boxes(const struct tsne_fft *f);
void tsne_gradient_fft(double *grad, const struct tsne_p *P,
                       double exaggeration, const double *Y, size_t N,
                       struct tsne_fft *f, double *kl);

/* Attractive part: attr[i] = sum_j p_ij w_ij (y_i - y_j) with the
 * exaggerated p and w = 1 / (1 + |y_i - y_j|^2); rowkl [N], if not
 * NULL, gets sum_j p log(p / w) per row (log Z added by the caller). */
void tsne_attractive(double *attr, const struct tsne_p *P,
                     double exaggeration, const double *Y, size_t N,
                     double *rowkl);

/*
 * The whole run: X [N,D] (finite) to Y [N,2].  Returns 0, or -1 with
 * errno (EINVAL: perplexity >= N or N < 2 or no variance for PCA;
 * ENOMEM).  Needs blas_init().
 */
int tsne_run(float *Y, const float *X, size_t N, size_t D,
             const struct tsne_options *o, struct tsne_result *res);

void tsne_p_free(struct tsne_p *P);

/*
 * The vectorised kernels (FFT batches, attractive forces) have an AVX2
 * version used when the CPU has AVX2 and FMA, and the plain reference
 * twin.  tsne_simd(0) forces the plain code, tsne_simd(1) the AVX2 code
 * where available, tsne_simd(-1) only probes; returns 1 if AVX2 is used.
 */
int tsne_simd(int on);

/* Fast Fourier transform of any length with factors 2, 3 and 5
 * (tsne_fft.c): the plain one-signal Stockham transform, the reference
 * twin of the batched, vectorised one the gradient uses (same stages). */
struct tsne_cpx {
	double re, im;
};
int tsne_fft_size_ok(size_t n);             /* only factors 2, 3, 5 */
/* twiddles [n] = exp(-2 pi i k / n); x [n] = DFT(x) in place (inverse,
 * unscaled, when inv) with work [n]. */
void tsne_fft_twiddles(struct tsne_cpx *tw, size_t n);
void tsne_fft_1d(struct tsne_cpx *x, struct tsne_cpx *work, size_t n,
                 const struct tsne_cpx *tw, int inv);

#endif
