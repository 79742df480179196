/*
 * resize.c - PIL-compatible bilinear resize (see resize.h).
 *
 * The weight layout and rounding follow the description of Pillow's
 * resampling (Pillow 9 libImaging/Resample.c: precompute_coeffs,
 * normalize_coeffs_8bpc, PRECISION_BITS = 32 - 8 - 2); this is an
 * independent implementation checked against PIL output in
 * tests/unit/test_resize.c.
 */
#include "resize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PRECISION_BITS 22

static double
triangle(double x)
{
	if (x < 0)
		x = -x;
	return x < 1 ? 1 - x : 0;
}

int
resize_plan_make(struct resize_plan *p, size_t in, size_t out)
{
	memset(p, 0, sizeof *p);
	if (in == 0 || out == 0)
		return -1;
	double scale = (double)in / (double)out;
	double fscale = scale < 1 ? 1 : scale;
	double support = 1.0 * fscale;
	p->in = in;
	p->out = out;
	p->ksize = (size_t)ceil(support) * 2 + 1;
	p->first = calloc(out, sizeof *p->first);
	p->count = calloc(out, sizeof *p->count);
	p->k = calloc(out * p->ksize, sizeof *p->k);
	p->kd = calloc(out * p->ksize, sizeof *p->kd);
	if (!p->first || !p->count || !p->k || !p->kd) {
		resize_plan_free(p);
		return -1;
	}
	for (size_t o = 0; o < out; o++) {
		double centre = ((double)o + 0.5) * scale;
		/* rounded ends, truncated toward zero as a C cast does */
		double lo = centre - support + 0.5, hi = centre + support + 0.5;
		long a = (long)lo, b = (long)hi;
		if (a < 0)
			a = 0;
		if (b > (long)in)
			b = (long)in;
		size_t n = b > a ? (size_t)(b - a) : 0;
		double *kd = p->kd + o * p->ksize, sum = 0;
		for (size_t j = 0; j < n; j++) {
			kd[j] = triangle(((double)j + (double)a - centre + 0.5) /
			    fscale);
			sum += kd[j];
		}
		int32_t *k = p->k + o * p->ksize;
		for (size_t j = 0; j < n; j++) {
			if (sum != 0)
				kd[j] /= sum;
			double f = kd[j] * (1 << PRECISION_BITS);
			k[j] = (int32_t)(f < 0 ? f - 0.5 : f + 0.5);
		}
		p->first[o] = (size_t)a;
		p->count[o] = n;
	}
	return 0;
}

void
resize_plan_free(struct resize_plan *p)
{
	free(p->first);
	free(p->count);
	free(p->k);
	free(p->kd);
	memset(p, 0, sizeof *p);
}

static uint8_t
clip8(int64_t v)
{
	if (v <= 0)
		return 0;
	v >>= PRECISION_BITS;
	return v > 255 ? 255 : (uint8_t)v;
}

/* One axis: out[o * ostride] from in[i * istride], for each of `lines`
 * lines (lstride apart in both). */
static void
resize_axis_u8(uint8_t *out, size_t ostride, const uint8_t *in,
    size_t istride, size_t lines, size_t out_lstride, size_t in_lstride,
    const struct resize_plan *p)
{
	for (size_t l = 0; l < lines; l++) {
		const uint8_t *src = in + l * in_lstride;
		uint8_t *dst = out + l * out_lstride;
		for (size_t o = 0; o < p->out; o++) {
			const int32_t *k = p->k + o * p->ksize;
			const uint8_t *s = src + p->first[o] * istride;
			int64_t acc = (int64_t)1 << (PRECISION_BITS - 1);
			for (size_t j = 0; j < p->count[o]; j++)
				acc += (int64_t)s[j * istride] * k[j];
			dst[o * ostride] = clip8(acc);
		}
	}
}

void
resize_bilinear_u8(uint8_t *out, uint8_t *tmp, const uint8_t *in,
    const struct resize_plan *px, const struct resize_plan *py)
{
	size_t IH = py->in, IW = px->in, OW = px->out;
	/* rows: [IH,IW] -> tmp [IH,OW] */
	resize_axis_u8(tmp, 1, in, 1, IH, OW, IW, px);
	/* columns: tmp [IH,OW] -> out [OH,OW] */
	resize_axis_u8(out, OW, tmp, OW, OW, 1, 1, py);
}

void
resize_bilinear_ref(float *out, double *tmp, const uint8_t *in,
    const struct resize_plan *px, const struct resize_plan *py)
{
	size_t IH = py->in, IW = px->in, OW = px->out, OH = py->out;
	for (size_t y = 0; y < IH; y++)
		for (size_t o = 0; o < OW; o++) {
			double acc = 0;
			for (size_t j = 0; j < px->count[o]; j++)
				acc += in[y * IW + px->first[o] + j] *
				    px->kd[o * px->ksize + j];
			tmp[y * OW + o] = acc;
		}
	for (size_t o = 0; o < OH; o++)
		for (size_t x = 0; x < OW; x++) {
			double acc = 0;
			for (size_t j = 0; j < py->count[o]; j++)
				acc += tmp[(py->first[o] + j) * OW + x] *
				    py->kd[o * py->ksize + j];
			out[o * OW + x] = (float)acc;
		}
}
