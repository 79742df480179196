/*
 * test_nn_gradcheck.c - every nn.h backward against central finite
 * differences of its forward.
 *
 * For a layer y = f(x, params) and a fixed random R, L = sum(y * R)
 * (summed in double; the VICReg loss is its own L).  Each input and
 * parameter element is moved by +-h (h = 1e-2 for layers linear in that
 * argument, 1e-3 otherwise; the actual float step is used) and
 * (L+ - L-) / (x+ - x-) is compared with the backward's gradient:
 * |fd - grad| <= 2e-3 max|grad| + 1e-2 |grad|.  ReLU inputs near 0
 * could make a finite difference straddle the kink; the fixed seed's
 * data avoid it (a failure there would show as one isolated element).
 * The float32 forward limits the finite difference to about 1e-5..1e-4 relative, so these
 * tolerances are loose enough for rounding and far below any real
 * error (a wrong factor or a missing term).  The fast conv is also
 * compared with its reference twin at 1e-5.
 */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "nn.h"
#include "rng.h"

static struct rng rg;

static float *
vec(size_t n, double scale, double shift)
{
	float *p = calloc(n ? n : 1, sizeof *p);
	if (p == NULL)
		exit(1);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)(rng_normal(&rg) * scale + shift);
	return p;
}

static float *
zeros(size_t n)
{
	float *p = calloc(n ? n : 1, sizeof *p);
	if (p == NULL)
		exit(1);
	return p;
}

static double
dot(const float *a, const float *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

typedef double (*lossfn)(void *ctx);

/* finite differences of f over var[0..n) against grad */
static void
fdcheck(const char *what, lossfn f, void *ctx, float *var,
    const float *grad, size_t n, double h)
{
	double *fd = malloc(n * sizeof *fd), *an = malloc(n * sizeof *an);
	double scale = 0;
	if (fd == NULL || an == NULL)
		exit(1);
	for (size_t i = 0; i < n; i++) {
		float x0 = var[i];
		float xp = (float)(x0 + h), xm = (float)(x0 - h);
		var[i] = xp;
		double lp = f(ctx);
		var[i] = xm;
		double lm = f(ctx);
		var[i] = x0;
		fd[i] = (lp - lm) / ((double)xp - xm);
		an[i] = grad[i];
		if (fabs(an[i]) > scale)
			scale = fabs(an[i]);
	}
	double worst = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(fd[i] - an[i]) > worst)
			worst = fabs(fd[i] - an[i]);
	printf("%-26s worst |fd - grad|/max|grad| = %.3g\n", what,
	    scale > 0 ? worst / scale : worst);
	CHECK(scale > 0);
	/* check_close_f64(got = backward, want = finite difference) */
	check_close_f64(what, an, fd, n, 2e-3 * scale, 1e-2);
	free(fd);
	free(an);
}

/* ------------------------------------------------------------ conv */

struct conv_ctx {
	struct conv2d_shape s;
	size_t N;
	float *x, *w, *b, *y, *r, *scratch;
};

static double
conv_loss(void *p)
{
	struct conv_ctx *c = p;
	conv2d_forward(c->y, c->scratch, c->x, c->w, c->b, c->N, &c->s, 2);
	return dot(c->y, c->r, c->N * c->s.OC * c->s.OH * c->s.OW);
}

static void
check_conv(const char *name, size_t N, size_t C, size_t H, size_t OC,
    size_t KS, size_t stride, size_t pad, int bias)
{
	struct conv_ctx c;
	char what[96];
	CHECK(conv2d_shape_set(&c.s, C, H, H, OC, KS, stride, pad) == 0);
	size_t nx = N * C * H * H, nw = OC * C * KS * KS;
	size_t ny = N * OC * c.s.OH * c.s.OW;
	c.N = N;
	c.x = vec(nx, 1, 0);
	c.w = vec(nw, 0.5, 0);
	c.b = bias ? vec(OC, 1, 0) : NULL;
	c.y = zeros(ny);
	c.r = vec(ny, 1, 0);
	c.scratch = zeros(conv2d_scratch_floats(&c.s, N, 2));
	float *dx = zeros(nx), *dw = zeros(nw), *db = zeros(OC);
	conv2d_backward(dx, dw, bias ? db : NULL, c.scratch, c.r, c.x, c.w,
	    N, &c.s, 2);
	snprintf(what, sizeof what, "%s dinp", name);
	fdcheck(what, conv_loss, &c, c.x, dx, nx, 1e-2);
	snprintf(what, sizeof what, "%s dweight", name);
	fdcheck(what, conv_loss, &c, c.w, dw, nw, 1e-2);
	if (bias) {
		snprintf(what, sizeof what, "%s dbias", name);
		fdcheck(what, conv_loss, &c, c.b, db, OC, 1e-2);
	}
	/* fast vs reference twin */
	float *y2 = zeros(ny), *dx2 = zeros(nx), *dw2 = zeros(nw);
	conv2d_forward(c.y, c.scratch, c.x, c.w, c.b, N, &c.s, 2);
	conv2d_forward_ref(y2, c.x, c.w, c.b, N, &c.s);
	conv2d_backward_ref(dx2, dw2, NULL, c.r, c.x, c.w, N, &c.s);
	snprintf(what, sizeof what, "%s fast=ref out", name);
	check_close_f32(what, c.y, y2, ny, 1e-5, 1e-5);
	snprintf(what, sizeof what, "%s fast=ref dinp", name);
	check_close_f32(what, dx, dx2, nx, 1e-5, 1e-5);
	snprintf(what, sizeof what, "%s fast=ref dweight", name);
	check_close_f32(what, dw, dw2, nw, 1e-4, 1e-5);
	free(c.x), free(c.w), free(c.b), free(c.y), free(c.r);
	free(c.scratch), free(dx), free(dw), free(db), free(y2), free(dx2);
	free(dw2);
}

