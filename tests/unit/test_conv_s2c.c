/*
 * test_conv_s2c.c - the channels-last stride-2 convolutions
 * (lib/conv_s2c.c): forward, input and weight gradients against
 * conv2d_forward_ref / conv2d_backward_ref (double sums) at atol 1e-5
 * max|ref|, rtol 1e-4, on the ResNet's stride-2 3x3 shapes at widths 16
 * and 64 and odd ones (odd and even maps, non-square, one pixel,
 * 8-channel blocks, chunks cut short); the same bytes on 1, 2 and 3
 * threads; the gradients accumulate (+=) and a bias is added; and
 * through conv2d_forward / conv2d_backward / conv2d_backward_set
 * (dinp written over NaN); the AVX-512 kernels' bytes the AVX2 ones'
 * where the CPU has AVX-512; the weights in panels kept between calls
 * (conv2d_forward_cached, conv2d_backward_cached).
 */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "conv_check.h"
#include "conv3x3.h"
#include "conv_s2c.h"
#include "nn.h"
#include "rng.h"

/* the accumulating input gradient (conv2d_backward_set checks the
 * writing one) */
static void
dinp_add(float *dinp, float *scratch, const float *dout, const float *w,
    size_t N, const struct conv2d_shape *s, size_t threads)
{
	conv_s2c_backward_dinp(dinp, scratch, dout, w, N, s, threads, 1);
}

static const struct conv_impl impl = {
	conv_s2c_scratch_floats, conv_s2c_forward, dinp_add,
	conv_s2c_backward_dweight
};

static void
check_shape(const char *name, size_t N, size_t C, size_t H, size_t W,
    size_t OC, int bias)
{
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, C, H, W, OC, 3, 2, 1) == 0);
	conv_s2c_set(CONV_S2C_ON);
	CHECK(conv_s2c_applies(&s, CONV_S2C_FWD) &&
	    conv_s2c_applies(&s, CONV_S2C_DINP) &&
	    conv_s2c_applies(&s, CONV_S2C_DWEIGHT));
	conv_impl_check(&impl, name, &s, N, bias);
	/* the three parts on 1 and 2 threads: the same bytes */
	conv_impl_same(&impl, name, "1 and 2 threads", &s, N,
	    (const size_t[2]){ 1, 2 }, NULL);
	/* the AVX2 and the AVX-512 kernels: the same bytes */
	conv_impl_avx512(&impl, name, &s, N);
	conv_s2c_set(CONV_S2C_AUTO);
}

int
main(void)
{
	blas_init(1, 0);
	rng_seed(&rg, 21);
	if (!conv3x3_cpu_ok()) {
		fprintf(stderr, "test_conv_s2c: this CPU has no AVX2+FMA\n");
		return 1;
	}
	/* the ResNet's stride-2 3x3 convolutions at width 16 (several
	 * chunks of images), then at width 64 (fewer images) */
	check_shape("16->32 30x30", 5, 16, 30, 30, 32, 0);
	check_shape("32->64 15x15", 9, 32, 15, 15, 64, 0);
	check_shape("64->128 8x8", 17, 64, 8, 8, 128, 0);
	check_shape("64->128 30x30", 2, 64, 30, 30, 128, 0);
	check_shape("128->256 15x15", 2, 128, 15, 15, 256, 0);
	check_shape("256->512 8x8", 2, 256, 8, 8, 512, 0);
	/* 8-channel blocks, odd and even non-square maps, one pixel, bias */
	check_shape("8->24 7x9 bias", 3, 8, 7, 9, 24, 1);
	check_shape("24->8 6x5", 4, 24, 6, 5, 8, 0);
	check_shape("16->8 1x1 bias", 3, 16, 1, 1, 8, 1);
	check_shape("8->16 2x3", 7, 8, 2, 3, 16, 0);
	check_shape("40->32 13x4", 2, 40, 13, 4, 32, 1);
	/* the weights in panels kept between calls (on any CPU with
	 * AVX2: auto mode leaves 256 channels to BLIS without AVX-512) */
	conv_s2c_set(CONV_S2C_ON);
	check_cache("cache 16->32 30x30", 3, 16, 30, 32, 2);
	check_cache("cache 256->512 8x8", 2, 256, 8, 512, 2);
	conv_s2c_set(CONV_S2C_AUTO);
	/* not for channels off the 8-grid, stride 1, padding 0 or 1x1 */
	struct conv2d_shape s;
	conv_s2c_set(CONV_S2C_ON);
	conv2d_shape_set(&s, 12, 8, 8, 16, 3, 2, 1);
	CHECK(!conv_s2c_applies(&s, CONV_S2C_FWD));
	conv2d_shape_set(&s, 16, 8, 8, 20, 3, 2, 1);
	CHECK(!conv_s2c_applies(&s, CONV_S2C_FWD));
	conv2d_shape_set(&s, 16, 8, 8, 16, 3, 1, 1);
	CHECK(!conv_s2c_applies(&s, CONV_S2C_FWD));
	conv2d_shape_set(&s, 16, 8, 8, 16, 3, 2, 0);
	CHECK(!conv_s2c_applies(&s, CONV_S2C_FWD));
	conv2d_shape_set(&s, 16, 8, 8, 16, 1, 2, 0);
	CHECK(!conv_s2c_applies(&s, CONV_S2C_FWD));
	conv_s2c_set(CONV_S2C_OFF);
	conv2d_shape_set(&s, 16, 8, 8, 16, 3, 2, 1);
	CHECK(!conv_s2c_applies(&s, CONV_S2C_FWD));
	conv_s2c_set(CONV_S2C_AUTO);
	return check_failures ? 1 : 0;
}
