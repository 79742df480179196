/*
 * plot - figures as PNG: scatter plots of 2-D embeddings, line plots of
 * training logs and ROC curves, image grids, and panels of other PNGs.
 *
 *   plot scatter [options] [FILE ...]   points [N,2], labels [N], marks [k,2]
 *   plot lines   [options]              --csv FILE / --series FILE:LABEL
 *   plot grid    [options] [FILE ...]   images [N,C,H,W] (+ labels [N])
 *   plot panels  [options] PNG ...
 */
#include <ctype.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "axes.h"
#include "canvas.h"
#include "font.h"
#include "png_write.h"
#include "resize.h"
#include "rng.h"
#include "tool.h"

/* matplotlib's default categorical palette "tab10" (Vega category10),
 * from matplotlib/_cm.py _tab10_data. */
static const uint32_t tab10[10] = {
	0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
	0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf,
};

/* CIFAR-10 normalisation (REFERENCE.md). */
static const float cifar_mean[3] = { 0.4914f, 0.4822f, 0.4465f };
static const float cifar_std[3] = { 0.247f, 0.243f, 0.261f };

static void
usage(FILE *fp)
{
	fprintf(fp,
"usage: plot scatter [-o out.png] [options] [FILE ...]\n"
"       plot lines [-o out.png] [options] (--csv FILE | --series FILE:LABEL)...\n"
"       plot grid [-o out.png] [options] [FILE ...]\n"
"       plot panels [-o out.png] [options] PNG ...\n"
"common: -o FILE  --width N  --height N  --title TEXT  -h  --version\n"
"scatter: points float [N,2], then labels int [N], then marks [k,2] (all\n"
"  optional after the points) from the FILEs in order or stdin;\n"
"  --size R --alpha A --order shuffle|label|input --seed S\n"
"  --classes FILE | --class-names a,b,..  --marks FILE\n"
"  --xlim LO,HI --ylim LO,HI --xlabel T --ylabel T --legend WHERE\n"
"  --equal --no-grid --metrics FILE\n"
"lines: --csv FILE (--x COL --y COL,COL,..) | --series FILE:LABEL (--xy I,J)\n"
"  --labels a,b,..  --logy --diagonal --smooth W --linewidth P --markers\n"
"  --mean-by-x\n"
"  --xlim --ylim --xlabel --ylabel --legend WHERE --no-grid --metrics FILE\n"
"grid: images uint8 [N,C,H,W] (C = 1 or 3) or float32 with --denormalize,\n"
"  optionally followed by labels [N]; --cols C --scale S --gap P\n"
"  --row-labels L --col-labels L --cell-labels L (L: FILE or a,b,..)\n"
"  --classes FILE | --class-names a,b,..  --metrics FILE\n"
"panels: --cols C --titles L --gap P\n"
"WHERE: best upper-right upper-left lower-left lower-right outside none\n");
}

/* ---- common options ---------------------------------------------------- */

enum {
	O_WIDTH = 256, O_HEIGHT, O_TITLE, O_XLABEL, O_YLABEL, O_XLIM, O_YLIM,
	O_SIZE, O_ALPHA, O_CLASSES, O_CLASS_NAMES, O_MARKS, O_ORDER, O_SEED,
	O_LEGEND, O_NOGRID, O_METRICS, O_CSV, O_X, O_Y, O_SERIES, O_XY,
	O_LABELS, O_LOGY, O_DIAGONAL, O_SMOOTH, O_LINEWIDTH, O_COLS, O_SCALE,
	O_GAP, O_ROWLABELS, O_COLLABELS, O_CELLLABELS, O_DENORM, O_TITLES,
	O_EQUAL, O_MARKERS, O_MEANX,
	O_VERSION,
};

static const struct option longopts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ "width", required_argument, NULL, O_WIDTH },
	{ "height", required_argument, NULL, O_HEIGHT },
	{ "title", required_argument, NULL, O_TITLE },
	{ "xlabel", required_argument, NULL, O_XLABEL },
	{ "ylabel", required_argument, NULL, O_YLABEL },
	{ "xlim", required_argument, NULL, O_XLIM },
	{ "ylim", required_argument, NULL, O_YLIM },
	{ "size", required_argument, NULL, O_SIZE },
	{ "alpha", required_argument, NULL, O_ALPHA },
	{ "classes", required_argument, NULL, O_CLASSES },
	{ "class-names", required_argument, NULL, O_CLASS_NAMES },
	{ "marks", required_argument, NULL, O_MARKS },
	{ "order", required_argument, NULL, O_ORDER },
	{ "seed", required_argument, NULL, O_SEED },
	{ "legend", required_argument, NULL, O_LEGEND },
	{ "no-grid", no_argument, NULL, O_NOGRID },
	{ "metrics", required_argument, NULL, O_METRICS },
	{ "csv", required_argument, NULL, O_CSV },
	{ "x", required_argument, NULL, O_X },
	{ "y", required_argument, NULL, O_Y },
	{ "series", required_argument, NULL, O_SERIES },
	{ "xy", required_argument, NULL, O_XY },
	{ "labels", required_argument, NULL, O_LABELS },
	{ "logy", no_argument, NULL, O_LOGY },
	{ "diagonal", no_argument, NULL, O_DIAGONAL },
	{ "smooth", required_argument, NULL, O_SMOOTH },
	{ "linewidth", required_argument, NULL, O_LINEWIDTH },
	{ "cols", required_argument, NULL, O_COLS },
	{ "scale", required_argument, NULL, O_SCALE },
	{ "gap", required_argument, NULL, O_GAP },
	{ "row-labels", required_argument, NULL, O_ROWLABELS },
	{ "col-labels", required_argument, NULL, O_COLLABELS },
	{ "cell-labels", required_argument, NULL, O_CELLLABELS },
	{ "denormalize", no_argument, NULL, O_DENORM },
	{ "titles", required_argument, NULL, O_TITLES },
	{ "equal", no_argument, NULL, O_EQUAL },
	{ "markers", no_argument, NULL, O_MARKERS },
	{ "mean-by-x", no_argument, NULL, O_MEANX },
	{ NULL, 0, NULL, 0 },
};

struct opts {
	const char *out, *title, *xlabel, *ylabel, *metrics;
	size_t W, H;
	int has_xlim, has_ylim;
	double xlim[2], ylim[2];
	double size, alpha;
	const char *classes, *class_names, *marks, *order;
	uint64_t seed;
	enum legend_where legend;
	int legend_set, grid;
	const char *csv[16];
	size_t ncsv;
	const char *xcol, *ycols;
	const char *series[16];
	size_t nseries;
	size_t xy[2];
	const char *labels;
	int logy, diagonal, denorm, equal, markers, meanx;
	size_t smooth;
	double linewidth;
	size_t cols, scale, gap;
	int gap_set;
	int W_set;                      /* --width given */
	const char *row_labels, *col_labels, *cell_labels, *titles;
};

