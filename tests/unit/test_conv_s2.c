/*
 * test_conv_s2.c - the direct stride-2 convolutions (lib/conv_s2.c) on
 * the ResNet's layer shapes (3x3 pad 1 and the 1x1 shortcuts) and a few
 * odd ones: the AVX2+FMA kernels give the same bytes as their plain C
 * twin, on 1 and 3 threads, and both agree with conv2d_forward_ref /
 * conv2d_backward_ref (double sums) at atol 1e-5 max|ref|, rtol 1e-4,
 * as do the im2col + GEMM path they replace and the automatic choice
 * among them and conv_s2c.c (per part).  Backward accumulates (+=) onto
 * what is already there.
 */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "conv_check.h"
#include "conv3x3.h"
#include "conv_s2.h"
#include "conv_s2c.h"
#include "nn.h"
#include "rng.h"

struct run {
	float *y, *dx, *dw;
};

/* forward and backward with kernels `which` on `threads` threads (and
 * conv_s2c.c off, unless automatic); the gradients start from dx0, dw0
 * (accumulation) */
static void
run(struct run *r, int which, size_t threads, const float *x,
    const float *w, const float *b, const float *dy, const float *dx0,
    const float *dw0, size_t N, const struct conv2d_shape *s)
{
	size_t ny = N * s->OC * s->OH * s->OW, nx = N * s->C * s->H * s->W;
	size_t nw = s->OC * s->C * s->KS * s->KS;
	conv_s2_set_kernels(which);
	conv_s2c_set(which == CONV_S2_AUTO ? CONV_S2C_AUTO : CONV_S2C_OFF);
	float *scratch = calloc(conv2d_scratch_floats(s, N, threads),
	    sizeof *scratch);
	r->y = calloc(ny, sizeof *r->y);
	r->dx = copy(dx0, nx);
	r->dw = copy(dw0, nw);
	if (scratch == NULL || r->y == NULL)
		exit(1);
	conv2d_forward(r->y, scratch, x, w, b, N, s, threads);
	conv2d_backward(r->dx, r->dw, NULL, scratch, dy, x, w, N, s, threads);
	free(scratch);
	conv_s2_set_kernels(CONV_S2_AUTO);
	conv_s2c_set(CONV_S2C_AUTO);
}

static void
run_free(struct run *r)
{
	free(r->y);
	free(r->dx);
	free(r->dw);
}

static int
same(const struct run *a, const struct run *b, size_t ny, size_t nx,
    size_t nw)
{
	return memcmp(a->y, b->y, ny * sizeof *a->y) == 0 &&
	    memcmp(a->dx, b->dx, nx * sizeof *a->dx) == 0 &&
	    memcmp(a->dw, b->dw, nw * sizeof *a->dw) == 0;
}

