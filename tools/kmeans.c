/*
 * kmeans - k-means clustering of float32 [N,D] points, as scikit-learn
 * 1.2's KMeans (k-means++ seeding, Lloyd iterations, restarts).
 *
 * Writes assignments int32 [N] then centroids float32 [K,D]; the best
 * inertia goes to stderr and --metrics.
 */
#include <getopt.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "kmeans.h"
#include "npy.h"
#include "points.h"
#include "rng.h"
#include "tool.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: kmeans [-qv] [-k K] [--restarts R] "
	    "[--max-iter N] [--tol T]\n"
	    "              [--init FILE] [--seed S] [--threads N] "
	    "[--metrics FILE] [--lloyd]\n"
	    "              [FILE]\n"
	    "  -k K             clusters (default 10)\n"
	    "  --restarts R     k-means++ restarts, best inertia kept "
	    "(default 10)\n"
	    "  --max-iter N     Lloyd iterations per restart (default 300)\n"
	    "  --tol T          stop when the squared centre shift <= T times "
	    "the mean\n"
	    "                   column variance (default 1e-4)\n"
	    "  --init FILE      start from the centres float32 [K,D] in FILE "
	    "(one run)\n"
	    "  --seed S         random seed (default 0)\n"
	    "  --threads N      threads, 0 = all cores (default 0)\n"
	    "  --metrics FILE   write inertia, iterations and k to FILE\n"
	    "  --lloyd          plain Lloyd iterations (no Hamerly bounds)\n"
	    "  -q, --quiet      do not print the inertia on stderr\n"
	    "  -v, --verbose    one line per restart on stderr\n"
	    "Reads float32 [N,D] (a labels array after it is ignored); "
	    "writes\nint32 [N] assignments then float32 [K,D] centroids.\n");
}