/* "LO,HI" with LO < HI. */
static void
parse_lim(const char *opt, const char *arg, double lim[2])
{
	char buf[128];
	char *comma;
	if (strlen(arg) >= sizeof buf || (comma = strchr(strcpy(buf, arg),
	    ',')) == NULL)
		die_usage("%s: expected LO,HI, got '%s'", opt, arg);
	*comma = '\0';
	lim[0] = opt_double(opt, buf, -1e300, 1e300);
	lim[1] = opt_double(opt, comma + 1, -1e300, 1e300);
	if (!(lim[1] > lim[0]))
		die_usage("%s: LO must be below HI, got '%s'", opt, arg);
}

/* Which options each sub-command takes (a letter per option group). */
static int
allowed(const char *cmd, int o)
{
	switch (o) {
	case 'o': case 'h': case O_VERSION: case O_WIDTH: case O_HEIGHT:
	case O_TITLE:
		return 1;
	case O_XLABEL: case O_YLABEL: case O_XLIM: case O_YLIM:
	case O_LEGEND: case O_NOGRID: case O_METRICS:
		return strcmp(cmd, "scatter") == 0 || strcmp(cmd, "lines") == 0 ||
		    (o == O_METRICS && strcmp(cmd, "grid") == 0);
	case O_SIZE: case O_ALPHA: case O_MARKS: case O_ORDER: case O_SEED:
	case O_EQUAL:
		return strcmp(cmd, "scatter") == 0;
	case O_CLASSES: case O_CLASS_NAMES:
		return strcmp(cmd, "scatter") == 0 || strcmp(cmd, "grid") == 0;
	case O_CSV: case O_X: case O_Y: case O_SERIES: case O_XY:
	case O_LABELS: case O_LOGY: case O_DIAGONAL: case O_SMOOTH:
	case O_MARKERS: case O_MEANX:
	case O_LINEWIDTH:
		return strcmp(cmd, "lines") == 0;
	case O_COLS: case O_GAP:
		return strcmp(cmd, "grid") == 0 || strcmp(cmd, "panels") == 0;
	case O_SCALE: case O_ROWLABELS: case O_COLLABELS: case O_CELLLABELS:
	case O_DENORM:
		return strcmp(cmd, "grid") == 0;
	case O_TITLES:
		return strcmp(cmd, "panels") == 0;
	}
	return 0;
}

static void
parse_opts(const char *cmd, int argc, char **argv, struct opts *o)
{
	int c;
	memset(o, 0, sizeof *o);
	o->out = "-";
	o->W = 800;
	o->H = 700;
	o->size = 2;
	o->alpha = 0.5;
	o->order = "shuffle";
	o->grid = 1;
	o->xcol = "step";
	o->xy[0] = 0;
	o->xy[1] = 1;
	o->linewidth = 1.75;
	o->scale = 3;
	o->gap = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		if (c == '?')
			die_usage("%s: bad option", cmd);
		if (!allowed(cmd, c)) {
			const char *name = "?";
			for (const struct option *l = longopts; l->name; l++)
				if (l->val == c)
					name = l->name;
			die_usage("%s: option '--%s' does not apply", cmd,
			    name);
		}
		switch (c) {
		case 'o': o->out = optarg; break;
		case 'h': usage(stdout); exit(EXIT_OK);
		case O_VERSION: tool_version(); exit(EXIT_OK);
		case O_WIDTH: o->W = opt_size("--width", optarg, 64, 8192);
			o->W_set = 1;
			break;
		case O_HEIGHT: o->H = opt_size("--height", optarg, 64, 8192);
			break;
		case O_TITLE: o->title = optarg; break;
		case O_XLABEL: o->xlabel = optarg; break;
		case O_YLABEL: o->ylabel = optarg; break;
		case O_XLIM: parse_lim("--xlim", optarg, o->xlim);
			o->has_xlim = 1; break;
		case O_YLIM: parse_lim("--ylim", optarg, o->ylim);
			o->has_ylim = 1; break;
		case O_SIZE: o->size = opt_double("--size", optarg, 0.25, 50);
			break;
		case O_ALPHA: o->alpha = opt_double("--alpha", optarg, 0.01, 1);
			break;
		case O_CLASSES: o->classes = optarg; break;
		case O_CLASS_NAMES: o->class_names = optarg; break;
		case O_MARKS: o->marks = optarg; break;
		case O_ORDER:
			if (strcmp(optarg, "shuffle") && strcmp(optarg, "label") &&
			    strcmp(optarg, "input"))
				die_usage("--order: expected shuffle, label or "
				    "input, got '%s'", optarg);
			o->order = optarg;
			break;
		case O_SEED: o->seed = opt_u64("--seed", optarg); break;
		case O_LEGEND:
			if (legend_where_parse(optarg, &o->legend) < 0)
				die_usage("--legend: unknown place '%s'", optarg);
			o->legend_set = 1;
			break;
		case O_NOGRID: o->grid = 0; break;
		case O_METRICS: o->metrics = optarg; break;
		case O_CSV:
			if (o->ncsv == 16)
				die_usage("--csv: at most 16 files");
			o->csv[o->ncsv++] = optarg;
			break;
		case O_X: o->xcol = optarg; break;
		case O_Y: o->ycols = optarg; break;
		case O_SERIES:
			if (o->nseries == 16)
				die_usage("--series: at most 16 series");
			if (strchr(optarg, ':') == NULL)
				die_usage("--series: expected FILE:LABEL, got "
				    "'%s'", optarg);
			o->series[o->nseries++] = optarg;
			break;
		case O_XY: {
			char buf[64], *comma;
			if (strlen(optarg) >= sizeof buf || (comma = strchr(
			    strcpy(buf, optarg), ',')) == NULL)
				die_usage("--xy: expected I,J, got '%s'",
				    optarg);
			*comma = '\0';
			o->xy[0] = opt_size("--xy", buf, 0, 1000000);
			o->xy[1] = opt_size("--xy", comma + 1, 0, 1000000);
			break;
		}
		case O_LABELS: o->labels = optarg; break;
		case O_LOGY: o->logy = 1; break;
		case O_DIAGONAL: o->diagonal = 1; break;
		case O_SMOOTH: o->smooth = opt_size("--smooth", optarg, 1,
			    1000000); break;
		case O_LINEWIDTH: o->linewidth = opt_double("--linewidth",
			    optarg, 0.25, 20); break;
		case O_COLS: o->cols = opt_size("--cols", optarg, 1, 1000);
			break;
		case O_SCALE: o->scale = opt_size("--scale", optarg, 1, 32);
			break;
		case O_GAP: o->gap = opt_size("--gap", optarg, 0, 200);
			o->gap_set = 1; break;
		case O_ROWLABELS: o->row_labels = optarg; break;
		case O_COLLABELS: o->col_labels = optarg; break;
		case O_CELLLABELS: o->cell_labels = optarg; break;
		case O_DENORM: o->denorm = 1; break;
		case O_TITLES: o->titles = optarg; break;
		case O_EQUAL: o->equal = 1; break;
		case O_MARKERS: o->markers = 1; break;
		case O_MEANX: o->meanx = 1; break;
		}
	}
	if (o->classes && o->class_names)
		die_usage("--classes and --class-names exclude each other");
	if (strcmp(o->out, "-") == 0 && isatty(STDOUT_FILENO))
		die_usage("refusing to write a PNG to a terminal (use -o FILE)");
}

/* ---- small helpers ----------------------------------------------------- */

struct strlist {
	char **s;
	size_t n;
	char *buf;
};

