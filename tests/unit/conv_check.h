/*
 * conv_check.h - what the convolution unit tests share: random vectors
 * from one generator, copies, and a comparison against a double-sum
 * reference at atol 1e-5 max|ref|, rtol 1e-4 that prints the worst
 * relative difference.  Test-only; include once per test program.
 */
#ifndef CONV_CHECK_H
#define CONV_CHECK_H

#include <string.h>

#include "check.h"
#include "conv3x3.h"
#include "conv_s2c.h"
#include "conv_wcb.h"
#include "nn.h"
#include "rng.h"

static struct rng rg;

static inline float *
vec(size_t n)
{
	float *p = calloc(n ? n : 1, sizeof *p);
	if (p == NULL)
		exit(1);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)rng_normal(&rg);
	return p;
}

static inline float *
copy(const float *x, size_t n)
{
	float *p = malloc((n ? n : 1) * sizeof *p);
	if (p == NULL)
		exit(1);
	memcpy(p, x, n * sizeof *p);
	return p;
}

static inline void
cmp(const char *name, const char *what, const float *got, const float *ref,
    size_t n)
{
	char buf[160];
	double scale = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(ref[i]) > scale)
			scale = fabs(ref[i]);
	double worst = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs((double)got[i] - ref[i]) > worst)
			worst = fabs((double)got[i] - ref[i]);
	snprintf(buf, sizeof buf, "%s %s", name, what);
	printf("%-36s worst |diff|/max|ref| = %.3g\n", buf,
	    scale > 0 ? worst / scale : worst);
	check_close_f32(buf, got, ref, n, 1e-5 * scale, 1e-4);
}

/* a convolution file's three parts (conv_wino.h, conv_wcb.h,
 * conv_s2c.h) */
struct conv_impl {
	size_t (*scratch_floats)(const struct conv2d_shape *, size_t);
	void (*forward)(float *, float *, const float *, const float *,
	    const float *, size_t, const struct conv2d_shape *, size_t,
	    const struct conv_post *);
	void (*backward_dinp)(float *, float *, const float *, const float *,
	    size_t, const struct conv2d_shape *, size_t);
	void (*backward_dweight)(float *, float *, const float *,
	    const float *, size_t, const struct conv2d_shape *, size_t);
};

/* y = forward, dx = dx0 + input gradient, dw = dw0 + weight gradient,
 * on `threads` threads */
static inline void
conv_impl_run(const struct conv_impl *im, float *y, float *dx, float *dw,
    size_t threads, const float *x, const float *w, const float *b,
    const float *dy, size_t N, const struct conv2d_shape *s)
{
	float *scratch = calloc(im->scratch_floats(s, threads),
	    sizeof *scratch);
	if (scratch == NULL)
		exit(1);
	im->forward(y, scratch, x, w, b, N, s, threads, NULL);
	im->backward_dinp(dx, scratch, dy, w, N, s, threads);
	im->backward_dweight(dw, scratch, dy, x, N, s, threads);
	free(scratch);
}

/*
 * im's three parts of s on N random images, twice from the same values:
 * run k on threads[k] threads after set(k) (set may be NULL).  Prints
 * what was compared (`what`) and checks that both gave the same bytes.
 */
static inline void
conv_impl_same(const struct conv_impl *im, const char *name,
    const char *what, const struct conv2d_shape *s, size_t N,
    const size_t threads[2], void (*set)(int))
{
	size_t ny = N * s->OC * s->OH * s->OW, nx = N * s->C * s->H * s->W;
	size_t nw = s->OC * s->C * 9;
	float *x = vec(nx), *w = vec(nw), *b = vec(s->OC), *dy = vec(ny);
	float *y[2], *dx[2], *dw[2];
	y[0] = vec(ny), dx[0] = vec(nx), dw[0] = vec(nw);
	y[1] = copy(y[0], ny), dx[1] = copy(dx[0], nx);
	dw[1] = copy(dw[0], nw);
	for (int k = 0; k < 2; k++) {
		if (set)
			set(k);
		conv_impl_run(im, y[k], dx[k], dw[k], threads[k], x, w, b, dy,
		    N, s);
	}
	int same = memcmp(y[0], y[1], ny * sizeof **y) == 0 &&
	    memcmp(dx[0], dx[1], nx * sizeof **dx) == 0 &&
	    memcmp(dw[0], dw[1], nw * sizeof **dw) == 0;
	printf("%-36s %s: %s\n", name, what, same ? "same bytes" : "DIFFER");
	CHECK(same);
	free(x), free(w), free(b), free(dy);
	for (int k = 0; k < 2; k++)
		free(y[k]), free(dx[k]), free(dw[k]);
}

