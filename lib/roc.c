/* roc.c - ROC curve points and trapezoidal AUC (scikit-learn 1.2). */
#include "roc.h"

#include <stdlib.h>

static int
pair_cmp_desc(const void *a, const void *b)
{
	double x = ((const struct roc_pair *)a)->score;
	double y = ((const struct roc_pair *)b)->score;
	return (x < y) - (x > y);
}

/*
 * sklearn's _binary_clf_curve: after a descending sort, one point at the
 * last index of every run of equal scores, with cumulative true
 * positives tps and fps = index + 1 - tps there.  Then roc_curve drops
 * collinear points (np.diff(., 2) != 0 on fps or tps, ends kept when
 * more than two points), prepends (0, 0) with threshold thr[0] + 1 and
 * divides by the totals.
 */
int
roc_curve(double *thr, double *fpr, double *tpr, size_t *M,
    struct roc_pair *pairs, size_t N, int drop_intermediate)
{
	size_t m = 0, npos = 0;

	*M = 0;
	if (N == 0)
		return -1;
	qsort(pairs, N, sizeof *pairs, pair_cmp_desc);
	/* distinct thresholds, counts kept in fpr/tpr (offset by one) */
	for (size_t i = 0; i < N; i++) {
		npos += pairs[i].label;
		if (i + 1 == N || pairs[i + 1].score != pairs[i].score) {
			thr[m + 1] = pairs[i].score;
			tpr[m + 1] = (double)npos;
			fpr[m + 1] = (double)(i + 1 - npos);
			m++;
		}
	}
	if (npos == 0 || npos == N)
		return -1;
	if (drop_intermediate && m > 2) {
		size_t keep = 1;        /* first point stays at index 1 */
		for (size_t j = 2; j < m; j++) {
			/* second differences around point j (1-based) */
			double dfps = fpr[j + 1] - 2 * fpr[j] + fpr[j - 1];
			double dtps = tpr[j + 1] - 2 * tpr[j] + tpr[j - 1];
			if (dfps != 0 || dtps != 0) {
				keep++;
				thr[keep] = thr[j];
				fpr[keep] = fpr[j];
				tpr[keep] = tpr[j];
			}
		}
		/*
		 * In place: a write goes to index keep <= j, and the next
		 * reads start at index j, which only a self-copy touched.
		 */
		keep++;
		thr[keep] = thr[m];
		fpr[keep] = fpr[m];
		tpr[keep] = tpr[m];
		m = keep;
	}
	thr[0] = thr[1] + 1;
	fpr[0] = 0;
	tpr[0] = 0;
	double fps_total = fpr[m], tps_total = tpr[m];
	for (size_t j = 1; j <= m; j++) {
		fpr[j] /= fps_total;
		tpr[j] /= tps_total;
	}
	*M = m + 1;
	return 0;
}

double
roc_auc(const double *fpr, const double *tpr, size_t M)
{
	double s = 0;
	for (size_t j = 1; j < M; j++)
		s += (fpr[j] - fpr[j - 1]) * (tpr[j] + tpr[j - 1]) / 2.0;
	return s;
}
