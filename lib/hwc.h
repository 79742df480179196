/*
 * hwc.h - one image between the planar layout of the model's tensors,
 * [C, H, W], and channels last, [H, W, C] with a row pitch, for the
 * convolutions that work on pixels of C contiguous channels
 * (conv_wcb.c).  8 pixels by 8 channels at a time through AVX2
 * transposes: C must be a multiple of 8 and the CPU must have AVX2.
 */
#ifndef HWC_H
#define HWC_H

#include <stddef.h>

/* dst [h][w][c] (row pitch ld >= W pixels, C floats a pixel) = x [C,
 * H, W]; the pixels of dst's rows past W are not touched */
void hwc_from_chw(float *dst, size_t ld, const float *x, size_t C,
    size_t H, size_t W);
/* the same of relu(x scale [C] + shift [C]) per channel: the bytes of
 * hwc_from_chw of that tensor as affine_row (nn.c) writes it */
void hwc_from_chw_pre(float *dst, size_t ld, const float *x, size_t C,
    size_t H, size_t W, const float *scale, const float *shift);

/* out [C, H, W] = src [h][w][c] (row pitch ld pixels) + bias [C] (or
 * NULL); or out += src when acc */
void hwc_to_chw(float *out, const float *src, size_t ld, size_t C,
    size_t H, size_t W, const float *bias, int acc);

/* out [C, H, W] = src + bias (or NULL), then conv_post (nn.h: scale,
 * shift, residual of image n, ReLU) as it is written: the same bytes
 * as hwc_to_chw then conv_post_image */
struct conv_post;
void hwc_to_chw_post(float *out, const float *src, size_t ld, size_t C,
    size_t H, size_t W, const float *bias, const struct conv_post *post,
    size_t n);

#endif
