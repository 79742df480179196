/*
 * tensor - look into and re-plumb tensor streams.
 *
 *   tensor info [FILE...]                  dtype and shape of each array
 *   tensor take [-a K] ROWS [FILE]         rows of every array (or of K)
 *   tensor pick K [FILE]                   array K alone
 *   tensor cat [FILE...]                   streams one after another
 *   tensor rows-cat [FILE...]              all arrays joined along axis 0
 *   tensor join FILE...                    array k of each file joined
 *   tensor cols [-a K] COLUMNS [FILE]      columns (axis 1) of arrays
 *   tensor cast [-a K] [-t T] [--scale X] [--reshape S] [FILE]
 *   tensor print [-a K] [-n R] [FILE]      arrays as text
 *   tensor to-csv [-a K] [--header] [FILE] arrays side by side as CSV
 *   tensor from-text [-t T] [-r SHAPE] [FILE]  numbers -> an array
 *   tensor const -t T -s SHAPE VALUE       an array of one value
 *
 * Arrays pass a bounded number of rows at a time, except where noted in
 * tensor(1) (take with indices out of order, to-csv, from-text; rows-cat
 * spools to a temporary file).
 */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

#define CHUNK_BYTES ((size_t)1 << 20)

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tensor info [FILE...]\n"
	    "       tensor take [-a K] ROWS [FILE]\n"
	    "       tensor pick K [FILE]\n"
	    "       tensor cat [FILE...]\n"
	    "       tensor rows-cat [FILE...]   (also: tensor stack)\n"
	    "       tensor join FILE...\n"
	    "       tensor cols [-a K] COLUMNS [FILE]\n"
	    "       tensor cast [-a K] [-t TYPE] [--scale X] [--reshape SHAPE] [FILE]\n"
	    "       tensor print [-a K] [-n R] [-p P] [FILE]\n"
	    "       tensor to-csv [-a K] [--header] [FILE]\n"
	    "       tensor from-text [-t TYPE] [-r SHAPE] [FILE]\n"
	    "       tensor const -t TYPE -s SHAPE VALUE\n"
	    "Inspect and re-plumb tensor streams (concatenated .npy arrays).\n"
	    "FILE defaults to stdin; '-' is stdin.  ROWS: comma-separated\n"
	    "indices and ranges, Python style: 5, -1, 0:10, 10:, :3, 1,4,9.\n"
	    "  -a, --array K       only array K (others pass through / are skipped)\n"
	    "  -n, --limit R       print: at most R rows of each array\n"
	    "  -p, --precision P   print: significant digits of floats (6)\n"
	    "      --header        to-csv: a first line of column names\n"
	    "  -t, --dtype T       uint8, int32, int64, float32 or float64\n"
	    "  -r, --row-shape S   from-text: shape of each row, e.g. 3,32,32\n"
	    "  -s, --shape S       const: the array's shape, e.g. 10000\n"
	    "      --scale X       cast: multiply by X before converting\n"
	    "      --reshape S     cast: the new shape (same element count)\n"
	    "  -h, --help          this help\n"
	    "      --version       print the version\n"
	    "See tensor(1).\n");
}

enum { OPT_VERSION = 256, OPT_HEADER, OPT_SCALE, OPT_RESHAPE };

static const struct option longopts[] = {
	{ "array", required_argument, NULL, 'a' },
	{ "limit", required_argument, NULL, 'n' },
	{ "precision", required_argument, NULL, 'p' },
	{ "header", no_argument, NULL, OPT_HEADER },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ "reshape", required_argument, NULL, OPT_RESHAPE },
	{ "dtype", required_argument, NULL, 't' },
	{ "row-shape", required_argument, NULL, 'r' },
	{ "shape", required_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 },
};

/* Options of every command; each command says which it accepts. */
struct opts {
	long long array;          /* -1: all */
	size_t limit;
	int precision;
	int header;
	int have_dtype;
	enum npy_dtype dtype;
	const char *row_shape;
	const char *shape;
	int have_scale;
	double scale;
	const char *reshape;
};

/* getopt's own messages are off: one line, naming the option. */
static void
bad_option(const char *cmd, int c, const char *arg)
{
	if (c == ':')
		die_usage("%s: option '%s' needs an argument", cmd, arg);
	if (optopt)
		die_usage("%s: unknown option '-%c'", cmd, optopt);
	die_usage("%s: unknown option '%s'", cmd, arg);
}

