/* test_roc.c - ROC points and AUC against scikit-learn 1.2 fixtures. */
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "npy.h"
#include "roc.h"

#define DIR "tests/fixtures/cluster/"

/* Array k of a fixture stream as float64; *n its element count. */
static double *
load(const char *path, int k, size_t *n, struct npy_header *hout)
{
	struct npy_header h;
	double *d = fixture_load(path, k, NPY_F64, &h);
	*n = npy_count(&h);
	if (hout)
		*hout = h;
	return d;
}

static void
one(const char *tag, const char *in, const char *out, int drop,
    const char *aucf)
{
	size_t n, nl, nref, na;
	struct npy_header hs;
	char path[256], what[64];
	snprintf(path, sizeof path, DIR "%s", in);
	double *s = load(path, 0, &n, &hs);
	double *l = load(path, 1, &nl, NULL);
	snprintf(path, sizeof path, DIR "%s", out);
	double *ref = load(path, 0, &nref, NULL);       /* [M,3] */
	struct roc_pair *p = malloc(n * sizeof *p);
	double *thr = malloc((n + 1) * 3 * sizeof *thr);
	double *fpr = thr + n + 1, *tpr = thr + 2 * (n + 1);
	size_t M;
	CHECK(n == nl);
	for (size_t i = 0; i < n; i++) {
		p[i].score = s[i];
		p[i].label = (uint8_t)l[i];
	}
	CHECK(roc_curve(thr, fpr, tpr, &M, p, n, drop) == 0);
	if (hs.dtype == NPY_F32)
		thr[0] = (double)((float)thr[1] + 1.0f);
	CHECK(M * 3 == nref);
	if (M * 3 == nref) {
		double *got = malloc(nref * sizeof *got);
		for (size_t j = 0; j < M; j++) {
			got[3 * j] = thr[j];
			got[3 * j + 1] = fpr[j];
			got[3 * j + 2] = tpr[j];
		}
		snprintf(what, sizeof what, "roc %s points", tag);
		check_close_f64(what, got, ref, nref, 1e-12, 0);
		free(got);
	}
	if (aucf) {
		snprintf(path, sizeof path, DIR "%s", aucf);
		double *auc = load(path, 0, &na, NULL);
		double got = roc_auc(fpr, tpr, M);
		snprintf(what, sizeof what, "roc %s auc", tag);
		check_close_f64(what, &got, auc, 1, 1e-12, 0);
		free(auc);
	}
	free(s);
	free(l);
	free(ref);
	free(p);
	free(thr);
}

int
main(void)
{
	one("f64", "roc_f64_in.npy", "roc_f64_out.npy", 1, "roc_f64_auc.npy");
	one("f64 all", "roc_f64_in.npy", "roc_f64_out_all.npy", 0, NULL);
	one("f32", "roc_f32_in.npy", "roc_f32_out.npy", 1, "roc_f32_auc.npy");
	one("f32 all", "roc_f32_in.npy", "roc_f32_out_all.npy", 0, NULL);
	one("i32", "roc_i32_in.npy", "roc_i32_out.npy", 1, "roc_i32_auc.npy");
	one("i32 all", "roc_i32_in.npy", "roc_i32_out_all.npy", 0, NULL);

	/* one class only: undefined */
	struct roc_pair p[3] = { { 1, 1 }, { 2, 1 }, { 3, 1 } };
	double t[12];
	size_t M;
	CHECK(roc_curve(t, t + 4, t + 8, &M, p, 3, 1) == -1);
	/* a perfect and a reversed scorer */
	struct roc_pair q[4] = { { 4, 1 }, { 3, 1 }, { 2, 0 }, { 1, 0 } };
	double u[15];
	CHECK(roc_curve(u, u + 5, u + 10, &M, q, 4, 1) == 0);
	CHECK(roc_auc(u + 5, u + 10, M) == 1.0);
	struct roc_pair w[4] = { { 4, 0 }, { 3, 0 }, { 2, 1 }, { 1, 1 } };
	CHECK(roc_curve(u, u + 5, u + 10, &M, w, 4, 1) == 0);
	CHECK(roc_auc(u + 5, u + 10, M) == 0.0);
	return check_done();
}