static void
strlist_free(struct strlist *l)
{
	free(l->s);
	free(l->buf);
	memset(l, 0, sizeof *l);
}

/* Split text on sep into l (the text is copied). */
static void
strlist_split(struct strlist *l, const char *text, char sep)
{
	size_t len = strlen(text), cap = 1;
	for (size_t i = 0; i < len; i++)
		cap += text[i] == sep;
	l->buf = xmalloc(len + 1);
	memcpy(l->buf, text, len + 1);
	l->s = xmalloc_array(cap, sizeof *l->s);
	l->n = 0;
	char *p = l->buf;
	for (;;) {
		char *q = strchr(p, sep);
		l->s[l->n++] = p;
		if (q == NULL)
			break;
		*q = '\0';
		p = q + 1;
	}
}

/* One name per line of path (a final newline is not an empty name). */
static void
strlist_file(struct strlist *l, const char *path)
{
	FILE *fp = xfopen(path, "r");
	size_t cap = 4096, len = 0;
	char *text = xmalloc(cap);
	size_t got;
	while ((got = fread(text + len, 1, cap - len - 1, fp)) > 0) {
		len += got;
		if (cap - len < 2)
			text = xrealloc(text, cap *= 2);
	}
	if (ferror(fp))
		die_errno("%s", path);
	if (fp != stdin)
		fclose(fp);
	text[len] = '\0';
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\r')
			text[i] = ' ';
	if (len == 0)
		die("%s: no names", path);
	strlist_split(l, text, '\n');
	free(text);
}

/* A list option: the lines of ARG if it names an existing file, else
 * ARG split at commas. */
static void
strlist_arg(struct strlist *l, const char *arg)
{
	if (access(arg, R_OK) == 0 && strchr(arg, ',') == NULL)
		strlist_file(l, arg);
	else
		strlist_split(l, arg, ',');
}

/* Several files (or stdin) read as one stream of arrays. */
struct input {
	char **paths;
	size_t n, next;
	FILE *fp;
	int open;
	struct npy_reader r;
};

static char *stdin_path[] = { "-" };

static void
input_init(struct input *in, char **paths, size_t n)
{
	memset(in, 0, sizeof *in);
	in->paths = n ? paths : stdin_path;
	in->n = n ? n : 1;
}

static int
input_next(struct input *in)
{
	for (;;) {
		if (!in->open) {
			if (in->next == in->n)
				return 0;
			const char *p = in->paths[in->next++];
			in->fp = xfopen(p, "rb");
			npy_reader_init(&in->r, in->fp, strcmp(p, "-") ? p :
			    "stdin");
			in->open = 1;
		}
		if (stream_next(&in->r))
			return 1;
		if (in->fp != stdin)
			fclose(in->fp);
		in->open = 0;
	}
}

static void *
input_read(struct input *in, const char *what, struct npy_header *h)
{
	if (!input_next(in))
		die("stream ended before %s", what);
	*h = in->r.h;
	return stream_read_all(&in->r);
}

static void
input_end(struct input *in, const char *after)
{
	if (input_next(in))
		die("%s: unexpected array after %s", in->r.name, after);
}

static int
is_int(enum npy_dtype t)
{
	return t == NPY_U8 || t == NPY_I32 || t == NPY_I64;
}

/* Floats [N,2] as doubles; NaN or Inf is a data error. */
static double *
read_xy(const void *src, const struct npy_header *h, const char *what)
{
	char hs[96];
	if ((h->dtype != NPY_F32 && h->dtype != NPY_F64) || h->ndim != 2 ||
	    h->shape[1] != 2)
		die("%s: expected float32 or float64 [N,2], got %s", what,
		    npy_header_str(h, hs, sizeof hs));
	size_t n = 2 * h->shape[0];
	double *xy = xmalloc_array(n ? n : 1, sizeof *xy);
	npy_convert(NPY_F64, xy, h->dtype, src, n);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(xy[i]))
			die("%s: row %zu is not finite", what, i / 2);
	return xy;
}

static void
write_out(const struct opts *o, const struct canvas *c)
{
	char err[512];
	if (png_write_rgb(o->out, c->rgb, c->W, c->H, err, sizeof err) < 0)
		die("%s", err);
	if (strcmp(o->out, "-") == 0)
		out_close();
}

static FILE *
metrics_open(const struct opts *o)
{
	if (o->metrics == NULL)
		return NULL;
	FILE *fp = fopen(o->metrics, "w");
	if (fp == NULL)
		die_errno("%s", o->metrics);
	return fp;
}

static void
metrics_close(const struct opts *o, FILE *fp)
{
	if (fp && (ferror(fp) | fclose(fp)))
		die_errno("%s", o->metrics);
}

static void
metrics_axes(const struct opts *o, const struct axes *a)
{
	FILE *fp = metrics_open(o);
	if (fp == NULL)
		return;
	fprintf(fp, "plot_left\t%ld\nplot_top\t%ld\nplot_right\t%ld\n"
	    "plot_bottom\t%ld\nx_min\t%.17g\nx_max\t%.17g\ny_min\t%.17g\n"
	    "y_max\t%.17g\n", a->left, a->top, a->right, a->bottom, a->x0,
	    a->x1, a->y0, a->y1);
	metrics_close(o, fp);
}

/* Limits [lo, hi] padded by 5% each side (matplotlib's default margin);
 * a single value gets +-0.5 (+-5% of it on a log axis). */
static void
pad_limits(double *lo, double *hi, int logy)
{
	if (logy) {
		double a = log10(*lo), b = log10(*hi);
		double m = b > a ? 0.05 * (b - a) : 0.05;
		*lo = pow(10, a - m);
		*hi = pow(10, b + m);
		return;
	}
	if (*hi > *lo) {
		double m = 0.05 * (*hi - *lo);
		*lo -= m;
		*hi += m;
	} else {
		*lo -= 0.5;
		*hi += 0.5;
	}
}

static struct canvas
new_canvas(size_t W, size_t H)
{
	struct canvas c;
	if (canvas_init(&c, W, H, 0xffffff) < 0)
		die("out of memory for a %zux%zu image", W, H);
	return c;
}

/* ---- scatter ----------------------------------------------------------- */

/* Stable order by label: counting sort (labels are small and >= 0). */
static void
order_by_label(size_t *idx, const int64_t *lab, size_t n, size_t K)
{
	size_t *start = xcalloc(K + 1, sizeof *start);
	for (size_t i = 0; i < n; i++)
		start[lab[i] + 1]++;
	for (size_t k = 0; k < K; k++)
		start[k + 1] += start[k];
	for (size_t i = 0; i < n; i++)
		idx[start[lab[i]]++] = i;
	free(start);
}