static void
check_shape(const char *name, size_t N, size_t C, size_t H, size_t W,
    size_t OC, size_t KS, int bias)
{
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, C, H, W, OC, KS, 2, KS / 2) == 0);
	conv_s2_set_kernels(CONV_S2_PLAIN);
	CHECK(conv_s2_applies(&s, CONV_S2_FWD));
	CHECK(conv_s2_applies(&s, CONV_S2_DINP));
	CHECK(conv_s2_applies(&s, CONV_S2_DWEIGHT));
	conv_s2_set_kernels(CONV_S2_AUTO);
	size_t ny = N * OC * s.OH * s.OW, nx = N * C * H * W, nw = OC * C * KS * KS;
	float *x = vec(nx), *w = vec(nw), *b = bias ? vec(OC) : NULL;
	float *dy = vec(ny), *dx0 = vec(nx), *dw0 = vec(nw);

	/* the reference: plain loops in double */
	float *ry = calloc(ny, sizeof *ry), *rdx = copy(dx0, nx);
	float *rdw = copy(dw0, nw);
	if (ry == NULL)
		exit(1);
	conv2d_forward_ref(ry, x, w, b, N, &s);
	conv2d_backward_ref(rdx, rdw, NULL, dy, x, w, N, &s);

	struct run plain, plain3, gemm, mixed;
	run(&plain, CONV_S2_PLAIN, 1, x, w, b, dy, dx0, dw0, N, &s);
	run(&plain3, CONV_S2_PLAIN, 3, x, w, b, dy, dx0, dw0, N, &s);
	run(&gemm, CONV_S2_OFF, 2, x, w, b, dy, dx0, dw0, N, &s);
	run(&mixed, CONV_S2_AUTO, 2, x, w, b, dy, dx0, dw0, N, &s);
	cmp(name, "plain out", plain.y, ry, ny);
	cmp(name, "plain dinp", plain.dx, rdx, nx);
	cmp(name, "plain dweight", plain.dw, rdw, nw);
	cmp(name, "im2col out", gemm.y, ry, ny);
	cmp(name, "im2col dinp", gemm.dx, rdx, nx);
	cmp(name, "im2col dweight", gemm.dw, rdw, nw);
	cmp(name, "auto out", mixed.y, ry, ny);
	cmp(name, "auto dinp", mixed.dx, rdx, nx);
	cmp(name, "auto dweight", mixed.dw, rdw, nw);
	CHECK(same(&plain, &plain3, ny, nx, nw));
	/* conv2d_backward_set: dinp written over NaN */
	float *sdx = calloc(nx, sizeof *sdx), *rsdx = calloc(nx, sizeof *rsdx);
	float *scr = calloc(conv2d_scratch_floats(&s, N, 2), sizeof *scr);
	if (sdx == NULL || rsdx == NULL || scr == NULL)
		exit(1);
	conv2d_backward_ref(rsdx, NULL, NULL, dy, x, w, N, &s);
	for (size_t i = 0; i < nx; i++)
		sdx[i] = NAN;
	conv2d_backward_set(sdx, NULL, NULL, scr, dy, x, w, N, &s, 2);
	cmp(name, "set dinp", sdx, rsdx, nx);
	free(sdx), free(rsdx), free(scr);
	if (conv3x3_cpu_ok()) {
		struct run avx, avx3;
		run(&avx, CONV_S2_AVX2, 1, x, w, b, dy, dx0, dw0, N, &s);
		run(&avx3, CONV_S2_AVX2, 3, x, w, b, dy, dx0, dw0, N, &s);
		if (same(&avx, &plain, ny, nx, nw) &&
		    same(&avx3, &plain, ny, nx, nw))
			printf("%s avx2 = plain twin, 1 and 3 threads: ok\n",
			    name);
		else {
			fprintf(stderr, "%s: avx2 differs from the plain "
			    "twin\n", name);
			check_failures++;
		}
		run_free(&avx);
		run_free(&avx3);
	} else {
		printf("%s: no AVX2+FMA here, plain twin only\n", name);
	}
	run_free(&plain);
	run_free(&plain3);
	run_free(&gemm);
	run_free(&mixed);
	free(x), free(w), free(b), free(dy), free(dx0), free(dw0);
	free(ry), free(rdx), free(rdw);
}

int
main(void)
{
	blas_init(1, 0);
	rng_seed(&rg, 7);
	/* the ResNet's stride-2 convolutions (width 16, CIFAR stem); the
	 * first has 3 images per weight-gradient group: 4 gives a partial
	 * one */
	check_shape("layer2 16->32 30x30", 4, 16, 30, 30, 32, 3, 0);
	check_shape("layer3 32->64 15x15", 2, 32, 15, 15, 64, 3, 0);
	check_shape("layer4 64->128 8x8", 2, 64, 8, 8, 128, 3, 0);
	check_shape("short2 16->32 30x30 1x1", 4, 16, 30, 30, 32, 1, 0);
	check_shape("short3 32->64 15x15 1x1", 2, 32, 15, 15, 64, 1, 0);
	check_shape("short4 64->128 8x8 1x1", 2, 64, 8, 8, 128, 1, 0);
	/* odd channel counts, non-square, odd and even sizes, one pixel */
	check_shape("5->3 7x9 bias", 3, 5, 7, 9, 3, 3, 1);
	check_shape("2->7 6x5", 2, 2, 6, 5, 7, 3, 0);
	check_shape("3->5 2x2 bias", 4, 3, 2, 2, 5, 3, 1);
	check_shape("1->1 1x1", 1, 1, 1, 1, 1, 3, 0);
	check_shape("5->3 7x9 1x1 bias", 3, 5, 7, 9, 3, 1, 1);
	check_shape("2->7 6x5 1x1", 2, 2, 6, 5, 7, 1, 0);
	check_shape("1->1 1x1 1x1", 1, 1, 1, 1, 1, 1, 0);
	/* only stride 2 with 3x3 pad 1 or 1x1 pad 0 */
	struct conv2d_shape s;
	conv_s2_set_kernels(CONV_S2_PLAIN);
	conv2d_shape_set(&s, 4, 8, 8, 4, 3, 1, 1);
	CHECK(!conv_s2_applies(&s, CONV_S2_FWD));
	conv2d_shape_set(&s, 4, 8, 8, 4, 3, 2, 0);
	CHECK(!conv_s2_applies(&s, CONV_S2_FWD));
	conv2d_shape_set(&s, 4, 8, 8, 4, 1, 2, 1);
	CHECK(!conv_s2_applies(&s, CONV_S2_FWD));
	conv2d_shape_set(&s, 4, 8, 8, 4, 5, 2, 2);
	CHECK(!conv_s2_applies(&s, CONV_S2_FWD));
	conv_s2_set_kernels(CONV_S2_AUTO);
	return check_failures ? 1 : 0;
}
