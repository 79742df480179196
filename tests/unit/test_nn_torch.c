/*
 * test_nn_torch.c - lib/nn.c layers against PyTorch: the fixtures in
 * tests/fixtures/nn/ written by tests/reference/gen_nn.py (references
 * computed in float64).  Each tensor must satisfy
 * |got - ref| <= 1e-5 max|ref| + 1e-4 |ref|; the worst error relative
 * to max|ref| is printed for every tensor.
 */
#include <stdint.h>
#include <string.h>

#include "blas.h"
#include "check.h"
#include "nn.h"
#include "npy.h"

#define DIR "tests/fixtures/nn/"

struct fix {
	FILE *fp;
	struct npy_reader r;
	const char *name;
};

static void
fix_open(struct fix *f, const char *name)
{
	f->name = name;
	f->fp = fopen(name, "rb");
	if (f->fp == NULL) {
		perror(name);
		exit(1);
	}
	npy_reader_init(&f->r, f->fp, name);
}

/* next array as float32 (converted), element count in *n */
static float *
fix_f32(struct fix *f, size_t *n)
{
	void *raw;
	if (npy_next(&f->r) != 1 || npy_read_all(&f->r, &raw) != 0) {
		fprintf(stderr, "%s: %s\n", f->name, f->r.err);
		exit(1);
	}
	size_t cnt = npy_count(&f->r.h);
	float *out = malloc((cnt ? cnt : 1) * sizeof *out);
	if (out == NULL)
		exit(1);
	npy_convert(NPY_F32, out, f->r.h.dtype, raw, cnt);
	free(raw);
	if (n)
		*n = cnt;
	return out;
}

static int64_t *
fix_i64(struct fix *f, size_t *n)
{
	void *raw;
	if (npy_next(&f->r) != 1 || npy_read_all(&f->r, &raw) != 0) {
		fprintf(stderr, "%s: %s\n", f->name, f->r.err);
		exit(1);
	}
	size_t cnt = npy_count(&f->r.h);
	int64_t *out = malloc((cnt ? cnt : 1) * sizeof *out);
	if (out == NULL)
		exit(1);
	npy_convert(NPY_I64, out, f->r.h.dtype, raw, cnt);
	free(raw);
	if (n)
		*n = cnt;
	return out;
}

static void
fix_close(struct fix *f)
{
	CHECK(npy_next(&f->r) == 0);
	fclose(f->fp);
}

static float *
zeros(size_t n)
{
	float *p = calloc(n ? n : 1, sizeof *p);
	if (p == NULL)
		exit(1);
	return p;
}

static void
cmp(const char *what, const float *got, const float *ref, size_t n)
{
	double scale = 0, worst = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(ref[i]) > scale)
			scale = fabs(ref[i]);
	for (size_t i = 0; i < n; i++)
		if (fabs((double)got[i] - ref[i]) > worst)
			worst = fabs((double)got[i] - ref[i]);
	printf("%-28s worst |diff|/max|ref| = %.3g\n", what,
	    scale > 0 ? worst / scale : worst);
	check_close_f32(what, got, ref, n, 1e-5 * scale, 1e-4);
}

