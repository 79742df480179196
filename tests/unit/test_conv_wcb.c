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
 * kept between calls (conv2d_forward_cached, conv2d_backward_cached).
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

static const struct conv_impl impl = {
	conv_wcb_scratch_floats, conv_wcb_forward, dinp_add,
	conv_wcb_backward_dweight
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
