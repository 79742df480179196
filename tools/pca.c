/*
 * pca - exact principal component analysis, as scikit-learn 1.2's PCA.
 *
 * Reads points [N,D] (any dtype; [N,...] is flattened to [N,D]) and an
 * optional labels array [N] that is passed through; writes float32 [N,d]
 * projections onto the d leading principal axes, then the labels.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "npy.h"
#include "pca.h"
#include "points.h"
#include "tool.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: pca [-v] [-d DIMS] [--components FILE] "
	    "[--explained FILE]\n"
	    "           [--metrics FILE] [--threads N] [FILE]\n"
	    "  -d, --dims DIMS        components to keep (default 2)\n"
	    "      --components FILE  write the axes, float32 [d,D]\n"
	    "      --explained FILE   write explained variance ratios, "
	    "float64 [d]\n"
	    "      --metrics FILE     write 'explained_variance_ratio_K<TAB>"
	    "value' lines\n"
	    "      --threads N        threads (default 0: all cores)\n"
	    "  -v, --verbose          timing and BLIS kernels on stderr\n"
	    "Reads points [N,D] (then optional labels [N], passed through) "
	    "from FILE\nor stdin; writes float32 [N,d].\n");
}

static void
write_array_file(const char *path, const struct npy_header *h,
    const void *data)
{
	FILE *fp = xfopen(path, "wb");
	if (npy_write_header(fp, h) < 0 ||
	    npy_write_data(fp, data, npy_count(h) * npy_dtype_size(h->dtype)) < 0
	    || fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)
		die_errno("%s", path);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dims", required_argument, NULL, 'd' },
		{ "components", required_argument, NULL, 'C' },
		{ "explained", required_argument, NULL, 'E' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "threads", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *comp_path = NULL, *expl_path = NULL, *metrics = NULL;
	size_t d = 2, threads = 0;
	int verbose = 0, c;

	tool_init("pca");
	while ((c = getopt_long(argc, argv, "d:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': d = opt_size("-d", optarg, 1, 1 << 20); break;
		case 'C': comp_path = optarg; break;
		case 'E': expl_path = optarg; break;
		case 'M': metrics = optarg; break;
		case 'T': threads = opt_size("--threads", optarg, 0, 1024); break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': tool_version(); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		die_usage("too many operands");
	out_init();
	blas_init(threads, verbose);

	const char *name = argc > 0 ? argv[0] : "-";
	FILE *fp = xfopen(name, "rb");
	struct npy_reader r;
	npy_reader_init(&r, fp, strcmp(name, "-") ? name : "stdin");
	char buf[64];
	size_t N, D;
	float *X = points_read(&r, "points", &N, &D);
	if (N < 2)
		die("points: need at least 2 rows, got %zu", N);
	if (d > D || d > N)
		die("-d %zu: more components than min(N, D) = %zu", d,
		    N < D ? N : D);

	/* optional labels [N], passed through unchanged */
	struct npy_header hl;
	void *labels = NULL;
	if (stream_next(&r)) {
		hl = r.h;
		if (hl.ndim != 1 || hl.dtype == NPY_F32 || hl.dtype == NPY_F64)
			die("labels: expected an integer array [N], got %s",
			    npy_header_str(&hl, buf, sizeof buf));
		if (hl.shape[0] != N)
			die("labels: %zu rows, points have %zu", hl.shape[0], N);
		labels = stream_read_all(&r);
	}
	stream_end(&r);

	float *Y = xmalloc_array(N, d * sizeof *Y);
	float *W = xmalloc_array(d, D * sizeof *W);
	double *var = xmalloc_array(d, sizeof *var);
	double *ratio = xmalloc_array(d, sizeof *ratio);
	if (pca_fit(X, N, D, d, Y, W, var, ratio) < 0)
		die_errno("pca");
	free(X);

	struct npy_header ho;
	npy_header_set(&ho, NPY_F32, 2, N, d);
	out_array(&ho, Y);
	if (labels != NULL)
		out_array(&hl, labels);
	out_close();
	if (comp_path != NULL) {
		npy_header_set(&ho, NPY_F32, 2, d, D);
		write_array_file(comp_path, &ho, W);
	}
	if (expl_path != NULL) {
		npy_header_set(&ho, NPY_F64, 1, d);
		write_array_file(expl_path, &ho, ratio);
	}
	if (metrics != NULL) {
		FILE *mf = xfopen(metrics, "w");
		for (size_t k = 0; k < d; k++)
			fprintf(mf, "explained_variance_ratio_%zu\t%.17g\n", k,
			    ratio[k]);
		for (size_t k = 0; k < d; k++)
			fprintf(mf, "explained_variance_%zu\t%.17g\n", k, var[k]);
		if (fflush(mf) != 0 || ferror(mf) || fclose(mf) != 0)
			die_errno("%s", metrics);
	}
	free(Y), free(W), free(var), free(ratio), free(labels);
	return 0;
}