static void
test_conv(const char *file)
{
	struct fix f;
	char what[128];
	fix_open(&f, file);
	int64_t *d = fix_i64(&f, NULL);
	size_t N = d[0], nout, nw, nx;
	int bias = (int)d[8];
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, d[1], d[2], d[3], d[4], d[5], d[6],
	    d[7]) == 0);
	float *x = fix_f32(&f, &nx), *w = fix_f32(&f, &nw);
	float *b = bias ? fix_f32(&f, NULL) : NULL;
	float *y = fix_f32(&f, &nout), *dy = fix_f32(&f, NULL);
	float *dx = fix_f32(&f, NULL), *dw = fix_f32(&f, NULL);
	float *db = bias ? fix_f32(&f, NULL) : NULL;
	fix_close(&f);
	CHECK(nout == N * s.OC * s.OH * s.OW);

	float *scratch = zeros(conv2d_scratch_floats(&s, N, 3));
	float *gy = zeros(nout), *gx = zeros(nx), *gw = zeros(nw);
	float *gb = zeros(s.OC);
	conv2d_forward(gy, scratch, x, w, b, N, &s, 2);
	snprintf(what, sizeof what, "%s out", file + strlen(DIR));
	cmp(what, gy, y, nout);
	conv2d_backward(gx, gw, bias ? gb : NULL, scratch, dy, x, w, N, &s,
	    2);
	snprintf(what, sizeof what, "%s dinp", file + strlen(DIR));
	cmp(what, gx, dx, nx);
	snprintf(what, sizeof what, "%s dweight", file + strlen(DIR));
	cmp(what, gw, dw, nw);
	if (bias) {
		snprintf(what, sizeof what, "%s dbias", file + strlen(DIR));
		cmp(what, gb, db, s.OC);
	}
	/* the reference twin too */
	memset(gy, 0, nout * sizeof *gy);
	memset(gx, 0, nx * sizeof *gx);
	memset(gw, 0, nw * sizeof *gw);
	memset(gb, 0, s.OC * sizeof *gb);
	conv2d_forward_ref(gy, x, w, b, N, &s);
	conv2d_backward_ref(gx, gw, bias ? gb : NULL, dy, x, w, N, &s);
	snprintf(what, sizeof what, "%s ref out", file + strlen(DIR));
	cmp(what, gy, y, nout);
	snprintf(what, sizeof what, "%s ref dinp", file + strlen(DIR));
	cmp(what, gx, dx, nx);
	snprintf(what, sizeof what, "%s ref dweight", file + strlen(DIR));
	cmp(what, gw, dw, nw);
	/* accumulation: a second backward adds the same again */
	float *gw2 = zeros(nw), *gw1 = zeros(nw);
	conv2d_backward(NULL, gw1, NULL, scratch, dy, x, w, N, &s, 2);
	memcpy(gw2, gw1, nw * sizeof *gw2);
	conv2d_backward(NULL, gw2, NULL, scratch, dy, x, w, N, &s, 2);
	for (size_t i = 0; i < nw; i++)
		gw1[i] *= 2;
	snprintf(what, sizeof what, "%s accumulate", file + strlen(DIR));
	cmp(what, gw2, gw1, nw);
	/* the same bytes on 1 and 3 threads */
	float *y1 = zeros(nout), *y3 = zeros(nout), *x1 = zeros(nx);
	float *x3 = zeros(nx), *w1 = zeros(nw), *w3 = zeros(nw);
	conv2d_forward(y1, scratch, x, w, b, N, &s, 1);
	conv2d_forward(y3, scratch, x, w, b, N, &s, 3);
	conv2d_backward(x1, w1, NULL, scratch, dy, x, w, N, &s, 1);
	conv2d_backward(x3, w3, NULL, scratch, dy, x, w, N, &s, 3);
	CHECK(memcmp(y1, y3, nout * sizeof *y1) == 0);
	CHECK(memcmp(x1, x3, nx * sizeof *x1) == 0);
	CHECK(memcmp(w1, w3, nw * sizeof *w1) == 0);
	free(y1), free(y3), free(x1), free(x3), free(w1), free(w3);
	free(gw1), free(gw2);
	free(d), free(x), free(w), free(b), free(y), free(dy), free(dx);
	free(dw), free(db), free(scratch), free(gy), free(gx), free(gw);
	free(gb);
}

static void
test_bn(const char *file)
{
	struct fix f;
	char what[128];
	const char *base = file + strlen(DIR);
	fix_open(&f, file);
	int64_t *d = fix_i64(&f, NULL);
	size_t N = d[0], C = d[1], HW = d[2], n = N * C * HW;
	float *x = fix_f32(&f, NULL), *w = fix_f32(&f, NULL);
	float *b = fix_f32(&f, NULL), *rm = fix_f32(&f, NULL);
	float *rv = fix_f32(&f, NULL), *y = fix_f32(&f, NULL);
	float *dy = fix_f32(&f, NULL), *dx = fix_f32(&f, NULL);
	float *dw = fix_f32(&f, NULL), *db = fix_f32(&f, NULL);
	float *rm1 = fix_f32(&f, NULL), *rv1 = fix_f32(&f, NULL);
	float *ye = fix_f32(&f, NULL);
	fix_close(&f);

	float *gy = zeros(n), *mean = zeros(C), *rstd = zeros(C);
	float *gx = zeros(n), *gw = zeros(C), *gb = zeros(C);
	batchnorm_forward(gy, mean, rstd, rm, rv, x, w, b, N, C, HW,
	    BN_MOMENTUM, BN_EPS);
	snprintf(what, sizeof what, "%s out", base);
	cmp(what, gy, y, n);
	snprintf(what, sizeof what, "%s running_mean", base);
	cmp(what, rm, rm1, C);
	snprintf(what, sizeof what, "%s running_var", base);
	cmp(what, rv, rv1, C);
	batchnorm_backward(gx, gw, gb, dy, NULL, x, mean, rstd, w, N, C, HW);
	snprintf(what, sizeof what, "%s dinp", base);
	cmp(what, gx, dx, n);
	snprintf(what, sizeof what, "%s dweight", base);
	cmp(what, gw, dw, C);
	snprintf(what, sizeof what, "%s dbias", base);
	cmp(what, gb, db, C);
	/* acc 0 writes dinp over whatever was there */
	for (size_t i = 0; i < n; i++)
		gx[i] = NAN;
	batchnorm_backward_sync(gx, gw, gb, dy, NULL, x, mean, rstd, w, N, C,
	    HW, NULL, 0);
	snprintf(what, sizeof what, "%s dinp written (acc 0)", base);
	cmp(what, gx, dx, n);
	batchnorm_forward_eval(gy, x, rm, rv, w, b, N, C, HW, BN_EPS);
	snprintf(what, sizeof what, "%s eval out", base);
	cmp(what, gy, ye, n);
	free(d), free(x), free(w), free(b), free(rm), free(rv), free(y);
	free(dy), free(dx), free(dw), free(db), free(rm1), free(rv1);
	free(ye), free(gy), free(mean), free(rstd), free(gx), free(gw);
	free(gb);
}

