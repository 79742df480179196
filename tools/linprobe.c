/*
 * linprobe - train the study's linear probe on train representations and
 * report its accuracy on test representations.
 *
 * TRAIN and TEST each hold float32 [N,D] then integer labels [N]
 * ("-" is stdin).  Linear(D, C) + cross-entropy, Adam (lr 3e-4, wd 1e-6
 * as L2), batch 32, 10 epochs, reshuffled each epoch from --seed.
 * Prints the overall and per-class test accuracy (percent) on stdout.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "linprobe.h"
#include "nn.h"
#include "npy.h"
#include "points.h"
#include "rng.h"
#include "tool.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: linprobe [-v] [--epochs E] [--lr LR] [--batch B] "
	    "[--wd WD] [--standardize]\n"
	    "                [--seed S] [--threads N] [-c C] [--classes FILE]\n"
	    "                [--predictions FILE] [--confusion FILE] "
	    "[--metrics FILE]\n"
	    "                [--init-weights FILE] [--order FILE] "
	    "[--save-weights FILE]\n"
	    "                TRAIN TEST\n"
	    "  --epochs E          passes over TRAIN (default 10)\n"
	    "  --lr LR             Adam learning rate (default 3e-4)\n"
	    "  --batch B           batch size (default 32)\n"
	    "  --wd WD             weight decay added to the gradient "
	    "(default 1e-6)\n"
	    "  --standardize       z-score features with TRAIN's mean and std\n"
	    "  --seed S            initialisation and shuffles (default 0)\n"
	    "  --threads N         threads (default 1)\n"
	    "  -c, --num-classes C classes (default: largest label + 1)\n"
	    "  --classes FILE      class names, one per line\n"
	    "  --predictions FILE  write predicted classes, int32 [Ntest]\n"
	    "  --confusion FILE    write counts int64 [C,C] (true, predicted)\n"
	    "  --metrics FILE      write accuracy and loss lines\n"
	    "  --init-weights FILE start from W float32 [C,D], b float32 [C]\n"
	    "  --order FILE        sample order per epoch, integers [E,Ntrain]\n"
	    "  --save-weights FILE write the trained W [C,D] and b [C]\n"
	    "  -v, --verbose       mean loss per epoch on stderr\n");
}

struct set {
	const char *name;
	float *X;             /* [N,D] */
	int32_t *y;           /* [N] */
	size_t N, D;
	int64_t ymax;
};

static void
read_set(struct set *s, const char *path, const char *what)
{
	char buf[64];
	struct npy_reader r;
	FILE *fp = xfopen(path, "rb");
	npy_reader_init(&r, fp, strcmp(path, "-") ? path : "stdin");
	s->name = what;
	s->X = points_read_float(&r, what, &s->N, &s->D);
	points_check_finite(s->X, s->N, s->D, what);
	if (stream_next(&r) == 0)
		die("%s: stream ended before the labels", what);
	struct npy_header h = r.h;
	if (h.dtype == NPY_F32 || h.dtype == NPY_F64)
		die("%s: labels: expected an integer dtype, got %s", what,
		    npy_header_str(&h, buf, sizeof buf));
	if (!(h.ndim == 1 || (h.ndim == 2 && h.shape[1] == 1)))
		die("%s: labels: expected shape [N], got %s", what,
		    npy_header_str(&h, buf, sizeof buf));
	if (h.shape[0] != s->N)
		die("%s: labels: %zu rows, points have %zu", what, h.shape[0],
		    s->N);
	void *raw = stream_read_all(&r);
	stream_end(&r);
	if (fp != stdin)
		fclose(fp);
	int64_t *v = xmalloc_array(s->N, sizeof *v);
	npy_convert(NPY_I64, v, h.dtype, raw, s->N);
	free(raw);
	s->y = xmalloc_array(s->N, sizeof *s->y);
	s->ymax = -1;
	for (size_t i = 0; i < s->N; i++) {
		if (v[i] < 0 || v[i] > INT32_MAX - 1)
			die("%s: labels: row %zu: %lld is out of range", what,
			    i, (long long)v[i]);
		s->y[i] = (int32_t)v[i];
		s->ymax = v[i] > s->ymax ? v[i] : s->ymax;
	}
	free(v);
}

static char **
read_names(const char *path, size_t *n)
{
	FILE *fp = xfopen(path, "r");
	char **names = NULL, *line = NULL;
	size_t cap = 0, len = 0;
	ssize_t got;
	*n = 0;
	while ((got = getline(&line, &cap, fp)) != -1) {
		while (got > 0 && (line[got - 1] == '\n' ||
		    line[got - 1] == '\r'))
			line[--got] = '\0';
		names = xrealloc(names, (len + 1) * sizeof *names);
		names[len++] = line;
		line = NULL;
		cap = 0;
	}
	free(line);
	if (ferror(fp))
		die_errno("%s", path);
	if (fp != stdin)
		fclose(fp);
	if (len == 0)
		die("%s: no class names", path);
	*n = len;
	return names;
}

