/*
 * test_tar.c - the tar reader on archives built here block by block:
 * ustar prefix names, GNU long names, pax path and size records,
 * base-256 sizes, gzip and plain, and the errors (bad checksum,
 * truncation, bad size field).
 */
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "tar.h"

static unsigned char arch[1 << 16];
static size_t alen;

static void
octal(unsigned char *f, size_t len, unsigned long long v)
{
	char tmp[32];
	snprintf(tmp, sizeof tmp, "%0*llo", (int)len - 1, v);
	memcpy(f, tmp, len);                     /* digits and the NUL */
}

/* A header block; prefix may be NULL; size < 0 means base-256. */
static void
header(const char *name, const char *prefix, long long size, char type,
    int corrupt)
{
	unsigned char *h = arch + alen;
	memset(h, 0, 512);
	strncpy((char *)h, name, 100);
	octal(h + 100, 8, 0644);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	if (size >= 0) {
		octal(h + 124, 12, (unsigned long long)size);
	} else {
		h[124] = 0x80;
		unsigned long long v = (unsigned long long)-size;
		for (int i = 11; i >= 1; i--, v >>= 8)
			h[124 + i] = (unsigned char)(v & 0xff);
	}
	octal(h + 136, 12, 0);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	if (prefix)
		strncpy((char *)h + 345, prefix, 155);
	memset(h + 148, ' ', 8);
	unsigned long sum = 0;
	for (size_t i = 0; i < 512; i++)
		sum += h[i];
	char sumbuf[32];
	snprintf(sumbuf, sizeof sumbuf, "%06lo", sum + (unsigned long)corrupt);
	memcpy(h + 148, sumbuf, 7);
	alen += 512;
}

static void
data(const void *p, size_t n)
{
	memcpy(arch + alen, p, n);
	alen += (n + 511) / 512 * 512;
}

static void
pattern(unsigned char *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + seed);
}

static const char *
write_file(const char *path, int gz, size_t n)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");
		if (g == NULL || gzwrite(g, arch, (unsigned)n) != (int)n ||
		    gzclose(g) != Z_OK) {
			perror(path);
			exit(1);
		}
	} else {
		FILE *fp = fopen(path, "wb");
		if (fp == NULL || fwrite(arch, 1, n, fp) != n || fclose(fp)) {
			perror(path);
			exit(1);
		}
	}
	return path;
}

static void
build_good(void)
{
	unsigned char buf[2000];
	char longname[301], pax[256];

	alen = 0;
	header("dir/", NULL, 0, '5', 0);
	pattern(buf, 5, 1);
	header("c.bin", "some/prefix", 5, '0', 0);
	data(buf, 5);
	memset(longname, 'x', 290);
	strcpy(longname + 290, "/long.bin");
	header("././@LongLink", NULL, (long long)strlen(longname) + 1, 'L', 0);
	data(longname, strlen(longname) + 1);
	pattern(buf, 1500, 2);
	header("truncated-name", NULL, 1500, '0', 0);
	data(buf, 1500);
	header("link", NULL, 0, '2', 0);
	/* pax: path and a size that overrides the header's */
	int n = snprintf(pax, sizeof pax, "%s%s", "23 path=pax/path/p.bin\n",
	    "12 size=700\n");
	header("PaxHeaders/p.bin", NULL, n, 'x', 0);
	data(pax, (size_t)n);
	pattern(buf, 700, 3);
	header("p.bin", NULL, 0, '0', 0);
	data(buf, 700);
	pattern(buf, 9, 4);
	header("b256.bin", NULL, -9, '0', 0);
	data(buf, 9);
	memset(arch + alen, 0, 1024);
	alen += 1024;
}

