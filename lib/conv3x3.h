/*
 * conv3x3.h - direct 3x3 stride-1 convolutions, no im2col.
 *
 * An image zero-padded by `pad` is [C, Hp, Wp] (Hp = H + 2 pad,
 * Wp = W + 2 pad); read as one flat row per channel, output pixel
 * (oh, ow) is flat position p = oh Wp + ow and its tap (ki, kj) is the
 * input at p + ki Wp + kj.  So 8 consecutive pixels of an output row
 * fill one AVX2 vector, each tap is one unaligned load, a weight one
 * broadcast.  A row of OW >= 8 is ceil(OW/8) vectors, the last one
 * moved back to end at the row's end (it repeats a few pixels: 32/30,
 * 16/15, 8/8 of the work is useful for the ResNet's maps), stored
 * straight into the output; a row of OW < 8 is one vector, partly
 * wasted (4x4: half).
 *
 * forward: out [N,OC,OH,OW] from inp [N,C,H,W], weight [OC,C,3,3];
 *   images in parallel, 4 output channels x 3 vectors in registers.
 * input gradient: the same kernel on dout with the flipped, transposed
 *   kernel and padding 2 - pad.
 * weight gradient: blocks of 4 output channels split among the
 *   threads (each thread walks all images), so no per-thread partial
 *   sums; per (oc, c, tap) a sum over all images' flat p in 8 float
 *   lanes, the lanes added in order, then added into dweight.
 *
 * Every output element is a chain of fused multiply-adds in a fixed
 * order (channel, ki, kj; or lane, pixel), so the result does not
 * depend on the thread count, and the plain C twin (fmaf) gives the
 * same bytes as the AVX2+FMA kernels.
 */
#ifndef CONV3X3_H
#define CONV3X3_H

#include <stddef.h>

#include "nn.h"

enum {
	CONV3X3_AUTO,    /* AVX2+FMA kernels when the CPU has them, else off */
	CONV3X3_AVX2,    /* the AVX2+FMA kernels (caller checked the CPU) */
	CONV3X3_PLAIN,   /* the plain C twin (slow: for tests) */
	CONV3X3_OFF      /* never: conv2d_* use im2col + GEMM */
};
/* Which kernels conv3x3_applies() and the functions below use. */
void conv3x3_set_kernels(int which);
/* 1 if the CPU has AVX2 and FMA. */
int conv3x3_cpu_ok(void);
/*
 * 1 if conv_wcb.c's and conv_s2c.c's AVX-512 kernels run: the CPU has
 * AVX-512F and FMA and conv_avx512_set has not turned them off.  They
 * give the same bytes as the AVX2 ones; conv_avx512_set(0) runs the
 * AVX2 ones everywhere (tests compare the two); returns conv_avx512().
 */
int conv_avx512(void);
int conv_avx512_set(int on);

enum { CONV3X3_FWD, CONV3X3_DINP, CONV3X3_DWEIGHT };
/*
 * 1 if conv2d_forward/backward should use this file for part `part`
 * of shape s: KS 3, stride 1, pad <= 2, and kernels available (see
 * above).  With CONV3X3_AUTO only where it was measured faster than
 * im2col + BLIS (conv3x3.c: use_direct); forced kernels apply always.
 */
int conv3x3_applies(const struct conv2d_shape *s, int part);

/* Floats of scratch for N images on `threads` threads (0 counts as 1). */
size_t conv3x3_scratch_floats(const struct conv2d_shape *s, size_t threads);

/* out [N,OC,OH,OW] = inp (*) weight + bias (bias [OC] or NULL), then
 * post (nn.h; NULL: none) on each image */
void conv3x3_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post);
/*
 * dinp [N,C,H,W] +=, dweight [OC,C,3,3] += (each may be NULL) from
 * dout [N,OC,OH,OW], inp [N,C,H,W], weight.  (The bias gradient is
 * conv2d_backward's.)
 */
void conv3x3_backward(float *dinp, float *dweight, float *scratch,
    const float *dout, const float *inp, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads);

#endif
