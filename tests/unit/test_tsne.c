/*
 * test_tsne.c - t-SNE against scikit-learn 1.2 fixtures
 * (tests/reference/gen_tsne.py): P calibration, PCA init, the exact
 * gradient, the FFT against a plain DFT, the FFT gradient against the
 * exact one, and whole runs (KL within 5 %, trustworthiness within
 * 0.01 of sklearn's).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "check.h"
#include "npy.h"
#include "rng.h"
#include "tsne.h"

#define FIX "tests/fixtures/tsne/"

static void *
read_next(struct npy_reader *r, enum npy_dtype t, struct npy_header *h)
{
	void *p;
	if (npy_next(r) != 1 || r->h.dtype != t || npy_read_all(r, &p) < 0) {
		fprintf(stderr, "fixture %s: %s\n", r->name, r->err);
		exit(1);
	}
	*h = r->h;
	return p;
}

static FILE *
open_fixture(const char *name, struct npy_reader *r)
{
	FILE *fp = fopen(name, "rb");
	if (!fp) {
		perror(name);
		exit(1);
	}
	npy_reader_init(r, fp, name);
	return fp;
}

/* P from the library's own steps, as tsne_run builds it */
static void
build_p(struct tsne_p *P, const float *X, size_t N, size_t D, double perp)
{
	size_t K = tsne_neighbors(N, perp);
	size_t *idx = malloc(N * K * sizeof *idx);
	double *d2 = malloc(N * K * sizeof *d2);
	int64_t *kidx = malloc(N * K * sizeof *kidx);
	float *kdist = malloc(N * K * sizeof *kdist);
	double *cond = malloc(N * K * sizeof *cond);
	size_t *cc = malloc((N + 1) * sizeof *cc);
	size_t *cur = malloc(N * sizeof *cur);
	size_t *tcol = malloc(N * K * sizeof *tcol);
	double *tval = malloc(N * K * sizeof *tval);
	CHECK(tsne_knn(idx, d2, X, N, D, K, kidx, kdist) == 0);
	tsne_binary_search(cond, d2, N, K, perp);
	P->indptr = malloc((N + 1) * sizeof *P->indptr);
	tsne_symmetrize_count(P, idx, N, K, cc);
	P->indices = malloc(P->indptr[N] * sizeof *P->indices);
	P->val = malloc(P->indptr[N] * sizeof *P->val);
	tsne_symmetrize_fill(P, idx, cond, N, K, cc, cur, tcol, tval);
	free(idx);
	free(d2);
	free(kidx);
	free(kdist);
	free(cond);
	free(cc);
	free(cur);
	free(tcol);
	free(tval);
}

static void
test_p(void)
{
	struct npy_reader r;
	struct npy_header hx, hp;
	FILE *fp = open_fixture(FIX "p.npy", &r);
	float *X = read_next(&r, NPY_F32, &hx);
	double *want = read_next(&r, NPY_F64, &hp);
	fclose(fp);
	size_t N = hx.shape[0], D = hx.shape[1];
	struct tsne_p P;
	build_p(&P, X, N, D, 10.0);
	double *got = calloc(N * N, sizeof *got);
	int sorted = 1;
	for (size_t i = 0; i < N; i++)
		for (size_t m = P.indptr[i]; m < P.indptr[i + 1]; m++) {
			got[i * N + P.indices[m]] = P.val[m];
			if (m > P.indptr[i] && P.indices[m] <= P.indices[m - 1])
				sorted = 0;
		}
	CHECK(sorted);
	check_close_f64("P vs sklearn _joint_probabilities_nn", got, want,
	    N * N, 1e-6, 0);
	/* and much closer than asked: relative 1e-5 */
	check_close_f64("P vs sklearn (tight)", got, want, N * N, 1e-12,
	    1e-5);
	tsne_p_free(&P);
	free(got);
	free(X);
	free(want);
}

static void
test_pca(void)
{
	struct npy_reader r;
	struct npy_header hx, he;
	FILE *fp = open_fixture(FIX "pca.npy", &r);
	float *X = read_next(&r, NPY_F32, &hx);
	float *want = read_next(&r, NPY_F32, &he);
	fclose(fp);
	size_t N = hx.shape[0], D = hx.shape[1];
	double *Y = malloc(2 * N * sizeof *Y);
	float *work = malloc(2 * N * sizeof *work);
	CHECK(tsne_init_pca(Y, X, N, D, work) == 0);
	float *got = malloc(2 * N * sizeof *got);
	/* up to sign per column */
	for (size_t c = 0; c < 2; c++) {
		double dot = 0;
		for (size_t i = 0; i < N; i++)
			dot += Y[2 * i + c] * want[2 * i + c];
		for (size_t i = 0; i < N; i++)
			got[2 * i + c] = (float)(dot < 0 ? -Y[2 * i + c] :
			    Y[2 * i + c]);
	}
	check_close_f32("PCA init vs sklearn (up to sign)", got, want, 2 * N,
	    1e-9, 1e-4);
	free(X);
	free(want);
	free(Y);
	free(work);
	free(got);
}

