/* npy.c - reading and writing the tensor stream (see npy.h, npy(5)). */
#include "npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *descr;
	const char *name;
	size_t size;
} dtypes[] = {
	[NPY_U8] = { "|u1", "uint8", 1 },
	[NPY_I32] = { "<i4", "int32", 4 },
	[NPY_I64] = { "<i8", "int64", 8 },
	[NPY_F32] = { "<f4", "float32", 4 },
	[NPY_F64] = { "<f8", "float64", 8 },
};
#define NDTYPES (sizeof dtypes / sizeof dtypes[0])

size_t npy_dtype_size(enum npy_dtype t) { return dtypes[t].size; }
const char *npy_dtype_name(enum npy_dtype t) { return dtypes[t].name; }

int
npy_dtype_parse(const char *name, enum npy_dtype *t)
{
	for (size_t i = 0; i < NDTYPES; i++)
		if (strcmp(name, dtypes[i].name) == 0) {
			*t = (enum npy_dtype)i;
			return 0;
		}
	return -1;
}

size_t
npy_count(const struct npy_header *h)
{
	size_t n = 1;
	for (int i = 0; i < h->ndim; i++)
		n *= h->shape[i];
	return n;
}

size_t npy_rows(const struct npy_header *h) { return h->ndim ? h->shape[0] : 1; }

size_t
npy_row_count(const struct npy_header *h)
{
	size_t n = 1;
	for (int i = 1; i < h->ndim; i++)
		n *= h->shape[i];
	return n;
}

size_t
npy_row_bytes(const struct npy_header *h)
{
	return npy_row_count(h) * dtypes[h->dtype].size;
}

void
npy_header_set(struct npy_header *h, enum npy_dtype t, int ndim, ...)
{
	va_list ap;
	memset(h, 0, sizeof *h);
	h->dtype = t;
	h->ndim = ndim;
	va_start(ap, ndim);
	for (int i = 0; i < ndim; i++)
		h->shape[i] = va_arg(ap, size_t);
	va_end(ap);
}

char *
npy_header_str(const struct npy_header *h, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "%s [", dtypes[h->dtype].name);
	for (int i = 0; i < h->ndim && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%zu", i ? "," : "",
		    h->shape[i]);
	if (o < len)
		snprintf(buf + o, len - o, "]");
	return buf;
}

void
npy_reader_init(struct npy_reader *r, FILE *fp, const char *name)
{
	memset(r, 0, sizeof *r);
	r->fp = fp;
	r->name = name;
	r->index = -1;
}

static int
fail(struct npy_reader *r, uint64_t at, const char *fmt, ...)
{
	va_list ap;
	/* before the first array (a read error at byte 0) there is no
	 * array to name */
	int n = r->index < 0 ? snprintf(r->err, sizeof r->err,
	    "%s: byte %llu: ", r->name, (unsigned long long)at) :
	    snprintf(r->err, sizeof r->err, "%s: array %d, byte %llu: ",
	    r->name, r->index, (unsigned long long)at);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof r->err)
		vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Read exactly n bytes; short reads name what was expected. */
static int
read_exact(struct npy_reader *r, void *buf, size_t n, const char *what)
{
	size_t got = fread(buf, 1, n, r->fp);
	r->pos += got;
	if (got == n)
		return 0;
	if (ferror(r->fp))
		return fail(r, r->pos, "read error: %s", strerror(errno));
	return fail(r, r->pos, "truncated %s (%zu of %zu bytes)", what, got, n);
}

/* --- the header dictionary: a small Python-literal parser --- */

struct lex {
	const char *p, *end;
};

static void
skip_space(struct lex *x)
{
	while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' ||
	    *x->p == '\n' || *x->p == '\r'))
		x->p++;
}

static int
eat(struct lex *x, char c)
{
	skip_space(x);
	if (x->p < x->end && *x->p == c) {
		x->p++;
		return 1;
	}
	return 0;
}

static int
parse_str(struct lex *x, char *out, size_t len)
{
	skip_space(x);
	if (x->p >= x->end || (*x->p != '\'' && *x->p != '"'))
		return -1;
	char q = *x->p++;
	size_t n = 0;
	while (x->p < x->end && *x->p != q) {
		if (n + 1 >= len)
			return -1;
		out[n++] = *x->p++;
	}
	if (x->p >= x->end)
		return -1;
	x->p++;
	out[n] = '\0';
	return 0;
}