/*
 * The batch statistics in float must not lose precision on a far-off
 * level, a first image far from the rest, or images at different
 * levels.  Against a two-pass double reference.
 */
static void
test_bn_offset(void)
{
	size_t N = 64, C = 3, HW = 37, n = N * C * HW;
	float *x = zeros(n), *y = zeros(n), *mean = zeros(C), *rstd = zeros(C);
	float *w = zeros(C), *b = zeros(C);
	double *want = calloc(2 * C, sizeof *want);
	if (want == NULL)
		exit(1);
	uint64_t u = 12345;
	for (size_t i = 0; i < n; i++) {
		size_t nn = i / (C * HW), c = i / HW % C;
		u = u * 6364136223846793005u + 1442695040888963407u;
		double e = (double)(u >> 11) / 9007199254740992.0 - 0.5;
		/* channel 0 at 1000 +- 0.01; 1 with image 0 at +50; 2 with
		 * images at levels 0..7 */
		double lv = c == 0 ? 1000 : c == 1 ? (nn == 0 ? 50 : 0) :
		    (double)(nn % 8);
		x[i] = (float)(lv + (c == 0 ? 0.02 : 1.0) * e);
	}
	for (size_t c = 0; c < C; c++) {
		double s = 0, ss = 0;
		for (size_t nn = 0; nn < N; nn++)
			for (size_t j = 0; j < HW; j++)
				s += x[(nn * C + c) * HW + j];
		double mu = s / (double)(N * HW);
		for (size_t nn = 0; nn < N; nn++)
			for (size_t j = 0; j < HW; j++) {
				double d = x[(nn * C + c) * HW + j] - mu;
				ss += d * d;
			}
		want[c] = mu;
		want[C + c] = 1.0 / sqrt(ss / (double)(N * HW) + BN_EPS);
		w[c] = 1.0f;
	}
	batchnorm_forward(y, mean, rstd, NULL, NULL, x, w, b, N, C, HW,
	    BN_MOMENTUM, BN_EPS);
	for (size_t c = 0; c < C; c++) {
		char what[64];
		snprintf(what, sizeof what, "bn offset channel %zu mean", c);
		check_close_f32(what, mean + c, &(float){ (float)want[c] }, 1,
		    0, 1e-6);
		snprintf(what, sizeof what, "bn offset channel %zu rstd", c);
		check_close_f32(what, rstd + c,
		    &(float){ (float)want[C + c] }, 1, 0, 1e-4);
	}
	free(x), free(y), free(mean), free(rstd), free(w), free(b);
	free(want);
}

/* one process: the sum over processes is the identity */
static void
sum_one(double *x, size_t n, void *ctx)
{
	(void)x, (void)n, (void)ctx;
}

/* x, residual r, dy [n] and weight w, bias b [C] from one seeded
 * generator: x uneven across channels, w around 1 */
static void
bn_data(float *x, float *r, float *dy, float *w, float *b, size_t n,
    size_t C, uint64_t seed)
{
	uint64_t u = seed;
	for (size_t i = 0; i < n + 2 * C; i++) {
		u = u * 6364136223846793005u + 1442695040888963407u;
		float v = (float)((double)(u >> 11) / 9007199254740992.0 - 0.5);
		if (i < n) {
			x[i] = 3 * v + (float)(i % C) * 0.01f;
			r[i] = v * 0.5f;
			dy[i] = v * v - 0.1f;
		} else if (i < n + C) {
			w[i - n] = 1 + v;
		} else {
			b[i - n - C] = v;
		}
	}
}

/*
 * batchnorm_train_sync with no output computes the same statistics
 * (mean, rstd, running mean and variance: the same bytes) as with one:
 * per channel (HW 225), on small maps (HW 16), by rows (HW 1), alone
 * and synced (one process).
 */
