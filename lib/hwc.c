/* hwc.c - [C, H, W] planes to and from [H, W, C] pixels (see hwc.h). */
#include <immintrin.h>

#include "hwc.h"
#include "nn.h"

#define AVX __attribute__((target("avx2,fma")))
#define AVX_INLINE __attribute__((target("avx2,fma"), always_inline)) \
	static inline

/* r [8] of 8 floats each, transposed in place */
AVX_INLINE void
transpose8(__m256 r[8])
{
	__m256 t0 = _mm256_unpacklo_ps(r[0], r[1]);
	__m256 t1 = _mm256_unpackhi_ps(r[0], r[1]);
	__m256 t2 = _mm256_unpacklo_ps(r[2], r[3]);
	__m256 t3 = _mm256_unpackhi_ps(r[2], r[3]);
	__m256 t4 = _mm256_unpacklo_ps(r[4], r[5]);
	__m256 t5 = _mm256_unpackhi_ps(r[4], r[5]);
	__m256 t6 = _mm256_unpacklo_ps(r[6], r[7]);
	__m256 t7 = _mm256_unpackhi_ps(r[6], r[7]);
	__m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44);
	__m256 s1 = _mm256_shuffle_ps(t0, t2, 0xee);
	__m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44);
	__m256 s3 = _mm256_shuffle_ps(t1, t3, 0xee);
	__m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44);
	__m256 s5 = _mm256_shuffle_ps(t4, t6, 0xee);
	__m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44);
	__m256 s7 = _mm256_shuffle_ps(t5, t7, 0xee);
	r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
	r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
	r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
	r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
	r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
	r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
	r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
	r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/*
 * The flat pixels of [H, W] in order, as offsets into an [h][w][c]
 * array of row pitch ld pixels and Cn floats a pixel: w the column of
 * the next pixel, o its offset (no division per pixel)
 */
struct walk {
	size_t w, o;
};

/* the next pixel's offset; k moves past it */
AVX_INLINE size_t
walk_next(struct walk *k, size_t ld, size_t Cn, size_t W)
{
	size_t o = k->o;
	k->o += Cn;
	if (++k->w == W) {
		k->w = 0;
		k->o += (ld - W) * Cn;
	}
	return o;
}

/* off [8]: the next 8 pixels' offsets */
AVX_INLINE void
pixels8(size_t off[8], struct walk *k, size_t ld, size_t Cn, size_t W)
{
	struct walk at = *k;
#pragma GCC unroll 8
	for (int j = 0; j < 8; j++)
		off[j] = walk_next(&at, ld, Cn, W);
	*k = at;
}

/*
 * dst [h][w][c] (row pitch ld pixels, Cn floats a pixel) = x [Cn, H, W],
 * or with scale not NULL relu(x scale + shift) per channel (affine_row's
 * operations: a product, a sum, then 0 where not > 0), 8 pixels (flat
 * over the rows) by all channels at a time, so that each pixel's Cn
 * floats are written together
 */
static AVX void
from_chw(float *dst, size_t ld, const float *x, size_t Cn, size_t H,
    size_t W, const float *scale, const float *shift)
{
	size_t HW = H * W, p = 0;
	struct walk at = { 0, 0 };
	for (; p + 8 <= HW; p += 8) {
		size_t d[8];
		pixels8(d, &at, ld, Cn, W);
		for (size_t c0 = 0; c0 < Cn; c0 += 8) {
			const float *xc = x + c0 * HW + p;
			__m256 r[8];
#pragma GCC unroll 8
			for (int k = 0; k < 8; k++)
				r[k] = _mm256_loadu_ps(xc + k * HW);
			if (scale)
#pragma GCC unroll 8
				for (int k = 0; k < 8; k++)
					r[k] = _mm256_max_ps(_mm256_add_ps(
					    _mm256_mul_ps(r[k], _mm256_set1_ps(
					    scale[c0 + k])), _mm256_set1_ps(
					    shift[c0 + k])), _mm256_setzero_ps());
			transpose8(r);
#pragma GCC unroll 8
			for (int j = 0; j < 8; j++)
				_mm256_storeu_ps(dst + d[j] + c0, r[j]);
		}
	}
	for (; p < HW; p++) {
		float *d = dst + walk_next(&at, ld, Cn, W);
		for (size_t c = 0; c < Cn; c++) {
			float v = x[c * HW + p];
			if (scale) {
				v = v * scale[c] + shift[c];
				v = v > 0.0f ? v : 0.0f;
			}
			d[c] = v;
		}
	}
}