static int
cmd_scatter(int argc, char **argv)
{
	struct opts o;
	parse_opts("scatter", argc, argv, &o);
	struct input in;
	struct npy_header h;
	char hs[96];
	input_init(&in, argv + optind, (size_t)(argc - optind));

	void *raw = input_read(&in, "points", &h);
	size_t N = h.ndim == 2 ? h.shape[0] : 0;
	double *xy = read_xy(raw, &h, "points");
	free(raw);

	int64_t *lab = NULL;
	size_t K = 0;
	double *marks = NULL;
	size_t nmarks = 0;
	if (input_next(&in)) {
		h = in.r.h;
		if (!is_int(h.dtype) || !(h.ndim == 1 || (h.ndim == 2 &&
		    h.shape[1] == 1)))
			die("labels: expected integer [N], got %s",
			    npy_header_str(&h, hs, sizeof hs));
		if (h.shape[0] != N)
			die("labels: %zu labels for %zu points", h.shape[0], N);
		raw = stream_read_all(&in.r);
		lab = xmalloc_array(N ? N : 1, sizeof *lab);
		npy_convert(NPY_I64, lab, h.dtype, raw, N);
		free(raw);
		for (size_t i = 0; i < N; i++) {
			if (lab[i] < 0 || lab[i] > 1000000)
				die("labels: label %lld at row %zu out of range "
				    "[0, 1000000]", (long long)lab[i], i);
			if ((size_t)lab[i] + 1 > K)
				K = (size_t)lab[i] + 1;
		}
		if (input_next(&in)) {
			h = in.r.h;
			raw = stream_read_all(&in.r);
			marks = read_xy(raw, &h, "marks");
			nmarks = h.shape[0];
			free(raw);
			input_end(&in, "marks");
		}
	}
	if (o.marks) {
		if (marks)
			die("marks: given both in the stream and by --marks");
		struct input mi;
		char *p[1] = { (char *)o.marks };
		input_init(&mi, p, 1);
		raw = input_read(&mi, "marks", &h);
		marks = read_xy(raw, &h, o.marks);
		nmarks = h.shape[0];
		free(raw);
		input_end(&mi, "marks");
	}

	struct strlist names = { 0 };
	if (o.classes)
		strlist_file(&names, o.classes);
	else if (o.class_names)
		strlist_split(&names, o.class_names, ',');
	if ((o.classes || o.class_names) && lab == NULL)
		die("class names given but the stream has no labels");
	if (names.n && names.n < K)
		die("classes: %zu names for labels up to %zu", names.n, K - 1);
	if (K > 10)
		warnx("%zu classes: the 10 colours repeat (label %% 10)", K);

	struct axes a = { 0 };
	a.title = o.title;
	a.xlabel = o.xlabel;
	a.ylabel = o.ylabel;
	a.grid = o.grid;
	double lo[2] = { INFINITY, INFINITY }, hi[2] = { -INFINITY, -INFINITY };
	for (size_t i = 0; i < N + nmarks; i++)
		for (int d = 0; d < 2; d++) {
			double v = i < N ? xy[2 * i + d] : marks[2 * (i - N) + d];
			lo[d] = fmin(lo[d], v);
			hi[d] = fmax(hi[d], v);
		}
	if (N + nmarks == 0)
		lo[0] = lo[1] = 0, hi[0] = hi[1] = 1;
	pad_limits(&lo[0], &hi[0], 0);
	pad_limits(&lo[1], &hi[1], 0);
	a.x0 = o.has_xlim ? o.xlim[0] : lo[0];
	a.x1 = o.has_xlim ? o.xlim[1] : hi[0];
	a.y0 = o.has_ylim ? o.ylim[0] : lo[1];
	a.y1 = o.has_ylim ? o.ylim[1] : hi[1];

	/* legend: classes present, in label order */
	size_t *count = xcalloc(K + 1, sizeof *count);
	for (size_t i = 0; lab && i < N; i++)
		count[lab[i]]++;
	struct legend_item *items = xcalloc(K + 1, sizeof *items);
	char (*numbers)[24] = xcalloc(K + 1, sizeof *numbers);
	size_t nitems = 0;
	for (size_t k = 0; k < K; k++) {
		if (!count[k])
			continue;
		snprintf(numbers[k], sizeof numbers[k], "%zu", k);
		items[nitems].label = names.n ? names.s[k] : numbers[k];
		items[nitems].color = tab10[k % 10];
		items[nitems].kind = LEGEND_POINT;
		nitems++;
	}
	enum legend_where where = o.legend_set ? o.legend : LEGEND_OUTSIDE;
	if (nitems == 0)
		where = LEGEND_NONE;
	long lw = 0, lh = 0;
	legend_size(items, nitems, &lw, &lh);
	axes_layout(&a, o.W, o.H, where == LEGEND_OUTSIDE ? lw + 12 : 0);
	/* equal aspect: widen the axis with more pixels per unit (twice,
	 * since new tick labels can move the plot area's left edge) */
	for (int pass = 0; o.equal && pass < 2; pass++) {
		double sx = (double)(a.right - a.left) / (a.x1 - a.x0);
		double sy = (double)(a.bottom - a.top) / (a.y1 - a.y0);
		if (sx > sy) {
			double m = (a.x0 + a.x1) / 2;
			double half = (double)(a.right - a.left) / sy / 2;
			a.x0 = m - half;
			a.x1 = m + half;
		} else {
			double m = (a.y0 + a.y1) / 2;
			double half = (double)(a.bottom - a.top) / sx / 2;
			a.y0 = m - half;
			a.y1 = m + half;
		}
		axes_layout(&a, o.W, o.H, where == LEGEND_OUTSIDE ? lw + 12 :
		    0);
	}

	/* drawing order: shuffled (default), by label, or as given */
	size_t *idx = xmalloc_array(N ? N : 1, sizeof *idx);
	for (size_t i = 0; i < N; i++)
		idx[i] = i;
	if (strcmp(o.order, "shuffle") == 0) {
		struct rng r;
		rng_seed(&r, o.seed);
		rng_shuffle_size(&r, idx, N);
	} else if (strcmp(o.order, "label") == 0 && lab) {
		order_by_label(idx, lab, N, K);
	}

	struct canvas c = new_canvas(o.W, o.H);
	axes_draw_grid(&c, &a);
	canvas_clip(&c, a.left, a.top, a.right, a.bottom);
	for (size_t t = 0; t < N; t++) {
		size_t i = idx[t];
		uint32_t col = lab ? tab10[lab[i] % 10] : tab10[0];
		canvas_disc(&c, axes_px(&a, xy[2 * i]), axes_py(&a,
		    xy[2 * i + 1]), o.size, col, (float)o.alpha);
	}
	double mr = fmax(4, 2.5 * o.size);
	for (size_t i = 0; i < nmarks; i++) {
		double px = axes_px(&a, marks[2 * i]);
		double py = axes_py(&a, marks[2 * i + 1]);
		canvas_disc(&c, px, py, mr + 1.5, 0xffffff, 1);
		canvas_disc(&c, px, py, mr, 0x000000, 1);
	}
	canvas_unclip(&c);
	axes_draw_frame(&c, &a);
	if (where != LEGEND_NONE) {
		long lx, ly;
		double *pxy = NULL;
		size_t np = 0;
		if (where == LEGEND_BEST) {
			pxy = xmalloc_array(2 * (N ? N : 1), sizeof *pxy);
			for (size_t i = 0; i < N; i++) {
				pxy[2 * i] = axes_px(&a, xy[2 * i]);
				pxy[2 * i + 1] = axes_py(&a, xy[2 * i + 1]);
			}
			np = N;
		}
		legend_place(&a, where, lw, lh, pxy, np, &lx, &ly);
		legend_draw(&c, lx, ly, items, nitems);
		free(pxy);
	}
	write_out(&o, &c);
	metrics_axes(&o, &a);
	canvas_free(&c);
	free(idx);
	free(items);
	free(numbers);
	free(count);
	strlist_free(&names);
	free(xy);
	free(lab);
	free(marks);
	return EXIT_OK;
}

