/*
 * conv_wcb.h - 3x3 stride-1 padding-1 convolutions by Winograd's
 * F(4x4, 3x3) in a channel-blocked layout (AVX2 + FMA).
 *
 * conv_wino.c transforms one channel plane at a time, as flat rows over
 * all tiles of an image: on the small maps of a narrow ResNet (15x15
 * and less) the rows are a few floats long, and its GEMMs of 16 or 32
 * channels leave BLIS's kernels half idle.  Here an image is first
 * transposed to [H, W, C], so that 8 channels of one pixel are one
 * vector; a tile's 36 transformed values are then 36 vectors, computed
 * in registers whatever the map size, and stored as V [36, T, C]
 * (channels last).  The channel sums are 36 products [T, C] x [C, OC]
 * by a register-blocked kernel of 6 tiles x 16 output channels (no
 * packing: both operands are read in order, the transformed weights U
 * stored in panels of 32 output channels once per call, or kept between
 * calls; with AVX-512, 12 tiles x 16 or 32 channels, the same sums in
 * the same order), and the output transform reads M [36, T, OC] back a
 * vector of 8 output channels at a time (16 with AVX-512 where the
 * channels come in 16s: the transforms are written once for both
 * widths, conv_wcb_tf.h).
 * The transforms are conv_wino.c's (wino_f4.h): the same arithmetic in
 * another order, so results agree with it to rounding, not to the bit.
 *
 * Used for the forward pass, the input gradient (the same convolution
 * of dout with the flipped, transposed kernel) and the weight gradient
 * (dU [36, C, OC] = the sum over tiles of V^T Dg, Dg = A dY A^T).
 * Images go in chunks fixed by the shape (forward: one chunk per
 * thread; weight gradient: chunks in order, the 36 products shared
 * among the threads), and every sum runs in a fixed order, so results
 * do not depend on the thread count.
 *
 * Channel counts must be multiples of 8 and the CPU must have AVX2 and
 * FMA; elsewhere conv_wino.c, lib/conv3x3.c or im2col + BLIS apply.
 */
#ifndef CONV_WCB_H
#define CONV_WCB_H

#include <stddef.h>

#include "nn.h"

/* CONV_WCB_AUTO: where measured faster (conv_wcb.c: use_wcb); ON: every
 * shape it can do (tests); OFF: never. */
enum { CONV_WCB_AUTO, CONV_WCB_ON, CONV_WCB_OFF };
void conv_wcb_set(int mode);

enum { CONV_WCB_FWD, CONV_WCB_DINP, CONV_WCB_DWEIGHT };
/* 1 if conv2d_forward or conv2d_backward should use this file for
 * part `part` of shape s. */
int conv_wcb_applies(const struct conv2d_shape *s, int part);

/* Floats of scratch on `threads` threads (0 counts as 1). */
size_t conv_wcb_scratch_floats(const struct conv2d_shape *s,
    size_t threads);

/* out [N,OC,H,W] = inp [N,C,H,W] (*) weight [OC,C,3,3] + bias [OC]
 * (or NULL), then post (nn.h; NULL: none) on each image */
void conv_wcb_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post);
/* dinp [N,C,H,W] += (acc 1) or = (acc 0) the input gradient from dout
 * [N,OC,H,W] */
void conv_wcb_backward_dinp(float *dinp, float *scratch,
    const float *dout, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads, int acc);
/* The same two with the transformed weights kept in cache (nn.h; may
 * be NULL), which holds conv_wcb_cache_floats(s) floats a part where
 * conv_wcb_cache_floats(s) is not 0; the forward pass's input through
 * pre (nn.h; NULL: as it is) */
size_t conv_wcb_cache_floats(const struct conv2d_shape *s);
void conv_wcb_forward_cached(float *out, float *scratch, const float *inp,
    const struct conv_pre *pre, const float *weight, const float *bias,
    size_t N, const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post, struct conv_cache *cache);
void conv_wcb_backward_dinp_cached(float *dinp, float *scratch,
    const float *dout, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads, int acc,
    struct conv_cache *cache);
/* dweight [OC,C,3,3] += the weight gradient from dout [N,OC,H,W] and
 * inp [N,C,H,W] through pre (or NULL) */
void conv_wcb_backward_dweight(float *dweight, float *scratch,
    const float *dout, const float *inp, const struct conv_pre *pre,
    size_t N, const struct conv2d_shape *s, size_t threads);

#endif