static void
test_bn_stats_only(void)
{
	static const size_t shapes[][3] = { { 6, 5, 225 }, { 20, 70, 16 },
	    { 37, 300, 1 } };
	for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
		for (int synced = 0; synced < 2; synced++) {
			size_t N = shapes[k][0], C = shapes[k][1];
			size_t HW = shapes[k][2], n = N * C * HW;
			float *x = zeros(n), *r = zeros(n), *dy = zeros(n);
			float *w = zeros(C), *b = zeros(C), *y = zeros(n);
			float *st[2][4];
			double *scratch = calloc(2 * C, sizeof *scratch);
			struct bn_sync sync = { sum_one, NULL, N, scratch };
			bn_data(x, r, dy, w, b, n, C, 31 + k);
			for (int i = 0; i < 2; i++) {
				for (int q = 0; q < 4; q++)
					st[i][q] = zeros(C);
				for (size_t c = 0; c < C; c++)
					st[i][3][c] = 1;
				batchnorm_train_sync(i ? NULL : y, st[i][0],
				    st[i][1], st[i][2], st[i][3], x, NULL, 1, w,
				    b, N, C, HW, BN_MOMENTUM, BN_EPS,
				    synced ? &sync : NULL);
			}
			int same = 1;
			for (int q = 0; q < 4; q++)
				same = same && memcmp(st[0][q], st[1][q],
				    C * sizeof *st[0][q]) == 0;
			printf("bn statistics alone %zux%zux%zu%s: %s\n", N, C,
			    HW, synced ? " synced" : "", same ? "same bytes" :
			    "DIFFERENT");
			CHECK(same);
			free(x), free(r), free(dy), free(w), free(b), free(y);
			free(scratch);
			for (int i = 0; i < 2; i++)
				for (int q = 0; q < 4; q++)
					free(st[i][q]);
		}
}

/*
 * A row's float sum in the order nn.c documents: 4 lanes (lane k the
 * values j = k mod 4 of the first n - n mod 4), the rest into lane 0,
 * then ((((0 + l0) + l1) + l2) + l3).  f: x (0), (x - m)^2 (1), g
 * (2) or g (x - m) (3), g = d where mask is NULL or mask > 0, else 0.
 */
static float
row_ref(const float *x, const float *d, const float *mask, float m,
    int f, size_t n)
{
	float l[4] = { 0, 0, 0, 0 };
	for (size_t j = 0; j < n; j++) {
		float g = f < 2 || (mask && !(mask[j] > 0.0f)) ? 0.0f : d[j];
		float v = f == 0 ? x[j] : f == 1 ? (x[j] - m) * (x[j] - m) :
		    f == 2 ? g : g * (x[j] - m);
		l[j < n - n % 4 ? j % 4 : 0] += v;
	}
	return (((0.0f + l[0]) + l[1]) + l[2]) + l[3];
}

/* sum over the N rows of channel c, in double */
static double
rows_ref(const float *x, const float *d, const float *mask, float m,
    int f, size_t N, size_t C, size_t HW, size_t c)
{
	double s = 0;
	for (size_t i = 0; i < N; i++) {
		size_t o = (i * C + c) * HW;
		s += row_ref(x + o, d ? d + o : NULL, mask ? mask + o : NULL,
		    m, f, HW);
	}
	return s;
}

/*
 * The batch norm's sums add in one documented order, whatever the
 * build (-O1 under the sanitizers, -O2, -march=native): its mean and
 * rstd, and the backward pass's weight and bias gradients (unmasked
 * and masked by the ReLU's output), byte for byte against that order
 * written out here, on rows of 2 to 1024 values (tails of 1, 2 and 3
 * past the lanes), with values over 2^-8..2^8 so that another order
 * rounds differently.
 */
