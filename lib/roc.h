/*
 * roc.h - the receiver operating characteristic of a binary scorer, as
 * scikit-learn 1.2's roc_curve and roc_auc_score compute it.
 *
 * Points are one per distinct score (highest first), preceded by the
 * origin with threshold max + 1; with drop_intermediate, points that lie
 * on a straight segment between their neighbours (zero second
 * difference of both the false and the true positive counts) are
 * dropped, as sklearn does by default.
 */
#ifndef ROC_H
#define ROC_H

#include <stddef.h>
#include <stdint.h>

/* One scored sample; roc_curve sorts an array of them in place. */
struct roc_pair {
	double score;
	uint8_t label;            /* 0 or 1 */
};

/*
 * thr, fpr, tpr [N+1] out; M out = points written (<= N+1).
 * pairs [N] in (sorted in place, descending score).
 * Needs both classes present (returns -1 otherwise: the rates would be
 * 0/0).  thr[0] = thr[1] + 1 in double; a caller whose scores were
 * float32 recomputes it in float32 to match sklearn to the last bit.
 */
int roc_curve(double *thr, double *fpr, double *tpr, size_t *M,
              struct roc_pair *pairs, size_t N, int drop_intermediate);

/* Area under the points (trapezoidal rule, x = fpr increasing). */
double roc_auc(const double *fpr, const double *tpr, size_t M);

#endif