static int
parse_opts(int argc, char **argv, struct opts *o, const char *allowed)
{
	int c;
	memset(o, 0, sizeof *o);
	o->array = -1;
	o->limit = SIZE_MAX;
	o->precision = 6;
	optind = 1;
	opterr = 0;
	int li = -1;
	while ((c = getopt_long(argc, argv, ":a:n:p:t:r:s:h", longopts,
	    &li)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(EXIT_OK);
		}
		if (c == OPT_VERSION) {
			tool_version();
			exit(EXIT_OK);
		}
		if (c == '?' || c == ':')
			bad_option(argv[0], c, argv[optind - 1]);
		int letter = c == OPT_HEADER ? 'H' : c == OPT_SCALE ? 'x' :
		    c == OPT_RESHAPE ? 'R' : c;
		if (!strchr(allowed, letter)) {
			if (li >= 0)
				die_usage("%s: option --%s does not apply",
				    argv[0], longopts[li].name);
			die_usage("%s: option -%c does not apply", argv[0], c);
		}
		li = -1;
		switch (c) {
		case 'a':
			o->array = opt_ll("--array", optarg, 0, INT_MAX);
			break;
		case 'n':
			o->limit = opt_size("--limit", optarg, 0, SIZE_MAX);
			break;
		case 'p':
			o->precision = (int)opt_ll("--precision", optarg, 1, 17);
			break;
		case OPT_HEADER:
			o->header = 1;
			break;
		case 't':
			if (npy_dtype_parse(optarg, &o->dtype) < 0)
				die_usage("--dtype: '%s' is not uint8, int32, "
				    "int64, float32 or float64", optarg);
			o->have_dtype = 1;
			break;
		case 'r':
			o->row_shape = optarg;
			break;
		case 's':
			o->shape = optarg;
			break;
		case OPT_SCALE:
			o->scale = opt_double("--scale", optarg, -HUGE_VAL,
			    HUGE_VAL);
			o->have_scale = 1;
			break;
		case OPT_RESHAPE:
			o->reshape = optarg;
			break;
		}
	}
	return optind;
}

static FILE *
open_in(const char *path, const char **name)
{
	*name = strcmp(path, "-") == 0 ? "stdin" : path;
	return xfopen(path, "rb");
}

/* At most one FILE operand. */
static const char *
one_file(int argc, char **argv, int i, const char *cmd)
{
	if (argc - i > 1)
		die_usage("%s: at most one FILE", cmd);
	return i < argc ? argv[i] : "-";
}

/* "3,32,32" into shape; returns the number of dimensions. */
static int
parse_shape(const char *opt, const char *s, size_t *shape, int max)
{
	int n = 0;
	char buf[256];
	if (strlen(s) >= sizeof buf)
		die_usage("%s: '%s' is too long", opt, s);
	strcpy(buf, s);
	/* the product of the nonzero sizes: a zero size makes an empty
	 * array, but the other sizes still multiply into its row size */
	uint64_t bytes = 1;
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		long long v;
		if (n == max || parse_ll(tok, 0, (long long)NPY_MAX_BYTES,
		    &v) < 0)
			die_usage("%s: '%s' is not a shape (up to %d "
			    "comma-separated sizes)", opt, s, max);
		shape[n++] = (size_t)v;
		if (v == 0)
			continue;
		if (bytes > NPY_MAX_BYTES / (uint64_t)v)
			die_usage("%s: '%s' is too large", opt, s);
		bytes *= (uint64_t)v;
	}
	if (n == 0)
		die_usage("%s: empty shape", opt);
	return n;
}

/*
 * Copy n rows of the current array to stdout, a chunk at a time.  A
 * header h, if given, is written only once the first chunk has been
 * read, so a short stream of small arrays prints nothing before its
 * error.
 */
static void
copy_rows(struct npy_reader *r, size_t n, const struct npy_header *h)
{
	size_t rb = npy_row_bytes(&r->h);
	size_t chunk = rb ? CHUNK_BYTES / rb : n;
	if (chunk == 0)
		chunk = 1;
	if (chunk > n)
		chunk = n;
	void *buf = xmalloc_array(chunk ? chunk : 1, rb ? rb : 1);
	do {
		size_t k = n < chunk ? n : chunk;
		stream_read_rows(r, buf, k);
		if (h) {
			out_header(h);
			h = NULL;
		}
		out_data(buf, k * rb);
		n -= k;
	} while (n > 0);
	free(buf);
}

static void
copy_array(struct npy_reader *r)
{
	struct npy_header h = r->h;
	copy_rows(r, r->rows_left, &h);
}

/* --- info --- */

static int
cmd_info(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "");
	char *text = NULL;
	size_t len = 0, cap = 0;
	int nfiles = argc - i;
	for (int f = 0; f < (nfiles ? nfiles : 1); f++) {
		const char *name;
		FILE *fp = open_in(nfiles ? argv[i + f] : "-", &name);
		struct npy_reader r;
		npy_reader_init(&r, fp, name);
		while (stream_next(&r)) {
			char line[512], hs[256];
			int n = snprintf(line, sizeof line, "%s%s%d %s\n",
			    argc - i > 1 ? name : "", argc - i > 1 ? ": " : "",
			    r.index, npy_header_str(&r.h, hs, sizeof hs));
			if (len + (size_t)n + 1 > cap) {
				cap = (cap + (size_t)n + 1) * 2;
				text = xrealloc(text, cap);
			}
			memcpy(text + len, line, (size_t)n);
			len += (size_t)n;
		}
		if (fp != stdin)
			fclose(fp);
	}
	/* printed only once every stream has been read without error */
	if (len && fwrite(text, 1, len, stdout) != len)
		die_errno("write");
	free(text);
	out_close();
	return EXIT_OK;
}

/* --- take --- */

