/*
 * knn-graph - exact k nearest neighbours (Euclidean) of every point.
 *
 * Self graph: points [N,D] on stdin (or FILE), each point's k nearest
 * other points.  With --base FILE: the rows on stdin are queries searched
 * in the base.  Writes indices int64 [N,k] then distances float32 [N,k],
 * or with --density the mean distance to the k nearest, float32 [N].
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "knn.h"
#include "npy.h"
#include "points.h"
#include "tool.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: knn-graph [-v] [-k K] [--base FILE] "
	    "[--include-self] [--farthest]\n"
	    "                 [--density] [--index-type int32|int64] "
	    "[--threads N] [FILE]\n"
	    "  -k, --neighbours K     neighbours per point (default 10)\n"
	    "      --base FILE        search these points; FILE/stdin "
	    "holds the queries\n"
	    "      --include-self     a point may be its own neighbour "
	    "(self graph)\n"
	    "      --farthest         the k farthest points instead\n"
	    "      --density          write the mean distance to the k "
	    "nearest, float32 [N]\n"
	    "      --index-type TYPE  int64 (default) or int32 indices\n"
	    "      --threads N        threads (default 0: all cores)\n"
	    "  -v, --verbose          timing, BLIS kernels and fallbacks on "
	    "stderr\n"
	    "Reads points [N,D] (an integer labels array [N] after them is "
	    "read and\nignored); writes indices [N,k] then distances float32 "
	    "[N,k].\n");
}

/* Points [N,D] as float32 (any dtype, [N,...] flattened), finite,
 * optionally followed by an integer labels array [N] that is dropped. */
static float *
read_points(const char *name, const char *what, size_t *N, size_t *D)
{
	FILE *fp = xfopen(name, "rb");
	struct npy_reader r;
	char buf[64];
	npy_reader_init(&r, fp, strcmp(name, "-") ? name : "stdin");
	float *X = points_read(&r, what, N, D);
	if (stream_next(&r)) {
		if (r.h.ndim != 1 || r.h.dtype == NPY_F32 ||
		    r.h.dtype == NPY_F64 || r.h.shape[0] != *N)
			die("%s: after the points expected labels [%zu], got %s",
			    what, *N, npy_header_str(&r.h, buf, sizeof buf));
		free(stream_read_all(&r));
	}
	stream_end(&r);
	if (fp != stdin)
		fclose(fp);
	return X;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "neighbours", required_argument, NULL, 'k' },
		{ "neighbors", required_argument, NULL, 'k' },
		{ "base", required_argument, NULL, 'B' },
		{ "include-self", no_argument, NULL, 'I' },
		{ "farthest", no_argument, NULL, 'F' },
		{ "density", no_argument, NULL, 'D' },
		{ "index-type", required_argument, NULL, 'X' },
		{ "threads", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = NULL;
	size_t k = 10, threads = 0;
	int include_self = 0, farthest = 0, density = 0, verbose = 0, c;
	enum npy_dtype itype = NPY_I64;

	tool_init("knn-graph");
	while ((c = getopt_long(argc, argv, "k:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': k = opt_size("-k", optarg, 1, SIZE_MAX / 64); break;
		case 'B': base = optarg; break;
		case 'I': include_self = 1; break;
		case 'F': farthest = 1; break;
		case 'D': density = 1; break;
		case 'X':
			if (strcmp(optarg, "int64") == 0)
				itype = NPY_I64;
			else if (strcmp(optarg, "int32") == 0)
				itype = NPY_I32;
			else
				die_usage("--index-type: '%s' is not int32 or int64",
				    optarg);
			break;
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
	if (include_self && base != NULL)
		die_usage("--include-self applies to a self graph, not to "
		    "--base");
	if (density && farthest)
		die_usage("--density and --farthest exclude each other");
	if (density && itype != NPY_I64)
		die_usage("--index-type: --density writes no indices");
	out_init();
	blas_init(threads, verbose);

	size_t M, D, N, DB;
	float *Q = read_points(argc > 0 ? argv[0] : "-", "points", &M, &D);
	float *B = Q;
	N = M;
	int flags = farthest ? KNN_FARTHEST : 0;
	if (base != NULL) {
		B = read_points(base, base, &N, &DB);
		if (DB != D)
			die("%s: points have %zu features, queries have %zu",
			    base, DB, D);
	} else if (!include_self) {
		flags |= KNN_EXCLUDE_SELF;
	}
	size_t avail = (flags & KNN_EXCLUDE_SELF) ? N - 1 : N;
	if (k > avail)
		die("-k %zu: only %zu %s point%s to choose from", k, avail,
		    (flags & KNN_EXCLUDE_SELF) ? "other" : "base",
		    avail == 1 ? "" : "s");
	if (itype == NPY_I32 && N > INT32_MAX)
		die("--index-type int32: %zu points exceed its range", N);

	int64_t *idx = xmalloc_array(M, k * sizeof *idx);
	float *dist = xmalloc_array(M, k * sizeof *dist);
	size_t fallbacks = 0;
	if (knn_search(idx, dist, Q, M, B, N, D, k, flags, &fallbacks) < 0)
		die_errno("knn");
	if (verbose)
		fprintf(stderr, "knn-graph: %zu x %zu queries, %zu base, k %zu, "
		    "%zu redone by brute force\n", M, D, N, k, fallbacks);

	struct npy_header ho;
	if (density) {
		float *score = xmalloc_array(M, sizeof *score);
		knn_density(score, idx, Q, M, B, D, k);
		npy_header_set(&ho, NPY_F32, 1, M);
		out_array(&ho, score);
		free(score);
	} else {
		npy_header_set(&ho, itype, 2, M, k);
		if (itype == NPY_I32) {
			int32_t *i32 = xmalloc_array(M, k * sizeof *i32);
			for (size_t i = 0; i < M * k; i++)
				i32[i] = (int32_t)idx[i];
			out_array(&ho, i32);
			free(i32);
		} else {
			out_array(&ho, idx);
		}
		npy_header_set(&ho, NPY_F32, 2, M, k);
		out_array(&ho, dist);
	}
	out_close();
	if (B != Q)
		free(B);
	free(Q), free(idx), free(dist);
	return 0;
}