/* ---- lines ------------------------------------------------------------- */

struct series {
	char *label;
	double *x, *y;          /* [n] */
	size_t n;
	int dashed;
};

/* Read a CSV file with a header row; add one series per y column. */
static size_t
read_csv(const char *path, const char *xcol, const char *ycols,
    const char *prefix, struct series *out, size_t cap)
{
	FILE *fp = xfopen(path, "r");
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	struct strlist head = { 0 }, want = { 0 };
	if ((len = getline(&line, &lcap, fp)) <= 0) {
		if (ferror(fp))         /* a directory, say */
			die_errno("%s", path);
		die("%s: empty file (expected a header row)", path);
	}
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	strlist_split(&head, line, ',');
	/* default y columns: every column but x */
	if (ycols)
		strlist_split(&want, ycols, ',');
	size_t ny = ycols ? want.n : head.n - 1;
	if (ny == 0)
		die("%s: no y column", path);
	if (ny > cap)
		die("%s: too many series (at most %zu)", path, cap);
	size_t xi = head.n, *yi = xcalloc(ny, sizeof *yi);
	for (size_t j = 0; j < head.n; j++)
		if (strcmp(head.s[j], xcol) == 0)
			xi = j;
	if (xi == head.n)
		die("%s: no column '%s' (x)", path, xcol);
	for (size_t k = 0, j = 0; k < ny; k++) {
		if (ycols) {
			for (yi[k] = 0; yi[k] < head.n; yi[k]++)
				if (strcmp(head.s[yi[k]], want.s[k]) == 0)
					break;
			if (yi[k] == head.n)
				die("%s: no column '%s'", path, want.s[k]);
		} else {
			if (j == xi)
				j++;
			yi[k] = j++;
		}
	}
	size_t n = 0, rcap = 256, lineno = 1;
	double *cols = xmalloc_array(rcap * head.n, sizeof *cols);
	while ((len = getline(&line, &lcap, fp)) > 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if (n == rcap)
			cols = xrealloc(cols, (rcap *= 2) * head.n *
			    sizeof *cols);
		char *p = line;
		size_t f = 0;
		for (;; f++) {
			char *q = strchr(p, ',');
			if (q)
				*q = '\0';
			if (f < head.n) {
				char *end;
				double v = strtod(p, &end);
				while (*end == ' ')
					end++;
				if (end == p || *end != '\0')
					v = NAN;    /* empty or text: a gap */
				cols[n * head.n + f] = v;
			}
			if (q == NULL)
				break;
			p = q + 1;
		}
		if (f + 1 != head.n)
			die("%s:%zu: %zu fields, the header has %zu", path,
			    lineno, f + 1, head.n);
		n++;
	}
	if (ferror(fp))
		die_errno("%s", path);
	if (fp != stdin)
		fclose(fp);
	for (size_t k = 0; k < ny; k++) {
		struct series *s = &out[k];
		const char *name = head.s[yi[k]];
		size_t l = strlen(name) + (prefix ? strlen(prefix) + 1 : 0) + 1;
		s->label = xmalloc(l);
		if (prefix)
			snprintf(s->label, l, "%s %s", prefix, name);
		else
			snprintf(s->label, l, "%s", name);
		s->n = n;
		s->x = xmalloc_array(n ? n : 1, sizeof *s->x);
		s->y = xmalloc_array(n ? n : 1, sizeof *s->y);
		for (size_t i = 0; i < n; i++) {
			s->x[i] = cols[i * head.n + xi];
			s->y[i] = cols[i * head.n + yi[k]];
		}
	}
	free(cols);
	free(yi);
	free(line);
	strlist_free(&head);
	strlist_free(&want);
	return ny;
}

/* A tensor series: FILE:LABEL holding one float array [M,K], K > I,J. */
static void
read_series(const char *spec, const size_t xy[2], struct series *s)
{
	char hs[96];
	const char *colon = strchr(spec, ':');
	size_t plen = (size_t)(colon - spec);
	char *path = xmalloc(plen + 1);
	memcpy(path, spec, plen);
	path[plen] = '\0';
	struct input in;
	struct npy_header h;
	char *p[1] = { path };
	input_init(&in, p, 1);
	void *raw = input_read(&in, "series", &h);
	size_t K = h.ndim == 2 ? h.shape[1] : 0;
	if ((h.dtype != NPY_F32 && h.dtype != NPY_F64) || h.ndim != 2 ||
	    xy[0] >= K || xy[1] >= K)
		die("%s: expected float [M,K] with K > %zu, got %s", path,
		    xy[0] > xy[1] ? xy[0] : xy[1],
		    npy_header_str(&h, hs, sizeof hs));
	input_end(&in, "the series");
	size_t M = h.shape[0];
	double *all = xmalloc_array(M * K + 1, sizeof *all);
	npy_convert(NPY_F64, all, h.dtype, raw, M * K);
	free(raw);
	s->label = xmalloc(strlen(colon + 1) + 1);
	strcpy(s->label, colon + 1);
	s->n = M;
	s->x = xmalloc_array(M ? M : 1, sizeof *s->x);
	s->y = xmalloc_array(M ? M : 1, sizeof *s->y);
	for (size_t i = 0; i < M; i++) {
		s->x[i] = all[i * K + xy[0]];
		s->y[i] = all[i * K + xy[1]];
		if (isinf(s->x[i]) || isinf(s->y[i]))
			die("%s: row %zu is infinite", path, i);
	}
	free(all);
	free(path);
}

/* Replace each run of rows with equal x by one row: that x and the mean
 * of the run's y values (NaN skipped; all NaN gives NaN). */
static void
mean_by_x(struct series *s)
{
	size_t out = 0;
	for (size_t i = 0; i < s->n;) {
		size_t j = i, cnt = 0;
		double sum = 0;
		for (; j < s->n && (s->x[j] == s->x[i] ||
		    (isnan(s->x[j]) && isnan(s->x[i]))); j++)
			if (!isnan(s->y[j])) {
				sum += s->y[j];
				cnt++;
			}
		s->x[out] = s->x[i];
		s->y[out] = cnt ? sum / (double)cnt : NAN;
		out++;
		i = j;
	}
	s->n = out;
}

/* Centred moving average over w points, NaN skipped. */
static void
smooth_series(double *dst, const double *y, size_t n, size_t w)
{
	size_t before = w / 2, after = (w - 1) / 2;
	for (size_t i = 0; i < n; i++) {
		size_t a = i >= before ? i - before : 0;
		size_t b = i + after < n ? i + after : n - 1;
		double sum = 0;
		size_t cnt = 0;
		for (size_t j = a; j <= b; j++)
			if (!isnan(y[j])) {
				sum += y[j];
				cnt++;
			}
		dst[i] = cnt && !isnan(y[i]) ? sum / (double)cnt : NAN;
	}
}

