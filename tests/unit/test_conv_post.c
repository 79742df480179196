/*
 * test_conv_post.c - conv2d_forward_post (eval-mode batch norm, residual
 * and ReLU applied to each image as it leaves the convolution) gives the
 * same bytes as conv2d_forward followed by the separate batch norm pass
 * (batchnorm_relu_forward_eval / batchnorm_forward_eval), on every
 * convolution path (Winograd F2 and F4, channel-blocked F4, the direct
 * 3x3 kernels and their plain twin, the stride-2 kernels and their
 * twin, the channels-last stride-2 kernels, im2col + GEMM), on 1 and 2
 * threads, with and without residual and ReLU.
 */
#include <string.h>

#include "check.h"
#include "conv_check.h"
#include "conv3x3.h"
#include "conv_s2.h"
#include "conv_s2c.h"
#include "conv_wcb.h"
#include "conv_wino.h"
#include "nn.h"
#include "rng.h"

enum { WINO_F2, WINO_F4, WCB, DIRECT, DIRECT_PLAIN, S2, S2_PLAIN, S2C,
    GEMM, NPATH };
static const char *path_name[NPATH] = { "winograd F2", "winograd F4",
    "winograd blocked", "direct", "direct plain", "stride-2",
    "stride-2 plain", "stride-2 hwc", "im2col+GEMM" };

/* force path p; returns 0 if it does not apply to s (or this CPU) */
static int
force(int p, const struct conv2d_shape *s)
{
	int avx = conv3x3_cpu_ok();
	conv_wino_set(p == WINO_F2 ? CONV_WINO_F2 : p == WINO_F4 ?
	    CONV_WINO_F4 : CONV_WINO_OFF);
	conv_wcb_set(p == WCB ? CONV_WCB_ON : CONV_WCB_OFF);
	conv3x3_set_kernels(p == DIRECT ? CONV3X3_AVX2 : p == DIRECT_PLAIN ?
	    CONV3X3_PLAIN : CONV3X3_OFF);
	conv_s2_set_kernels(p == S2 ? CONV_S2_AVX2 : p == S2_PLAIN ?
	    CONV_S2_PLAIN : CONV_S2_OFF);
	conv_s2c_set(p == S2C ? CONV_S2C_ON : CONV_S2C_OFF);
	if ((p == DIRECT || p == S2) && !avx)
		return 0;
	switch (p) {
	case WCB:
		return conv_wcb_applies(s, CONV_WCB_FWD);
	case WINO_F2:
	case WINO_F4:
		return conv_wino_applies(s, CONV_WINO_FWD);
	case DIRECT:
	case DIRECT_PLAIN:
		return conv3x3_applies(s, CONV3X3_FWD);
	case S2:
	case S2_PLAIN:
		return conv_s2_applies(s, CONV_S2_FWD);
	case S2C:
		return conv_s2c_applies(s, CONV_S2C_FWD);
	default:
		return 1;
	}
}

static void
reset(void)
{
	conv_wino_set(CONV_WINO_AUTO);
	conv_wcb_set(CONV_WCB_AUTO);
	conv3x3_set_kernels(CONV3X3_AUTO);
	conv_s2_set_kernels(CONV_S2_AUTO);
	conv_s2c_set(CONV_S2C_AUTO);
}

static void
check_shape(const char *name, size_t N, size_t C, size_t H, size_t W,
    size_t OC, size_t KS, size_t stride, int bias)
{
	struct conv2d_shape s;
	CHECK(conv2d_shape_set(&s, C, H, W, OC, KS, stride, KS / 2) == 0);
	size_t ny = N * OC * s.OH * s.OW, nx = N * C * H * W;
	size_t nw = OC * C * KS * KS;
	float *x = vec(nx), *w = vec(nw), *b = bias ? vec(OC) : NULL;
	float *res = vec(ny), *rm = vec(OC), *rv = vec(OC);
	float *g = vec(OC), *be = vec(OC), *sc = vec(OC), *sh = vec(OC);
	float *conv = vec(ny), *want = vec(ny), *got = vec(ny);
	for (size_t c = 0; c < OC; c++)
		rv[c] = rv[c] * rv[c] + 0.1f;   /* a variance */
	batchnorm_eval_affine(sc, sh, rm, rv, g, be, OC, BN_EPS);
	int tried = 0;
	for (int p = 0; p < NPATH; p++) {
		if (!force(p, &s))
			continue;
		tried++;
		for (size_t threads = 1; threads <= 2; threads++) {
			float *scratch = calloc(conv2d_scratch_floats(&s, N,
			    threads), sizeof *scratch);
			if (scratch == NULL)
				exit(1);
			conv2d_forward(conv, scratch, x, w, b, N, &s,
			    threads);
			for (int v = 0; v < 3; v++) {
				/* v 0: BN + ReLU, 1: + residual, 2: BN only */
				const float *r = v == 1 ? res : NULL;
				if (v < 2)
					batchnorm_relu_forward_eval(want, conv,
					    r, rm, rv, g, be, N, OC,
					    s.OH * s.OW, BN_EPS);
				else
					batchnorm_forward_eval(want, conv, rm,
					    rv, g, be, N, OC, s.OH * s.OW,
					    BN_EPS);
				struct conv_post post = { sc, sh, r, v < 2 };
				memset(got, 0xff, ny * sizeof *got);
				conv2d_forward_post(got, scratch, x, w, b, N,
				    &s, threads, &post);
				int ok = memcmp(got, want, ny * sizeof *got)
				    == 0;
				printf("%-28s %-15s %zu thr, %-14s %s\n", name,
				    path_name[p], threads, v == 0 ? "bn+relu" :
				    v == 1 ? "bn+res+relu" : "bn", ok ?
				    "same bytes" : "DIFFERENT");
				CHECK(ok);
			}
			free(scratch);
		}
	}
	reset();
	CHECK(tried >= 2);   /* GEMM and at least one kernel path */
	free(x), free(w), free(b), free(res), free(rm), free(rv), free(g);
	free(be), free(sc), free(sh), free(conv), free(want), free(got);
}

int
main(void)
{
	rng_seed(&rg, 11);
	check_shape("stem 3->16 32x32 bias", 3, 3, 32, 32, 16, 3, 1, 1);
	check_shape("layer1 16->16 32x32", 3, 16, 32, 32, 16, 3, 1, 0);
	check_shape("layer3 64->64 8x8", 2, 64, 8, 8, 64, 3, 1, 0);
	check_shape("layer4 128->128 4x4", 3, 128, 4, 4, 128, 3, 1, 0);
	check_shape("down 16->32 32x32 s2", 3, 16, 32, 32, 32, 3, 2, 0);
	check_shape("short 16->32 32x32 1x1 s2", 3, 16, 32, 32, 32, 1, 2, 0);
	check_shape("odd 5->3 7x9 bias", 3, 5, 7, 9, 3, 3, 1, 1);
	check_shape("odd 8->24 7x9 bias", 3, 8, 7, 9, 24, 3, 1, 1);
	check_shape("odd 5->3 7x9 s2 bias", 3, 5, 7, 9, 3, 3, 2, 1);
	check_shape("odd 8->16 7x9 s2 bias", 3, 8, 7, 9, 16, 3, 2, 1);
	return check_failures ? 1 : 0;
}