/* -------------------------------------------------------- batchnorm */

struct bn_ctx {
	size_t N, C, HW;
	int relu;
	float *x, *w, *b, *y, *r, *mean, *rstd, *res;
};

static double
bn_loss(void *p)
{
	struct bn_ctx *c = p;
	size_t n = c->N * c->C * c->HW;
	if (c->relu)
		batchnorm_relu_forward(c->y, c->mean, c->rstd, NULL, NULL,
		    c->x, c->res, c->w, c->b, c->N, c->C, c->HW, BN_MOMENTUM,
		    BN_EPS);
	else
		batchnorm_forward(c->y, c->mean, c->rstd, NULL, NULL, c->x,
		    c->w, c->b, c->N, c->C, c->HW, BN_MOMENTUM, BN_EPS);
	return dot(c->y, c->r, n);
}

static void
check_bn(const char *name, size_t N, size_t C, size_t HW, int relu)
{
	struct bn_ctx c = { N, C, HW, relu, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL };
	char what[96];
	size_t n = N * C * HW;
	c.x = vec(n, 2, 0.5);
	c.w = vec(C, 0.3, 1);
	c.b = vec(C, 0.3, 0);
	c.y = zeros(n);
	c.r = vec(n, 1, 0);
	c.mean = zeros(C);
	c.rstd = zeros(C);
	c.res = relu == 2 ? vec(n, 1, 0) : NULL;
	float *dx = zeros(n), *dw = zeros(C), *db = zeros(C);
	bn_loss(&c);
	batchnorm_backward(dx, dw, db, c.r, relu ? c.y : NULL, c.x, c.mean,
	    c.rstd, c.w, N, C, HW);
	snprintf(what, sizeof what, "%s dinp", name);
	fdcheck(what, bn_loss, &c, c.x, dx, n, 1e-3);
	snprintf(what, sizeof what, "%s dweight", name);
	fdcheck(what, bn_loss, &c, c.w, dw, C, 1e-3);
	snprintf(what, sizeof what, "%s dbias", name);
	fdcheck(what, bn_loss, &c, c.b, db, C, 1e-3);
	if (c.res) {
		/* d residual = the gradient after the ReLU, masked */
		float *dr = zeros(n);
		relu_backward(dr, c.r, c.y, n);
		snprintf(what, sizeof what, "%s dresidual", name);
		fdcheck(what, bn_loss, &c, c.res, dr, n, 1e-3);
		free(dr);
	}
	free(c.res), free(c.x), free(c.w), free(c.b), free(c.y), free(c.r);
	free(c.mean);
	free(c.rstd), free(dx), free(dw), free(db);
}

/* --------------------------------------- relu, add, gap, linear */

struct ew_ctx {
	size_t N, C, HW, IN, OUT;
	float *a, *b, *w, *y, *r;
	int kind;   /* 0 relu, 1 add, 2 gap, 3 linear */
};

static double
ew_loss(void *p)
{
	struct ew_ctx *c = p;
	size_t n = c->N * c->C * c->HW;
	switch (c->kind) {
	case 0:
		relu_forward(c->y, c->a, n);
		return dot(c->y, c->r, n);
	case 1:
		add_forward(c->y, c->a, c->b, n);
		return dot(c->y, c->r, n);
	case 2:
		gap_forward(c->y, c->a, c->N, c->C, c->HW);
		return dot(c->y, c->r, c->N * c->C);
	default:
		linear_forward(c->y, c->a, c->w, c->b, c->N, c->IN, c->OUT);
		return dot(c->y, c->r, c->N * c->OUT);
	}
}