static void
draw_series(struct canvas *c, const struct axes *a, const double *x,
    const double *y, size_t n, double width, uint32_t color, float alpha,
    int dashed, int markers, double *pxy)
{
	for (size_t i = 0; i < n; i++) {
		int ok = !isnan(x[i]) && !isnan(y[i]) && (!a->logy || y[i] > 0);
		pxy[2 * i] = ok ? axes_px(a, x[i]) : NAN;
		pxy[2 * i + 1] = ok ? axes_py(a, y[i]) : NAN;
	}
	canvas_polyline(c, pxy, n, width, color, alpha, dashed ? 6 : 0, 4);
	/* a dot at every point with markers, else at lone points (no
	 * neighbour to draw a line to) */
	for (size_t i = 0; i < n; i++) {
		int prev = i > 0 && !isnan(pxy[2 * i - 1]);
		int next = i + 1 < n && !isnan(pxy[2 * i + 3]);
		if (!isnan(pxy[2 * i + 1]) && (markers || (!prev && !next)))
			canvas_disc(c, pxy[2 * i], pxy[2 * i + 1], markers ?
			    fmax(3, 1.5 * width) : width, color, alpha);
	}
}

/* Append points every few pixels along the drawn path pxy [n,2] (NaN
 * breaks it) to *all, for choosing the legend's corner. */
static void
sample_path(const double *pxy, size_t n, double **all, size_t *nall,
    size_t *cap)
{
	for (size_t i = 0; i < n; i++) {
		double ax = pxy[2 * i], ay = pxy[2 * i + 1];
		if (isnan(ax) || isnan(ay))
			continue;
		double bx = ax, by = ay;
		if (i + 1 < n && !isnan(pxy[2 * i + 2]) &&
		    !isnan(pxy[2 * i + 3])) {
			bx = pxy[2 * i + 2];
			by = pxy[2 * i + 3];
		}
		size_t steps = 1 + (size_t)fmin(2000, hypot(bx - ax, by - ay) /
		    4);
		for (size_t t = 0; t < steps; t++) {
			if (*nall + 2 > *cap)
				*all = xrealloc(*all, (*cap *= 2) * sizeof **all);
			double f = (double)t / (double)steps;
			(*all)[(*nall)++] = ax + f * (bx - ax);
			(*all)[(*nall)++] = ay + f * (by - ay);
		}
	}
}

static int
cmd_lines(int argc, char **argv)
{
	struct opts o;
	parse_opts("lines", argc, argv, &o);
	if (optind != argc)
		die_usage("lines: unexpected argument '%s' (use --csv or "
		    "--series)", argv[optind]);
	if (o.ncsv == 0 && o.nseries == 0)
		die_usage("lines: no data (give --csv FILE or --series "
		    "FILE:LABEL)");
	struct series s[64];
	size_t ns = 0;
	for (size_t i = 0; i < o.ncsv; i++) {
		char prefix[64] = "";
		if (o.ncsv > 1) {       /* "train loss", "test loss" */
			const char *b = strrchr(o.csv[i], '/');
			snprintf(prefix, sizeof prefix, "%s", b ? b + 1 :
			    o.csv[i]);
			char *dot = strrchr(prefix, '.');
			if (dot && dot != prefix)
				*dot = '\0';
		}
		ns += read_csv(o.csv[i], o.xcol, o.ycols, o.ncsv > 1 ? prefix :
		    NULL, s + ns, 48 - ns);
	}
	for (size_t i = 0; i < o.nseries; i++)
		read_series(o.series[i], o.xy, &s[ns++]);
	for (size_t k = 0; o.meanx && k < ns; k++)
		mean_by_x(&s[k]);
	if (o.labels) {
		struct strlist l;
		strlist_split(&l, o.labels, ',');
		if (l.n != ns)
			die_usage("--labels: %zu labels for %zu series", l.n,
			    ns);
		for (size_t i = 0; i < ns; i++) {
			free(s[i].label);
			s[i].label = xmalloc(strlen(l.s[i]) + 1);
			strcpy(s[i].label, l.s[i]);
		}
		strlist_free(&l);
	}

	/* smoothed copies (the raw series is drawn faint behind) */
	double *sm[64] = { 0 };
	size_t maxn = 1;
	for (size_t k = 0; k < ns; k++) {
		if (s[k].n > maxn)
			maxn = s[k].n;
		if (o.smooth > 1) {
			sm[k] = xmalloc_array(s[k].n ? s[k].n : 1,
			    sizeof *sm[k]);
			smooth_series(sm[k], s[k].y, s[k].n, o.smooth);
		}
	}

	struct axes a = { 0 };
	a.title = o.title;
	a.xlabel = o.xlabel ? o.xlabel : o.ncsv ? o.xcol : NULL;
	a.ylabel = o.ylabel;
	a.grid = o.grid;
	a.logy = o.logy;
	double lo[2] = { INFINITY, INFINITY }, hi[2] = { -INFINITY, -INFINITY };
	int nonpos = 0;
	for (size_t k = 0; k < ns; k++)
		for (size_t i = 0; i < s[k].n; i++) {
			double x = s[k].x[i], y = s[k].y[i];
			if (isnan(x) || isnan(y))
				continue;
			if (o.logy && !(y > 0)) {
				nonpos++;
				continue;
			}
			lo[0] = fmin(lo[0], x);
			hi[0] = fmax(hi[0], x);
			lo[1] = fmin(lo[1], y);
			hi[1] = fmax(hi[1], y);
		}
	if (nonpos)
		warnx("--logy: %d values <= 0 left out", nonpos);
	if (!(hi[0] >= lo[0])) {
		if (!(o.has_xlim && o.has_ylim))
			die("lines: no finite data points");
		lo[0] = hi[0] = 0;
		lo[1] = hi[1] = 1;
	}
	pad_limits(&lo[0], &hi[0], 0);
	pad_limits(&lo[1], &hi[1], o.logy);
	a.x0 = o.has_xlim ? o.xlim[0] : lo[0];
	a.x1 = o.has_xlim ? o.xlim[1] : hi[0];
	a.y0 = o.has_ylim ? o.ylim[0] : lo[1];
	a.y1 = o.has_ylim ? o.ylim[1] : hi[1];
	if (o.logy && !(a.y0 > 0))
		die_usage("--ylim: a log axis needs LO > 0");

	struct legend_item items[64];
	for (size_t k = 0; k < ns; k++) {
		items[k].label = s[k].label;
		items[k].color = tab10[k % 10];
		items[k].kind = o.markers ? LEGEND_LINE_POINT : LEGEND_LINE;
	}
	enum legend_where where = o.legend_set ? o.legend : LEGEND_BEST;
	long lw, lh;
	legend_size(items, ns, &lw, &lh);
	axes_layout(&a, o.W, o.H, where == LEGEND_OUTSIDE ? lw + 12 : 0);

	struct canvas c = new_canvas(o.W, o.H);
	axes_draw_grid(&c, &a);
	canvas_clip(&c, a.left, a.top, a.right, a.bottom);
	double *pxy = xmalloc_array(2 * maxn, sizeof *pxy);
	/* every drawn point, for choosing the legend's corner */
	size_t nall = 0, allcap = 1024;
	double *all = xmalloc_array(allcap, sizeof *all);
	if (o.diagonal) {
		double d0 = fmax(a.x0, a.y0), d1 = fmin(a.x1, a.y1);
		double dx[2] = { d0, d1 }, dy[2] = { d0, d1 };
		if (d1 > d0) {
			draw_series(&c, &a, dx, dy, 2, 1.5, 0x808080, 1, 1, 0,
			    pxy);
			sample_path(pxy, 2, &all, &nall, &allcap);
		}
	}
	for (size_t k = 0; k < ns; k++) {
		uint32_t col = tab10[k % 10];
		const double *y = sm[k] ? sm[k] : s[k].y;
		if (sm[k])
			draw_series(&c, &a, s[k].x, s[k].y, s[k].n, 1, col,
			    0.25f, 0, 0, pxy);
		draw_series(&c, &a, s[k].x, y, s[k].n, o.linewidth, col, 1,
		    0, o.markers, pxy);
		sample_path(pxy, s[k].n, &all, &nall, &allcap);
	}
	canvas_unclip(&c);
	axes_draw_frame(&c, &a);
	if (where != LEGEND_NONE && ns > 0) {
		long lx, ly;
		legend_place(&a, where, lw, lh, all, nall / 2, &lx, &ly);
		legend_draw(&c, lx, ly, items, ns);
	}
	write_out(&o, &c);
	metrics_axes(&o, &a);
	canvas_free(&c);
	free(pxy);
	free(all);
	for (size_t k = 0; k < ns; k++) {
		free(s[k].label);
		free(s[k].x);
		free(s[k].y);
		free(sm[k]);
	}
	return EXIT_OK;
}