static int
parse_word(struct lex *x, const char *w)
{
	size_t n = strlen(w);
	skip_space(x);
	if ((size_t)(x->end - x->p) >= n && memcmp(x->p, w, n) == 0) {
		x->p += n;
		return 1;
	}
	return 0;
}

/* (d0, d1, ...) with an optional trailing comma; byte size checked. */
static int
parse_shape(struct npy_reader *r, struct lex *x, struct npy_header *h,
    uint64_t at)
{
	if (!eat(x, '('))
		return fail(r, at, "malformed header: shape is not a tuple");
	h->ndim = 0;
	for (;;) {
		if (eat(x, ')'))
			break;
		skip_space(x);
		if (x->p >= x->end || *x->p < '0' || *x->p > '9')
			return fail(r, at, "malformed header: bad shape");
		uint64_t v = 0;
		while (x->p < x->end && *x->p >= '0' && *x->p <= '9') {
			if (v > (UINT64_MAX - 9) / 10)
				return fail(r, at, "shape too large");
			v = v * 10 + (uint64_t)(*x->p++ - '0');
		}
		if (h->ndim == NPY_MAXDIM)
			return fail(r, at, "more than %d dimensions",
			    NPY_MAXDIM);
		if (v > NPY_MAX_BYTES)
			return fail(r, at, "shape too large");
		h->shape[h->ndim++] = (size_t)v;
		if (eat(x, ')'))
			break;
		if (!eat(x, ','))
			return fail(r, at, "malformed header: bad shape");
	}
	/* zero sizes left out: one row of an empty array must fit too,
	 * or npy_row_bytes would wrap */
	uint64_t bytes = dtypes[h->dtype].size;
	for (int i = 0; i < h->ndim; i++) {
		if (h->shape[i] == 0)
			continue;
		if (bytes > NPY_MAX_BYTES / h->shape[i])
			return fail(r, at, "shape too large (over %llu bytes)",
			    (unsigned long long)NPY_MAX_BYTES);
		bytes *= h->shape[i];
	}
	return 0;
}

static int
parse_dict(struct npy_reader *r, const char *s, size_t len, uint64_t at)
{
	struct lex x = { s, s + len };
	struct npy_header h;
	int have_descr = 0, have_order = 0, have_shape = 0;
	char key[32], descr[32];
	const char *shape_at = NULL;

	memset(&h, 0, sizeof h);
	if (!eat(&x, '{'))
		return fail(r, at, "malformed header: not a dict");
	while (!eat(&x, '}')) {
		if (parse_str(&x, key, sizeof key) < 0 || !eat(&x, ':'))
			return fail(r, at, "malformed header: bad key");
		if (strcmp(key, "descr") == 0) {
			if (parse_str(&x, descr, sizeof descr) < 0)
				return fail(r, at, "malformed header: bad descr");
			have_descr = 1;
		} else if (strcmp(key, "fortran_order") == 0) {
			if (parse_word(&x, "True"))
				return fail(r, at, "Fortran order is not supported");
			if (!parse_word(&x, "False"))
				return fail(r, at,
				    "malformed header: bad fortran_order");
			have_order = 1;
		} else if (strcmp(key, "shape") == 0) {
			/* parsed after descr, which fixes the element size */
			skip_space(&x);
			shape_at = x.p;
			while (x.p < x.end && *x.p != ')')
				x.p++;
			if (x.p < x.end)
				x.p++;
			have_shape = 1;
		} else {
			return fail(r, at, "malformed header: unknown key '%s'",
			    key);
		}
		if (!eat(&x, ',')) {
			if (!eat(&x, '}'))
				return fail(r, at, "malformed header: "
				    "expected ',' or '}'");
			break;
		}
	}
	skip_space(&x);
	if (x.p != x.end)
		return fail(r, at, "malformed header: text after the dict");
	if (!have_descr || !have_order || !have_shape)
		return fail(r, at, "malformed header: missing %s",
		    !have_descr ? "descr" : !have_order ? "fortran_order" :
		    "shape");
	size_t i;
	for (i = 0; i < NDTYPES; i++)
		if (strcmp(descr, dtypes[i].descr) == 0 ||
		    (dtypes[i].size == 1 && strcmp(descr, "<u1") == 0 &&
		    i == NPY_U8))
			break;
	if (i == NDTYPES)
		return fail(r, at, "unsupported dtype '%s' (want uint8, "
		    "int32, int64, float32 or float64, little-endian)", descr);
	h.dtype = (enum npy_dtype)i;
	struct lex sx = { shape_at, s + len };
	if (parse_shape(r, &sx, &h, at) < 0)
		return -1;
	r->h = h;
	return 0;
}