void
hwc_from_chw(float *dst, size_t ld, const float *x, size_t Cn, size_t H,
    size_t W)
{
	from_chw(dst, ld, x, Cn, H, W, NULL, NULL);
}

void
hwc_from_chw_pre(float *dst, size_t ld, const float *x, size_t Cn,
    size_t H, size_t W, const float *scale, const float *shift)
{
	from_chw(dst, ld, x, Cn, H, W, scale, shift);
}

/*
 * out [Cn, H, W] (= or +=) src [h][w][c] (row pitch ld pixels), + bias
 * [Cn] (or NULL) when not accumulating, then post's affine map,
 * residual and ReLU (post NULL: none; residual of image n); 8 channels
 * by 8 pixels at a time, a block of 8 channels over the whole image
 * before the next, so that only 8 planes are written at once (16
 * planes 4 KB apart, the 32x32 maps', share the L1's sets: 2.6 times
 * slower)
 */
static AVX void
to_chw(float *out, const float *src, size_t ld, size_t Cn, size_t H,
    size_t W, const float *bias, int acc, const struct conv_post *post,
    size_t n)
{
	size_t HW = H * W;
	const float *res = post && post->residual ? post->residual +
	    n * Cn * HW : NULL;
	for (size_t c0 = 0; c0 < Cn; c0 += 8) {
		size_t p = 0;
		struct walk at = { 0, 0 };
		for (; p + 8 <= HW; p += 8) {
			size_t s[8];
			pixels8(s, &at, ld, Cn, W);
			float *o = out + c0 * HW + p;
			__m256 r[8];
#pragma GCC unroll 8
			for (int j = 0; j < 8; j++)
				r[j] = _mm256_loadu_ps(src + s[j] + c0);
			transpose8(r);
#pragma GCC unroll 8
			for (int k = 0; k < 8; k++) {
				size_t c = c0 + (size_t)k;
				if (acc)
					r[k] = _mm256_add_ps(r[k],
					    _mm256_loadu_ps(o + k * HW));
				else if (bias)
					r[k] = _mm256_add_ps(r[k],
					    _mm256_set1_ps(bias[c]));
				if (post) {
					r[k] = _mm256_add_ps(_mm256_mul_ps(
					    r[k], _mm256_set1_ps(
					    post->scale[c])), _mm256_set1_ps(
					    post->shift[c]));
					if (res)
						r[k] = _mm256_add_ps(r[k],
						    _mm256_loadu_ps(res +
						    c * HW + p));
					if (post->relu)
						r[k] = _mm256_max_ps(r[k],
						    _mm256_setzero_ps());
				}
				_mm256_storeu_ps(o + k * HW, r[k]);
			}
		}
		for (; p < HW; p++) {
			const float *s = src + walk_next(&at, ld, Cn, W);
			for (size_t c = c0; c < c0 + 8; c++) {
				float *o = out + c * HW + p;
				float v = acc ? *o + s[c] : bias ? s[c] +
				    bias[c] : s[c];
				if (post) {
					v = v * post->scale[c] +
					    post->shift[c];
					if (res)
						v += res[c * HW + p];
					if (post->relu)
						v = v > 0.0f ? v : 0.0f;
				}
				*o = v;
			}
		}
	}
}

void
hwc_to_chw(float *out, const float *src, size_t ld, size_t Cn, size_t H,
    size_t W, const float *bias, int acc)
{
	to_chw(out, src, ld, Cn, H, W, bias, acc, NULL, 0);
}

void
hwc_to_chw_post(float *out, const float *src, size_t ld, size_t Cn,
    size_t H, size_t W, const float *bias, const struct conv_post *post,
    size_t n)
{
	to_chw(out, src, ld, Cn, H, W, bias, 0, post, n);
}
