/* tool.c - messages, parsing and stream helpers for the tools. */
#include "tool.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
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

/*
 * One line "progname: message[: suffix]" in one write, so that the
 * lines of processes sharing a stderr (tools in a pipe, mpirun's
 * processes) do not interleave within a line.  Longer lines are cut.
 */
static void
vmsg(const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	size_t max = sizeof line - 1, n;
	fflush(stdout);
	n = (size_t)snprintf(line, max, "%s: ", progname);
	if (n < max)
		n += (size_t)vsnprintf(line + n, max - n, fmt, ap);
	if (suffix && n < max)
		n += (size_t)snprintf(line + n, max - n, ": %s", suffix);
	if (n >= max)
		n = max - 1;
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
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

/*
 * The stack libgomp gives each thread: OMP_STACKSIZE (or GOMP_STACKSIZE)
 * as a number with an optional B, K, M or G (K if none), else pthread's
 * default, which glibc takes from ulimit -s (the OpenMP specification,
 * "OMP_STACKSIZE"; libgomp's env.c reads both names).  0 if unknown.
 */
static size_t
omp_stack_size(void)
{
	static const char *const names[] = { "OMP_STACKSIZE", "GOMP_STACKSIZE" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *s = getenv(names[i]);
		char *end;
		if (s == NULL || !isdigit((unsigned char)*s))
			continue;
		errno = 0;
		unsigned long long v = strtoull(s, &end, 10);
		int shift = 10;
		switch (toupper((unsigned char)*end)) {
		case 'B': shift = 0; end++; break;
		case 'K': end++; break;
		case 'M': shift = 20; end++; break;
		case 'G': shift = 30; end++; break;
		}
		while (isspace((unsigned char)*end))
			end++;
		if (errno == 0 && *end == '\0' && v <= (SIZE_MAX >> shift))
			return (size_t)v << shift;
	}
	/* glibc answers the default for an attribute never set */
	pthread_attr_t a;
	size_t size = 0;
	if (pthread_attr_init(&a) == 0) {
		if (pthread_attr_getstacksize(&a, &size) != 0)
			size = 0;
		pthread_attr_destroy(&a);
	}
	return size;
}

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;

static void *
probe_wait(void *arg)
{
	pthread_mutex_lock(&probe_lock);
	pthread_mutex_unlock(&probe_lock);
	return arg;
}

void
threads_start(size_t n)
{
	if (n > INT_MAX)
		die("cannot start %zu threads: too many", n);
	if (n > 1) {
		/* the n - 1 helpers all alive at once, as libgomp keeps
		 * them; glibc keeps the freed stacks for the next threads */
		size_t stack = omp_stack_size(), made = 0;
		pthread_attr_t a;
		pthread_t *t = xmalloc_array(n - 1, sizeof *t);
		int err = pthread_attr_init(&a);
		if (err == 0 && stack > 0)
			err = pthread_attr_setstacksize(&a, stack);
		pthread_mutex_lock(&probe_lock);
		while (err == 0 && made < n - 1) {
			err = pthread_create(&t[made], &a, probe_wait, NULL);
			if (err == 0)
				made++;
		}
		pthread_mutex_unlock(&probe_lock);
		for (size_t i = 0; i < made; i++)
			pthread_join(t[i], NULL);
		pthread_attr_destroy(&a);
		free(t);
		if (err != 0) {
			errno = err;
			die_errno("cannot start %zu threads (%zu MB stacks)",
			    n, stack >> 20);
		}
	}
	omp_set_num_threads((int)n);
	#pragma omp parallel
	{
		/* nothing: libgomp starts its team here, and keeps it */
	}
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
