/*
 * conv_check.h - what the convolution unit tests share: random vectors
 * from one generator, copies, and a comparison against a double-sum
 * reference at atol 1e-5 max|ref|, rtol 1e-4 that prints the worst
 * relative difference.  Test-only; include once per test program.
 */
#ifndef CONV_CHECK_H
#define CONV_CHECK_H

#include <string.h>

#include "check.h"
#include "rng.h"

static struct rng rg;

static inline float *
vec(size_t n)
{
	float *p = calloc(n ? n : 1, sizeof *p);
	if (p == NULL)
		exit(1);
	for (size_t i = 0; i < n; i++)
		p[i] = (float)rng_normal(&rg);
	return p;
}

static inline float *
copy(const float *x, size_t n)
{
	float *p = malloc((n ? n : 1) * sizeof *p);
	if (p == NULL)
		exit(1);
	memcpy(p, x, n * sizeof *p);
	return p;
}

static inline void
cmp(const char *name, const char *what, const float *got, const float *ref,
    size_t n)
{
	char buf[160];
	double scale = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs(ref[i]) > scale)
			scale = fabs(ref[i]);
	double worst = 0;
	for (size_t i = 0; i < n; i++)
		if (fabs((double)got[i] - ref[i]) > worst)
			worst = fabs((double)got[i] - ref[i]);
	snprintf(buf, sizeof buf, "%s %s", name, what);
	printf("%-36s worst |diff|/max|ref| = %.3g\n", buf,
	    scale > 0 ? worst / scale : worst);
	check_close_f32(buf, got, ref, n, 1e-5 * scale, 1e-4);
}

#endif
