/*
 * test_model_torch.c - lib/model.c against PyTorch and the study's
 * parameter counts.
 *
 * tests/fixtures/nn/model_tiny.npy (tests/reference/gen_nn.py, float64
 * reference): a width-4 ResNet-18 + projector (head 16, D 8, projector
 * 16-16-16), batch 6 per view, and model_stem2.npy: width 2, stem
 * stride 2 and padding 1, head 8, D 4, projector 8-6, batch 4.  One
 * VICReg training step from hashed parameters and inputs (regenerated
 * here from the same integer hash): loss and parts,
 * every parameter gradient, BN running statistics after the step, the
 * eval-mode loss and representations, and one Adam step (the study's
 * hyper-parameters) applied to the reference gradients.
 * Tolerance: |got - ref| <= 1e-4 max|ref| + 1e-4 |ref| per tensor,
 * the worst error relative to max|ref| printed.  Exception: biases
 * that feed a BatchNorm (stem conv, fc, the head and projector
 * linears) or the loss's centring (the last projector linear) have a
 * true gradient of 0 (the reference holds 1e-16 noise, ours 1e-7
 * rounding): a tensor whose reference is below 1e-9 of the largest
 * gradient is compared against that largest gradient instead.
 */
#include <stdint.h>
#include <string.h>

#include "blas.h"
#include "check.h"
#include "model.h"
#include "npy.h"

#define DIR "tests/fixtures/nn/"

static struct npy_reader rd;
static const char *fix_name;

/*
 * The fixture's parameters and inputs, regenerated: element i of
 * stream t is shift + scale u, u in [-1, 1) from a Weyl sequence mod
 * 2^32 (gen_nn.py: hashu), computed in double and rounded to float.
 */
static float
hashu(size_t i, size_t t, double shift, double scale)
{
	uint64_t h = ((uint64_t)i * 2654435761u +
	    ((uint64_t)t + 1) * 2246822519u) & 0xFFFFFFFFu;
	double u = (double)h / 4294967296.0 * 2.0 - 1.0;
	return (float)(shift + scale * u);
}

static void *
next_as(enum npy_dtype t, size_t *n)
{
	void *raw;
	if (npy_next(&rd) != 1 || npy_read_all(&rd, &raw) != 0) {
		fprintf(stderr, "%s: %s\n", fix_name, rd.err);
		exit(1);
	}
	size_t cnt = npy_count(&rd.h);
	void *out = malloc((cnt ? cnt : 1) * npy_dtype_size(t));
	if (out == NULL)
		exit(1);
	npy_convert(t, out, rd.h.dtype, raw, cnt);
	free(raw);
	if (n)
		*n = cnt;
	return out;
}

static double
maxabs(const float *x, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(x[i]) > s)
			s = fabs(x[i]);
	return s;
}

/* compare with atol = 1e-4 * scale (scale 0: max|ref|) */
static void
cmp(const char *what, const float *got, const float *ref, size_t n,
    double scale)
{
	double worst = 0;
	if (scale == 0)
		scale = maxabs(ref, n);
	for (size_t i = 0; i < n; i++)
		if (fabs((double)got[i] - ref[i]) > worst)
			worst = fabs((double)got[i] - ref[i]);
	printf("%-24s worst |diff|/max|ref| = %.3g\n", what,
	    scale > 0 ? worst / scale : worst);
	check_close_f32(what, got, ref, n, 1e-4 * scale, 1e-4);
}

static void
test_counts(void)
{
	struct model_config c;
	model_config_default(&c);
	struct model *m = model_create(&c, 1);
	CHECK(m != NULL);
	if (m == NULL)
		return;
	printf("study model: %zu encoder + %zu projector parameters, "
	    "%zu buffers, %zu activation floats per image\n",
	    model_encoder_param_count(m),
	    model_param_count(m) - model_encoder_param_count(m),
	    model_buffer_count(m), model_activation_floats(m));
	CHECK(model_encoder_param_count(m) == 11498240);
	CHECK(model_param_count(m) - model_encoder_param_count(m) == 593408);
	model_free(m);
}

static void
moments(const float *x, size_t n, double *lo, double *hi, double *sd)
{
	double s = 0, ss = 0;
	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		s += x[i];
		ss += (double)x[i] * x[i];
		if (x[i] < *lo)
			*lo = x[i];
		if (x[i] > *hi)
			*hi = x[i];
	}
	*sd = sqrt(ss / (double)n - (s / n) * (s / n));
}

/*
 * model_init: the stem conv and the linears U(-1/sqrt(fan_in), ..)
 * (sd bound/sqrt(3)), the ResNet convs N(0, 2/fan_out), BN 1 and 0,
 * running mean 0 and var 1; the same seed gives the same bytes.
 */