struct rowspec {
	int range;
	int has_lo, has_hi;
	long long lo, hi;          /* index, or range ends */
};

static struct rowspec *
parse_rows(const char *s, size_t *count)
{
	size_t n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	struct rowspec *spec = xcalloc(n, sizeof *spec);
	char *buf = xmalloc(strlen(s) + 1);
	strcpy(buf, s);
	char *save = buf;
	int bad = 0;
	for (size_t i = 0; i < n && !bad; i++) {
		char *tok = strsep(&save, ",");
		char *colon = strchr(tok, ':');
		if (colon) {
			*colon = '\0';
			spec[i].range = 1;
			spec[i].has_lo = *tok != '\0';
			spec[i].has_hi = colon[1] != '\0';
			bad = (spec[i].has_lo && parse_ll(tok, LLONG_MIN / 2,
			    LLONG_MAX / 2, &spec[i].lo) < 0) ||
			    (spec[i].has_hi && parse_ll(colon + 1,
			    LLONG_MIN / 2, LLONG_MAX / 2, &spec[i].hi) < 0);
		} else {
			bad = parse_ll(tok, LLONG_MIN / 2, LLONG_MAX / 2,
			    &spec[i].lo) < 0;
		}
	}
	free(buf);
	if (bad) {
		/* freed first: the fuzz harness catches the exit and goes on */
		free(spec);
		die_usage("bad ROWS '%s'", s);
	}
	*count = n;
	return spec;
}

/* Resolve against n rows, Python style: ranges clamp, indices must
 * exist.  Returns the row list (count in *m). */
static size_t *
resolve_rows(const struct rowspec *spec, size_t ns, size_t n, size_t *m,
    const struct npy_reader *r, const char *what)
{
	size_t cap = 16, len = 0;
	size_t *rows = xmalloc_array(cap, sizeof *rows);
	long long N = (long long)n;
	for (size_t i = 0; i < ns; i++) {
		long long lo, hi;
		if (spec[i].range) {
			lo = spec[i].has_lo ? spec[i].lo : 0;
			hi = spec[i].has_hi ? spec[i].hi : N;
			if (lo < 0)
				lo += N;
			if (hi < 0)
				hi += N;
			lo = lo < 0 ? 0 : lo > N ? N : lo;
			hi = hi < 0 ? 0 : hi > N ? N : hi;
		} else {
			lo = spec[i].lo < 0 ? spec[i].lo + N : spec[i].lo;
			if (lo < 0 || lo >= N) {
				free(rows);
				die("%s: array %d: %s %lld out of range (%zu "
				    "%ss)", r->name, r->index, what, spec[i].lo, n,
				    what);
			}
			hi = lo + 1;
		}
		for (long long k = lo; k < hi; k++) {
			if (len == cap) {
				cap *= 2;
				rows = xrealloc(rows, cap * sizeof *rows);
			}
			rows[len++] = (size_t)k;
		}
	}
	*m = len;
	return rows;
}

/*
 * A ROWS or COLUMNS operand may start with '-' ("-1", "-5:"), which
 * getopt would take for an option: take it out of argv first.  Returns
 * it, or NULL if there is none.
 */
static const char *
take_negative_spec(int *argc, char **argv)
{
	for (int k = 1; k < *argc; k++) {
		if (strcmp(argv[k], "--") == 0)
			break;
		if (argv[k][0] == '-' && (argv[k][1] == ':' ||
		    (argv[k][1] >= '0' && argv[k][1] <= '9')) &&
		    !(k > 1 && (strcmp(argv[k - 1], "-a") == 0 ||
		    strcmp(argv[k - 1], "--array") == 0))) {
			const char *spec = argv[k];
			memmove(argv + k, argv + k + 1,
			    (size_t)(*argc - k) * sizeof *argv);
			(*argc)--;
			return spec;
		}
	}
	return NULL;
}

static void
take_array(struct npy_reader *r, const struct rowspec *spec, size_t ns)
{
	if (r->h.ndim == 0)
		die("%s: array %d: a scalar has no rows", r->name, r->index);
	size_t m, *rows = resolve_rows(spec, ns, r->h.shape[0], &m, r,
	    "row");
	size_t rb = npy_row_bytes(&r->h);
	int sorted = 1;
	for (size_t i = 1; i < m; i++)
		sorted &= rows[i] >= rows[i - 1];
	struct npy_header h = r->h;
	h.shape[0] = m;
	out_header(&h);
	if (sorted) {
		/* stream: skip to each wanted row, repeat it if asked twice */
		void *row = xmalloc(rb ? rb : 1);
		size_t next = 0;          /* index of the next unread row */
		for (size_t i = 0; i < m; i++) {
			while (next <= rows[i]) {
				stream_read_rows(r, row, 1);
				next++;
			}
			out_data(row, rb);
		}
		free(row);
	} else {
		/* out of order: the whole array in memory */
		char *all = stream_read_all(r);
		for (size_t i = 0; i < m; i++)
			out_data(all + rows[i] * rb, rb);
		free(all);
	}
	free(rows);
}

/*
 * take and cols: parse the index list, then apply `each` to every array
 * (or only array -a K), copying the others through.
 */
