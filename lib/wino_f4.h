/*
 * wino_f4.h - the kernel transforms of F(4x4,3x3) that conv_wino.c
 * derives (interpolation points 0, 1, -1, 1/2, -2, infinity), shared
 * by its planar layout and conv_wcb.c's channel-blocked one.
 */
#ifndef WINO_F4_H
#define WINO_F4_H

/* y [6] = G (a, b, c)^T */
static inline void
wino_f4_g(float y[6], float a, float b, float c)
{
	const float third = 1.0f / 3.0f, fifteenth = 1.0f / 15.0f;
	y[0] = a;
	y[1] = (a + b + c) * third;
	y[2] = -(a - b + c) * third;
	y[3] = -(16.0f * a + 8.0f * b + 4.0f * c) * fifteenth;
	y[4] = (a - 2.0f * b + 4.0f * c) * fifteenth;
	y[5] = c;
}

/* y [3] = G^T x for x [6] */
static inline void
wino_f4_gt(float y[3], const float x[6])
{
	const float third = 1.0f / 3.0f, fifteenth = 1.0f / 15.0f;
	y[0] = x[0] + (x[1] - x[2]) * third + (x[4] - 16.0f * x[3]) *
	    fifteenth;
	y[1] = (x[1] + x[2]) * third - (8.0f * x[3] + 2.0f * x[4]) *
	    fifteenth;
	y[2] = (x[1] - x[2]) * third + 4.0f * (x[4] - x[3]) * fifteenth +
	    x[5];
}

#endif
