/*
 * test_conv3x3.c - the direct 3x3 convolutions (lib/conv3x3.c) on the
 * ResNet's layer shapes and a few odd ones: the AVX2+FMA kernels give
 * the same bytes as their plain C twin, on 1 and 3 threads, and both
 * agree with conv2d_forward_ref / conv2d_backward_ref (double sums) at
 * atol 1e-5 max|ref|, rtol 1e-4, as do the im2col + GEMM path they
 * replace and the automatic choice between the two (per part).  Backward accumulates (+=) onto what is already there.
 */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "conv_check.h"
#include "conv3x3.h"
#include "nn.h"
#include "rng.h"

struct run {
	float *y, *dx, *dw;
};

/* forward and backward with kernels `which` on `threads` threads; the
 * gradients start from dx0, dw0 (accumulation) */
static void
run(struct run *r, int which, size_t threads, const float *x,
    const float *w, const float *b, const float *dy, const float *dx0,
    const float *dw0, size_t N, const struct conv2d_shape *s)
{
	size_t ny = N * s->OC * s->OH * s->OW, nx = N * s->C * s->H * s->W;
	size_t nw = s->OC * s->C * 9;
	conv3x3_set_kernels(which);
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
	conv3x3_set_kernels(CONV3X3_AUTO);
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
    size_t OC, size_t pad, int bias)
{
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, C, H, W, OC, 3, 1, pad) == 0);
	conv3x3_set_kernels(CONV3X3_PLAIN);
	CHECK(conv3x3_applies(&s, CONV3X3_FWD));
	CHECK(conv3x3_applies(&s, CONV3X3_DINP));
	CHECK(conv3x3_applies(&s, CONV3X3_DWEIGHT));
	conv3x3_set_kernels(CONV3X3_AUTO);
	size_t ny = N * OC * s.OH * s.OW, nx = N * C * H * W, nw = OC * C * 9;
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
	run(&plain, CONV3X3_PLAIN, 1, x, w, b, dy, dx0, dw0, N, &s);
	run(&plain3, CONV3X3_PLAIN, 3, x, w, b, dy, dx0, dw0, N, &s);
	run(&gemm, CONV3X3_OFF, 2, x, w, b, dy, dx0, dw0, N, &s);
	run(&mixed, CONV3X3_AUTO, 2, x, w, b, dy, dx0, dw0, N, &s);
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
	if (conv3x3_cpu_ok()) {
		struct run avx, avx3;
		run(&avx, CONV3X3_AVX2, 1, x, w, b, dy, dx0, dw0, N, &s);
		run(&avx3, CONV3X3_AVX2, 3, x, w, b, dy, dx0, dw0, N, &s);
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
	/* the ResNet's stride-1 convolutions (width 16, CIFAR stem); layer1
	 * has 3 images per weight-gradient group: 4 gives a partial one */
	check_shape("stem 3->16 32x32 p0", 2, 3, 32, 32, 16, 0, 1);
	check_shape("layer1 16->16 30x30", 4, 16, 30, 30, 16, 1, 0);
	check_shape("layer2 32->32 15x15", 2, 32, 15, 15, 32, 1, 0);
	check_shape("layer3 64->64 8x8", 2, 64, 8, 8, 64, 1, 0);
	check_shape("layer4 128->128 4x4", 2, 128, 4, 4, 128, 1, 0);
	/* odd channel counts, non-square, padding 2, one pixel; rows of 9
	 * and 17 pixels end in a vector that overlaps the one before */
	check_shape("5->3 7x9 p1 bias", 3, 5, 7, 9, 3, 1, 1);
	check_shape("6->9 11x17 p1 bias", 3, 6, 11, 17, 9, 1, 1);
	check_shape("2->7 5x4 p2", 2, 2, 5, 4, 7, 2, 0);
	check_shape("3->5 3x3 p0", 4, 3, 3, 3, 5, 0, 1);
	check_shape("1->1 1x1 p1", 1, 1, 1, 1, 1, 1, 0);
	/* stride 2 is not for this file */
	struct conv2d_shape s;
	conv3x3_set_kernels(CONV3X3_PLAIN);
	conv2d_shape_set(&s, 4, 8, 8, 4, 3, 2, 1);
	CHECK(!conv3x3_applies(&s, CONV3X3_FWD));
	conv2d_shape_set(&s, 4, 8, 8, 4, 1, 1, 0);
	CHECK(!conv3x3_applies(&s, CONV3X3_FWD));
	conv3x3_set_kernels(CONV3X3_AUTO);
	return check_failures ? 1 : 0;
}