static int
skip_rows(struct npy_reader *r)
{
	char buf[65536];
	uint64_t left = (uint64_t)r->rows_left * npy_row_bytes(&r->h);
	while (left > 0) {
		size_t n = left < sizeof buf ? (size_t)left : sizeof buf;
		if (read_exact(r, buf, n, "data") < 0)
			return -1;
		left -= n;
	}
	r->rows_left = 0;
	return 0;
}

int
npy_next(struct npy_reader *r)
{
	unsigned char pre[10];
	char *dict;
	size_t hlen, got;
	uint64_t at;
	int c;

	if (r->index >= 0 && r->rows_left > 0 && skip_rows(r) < 0)
		return -1;
	at = r->pos;
	c = getc(r->fp);
	if (c == EOF) {
		if (ferror(r->fp))
			return fail(r, at, "read error: %s", strerror(errno));
		return 0;
	}
	ungetc(c, r->fp);
	r->index++;
	got = fread(pre, 1, 8, r->fp);
	r->pos += got;
	if (got < 6 && memcmp(pre, "\x93NUMPY", got) == 0)
		return fail(r, r->pos, "truncated magic (%zu of 6 bytes)", got);
	if (got < 6 || memcmp(pre, "\x93NUMPY", 6) != 0)
		return fail(r, at, r->index == 0 ? "not an npy stream "
		    "(bad magic)" : "trailing garbage where an array was "
		    "expected (bad magic)");
	if (got < 8)
		return fail(r, r->pos, "truncated header");
	if (pre[6] == 1) {
		if (read_exact(r, pre + 8, 2, "header") < 0)
			return -1;
		hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
	} else if (pre[6] == 2) {
		unsigned char l[4];
		if (read_exact(r, l, 4, "header") < 0)
			return -1;
		hlen = (size_t)l[0] | (size_t)l[1] << 8 |
		    (size_t)l[2] << 16 | (size_t)l[3] << 24;
		if (hlen > 1 << 20)
			return fail(r, at, "header too long");
	} else {
		return fail(r, at, "unsupported npy version %d.%d", pre[6],
		    pre[7]);
	}
	if ((dict = malloc(hlen + 1)) == NULL)
		return fail(r, at, "out of memory");
	if (read_exact(r, dict, hlen, "header") < 0) {
		free(dict);
		return -1;
	}
	dict[hlen] = '\0';
	int rc = parse_dict(r, dict, hlen, at);
	free(dict);
	if (rc < 0)
		return -1;
	r->rows_left = npy_rows(&r->h);
	return 1;
}

int
npy_read_rows(struct npy_reader *r, void *buf, size_t n)
{
	if (n > r->rows_left)
		return fail(r, r->pos, "asked for %zu rows, %zu left", n,
		    r->rows_left);
	if (read_exact(r, buf, n * npy_row_bytes(&r->h), "data") < 0)
		return -1;
	r->rows_left -= n;
	return 0;
}

/* A header may claim far more than its stream holds (a shape of 2^35
 * rows, then end of file): read_all allocates what has arrived, at most
 * twice over, growing from READ_STEP by doubling, so such a header is
 * refused as truncated data and never allocated. */
#define READ_STEP ((size_t)1 << 26)