static void
dense_to_p(struct tsne_p *P, const double *A, size_t N)
{
	size_t nnz = 0;
	for (size_t i = 0; i < N * N; i++)
		nnz += A[i] != 0;
	P->N = N;
	P->indptr = malloc((N + 1) * sizeof *P->indptr);
	P->indices = malloc((nnz ? nnz : 1) * sizeof *P->indices);
	P->val = malloc((nnz ? nnz : 1) * sizeof *P->val);
	nnz = 0;
	P->indptr[0] = 0;
	for (size_t i = 0; i < N; i++) {
		for (size_t j = 0; j < N; j++)
			if (A[i * N + j] != 0) {
				P->indices[nnz] = j;
				P->val[nnz++] = A[i * N + j];
			}
		P->indptr[i + 1] = nnz;
	}
}

static void
test_gradient(void)
{
	struct npy_reader r;
	struct npy_header h;
	FILE *fp = open_fixture(FIX "grad.npy", &r);
	double *A = read_next(&r, NPY_F64, &h);
	size_t N = h.shape[0];
	double *Y = read_next(&r, NPY_F64, &h);
	double *want = read_next(&r, NPY_F64, &h);
	double *klw = read_next(&r, NPY_F64, &h);
	fclose(fp);
	struct tsne_p P;
	dense_to_p(&P, A, N);
	double grad[64], rowz[32], kl = 0;
	tsne_gradient_exact(grad, &P, 1.0, Y, N, rowz, &kl);
	check_close_f64("exact gradient vs sklearn _kl_divergence", grad,
	    want, 2 * N, 1e-10, 1e-7);
	check_close_f64("KL vs sklearn _kl_divergence", &kl, klw, 1, 1e-10,
	    1e-7);
	double kl2 = tsne_kl_exact(&P, Y, N, rowz);
	check_close_f64("tsne_kl_exact vs sklearn", &kl2, klw, 1, 1e-10,
	    1e-7);
	/* central finite differences of the KL */
	double fd[64];
	for (size_t i = 0; i < 2 * N; i++) {
		double h0 = 1e-6, save = Y[i];
		Y[i] = save + h0;
		double kp = tsne_kl_exact(&P, Y, N, rowz);
		Y[i] = save - h0;
		double km = tsne_kl_exact(&P, Y, N, rowz);
		Y[i] = save;
		fd[i] = (kp - km) / (2 * h0);
	}
	check_close_f64("exact gradient vs finite differences", grad, fd,
	    2 * N, 1e-7, 1e-5);
	tsne_p_free(&P);
	free(A);
	free(Y);
	free(want);
	free(klw);
}

static void
test_fft_1d(void)
{
	const size_t sizes[] = { 1, 2, 3, 4, 5, 8, 9, 12, 25, 30, 60, 300, 360,
	    1800 };
	struct rng g;
	rng_seed(&g, 1);
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		size_t n = sizes[s];
		struct tsne_cpx *x = malloc(n * sizeof *x);
		struct tsne_cpx *y = malloc(n * sizeof *y);
		struct tsne_cpx *z = malloc(n * sizeof *z);
		struct tsne_cpx *tw = malloc(n * sizeof *tw);
		double *got = malloc(4 * n * sizeof *got);
		double *want = malloc(4 * n * sizeof *want);
		for (size_t i = 0; i < n; i++) {
			x[i].re = rng_normal(&g);
			x[i].im = rng_normal(&g);
		}
		tsne_fft_twiddles(tw, n);
		struct tsne_cpx *wk = malloc(n * sizeof *wk);
		memcpy(y, x, n * sizeof *x);
		tsne_fft_1d(y, wk, n, tw, 0);
		memcpy(z, y, n * sizeof *y);
		tsne_fft_1d(z, wk, n, tw, 1);
		free(wk);
		for (size_t k = 0; k < n; k++) {
			double re = 0, im = 0;
			for (size_t j = 0; j < n; j++) {
				double a = -2 * M_PI * (double)(j * k % n) /
				    (double)n;
				re += x[j].re * cos(a) - x[j].im * sin(a);
				im += x[j].re * sin(a) + x[j].im * cos(a);
			}
			got[2 * k] = y[k].re;
			got[2 * k + 1] = y[k].im;
			want[2 * k] = re;
			want[2 * k + 1] = im;
			got[2 * n + 2 * k] = z[k].re / (double)n;
			got[2 * n + 2 * k + 1] = z[k].im / (double)n;
			want[2 * n + 2 * k] = x[k].re;
			want[2 * n + 2 * k + 1] = x[k].im;
		}
		char what[64];
		snprintf(what, sizeof what, "FFT length %zu vs DFT, inverse",
		    n);
		check_close_f64(what, got, want, 4 * n, 1e-9, 1e-9);
		free(x);
		free(y);
		free(z);
		free(tw);
		free(got);
		free(want);
	}
	CHECK(tsne_fft_size_ok(1800) && !tsne_fft_size_ok(7 * 8));
}