static int
cmd_select(int argc, char **argv, const char *cmd, const char *what,
    void (*each)(struct npy_reader *, const struct rowspec *, size_t))
{
	struct opts o;
	const char *spec_arg = take_negative_spec(&argc, argv);
	int i = parse_opts(argc, argv, &o, "a");
	if (spec_arg == NULL) {
		if (i >= argc)
			die_usage("%s: missing %s", cmd, what);
		spec_arg = argv[i++];
	}
	size_t ns;
	struct rowspec *spec = parse_rows(spec_arg, &ns);
	const char *name;
	FILE *fp = open_in(one_file(argc, argv, i, cmd), &name);
	struct npy_reader r;
	npy_reader_init(&r, fp, name);
	out_init();
	int seen = 0;
	while (stream_next(&r)) {
		if (o.array < 0 || r.index == o.array) {
			each(&r, spec, ns);
			seen = 1;
		} else {
			copy_array(&r);
		}
	}
	if (o.array >= 0 && !seen)
		die("%s: no array %lld (the stream has %d)", name, o.array,
		    r.index + 1);
	free(spec);
	out_close();
	return EXIT_OK;
}

static int
cmd_take(int argc, char **argv)
{
	return cmd_select(argc, argv, "take", "ROWS", take_array);
}

/* --- pick --- */

static int
cmd_pick(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "");
	if (i >= argc)
		die_usage("pick: missing K");
	long long k = opt_ll("pick K", argv[i], 0, INT_MAX);
	const char *name;
	FILE *fp = open_in(one_file(argc, argv, i + 1, "pick"), &name);
	struct npy_reader r;
	npy_reader_init(&r, fp, name);
	out_init();
	int seen = 0;
	while (stream_next(&r))
		if (r.index == k) {
			copy_array(&r);
			seen = 1;
		}
	if (!seen)
		die("%s: no array %lld (the stream has %d)", name, k,
		    r.index + 1);
	out_close();
	return EXIT_OK;
}

/* --- cat --- */

static int
cmd_cat(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "");
	int nfiles = argc - i;
	out_init();
	for (int f = 0; f < (nfiles ? nfiles : 1); f++) {
		const char *name;
		FILE *fp = open_in(nfiles ? argv[i + f] : "-", &name);
		struct npy_reader r;
		npy_reader_init(&r, fp, name);
		while (stream_next(&r))
			copy_array(&r);
		if (fp != stdin)
			fclose(fp);
	}
	out_close();
	return EXIT_OK;
}

/* --- join --- */

static int
cmd_join(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "");
	int nf = argc - i, stdin_used = 0;
	if (nf < 1)
		die_usage("join: missing FILE");
	struct npy_reader *r = xcalloc((size_t)nf, sizeof *r);
	for (int f = 0; f < nf; f++) {
		const char *name;
		if (strcmp(argv[i + f], "-") == 0 && stdin_used++)
			die_usage("join: stdin given twice");
		FILE *fp = open_in(argv[i + f], &name);
		npy_reader_init(&r[f], fp, name);
	}
	out_init();
	for (;;) {
		int more = stream_next(&r[0]);
		struct npy_header h = r[0].h;
		for (int f = 1; f < nf; f++) {
			int m = stream_next(&r[f]);
			if (m != more)
				die("%s: %d arrays, but %s has %s", m ?
				    r[0].name : r[f].name, more ?
				    r[f].index + 1 : r[0].index + 1,
				    m ? r[f].name : r[0].name, "more");
			if (!more)
				break;
			const struct npy_header *g = &r[f].h;
			char a[256], b[256];
			int same = g->dtype == h.dtype && g->ndim == h.ndim &&
			    h.ndim > 0;
			for (int d = 1; same && d < h.ndim; d++)
				same = g->shape[d] == h.shape[d];
			if (!same)
				die("%s: array %d is %s, %s has %s: cannot join "
				    "along axis 0", r[f].name, r[f].index,
				    npy_header_str(g, a, sizeof a), r[0].name,
				    npy_header_str(&h, b, sizeof b));
			h.shape[0] += g->shape[0];
		}
		if (!more)
			break;
		if (h.ndim == 0)
			die("%s: array %d: a scalar has no rows", r[0].name,
			    r[0].index);
		out_header(&h);
		for (int f = 0; f < nf; f++)
			copy_rows(&r[f], r[f].rows_left, NULL);
	}
	out_close();
	free(r);
	return EXIT_OK;
}

/* --- rows-cat --- */

/*
 * Every array of the input joined along axis 0.  The header needs the
 * total row count, known only at the end, so the rows are spooled to a
 * temporary file first and copied out after the header.
 */
