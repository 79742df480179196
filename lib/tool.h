/*
 * tool.h - what every tool shares: messages and exit codes, checked
 * number parsing, checked allocation, and the stream on stdin/stdout.
 *
 * Library code (everything else in lib/) returns a status; only tools
 * call the die_ functions here, which print "tool: message" and exit.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "npy.h"

#define PROJECT_NAME "vicreg-tools"
#define PROJECT_VERSION "0.1.0"

enum {
	EXIT_OK = 0,
	EXIT_DATA = 1,        /* bad data, I/O or runtime error */
	EXIT_USAGE = 2,       /* bad invocation */
};

extern const char *progname;

/* Set the program name, restore SIGPIPE so "| head" ends us quietly. */
void tool_init(const char *name);
void tool_version(void);                     /* "name (project) 0.1.0" */

void die(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));
void die_errno(const char *fmt, ...)         /* appends ": strerror" */
    __attribute__((noreturn, format(printf, 1, 2)));
void die_usage(const char *fmt, ...)         /* exit 2, points at --help */
    __attribute__((noreturn, format(printf, 1, 2)));
void warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Start OpenMP's team of n threads now (omp_set_num_threads(n) and an
 * empty parallel region), after checking that n - 1 threads with the
 * stack libgomp gives them can exist at once: under a small ulimit -v
 * libgomp would print its own message in the middle of the work;
 * this dies with "cannot start n threads: why" first.
 */
void threads_start(size_t n);

/* Checked number parsing for option arguments: a bad value is a usage
 * error naming the option.  Whole string, range inclusive. */
size_t opt_size(const char *opt, const char *arg, size_t min, size_t max);
long long opt_ll(const char *opt, const char *arg, long long min,
                 long long max);
uint64_t opt_u64(const char *opt, const char *arg);
double opt_double(const char *opt, const char *arg, double min, double max);
/* The same, returning -1 on failure instead of exiting. */
int parse_ll(const char *s, long long min, long long max, long long *out);
int parse_double(const char *s, double min, double max, double *out);

void *xmalloc(size_t n);                      /* dies on failure */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
void *xmalloc_array(size_t n, size_t size);   /* overflow-checked */

/* Open "-" as stdin, else the path; die on failure. */
FILE *xfopen(const char *path, const char *mode);

/*
 * Stream helpers that die with the reader's message.
 * stream_next returns 0 at end of stream, 1 with r->h filled.
 */
int stream_next(struct npy_reader *r);
void stream_expect(struct npy_reader *r, const char *what); /* must exist */
void stream_read_rows(struct npy_reader *r, void *buf, size_t n);
void *stream_read_all(struct npy_reader *r);
void stream_end(struct npy_reader *r);
/* Read the next array converted to dtype t (whole), with its header. */
void *stream_read_as(struct npy_reader *r, const char *what,
                     enum npy_dtype t, struct npy_header *h);

/* Output: refuse a terminal, write arrays, close checked. */
void out_init(void);                  /* dies if stdout is a tty */
void out_header(const struct npy_header *h);
void out_data(const void *data, size_t bytes);
void out_array(const struct npy_header *h, const void *data);
void out_close(void);                 /* flush + close stdout, checked */


#endif