static void
test_fft_gradient(void)
{
	/* points spread over ~30 units (blobs), exaggerated P */
	struct npy_reader r;
	struct npy_header hx;
	FILE *fp = open_fixture(FIX "run.npy", &r);
	float *X = read_next(&r, NPY_F32, &hx);
	struct npy_header he;
	float *E = read_next(&r, NPY_F32, &he);
	fclose(fp);
	size_t N = hx.shape[0], D = hx.shape[1];
	struct tsne_p P;
	build_p(&P, X, N, D, 30.0);
	double *Y = malloc(2 * N * sizeof *Y);
	double *ge = malloc(2 * N * sizeof *ge);
	double *gf = malloc(2 * N * sizeof *gf);
	double *rowz = malloc(N * sizeof *rowz);
	for (size_t i = 0; i < 2 * N; i++)
		Y[i] = E[i];
	struct tsne_fft *f = tsne_fft_alloc(N, 2);
	CHECK(f != NULL);
	const double scales[] = { 1.0, 1e-3, 4.0 };
	for (size_t s = 0; s < 3; s++) {
		double Ys[2 * 600];
		for (size_t i = 0; i < 2 * N && i < 1200; i++)
			Ys[i] = Y[i] * scales[s];
		double kle, klf;
		tsne_gradient_exact(ge, &P, 12.0, Ys, N, rowz, &kle);
		tsne_gradient_fft(gf, &P, 12.0, Ys, N, f, &klf);
		double gmax = 0;
		for (size_t i = 0; i < 2 * N; i++)
			if (fabs(ge[i]) > gmax)
				gmax = fabs(ge[i]);
		/* interpolation error (boxes of width up to 1, as FIt-SNE):
		 * relative L2 error of the gradient <= 1e-2 and no
		 * component off by more than 5e-2 max|g| */
		double en = 0, gn = 0;
		for (size_t i = 0; i < 2 * N; i++) {
			en += (gf[i] - ge[i]) * (gf[i] - ge[i]);
			gn += ge[i] * ge[i];
		}
		double rel = sqrt(en / gn), zero = 0;
		char what[96];
		snprintf(what, sizeof what, "FFT gradient vs exact (scale %g, "
		    "%zu boxes): relative L2 error %.2e", scales[s],
		    tsne_fft_boxes(f), rel);
		check_close_f64(what, &rel, &zero, 1, 1e-2, 0);
		check_close_f64(what, gf, ge, 2 * N, 5e-2 * gmax, 0);
		snprintf(what, sizeof what, "FFT KL vs exact (scale %g)",
		    scales[s]);
		check_close_f64(what, &klf, &kle, 1, 0, 1e-3);
	}
	/* the AVX2 kernels against their plain twins: the FFT batches give
	 * the same bits (no FMA contraction); the attractive sums are
	 * added in another order */
	if (tsne_simd(-1)) {
		double *gp = malloc(2 * N * sizeof *gp);
		double klp, kls;
		tsne_simd(0);
		tsne_gradient_fft(gp, &P, 12.0, Y, N, f, &klp);
		tsne_attractive(ge, &P, 12.0, Y, N, NULL);
		tsne_simd(1);
		tsne_gradient_fft(gf, &P, 12.0, Y, N, f, &kls);
		check_close_f64("FFT gradient, AVX2 vs plain (same bits)", gf,
		    gp, 2 * N, 0, 0);
		check_close_f64("FFT KL, AVX2 vs plain", &kls, &klp, 1, 0, 0);
		tsne_attractive(gp, &P, 12.0, Y, N, NULL);
		double amax = 0;
		for (size_t i = 0; i < 2 * N; i++)
			if (fabs(ge[i]) > amax)
				amax = fabs(ge[i]);
		check_close_f64("attractive forces, AVX2 vs plain", gp, ge,
		    2 * N, 1e-13 * amax, 1e-12);
		free(gp);
	} else
		printf("no AVX2: plain kernels only\n");
	tsne_fft_free(f);
	tsne_p_free(&P);
	free(X);
	free(E);
	free(Y);
	free(ge);
	free(gf);
	free(rowz);
}

