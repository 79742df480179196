/*
 * test_conv_wcb.c - the channel-blocked Winograd F(4x4,3x3) forward,
 * input and weight gradients (lib/conv_wcb.c) against
 * conv2d_forward_ref / conv2d_backward_ref (double sums) at atol 1e-5
 * max|ref|, rtol 1e-4, on the ResNet's stride-1 layer shapes and odd
 * ones (partial tiles, maps smaller than a tile, 8-channel blocks, a
 * chunk cut short, several chunks); the same bytes on 1 and 3 threads;
 * the gradients accumulate (+=) and a bias is added; and through
 * conv2d_forward / conv2d_backward / conv2d_backward_set (dinp written
 * over NaN), with the eval-mode epilogue; the transformed weights
 * kept between calls (conv2d_forward_cached, conv2d_backward_cached);
 * the input through a batch norm and ReLU as it is read
 * (conv2d_forward_pre, conv2d_backward_pre).
 */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "conv_check.h"
#include "conv3x3.h"
#include "conv_wcb.h"
#include "nn.h"
#include "rng.h"

/* the accumulating input gradient (conv2d_backward_set checks the
 * writing one) */
static void
dinp_add(float *dinp, float *scratch, const float *dout, const float *w,
    size_t N, const struct conv2d_shape *s, size_t threads)
{
	conv_wcb_backward_dinp(dinp, scratch, dout, w, N, s, threads, 1);
}

static void
dweight_add(float *dweight, float *scratch, const float *dout,
    const float *inp, size_t N, const struct conv2d_shape *s,
    size_t threads)
{
	conv_wcb_backward_dweight(dweight, scratch, dout, inp, NULL, N, s,
	    threads);
}

static const struct conv_impl impl = {
	conv_wcb_scratch_floats, conv_wcb_forward, dinp_add, dweight_add
};

static void
check_shape(const char *name, size_t N, size_t C, size_t H, size_t W,
    size_t OC, int bias)
{
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, C, H, W, OC, 3, 1, 1) == 0);
	conv_wcb_set(CONV_WCB_ON);
	CHECK(conv_wcb_applies(&s, CONV_WCB_FWD) &&
	    conv_wcb_applies(&s, CONV_WCB_DINP) &&
	    conv_wcb_applies(&s, CONV_WCB_DWEIGHT));
	conv_impl_check(&impl, name, &s, N, bias);
	conv_wcb_set(CONV_WCB_AUTO);
}

/* the AVX-512 products and transforms (where the CPU has them) against
 * the AVX2 ones; 16->24 and 24->32 take the AVX-512 transform on one
 * side only */
static void
check_avx512(const char *name, size_t N, size_t C, size_t H, size_t OC)
{
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, C, H, H, OC, 3, 1, 1) == 0);
	conv_wcb_set(CONV_WCB_ON);
	conv_impl_avx512(&impl, name, &s, N);
	conv_wcb_set(CONV_WCB_AUTO);
}

/*
 * conv2d_forward_pre / conv2d_backward_pre on x through a training batch
 * norm and ReLU (batchnorm_train_affine of batchnorm_train_sync's
 * statistics) against the plain convolution of the tensor that
 * batchnorm_train_sync writes: the same bytes, on 1 and 2 threads, with
 * and without a cache.  One channel has weight 0 and bias -0 (every
 * value of it 0, of either sign before the ReLU); the input gradient,
 * which reads no input, too.
 */
static void
check_pre(const char *name, size_t N, size_t C, size_t H, size_t OC)
{
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, C, H, H, OC, 3, 1, 1) == 0);
	CHECK(conv2d_pre_applies(&s));
	size_t HW = H * H, nx = N * C * HW, ny = N * OC * HW, nw = OC * C * 9;
	size_t nsc = conv2d_scratch_floats(&s, N, 2);
	float *x = vec(nx), *w = vec(nw), *dy = vec(ny), *bw = vec(C);
	float *bb = vec(C), *scratch = vec(nsc), *h = vec(nx);
	float *mean = vec(C), *rstd = vec(C), *sc = vec(C), *sh = vec(C);
	bw[1] = 0.0f, bb[1] = -0.0f;
	batchnorm_train_sync(h, mean, rstd, NULL, NULL, x, NULL, 1, bw, bb,
	    N, C, HW, 0.1f, 1e-5f, NULL);
	batchnorm_train_affine(sc, sh, mean, rstd, bw, bb, C);
	struct conv_pre pre = { sc, sh };
	float *y[2], *dx[2], *dw[2];
	for (int k = 0; k < 2; k++)
		y[k] = vec(ny), dx[k] = vec(nx), dw[k] = vec(nw);
	conv2d_forward(y[0], scratch, h, w, NULL, N, &s, 1);
	memset(dw[0], 0, nw * sizeof *dw[0]);
	conv2d_backward_set(dx[0], dw[0], NULL, scratch, dy, h, w, N, &s, 1);
	for (int threads = 1; threads <= 2; threads++)
		for (int cached = 0; cached < 2; cached++) {
			struct conv_cache cache = { 0 };
			if (cached)
				CHECK(conv2d_cache_init(&cache, &s, 2) == 0);
			memset(dw[1], 0, nw * sizeof *dw[1]);
			conv2d_forward_pre(y[1], scratch, x, &pre, w, NULL, N,
			    &s, threads, &cache);
			conv2d_backward_pre(dx[1], dw[1], NULL, scratch, dy, x,
			    &pre, w, N, &s, threads, 0, &cache);
			int same = !memcmp(y[0], y[1], ny * sizeof *y[0]) &&
			    !memcmp(dx[0], dx[1], nx * sizeof *dx[0]) &&
			    !memcmp(dw[0], dw[1], nw * sizeof *dw[0]);
			printf("%-36s pre, %d thr%s: %s\n", name, threads,
			    cached ? ", cache" : "", same ? "same bytes" :
			    "DIFFER");
			CHECK(same);
			conv2d_cache_free(&cache);
		}
	free(x), free(w), free(dy), free(bw), free(bb), free(scratch);
	free(h), free(mean), free(rstd), free(sc), free(sh);
	for (int k = 0; k < 2; k++)
		free(y[k]), free(dx[k]), free(dw[k]);
}

