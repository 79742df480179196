/*
 * idx.c - IDX files (format from the MNIST database page,
 * http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT").
 */
#include "idx.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gzin.h"

static int
fail(struct idx_reader *r, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(r->err, sizeof r->err, "%s: byte %llu: ", r->name,
	    (unsigned long long)r->pos);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof r->err)
		vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int
read_exact(struct idx_reader *r, void *buf, size_t n, const char *what)
{
	size_t got;
	const char *m;
	if (gzin_read(r->gz, buf, n, &r->pos, &got, &m) == 0)
		return 0;
	if (m != NULL)
		return fail(r, "%s", m);
	return fail(r, "truncated %s (%zu of %zu bytes)", what, got, n);
}

int
idx_open(struct idx_reader *r, const char *path)
{
	unsigned char magic[4], d[4];

	memset(r, 0, sizeof *r);
	r->name = strcmp(path, "-") == 0 ? "stdin" : path;
	r->gz = gzin_open(path, r->name, 1 << 16, r->err, sizeof r->err);
	if (r->gz == NULL)
		return -1;
	if (read_exact(r, magic, 4, "magic") < 0)
		return -1;
	if (magic[0] || magic[1]) {
		r->pos = 0;
		return fail(r, "not an IDX file (bad magic)");
	}
	if (magic[2] != 0x08) {
		r->pos = 2;
		return fail(r, "unsupported IDX element type 0x%02x (only "
		    "unsigned bytes, 0x08)", magic[2]);
	}
	if (magic[3] < 1 || magic[3] > IDX_MAXDIM) {
		r->pos = 3;
		return fail(r, "unsupported number of dimensions %d",
		    magic[3]);
	}
	r->ndim = magic[3];
	/* the whole file and one item (which readers allocate even when
	 * there are no items) at most 2^40 bytes, checked before each
	 * product so that nothing wraps */
	const uint64_t max = (uint64_t)1 << 40;
	uint64_t bytes = 1, item = 1;
	for (int i = 0; i < r->ndim; i++) {
		if (read_exact(r, d, 4, "dimensions") < 0)
			return -1;
		r->dims[i] = (size_t)d[0] << 24 | (size_t)d[1] << 16 |
		    (size_t)d[2] << 8 | d[3];
		uint64_t v = r->dims[i];
		if (v && (bytes > max / v || (i > 0 && item > max / v)))
			return fail(r, "dimensions too large");
		bytes *= v;
		if (i > 0)
			item *= v;
	}
	r->item_bytes = (size_t)item;
	r->items_left = r->dims[0];
	return 0;
}

int
idx_read(struct idx_reader *r, uint8_t *buf, size_t n)
{
	if (n > r->items_left)
		return fail(r, "asked for %zu items, %zu left", n,
		    r->items_left);
	if (read_exact(r, buf, n * r->item_bytes, "data") < 0)
		return -1;
	r->items_left -= n;
	return 0;
}

int
idx_expect_end(struct idx_reader *r)
{
	char c;
	int k = gzread((gzFile)r->gz, &c, 1);
	if (k == 0) {
		int e;
		const char *m = gzin_message(r->gz, &e);
		return e == Z_OK ? 0 : fail(r, "%s", m);
	}
	if (k < 0)
		return read_exact(r, &c, 1, "end");
	return fail(r, "trailing bytes after the last item");
}

void
idx_close(struct idx_reader *r)
{
	if (r->gz)
		gzclose_r((gzFile)r->gz);
	r->gz = NULL;
}
