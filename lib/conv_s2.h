/*
 * conv_s2.h - direct stride-2 convolutions (3x3 pad 1, 1x1 pad 0), no
 * im2col.
 *
 * The zero-padded input [Hp, Wp] of a channel splits into its 4 phase
 * planes (even/odd rows x even/odd columns), each [Hq, Wq] with
 * Hq = ceil(Hp/2), Wq = ceil(Wp/2).  Output pixel (oh, ow) is flat
 * position p = oh Wq + ow, and its tap (ki, kj) is plane (ki&1, kj&1)
 * at p + (ki>>1) Wq + (kj>>1): a stride-1 "flat rows" correlation over
 * 4 planes with 4+2+2+1 taps, as in conv3x3.h (4 output channels x 24
 * pixels in registers).  OW/Wq of the flat run is useful (15/16, 8/9,
 * 4/5 for the ResNet's maps).
 *
 * input gradient: phase plane (a, b) of the padded dx is a stride-1
 *   correlation of dout (framed by one zero row above and one zero
 *   column on the left) with the taps ki&1 = a, kj&1 = b; the planes
 *   are then interleaved back into dx.
 * weight gradient: dW[oc,c,ki,kj] = sum over p of dout[oc,p] times
 *   plane (ki&1, kj&1) of channel c at p + (ki>>1) Wq + (kj>>1);
 *   blocks of 4 output channels split among the threads (each thread
 *   walks all images), 4 channels x 3 taps in registers.
 *
 * Every output element is a chain of fused multiply-adds in a fixed
 * order, so the result does not depend on the thread count and the
 * plain C twin (fmaf) gives the same bytes as the AVX2+FMA kernels.
 */
#ifndef CONV_S2_H
#define CONV_S2_H

#include <stddef.h>

#include "nn.h"

enum {
	CONV_S2_AUTO,    /* AVX2+FMA kernels where measured faster */
	CONV_S2_AVX2,    /* the AVX2+FMA kernels (caller checked the CPU) */
	CONV_S2_PLAIN,   /* the plain C twin (slow: for tests) */
	CONV_S2_OFF      /* never: conv2d_* use im2col + GEMM */
};
/* Which kernels conv_s2_applies() and the functions below use. */
void conv_s2_set_kernels(int which);

enum { CONV_S2_FWD, CONV_S2_DINP, CONV_S2_DWEIGHT };
/*
 * 1 if conv2d_forward/backward should use this file for part `part`
 * of shape s: stride 2 with KS 3 pad 1 or KS 1 pad 0, and kernels
 * available.  With CONV_S2_AUTO only where it was measured faster than
 * im2col + BLIS (conv_s2.c: use_s2); forced kernels apply always.
 */
int conv_s2_applies(const struct conv2d_shape *s, int part);

/* Floats of scratch on `threads` threads (0 counts as 1). */
size_t conv_s2_scratch_floats(const struct conv2d_shape *s, size_t threads);

/* out [N,OC,OH,OW] = inp [N,C,H,W] (*) weight [OC,C,KS,KS] + bias [OC]
 * (or NULL), then post (nn.h; NULL: none) on each image */
void conv_s2_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post);
/*
 * dinp [N,C,H,W] +=, dweight [OC,C,KS,KS] += (each may be NULL) from
 * dout [N,OC,OH,OW], inp [N,C,H,W], weight.  (The bias gradient is
 * conv2d_backward's.)
 */
void conv_s2_backward(float *dinp, float *dweight, float *scratch,
    const float *dout, const float *inp, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads);

#endif