static void
test_bn_sum_order(void)
{
	static const size_t hws[] = { 2, 3, 5, 7, 15, 16, 17, 64, 225, 1024 };
	size_t N = 3, C = 9;
	uint32_t h = 12345;
	int same = 1;
	for (size_t t = 0; t < sizeof hws / sizeof hws[0]; t++) {
		size_t HW = hws[t], n = N * C * HW;
		float *x = zeros(n), *d = zeros(n), *y = zeros(n);
		float *dx = zeros(n), *w = zeros(C), *b = zeros(C);
		float *mean = zeros(C), *rstd = zeros(C);
		float *dw = zeros(C), *db = zeros(C);
		for (size_t i = 0; i < n; i++) {
			h = h * 1664525u + 1013904223u;
			float e = ldexpf(1.0f, (int)(h >> 27) - 8);
			x[i] = e * ((float)(h >> 8 & 0xffff) / 32768.0f - 1.0f);
			d[i] = (float)(h & 0xff) / 64.0f - 2.0f;
		}
		for (size_t c = 0; c < C; c++)
			w[c] = 1.0f + 0.1f * (float)c, b[c] = 0.05f * (float)c;
		batchnorm_train_sync(y, mean, rstd, NULL, NULL, x, NULL, 1, w,
		    b, N, C, HW, BN_MOMENTUM, BN_EPS, NULL);
		for (int masked = 0; masked < 2; masked++) {
			memset(dw, 0, C * sizeof *dw);
			memset(db, 0, C * sizeof *db);
			batchnorm_backward_sync(dx, dw, db, d, masked ? y : NULL,
			    x, mean, rstd, w, N, C, HW, NULL, 0);
			for (size_t c = 0; c < C; c++) {
				size_t cnt = N * HW;
				double s = rows_ref(x, NULL, NULL, 0, 0, N, C, HW,
				    c);
				double mu = s / (double)cnt;
				float muf = (float)mu;
				double ss = rows_ref(x, NULL, NULL, muf, 1, N, C,
				    HW, c);
				double dm = (double)muf - mu;
				ss -= (double)cnt * dm * dm;
				ss = ss < 0 ? 0 : ss;
				float rs = (float)(1.0 / sqrt(ss / (double)cnt +
				    (double)BN_EPS));
				const float *mk = masked ? y : NULL;
				double sg = rows_ref(x, d, mk, muf, 2, N, C, HW,
				    c);
				double sgx = rows_ref(x, d, mk, muf, 3, N, C,
				    HW, c) * rs;
				float want[4] = { muf, rs, (float)sg,
				    (float)sgx };
				float got[4] = { mean[c], rstd[c], db[c], dw[c] };
				if (memcmp(want, got, sizeof want) != 0) {
					printf("  HW %zu channel %zu%s: mean %a/%a "
					    "rstd %a/%a dbias %a/%a dweight "
					    "%a/%a\n", HW, c, masked ? " masked" :
					    "", got[0], want[0], got[1], want[1],
					    got[2], want[2], got[3], want[3]);
					same = 0;
				}
			}
		}
		free(x), free(d), free(y), free(dx), free(w), free(b);
		free(mean), free(rstd), free(dw), free(db);
	}
	printf("bn sums in the documented order: %s\n", same ? "same bytes" :
	    "DIFFERENT");
	CHECK(same);
}

/*
 * BatchNorm1d (HW 1) runs row by row over blocks of channels; the sync
 * path (one process) keeps the per-channel loops: the same bytes,
 * forward (with residual and ReLU, running statistics) and backward
 * (masked, added and written), over more channels than one block.
 */
static void
test_bn1d_cols(void)
{
	size_t N = 37, C = 300, n = N * C;
	float *x = zeros(n), *r = zeros(n), *dy = zeros(n), *w = zeros(C);
	float *b = zeros(C), *y1 = zeros(n), *y2 = zeros(n);
	float *m1 = zeros(C), *s1 = zeros(C), *m2 = zeros(C), *s2 = zeros(C);
	float *rm1 = zeros(C), *rv1 = zeros(C), *rm2 = zeros(C), *rv2 = zeros(C);
	float *dx1 = zeros(n), *dx2 = zeros(n), *dw1 = zeros(C), *dw2 = zeros(C);
	float *db1 = zeros(C), *db2 = zeros(C);
	double *scratch = calloc(2 * C, sizeof *scratch);
	bn_data(x, r, dy, w, b, n, C, 99);
	for (size_t c = 0; c < C; c++)
		rv1[c] = rv2[c] = 1;
	struct bn_sync sync = { sum_one, NULL, N, scratch };
	batchnorm_relu_forward(y1, m1, s1, rm1, rv1, x, r, w, b, N, C, 1,
	    BN_MOMENTUM, BN_EPS);
	batchnorm_train_sync(y2, m2, s2, rm2, rv2, x, r, 1, w, b, N, C, 1,
	    BN_MOMENTUM, BN_EPS, &sync);
	CHECK(memcmp(y1, y2, n * sizeof *y1) == 0);
	CHECK(memcmp(m1, m2, C * sizeof *m1) == 0);
	CHECK(memcmp(s1, s2, C * sizeof *s1) == 0);
	CHECK(memcmp(rm1, rm2, C * sizeof *rm1) == 0);
	CHECK(memcmp(rv1, rv2, C * sizeof *rv1) == 0);
	for (int acc = 0; acc < 2; acc++)
		for (int relu = 0; relu < 2; relu++) {
			for (size_t i = 0; i < n; i++)
				dx1[i] = dx2[i] = acc ? x[i] : NAN;
			batchnorm_backward_sync(dx1, dw1, db1, dy, relu ? y1 :
			    NULL, x, m1, s1, w, N, C, 1, NULL, acc);
			batchnorm_backward_sync(dx2, dw2, db2, dy, relu ? y1 :
			    NULL, x, m1, s1, w, N, C, 1, &sync, acc);
			CHECK(memcmp(dx1, dx2, n * sizeof *dx1) == 0);
			CHECK(memcmp(dw1, dw2, C * sizeof *dw1) == 0);
			CHECK(memcmp(db1, db2, C * sizeof *db1) == 0);
		}
	printf("bn1d by rows = per channel (forward, backward): %s\n",
	    check_failures ? "see above" : "same bytes");
	free(x), free(r), free(dy), free(w), free(b), free(y1), free(y2);
	free(m1), free(s1), free(m2), free(s2), free(rm1), free(rv1);
	free(rm2), free(rv2), free(dx1), free(dx2), free(dw1), free(dw2);
	free(db1), free(db2), free(scratch);
}