static int
cmd_rows_cat(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "");
	int nfiles = argc - i;
	struct npy_header h, first;
	int have = 0;
	char a[256], b[256];
	out_init();
	FILE *spool = tmpfile();
	if (spool == NULL)
		die_errno("temporary file");
	char *buf = xmalloc(CHUNK_BYTES);
	for (int f = 0; f < (nfiles ? nfiles : 1); f++) {
		const char *name;
		FILE *fp = open_in(nfiles ? argv[i + f] : "-", &name);
		struct npy_reader r;
		npy_reader_init(&r, fp, name);
		while (stream_next(&r)) {
			const struct npy_header *g = &r.h;
			if (g->ndim == 0)
				die("%s: array %d: a scalar has no rows", name,
				    r.index);
			if (!have) {
				h = first = *g;
				h.shape[0] = 0;
				have = 1;
			}
			int same = g->dtype == h.dtype && g->ndim == h.ndim;
			for (int d = 1; same && d < h.ndim; d++)
				same = g->shape[d] == h.shape[d];
			if (!same)
				die("%s: array %d is %s, the first array is %s: "
				    "cannot join along axis 0", name, r.index,
				    npy_header_str(g, a, sizeof a),
				    npy_header_str(&first, b, sizeof b));
			size_t rb = npy_row_bytes(g), n = g->shape[0];
			size_t chunk = rb ? CHUNK_BYTES / rb : n;
			if (chunk == 0)
				die("%s: array %d: rows over %zu bytes", name,
				    r.index, CHUNK_BYTES);
			for (size_t left = n; left > 0;) {
				size_t k = left < chunk ? left : chunk;
				stream_read_rows(&r, buf, k);
				if (fwrite(buf, 1, k * rb, spool) != k * rb)
					die_errno("temporary file");
				left -= k;
			}
			h.shape[0] += n;
		}
		if (fp != stdin)
			fclose(fp);
	}
	if (!have)
		die("%s: no arrays to join", nfiles ? argv[i] : "stdin");
	if (fflush(spool) != 0)
		die_errno("temporary file");
	rewind(spool);
	out_header(&h);
	size_t got;
	while ((got = fread(buf, 1, CHUNK_BYTES, spool)) > 0)
		out_data(buf, got);
	if (ferror(spool))
		die_errno("temporary file");
	fclose(spool);
	free(buf);
	out_close();
	return EXIT_OK;
}

/* --- cols --- */

static void
cols_array(struct npy_reader *r, const struct rowspec *spec, size_t ns)
{
	if (r->h.ndim < 2)
		die("%s: array %d: %s has no columns", r->name, r->index,
		    r->h.ndim ? "a one-dimensional array" : "a scalar");
	size_t m, *cols = resolve_rows(spec, ns, r->h.shape[1], &m, r,
	    "column");
	size_t inner = npy_row_bytes(&r->h) / (r->h.shape[1] ? r->h.shape[1] :
	    1);
	struct npy_header h = r->h;
	h.shape[1] = m;
	out_header(&h);
	char *row = xmalloc(npy_row_bytes(&r->h) + 1);
	char *out = xmalloc_array(m ? m : 1, inner ? inner : 1);
	for (size_t k = npy_rows(&r->h); k > 0; k--) {
		stream_read_rows(r, row, 1);
		for (size_t j = 0; j < m; j++)
			memcpy(out + j * inner, row + cols[j] * inner, inner);
		out_data(out, m * inner);
	}
	free(row);
	free(out);
	free(cols);
}

static int
cmd_cols(int argc, char **argv)
{
	return cmd_select(argc, argv, "cols", "COLUMNS", cols_array);
}

/* --- cast --- */

static int
is_int(enum npy_dtype t)
{
	return t == NPY_U8 || t == NPY_I32 || t == NPY_I64;
}

static double
get_f64(const void *p, enum npy_dtype t, size_t i)
{
	switch (t) {
	case NPY_U8: return ((const uint8_t *)p)[i];
	case NPY_I32: return ((const int32_t *)p)[i];
	case NPY_I64: return (double)((const int64_t *)p)[i];
	case NPY_F32: return ((const float *)p)[i];
	case NPY_F64: return ((const double *)p)[i];
	}
	return 0;
}

static int64_t
get_i64(const void *p, enum npy_dtype t, size_t i)
{
	switch (t) {
	case NPY_U8: return ((const uint8_t *)p)[i];
	case NPY_I32: return ((const int32_t *)p)[i];
	default: return ((const int64_t *)p)[i];
	}
}

/*
 * Convert n elements, scaling first if asked.  Integer targets take the
 * value truncated toward zero (as NumPy's astype) and must hold it.
 * Returns n, or the index of the first element that does not fit.
 */
static size_t
cast_values(void *dst, enum npy_dtype dt, const void *src,
    enum npy_dtype st, size_t n, int scaled, double scale)
{
	static const double lo[] = { [NPY_U8] = 0, [NPY_I32] = -2147483648.0,
	    [NPY_I64] = -9223372036854775808.0 };
	static const double hi[] = { [NPY_U8] = 256, [NPY_I32] = 2147483648.0,
	    [NPY_I64] = 9223372036854775808.0 };
	for (size_t i = 0; i < n; i++) {
		if (is_int(dt) && is_int(st) && !scaled) {
			int64_t v = get_i64(src, st, i);
			if ((dt == NPY_U8 && (v < 0 || v > 255)) ||
			    (dt == NPY_I32 && (v < INT32_MIN || v > INT32_MAX)))
				return i;
			if (dt == NPY_U8)
				((uint8_t *)dst)[i] = (uint8_t)v;
			else if (dt == NPY_I32)
				((int32_t *)dst)[i] = (int32_t)v;
			else
				((int64_t *)dst)[i] = v;
			continue;
		}
		double v = get_f64(src, st, i);
		if (scaled)
			v *= scale;
		switch (dt) {
		case NPY_F32:
			((float *)dst)[i] = (float)v;
			break;
		case NPY_F64:
			((double *)dst)[i] = v;
			break;
		default:
			v = trunc(v);
			if (!(v >= lo[dt] && v < hi[dt]))
				return i;
			if (dt == NPY_U8)
				((uint8_t *)dst)[i] = (uint8_t)v;
			else if (dt == NPY_I32)
				((int32_t *)dst)[i] = (int32_t)v;
			else
				((int64_t *)dst)[i] = (int64_t)v;
		}
	}
	return n;
}

