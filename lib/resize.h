/*
 * resize.h - bilinear image resize with the semantics of PIL's
 * Image.resize(size, Image.BILINEAR) on 8-bit images (what
 * torchvision's transforms.Resize does to a PIL image).
 *
 * Separable: a horizontal pass into an 8-bit intermediate, then a
 * vertical pass.  Output pixel centres sit at (x + 0.5) * in/out in input
 * coordinates (half-pixel centres); the triangle filter has a support of
 * one input pixel when enlarging and in/out pixels when shrinking
 * (antialiased).  Weights are normalised, turned into 22-bit fixed point
 * and each pass rounds to the nearest 8-bit value, as PIL does.
 */
#ifndef RESIZE_H
#define RESIZE_H

#include <stddef.h>
#include <stdint.h>

/* The weights of one axis (in -> out samples). */
struct resize_plan {
	size_t in, out;
	size_t ksize;             /* weights per output sample */
	size_t *first;            /* [out] first input sample used */
	size_t *count;            /* [out] input samples used */
	int32_t *k;               /* [out, ksize] fixed-point weights */
	double *kd;               /* [out, ksize] the same as doubles */
};

/* Allocates; returns 0, or -1 if out of memory or a size is 0. */
int resize_plan_make(struct resize_plan *p, size_t in, size_t out);
void resize_plan_free(struct resize_plan *p);

/*
 * out: [OH,OW]; tmp: [IH,OW] scratch; in: [IH,IW].  px maps IW -> OW,
 * py maps IH -> OH.  Never allocates.
 */
void resize_bilinear_u8(uint8_t *out, uint8_t *tmp, const uint8_t *in,
    const struct resize_plan *px, const struct resize_plan *py);

/*
 * The plain reference twin: the same weights in double precision, no
 * intermediate rounding; out is float [OH,OW] before rounding.  tmp is
 * double [IH,OW].
 */
void resize_bilinear_ref(float *out, double *tmp, const uint8_t *in,
    const struct resize_plan *px, const struct resize_plan *py);

#endif