/*
 * batchnorm_relu_backward_sync recomputes the ReLU's mask from the
 * input, batchnorm_residual_backward_sync also writes the masked
 * gradient: the same bytes as batchnorm_backward_sync given the ReLU's
 * output (and dres = dout where the output is positive, else 0), per
 * channel (HW 49) and by rows (HW 1), alone and synced, added and
 * written; channel 2 has weight and bias 0, so bn(x) is exactly 0
 * there (masked), channel 4 a negative bias.
 */
static void
test_bn_relu_mask(void)
{
	for (size_t HW = 1; HW <= 49; HW += 48) {
		size_t N = 6, C = 5, n = N * C * HW;
		float *x = zeros(n), *dy = zeros(n), *y = zeros(n);
		float *dx1 = zeros(n), *dx2 = zeros(n), *dx3 = zeros(n);
		float *dres = zeros(n);
		float w[5] = { 1.5f, -0.7f, 0.0f, 2.0f, 0.3f };
		float b[5] = { 0.1f, -0.2f, 0.0f, 0.0f, -1.0f };
		float mean[5], rstd[5], rm[5] = { 0 }, rv[5] = { 1, 1, 1, 1, 1 };
		float dw1[5] = { 0 }, dw2[5] = { 0 }, db1[5] = { 0 };
		float db2[5] = { 0 }, dw3[5] = { 0 }, db3[5] = { 0 };
		double scratch[10];
		struct bn_sync sync = { sum_one, NULL, N, scratch };
		uint64_t u = 7;
		for (size_t i = 0; i < n; i++) {
			u = u * 6364136223846793005u + 1442695040888963407u;
			float v = (float)((double)(u >> 11) /
			    9007199254740992.0 - 0.5);
			x[i] = 2 * v;
			dy[i] = v * v - 0.1f;
		}
		batchnorm_relu_forward(y, mean, rstd, rm, rv, x, NULL, w, b, N,
		    C, HW, BN_MOMENTUM, BN_EPS);
		for (int synced = 0; synced < 2; synced++)
			for (int acc = 0; acc < 2; acc++) {
				for (size_t i = 0; i < n; i++) {
					dx1[i] = dx2[i] = dx3[i] = acc ? x[i] :
					    NAN;
					dres[i] = NAN;
				}
				const struct bn_sync *sy = synced ? &sync :
				    NULL;
				batchnorm_backward_sync(dx1, dw1, db1, dy, y, x,
				    mean, rstd, w, N, C, HW, sy, acc);
				batchnorm_relu_backward_sync(dx2, dw2, db2, dy,
				    x, mean, rstd, w, b, N, C, HW, sy, acc);
				batchnorm_residual_backward_sync(dx3, dres,
				    dw3, db3, dy, y, x, mean, rstd, w, N, C,
				    HW, sy, acc);
				CHECK(memcmp(dx1, dx2, n * sizeof *dx1) == 0);
				CHECK(memcmp(dw1, dw2, sizeof dw1) == 0);
				CHECK(memcmp(db1, db2, sizeof db1) == 0);
				CHECK(memcmp(dx1, dx3, n * sizeof *dx1) == 0);
				CHECK(memcmp(dw1, dw3, sizeof dw1) == 0);
				CHECK(memcmp(db1, db3, sizeof db1) == 0);
				size_t bad = 0;
				for (size_t i = 0; i < n; i++)
					bad += dres[i] != (y[i] > 0.0f ? dy[i] :
					    0.0f);
				CHECK(bad == 0);
			}
		/* the mask was not all ones or all zeros */
		size_t on = 0;
		for (size_t i = 0; i < n; i++)
			on += y[i] > 0.0f;
		CHECK(on > n / 4 && on < n);
		free(x), free(dy), free(y), free(dx1), free(dx2), free(dx3);
		free(dres);
	}
	printf("bn + relu backward, mask from the input or with the "
	    "residual's gradient = from the output: %s\n",
	    check_failures ? "see above" : "same bytes");
}

