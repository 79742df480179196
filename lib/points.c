/*
 * points.c - reading the points array of the analysis tools; see
 * points.h.
 */
#include <math.h>
#include <stdlib.h>

#include "points.h"
#include "tool.h"

void
points_check_finite(const float *X, size_t N, size_t D, const char *what)
{
	for (size_t i = 0; i < N * D; i++)
		if (!isfinite(X[i]))
			die("%s: row %zu: %s", what, i / D, isnan(X[i]) ?
			    "NaN" : "infinite value");
}

float *
points_read(struct npy_reader *r, const char *what, size_t *N, size_t *D)
{
	struct npy_header h;
	char buf[64];
	float *X = stream_read_as(r, what, NPY_F32, &h);
	if (h.ndim < 2)
		die("%s: expected shape [N,D], got %s", what,
		    npy_header_str(&r->h, buf, sizeof buf));
	*N = h.shape[0];
	*D = npy_row_count(&h);
	if (*N == 0 || *D == 0)
		die("%s: empty array %s", what, npy_header_str(&h, buf,
		    sizeof buf));
	points_check_finite(X, *N, *D, what);
	return X;
}

float *
points_read_float(struct npy_reader *r, const char *what, size_t *N,
    size_t *D)
{
	char buf[64];
	stream_expect(r, what);
	struct npy_header h = r->h;
	if (h.ndim != 2 || (h.dtype != NPY_F32 && h.dtype != NPY_F64))
		die("%s: expected float32 [N,D], got %s", what,
		    npy_header_str(&h, buf, sizeof buf));
	*N = h.shape[0];
	*D = h.shape[1];
	void *raw = stream_read_all(r);
	if (h.dtype == NPY_F32)
		return raw;
	float *X = xmalloc_array(*N * *D, sizeof *X);
	npy_convert(NPY_F32, X, h.dtype, raw, *N * *D);
	free(raw);
	return X;
}