/* conv_impl_same's set: the AVX2 kernels (0), then the AVX-512 ones */
static inline void
avx512_on(int on)
{
	conv_avx512_set(on);
}

/*
 * conv_impl_same of im on shape s with the AVX2 kernels and with the
 * AVX-512 ones (conv_wcb.c, conv_s2c.c): the same FMAs in the same
 * order, so the same bytes; not compared where the CPU has no AVX-512
 */
static inline void
conv_impl_avx512(const struct conv_impl *im, const char *name,
    const struct conv2d_shape *s, size_t N)
{
	if (!conv_avx512_set(1)) {
		printf("%-36s no AVX-512 here: not compared\n", name);
		return;
	}
	conv_impl_same(im, name, "AVX2 and AVX-512", s, N,
	    (const size_t[2]){ 2, 2 }, avx512_on);
	conv_avx512_set(1);
}

/*
 * im's forward, input and weight gradients of shape s on N random
 * images (bias if `bias`) against conv2d_forward_ref/backward_ref; the
 * same bytes on 1 and 3 threads; the gradients accumulate (+=); then
 * through conv2d_forward / conv2d_backward, which must pick im (the
 * caller sets its mode), and conv2d_backward_set, which writes dinp.
 */
static inline void
conv_impl_check(const struct conv_impl *im, const char *name,
    const struct conv2d_shape *s, size_t N, int bias)
{
	size_t C = s->C, OC = s->OC, H = s->H, W = s->W;
	size_t ny = N * OC * s->OH * s->OW, nx = N * C * H * W;
	size_t nw = OC * C * 9;
	float *x = vec(nx), *w = vec(nw), *b = bias ? vec(OC) : NULL;
	float *dy = vec(ny), *dx0 = vec(nx), *dw0 = vec(nw);
	float *ry = calloc(ny, sizeof *ry), *rdx = copy(dx0, nx);
	float *rdw0 = copy(dw0, nw);
	float *y1 = calloc(ny, sizeof *y1), *dx1 = copy(dx0, nx);
	float *y3 = calloc(ny, sizeof *y3), *dx3 = copy(dx0, nx);
	float *dw1 = copy(dw0, nw), *dw3 = copy(dw0, nw);
	if (ry == NULL || y1 == NULL || y3 == NULL)
		exit(1);
	conv2d_forward_ref(ry, x, w, b, N, s);
	conv2d_backward_ref(rdx, rdw0, NULL, dy, x, w, N, s);
	conv_impl_run(im, y1, dx1, dw1, 1, x, w, b, dy, N, s);
	conv_impl_run(im, y3, dx3, dw3, 3, x, w, b, dy, N, s);
	cmp(name, "out", y1, ry, ny);
	cmp(name, "dinp", dx1, rdx, nx);
	cmp(name, "dweight", dw1, rdw0, nw);
	CHECK(memcmp(y1, y3, ny * sizeof *y1) == 0);
	CHECK(memcmp(dx1, dx3, nx * sizeof *dx1) == 0);
	CHECK(memcmp(dw1, dw3, nw * sizeof *dw1) == 0);
	/* through conv2d_forward / conv2d_backward as well */
	float *scratch = calloc(conv2d_scratch_floats(s, N, 2),
	    sizeof *scratch);
	float *dxn = copy(dx0, nx), *dw = calloc(nw, sizeof *dw);
	float *rdw = calloc(nw, sizeof *rdw);
	if (scratch == NULL || dw == NULL || rdw == NULL)
		exit(1);
	conv2d_backward_ref(NULL, rdw, NULL, dy, x, w, N, s);
	conv2d_forward(y1, scratch, x, w, b, N, s, 2);
	conv2d_backward(dxn, dw, NULL, scratch, dy, x, w, N, s, 2);
	cmp(name, "conv2d out", y1, ry, ny);
	cmp(name, "conv2d dinp", dxn, rdx, nx);
	cmp(name, "conv2d dweight", dw, rdw, nw);
	/* conv2d_backward_set writes dinp: whatever it held (NaN) is gone */
	float *rdxs = calloc(nx, sizeof *rdxs);
	if (rdxs == NULL)
		exit(1);
	conv2d_backward_ref(rdxs, NULL, NULL, dy, x, w, N, s);
	for (size_t i = 0; i < nx; i++)
		dxn[i] = NAN;
	conv2d_backward_set(dxn, NULL, NULL, scratch, dy, x, w, N, s, 2);
	cmp(name, "conv2d_backward_set dinp", dxn, rdxs, nx);
	free(rdxs);
	free(scratch), free(dxn), free(dw), free(rdw);
	free(x), free(w), free(b), free(dy), free(dx0), free(ry), free(rdx);
	free(y1), free(dx1), free(y3), free(dx3);
	free(dw0), free(rdw0), free(dw1), free(dw3);
}

