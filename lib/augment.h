/*
 * augment.h - the study's augmentation chain on one image, with the
 * semantics of torchvision 0.15 transforms applied to PIL images:
 *
 *   RandomResizedCrop(S, scale, ratio, bilinear) -> RandomHorizontalFlip
 *   -> ColorJitter(brightness, contrast, saturation, hue; random order)
 *   -> RandomGrayscale -> RandomApply(GaussianBlur(3, sigma)) -> ToTensor
 *   -> Normalize(CIFAR mean, std)
 *
 * Images are uint8, planar RGB: [3,H,W] (the CIFAR layout).  Every
 * random choice lives in struct augment_params, drawn by
 * augment_sample_params() from an explicit RNG, so the operations
 * themselves are deterministic and can be fed torchvision's parameters
 * in the tests.  Kernels never allocate: the caller passes a workspace
 * of augment_work_size() bytes.
 */
#ifndef AUGMENT_H
#define AUGMENT_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

/* CIFAR-10 normalisation on pixels / 255 (REFERENCE.md). */
extern const float augment_mean[3];
extern const float augment_std[3];

/* The order of ColorJitter's four operations (torchvision's fn_idx). */
enum { AUG_BRIGHTNESS, AUG_CONTRAST, AUG_SATURATION, AUG_HUE };

/* What to sample from: the study's values come from augment_config_default. */
struct augment_config {
	double scale_lo, scale_hi;        /* crop area fraction, (0.2, 1.0) */
	double ratio_lo, ratio_hi;        /* crop aspect w/h, (3/4, 4/3) */
	double flip_p;                    /* 0.5 */
	double brightness, contrast;      /* 0.4, 0.4: factor U(1-x, 1+x) */
	double saturation, hue;           /* 0.2, 0.1: hue U(-x, x) */
	double gray_p;                    /* 0.2 */
	double blur_p;                    /* 0.5 */
	double sigma_lo, sigma_hi;        /* 0.1, 2.0 */
	double solarize_p;                /* 0 (not in the study) */
};

/* One view's random choices. */
struct augment_params {
	size_t top, left, crop_h, crop_w; /* crop box in the input */
	int flip;                         /* mirror left-right */
	int order[4];                     /* permutation of AUG_* */
	double brightness, contrast, saturation, hue;
	int gray;                         /* convert to grey, 3 channels */
	int blur;                         /* apply the 3x3 Gaussian blur */
	double sigma;
	int solarize;                     /* invert pixels >= 128 */
};

void augment_config_default(struct augment_config *c);

/*
 * Draw one view's parameters for an H x W input, in torchvision's order
 * of decisions (crop, flip, jitter, grey, blur, solarize); the numbers
 * differ from torch's generator, the distributions are the same.
 */
void augment_sample_params(struct augment_params *p,
    const struct augment_config *c, size_t H, size_t W, struct rng *r);

/* Bytes of workspace augment_apply_u8 needs for [3,H,W] -> [3,S,S];
 * workspaces must be aligned as malloc's memory is. */
size_t augment_work_size(size_t H, size_t W, size_t S);
/* Bytes of workspace augment_resized_crop needs (any crop of H x W). */
size_t augment_resize_work_size(size_t C, size_t H, size_t W, size_t OH,
    size_t OW);

/*
 * The whole chain without the final normalisation: out [3,S,S] uint8,
 * exactly what torchvision's PIL pipeline holds before ToTensor.
 */
void augment_apply_u8(uint8_t *out, const uint8_t *in,
    const struct augment_params *p, size_t H, size_t W, size_t S,
    void *work);
/* The whole chain: out [3,S,S] float32, normalised. */
void augment_apply(float *out, const uint8_t *in,
    const struct augment_params *p, size_t H, size_t W, size_t S,
    void *work);

/*
 * The single operations, on planar uint8 images.  The colour ones work
 * in place on [3,H,W] (HW = H * W pixels per plane).
 */
/* out [C,OH,OW] = PIL bilinear resize of the crop (top, left, ch, cw) of
 * in [C,H,W]; support widens with the downscale factor (antialias). */
void augment_resized_crop(uint8_t *out, const uint8_t *in, size_t C,
    size_t H, size_t W, size_t top, size_t left, size_t ch, size_t cw,
    size_t OH, size_t OW, void *work);
void augment_hflip(uint8_t *img, size_t C, size_t H, size_t W);
void augment_brightness(uint8_t *img, size_t HW, double factor);
void augment_contrast(uint8_t *img, size_t HW, double factor);
void augment_saturation(uint8_t *img, size_t HW, double factor);
void augment_hue(uint8_t *img, size_t HW, double factor);
void augment_grayscale(uint8_t *img, size_t HW);
/* out [C,H,W] = 3x3 Gaussian blur of in (reflect padding); out != in. */
void augment_gaussian_blur(uint8_t *out, const uint8_t *in, size_t C,
    size_t H, size_t W, double sigma);
void augment_solarize(uint8_t *img, size_t n);

/* Plain reference twins of the fast paths above (same bytes). */
#define AUG_MAX_W 1024            /* the fast blur's widest row */
void augment_hue_ref(uint8_t *img, size_t HW, double factor);
void augment_gaussian_blur_ref(uint8_t *out, const uint8_t *in, size_t C,
    size_t H, size_t W, double sigma);

/* out [N,3,HW] float32 = (in / 255 - mean) / std, per channel. */
void augment_normalize(float *out, const uint8_t *in, size_t N, size_t HW);

#endif
