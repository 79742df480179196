/* linprobe.c - linear probe: forward, cross-entropy, backward, epochs. */
#include "linprobe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int
linprobe_alloc(struct linprobe *p, size_t D, size_t C, size_t B)
{
	memset(p, 0, sizeof *p);
	p->D = D;
	p->C = C;
	p->B = B;
	size_t n = C * D + C;
	p->params = calloc(n, sizeof *p->params);
	p->grads = calloc(n, sizeof *p->grads);
	p->m = calloc(n, sizeof *p->m);
	p->v = calloc(n, sizeof *p->v);
	p->logits = calloc(B * C, sizeof *p->logits);
	p->dlogits = calloc(B * C, sizeof *p->dlogits);
	if (!p->params || !p->grads || !p->m || !p->v || !p->logits ||
	    !p->dlogits) {
		linprobe_free(p);
		return -1;
	}
	p->W = p->params;
	p->b = p->params + C * D;
	return 0;
}

void
linprobe_free(struct linprobe *p)
{
	free(p->params);
	free(p->grads);
	free(p->m);
	free(p->v);
	free(p->logits);
	free(p->dlogits);
	memset(p, 0, sizeof *p);
}

size_t linprobe_nparams(const struct linprobe *p) { return p->C * p->D + p->C; }

static double
dot(const float *a, const float *b, size_t D)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t d = 0;
	for (; d + 4 <= D; d += 4) {
		s0 += (double)a[d] * b[d];
		s1 += (double)a[d + 1] * b[d + 1];
		s2 += (double)a[d + 2] * b[d + 2];
		s3 += (double)a[d + 3] * b[d + 3];
	}
	for (; d < D; d++)
		s0 += (double)a[d] * b[d];
	return (s0 + s1) + (s2 + s3);
}

void
linprobe_forward(float *logits, const float *X, const size_t *idx,
    const float *W, const float *b, size_t B, size_t D, size_t C)
{
	for (size_t r = 0; r < B; r++) {
		const float *x = X + (idx ? idx[r] : r) * D;
		for (size_t c = 0; c < C; c++)
			logits[r * C + c] = (float)(dot(x, W + c * D, D) + b[c]);
	}
}

double
linprobe_ce_backward(float *dlogits, const float *logits, const int32_t *y,
    const size_t *idx, size_t B, size_t C)
{
	double loss = 0;
	for (size_t r = 0; r < B; r++) {
		const float *z = logits + r * C;
		size_t t = (size_t)y[idx ? idx[r] : r];
		double mx = z[0], se = 0;
		for (size_t c = 1; c < C; c++)
			mx = z[c] > mx ? z[c] : mx;
		for (size_t c = 0; c < C; c++)
			se += exp(z[c] - mx);
		double lse = mx + log(se);
		loss += lse - z[t];
		for (size_t c = 0; c < C; c++) {
			double pr = exp(z[c] - lse);
			dlogits[r * C + c] = (float)((pr - (c == t)) / (double)B);
		}
	}
	return loss / (double)B;
}

void
linprobe_backward(float *dW, float *db, const float *dlogits,
    const float *X, const size_t *idx, size_t B, size_t D, size_t C)
{
	for (size_t c = 0; c < C; c++) {
		double s = 0;
		for (size_t r = 0; r < B; r++)
			s += dlogits[r * C + c];
		db[c] = (float)s;
	}
	/* dW[c,:] = sum_r g[r,c] x_r: rows of X stream once per class */
	for (size_t c = 0; c < C; c++) {
		float *w = dW + c * D;
		memset(w, 0, D * sizeof *w);
		for (size_t r = 0; r < B; r++) {
			float g = dlogits[r * C + c];
			const float *x = X + (idx ? idx[r] : r) * D;
			for (size_t d = 0; d < D; d++)
				w[d] += g * x[d];
		}
	}
}

double
linprobe_epoch(struct linprobe *p, const float *X, const int32_t *y,
    const size_t *order, size_t N, const struct adam_params *a)
{
	size_t D = p->D, C = p->C, nb = 0;
	double total = 0;
	for (size_t i0 = 0; i0 < N; i0 += p->B) {
		size_t B = N - i0 < p->B ? N - i0 : p->B;
		const size_t *idx = order + i0;
		linprobe_forward(p->logits, X, idx, p->W, p->b, B, D, C);
		total += linprobe_ce_backward(p->dlogits, p->logits, y, idx,
		    B, C);
		linprobe_backward(p->grads, p->grads + C * D, p->dlogits, X,
		    idx, B, D, C);
		p->step++;
		adam_update(p->params, p->m, p->v, p->grads,
		    linprobe_nparams(p), a, p->step);
		nb++;
	}
	return nb ? total / (double)nb : 0;
}

void
linprobe_predict(int32_t *pred, const struct linprobe *p, const float *X,
    size_t N)
{
	size_t D = p->D, C = p->C;
	for (size_t i = 0; i < N; i++) {
		const float *x = X + i * D;
		double best = -INFINITY;
		int32_t arg = 0;
		for (size_t c = 0; c < C; c++) {
			double z = (float)(dot(x, p->W + c * D, D) + p->b[c]);
			if (z > best) {
				best = z;
				arg = (int32_t)c;
			}
		}
		pred[i] = arg;
	}
}

void
linprobe_stats(double *mean, double *std, const float *X, size_t N,
    size_t D)
{
	for (size_t d = 0; d < D; d++) {
		double m = 0, v = 0;
		for (size_t i = 0; i < N; i++)
			m += X[i * D + d];
		m /= (double)(N ? N : 1);
		for (size_t i = 0; i < N; i++) {
			double t = X[i * D + d] - m;
			v += t * t;
		}
		v /= (double)(N ? N : 1);
		mean[d] = m;
		std[d] = v > 0 ? sqrt(v) : 1;
	}
}

void
linprobe_standardize(float *X, const double *mean, const double *std,
    size_t N, size_t D)
{
	for (size_t i = 0; i < N; i++)
		for (size_t d = 0; d < D; d++)
			X[i * D + d] = (float)((X[i * D + d] - mean[d]) / std[d]);
}