/*
 * Maps of up to 64 pixels go image by image over blocks of channels,
 * the rest and the synced path (one process) channel by channel: the
 * same bytes, forward (residual, ReLU, running statistics) and
 * backward (plain, masked by the output or recomputed, with the
 * residual's gradient; added and written), on two threads with more
 * channels than one block.
 */
static void
test_bn_small_maps(void)
{
	size_t N = 30, C = 150, hws[3] = { 16, 64, 65 };
	for (int h = 0; h < 3; h++) {
		size_t HW = hws[h];
		size_t n = N * C * HW;
		float *x = zeros(n), *r = zeros(n), *dy = zeros(n);
		float *y1 = zeros(n), *y2 = zeros(n);
		float *dx1 = zeros(n), *dx2 = zeros(n);
		float *g1 = zeros(n), *g2 = zeros(n);
		float *w = zeros(C), *b = zeros(C), *st = zeros(8 * C);
		float *m1 = st, *s1 = st + C, *m2 = st + 2 * C, *s2 = st + 3 * C;
		float *rm1 = st + 4 * C, *rv1 = st + 5 * C;
		float *rm2 = st + 6 * C, *rv2 = st + 7 * C;
		float *pg = zeros(4 * C);
		double *scratch = calloc(2 * C, sizeof *scratch);
		struct bn_sync sync = { sum_one, NULL, N, scratch };
		bn_data(x, r, dy, w, b, n, C, 11);
		for (size_t c = 0; c < C; c++)
			rv1[c] = rv2[c] = 1;
		batchnorm_train_sync(y1, m1, s1, rm1, rv1, x, r, 1, w, b, N, C,
		    HW, BN_MOMENTUM, BN_EPS, NULL);
		batchnorm_train_sync(y2, m2, s2, rm2, rv2, x, r, 1, w, b, N, C,
		    HW, BN_MOMENTUM, BN_EPS, &sync);
		CHECK(memcmp(y1, y2, n * sizeof *y1) == 0);
		CHECK(memcmp(st, st + 2 * C, 2 * C * sizeof *st) == 0);
		CHECK(memcmp(st + 4 * C, st + 6 * C, 2 * C * sizeof *st) == 0);
		for (int kind = 0; kind < 4; kind++)
			for (int acc = 0; acc < 2; acc++) {
				memset(pg, 0, 4 * C * sizeof *pg);
				for (size_t i = 0; i < n; i++) {
					dx1[i] = dx2[i] = acc ? x[i] : NAN;
					g1[i] = g2[i] = NAN;
				}
				for (int k = 0; k < 2; k++) {
					const struct bn_sync *sy = k ? &sync :
					    NULL;
					float *dx = k ? dx2 : dx1;
					float *dw = pg + 2 * k * C, *db = dw + C;
					if (kind < 2)
						batchnorm_backward_sync(dx, dw,
						    db, dy, kind ? y1 : NULL, x,
						    m1, s1, w, N, C, HW, sy, acc);
					else if (kind == 2)
						batchnorm_relu_backward_sync(dx,
						    dw, db, dy, x, m1, s1, w, b,
						    N, C, HW, sy, acc);
					else
						batchnorm_residual_backward_sync(
						    dx, k ? g2 : g1, dw, db, dy,
						    y1, x, m1, s1, w, N, C, HW,
						    sy, acc);
				}
				CHECK(memcmp(dx1, dx2, n * sizeof *dx1) == 0);
				CHECK(memcmp(pg, pg + 2 * C, 2 * C *
				    sizeof *pg) == 0);
				if (kind == 3)
					CHECK(memcmp(g1, g2, n * sizeof *g1) ==
					    0);
			}
		free(x), free(r), free(dy), free(y1), free(y2), free(dx1);
		free(dx2), free(g1), free(g2), free(w), free(b), free(st);
		free(pg), free(scratch);
	}
	printf("bn on small maps by images = by channels (forward, "
	    "backward): %s\n", check_failures ? "see above" : "same bytes");
}

