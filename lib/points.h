/*
 * points.h - reading the "points" array that the analysis tools take
 * first on their input: float32 rows [N,D], one point a row.  These
 * helpers die (through tool.h) with a "what: why" message on a bad array.
 */
#ifndef POINTS_H
#define POINTS_H

#include <stddef.h>

#include "npy.h"

/*
 * The next array of r as float32 [N,D]: any numeric dtype, converted;
 * shape [N, ...] with at least two axes, the trailing ones flattened
 * into D.  Dies on a missing array, fewer than two axes, no rows or
 * empty rows, or a NaN or infinite value ("what: row I: NaN").  Caller
 * frees.
 */
float *points_read(struct npy_reader *r, const char *what, size_t *N,
    size_t *D);

/*
 * The next array of r, which must be float32 or float64 [N,D] (float64
 * converted), as float32 [N,D]; otherwise dies "what: expected float32
 * [N,D], got ...".  Values are not checked: see points_check_finite.
 * Caller frees.
 */
float *points_read_float(struct npy_reader *r, const char *what, size_t *N,
    size_t *D);

/* Dies "what: row I: NaN" (or "infinite value") at the first value of
 * X [N,D] that is not finite. */
void points_check_finite(const float *X, size_t N, size_t D,
    const char *what);

#endif