int
npy_read_all(struct npy_reader *r, void **data)
{
	size_t bytes = r->rows_left * npy_row_bytes(&r->h);
	size_t cap = bytes < READ_STEP ? bytes : READ_STEP, got = 0;
	unsigned char *p = malloc(cap ? cap : 1), *q;
	if (p == NULL)
		return fail(r, r->pos, "cannot allocate %zu bytes", cap);
	while (got < bytes) {
		if (got == cap) {
			cap = cap > bytes / 2 ? bytes : 2 * cap;
			if ((q = realloc(p, cap)) == NULL) {
				free(p);
				return fail(r, r->pos, "cannot allocate %zu "
				    "bytes", cap);
			}
			p = q;
		}
		size_t k = fread(p + got, 1, cap - got, r->fp);
		r->pos += k;
		got += k;
		if (got < cap) {
			free(p);
			if (ferror(r->fp))
				return fail(r, r->pos, "read error: %s",
				    strerror(errno));
			return fail(r, r->pos, "truncated data (%zu of %zu "
			    "bytes)", got, bytes);
		}
	}
	r->rows_left = 0;
	*data = p;
	return 0;
}

int
npy_expect_end(struct npy_reader *r)
{
	if (r->index >= 0 && r->rows_left > 0)
		return fail(r, r->pos, "%zu rows of the array not consumed",
		    r->rows_left);
	int c = getc(r->fp);
	if (c == EOF)
		return ferror(r->fp) ? fail(r, r->pos, "read error: %s",
		    strerror(errno)) : 0;
	/* failing either way: read a little to say what follows */
	unsigned char magic[6] = { (unsigned char)c };
	size_t got = 1 + fread(magic + 1, 1, 5, r->fp);
	r->index++;
	if (got == 6 && memcmp(magic, "\x93NUMPY", 6) == 0)
		return fail(r, r->pos, "unexpected extra array after the "
		    "last expected one");
	return fail(r, r->pos, "trailing garbage after the last array");
}

int
npy_write_header(FILE *fp, const struct npy_header *h)
{
	char dict[512];
	int n = snprintf(dict, sizeof dict,
	    "{'descr': '%s', 'fortran_order': False, 'shape': (",
	    dtypes[h->dtype].descr);
	for (int i = 0; i < h->ndim; i++)
		n += snprintf(dict + n, sizeof dict - (size_t)n, "%zu%s",
		    h->shape[i], h->ndim == 1 || i + 1 < h->ndim ? ", " : "");
	if (h->ndim == 1)
		n -= 1;        /* "(5, )" -> "(5,)" */
	n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
	size_t total = 10 + (size_t)n + 1;        /* + '\n' */
	size_t pad = (64 - total % 64) % 64;
	unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0 };
	size_t hlen = (size_t)n + pad + 1;
	pre[8] = (unsigned char)(hlen & 0xff);
	pre[9] = (unsigned char)(hlen >> 8);
	memset(dict + n, ' ', pad);
	dict[n + (int)pad] = '\n';
	if (fwrite(pre, 1, 10, fp) != 10 || fwrite(dict, 1, hlen, fp) != hlen)
		return -1;
	return 0;
}

int
npy_write_data(FILE *fp, const void *data, size_t bytes)
{
	return fwrite(data, 1, bytes, fp) == bytes ? 0 : -1;
}

/* One element loop per (source, target) pair. */
#define CONVERT_LOOP(DT, ST)                                              \
	for (size_t i = 0; i < count; i++)                                \
		((DT *)dst)[i] = (DT)((const ST *)src)[i]

#define CONVERT_FROM(ST)                                                  \
	switch (dt) {                                                     \
	case NPY_U8: CONVERT_LOOP(uint8_t, ST); break;                    \
	case NPY_I32: CONVERT_LOOP(int32_t, ST); break;                   \
	case NPY_I64: CONVERT_LOOP(int64_t, ST); break;                   \
	case NPY_F32: CONVERT_LOOP(float, ST); break;                     \
	case NPY_F64: CONVERT_LOOP(double, ST); break;                    \
	}

void
npy_convert(enum npy_dtype dt, void *dst, enum npy_dtype st,
    const void *src, size_t count)
{
	if (dt == st) {
		memmove(dst, src, count * dtypes[dt].size);
		return;
	}
	switch (st) {
	case NPY_U8: CONVERT_FROM(uint8_t); break;
	case NPY_I32: CONVERT_FROM(int32_t); break;
	case NPY_I64: CONVERT_FROM(int64_t); break;
	case NPY_F32: CONVERT_FROM(float); break;
	case NPY_F64: CONVERT_FROM(double); break;
	}
}
