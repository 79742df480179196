/* spectral.c - k-NN affinity graph, normalised Laplacian, eigenmaps.
 * See spectral.h. */
#include "spectral.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lanczos.h"

struct entry {
	size_t col;
	double val;
};

static int
entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return x->col < y->col ? -1 : x->col > y->col;
}

int
spectral_graph_build(struct spectral_graph *g, const int64_t *idx,
    const float *dist, size_t N, size_t k, double sigma)
{
	memset(g, 0, sizeof *g);
	size_t *cnt = calloc(N + 1, sizeof *cnt);
	if (cnt == NULL)
		goto nomem;
	for (size_t i = 0; i < N; i++)
		for (size_t t = 0; t < k; t++) {
			int64_t j = idx[i * k + t];
			if (j >= (int64_t)N) {
				free(cnt);
				errno = EINVAL;
				return -1;
			}
			if (j < 0 || (size_t)j == i)
				continue;
			cnt[i + 1]++;             /* (i, j) */
			cnt[(size_t)j + 1]++;     /* (j, i) */
		}
	for (size_t i = 0; i < N; i++)
		cnt[i + 1] += cnt[i];
	size_t total = cnt[N];
	struct entry *e = malloc((total ? total : 1) * sizeof *e);
	size_t *fill = malloc((N ? N : 1) * sizeof *fill);
	g->rowptr = malloc((N + 1) * sizeof *g->rowptr);
	if (e == NULL || fill == NULL || g->rowptr == NULL) {
		free(e), free(fill), free(cnt);
		goto nomem;
	}
	memcpy(fill, cnt, N * sizeof *fill);
	double s2 = 2 * sigma * sigma;
	for (size_t i = 0; i < N; i++)
		for (size_t t = 0; t < k; t++) {
			int64_t jj = idx[i * k + t];
			if (jj < 0 || (size_t)jj == i)
				continue;
			size_t j = (size_t)jj;
			double a = 1;
			if (sigma > 0) {
				double d = dist[i * k + t];
				a = exp(-d * d / s2);
			}
			e[fill[i]++] = (struct entry){ j, 0.5 * a };
			e[fill[j]++] = (struct entry){ i, 0.5 * a };
		}
	/* sort each row by column and merge the (at most two) duplicates */
	size_t nnz = 0;
	for (size_t i = 0; i < N; i++) {
		qsort(e + cnt[i], cnt[i + 1] - cnt[i], sizeof *e, entry_cmp);
		g->rowptr[i] = nnz;
		for (size_t p = cnt[i]; p < cnt[i + 1]; p++) {
			if (nnz > g->rowptr[i] && e[nnz - 1].col == e[p].col)
				e[nnz - 1].val += e[p].val;
			else
				e[nnz++] = e[p];
		}
	}
	g->rowptr[N] = nnz;
	free(fill), free(cnt);
	g->N = N;
	g->col = malloc((nnz ? nnz : 1) * sizeof *g->col);
	g->val = malloc((nnz ? nnz : 1) * sizeof *g->val);
	if (g->col == NULL || g->val == NULL) {
		free(e);
		spectral_graph_free(g);
		goto nomem;
	}
	for (size_t p = 0; p < nnz; p++) {
		g->col[p] = e[p].col;
		g->val[p] = e[p].val;
	}
	free(e);
	return 0;
nomem:
	errno = ENOMEM;
	return -1;
}

void
spectral_graph_free(struct spectral_graph *g)
{
	free(g->rowptr), free(g->col), free(g->val);
	memset(g, 0, sizeof *g);
}

/* Union-find with path halving; labels numbered by first appearance. */
size_t
spectral_components(const struct spectral_graph *g, size_t *label)
{
	size_t N = g->N, ncomp = 0;
	size_t *par = malloc((N ? N : 1) * sizeof *par);
	if (par == NULL)
		return 0;
	for (size_t i = 0; i < N; i++)
		par[i] = i;
	for (size_t i = 0; i < N; i++)
		for (size_t p = g->rowptr[i]; p < g->rowptr[i + 1]; p++) {
			size_t a = i, b = g->col[p];
			while (par[a] != a)
				a = par[a] = par[par[a]];
			while (par[b] != b)
				b = par[b] = par[par[b]];
			if (a != b) {
				if (a < b)
					par[b] = a;
				else
					par[a] = b;
			}
		}
	for (size_t i = 0; i < N; i++) {
		size_t a = i;
		while (par[a] != a)
			a = par[a];
		par[i] = a;
		if (a == i)
			ncomp++;
		if (label != NULL)
			label[i] = a;
	}
	free(par);
	return ncomp;
}

struct normop {
	const struct spectral_graph *g;
	const double *dinv;      /* [N] 1 / sqrt(degree) */
};

/* y = D^-1/2 W D^-1/2 x */
static void
normop_apply(double *y, const double *x, void *ctx)
{
	const struct normop *o = ctx;
	const struct spectral_graph *g = o->g;
	#pragma omp parallel for schedule(static) if (g->rowptr[g->N] >= 1000000)
	for (size_t i = 0; i < g->N; i++) {
		double s = 0;
		for (size_t p = g->rowptr[i]; p < g->rowptr[i + 1]; p++)
			s += g->val[p] * o->dinv[g->col[p]] * x[g->col[p]];
		y[i] = o->dinv[i] * s;
	}
}

int
spectral_embed(float *Y, double *lambda, const struct spectral_graph *g,
    size_t d, double tol, uint64_t seed, struct spectral_info *info)
{
	size_t N = g->N, nev = d + 1;
	if (d == 0 || nev > N) {
		errno = EINVAL;
		return -1;
	}
	double *dd = malloc(N * sizeof *dd), *dinv = malloc(N * sizeof *dinv);
	double *w = malloc(nev * sizeof *w), *V = malloc(nev * N * sizeof *V);
	int rc = -1;
	if (!dd || !dinv || !w || !V) {
		errno = ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < N; i++) {
		double s = 0;
		for (size_t p = g->rowptr[i]; p < g->rowptr[i + 1]; p++)
			s += g->val[p];
		dd[i] = s > 0 ? sqrt(s) : 1;
		dinv[i] = 1 / dd[i];
	}
	struct normop o = { g, dinv };
	struct lanczos_info li;
	int lrc = lanczos_largest(w, V, normop_apply, &o, N, nev, 0, tol, 0,
	    seed, &li);
	if (lrc < 0)
		goto out;
	if (info != NULL) {
		info->matvecs = li.matvecs;
		info->restarts = li.restarts;
		info->residual = li.residual;
		info->converged = lrc == 0;
	}
	if (lambda != NULL)
		for (size_t c = 0; c < nev; c++)
			lambda[c] = 1 - w[c];
	for (size_t c = 0; c < nev; c++) {
		double *v = V + c * N;
		size_t best = 0;
		double big = -1;
		for (size_t i = 0; i < N; i++) {
			v[i] /= dd[i];
			if (fabs(v[i]) > big) {
				big = fabs(v[i]);
				best = i;
			}
		}
		if (v[best] < 0)
			for (size_t i = 0; i < N; i++)
				v[i] = -v[i];
	}
	for (size_t i = 0; i < N; i++)
		for (size_t c = 0; c < d; c++)
			Y[i * d + c] = (float)V[(c + 1) * N + i];
	rc = 0;
out:
	free(dd), free(dinv), free(w), free(V);
	return rc;
}