static void
test_init(void)
{
	struct model_config c;
	model_config_default(&c);
	c.width = 16;
	struct model *m = model_create(&c, 2), *m2 = model_create(&c, 2);
	CHECK(m != NULL && m2 != NULL);
	if (m == NULL || m2 == NULL)
		exit(1);
	struct rng r;
	rng_seed(&r, 7);
	model_init(m, &r);
	rng_seed(&r, 7);
	model_init(m2, &r);
	CHECK(memcmp(model_params(m), model_params(m2),
	    model_param_count(m) * sizeof(float)) == 0);
	const size_t *ts;
	size_t nt = model_param_tensors(m, &ts), off[128];
	const float *p = model_params(m);
	for (size_t i = 0, o = 0; i < nt && i < 128; i++) {
		off[i] = o;
		o += ts[i];
	}
	double lo, hi, sd, b;
	/* stem conv weight [16,3,3,3], fan_in 27 */
	moments(p + off[0], ts[0], &lo, &hi, &sd);
	b = 1 / sqrt(27.0);
	CHECK(lo >= -b && hi <= b && fabs(sd - b / sqrt(3)) < 0.1 * b);
	/* stem BN */
	for (size_t i = 0; i < 16; i++)
		CHECK(p[off[2] + i] == 1.0f && p[off[3] + i] == 0.0f);
	/* layer2.0.conv1 [32,16,3,3] (tensor 16): sd sqrt(2 / (32*9)) */
	CHECK(ts[16] == 32 * 16 * 9);
	moments(p + off[16], ts[16], &lo, &hi, &sd);
	b = sqrt(2.0 / (32 * 9));
	printf("init: layer2.0.conv1 sd %.4f want %.4f\n", sd, b);
	CHECK(fabs(sd - b) < 0.05 * b);
	/* fc weight [512,128] (tensor 61): fan_in 128 */
	CHECK(ts[61] == 512 * 128);
	moments(p + off[61], ts[61], &lo, &hi, &sd);
	b = 1 / sqrt(128.0);
	CHECK(lo >= -b && hi <= b && fabs(sd - b / sqrt(3)) < 0.05 * b);
	const float *bf = model_buffers(m);
	for (size_t i = 0; i < 16; i++)
		CHECK(bf[i] == 0.0f && bf[16 + i] == 1.0f);
	model_free(m);
	model_free(m2);
}