static void
cast_array(struct npy_reader *r, const struct opts *o)
{
	struct npy_header h = r->h;
	enum npy_dtype dt = o->have_dtype ? o->dtype : r->h.dtype;
	h.dtype = dt;
	if (o->reshape) {
		memset(h.shape, 0, sizeof h.shape);
		h.ndim = parse_shape("--reshape", o->reshape, h.shape,
		    NPY_MAXDIM);
		if (npy_count(&h) != npy_count(&r->h)) {
			char a[256];
			die("%s: array %d: cannot reshape %s to %s", r->name,
			    r->index, npy_header_str(&r->h, a, sizeof a),
			    o->reshape);
		}
	}
	out_header(&h);
	size_t rb = npy_row_bytes(&r->h), cnt = npy_row_count(&r->h);
	size_t n = npy_rows(&r->h);
	size_t chunk = rb ? CHUNK_BYTES / rb : n;
	if (chunk == 0)
		chunk = 1;
	if (chunk > n)
		chunk = n;
	char *in = xmalloc_array(chunk ? chunk : 1, rb ? rb : 1);
	char *out = xmalloc_array((chunk ? chunk : 1) * (cnt ? cnt : 1),
	    npy_dtype_size(dt));
	for (size_t done = 0; done < n;) {
		size_t k = n - done < chunk ? n - done : chunk;
		stream_read_rows(r, in, k);
		size_t bad = cast_values(out, dt, in, r->h.dtype, k * cnt,
		    o->have_scale, o->scale);
		if (bad < k * cnt) {
			double v = get_f64(in, r->h.dtype, bad) *
			    (o->have_scale ? o->scale : 1);
			free(in);
			free(out);
			die("%s: array %d: element %zu (%.17g) does not fit %s",
			    r->name, r->index, done * cnt + bad, v,
			    npy_dtype_name(dt));
		}
		out_data(out, k * cnt * npy_dtype_size(dt));
		done += k;
	}
	free(in);
	free(out);
}

static int
cmd_cast(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "atxR");
	if (!o.have_dtype && !o.have_scale && !o.reshape)
		die_usage("cast: give --dtype, --scale or --reshape");
	const char *name;
	FILE *fp = open_in(one_file(argc, argv, i, "cast"), &name);
	struct npy_reader r;
	npy_reader_init(&r, fp, name);
	out_init();
	int seen = 0;
	while (stream_next(&r)) {
		if (o.array < 0 || r.index == o.array) {
			cast_array(&r, &o);
			seen = 1;
		} else {
			copy_array(&r);
		}
	}
	if (o.array >= 0 && !seen)
		die("%s: no array %lld (the stream has %d)", name, o.array,
		    r.index + 1);
	out_close();
	return EXIT_OK;
}

/* --- print and to-csv --- */

static int
put_value(FILE *fp, enum npy_dtype t, const void *p, size_t i, int prec)
{
	switch (t) {
	case NPY_U8:
		return fprintf(fp, "%u", ((const uint8_t *)p)[i]);
	case NPY_I32:
		return fprintf(fp, "%d", (int)((const int32_t *)p)[i]);
	case NPY_I64:
		return fprintf(fp, "%lld", (long long)((const int64_t *)p)[i]);
	case NPY_F32:
		return fprintf(fp, "%.*g", prec, (double)((const float *)p)[i]);
	case NPY_F64:
		return fprintf(fp, "%.*g", prec, ((const double *)p)[i]);
	}
	return -1;
}

static void
print_row(const struct npy_header *h, const void *row, size_t count,
    const char *sep, int prec)
{
	for (size_t j = 0; j < count; j++)
		if ((j && fputs(sep, stdout) == EOF) ||
		    put_value(stdout, h->dtype, row, j, prec) < 0)
			die_errno("write");
}

