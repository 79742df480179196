/* test_npy.c - the stream reader/writer: round trips and bad input. */
#include <string.h>

#include "check.h"
#include "npy.h"

static FILE *
stream_of(const void *bytes, size_t n)
{
	FILE *fp = tmpfile();
	if (fp == NULL || fwrite(bytes, 1, n, fp) != n) {
		perror("tmpfile");
		exit(1);
	}
	rewind(fp);
	return fp;
}

static void
test_round_trip(void)
{
	FILE *fp = tmpfile();
	struct npy_header a, b;
	float x[6] = { 1, 2, 3, 4, 5, 6 };
	int32_t y[3] = { 7, -8, 9 };
	npy_header_set(&a, NPY_F32, 2, (size_t)3, (size_t)2);
	npy_header_set(&b, NPY_I32, 1, (size_t)3);
	CHECK(npy_write_header(fp, &a) == 0);
	CHECK(ftell(fp) % 64 == 0);
	CHECK(npy_write_data(fp, x, sizeof x) == 0);
	CHECK(npy_write_header(fp, &b) == 0);
	CHECK(npy_write_data(fp, y, sizeof y) == 0);
	rewind(fp);

	struct npy_reader r;
	float row[2];
	npy_reader_init(&r, fp, "tmp");
	CHECK(npy_next(&r) == 1);
	CHECK(r.h.dtype == NPY_F32 && r.h.ndim == 2 && r.h.shape[0] == 3 &&
	    r.h.shape[1] == 2);
	CHECK(npy_read_rows(&r, row, 1) == 0);
	CHECK(row[0] == 1 && row[1] == 2);
	/* the rest of the first array is skipped by npy_next */
	CHECK(npy_next(&r) == 1);
	CHECK(r.h.dtype == NPY_I32 && r.h.ndim == 1 && r.h.shape[0] == 3);
	void *all;
	CHECK(npy_read_all(&r, &all) == 0);
	CHECK(memcmp(all, y, sizeof y) == 0);
	free(all);
	CHECK(npy_next(&r) == 0);
	CHECK(npy_expect_end(&r) == 0);
	fclose(fp);
}

static void
expect_error(const char *what, const char *bytes, size_t n,
    const char *needle)
{
	FILE *fp = stream_of(bytes, n);
	struct npy_reader r;
	char buf[64];
	npy_reader_init(&r, fp, "s");
	int rc = npy_next(&r);
	if (rc == 1)
		rc = npy_read_rows(&r, buf, npy_rows(&r.h) > 4 ? 4 :
		    npy_rows(&r.h));
	if (rc == 0)
		rc = npy_expect_end(&r);
	if (rc != -1 || strstr(r.err, needle) == NULL) {
		fprintf(stderr, "%s: rc %d, message '%s', want '%s'\n", what,
		    rc, r.err, needle);
		check_failures++;
	} else {
		printf("%s: ok (%s)\n", what, r.err);
	}
	fclose(fp);
}

#define HDR(v, dict) "\x93NUMPY" v, dict

static void
test_bad_input(void)
{
	char b[256];
	size_t n;
#define MAKE(ver, dict) (n = (size_t)snprintf(b, sizeof b, "\x93NUMPY%c%c%c%c%s", \
	ver, 0, (int)strlen(dict), 0, dict))
	expect_error("magic", "NOTNUMPYxxxx", 12, "bad magic");
	MAKE(9, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n");
	expect_error("version", b, n, "unsupported npy version 9.0");
	MAKE(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }\n");
	expect_error("dtype", b, n, "unsupported dtype '<c8'");
	MAKE(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }\n");
	expect_error("big-endian", b, n, "unsupported dtype '>f4'");
	MAKE(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,) \n");
	expect_error("dict", b, n, "malformed header");
	MAKE(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }\n");
	expect_error("fortran", b, n, "Fortran order");
	MAKE(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }\n");
	expect_error("overflow", b, n, "shape too large");
	MAKE(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }\n");
	memcpy(b + n, "abcd", 4);
	expect_error("truncated", b, n + 4, "truncated data");
	MAKE(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n");
	memcpy(b + n, "abJUNK", 6);
	expect_error("trailing", b, n + 6, "trailing garbage");
	expect_error("truncated header", "\x93NUMPY\x01\x00\x50\x00{'de", 14,
	    "truncated header");
}

int
main(void)
{
	test_round_trip();
	test_bad_input();
	return check_done();
}
