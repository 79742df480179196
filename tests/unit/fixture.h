/*
 * fixture.h - reading the committed reference fixtures (tensor streams
 * under tests/fixtures/) in the C unit tests.  A missing file, a missing
 * array or a bad stream is not a test failure but a broken checkout: the
 * helpers print one line naming the file and exit 1.  Also the one
 * synthetic fixture more than one test builds (fixture_spectrum).
 */
#ifndef FIXTURE_H
#define FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "npy.h"
#include "rng.h"

/* Open a fixture stream; *r reads it.  Close with fclose(r->fp). */
static inline void
fixture_open(struct npy_reader *r, const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	npy_reader_init(r, fp, path);
}

/* Start the next array of the stream (npy_next skips what is left of
 * the current one). */
static inline void
fixture_next(struct npy_reader *r)
{
	int got = npy_next(r);
	if (got < 0) {
		fprintf(stderr, "%s\n", r->err);
		exit(1);
	}
	if (got == 0) {
		fprintf(stderr, "%s: array %d missing\n", r->name,
		    r->index + 1);
		exit(1);
	}
}

/*
 * The next array of the stream, converted to dtype t in a new buffer
 * (caller frees; never NULL, even for an empty array).  *h gets the
 * array's header as stored, so h->dtype is the fixture's own dtype.
 */
static inline void *
fixture_read(struct npy_reader *r, enum npy_dtype t, struct npy_header *h)
{
	void *raw = NULL;
	fixture_next(r);
	if (npy_read_all(r, &raw) < 0) {
		fprintf(stderr, "%s\n", r->err);
		exit(1);
	}
	size_t n = npy_count(&r->h);
	void *out = malloc((n ? n : 1) * npy_dtype_size(t));
	if (out == NULL) {
		perror(r->name);
		exit(1);
	}
	npy_convert(t, out, r->h.dtype, raw, n);
	free(raw);
	if (h != NULL)
		*h = r->h;
	return out;
}

/* Array k (0 first) of the fixture stream at path, as fixture_read. */
static inline void *
fixture_load(const char *path, int k, enum npy_dtype t, struct npy_header *h)
{
	struct npy_reader r;
	void *out;
	fixture_open(&r, path);
	for (int i = 0; i < k; i++)
		fixture_next(&r);
	out = fixture_read(&r, t, h);
	fclose(r.fp);
	return out;
}

/*
 * A synthetic fixture: A [n,n] = Q diag(lam) Q^T with Q orthogonal
 * (Gram-Schmidt, twice, of a random normal matrix from r), so the
 * spectrum is known exactly, repeated eigenvalues included.
 */
static inline void
fixture_spectrum(struct rng *r, double *A, const double *lam, size_t n)
{
	double *Q = malloc((n ? n * n : 1) * sizeof *Q);
	if (Q == NULL) {
		perror("fixture_spectrum");
		exit(1);
	}
	for (size_t i = 0; i < n * n; i++)
		Q[i] = rng_normal(r);
	for (size_t i = 0; i < n; i++) {
		for (int pass = 0; pass < 2; pass++)
			for (size_t j = 0; j < i; j++) {
				double d = 0;
				for (size_t k = 0; k < n; k++)
					d += Q[i * n + k] * Q[j * n + k];
				for (size_t k = 0; k < n; k++)
					Q[i * n + k] -= d * Q[j * n + k];
			}
		double s = 0;
		for (size_t k = 0; k < n; k++)
			s += Q[i * n + k] * Q[i * n + k];
		for (size_t k = 0; k < n; k++)
			Q[i * n + k] /= sqrt(s);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			double s = 0;
			for (size_t k = 0; k < n; k++)
				s += Q[k * n + i] * lam[k] * Q[k * n + j];
			A[i * n + j] = s;
		}
	free(Q);
}

#endif