static void
check_elementwise(void)
{
	struct ew_ctx c = { 3, 4, 5, 0, 0, NULL, NULL, NULL, NULL, NULL, 0 };
	size_t n = 60;
	c.a = vec(n, 1, 0);
	/* keep relu inputs away from the kink */
	for (size_t i = 0; i < n; i++)
		if (fabsf(c.a[i]) < 0.05f)
			c.a[i] = 0.5f;
	c.b = vec(n, 1, 0);
	c.y = zeros(n);
	c.r = vec(n, 1, 0);
	float *da = zeros(n), *db = zeros(n);

	c.kind = 0;
	ew_loss(&c);
	relu_backward(da, c.r, c.y, n);
	fdcheck("relu dinp", ew_loss, &c, c.a, da, n, 1e-2);

	c.kind = 1;
	memset(da, 0, n * sizeof *da);
	add_backward(da, db, c.r, n);
	fdcheck("add da", ew_loss, &c, c.a, da, n, 1e-2);
	fdcheck("add db", ew_loss, &c, c.b, db, n, 1e-2);

	c.kind = 2;
	memset(da, 0, n * sizeof *da);
	gap_backward(da, c.r, c.N, c.C, c.HW);
	fdcheck("gap dinp", ew_loss, &c, c.a, da, n, 1e-2);
	free(c.a), free(c.b), free(c.y), free(c.r), free(da), free(db);

	struct ew_ctx l = { 5, 1, 1, 7, 4, NULL, NULL, NULL, NULL, NULL, 3 };
	l.a = vec(5 * 7, 1, 0);
	l.w = vec(4 * 7, 0.5, 0);
	l.b = vec(4, 1, 0);
	l.y = zeros(5 * 4);
	l.r = vec(5 * 4, 1, 0);
	float *dx = zeros(35), *dw = zeros(28), *dbias = zeros(4);
	linear_backward(dx, dw, dbias, l.r, l.a, l.w, 5, 7, 4);
	fdcheck("linear dinp", ew_loss, &l, l.a, dx, 35, 1e-2);
	fdcheck("linear dweight", ew_loss, &l, l.w, dw, 28, 1e-2);
	fdcheck("linear dbias", ew_loss, &l, l.b, dbias, 4, 1e-2);
	free(l.a), free(l.w), free(l.b), free(l.y), free(l.r), free(dx);
	free(dw), free(dbias);
}

/* ---------------------------------------------------------- VICReg */

struct vic_ctx {
	size_t N, D;
	float *z1, *z2, *s;
	struct vicreg_params p;
};

static double
vic_loss(void *p)
{
	struct vic_ctx *c = p;
	float parts[3];
	return vicreg_forward(parts, c->s, c->z1, c->z2, c->N, c->D, &c->p);
}

static void
check_vicreg(void)
{
	struct vic_ctx c;
	c.N = 7;
	c.D = 5;
	size_t n = c.N * c.D;
	vicreg_params_default(&c.p);
	c.z1 = vec(n, 0.5, 0);
	c.z2 = vec(n, 0.5, 0);
	/* two dimensions with std above gamma: the hinge is off there */
	for (size_t i = 0; i < c.N; i++) {
		c.z1[i * c.D] *= 6;
		c.z2[i * c.D + 1] *= 6;
	}
	c.s = zeros(vicreg_scratch_floats(c.N, c.D));
	float *d1 = zeros(n), *d2 = zeros(n);
	vicreg_backward(d1, d2, c.s, c.z1, c.z2, c.N, c.D, &c.p);
	fdcheck("vicreg dz1", vic_loss, &c, c.z1, d1, n, 1e-3);
	fdcheck("vicreg dz2", vic_loss, &c, c.z2, d2, n, 1e-3);
	/* each term alone, so a small term's error cannot hide */
	struct vicreg_params only[3] = { c.p, c.p, c.p };
	only[0].mu = only[0].nu = 0;
	only[1].lambda = only[1].nu = 0;
	only[2].lambda = only[2].mu = 0;
	const char *names[3] = { "vicreg inv only dz1", "vicreg var only dz1",
	    "vicreg cov only dz1" };
	for (int k = 0; k < 3; k++) {
		c.p = only[k];
		memset(d1, 0, n * sizeof *d1);
		memset(d2, 0, n * sizeof *d2);
		vicreg_backward(d1, d2, c.s, c.z1, c.z2, c.N, c.D, &c.p);
		fdcheck(names[k], vic_loss, &c, c.z1, d1, n, 1e-3);
	}
	free(c.z1), free(c.z2), free(c.s), free(d1), free(d2);
}

int
main(void)
{
	blas_init(2, 0);
	rng_seed(&rg, 12345);
	check_conv("conv k3 s2 p1 bias", 2, 3, 7, 4, 3, 2, 1, 1);
	check_conv("conv k3 s1 p0", 2, 2, 6, 3, 3, 1, 0, 0);
	check_conv("conv k1 s2", 3, 4, 6, 5, 1, 2, 0, 0);
	check_conv("conv k3 s1 p1 chunked", 5, 2, 4, 3, 3, 1, 1, 0);
	/* stride 1, KS = 2 pad + 1, C == OC: the input gradient as a
	 * convolution with the flipped kernel; 16x16 takes the banded path */
	check_conv("conv k3 s1 p1 C=OC", 3, 4, 8, 4, 3, 1, 1, 0);
	check_conv("conv k3 s1 p1 C=OC banded", 2, 3, 16, 3, 3, 1, 1, 1);
	check_bn("bn2d", 3, 4, 9, 0);
	check_bn("bn2d+relu", 3, 4, 9, 1);
	check_bn("bn2d+add+relu", 3, 4, 9, 2);
	check_bn("bn1d", 6, 5, 1, 0);
	check_bn("bn1d+relu", 6, 5, 1, 1);
	check_elementwise();
	check_vicreg();
	return check_done();
}
