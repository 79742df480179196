/*
 * test_conv_wino.c - Winograd F(2x2,3x3) and F(4x4,3x3) forward, input
 * and weight gradients (lib/conv_wino.c), each tile size forced and the
 * measured choice, against conv2d_forward_ref / conv2d_backward_ref
 * (double sums) at atol 1e-5 max|ref|, rtol 1e-4 on the ResNet's
 * stride-1 layer shapes and odd sizes (partial tiles, odd channel
 * counts, several chunks of images); the same bytes on 1 and 3
 * threads; the gradients accumulate (+=) and a bias is added.
 */
#include <string.h>

#include "blas.h"
#include "check.h"
#include "conv_check.h"
#include "conv3x3.h"
#include "conv_wino.h"
#include "nn.h"
#include "rng.h"

static const struct conv_impl impl = {
	conv_wino_scratch_floats, conv_wino_forward, conv_wino_backward_dinp,
	conv_wino_backward_dweight
};

/* mode: CONV_WINO_F2, CONV_WINO_F4 or CONV_WINO_ON */
static void
check_mode(const char *name, int mode, size_t N, size_t C, size_t H,
    size_t W, size_t OC, int bias)
{
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, C, H, W, OC, 3, 1, 1) == 0);
	conv_wino_set(mode);
	CHECK(conv_wino_applies(&s, CONV_WINO_FWD) &&
	    conv_wino_applies(&s, CONV_WINO_DINP) &&
	    conv_wino_applies(&s, CONV_WINO_DWEIGHT));
	conv_impl_check(&impl, name, &s, N, bias);
	conv_wino_set(CONV_WINO_AUTO);
}

static void
check_shape(const char *name, size_t N, size_t C, size_t H, size_t W,
    size_t OC, int bias)
{
	static const struct { int mode; const char *tag; } m[] = {
		{ CONV_WINO_F2, "F2" }, { CONV_WINO_F4, "F4" },
		{ CONV_WINO_ON, "auto" },
	};
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
		char buf[64];
		snprintf(buf, sizeof buf, "%s %s", m[i].tag, name);
		check_mode(buf, m[i].mode, N, C, H, W, OC, bias);
	}
}

int
main(void)
{
	blas_init(1, 0);
	rng_seed(&rg, 11);
	/* the ResNet's stride-1 convolutions at width 64 (fewer images) */
	check_shape("64->64 30x30", 2, 64, 30, 30, 64, 0);
	check_shape("128->128 15x15", 2, 128, 15, 15, 128, 0);
	check_shape("256->256 8x8", 3, 256, 8, 8, 256, 0);
	check_shape("512->512 4x4", 5, 512, 4, 4, 512, 0);
	/* at width 16, and odd shapes: partial tiles, one pixel */
	check_shape("16->16 30x30", 3, 16, 30, 30, 16, 0);
	check_shape("5->3 7x9 bias", 3, 5, 7, 9, 3, 1);
	check_shape("2->7 5x4", 2, 2, 5, 4, 7, 1);
	check_shape("1->1 1x1", 2, 1, 1, 1, 1, 0);
	check_shape("3->4 13x6 bias", 2, 3, 13, 6, 4, 1);
	check_shape("4->3 2x3", 3, 4, 2, 3, 3, 0);
	/* not for stride 2, padding 0 or 1x1 */
	struct conv2d_shape s;
	conv_wino_set(CONV_WINO_F4);
	conv2d_shape_set(&s, 4, 8, 8, 4, 3, 2, 1);
	CHECK(!conv_wino_applies(&s, CONV_WINO_FWD));
	conv2d_shape_set(&s, 4, 8, 8, 4, 3, 1, 0);
	CHECK(!conv_wino_applies(&s, CONV_WINO_FWD));
	conv2d_shape_set(&s, 4, 8, 8, 4, 1, 1, 0);
	CHECK(!conv_wino_applies(&s, CONV_WINO_FWD));
	conv_wino_set(CONV_WINO_AUTO);
	return check_failures ? 1 : 0;
}
