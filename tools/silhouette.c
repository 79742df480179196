/*
 * silhouette - mean silhouette coefficient of a clustering (exact,
 * Euclidean), as scikit-learn 1.2's silhouette_score.
 *
 * Reads points float32 [N,D] then labels [N] (any integer dtype) from
 * one stream, or points from POINTS and labels from the first array of
 * LABELS (so kmeans output can be given as it is).  Prints the mean on
 * stdout; --samples writes the per-point values as float64 [N].
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "npy.h"
#include "points.h"
#include "silhouette.h"
#include "tool.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: silhouette [--float64] [--samples FILE] "
	    "[--metrics FILE] [--threads N]\n"
	    "                  [POINTS [LABELS]]\n"
	    "  --samples FILE   write each point's coefficient, float64 [N]\n"
	    "  --metrics FILE   write 'silhouette<TAB>value' (and counts)\n"
	    "  --threads N      threads, 0 = all cores (default 0)\n"
	    "  --float64        float64 GEMM for the distances (default "
	    "float32)\n"
	    "Reads float32 [N,D] points then integer labels [N] from POINTS "
	    "(default\nstdin), or labels from the first array of LABELS; "
	    "prints the mean.\n");
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Dense ids 0..L-1 for arbitrary integer labels (in sorted order). */
static int32_t *
dense_labels(struct npy_reader *r, size_t N, size_t *L)
{
	char buf[64];
	stream_expect(r, "labels");
	struct npy_header h = r->h;
	if (h.dtype == NPY_F32 || h.dtype == NPY_F64)
		die("labels: expected an integer dtype, got %s",
		    npy_header_str(&h, buf, sizeof buf));
	if (!(h.ndim == 1 || (h.ndim == 2 && h.shape[1] == 1)))
		die("labels: expected shape [N], got %s",
		    npy_header_str(&h, buf, sizeof buf));
	if (h.shape[0] != N)
		die("labels: %zu rows, points have %zu", h.shape[0], N);
	void *raw = stream_read_all(r);
	int64_t *v = xmalloc_array(N, sizeof *v);
	int64_t *u = xmalloc_array(N, sizeof *u);
	npy_convert(NPY_I64, v, h.dtype, raw, N);
	free(raw);
	memcpy(u, v, N * sizeof *v);
	qsort(u, N, sizeof *u, cmp_i64);
	size_t n = 0;
	for (size_t i = 0; i < N; i++)
		if (n == 0 || u[i] != u[n - 1])
			u[n++] = u[i];
	int32_t *lab = xmalloc_array(N, sizeof *lab);
	for (size_t i = 0; i < N; i++) {
		int64_t *p = bsearch(&v[i], u, n, sizeof *u, cmp_i64);
		lab[i] = (int32_t)(p - u);
	}
	free(v);
	free(u);
	*L = n;
	return lab;
}

int
main(int argc, char **argv)
{
	enum { O_SAMPLES = 256, O_METRICS, O_THREADS, O_F64, O_VERSION };
	static const struct option longopts[] = {
		{ "samples", required_argument, NULL, O_SAMPLES },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "float64", no_argument, NULL, O_F64 },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *samples = NULL, *metrics = NULL;
	size_t threads = 0;
	int f64 = 0, c;

	tool_init("silhouette");
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case O_SAMPLES: samples = optarg; break;
		case O_METRICS: metrics = optarg; break;
		case O_THREADS:
			threads = opt_size("--threads", optarg, 0, 1024);
			break;
		case O_F64: f64 = 1; break;
		case 'h': usage(stdout); return 0;
		case O_VERSION: tool_version(); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 2)
		die_usage("too many operands");
	blas_init(threads, 0);

	const char *path = argc ? argv[0] : "-";
	struct npy_reader r, rl;
	FILE *fp = xfopen(path, "rb");
	npy_reader_init(&r, fp, strcmp(path, "-") ? path : "stdin");
	size_t N, D;
	float *X = points_read_float(&r, "points", &N, &D);
	points_check_finite(X, N, D, "points");
	size_t L;
	int32_t *lab;
	if (argc == 2) {          /* arrays after the points are ignored */
		FILE *lf = xfopen(argv[1], "rb");
		npy_reader_init(&rl, lf, strcmp(argv[1], "-") ? argv[1] :
		    "stdin");
		lab = dense_labels(&rl, N, &L);   /* later arrays ignored */
	} else {
		lab = dense_labels(&r, N, &L);
		stream_end(&r);
	}
	if (L < 2 || L > N - 1)
		die("labels: %zu distinct labels; need 2 to N - 1 = %zu", L,
		    N ? N - 1 : 0);

	struct silhouette_ws ws;
	if (silhouette_ws_alloc(&ws, X, lab, N, D, L, f64) < 0)
		die("out of memory for %zu x %zu points", N, D);
	double *s = xmalloc_array(N, sizeof *s);
	double mean = silhouette_samples(s, &ws);
	silhouette_ws_free(&ws);

	printf("%.17g\n", mean);
	if (fflush(stdout) != 0 || ferror(stdout))
		die_errno("write");
	if (samples) {
		FILE *sf = xfopen(samples, "wb");
		struct npy_header hs;
		npy_header_set(&hs, NPY_F64, 1, N);
		if (npy_write_header(sf, &hs) < 0 ||
		    npy_write_data(sf, s, N * sizeof *s) < 0 ||
		    fflush(sf) != 0 || fclose(sf) != 0)
			die_errno("%s", samples);
	}
	if (metrics) {
		FILE *mf = xfopen(metrics, "w");
		fprintf(mf, "silhouette\t%.17g\nclusters\t%zu\npoints\t%zu\n",
		    mean, L, N);
		if (fflush(mf) != 0 || ferror(mf) || fclose(mf) != 0)
			die_errno("%s", metrics);
	}
	out_close();
	free(s);
	free(lab);
	free(X);
	return 0;
}
