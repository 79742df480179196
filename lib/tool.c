/* tool.c - messages, parsing and stream helpers for the tools. */
#include "tool.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "?";

void
tool_init(const char *name)
{
	progname = name;
	signal(SIGPIPE, SIG_DFL);
}

void
tool_version(void)
{
	printf("%s (%s) %s\n", progname, PROJECT_NAME, PROJECT_VERSION);
}

static void
vmsg(const char *fmt, va_list ap, const char *suffix)
{
	fflush(stdout);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	if (suffix)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
}

void
die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, NULL);
	va_end(ap);
	exit(EXIT_DATA);
}

void
die_errno(const char *fmt, ...)
{
	va_list ap;
	const char *e = strerror(errno);
	if (errno == EPIPE)
		exit(EXIT_DATA);        /* reader went away: end quietly */
	va_start(ap, fmt);
	vmsg(fmt, ap, e);
	va_end(ap);
	exit(EXIT_DATA);
}

void
die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, NULL);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	exit(EXIT_USAGE);
}

void
warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(fmt, ap, NULL);
	va_end(ap);
}

int
parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;
	errno = 0;
	if (s == NULL || *s == '\0')
		return -1;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;
	errno = 0;
	if (s == NULL || *s == '\0')
		return -1;
	v = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

long long
opt_ll(const char *opt, const char *arg, long long min, long long max)
{
	long long v;
	if (parse_ll(arg, min, max, &v) < 0)
		die_usage("%s: '%s' is not an integer in [%lld, %lld]", opt,
		    arg, min, max);
	return v;
}

size_t
opt_size(const char *opt, const char *arg, size_t min, size_t max)
{
	long long hi = max > (size_t)LLONG_MAX ? LLONG_MAX : (long long)max;
	return (size_t)opt_ll(opt, arg, (long long)min, hi);
}

uint64_t
opt_u64(const char *opt, const char *arg)
{
	char *end;
	unsigned long long v;
	errno = 0;
	if (arg == NULL || *arg == '\0' || *arg == '-')
		die_usage("%s: '%s' is not a non-negative integer", opt,
		    arg ? arg : "");
	v = strtoull(arg, &end, 10);
	if (errno || *end != '\0')
		die_usage("%s: '%s' is not a non-negative integer", opt, arg);
	return (uint64_t)v;
}

double
opt_double(const char *opt, const char *arg, double min, double max)
{
	double v;
	if (parse_double(arg, min, max, &v) < 0)
		die_usage("%s: '%s' is not a number in [%g, %g]", opt, arg,
		    min, max);
	return v;
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *
xmalloc_array(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		die("out of memory (%zu x %zu bytes overflows)", n, size);
	return xmalloc(n * size);
}

FILE *
xfopen(const char *path, const char *mode)
{
	if (strcmp(path, "-") == 0)
		return mode[0] == 'r' ? stdin : stdout;
	FILE *fp = fopen(path, mode);
	if (fp == NULL)
		die_errno("%s", path);
	return fp;
}

int
stream_next(struct npy_reader *r)
{
	int rc = npy_next(r);
	if (rc < 0)
		die("%s", r->err);
	return rc;
}

void
stream_expect(struct npy_reader *r, const char *what)
{
	if (stream_next(r) == 0)
		die("%s: stream ended before %s", r->name, what);
}

void
stream_read_rows(struct npy_reader *r, void *buf, size_t n)
{
	if (npy_read_rows(r, buf, n) < 0)
		die("%s", r->err);
}

void *
stream_read_all(struct npy_reader *r)
{
	void *p;
	if (npy_read_all(r, &p) < 0)
		die("%s", r->err);
	return p;
}

void
stream_end(struct npy_reader *r)
{
	if (npy_expect_end(r) < 0)
		die("%s", r->err);
}

void *
stream_read_as(struct npy_reader *r, const char *what, enum npy_dtype t,
    struct npy_header *h)
{
	stream_expect(r, what);
	void *src = stream_read_all(r);
	*h = r->h;
	if (h->dtype == t)
		return src;
	size_t n = npy_count(h);
	void *dst = xmalloc_array(n, npy_dtype_size(t));
	npy_convert(t, dst, h->dtype, src, n);
	free(src);
	h->dtype = t;
	return dst;
}

void
out_init(void)
{
	if (isatty(STDOUT_FILENO))
		die_usage("refusing to write a binary stream to a terminal "
		    "(pipe it into another tool or redirect it to a file)");
	static char buf[1 << 16];
	setvbuf(stdout, buf, _IOFBF, sizeof buf);
}

void
out_header(const struct npy_header *h)
{
	if (npy_write_header(stdout, h) < 0)
		die_errno("write");
}

void
out_data(const void *data, size_t bytes)
{
	if (npy_write_data(stdout, data, bytes) < 0)
		die_errno("write");
}

void
out_array(const struct npy_header *h, const void *data)
{
	out_header(h);
	out_data(data, npy_count(h) * npy_dtype_size(h->dtype));
}

void
out_close(void)
{
	if (fflush(stdout) != 0 || ferror(stdout))
		die_errno("write");
	if (fclose(stdout) != 0)
		die_errno("close");
}