static void
write_array(const char *path, const struct npy_header *h, const void *d)
{
	FILE *fp = xfopen(path, "wb");
	size_t bytes = npy_count(h) * npy_dtype_size(h->dtype);
	if (npy_write_header(fp, h) < 0 || npy_write_data(fp, d, bytes) < 0 ||
	    fflush(fp) != 0 || ferror(fp))
		die_errno("%s", path);
	if (fp != stdout && fclose(fp) != 0)
		die_errno("%s", path);
}

int
main(int argc, char **argv)
{
	enum { O_EPOCHS = 256, O_LR, O_BATCH, O_WD, O_STD, O_SEED,
	    O_THREADS, O_CLASSES, O_PRED, O_CONF, O_METRICS, O_INITW,
	    O_ORDER, O_SAVEW, O_VERSION };
	static const struct option longopts[] = {
		{ "epochs", required_argument, NULL, O_EPOCHS },
		{ "lr", required_argument, NULL, O_LR },
		{ "batch", required_argument, NULL, O_BATCH },
		{ "wd", required_argument, NULL, O_WD },
		{ "standardize", no_argument, NULL, O_STD },
		{ "seed", required_argument, NULL, O_SEED },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "num-classes", required_argument, NULL, 'c' },
		{ "classes", required_argument, NULL, O_CLASSES },
		{ "predictions", required_argument, NULL, O_PRED },
		{ "confusion", required_argument, NULL, O_CONF },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "init-weights", required_argument, NULL, O_INITW },
		{ "order", required_argument, NULL, O_ORDER },
		{ "save-weights", required_argument, NULL, O_SAVEW },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	size_t epochs = 10, batch = 32, threads = 1, C = 0;
	int standardize = 0, verbose = 0, c;
	uint64_t seed = 0;
	struct adam_params ap;
	const char *classes = NULL, *predictions = NULL, *confusion = NULL;
	const char *metrics = NULL, *initw = NULL, *orderf = NULL;
	const char *savew = NULL;
	char buf[64];

	adam_params_default(&ap);
	tool_init("linprobe");
	while ((c = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case O_EPOCHS:
			epochs = opt_size("--epochs", optarg, 0, 1000000);
			break;
		case O_LR: ap.lr = opt_double("--lr", optarg, 0, 1e6); break;
		case O_BATCH:
			batch = opt_size("--batch", optarg, 1, 1 << 24);
			break;
		case O_WD:
			ap.weight_decay = opt_double("--wd", optarg, 0, 1e6);
			break;
		case O_STD: standardize = 1; break;
		case O_SEED: seed = opt_u64("--seed", optarg); break;
		case O_THREADS:
			threads = opt_size("--threads", optarg, 0, 1024);
			break;
		case 'c': C = opt_size("-c", optarg, 1, 1 << 20); break;
		case O_CLASSES: classes = optarg; break;
		case O_PRED: predictions = optarg; break;
		case O_CONF: confusion = optarg; break;
		case O_METRICS: metrics = optarg; break;
		case O_INITW: initw = optarg; break;
		case O_ORDER: orderf = optarg; break;
		case O_SAVEW: savew = optarg; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case O_VERSION: tool_version(); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		die_usage("need TRAIN and TEST files");
	if (strcmp(argv[0], "-") == 0 && strcmp(argv[1], "-") == 0)
		die_usage("TRAIN and TEST cannot both be stdin");
	blas_init(threads, 0);

	struct set tr, te;
	read_set(&tr, argv[0], "train");
	read_set(&te, argv[1], "test");
	if (tr.N == 0)
		die("train: no rows");
	if (te.D != tr.D)
		die("test: %zu features, train has %zu", te.D, tr.D);
	size_t D = tr.D, nnames = 0;
	char **names = classes ? read_names(classes, &nnames) : NULL;
	if (C == 0)
		C = nnames ? nnames : (size_t)(tr.ymax > te.ymax ? tr.ymax :
		    te.ymax) + 1;
	if (nnames && nnames != C)
		die("%s: %zu names for %zu classes", classes, nnames, C);
	if ((size_t)tr.ymax >= C)
		die("train: labels: %lld is out of range for %zu classes",
		    (long long)tr.ymax, C);
	if (te.ymax >= 0 && (size_t)te.ymax >= C)
		die("test: labels: %lld is out of range for %zu classes",
		    (long long)te.ymax, C);

	if (standardize) {
		double *mean = xmalloc_array(D, sizeof *mean);
		double *sd = xmalloc_array(D, sizeof *sd);
		linprobe_stats(mean, sd, tr.X, tr.N, D);
		linprobe_standardize(tr.X, mean, sd, tr.N, D);
		linprobe_standardize(te.X, mean, sd, te.N, D);
		free(mean);
		free(sd);
	}

	struct linprobe p;
	if (linprobe_alloc(&p, D, C, batch) < 0)
		die("out of memory");
	if (initw) {
		struct npy_reader r;
		FILE *fp = xfopen(initw, "rb");
		npy_reader_init(&r, fp, initw);
		struct npy_header hw, hb;
		float *w = stream_read_as(&r, "weights", NPY_F32, &hw);
		float *b = stream_read_as(&r, "bias", NPY_F32, &hb);
		stream_end(&r);
		if (fp != stdin)
			fclose(fp);
		if (hw.ndim != 2 || hw.shape[0] != C || hw.shape[1] != D ||
		    npy_count(&hb) != C)
			die("%s: expected float32 [%zu,%zu] then [%zu], got %s",
			    initw, C, D, C, npy_header_str(&hw, buf,
			    sizeof buf));
		memcpy(p.W, w, C * D * sizeof *w);
		memcpy(p.b, b, C * sizeof *b);
		free(w);
		free(b);
	} else {
		struct rng g;
		rng_split(&g, seed, 0);
		init_default_layer(p.W, C * D, p.b, C, D, &g);
	}
	int64_t *given = NULL;
	if (orderf) {
		struct npy_reader r;
		FILE *fp = xfopen(orderf, "rb");
		npy_reader_init(&r, fp, orderf);
		struct npy_header ho;
		stream_expect(&r, "order");
		if (r.h.dtype == NPY_F32 || r.h.dtype == NPY_F64)
			die("%s: expected integers, got %s", orderf,
			    npy_header_str(&r.h, buf, sizeof buf));
		ho = r.h;
		void *raw = stream_read_all(&r);
		stream_end(&r);
		if (fp != stdin)
			fclose(fp);
		size_t n = npy_count(&ho);
		if (n < epochs * tr.N)
			die("%s: %zu indices, %zu epochs of %zu need %zu",
			    orderf, n, epochs, tr.N, epochs * tr.N);
		given = xmalloc_array(n, sizeof *given);
		npy_convert(NPY_I64, given, ho.dtype, raw, n);
		free(raw);
		for (size_t i = 0; i < n; i++)
			if (given[i] < 0 || (uint64_t)given[i] >= tr.N)
				die("%s: index %lld at %zu is out of range",
				    orderf, (long long)given[i], i);
	}

	size_t *order = xmalloc_array(tr.N, sizeof *order);
	double loss = 0;
	for (size_t e = 0; e < epochs; e++) {
		if (given) {
			for (size_t i = 0; i < tr.N; i++)
				order[i] = (size_t)given[e * tr.N + i];
		} else {
			struct rng g;
			rng_split(&g, seed, 1 + e);
			for (size_t i = 0; i < tr.N; i++)
				order[i] = i;
			rng_shuffle_size(&g, order, tr.N);
		}
		loss = linprobe_epoch(&p, tr.X, tr.y, order, tr.N, &ap);
		if (verbose)
			fprintf(stderr, "linprobe: epoch %zu: loss %.6f\n",
			    e + 1, loss);
	}

	int32_t *pred = xmalloc_array(te.N ? te.N : 1, sizeof *pred);
	linprobe_predict(pred, &p, te.X, te.N);
	int64_t *conf = xcalloc(C * C, sizeof *conf);
	size_t right = 0;
	for (size_t i = 0; i < te.N; i++) {
		conf[(size_t)te.y[i] * C + (size_t)pred[i]]++;
		right += pred[i] == te.y[i];
	}
	double acc = te.N ? 100.0 * (double)right / (double)te.N : NAN;
	printf("accuracy\t%.2f\n", acc);
	for (size_t k = 0; k < C; k++) {
		int64_t n = 0;
		for (size_t j = 0; j < C; j++)
			n += conf[k * C + j];
		if (names)
			printf("%s\t", names[k]);
		else
			printf("%zu\t", k);
		if (n)
			printf("%.2f\n", 100.0 * (double)conf[k * C + k] /
			    (double)n);
		else
			printf("-\n");
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		die_errno("write");

	struct npy_header h;
	if (predictions) {
		npy_header_set(&h, NPY_I32, 1, te.N);
		write_array(predictions, &h, pred);
	}
	if (confusion) {
		npy_header_set(&h, NPY_I64, 2, C, C);
		write_array(confusion, &h, conf);
	}
	if (savew) {
		FILE *fp = xfopen(savew, "wb");
		struct npy_header hb;
		npy_header_set(&h, NPY_F32, 2, C, D);
		npy_header_set(&hb, NPY_F32, 1, C);
		if (npy_write_header(fp, &h) < 0 ||
		    npy_write_data(fp, p.W, C * D * sizeof *p.W) < 0 ||
		    npy_write_header(fp, &hb) < 0 ||
		    npy_write_data(fp, p.b, C * sizeof *p.b) < 0 ||
		    fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)
			die_errno("%s", savew);
	}
	if (metrics) {
		FILE *mf = xfopen(metrics, "w");
		fprintf(mf, "accuracy\t%.4f\ntrain_loss\t%.9g\n", acc, loss);
		if (fflush(mf) != 0 || ferror(mf) || fclose(mf) != 0)
			die_errno("%s", metrics);
	}
	out_close();
	for (size_t k = 0; k < nnames; k++)
		free(names[k]);
	free(names);
	free(given);
	free(order);
	free(pred);
	free(conf);
	linprobe_free(&p);
	free(tr.X);
	free(tr.y);
	free(te.X);
	free(te.y);
	return 0;
}
