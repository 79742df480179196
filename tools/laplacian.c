/*
 * laplacian - Laplacian eigenmaps of a k-NN graph, as scikit-learn 1.2's
 * SpectralEmbedding(affinity='nearest_neighbors', n_neighbors=K).
 *
 * Reads points [N,D] (optional labels [N] after them are passed
 * through) and builds the graph itself, or with --graph a knn-graph
 * stream (indices [N,k], distances [N,k]); writes float32 [N,d].
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
#include "spectral.h"
#include "tool.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: laplacian [-v] [-d DIMS] [-k K] [--graph] "
	    "[--weights connectivity|heat]\n"
	    "                 [--sigma S] [--tol T] [--seed N] "
	    "[--metrics FILE] [--threads N] [FILE]\n"
	    "  -d, --dims DIMS      embedding dimensions (default 2)\n"
	    "  -k, --neighbours K   neighbours per point, the point itself "
	    "included,\n"
	    "                       as sklearn's n_neighbors (default 10)\n"
	    "      --graph          input is a knn-graph stream "
	    "(indices, distances)\n"
	    "      --weights W      connectivity (default) or heat: "
	    "exp(-d^2 / (2 sigma^2))\n"
	    "      --sigma S        heat-kernel width (default: mean "
	    "neighbour distance)\n"
	    "      --tol T          eigensolver residual tolerance "
	    "(default 1e-8)\n"
	    "      --seed N         eigensolver start vector (default 0)\n"
	    "      --metrics FILE   write 'eigenvalue_K<TAB>value' lines\n"
	    "      --threads N      threads (default 0: all cores)\n"
	    "  -v, --verbose        graph and solver statistics on stderr\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dims", required_argument, NULL, 'd' },
		{ "neighbours", required_argument, NULL, 'k' },
		{ "neighbors", required_argument, NULL, 'k' },
		{ "graph", no_argument, NULL, 'G' },
		{ "weights", required_argument, NULL, 'W' },
		{ "sigma", required_argument, NULL, 'S' },
		{ "tol", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "threads", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	size_t d = 2, K = 10, threads = 0;
	int graph = 0, heat = 0, verbose = 0, c;
	double sigma = 0, tol = 1e-8;
	uint64_t seed = 0;
	const char *metrics = NULL;

	tool_init("laplacian");
	while ((c = getopt_long(argc, argv, "d:k:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': d = opt_size("-d", optarg, 1, 1 << 16); break;
		case 'k': K = opt_size("-k", optarg, 2, SIZE_MAX / 64); break;
		case 'G': graph = 1; break;
		case 'W':
			if (strcmp(optarg, "connectivity") == 0)
				heat = 0;
			else if (strcmp(optarg, "heat") == 0)
				heat = 1;
			else
				die_usage("--weights: '%s' is not connectivity or "
				    "heat", optarg);
			break;
		case 'S': sigma = opt_double("--sigma", optarg, 1e-300, 1e300);
			break;
		case 't': tol = opt_double("--tol", optarg, 1e-15, 1e-1); break;
		case 's': seed = opt_u64("--seed", optarg); break;
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
	if (sigma > 0 && !heat)
		die_usage("--sigma needs --weights heat");
	out_init();
	blas_init(threads, verbose);

	const char *name = argc > 0 ? argv[0] : "-";
	FILE *fp = xfopen(name, "rb");
	struct npy_reader r;
	npy_reader_init(&r, fp, strcmp(name, "-") ? name : "stdin");
	struct npy_header h, hl;
	char buf[64];
	size_t N, k;
	int64_t *idx;
	float *dist;
	void *labels = NULL;

	if (graph) {
		idx = stream_read_as(&r, "indices", NPY_I64, &h);
		if (h.ndim != 2 || (r.h.dtype != NPY_I32 && r.h.dtype != NPY_I64))
			die("indices: expected an integer array [N,k], got %s",
			    npy_header_str(&r.h, buf, sizeof buf));
		N = h.shape[0];
		k = h.shape[1];
		dist = stream_read_as(&r, "distances", NPY_F32, &h);
		if (h.ndim != 2 || h.shape[0] != N || h.shape[1] != k)
			die("distances: expected [%zu,%zu], got %s", N, k,
			    npy_header_str(&r.h, buf, sizeof buf));
		stream_end(&r);
		for (size_t i = 0; i < N * k; i++) {
			if (idx[i] < 0 || (size_t)idx[i] >= N)
				die("indices: row %zu: %lld is not in [0, %zu)",
				    i / k, (long long)idx[i], N);
			if (!isfinite(dist[i]) || dist[i] < 0)
				die("distances: row %zu: not a finite distance",
				    i / k);
		}
	} else {
		size_t D;
		float *X = points_read(&r, "points", &N, &D);
		if (stream_next(&r)) {
			hl = r.h;
			if (hl.ndim != 1 || hl.dtype == NPY_F32 ||
			    hl.dtype == NPY_F64)
				die("labels: expected an integer array [N], got %s",
				    npy_header_str(&hl, buf, sizeof buf));
			if (hl.shape[0] != N)
				die("labels: %zu rows, points have %zu",
				    hl.shape[0], N);
			labels = stream_read_all(&r);
		}
		stream_end(&r);
		if (K > N)
			die("-k %zu: only %zu points", K, N);
		k = K - 1;              /* the point itself is the first */
		idx = xmalloc_array(N, k * sizeof *idx);
		dist = xmalloc_array(N, k * sizeof *dist);
		if (knn_search(idx, dist, X, N, X, N, D, k, KNN_EXCLUDE_SELF,
		    NULL) < 0)
			die_errno("knn");
		free(X);
	}
	if (d + 1 > N)
		die("-d %zu: needs at least %zu points, got %zu", d, d + 1, N);
	if (heat && sigma == 0) {
		double s = 0;
		size_t n = 0;
		for (size_t i = 0; i < N * k; i++)
			if ((size_t)idx[i] != i / k) {
				s += dist[i];
				n++;
			}
		sigma = n > 0 && s > 0 ? s / (double)n : 1;
		if (verbose)
			fprintf(stderr, "laplacian: sigma %.9g (mean neighbour "
			    "distance)\n", sigma);
	}

	struct spectral_graph g;
	if (spectral_graph_build(&g, idx, dist, N, k, heat ? sigma : 0) < 0)
		die_errno("graph");
	free(idx), free(dist);
	size_t ncomp = spectral_components(&g, NULL);
	if (ncomp > 1)
		warnx("graph has %zu connected components; the embedding is "
		    "not meaningful across them", ncomp);

	float *Y = xmalloc_array(N, d * sizeof *Y);
	double *lambda = xmalloc_array(d + 1, sizeof *lambda);
	struct spectral_info info;
	if (spectral_embed(Y, lambda, &g, d, tol, seed, &info) < 0)
		die_errno("eigensolver");
	if (!info.converged)
		warnx("eigensolver: not converged after %zu products "
		    "(residual %.3g)", info.matvecs, info.residual);
	if (verbose)
		fprintf(stderr, "laplacian: %zu points, %zu edges, %zu "
		    "component%s, %zu products, %zu restarts, residual %.3g\n",
		    N, g.rowptr[N] / 2, ncomp, ncomp == 1 ? "" : "s",
		    info.matvecs, info.restarts, info.residual);
	spectral_graph_free(&g);

	struct npy_header ho;
	npy_header_set(&ho, NPY_F32, 2, N, d);
	out_array(&ho, Y);
	if (labels != NULL)
		out_array(&hl, labels);
	out_close();
	if (metrics != NULL) {
		FILE *mf = xfopen(metrics, "w");
		for (size_t i = 0; i <= d; i++)
			fprintf(mf, "eigenvalue_%zu\t%.17g\n", i, lambda[i]);
		fprintf(mf, "components\t%zu\n", ncomp);
		if (fflush(mf) != 0 || ferror(mf) || fclose(mf) != 0)
			die_errno("%s", metrics);
	}
	free(Y), free(lambda), free(labels);
	return 0;
}