int
main(void)
{
	blas_init(1, 0);
	rng_seed(&rg, 12);
	if (!conv3x3_cpu_ok()) {
		fprintf(stderr, "test_conv_wcb: this CPU has no AVX2+FMA\n");
		return 1;
	}
	/* the ResNet's stride-1 convolutions at width 16, then at width 64
	 * (fewer images) */
	check_shape("16->16 30x30", 3, 16, 30, 30, 16, 0);
	check_shape("32->32 15x15", 5, 32, 15, 15, 32, 0);
	check_shape("64->64 8x8", 20, 64, 8, 8, 64, 0);
	check_shape("128->128 4x4", 70, 128, 4, 4, 128, 0);
	check_shape("64->64 30x30", 2, 64, 30, 30, 64, 0);
	check_shape("128->128 15x15", 2, 128, 15, 15, 128, 0);
	check_shape("256->256 8x8", 3, 256, 8, 8, 256, 0);
	check_shape("512->512 4x4", 5, 512, 4, 4, 512, 0);
	/* 8-channel blocks, partial tiles, maps below a tile, bias */
	check_shape("8->24 7x9 bias", 3, 8, 7, 9, 24, 1);
	check_shape("24->8 5x4", 2, 24, 5, 4, 8, 0);
	check_shape("16->8 1x1 bias", 2, 16, 1, 1, 8, 1);
	check_shape("8->16 13x6", 2, 8, 13, 6, 16, 0);
	check_shape("40->32 2x3", 9, 40, 2, 3, 32, 0);
	/* 16 and 32 channels a vector, and an 8-channel rest */
	check_avx512("avx512 16->16 30x30", 3, 16, 30, 16);
	check_avx512("avx512 64->64 8x8", 5, 64, 8, 64);
	check_avx512("avx512 24->40 7x7", 3, 24, 7, 40);
	check_avx512("avx512 16->24 9x9", 3, 16, 9, 24);
	check_avx512("avx512 24->32 6x6", 3, 24, 6, 32);
	/* the transformed weights kept between calls */
	check_cache("cache 16->16 30x30", 3, 16, 30, 16, 1);
	check_cache("cache 64->32 8x8", 4, 64, 8, 32, 1);
	/* the input through a batch norm and ReLU as it is read (maps
	 * with a rest of 8 pixels: 30x30, 15x15) */
	check_pre("pre 16->16 30x30", 3, 16, 30, 16);
	check_pre("pre 32->32 15x15", 4, 32, 15, 32);
	check_pre("pre 64->64 8x8", 9, 64, 8, 64);
	check_pre("pre 128->128 4x4", 20, 128, 4, 128);
	check_pre("pre 8->24 7x7", 3, 8, 7, 24);
	/* not for channels off the 8-grid, stride 2, padding 0 or 1x1 */
	struct conv2d_shape s;
	conv_wcb_set(CONV_WCB_ON);
	conv2d_shape_set(&s, 12, 8, 8, 16, 3, 1, 1);
	CHECK(!conv_wcb_applies(&s, CONV_WCB_FWD));
	conv2d_shape_set(&s, 16, 8, 8, 20, 3, 1, 1);
	CHECK(!conv_wcb_applies(&s, CONV_WCB_FWD));
	conv2d_shape_set(&s, 16, 8, 8, 16, 3, 2, 1);
	CHECK(!conv_wcb_applies(&s, CONV_WCB_FWD));
	conv2d_shape_set(&s, 16, 8, 8, 16, 3, 1, 0);
	CHECK(!conv_wcb_applies(&s, CONV_WCB_FWD));
	conv2d_shape_set(&s, 16, 8, 8, 16, 1, 1, 0);
	CHECK(!conv_wcb_applies(&s, CONV_WCB_FWD));
	conv_wcb_set(CONV_WCB_OFF);
	conv2d_shape_set(&s, 16, 8, 8, 16, 3, 1, 1);
	CHECK(!conv_wcb_applies(&s, CONV_WCB_FWD));
	conv_wcb_set(CONV_WCB_AUTO);
	return check_failures ? 1 : 0;
}
