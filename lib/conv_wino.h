/*
 * conv_wino.h - 3x3 stride-1 padding-1 convolutions by Winograd's
 * minimal filtering F(2x2, 3x3) and F(4x4, 3x3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): each m x m
 * output tile is A^T [(G g G^T) (.) (B^T d B)] A from its (m+2)^2
 * input tile d, so the channel sums become (m+2)^2 GEMMs [OC,C] x
 * [C,tiles] (BLIS): 16 instead of 36 multiply-adds per 2x2 tile and
 * channel pair, or 36 instead of 144 per 4x4 tile.
 *
 * Used for the forward pass, the input gradient (the same convolution
 * of dout with the flipped, transposed kernel) and the weight gradient.
 * Images go in chunks fixed by the shape alone (forward: one chunk per
 * thread with a single-threaded GEMM; weight gradient: chunks in
 * order, the GEMMs shared among the threads), so results do not
 * depend on the thread count.  Rounding
 * differs from a direct sum by a few float ulps of the larger
 * intermediate sums: F(2x2,3x3)'s transforms add at most 4 terms with
 * coefficients 1 and 1/2; F(4x4,3x3)'s up to 6, with coefficients up
 * to 8 in A^T and 5/2 in B^T, and its error is 3-4 times as large (at
 * 512 channels up to 7e-6 of the largest output, tests/unit).
 */
#ifndef CONV_WINO_H
#define CONV_WINO_H

#include <stddef.h>

#include "nn.h"

/* CONV_WINO_AUTO: where measured faster, with the tile size measured
 * faster (conv_wino.c); ON: every shape it can do (tests); OFF: never;
 * F2, F4: every shape it can do with F(2x2,3x3), F(4x4,3x3). */
enum { CONV_WINO_AUTO, CONV_WINO_ON, CONV_WINO_OFF, CONV_WINO_F2,
    CONV_WINO_F4 };
void conv_wino_set(int mode);

enum { CONV_WINO_FWD, CONV_WINO_DINP, CONV_WINO_DWEIGHT };
/* 1 if conv2d_forward or conv2d_backward should use this file for
 * part `part` of shape s. */
int conv_wino_applies(const struct conv2d_shape *s, int part);

/* Floats of scratch on `threads` threads (0 counts as 1), for the
 * tile sizes of the conv_wino_set mode at the time. */
size_t conv_wino_scratch_floats(const struct conv2d_shape *s,
    size_t threads);

/* out [N,OC,OH,OW] = inp [N,C,H,W] (*) weight [OC,C,3,3] + bias [OC]
 * (or NULL), then post (nn.h; NULL: none) on each image */
void conv_wino_forward(float *out, float *scratch, const float *inp,
    const float *weight, const float *bias, size_t N,
    const struct conv2d_shape *s, size_t threads,
    const struct conv_post *post);
/* dinp [N,C,H,W] += the input gradient from dout [N,OC,OH,OW] */
void conv_wino_backward_dinp(float *dinp, float *scratch,
    const float *dout, const float *weight, size_t N,
    const struct conv2d_shape *s, size_t threads);
/*
 * dweight [OC,C,3,3] += the weight gradient from dout [N,OC,OH,OW] and
 * inp [N,C,H,W]: G^T (sum over tiles (A dY A^T) (.) (B^T d B)) G, the
 * tile sums as (m+2)^2 GEMMs [OC,tiles] x [tiles,C] per chunk of images.
 */
void conv_wino_backward_dweight(float *dweight, float *scratch,
    const float *dout, const float *inp, size_t N,
    const struct conv2d_shape *s, size_t threads);

#endif
