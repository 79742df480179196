/*
 * tar.c - the members of a (gzipped) tar archive, read in order.
 *
 * Layout facts from the POSIX pax/ustar description (IEEE Std
 * 1003.1-2017, "pax" utility, ustar Interchange Format) and the GNU tar
 * manual ("Basic Tar Format", GNU extensions 'L' and base-256 sizes).
 */
#include "tar.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gzin.h"

#define BLOCK 512

static int
fail(struct tar_reader *t, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(t->err, sizeof t->err, "%s: byte %llu: ", t->name,
	    (unsigned long long)t->pos);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof t->err)
		vsnprintf(t->err + n, sizeof t->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

int
tar_open(struct tar_reader *t, const char *path)
{
	memset(t, 0, sizeof *t);
	t->name = strcmp(path, "-") == 0 ? "stdin" : path;
	t->gz = gzin_open(path, t->name, 1 << 17, t->err, sizeof t->err);
	if (t->gz == NULL)
		return -1;
	return 0;
}

void
tar_close(struct tar_reader *t)
{
	if (t->gz)
		gzclose_r((gzFile)t->gz);
	t->gz = NULL;
}

/* Read n bytes of the uncompressed archive; what names them. */
static int
read_raw(struct tar_reader *t, void *buf, size_t n, const char *what)
{
	size_t got;
	const char *m;
	if (gzin_read(t->gz, buf, n, &t->pos, &got, &m) == 0)
		return 0;
	if (m != NULL)
		return fail(t, "%s", m);
	return fail(t, "truncated archive (%zu of %zu bytes of %s)", got, n,
	    what);
}

static int
skip_raw(struct tar_reader *t, uint64_t n, const char *what)
{
	char buf[1 << 14];
	while (n > 0) {
		size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
		if (read_raw(t, buf, k, what) < 0)
			return -1;
		n -= k;
	}
	return 0;
}

static uint64_t
padded(uint64_t size)
{
	return (size + BLOCK - 1) / BLOCK * BLOCK;
}

/* An octal field (spaces/NULs around it) or a GNU base-256 number. */
static int
parse_number(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1;        /* negative or too large */
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	size_t start = i;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 61)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	if (i == start)
		return -1;
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static int
checksum_ok(const unsigned char *h)
{
	uint64_t want;
	unsigned long usum = 0;
	long ssum = 0;

	if (parse_number(h + 148, 8, &want) < 0)
		return 0;
	for (size_t i = 0; i < BLOCK; i++) {
		unsigned char c = i >= 148 && i < 156 ? ' ' : h[i];
		usum += c;
		ssum += (signed char)c;    /* some old tars summed signed */
	}
	return want == usum || (long)want == ssum;
}

static int
all_zero(const unsigned char *h)
{
	for (size_t i = 0; i < BLOCK; i++)
		if (h[i])
			return 0;
	return 1;
}

/* Copy a possibly unterminated field. */
static void
field(char *dst, size_t dlen, const unsigned char *f, size_t flen)
{
	size_t n = strnlen((const char *)f, flen);
	if (n >= dlen)
		n = dlen - 1;
	memcpy(dst, f, n);
	dst[n] = '\0';
}

/* A long name record's data ('L' or pax): read it whole, bounded. */
static int
read_record(struct tar_reader *t, uint64_t size, char **out)
{
	if (size > (1u << 20))
		return fail(t, "extended header too long (%llu bytes)",
		    (unsigned long long)size);
	char *p = malloc((size_t)size + 1);
	if (p == NULL)
		return fail(t, "out of memory");
	if (read_raw(t, p, (size_t)size, "an extended header") < 0 ||
	    skip_raw(t, padded(size) - size, "padding") < 0) {
		free(p);
		return -1;
	}
	p[size] = '\0';
	*out = p;
	return 0;
}

/* pax records "LEN key=value\n": take path and size. */
static int
parse_pax(struct tar_reader *t, const char *p, size_t len, char *name,
    uint64_t *size, int *have_size)
{
	size_t i = 0;
	while (i < len) {
		size_t rl = 0, j = i;
		while (j < len && p[j] >= '0' && p[j] <= '9')
			rl = rl * 10 + (size_t)(p[j++] - '0');
		if (rl == 0 || j >= len || p[j] != ' ' || i + rl > len ||
		    p[i + rl - 1] != '\n')
			return fail(t, "malformed pax header");
		const char *kv = p + j + 1, *end = p + i + rl - 1;
		const char *eq = memchr(kv, '=', (size_t)(end - kv));
		if (eq == NULL)
			return fail(t, "malformed pax header");
		size_t klen = (size_t)(eq - kv), vlen = (size_t)(end - eq - 1);
		if (klen == 4 && memcmp(kv, "path", 4) == 0) {
			if (vlen >= TAR_NAME_MAX)
				return fail(t, "member name too long");
			memcpy(name, eq + 1, vlen);
			name[vlen] = '\0';
		} else if (klen == 4 && memcmp(kv, "size", 4) == 0) {
			char num[32];
			char *e;
			if (vlen == 0 || vlen >= sizeof num)
				return fail(t, "malformed pax size");
			memcpy(num, eq + 1, vlen);
			num[vlen] = '\0';
			errno = 0;
			*size = strtoull(num, &e, 10);
			if (errno || *e)
				return fail(t, "malformed pax size");
			*have_size = 1;
		}
		i += rl;
	}
	return 0;
}

int
tar_next(struct tar_reader *t)
{
	unsigned char h[BLOCK];
	char longname[TAR_NAME_MAX] = "";
	uint64_t pax_size = 0;
	int have_pax_size = 0;

	if (t->ended)
		return 0;
	if (t->left > 0 || t->size % BLOCK) {
		/* the rest of the current member and its padding */
		uint64_t rest = t->left + (padded(t->size) - t->size);
		if (skip_raw(t, rest, "member data") < 0)
			return -1;
		t->left = 0;
		t->size = 0;
	}
	for (;;) {
		uint64_t at = t->pos;
		int k = gzread((gzFile)t->gz, h, BLOCK);
		if (k < 0)
			return read_raw(t, h, BLOCK, "a header");  /* message */
		t->pos += (size_t)k;
		if (k == 0) {
			/* no end-of-archive blocks: accept a clean end */
			int e;
			const char *m = gzin_message(t->gz, &e);
			if (e != Z_OK)
				return fail(t, "%s", e == Z_BUF_ERROR ?
				    "truncated archive (unexpected end of "
				    "gzip data)" : m);
			t->ended = 1;
			return 0;
		}
		if (k < BLOCK) {
			t->pos = at;
			return fail(t, "truncated archive (%d of 512 bytes of "
			    "a header)", k);
		}
		if (all_zero(h)) {
			t->ended = 1;
			return 0;
		}
		if (!checksum_ok(h)) {
			t->pos = at;
			return fail(t, "not a tar archive (bad header "
			    "checksum)");
		}
		uint64_t size;
		if (parse_number(h + 124, 12, &size) < 0) {
			t->pos = at;
			return fail(t, "bad member size field");
		}
		char type = (char)h[156];
		if (type == 'L' || type == 'x') {
			char *rec = NULL;
			if (read_record(t, size, &rec) < 0)
				return -1;
			int rc = 0;
			if (type == 'L') {
				size_t n = strnlen(rec, (size_t)size);
				if (n >= TAR_NAME_MAX)
					rc = fail(t, "member name too long");
				else
					memcpy(longname, rec, n + 1);
			} else {
				rc = parse_pax(t, rec, (size_t)size, longname,
				    &pax_size, &have_pax_size);
			}
			free(rec);
			if (rc < 0)
				return -1;
			continue;
		}
		if (type == 'K' || type == 'g') {
			if (skip_raw(t, padded(size), "an extended header") < 0)
				return -1;
			continue;
		}
		if (have_pax_size)
			size = pax_size;
		if (longname[0]) {
			memcpy(t->member, longname, sizeof longname);
		} else if (memcmp(h + 257, "ustar", 5) == 0 && h[345]) {
			char prefix[156], name[101];
			field(prefix, sizeof prefix, h + 345, 155);
			field(name, sizeof name, h, 100);
			snprintf(t->member, sizeof t->member, "%s/%s", prefix,
			    name);
		} else {
			field(t->member, sizeof t->member, h, 100);
		}
		t->type = type ? type : '0';
		/* links, devices and fifos carry no data */
		if (t->type == '1' || t->type == '2' || t->type == '3' ||
		    t->type == '4' || t->type == '6')
			size = 0;
		t->size = size;
		t->left = size;
		return 1;
	}
}

int
tar_read(struct tar_reader *t, void *buf, size_t n)
{
	if (n > t->left) {
		fail(t, "%s: wanted %zu bytes, %llu left in the member",
		    t->member, n, (unsigned long long)t->left);
		return -1;
	}
	if (read_raw(t, buf, n, t->member) < 0)
		return -1;
	t->left -= n;
	return 0;
}

const char *
tar_basename(const char *member)
{
	const char *s = strrchr(member, '/');
	if (s && s[1] == '\0') {
		return member;          /* a directory "a/b/" */
	}
	return s ? s + 1 : member;
}

int
tar_find(struct tar_reader *t, const char *base)
{
	int rc;
	while ((rc = tar_next(t)) == 1)
		if (t->type == '0' && strcmp(tar_basename(t->member),
		    base) == 0)
			return 1;
	return rc;
}
