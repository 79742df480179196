/* tsne - 2-D t-SNE embedding of float rows (scikit-learn 1.2 defaults). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "npy.h"
#include "tool.h"
#include "tsne.h"

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: tsne [-v] [--perplexity P] [--iterations N]\n"
	    "            [--early-iterations N] [--exaggeration E]\n"
	    "            [--learning-rate R|auto] [--method fft|exact]\n"
	    "            [--init pca|random] [--seed S] [--threads T]\n"
	    "            [--metrics FILE] < points.npy > embedding.npy\n"
	    "Embed float [N,D] rows (optionally followed by labels [N]) in\n"
	    "2-D: writes float32 [N,2], then the labels unchanged.\n"
	    "  --perplexity P        perplexity (30; must be < N)\n"
	    "  --iterations N        total iterations (1000)\n"
	    "  --early-iterations N  early exaggeration iterations (250)\n"
	    "  --exaggeration E      early exaggeration (12)\n"
	    "  --learning-rate R     step size or 'auto' = max(N/E/4, 50)\n"
	    "  --method M            fft (FFT interpolation) or exact (O(N^2))\n"
	    "  --init I              pca (scaled to std 1e-4) or random\n"
	    "  --seed S              seed of the random init (0)\n"
	    "  --threads T           threads, 0 = all cores (0)\n"
	    "  --metrics FILE        write kl_divergence and more, key<TAB>value\n"
	    "  -v, --verbose         progress every 50 iterations on stderr\n"
	    "  -h, --help            this help\n"
	    "      --version         version\n");
}

struct progress {
	int verbose;
	double t0;
};

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void
report(void *ctx, size_t it, double kl)
{
	struct progress *p = ctx;
	if (p->verbose)
		fprintf(stderr, "%s: iteration %zu: KL divergence %.6f "
		    "(%.1f s)\n", progname, it, kl, now() - p->t0);
}

int
main(int argc, char **argv)
{
	enum { O_PERP = 256, O_ITER, O_EARLY, O_EXAG, O_LR, O_METHOD,
		O_INIT, O_SEED, O_THREADS, O_METRICS, O_VERSION };
	static const struct option longopts[] = {
		{ "perplexity", required_argument, NULL, O_PERP },
		{ "iterations", required_argument, NULL, O_ITER },
		{ "early-iterations", required_argument, NULL, O_EARLY },
		{ "exaggeration", required_argument, NULL, O_EXAG },
		{ "learning-rate", required_argument, NULL, O_LR },
		{ "method", required_argument, NULL, O_METHOD },
		{ "init", required_argument, NULL, O_INIT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct tsne_options o;
	const char *metrics = NULL;
	size_t threads = 0;
	struct progress prog = { 0, 0 };
	int c;

	tool_init("tsne");
	tsne_options_default(&o);
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_PERP:
			o.perplexity = opt_double("--perplexity", optarg, 1e-3,
			    1e6);
			break;
		case O_ITER:
			o.iterations = opt_size("--iterations", optarg, 0,
			    100000000);
			break;
		case O_EARLY:
			o.early_iterations = opt_size("--early-iterations",
			    optarg, 0, 100000000);
			break;
		case O_EXAG:
			o.exaggeration = opt_double("--exaggeration", optarg,
			    1e-3, 1e6);
			break;
		case O_LR:
			if (strcmp(optarg, "auto") == 0)
				o.learning_rate = 0;
			else
				o.learning_rate = opt_double("--learning-rate",
				    optarg, 1e-6, 1e9);
			break;
		case O_METHOD:
			if (strcmp(optarg, "fft") == 0)
				o.method = TSNE_FFT;
			else if (strcmp(optarg, "exact") == 0)
				o.method = TSNE_EXACT;
			else
				die_usage("--method: '%s' is not fft or exact",
				    optarg);
			break;
		case O_INIT:
			if (strcmp(optarg, "pca") == 0)
				o.init = TSNE_INIT_PCA;
			else if (strcmp(optarg, "random") == 0)
				o.init = TSNE_INIT_RANDOM;
			else
				die_usage("--init: '%s' is not pca or random",
				    optarg);
			break;
		case O_SEED:
			o.seed = opt_u64("--seed", optarg);
			break;
		case O_THREADS:
			threads = opt_size("--threads", optarg, 0, 4096);
			break;
		case O_METRICS:
			metrics = optarg;
			break;
		case 'v':
			prog.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case O_VERSION:
			tool_version();
			return EXIT_OK;
		default:
			die_usage("unknown option");
		}
	}
	if (optind != argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	out_init();
	blas_init(threads, prog.verbose);

	struct npy_reader r;
	struct npy_header h, lh;
	npy_reader_init(&r, stdin, "stdin");
	float *X = stream_read_as(&r, "the points", NPY_F32, &h);
	if (h.ndim != 2)
		die("points: want a 2-D array [N,D], got %d dimensions",
		    h.ndim);
	size_t N = h.shape[0], D = h.shape[1];
	if (N < 2 || D < 1)
		die("points: want at least 2 rows and 1 column, got [%zu,%zu]",
		    N, D);
	for (size_t i = 0; i < N * D; i++)
		if (!isfinite(X[i]))
			die("points: row %zu column %zu is not finite", i / D,
			    i % D);
	if (o.perplexity >= (double)N)
		die("perplexity %g must be less than the number of points "
		    "(%zu)", o.perplexity, N);
	void *labels = NULL;
	if (stream_next(&r)) {
		lh = r.h;
		if (lh.dtype != NPY_U8 && lh.dtype != NPY_I32 &&
		    lh.dtype != NPY_I64)
			die("labels: want an integer dtype, got %s",
			    npy_dtype_name(lh.dtype));
		if (lh.ndim != 1 || lh.shape[0] != N)
			die("labels: want [%zu], got %d dimensions of %zu "
			    "rows", N, lh.ndim, lh.ndim ? lh.shape[0] : 0);
		labels = stream_read_all(&r);
	}
	stream_end(&r);

	float *Y = xmalloc_array(2 * N, sizeof *Y);
	struct tsne_result res;
	o.progress = report;
	o.progress_ctx = &prog;
	prog.t0 = now();
	if (prog.verbose)
		fprintf(stderr, "%s: %zu points of dimension %zu, %s method, "
		    "perplexity %g\n", progname, N, D,
		    o.method == TSNE_FFT ? "fft" : "exact", o.perplexity);
	if (tsne_run(Y, X, N, D, &o, &res) < 0) {
		if (errno == EINVAL)
			die("points: all rows are equal: no principal axes "
			    "for the PCA init (try --init random)");
		if (errno == ERANGE)
			die("t-SNE: the embedding diverged at iteration %zu "
			    "(non-finite values)%s", res.iterations,
			    o.method == TSNE_FFT ? "; try --method exact" : "");
		die_errno("t-SNE");
	}
	if (prog.verbose)
		fprintf(stderr, "%s: done: %zu iterations, KL divergence %.6f "
		    "(exact), affinities %.1f s, optimisation %.1f s\n",
		    progname, res.iterations, res.kl, res.seconds_affinities,
		    res.seconds_optimize);

	struct npy_header oh;
	npy_header_set(&oh, NPY_F32, 2, N, (size_t)2);
	out_array(&oh, Y);
	if (labels)
		out_array(&lh, labels);
	out_close();

	if (metrics) {
		FILE *fp = xfopen(metrics, "w");
		fprintf(fp, "kl_divergence\t%.9g\n", res.kl);
		fprintf(fp, "iterations\t%zu\n", res.iterations);
		fprintf(fp, "learning_rate\t%.9g\n", res.learning_rate);
		fprintf(fp, "neighbors\t%zu\n", res.neighbors);
		fprintf(fp, "seconds_affinities\t%.3f\n",
		    res.seconds_affinities);
		fprintf(fp, "seconds_optimize\t%.3f\n", res.seconds_optimize);
		if (fflush(fp) != 0 || ferror(fp) ||
		    (fp != stdout && fclose(fp) != 0))
			die_errno("%s", metrics);
	}
	free(X);
	free(Y);
	free(labels);
	return EXIT_OK;
}