static void
test_linear(void)
{
	struct fix f;
	fix_open(&f, DIR "linear.npy");
	int64_t *d = fix_i64(&f, NULL);
	size_t N = d[0], IN = d[1], OUT = d[2];
	float *x = fix_f32(&f, NULL), *w = fix_f32(&f, NULL);
	float *b = fix_f32(&f, NULL), *y = fix_f32(&f, NULL);
	float *dy = fix_f32(&f, NULL), *dx = fix_f32(&f, NULL);
	float *dw = fix_f32(&f, NULL), *db = fix_f32(&f, NULL);
	fix_close(&f);
	float *gy = zeros(N * OUT), *gx = zeros(N * IN);
	float *gw = zeros(OUT * IN), *gb = zeros(OUT);
	linear_forward(gy, x, w, b, N, IN, OUT);
	cmp("linear out", gy, y, N * OUT);
	linear_backward(gx, gw, gb, dy, x, w, N, IN, OUT);
	cmp("linear dinp", gx, dx, N * IN);
	cmp("linear dweight", gw, dw, OUT * IN);
	cmp("linear dbias", gb, db, OUT);
	free(d), free(x), free(w), free(b), free(y), free(dy), free(dx);
	free(dw), free(db), free(gy), free(gx), free(gw), free(gb);
}

static void
test_gap(void)
{
	struct fix f;
	fix_open(&f, DIR "gap.npy");
	int64_t *d = fix_i64(&f, NULL);
	size_t N = d[0], C = d[1], HW = d[2];
	float *x = fix_f32(&f, NULL), *y = fix_f32(&f, NULL);
	float *dy = fix_f32(&f, NULL), *dx = fix_f32(&f, NULL);
	fix_close(&f);
	float *gy = zeros(N * C), *gx = zeros(N * C * HW);
	gap_forward(gy, x, N, C, HW);
	cmp("gap out", gy, y, N * C);
	gap_backward(gx, dy, N, C, HW);
	cmp("gap dinp", gx, dx, N * C * HW);
	free(d), free(x), free(y), free(dy), free(dx), free(gy), free(gx);
}

static void
test_vicreg(void)
{
	struct fix f;
	struct vicreg_params p;
	float parts[4];
	fix_open(&f, DIR "vicreg.npy");
	int64_t *d = fix_i64(&f, NULL);
	size_t N = d[0], D = d[1];
	float *z1 = fix_f32(&f, NULL), *z2 = fix_f32(&f, NULL);
	float *ref = fix_f32(&f, NULL), *dz1 = fix_f32(&f, NULL);
	float *dz2 = fix_f32(&f, NULL);
	fix_close(&f);
	vicreg_params_default(&p);
	float *s = zeros(vicreg_scratch_floats(N, D));
	float *g1 = zeros(N * D), *g2 = zeros(N * D);
	parts[0] = vicreg_forward(parts + 1, s, z1, z2, N, D, &p);
	cmp("vicreg loss,inv,var,cov", parts, ref, 4);
	vicreg_backward(g1, g2, s, z1, z2, N, D, &p);
	cmp("vicreg dz1", g1, dz1, N * D);
	cmp("vicreg dz2", g2, dz2, N * D);
	free(d), free(z1), free(z2), free(ref), free(dz1), free(dz2);
	free(s), free(g1), free(g2);
}

static void
test_adam(void)
{
	struct fix f;
	struct adam_params a;
	fix_open(&f, DIR "adam.npy");
	int64_t *d = fix_i64(&f, NULL);
	size_t n = d[0], steps = d[1];
	float *hp = fix_f32(&f, NULL), *p = fix_f32(&f, NULL);
	float *g = fix_f32(&f, NULL), *p1 = fix_f32(&f, NULL);
	float *m1 = fix_f32(&f, NULL), *v1 = fix_f32(&f, NULL);
	fix_close(&f);
	adam_params_default(&a);
	a.lr = hp[0];
	a.weight_decay = hp[1];
	float *m = zeros(n), *v = zeros(n);
	for (size_t t = 1; t <= steps; t++)
		adam_update(p, m, v, g + (t - 1) * n, n, &a, t);
	cmp("adam param", p, p1, n);
	cmp("adam exp_avg", m, m1, n);
	cmp("adam exp_avg_sq", v, v1, n);
	free(d), free(hp), free(p), free(g), free(p1), free(m1), free(v1);
	free(m), free(v);
}

int
main(void)
{
	blas_init(2, 0);
	test_conv(DIR "conv_s2p1_bias.npy");
	test_conv(DIR "conv_1x1_s2.npy");
	test_conv(DIR "conv_chunked.npy");
	test_conv(DIR "conv_stem.npy");
	test_bn(DIR "bn2d.npy");
	test_bn(DIR "bn1d.npy");
	test_bn_offset();
	test_bn1d_cols();
	test_bn_stats_only();
	test_bn_sum_order();
	test_bn_relu_mask();
	test_bn_small_maps();
	test_linear();
	test_gap();
	test_vicreg();
	test_adam();
	return check_done();
}
