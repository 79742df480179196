/*
 * npy.c - fuzz the tensor stream reader (lib/npy.c) on a memory FILE:
 * every array of a (multi-array) stream is read three ways, as the
 * tools do: whole (npy_read_all), in uneven row chunks (npy_read_rows)
 * with the rest skipped by npy_next, and not at all (npy_next skips
 * it), each pass ending in npy_expect_end.  Invariants: a header the
 * reader accepts describes at most NPY_MAX_BYTES (and so does one of
 * its rows, even in an empty array), has 0..NPY_MAXDIM
 * dimensions and a known dtype; errors come with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "npy.h"

/* A claimed array larger than the input cannot be read whole; do not
 * ask the allocator for it (a tool would, and fail cleanly). */
#define SLACK 4096

static void
check_header(const struct npy_reader *r)
{
	const struct npy_header *h = &r->h;
	char buf[256];
	FUZZ_CHECK(h->ndim >= 0 && h->ndim <= NPY_MAXDIM);
	FUZZ_CHECK((unsigned)h->dtype <= NPY_F64);
	unsigned __int128 bytes = npy_dtype_size(h->dtype);
	for (int i = 0; i < h->ndim; i++)
		bytes *= h->shape[i];
	FUZZ_CHECK(bytes <= NPY_MAX_BYTES);
	FUZZ_CHECK(r->rows_left == npy_rows(h));
	/* and the size of one row, which the tools allocate, even when
	 * the array is empty: npy_row_bytes must not wrap */
	unsigned __int128 row = npy_dtype_size(h->dtype);
	for (int i = 1; i < h->ndim; i++)
		row *= h->shape[i];
	FUZZ_CHECK(row <= NPY_MAX_BYTES);
	FUZZ_CHECK(row == npy_row_bytes(h));
	npy_header_str(h, buf, sizeof buf);
	FUZZ_CHECK(strlen(buf) < sizeof buf);
}

static FILE *
open_mem(const uint8_t *data, size_t size)
{
	/* fmemopen wants a non-empty buffer in older C libraries */
	static const char empty[1];
	FILE *fp = fmemopen(size ? (void *)data : (void *)empty, size, "rb");
	if (fp == NULL)
		abort();
	return fp;
}

static void
one_pass(const uint8_t *data, size_t size, int how)
{
	struct npy_reader r;
	FILE *fp = open_mem(data, size);
	int rc;

	npy_reader_init(&r, fp, "fuzz");
	while ((rc = npy_next(&r)) == 1) {
		check_header(&r);
		size_t rb = npy_row_bytes(&r.h);
		if (how == 0) {
			/* whole, as stream_read_all */
			if ((uint64_t)r.rows_left * rb > size + SLACK)
				continue;    /* skipped by the next npy_next */
			void *p = NULL;
			if (npy_read_all(&r, &p) < 0) {
				FUZZ_CHECK(r.err[0] != '\0');
				break;
			}
			FUZZ_CHECK(r.rows_left == 0);
			free(p);
		} else if (how == 1) {
			/* chunks of 1, 2, 3 ... rows, then leave some */
			size_t k = 1, total = r.rows_left;
			while (r.rows_left > total / 2 && rb &&
			    k * rb <= size + SLACK) {
				size_t n = k < r.rows_left ? k : r.rows_left;
				void *p = malloc(n * rb);
				FUZZ_CHECK(p != NULL);
				rc = npy_read_rows(&r, p, n);
				free(p);
				if (rc < 0)
					goto out;
				k++;
			}
			/* more rows than are left is an error, not a read */
			if (npy_read_rows(&r, NULL, r.rows_left + 1) == 0)
				FUZZ_CHECK(!"read past the rows left");
		}
		/* how == 2: npy_next skips the data */
	}
out:
	if (rc == 0) {
		FUZZ_CHECK(npy_expect_end(&r) == 0);
	} else {
		FUZZ_CHECK(r.err[0] != '\0');
		npy_expect_end(&r);   /* after an error: must not crash */
	}
	fclose(fp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int how = 0; how < 3; how++)
		one_pass(data, size, how);
	/* a reader that stops after the first array, as most tools do */
	struct npy_reader r;
	FILE *fp = open_mem(data, size);
	npy_reader_init(&r, fp, "fuzz");
	if (npy_next(&r) == 1) {
		size_t rb = npy_row_bytes(&r.h);
		if (r.rows_left && rb && rb <= size + SLACK) {
			void *p = malloc(rb);
			FUZZ_CHECK(p != NULL);
			if (npy_read_rows(&r, p, 1) == 0 && r.rows_left == 0)
				(void)npy_expect_end(&r);
			free(p);
		}
		if (npy_expect_end(&r) == 0)
			FUZZ_CHECK(r.rows_left == 0);
	}
	fclose(fp);
	return 0;
}