static int
cmd_print(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "anp");
	const char *name;
	FILE *fp = open_in(one_file(argc, argv, i, "print"), &name);
	struct npy_reader r;
	npy_reader_init(&r, fp, name);
	int printed = 0, seen = 0;
	while (stream_next(&r)) {
		if (o.array >= 0 && r.index != o.array)
			continue;
		seen = 1;
		if (printed++ && putchar('\n') == EOF)
			die_errno("write");
		size_t n = npy_rows(&r.h), cnt = npy_row_count(&r.h);
		if (n > o.limit)
			n = o.limit;
		void *row = xmalloc(npy_row_bytes(&r.h) + 1);
		for (size_t k = 0; k < n; k++) {
			stream_read_rows(&r, row, 1);
			print_row(&r.h, row, cnt, " ", o.precision);
			if (putchar('\n') == EOF)
				die_errno("write");
		}
		free(row);
	}
	if (o.array >= 0 && !seen)
		die("%s: no array %lld (the stream has %d)", name, o.array,
		    r.index + 1);
	out_close();
	return EXIT_OK;
}

static int
cmd_to_csv(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "aH");
	const char *name;
	FILE *fp = open_in(one_file(argc, argv, i, "to-csv"), &name);
	struct npy_reader r;
	npy_reader_init(&r, fp, name);
	size_t na = 0, nrows = 0;
	struct npy_header *hs = NULL;
	void **data = NULL;
	int *index = NULL;
	/* every array in memory: the columns of a row come from all */
	while (stream_next(&r)) {
		if (o.array >= 0 && r.index != o.array)
			continue;
		size_t n = npy_rows(&r.h);
		if (na && n != nrows)
			die("%s: array %d has %zu rows, array %d has %zu: "
			    "cannot put them side by side", name, r.index, n,
			    index[0], nrows);
		nrows = n;
		hs = xrealloc(hs, (na + 1) * sizeof *hs);
		data = xrealloc(data, (na + 1) * sizeof *data);
		index = xrealloc(index, (na + 1) * sizeof *index);
		hs[na] = r.h;
		index[na] = r.index;
		data[na] = stream_read_all(&r);
		na++;
	}
	if (o.array >= 0 && na == 0)
		die("%s: no array %lld (the stream has %d)", name, o.array,
		    r.index + 1);
	if (o.header) {
		for (size_t a = 0; a < na; a++) {
			size_t cnt = npy_row_count(&hs[a]);
			for (size_t j = 0; j < cnt; j++) {
				int rc = hs[a].ndim <= 1 ?
				    printf("%sa%d", a ? "," : "", index[a]) :
				    printf("%sa%d_%zu", a || j ? "," : "",
				    index[a], j);
				if (rc < 0)
					die_errno("write");
			}
		}
		if (na && putchar('\n') == EOF)
			die_errno("write");
	}
	for (size_t k = 0; k < nrows; k++) {
		for (size_t a = 0; a < na; a++) {
			size_t cnt = npy_row_count(&hs[a]);
			const char *row = (const char *)data[a] +
			    k * npy_row_bytes(&hs[a]);
			if (a && putchar(',') == EOF)
				die_errno("write");
			/* enough digits to read the same value back */
			print_row(&hs[a], row, cnt, ",",
			    hs[a].dtype == NPY_F64 ? 17 : 9);
		}
		if (putchar('\n') == EOF)
			die_errno("write");
	}
	for (size_t a = 0; a < na; a++)
		free(data[a]);
	free(data);
	free(hs);
	free(index);
	out_close();
	return EXIT_OK;
}

/* --- from-text and const --- */

/* One number as dtype t into dst; -1 if it is not one or out of range. */
static int
parse_value(const char *s, enum npy_dtype t, void *dst)
{
	long long v;
	double d;
	switch (t) {
	case NPY_U8:
		if (parse_ll(s, 0, UINT8_MAX, &v) < 0)
			return -1;
		*(uint8_t *)dst = (uint8_t)v;
		return 0;
	case NPY_I32:
		if (parse_ll(s, INT32_MIN, INT32_MAX, &v) < 0)
			return -1;
		*(int32_t *)dst = (int32_t)v;
		return 0;
	case NPY_I64:
		if (parse_ll(s, LLONG_MIN, LLONG_MAX, &v) < 0)
			return -1;
		*(int64_t *)dst = (int64_t)v;
		return 0;
	case NPY_F32:
		if (parse_double(s, -FLT_MAX, FLT_MAX, &d) < 0)
			return -1;
		*(float *)dst = (float)d;
		return 0;
	case NPY_F64:
		if (parse_double(s, -HUGE_VAL, HUGE_VAL, &d) < 0)
			return -1;
		*(double *)dst = d;
		return 0;
	}
	return -1;
}

/*
 * The numbers of a text file: one row per line that has any (blank
 * lines and '#' comments skipped), values split at blanks and commas.
 * On a bad value or a row of another length, returns -1 with where and
 * what in the table (the caller words the message; tt_free after).
 */
struct text_table {
	char *data;               /* [rows, cols] values of the dtype */
	size_t len, rows, cols;   /* len: bytes of data */
	size_t lineno, n, first_line;   /* the failing line, its count */
	const char *bad;          /* the value that is not one, or NULL */
	char *line;
};

