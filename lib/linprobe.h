/*
 * linprobe.h - the study's linear probe: Linear(D, C) + softmax
 * cross-entropy (mean over the batch), trained by Adam with L2 weight
 * decay on frozen representations, mini-batches in a given order.
 *
 * Parameters follow PyTorch's nn.Linear: W [C,D], b [C], default
 * initialisation U(-1/sqrt(D), 1/sqrt(D)) for both; the optimiser is
 * nn.h's adam_update (torch.optim.Adam semantics).  Kernels are plain
 * loops with float64 accumulation: a probe step is too small for GEMM.
 */
#ifndef LINPROBE_H
#define LINPROBE_H

#include <stddef.h>
#include <stdint.h>

#include "nn.h"

struct linprobe {
	size_t D, C, B;       /* features, classes, largest batch */
	float *params;        /* W [C,D] then b [C]: one block for Adam */
	float *W, *b;
	float *grads;         /* dW [C,D] then db [C] */
	float *m, *v;         /* Adam moments, as params */
	float *logits;        /* [B,C] */
	float *dlogits;       /* [B,C] */
	size_t step;          /* Adam steps taken */
};

/* Allocate (0) or free a probe for D features, C classes, batch B. */
int linprobe_alloc(struct linprobe *p, size_t D, size_t C, size_t B);
void linprobe_free(struct linprobe *p);
size_t linprobe_nparams(const struct linprobe *p);    /* C D + C */

/* logits [B,C] = X[idx] W^T + b for the B rows idx of X [N,D]. */
void linprobe_forward(float *logits, const float *X, const size_t *idx,
                      const float *W, const float *b, size_t B, size_t D,
                      size_t C);
/*
 * dlogits [B,C] = (softmax(logits) - onehot(y[idx])) / B; returns the
 * mean cross-entropy.
 */
double linprobe_ce_backward(float *dlogits, const float *logits,
                            const int32_t *y, const size_t *idx, size_t B,
                            size_t C);
/* dW [C,D] = dlogits^T X[idx]; db [C] = column sums (overwritten). */
void linprobe_backward(float *dW, float *db, const float *dlogits,
                       const float *X, const size_t *idx, size_t B,
                       size_t D, size_t C);

/*
 * One epoch over N rows of X [N,D], y [N] in the order order [N]:
 * batches of p->B (the last may be smaller), one Adam step each.
 * Returns the mean of the batch losses.
 */
double linprobe_epoch(struct linprobe *p, const float *X, const int32_t *y,
                      const size_t *order, size_t N,
                      const struct adam_params *a);

/* pred [N] = argmax of the logits (first maximum). */
void linprobe_predict(int32_t *pred, const struct linprobe *p,
                      const float *X, size_t N);

/* mean, std [D] (population std; 0 becomes 1) of X [N,D]. */
void linprobe_stats(double *mean, double *std, const float *X, size_t N,
                    size_t D);
/* X [N,D] = (X - mean) / std */
void linprobe_standardize(float *X, const double *mean, const double *std,
                          size_t N, size_t D);

#endif
