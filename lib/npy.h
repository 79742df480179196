/*
 * npy.h - the tensor stream: a concatenation of NumPy .npy arrays.
 *
 * A stream is zero or more .npy (format 1.0; 2.0 accepted on input)
 * arrays back to back, little-endian, C order.  Readers stream a row
 * (the first axis) at a time, so an array never has to fit in memory.
 * Every function returns 0 on success and -1 on error, with a message
 * that names the stream, the array index and the byte offset in
 * reader->err.  Nothing here prints or exits.
 */
#ifndef NPY_H
#define NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NPY_MAXDIM 8
/* Largest array a header may describe (bytes): a sanity bound, not a
 * memory promise; streaming readers never hold a whole array. */
#define NPY_MAX_BYTES ((uint64_t)1 << 38)

enum npy_dtype { NPY_U8, NPY_I32, NPY_I64, NPY_F32, NPY_F64 };

struct npy_header {
	enum npy_dtype dtype;
	int ndim;                 /* 0..NPY_MAXDIM; 0 is a scalar */
	size_t shape[NPY_MAXDIM];
};

struct npy_reader {
	FILE *fp;
	const char *name;         /* "stdin" or a path, for messages */
	uint64_t pos;             /* bytes consumed so far */
	int index;                /* index of the current array, -1 before */
	struct npy_header h;      /* header of the current array */
	size_t rows_left;         /* rows of the current array not yet read */
	char err[256];
};

size_t npy_dtype_size(enum npy_dtype t);
const char *npy_dtype_name(enum npy_dtype t);      /* "float32" ... */
int npy_dtype_parse(const char *name, enum npy_dtype *t); /* "float32" */

/* Header helpers.  A scalar has one row of one element. */
size_t npy_count(const struct npy_header *h);      /* elements */
size_t npy_rows(const struct npy_header *h);       /* shape[0] */
size_t npy_row_count(const struct npy_header *h);  /* elements per row */
size_t npy_row_bytes(const struct npy_header *h);
void npy_header_set(struct npy_header *h, enum npy_dtype t, int ndim, ...);
/* "float32 [50000,128]" into buf; returns buf */
char *npy_header_str(const struct npy_header *h, char *buf, size_t len);

void npy_reader_init(struct npy_reader *r, FILE *fp, const char *name);
/*
 * Start the next array.  Returns 1 with r->h filled, 0 at a clean end of
 * stream, -1 on error.  Rows of the previous array not yet read are
 * skipped.
 */
int npy_next(struct npy_reader *r);
/* Read n rows of the current array into buf (n * npy_row_bytes). */
int npy_read_rows(struct npy_reader *r, void *buf, size_t n);
/* Read the rest of the current array into a new buffer (caller frees). */
int npy_read_all(struct npy_reader *r, void **data);
/* 0 if the stream has ended, -1 (with a message) if anything follows. */
int npy_expect_end(struct npy_reader *r);

/* Writer.  The header is padded so that the data starts on 64 bytes. */
int npy_write_header(FILE *fp, const struct npy_header *h);
int npy_write_data(FILE *fp, const void *data, size_t bytes);

/*
 * Element-wise conversion between dtypes (count elements).  Integer
 * targets from floating point truncate toward zero; callers that need
 * checks make them first.
 */
void npy_convert(enum npy_dtype dt, void *dst, enum npy_dtype st,
                 const void *src, size_t count);

#endif
