/*
 * conv_s2c.h - 3x3 stride-2 padding-1 convolutions with channels last
 * (AVX2 + FMA).
 *
 * An image is transposed to [H, W, C] inside a frame of zeros (the
 * padding), so that the channels of a pixel are contiguous; the sums
 * then go straight from the pixels, with no im2col and no phase planes.
 *
 * forward: output pixel (oy, ox), tap (ky, kx) reads framed pixel
 *   (2 oy + ky, 2 ox + kx), so the 3 taps of a kernel row are 3 C
 *   consecutive floats.  A register kernel keeps 6 output pixels x 16
 *   output channels over the K = 9 C products: per kernel row, a
 *   pointer per pixel (an indirection kernel, so that the 6 run on
 *   across rows and images), one float broadcast at a time, and the
 *   weights [9 C, OC] read in order, stored in panels of 16 output
 *   channels and taken in blocks of K that stay in L1.
 * input gradient: the pixels of dinp of one parity (py, px) form a
 *   stride-1 correlation of dout (channels last, framed) with the taps
 *   of that parity (2x2, 2x1, 1x2 or 1x1 of them) and the transposed
 *   weights [tap OC, C]: the same kernel, its 6 pixels 2 apart.
 * weight gradient: dW [9 C, OC] (rows tap-major) = the sum over images
 *   and output pixels of the tap's input pixel [C] times dout's pixel
 *   [OC]: 6 rows x 16 output channels in registers, the rows 6
 *   consecutive floats of the 3 C of a kernel row, so that the pixel
 *   walk reads both operands in order; every block of rows passes over
 *   a band of output rows before the next band.
 *
 * Every output element is one chain of fused multiply-adds in an order
 * fixed by the shape (the weight gradient's over the images and pixels
 * in order), so results do not depend on the thread count.  Channel
 * counts must be multiples of 8 and the CPU must have AVX2 and FMA.
 * Where it has AVX-512 (conv3x3.h: conv_avx512), panels of 16 channels
 * go through AVX-512 kernels instead: 8 pixels x 16 channels, and 12
 * weight-gradient rows x 16, a register each, the same chains: the same
 * bytes.
 */
#ifndef CONV_S2C_H
#define CONV_S2C_H

#include <stddef.h>

#include "nn.h"

/* CONV_S2C_AUTO: where measured faster (conv_s2c.c: use_s2c); ON:
 * every shape it can do (tests); OFF: never. */
enum { CONV_S2C_AUTO, CONV_S2C_ON, CONV_S2C_OFF };
void conv_s2c_set(int mode);

enum { CONV_S2C_FWD, CONV_S2C_DINP, CONV_S2C_DWEIGHT };
/* 1 if conv2d_forward or conv2d_backward should use this file for
 * part `part` of shape s. */
int conv_s2c_applies(const struct conv2d_shape *s, int part);

/* Floats of scratch on `threads` threads (0 counts as 1). */
size_t conv_s2c_scratch_floats(const struct conv2d_shape *s,
    size_t threads);

/* Floats of a conv_cache part (nn.h) for shape s: the weights in
 * panels; 0 where this file does not apply to s. */
size_t conv_s2c_cache_floats(const struct conv2d_shape *s);

/* out [N,OC,OH,OW] = inp [N,C,H,W] (*) weight [OC,C,3,3] + bias [OC]
 * (or NULL), then post (nn.h; NULL: none) on each image */
void conv_s2c_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post);
/* dinp [N,C,H,W] += (acc 1) or = (acc 0) the input gradient from dout
 * [N,OC,OH,OW] */
void conv_s2c_backward_dinp(float *dinp, float *scratch,
    const float *dout, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads, int acc);
/* The same with the weights in panels kept in cache (nn.h; NULL: none)
 * part 0 (forward) or 1 (input gradient): the same bytes */
void conv_s2c_forward_cached(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post, struct conv_cache *cache);
void conv_s2c_backward_dinp_cached(float *dinp, float *scratch,
    const float *dout, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads, int acc,
    struct conv_cache *cache);
/* dweight [OC,C,3,3] += the weight gradient from dout [N,OC,OH,OW] and
 * inp [N,C,H,W] */
void conv_s2c_backward_dweight(float *dweight, float *scratch,
    const float *dout, const float *inp, size_t N,
    const struct conv2d_shape *s, size_t threads);

#endif