static void
test_tiny(const char *file)
{
	FILE *fp = fopen(file, "rb");
	if (fp == NULL) {
		perror(file);
		exit(1);
	}
	fix_name = file;
	printf("%s\n", file);
	npy_reader_init(&rd, fp, file);
	int64_t *cfgv = next_as(NPY_I64, NULL);
	size_t nt;
	int64_t *sizes = next_as(NPY_I64, &nt);
	double *pinit = next_as(NPY_F64, NULL);
	size_t nb;
	float *b0 = next_as(NPY_F32, &nb);
	size_t np;
	float *parts = next_as(NPY_F32, NULL), *grads = next_as(NPY_F32, &np);
	float *b1 = next_as(NPY_F32, NULL), *eparts = next_as(NPY_F32, NULL);
	size_t nrep;
	float *reps = next_as(NPY_F32, &nrep), *delta = next_as(NPY_F32, NULL);
	CHECK(npy_next(&rd) == 0);
	fclose(fp);

	struct model_config c;
	memset(&c, 0, sizeof c);
	c.width = cfgv[0];
	c.rep_dim = cfgv[1];
	c.head_dim = cfgv[2];
	c.stem_stride = cfgv[3];
	c.stem_pad = cfgv[4];
	c.nproj = cfgv[5];
	for (size_t i = 0; i < 4; i++)
		c.proj[i] = cfgv[6 + i];
	size_t N = cfgv[10];
	struct model *m = model_create(&c, N);
	CHECK(m != NULL);
	if (m == NULL)
		exit(1);

	/* the layout: same tensors, same sizes, same order */
	const size_t *ts;
	size_t mt = model_param_tensors(m, &ts);
	CHECK(mt == nt);
	for (size_t i = 0; i < nt && i < mt; i++)
		CHECK(ts[i] == (size_t)sizes[i]);
	CHECK(model_param_count(m) == np);
	CHECK(model_buffer_count(m) == nb);
	if (check_failures)
		exit(1);
	float *p0 = malloc(np * sizeof *p0);
	float *x1 = malloc(N * 3072 * sizeof *x1);
	float *x2 = malloc(N * 3072 * sizeof *x2);
	for (size_t t = 0, off = 0; t < nt; off += ts[t], t++)
		for (size_t i = 0; i < ts[t]; i++)
			p0[off + i] = hashu(i, t, pinit[2 * t],
			    pinit[2 * t + 1]);
	for (size_t i = 0; i < N * 3072; i++) {
		x1[i] = hashu(i, 1000, 0.0, 1.0);
		x2[i] = hashu(i, 1001, 0.0, 1.0);
	}

	memcpy(model_params(m), p0, np * sizeof *p0);
	memcpy(model_buffers(m), b0, nb * sizeof *b0);
	struct vicreg_params vp;
	vicreg_params_default(&vp);
	float got[4];
	got[0] = model_vicreg_step(m, x1, x2, N, &vp, got + 1);
	cmp("loss,inv,var,cov", got, parts, 4, 0);

	/* gradients, tensor by tensor */
	const float *g = model_grads(m);
	double gscale = maxabs(grads, np), worst = 0;
	size_t off = 0, wt = 0;
	for (size_t i = 0; i < nt; i++) {
		char what[64];
		double s = maxabs(grads + off, ts[i]), w = 0;
		snprintf(what, sizeof what, "grad tensor %zu", i);
		int zero_grad = s < 1e-9 * gscale;
		if (zero_grad) {
			s = gscale;
			snprintf(what, sizeof what, "grad tensor %zu (zero)",
			    i);
		}
		for (size_t j = 0; j < ts[i]; j++)
			if (fabs((double)g[off + j] - grads[off + j]) > w)
				w = fabs((double)g[off + j] - grads[off + j]);
		if (s > 0 && w / s > worst)
			worst = w / s, wt = i;
		int before = check_failures;
		check_close_f32(what, g + off, grads + off, ts[i], 1e-4 * s,
		    1e-4);
		if (check_failures != before)
			fprintf(stderr, "  (tensor %zu: %zu floats)\n", i,
			    ts[i]);
		off += ts[i];
	}
	printf("grads: worst |diff|/max|ref| per tensor = %.3g (tensor %zu)\n",
	    worst, wt);
	cmp("BN running stats", model_buffers(m), b1, nb, 0);

	/* eval mode with the reference running statistics */
	memcpy(model_buffers(m), b1, nb * sizeof *b1);
	got[0] = model_vicreg_eval(m, x1, x2, N, &vp, got + 1);
	cmp("eval loss,inv,var,cov", got, eparts, 4, 0);
	float *r = malloc(nrep * sizeof *r);
	model_encode(m, x1, N, r);
	cmp("eval representation", r, reps, nrep, 0);
	/* the encode-only model, max_batch below N: the same values */
	struct model *em = model_create_eval(&c, N - 2);
	CHECK(em != NULL);
	if (em != NULL) {
		float *r2 = malloc(nrep * sizeof *r2);
		CHECK(model_grads(em) == NULL);
		CHECK(model_activation_floats(em) <
		    model_activation_floats(m) / 2 + 1);
		memcpy(model_params(em), p0, np * sizeof *p0);
		memcpy(model_buffers(em), b1, nb * sizeof *b1);
		model_encode(em, x1, N, r2);
		cmp("eval-only representation", r2, reps, nrep, 0);
		CHECK(isnan(model_vicreg_eval(em, x1, x2, N, &vp, got + 1)));
		free(r2);
		model_free(em);
	}
	free(r);

	/* one Adam step on the reference gradients */
	struct adam_params ap;
	adam_params_default(&ap);
	float *p = malloc(np * sizeof *p), *mm = calloc(np, sizeof *mm);
	float *vv = calloc(np, sizeof *vv), *d = malloc(np * sizeof *d);
	memcpy(p, p0, np * sizeof *p);
	adam_update(p, mm, vv, grads, np, &ap, 1);
	for (size_t i = 0; i < np; i++)
		d[i] = (float)((double)p[i] - p0[i]);
	/* p - p0 in float carries the rounding of p: 2^-24 |p0| */
	double dw = 0, ds = maxabs(delta, np);
	size_t bad = 0;
	for (size_t i = 0; i < np; i++) {
		double e = fabs((double)d[i] - delta[i]);
		double tol = 1e-4 * ds + 1e-4 * fabs(delta[i]) +
		    fabs(p0[i]) * 0x1p-23;
		if (e - tol > dw)
			dw = e - tol;
		bad += e > tol;
	}
	printf("adam step: %zu of %zu updates off (worst excess %.3g, "
	    "max|update| %.3g)\n", bad, np, dw, ds);
	CHECK(bad == 0);
	free(p), free(mm), free(vv), free(d);

	model_free(m);
	free(cfgv), free(sizes), free(pinit), free(p0), free(b0), free(x1);
	free(x2);
	free(parts), free(grads), free(b1), free(eparts), free(reps);
	free(delta);
}

int
main(void)
{
	blas_init(2, 0);
	test_counts();
	test_init();
	test_tiny(DIR "model_tiny.npy");
	test_tiny(DIR "model_stem2.npy");
	return check_done();
}