/*
 * conv2d_forward_cached and conv2d_backward_cached (input gradient) of
 * a 3x3 convolution of stride st against the uncached calls, the same
 * bytes: when the cache makes the
 * transformed weights, when it keeps them (the kept ones are read:
 * zeroing them changes the output) and when one weight changed (made
 * again); scratch is filled with NaN before each cached call, so
 * nothing comes from an earlier call's scratch.
 */
static inline void
check_cache(const char *name, size_t N, size_t C, size_t H, size_t OC,
    size_t st)
{
	static const char *what[3] = { "made", "kept", "remade" };
	struct conv2d_shape s;
	struct conv_cache cache;
	CHECK(conv2d_shape_set(&s, C, H, H, OC, 3, st, 1) == 0);
	CHECK(conv2d_cache_init(&cache, &s, 2) == 0);
	CHECK(cache.u[0] != NULL && cache.u[1] != NULL);
	size_t ny = N * OC * s.OH * s.OW, nx = N * C * H * H, nw = OC * C * 9;
	size_t nu = st == 1 ? conv_wcb_cache_floats(&s) :
	    conv_s2c_cache_floats(&s);
	size_t nsc = conv2d_scratch_floats(&s, N, 2);
	float *x = vec(nx), *w = vec(nw), *dy = vec(ny), *y[2], *dx[2];
	float *scratch = vec(nsc), *u = malloc(nu * sizeof *u);
	y[0] = vec(ny), y[1] = vec(ny), dx[0] = vec(nx), dx[1] = vec(nx);
	if (u == NULL)
		exit(1);
	for (int round = 0; round < 3; round++) {
		if (round == 2)
			w[nw - 1] += 0.5f;
		conv2d_forward(y[0], scratch, x, w, NULL, N, &s, 2);
		conv2d_backward_set(dx[0], NULL, NULL, scratch, dy, x, w, N,
		    &s, 2);
		for (size_t i = 0; i < nsc; i++)
			scratch[i] = NAN;
		conv2d_forward_cached(y[1], scratch, x, w, NULL, N, &s, 2,
		    NULL, &cache);
		for (size_t i = 0; i < nsc; i++)
			scratch[i] = NAN;
		conv2d_backward_cached(dx[1], NULL, NULL, scratch, dy, x, w,
		    N, &s, 2, 0, &cache);
		int same = memcmp(y[0], y[1], ny * sizeof *y[0]) == 0 &&
		    memcmp(dx[0], dx[1], nx * sizeof *dx[0]) == 0;
		printf("%-36s cache %s: %s\n", name, what[round],
		    same ? "same bytes" : "DIFFER");
		CHECK(same);
		if (round != 1)
			continue;
		memcpy(u, cache.u[0], nu * sizeof *u);
		memset(cache.u[0], 0, nu * sizeof *u);
		conv2d_forward_cached(y[1], scratch, x, w, NULL, N, &s, 2,
		    NULL, &cache);
		int used = memcmp(y[0], y[1], ny * sizeof *y[0]) != 0;
		printf("%-36s cache kept: %s\n", name, used ?
		    "read" : "NOT READ");
		CHECK(used);
		memcpy(cache.u[0], u, nu * sizeof *u);
	}
	conv2d_cache_free(&cache);
	CHECK(cache.u[0] == NULL && cache.u[1] == NULL);
	/* nothing to keep for a 1x1 layer */
	CHECK(conv2d_shape_set(&s, C, H, H, OC, 1, st, 0) == 0);
	CHECK(conv2d_cache_init(&cache, &s, 2) == 0);
	CHECK(cache.u[0] == NULL && cache.u[1] == NULL);
	free(x), free(w), free(dy), free(scratch), free(u);
	for (int k = 0; k < 2; k++)
		free(y[k]), free(dx[k]);
}

#endif