/* ---- grid -------------------------------------------------------------- */

/* Longest prefix of s that fits in w pixels at scale 1, copied. */
static void
fit_text(char *dst, size_t cap, const char *s, long w)
{
	size_t n = w > 0 ? (size_t)w / FONT_W : 0;
	if (n >= cap)
		n = cap - 1;
	snprintf(dst, n + 1, "%s", s);
}

static int
cmd_grid(int argc, char **argv)
{
	struct opts o;
	char hs[96];
	parse_opts("grid", argc, argv, &o);
	struct input in;
	struct npy_header h;
	input_init(&in, argv + optind, (size_t)(argc - optind));
	void *raw = input_read(&in, "images", &h);
	size_t N, C, IH, IW;
	if (h.ndim == 4 && (h.shape[1] == 1 || h.shape[1] == 3)) {
		N = h.shape[0], C = h.shape[1], IH = h.shape[2], IW = h.shape[3];
	} else if (h.ndim == 3) {
		N = h.shape[0], C = 1, IH = h.shape[1], IW = h.shape[2];
	} else {
		die("images: expected [N,3,H,W], [N,1,H,W] or [N,H,W], got %s",
		    npy_header_str(&h, hs, sizeof hs));
	}
	if (N == 0 || IH == 0 || IW == 0)
		die("images: empty (%s)", npy_header_str(&h, hs, sizeof hs));
	size_t plane = IH * IW;
	uint8_t *img = xmalloc_array(N * 3, plane);   /* [N,3,H,W] */
	if (h.dtype == NPY_U8) {
		if (o.denorm)
			die("images: uint8 images need no --denormalize");
		const uint8_t *src = raw;
		for (size_t n = 0; n < N; n++)
			for (size_t ch = 0; ch < 3; ch++)
				memcpy(img + (n * 3 + ch) * plane, src + (n * C +
				    (C == 3 ? ch : 0)) * plane, plane);
	} else if (h.dtype == NPY_F32 || h.dtype == NPY_F64) {
		if (!o.denorm)
			die("images: %s images need --denormalize (or convert "
			    "them to uint8)", npy_dtype_name(h.dtype));
		if (C != 3)
			die("images: --denormalize uses the CIFAR statistics "
			    "and needs 3 channels");
		float *f = xmalloc_array(N * 3, plane * sizeof *f);
		npy_convert(NPY_F32, f, h.dtype, raw, N * 3 * plane);
		for (size_t n = 0; n < N; n++)
			for (size_t ch = 0; ch < 3; ch++)
				for (size_t i = 0; i < plane; i++) {
					size_t k = (n * 3 + ch) * plane + i;
					if (!isfinite(f[k]))
						die("images: image %zu is not "
						    "finite", n);
					float v = (f[k] * cifar_std[ch] +
					    cifar_mean[ch]) * 255.0f;
					v = v < 0 ? 0 : v > 255 ? 255 : v;
					img[k] = (uint8_t)lrintf(v);
				}
		free(f);
	} else {
		die("images: expected uint8 or float, got %s",
		    npy_dtype_name(h.dtype));
	}
	free(raw);

	int64_t *lab = NULL;
	if (input_next(&in)) {
		h = in.r.h;
		if (!is_int(h.dtype) || h.ndim != 1 || h.shape[0] != N)
			die("labels: expected integer [%zu], got %s", N,
			    npy_header_str(&h, hs, sizeof hs));
		raw = stream_read_all(&in.r);
		lab = xmalloc_array(N, sizeof *lab);
		npy_convert(NPY_I64, lab, h.dtype, raw, N);
		free(raw);
		input_end(&in, "labels");
	}
	struct strlist names = { 0 }, rows = { 0 }, colsl = { 0 }, cells = { 0 };
	if (o.classes)
		strlist_file(&names, o.classes);
	else if (o.class_names)
		strlist_split(&names, o.class_names, ',');
	if (names.n && lab == NULL)
		die("class names given but the stream has no labels");
	if (o.cell_labels && names.n)
		die_usage("--cell-labels and class names exclude each other");
	if (o.row_labels)
		strlist_arg(&rows, o.row_labels);
	if (o.col_labels)
		strlist_arg(&colsl, o.col_labels);
	if (o.cell_labels)
		strlist_arg(&cells, o.cell_labels);
	for (size_t i = 0; names.n && i < N; i++)
		if (lab[i] < 0 || (size_t)lab[i] >= names.n)
			die("labels: label %lld at row %zu has no class name",
			    (long long)lab[i], i);

	size_t cols = o.cols ? o.cols : N < 10 ? N : 10;
	size_t nrows = (N + cols - 1) / cols;
	if (rows.n > nrows)
		die_usage("--row-labels: %zu labels for %zu rows", rows.n, nrows);
	if (colsl.n > cols)
		die_usage("--col-labels: %zu labels for %zu columns", colsl.n,
		    cols);
	if (cells.n > N)
		die_usage("--cell-labels: %zu labels for %zu images", cells.n, N);
	int captions = cells.n > 0 || names.n > 0;
	long S = (long)o.scale, gap = (long)o.gap;
	long cw = (long)IW * S, ch = (long)IH * S;
	long pitch_x = cw + gap;
	long pitch_y = ch + gap + (captions ? FONT_H + 2 : 0);
	long rowlab_w = 0;
	for (size_t r = 0; r < rows.n; r++) {
		long w = (long)font_text_width(rows.s[r], 1);
		if (w > rowlab_w)
			rowlab_w = w;
	}
	long left = 8 + (rows.n ? rowlab_w + 8 : 0);
	long top = 8 + (o.title ? 2 * FONT_H + 8 : 0) +
	    (colsl.n ? FONT_H + 4 : 0);
	long W = left + (long)cols * pitch_x - gap + 8;
	long H = top + (long)nrows * pitch_y - gap + 8;
	if (o.title) {
		long tw = (long)font_text_width(o.title, 2) + 16;
		if (tw > W)
			W = tw;
	}
	if (W > 8192 * 4 || H > 8192 * 4)
		die("grid: %ldx%ld image is too large (fewer --cols or a "
		    "smaller --scale)", W, H);
	struct canvas c = new_canvas((size_t)W, (size_t)H);
	if (o.title) {
		long tw = (long)font_text_width(o.title, 2);
		canvas_text(&c, (W - tw) / 2, 8, o.title, 2, 0);
	}
	for (size_t j = 0; j < colsl.n; j++) {
		long x = left + (long)j * pitch_x;
		char buf[256];
		fit_text(buf, sizeof buf, colsl.s[j], cw + gap);
		long tw = (long)font_text_width(buf, 1);
		canvas_text(&c, x + (cw - tw) / 2, top - FONT_H - 3, buf, 1, 0);
	}
	for (size_t r = 0; r < rows.n; r++)
		canvas_text(&c, left - 8 - (long)font_text_width(rows.s[r], 1),
		    top + (long)r * pitch_y + ch / 2 - 6, rows.s[r], 1, 0);
	for (size_t n = 0; n < N; n++) {
		long x = left + (long)(n % cols) * pitch_x;
		long y = top + (long)(n / cols) * pitch_y;
		canvas_blit(&c, x, y, img + n * 3 * plane, IW, IH, 1, o.scale);
		const char *cap = cells.n > n ? cells.s[n] : names.n ?
		    names.s[lab[n]] : NULL;
		if (cap) {
			char buf[256];
			fit_text(buf, sizeof buf, cap, cw + gap);
			long tw = (long)font_text_width(buf, 1);
			canvas_text(&c, x + (cw - tw) / 2, y + ch + 1, buf, 1,
			    0);
		}
	}
	write_out(&o, &c);
	FILE *mf = metrics_open(&o);
	if (mf) {
		fprintf(mf, "grid_left\t%ld\ngrid_top\t%ld\ncell_width\t%ld\n"
		    "cell_height\t%ld\npitch_x\t%ld\npitch_y\t%ld\n", left, top,
		    cw, ch, pitch_x, pitch_y);
		metrics_close(&o, mf);
	}
	canvas_free(&c);
	free(img);
	free(lab);
	strlist_free(&names);
	strlist_free(&rows);
	strlist_free(&colsl);
	strlist_free(&cells);
	return EXIT_OK;
}