/*
 * Trustworthiness with sklearn.manifold.trustworthiness semantics:
 * ranks of the embedding's k nearest neighbours in the input space
 * (argsort of the input distances, self excluded by an infinite
 * diagonal; stable order on ties).
 */
static double
trustworthiness(const float *X, size_t D, const float *E, size_t N,
    size_t k)
{
	double *dx = malloc(N * sizeof *dx);
	size_t *ord = malloc(N * sizeof *ord);
	size_t *rank = malloc(N * sizeof *rank);
	double t = 0;
	for (size_t i = 0; i < N; i++) {
		for (size_t j = 0; j < N; j++) {
			double s = 0;
			for (size_t c = 0; c < D; c++) {
				double a = (double)X[i * D + c] - X[j * D + c];
				s += a * a;
			}
			dx[j] = j == i ? INFINITY : s;
			ord[j] = j;
		}
		/* stable insertion sort of the order by dx */
		for (size_t a = 1; a < N; a++) {
			size_t v = ord[a], b = a;
			while (b > 0 && dx[ord[b - 1]] > dx[v]) {
				ord[b] = ord[b - 1];
				b--;
			}
			ord[b] = v;
		}
		for (size_t a = 0; a < N; a++)
			rank[ord[a]] = a + 1;
		/* k nearest in the embedding (self excluded) */
		for (size_t j = 0; j < N; j++) {
			double a0 = (double)E[2 * i] - E[2 * j];
			double a1 = (double)E[2 * i + 1] - E[2 * j + 1];
			dx[j] = j == i ? INFINITY : a0 * a0 + a1 * a1;
			ord[j] = j;
		}
		for (size_t a = 1; a < N; a++) {
			size_t v = ord[a], b = a;
			while (b > 0 && dx[ord[b - 1]] > dx[v]) {
				ord[b] = ord[b - 1];
				b--;
			}
			ord[b] = v;
		}
		for (size_t a = 0; a < k; a++) {
			double rr = (double)rank[ord[a]] - (double)k;
			if (rr > 0)
				t += rr;
		}
	}
	free(dx);
	free(ord);
	free(rank);
	return 1.0 - t * (2.0 / ((double)N * (double)k *
	    (2.0 * (double)N - 3.0 * (double)k - 1.0)));
}

static void
test_run(enum tsne_method method, const char *name)
{
	struct npy_reader r;
	struct npy_header hx, he, hm;
	FILE *fp = open_fixture(FIX "run.npy", &r);
	float *X = read_next(&r, NPY_F32, &hx);
	float *E = read_next(&r, NPY_F32, &he);
	double *ref = read_next(&r, NPY_F64, &hm);
	fclose(fp);
	size_t N = hx.shape[0], D = hx.shape[1];

	/* our trustworthiness of sklearn's embedding = sklearn's value */
	double tref = trustworthiness(X, D, E, N, 10);
	char what[96];
	snprintf(what, sizeof what, "trustworthiness (C) of sklearn's "
	    "embedding");
	check_close_f64(what, &tref, &ref[2], 1, 1e-9, 0);

	struct tsne_options o;
	struct tsne_result res;
	tsne_options_default(&o);
	o.method = method;
	float *Y = malloc(2 * N * sizeof *Y);
	CHECK(tsne_run(Y, X, N, D, &o, &res) == 0);
	double t = trustworthiness(X, D, Y, N, 10);
	printf("%s: KL %.6f (sklearn %.6f, exact of its embedding %.6f), "
	    "trustworthiness %.6f (sklearn %.6f)\n", name, res.kl, ref[0],
	    ref[1], t, ref[2]);
	snprintf(what, sizeof what, "%s: KL within 5%% of sklearn's", name);
	check_close_f64(what, &res.kl, &ref[1], 1, 0, 0.05);
	snprintf(what, sizeof what, "%s: trustworthiness within 0.01", name);
	check_close_f64(what, &t, &ref[2], 1, 0.01, 0);
	CHECK(res.iterations == 1000);
	free(X);
	free(E);
	free(ref);
	free(Y);
}

int
main(void)
{
	blas_init(1, 0);
	test_fft_1d();
	test_p();
	test_pca();
	test_gradient();
	test_fft_gradient();
	test_run(TSNE_EXACT, "exact");
	test_run(TSNE_FFT, "fft");
	return check_done();
}