static void
test_good(const char *path)
{
	struct tar_reader t;
	unsigned char got[2000], want[2000];

	CHECK(tar_open(&t, path) == 0);
	CHECK(tar_next(&t) == 1 && t.type == '5' &&
	    strcmp(t.member, "dir/") == 0);
	CHECK(tar_next(&t) == 1 && t.type == '0' && t.size == 5 &&
	    strcmp(t.member, "some/prefix/c.bin") == 0);
	pattern(want, 5, 1);
	CHECK(tar_read(&t, got, 5) == 0 && memcmp(got, want, 5) == 0);
	CHECK(tar_read(&t, got, 1) == -1);       /* past the member */
	CHECK(tar_next(&t) == 1 && t.size == 1500 &&
	    strlen(t.member) == 299 &&
	    strcmp(tar_basename(t.member), "long.bin") == 0);
	/* read part of it; tar_next skips the rest */
	pattern(want, 1500, 2);
	CHECK(tar_read(&t, got, 600) == 0 && memcmp(got, want, 600) == 0);
	CHECK(tar_next(&t) == 1 && t.type == '2' && t.size == 0);
	CHECK(tar_next(&t) == 1 && strcmp(t.member, "pax/path/p.bin") == 0 &&
	    t.size == 700);
	pattern(want, 700, 3);
	CHECK(tar_read(&t, got, 700) == 0 && memcmp(got, want, 700) == 0);
	CHECK(tar_next(&t) == 1 && strcmp(t.member, "b256.bin") == 0 &&
	    t.size == 9);
	pattern(want, 9, 4);
	CHECK(tar_read(&t, got, 9) == 0 && memcmp(got, want, 9) == 0);
	CHECK(tar_next(&t) == 0);
	CHECK(tar_next(&t) == 0);
	tar_close(&t);

	CHECK(tar_open(&t, path) == 0);
	CHECK(tar_find(&t, "p.bin") == 1 && t.size == 700);
	CHECK(tar_find(&t, "c.bin") == 0);       /* behind us */
	tar_close(&t);
}

static void
expect_error(const char *path, const char *text)
{
	struct tar_reader t;
	int rc;
	CHECK(tar_open(&t, path) == 0);
	while ((rc = tar_next(&t)) == 1) {
		unsigned char buf[2000];
		if (t.size && t.size <= sizeof buf &&
		    tar_read(&t, buf, (size_t)t.size) < 0) {
			rc = -1;
			break;
		}
	}
	CHECK(rc == -1);
	if (strstr(t.err, text) == NULL) {
		fprintf(stderr, "%s: error '%s' lacks '%s'\n", path, t.err,
		    text);
		check_failures++;
	} else {
		printf("%s: ok: %s\n", path, t.err);
	}
	tar_close(&t);
}

int
main(void)
{
	char dir[512], path[600];
	if (mkdtemp(check_tmp_template(dir, sizeof dir, "test_tar.XXXXXX"))
	    == NULL) {
		perror("mkdtemp");
		return 1;
	}
	build_good();
	snprintf(path, sizeof path, "%s/a.tar.gz", dir);
	test_good(write_file(path, 1, alen));
	snprintf(path, sizeof path, "%s/a.tar", dir);
	test_good(write_file(path, 0, alen));
	/* no end-of-archive blocks: a clean end */
	snprintf(path, sizeof path, "%s/noend.tar", dir);
	test_good(write_file(path, 0, alen - 1024));

	snprintf(path, sizeof path, "%s/short.tar", dir);
	expect_error(write_file(path, 0, 512 * 5 + 100),
	    "truncated archive (100 of 512 bytes of a header)");
	snprintf(path, sizeof path, "%s/short-data.tar.gz", dir);
	expect_error(write_file(path, 1, 512 * 6 + 700),
	    "truncated archive (700 of 1500 bytes of");

	alen = 0;
	header("ok.bin", NULL, 0, '0', 0);
	header("bad.bin", NULL, 0, '0', 1);
	snprintf(path, sizeof path, "%s/sum.tar", dir);
	expect_error(write_file(path, 0, alen), "byte 512: not a tar archive "
	    "(bad header checksum)");

	alen = 0;
	header("size.bin", NULL, 0, '0', 0);
	memcpy(arch + 124, "12x45", 5);          /* then fix the checksum */
	memset(arch + 148, ' ', 8);
	unsigned long sum = 0;
	for (size_t i = 0; i < 512; i++)
		sum += arch[i];
	char sumbuf[32];
	snprintf(sumbuf, sizeof sumbuf, "%06lo", sum);
	memcpy(arch + 148, sumbuf, 7);
	snprintf(path, sizeof path, "%s/size.tar", dir);
	expect_error(write_file(path, 0, alen), "bad member size field");

	struct tar_reader t;
	snprintf(path, sizeof path, "%s/none.tar", dir);
	CHECK(tar_open(&t, path) == -1 && strstr(t.err, "No such file"));
	CHECK(strcmp(tar_basename("a/b/c"), "c") == 0);
	CHECK(strcmp(tar_basename("c"), "c") == 0);

	const char *names[] = { "a.tar.gz", "a.tar", "noend.tar", "short.tar",
	    "short-data.tar.gz", "sum.tar", "size.tar" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	return check_done();
}