/* ---- panels ------------------------------------------------------------ */

/* Shrink c to width W (the aspect kept), antialiased, plane by plane. */
static void
canvas_shrink(struct canvas *c, size_t W)
{
	size_t H = (c->H * W + c->W / 2) / c->W;
	if (H == 0)
		H = 1;
	struct resize_plan px, py;
	if (resize_plan_make(&px, c->W, W) < 0 ||
	    resize_plan_make(&py, c->H, H) < 0)
		die("out of memory shrinking a %zux%zu image", c->W, c->H);
	uint8_t *in = xcalloc(c->W * c->H, 1);
	uint8_t *tmp = xcalloc(c->H * W, 1);
	uint8_t *out = xcalloc(W * H, 1);
	struct canvas d = new_canvas(W, H);
	for (size_t ch = 0; ch < 3; ch++) {
		for (size_t i = 0; i < c->W * c->H; i++)
			in[i] = c->rgb[3 * i + ch];
		resize_bilinear_u8(out, tmp, in, &px, &py);
		for (size_t i = 0; i < W * H; i++)
			d.rgb[3 * i + ch] = out[i];
	}
	free(in);
	free(tmp);
	free(out);
	resize_plan_free(&px);
	resize_plan_free(&py);
	canvas_free(c);
	*c = d;
}

static int
cmd_panels(int argc, char **argv)
{
	struct opts o;
	parse_opts("panels", argc, argv, &o);
	size_t n = (size_t)(argc - optind);
	if (n == 0)
		die_usage("panels: no PNG files");
	struct strlist titles = { 0 };
	if (o.titles)
		strlist_arg(&titles, o.titles);
	if (titles.n > n)
		die_usage("--titles: %zu titles for %zu panels", titles.n, n);
	uint8_t **px = xcalloc(n, sizeof *px);
	size_t *pw = xcalloc(n, sizeof *pw), *ph = xcalloc(n, sizeof *ph);
	size_t cw = 0, chh = 0;
	for (size_t i = 0; i < n; i++) {
		char err[512];
		if (png_read_rgb(argv[optind + i], &px[i], &pw[i], &ph[i], NULL,
		    err, sizeof err) < 0)
			die("%s", err);
		cw = pw[i] > cw ? pw[i] : cw;
		chh = ph[i] > chh ? ph[i] : chh;
	}
	size_t cols = o.cols ? o.cols : n;
	if (cols > n)
		cols = n;
	size_t nrows = (n + cols - 1) / cols;
	long gap = o.gap_set ? (long)o.gap : 10;
	long th = titles.n ? 2 * FONT_H + 6 : 0;
	long top = o.title ? 8 + 2 * FONT_H + 8 : 0;
	long W = (long)cols * ((long)cw + gap) - gap;
	long H = top + (long)nrows * ((long)chh + th + gap) - gap;
	if (W > 32768 || H > 32768)
		die("panels: %ldx%ld image is too large", W, H);
	struct canvas c = new_canvas((size_t)W, (size_t)H);
	if (o.title) {
		long tw = (long)font_text_width(o.title, 2);
		canvas_text(&c, (W - tw) / 2, 8, o.title, 2, 0);
	}
	for (size_t i = 0; i < n; i++) {
		long x = (long)(i % cols) * ((long)cw + gap);
		long y = top + (long)(i / cols) * ((long)chh + th + gap);
		if (i < titles.n) {
			long tw = (long)font_text_width(titles.s[i], 2);
			canvas_text(&c, x + ((long)cw - tw) / 2, y + 2,
			    titles.s[i], 2, 0);
		}
		canvas_blit(&c, x + (long)(cw - pw[i]) / 2, y + th, px[i],
		    pw[i], ph[i], 0, 1);
		free(px[i]);
	}
	if (o.W_set && c.W > o.W)
		canvas_shrink(&c, o.W);
	write_out(&o, &c);
	canvas_free(&c);
	free(px);
	free(pw);
	free(ph);
	strlist_free(&titles);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	tool_init("plot");
	if (argc < 2)
		die_usage("missing sub-command (scatter, lines, grid or panels)");
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0) {
		tool_version();
		return EXIT_OK;
	}
	if (strcmp(cmd, "scatter") == 0)
		return cmd_scatter(argc - 1, argv + 1);
	if (strcmp(cmd, "lines") == 0)
		return cmd_lines(argc - 1, argv + 1);
	if (strcmp(cmd, "grid") == 0)
		return cmd_grid(argc - 1, argv + 1);
	if (strcmp(cmd, "panels") == 0)
		return cmd_panels(argc - 1, argv + 1);
	die_usage("unknown sub-command '%s'", cmd);
}