static int
text_read(FILE *fp, enum npy_dtype t, struct text_table *tt)
{
	size_t es = npy_dtype_size(t), cap = 0, lcap = 0;
	ssize_t got;
	memset(tt, 0, sizeof *tt);
	while ((got = getline(&tt->line, &lcap, fp)) != -1) {
		char *line = tt->line, *save = line, *tok;
		size_t n = 0;
		tt->lineno++;
		if (line[strspn(line, " \t\r\n")] == '#')
			continue;
		while ((tok = strsep(&save, " \t,\r\n")) != NULL) {
			if (*tok == '\0')
				continue;
			if (tt->len + es > cap) {
				cap = cap ? cap * 2 : 4096;
				tt->data = xrealloc(tt->data, cap);
			}
			if (parse_value(tok, t, tt->data + tt->len) < 0) {
				tt->bad = tok;
				return -1;
			}
			tt->len += es;
			n++;
		}
		if (n == 0)
			continue;
		if (tt->rows == 0) {
			tt->cols = n;
			tt->first_line = tt->lineno;
		} else if (n != tt->cols) {
			tt->n = n;
			return -1;
		}
		tt->rows++;
	}
	return 0;
}

static void
tt_free(struct text_table *tt)
{
	free(tt->data);
	free(tt->line);
	tt->data = tt->line = NULL;
}

static int
cmd_from_text(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "tr");
	enum npy_dtype t = o.have_dtype ? o.dtype : NPY_F32;
	size_t rshape[NPY_MAXDIM] = { 0 };
	int rdim = -1;
	if (o.row_shape)
		rdim = parse_shape("--row-shape", o.row_shape, rshape,
		    NPY_MAXDIM - 1);
	const char *name;
	FILE *fp = open_in(one_file(argc, argv, i, "from-text"), &name);
	struct text_table tt;
	if (text_read(fp, t, &tt) < 0) {
		if (tt.bad)
			die("%s: line %zu: '%s' is not a %s value", name,
			    tt.lineno, tt.bad, npy_dtype_name(t));
		die("%s: line %zu has %zu values, line %zu has %zu", name,
		    tt.lineno, tt.n, tt.first_line, tt.cols);
	}
	if (ferror(fp))
		die_errno("%s", name);
	char *data = tt.data;
	size_t rows = tt.rows, cols = tt.cols;
	tt.data = NULL;
	tt_free(&tt);
	struct npy_header h;
	memset(&h, 0, sizeof h);
	h.dtype = t;
	h.shape[0] = rows;
	if (rdim > 0) {
		size_t want = 1;
		for (int d = 0; d < rdim; d++)
			want *= rshape[d];
		if (rows && want != cols)
			die("%s: rows have %zu values, --row-shape %s needs "
			    "%zu", name, cols, o.row_shape, want);
		h.ndim = 1 + rdim;
		memcpy(h.shape + 1, rshape, (size_t)rdim * sizeof *rshape);
	} else if (cols > 1) {
		h.ndim = 2;
		h.shape[1] = cols;
	} else {
		h.ndim = 1;
	}
	out_init();
	out_array(&h, data ? data : "");
	free(data);
	out_close();
	return EXIT_OK;
}

static int
cmd_const(int argc, char **argv)
{
	struct opts o;
	int i = parse_opts(argc, argv, &o, "ts");
	if (!o.have_dtype)
		die_usage("const: --dtype is required");
	if (!o.shape)
		die_usage("const: --shape is required");
	if (argc - i != 1)
		die_usage("const: expected one VALUE");
	struct npy_header h;
	memset(&h, 0, sizeof h);
	h.dtype = o.dtype;
	h.ndim = parse_shape("--shape", o.shape, h.shape, NPY_MAXDIM);
	char value[8];
	if (parse_value(argv[i], o.dtype, value) < 0)
		die_usage("const: '%s' is not a %s value", argv[i],
		    npy_dtype_name(o.dtype));
	size_t es = npy_dtype_size(o.dtype), total = npy_count(&h);
	size_t chunk = CHUNK_BYTES / es;
	char *buf = xmalloc_array(chunk, es);
	for (size_t k = 0; k < chunk; k++)
		memcpy(buf + k * es, value, es);
	out_init();
	out_header(&h);
	while (total > 0) {
		size_t k = total < chunk ? total : chunk;
		out_data(buf, k * es);
		total -= k;
	}
	free(buf);
	out_close();
	return EXIT_OK;
}

static const struct {
	const char *name;
	int (*run)(int, char **);
} commands[] = {
	{ "info", cmd_info },
	{ "take", cmd_take },
	{ "pick", cmd_pick },
	{ "cat", cmd_cat },
	{ "rows-cat", cmd_rows_cat },
	{ "stack", cmd_rows_cat },
	{ "join", cmd_join },
	{ "cols", cmd_cols },
	{ "cast", cmd_cast },
	{ "print", cmd_print },
	{ "to-csv", cmd_to_csv },
	{ "from-text", cmd_from_text },
	{ "const", cmd_const },
};

int
main(int argc, char **argv)
{
	tool_init("tensor");
	if (argc < 2)
		die_usage("missing command");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		tool_version();
		return EXIT_OK;
	}
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(argv[1], commands[k].name) == 0)
			return commands[k].run(argc - 1, argv + 1);
	if (argv[1][0] == '-')
		die_usage("bad option '%s' (a command comes first)", argv[1]);
	die_usage("unknown command '%s'", argv[1]);
}