int
main(int argc, char **argv)
{
	enum { O_RESTARTS = 256, O_MAXITER, O_TOL, O_INIT, O_SEED,
	    O_THREADS, O_METRICS, O_LLOYD, O_VERSION };
	static const struct option longopts[] = {
		{ "restarts", required_argument, NULL, O_RESTARTS },
		{ "max-iter", required_argument, NULL, O_MAXITER },
		{ "tol", required_argument, NULL, O_TOL },
		{ "init", required_argument, NULL, O_INIT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "lloyd", no_argument, NULL, O_LLOYD },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	size_t K = 10, restarts = 10, max_iter = 300, threads = 0;
	int kset = 0, quiet = 0, verbose = 0, lloyd = 0, c;
	double tol = 1e-4;
	uint64_t seed = 0;
	const char *init = NULL, *metrics = NULL;

	tool_init("kmeans");
	while ((c = getopt_long(argc, argv, "k:qvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			K = opt_size("-k", optarg, 1, (size_t)1 << 31);
			kset = 1;
			break;
		case O_RESTARTS:
			restarts = opt_size("--restarts", optarg, 1, 100000);
			break;
		case O_MAXITER:
			max_iter = opt_size("--max-iter", optarg, 1, 1000000000);
			break;
		case O_TOL: tol = opt_double("--tol", optarg, 0, 1e300); break;
		case O_INIT: init = optarg; break;
		case O_SEED: seed = opt_u64("--seed", optarg); break;
		case O_THREADS:
			threads = opt_size("--threads", optarg, 0, 1024);
			break;
		case O_METRICS: metrics = optarg; break;
		case O_LLOYD: lloyd = 1; break;
		case 'q': quiet = 1; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case O_VERSION: tool_version(); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		die_usage("too many operands");
	out_init();
	blas_init(threads, verbose);

	const char *path = argc ? argv[0] : "-";
	FILE *fp = xfopen(path, "rb");
	struct npy_reader r;
	npy_reader_init(&r, fp, strcmp(path, "-") ? path : "stdin");
	size_t N, D;
	float *X = points_read_float(&r, "points", &N, &D);
	if (stream_next(&r)) {          /* labels: checked, then ignored */
		if (npy_rows(&r.h) != N)
			die("labels: %zu rows, points have %zu",
			    npy_rows(&r.h), N);
		free(stream_read_all(&r));
		stream_end(&r);
	}
	if (N == 0 || D == 0)
		die("points: empty");
	points_check_finite(X, N, D, "points");

	float *C0 = NULL;
	if (init) {
		FILE *ifp = xfopen(init, "rb");
		struct npy_reader ri;
		size_t KI, DI;
		npy_reader_init(&ri, ifp, init);
		C0 = points_read_float(&ri, "init", &KI, &DI);
		stream_end(&ri);
		if (ifp != stdin)
			fclose(ifp);
		if (DI != D)
			die("%s: centres have %zu columns, points have %zu",
			    init, DI, D);
		if (kset && KI != K)
			die("%s: %zu centres, but -k %zu", init, KI, K);
		points_check_finite(C0, KI, DI, init);
		K = KI;
		restarts = 1;
	}
	if (K > N)
		die("k (%zu) exceeds the number of points (%zu)", K, N);

	double *mean = xmalloc_array(D, sizeof *mean);
	double abs_tol = kmeans_tolerance(X, N, D, tol);
	kmeans_center(mean, X, N, D);
	/*
	 * Restarts run in parallel, each on one thread with its own
	 * scratch; restart r draws from rng_split(seed, r), and the lowest
	 * inertia wins (the earliest restart on a tie), so the result does
	 * not depend on the thread count.
	 */
	size_t T = blas_threads() < restarts ? blas_threads() : restarts;
	struct kmeans_ws *ws = xcalloc(T, sizeof *ws);
	for (size_t t = 0; t < T; t++)
		if (kmeans_ws_alloc(&ws[t], N, D, K) < 0)
			die("out of memory for %zu x %zu points, k %zu", N, D, K);
	int32_t *labels = xmalloc_array(restarts * N, sizeof *labels);
	float *C = xmalloc_array(restarts * K * D, sizeof *C);
	struct kmeans_result *res = xcalloc(restarts, sizeof *res);

	#pragma omp parallel for schedule(dynamic, 1) num_threads((int)T)
	for (size_t rs = 0; rs < restarts; rs++) {
		struct kmeans_ws *w = &ws[omp_get_thread_num()];
		float *c0 = C + rs * K * D;
		int32_t *l0 = labels + rs * N;
		if (C0) {
			for (size_t k = 0; k < K; k++)
				for (size_t d = 0; d < D; d++)
					c0[k * D + d] = (float)(C0[k * D + d] -
					    mean[d]);
		} else {
			struct rng g;
			rng_split(&g, seed, rs);
			kmeans_plusplus(c0, w, X, &g);
		}
		res[rs] = lloyd ?
		    kmeans_lloyd(l0, c0, w, X, max_iter, abs_tol) :
		    kmeans_elkan(l0, c0, w, X, max_iter, abs_tol);
	}
	size_t bi = 0;
	for (size_t rs = 0; rs < restarts; rs++) {
		if (verbose)
			fprintf(stderr, "kmeans: restart %zu: inertia %.9g, "
			    "%zu iterations%s\n", rs, res[rs].inertia,
			    res[rs].iters, res[rs].converged ? "" :
			    " (not converged)");
		if (res[rs].inertia < res[bi].inertia)
			bi = rs;
	}
	struct kmeans_result best = res[bi];
	int32_t *best_labels = labels + bi * N;
	float *best_C = C + bi * K * D;
	size_t *size = xcalloc(K, sizeof *size), used = 0;
	for (size_t i = 0; i < N; i++)
		used += size[best_labels[i]]++ == 0;
	if (used < K)       /* as sklearn's ConvergenceWarning */
		warnx("warning: only %zu distinct clusters found for k %zu "
		    "(duplicate points?)", used, K);
	free(size);
	for (size_t k = 0; k < K; k++)
		for (size_t d = 0; d < D; d++)
			best_C[k * D + d] = (float)(best_C[k * D + d] + mean[d]);

	struct npy_header h;
	npy_header_set(&h, NPY_I32, 1, N);
	out_array(&h, best_labels);
	npy_header_set(&h, NPY_F32, 2, K, D);
	out_array(&h, best_C);
	out_close();
	if (!quiet)
		fprintf(stderr, "inertia\t%.17g\n", best.inertia);
	if (metrics) {
		FILE *mf = xfopen(metrics, "w");
		fprintf(mf, "inertia\t%.17g\niterations\t%zu\nk\t%zu\n",
		    best.inertia, best.iters, K);
		if (fflush(mf) != 0 || ferror(mf) || fclose(mf) != 0)
			die_errno("%s", metrics);
	}
	for (size_t t = 0; t < T; t++)
		kmeans_ws_free(&ws[t]);
	free(ws);
	free(res);
	free(X);
	free(C0);
	free(mean);
	free(labels);
	free(C);
	return 0;
}
