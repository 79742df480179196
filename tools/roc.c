/*
 * roc - ROC curve points and AUC of binary scores, as scikit-learn 1.2.
 *
 * Reads scores [N] (any dtype) then labels [N] (0 or 1, any dtype) from
 * one stream, or scores from FILE and labels from LABELS; writes
 * float64 [M,3] rows (threshold, fpr, tpr); AUC on stderr and --metrics.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "roc.h"
#include "tool.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: roc [-aq] [--metrics FILE] [FILE [LABELS]]\n"
	    "  -a, --all-points   keep collinear points "
	    "(drop_intermediate=False)\n"
	    "  -q, --quiet        do not print the AUC on stderr\n"
	    "      --metrics FILE write 'auc<TAB>value' to FILE\n"
	    "Reads scores [N] then labels [N] (0/1) from FILE (default "
	    "stdin),\nor scores from FILE and labels from LABELS; writes "
	    "float64 [M,3]\n(threshold, fpr, tpr).\n");
}

/* A one-dimensional array (or [N,1]) of N values. */
static size_t
vector_length(const struct npy_header *h, const char *what)
{
	char buf[64];
	if (h->ndim == 1 || (h->ndim == 2 && h->shape[1] == 1))
		return h->shape[0];
	die("%s: expected shape [N], got %s", what,
	    npy_header_str(h, buf, sizeof buf));
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all-points", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int all = 0, quiet = 0, c;
	const char *metrics = NULL;

	tool_init("roc");
	while ((c = getopt_long(argc, argv, "aqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'q': quiet = 1; break;
		case 'M': metrics = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': tool_version(); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 2)
		die_usage("too many operands");
	out_init();

	const char *sname = argc > 0 ? argv[0] : "-";
	FILE *sfp = xfopen(sname, "rb");
	struct npy_reader rs, rl_own, *rl = &rs;
	npy_reader_init(&rs, sfp, strcmp(sname, "-") ? sname : "stdin");
	struct npy_header hs, hl;
	stream_expect(&rs, "scores");
	hs = rs.h;                /* its dtype decides how max + 1 rounds */
	void *sraw = stream_read_all(&rs);
	FILE *lfp = NULL;
	if (argc == 2) {
		stream_end(&rs);
		lfp = xfopen(argv[1], "rb");
		npy_reader_init(&rl_own, lfp, strcmp(argv[1], "-") ?
		    argv[1] : "stdin");
		rl = &rl_own;
	}
	stream_expect(rl, "labels");
	hl = rl->h;
	void *lraw = stream_read_all(rl);
	stream_end(rl);

	size_t N = vector_length(&hs, "scores");
	size_t NL = vector_length(&hl, "labels");
	if (NL != N)
		die("labels: %zu rows, scores have %zu", NL, N);
	if (N == 0)
		die("scores: empty");
	double *score = xmalloc_array(N, sizeof *score);
	npy_convert(NPY_F64, score, hs.dtype, sraw, N);
	free(sraw);
	double *lab = xmalloc_array(N, sizeof *lab);
	npy_convert(NPY_F64, lab, hl.dtype, lraw, N);
	free(lraw);

	struct roc_pair *pairs = xmalloc_array(N, sizeof *pairs);
	for (size_t i = 0; i < N; i++) {
		if (!isfinite(score[i]))
			die("scores: row %zu: %s", i, isnan(score[i]) ?
			    "NaN" : "infinite value");
		if (lab[i] != 0 && lab[i] != 1)
			die("labels: row %zu: %g is not 0 or 1", i, lab[i]);
		pairs[i].score = score[i];
		pairs[i].label = (uint8_t)lab[i];
	}
	free(lab);
	free(score);

	double *out = xmalloc_array(N + 1, 3 * sizeof *out);
	double *thr = out, *fpr = out + (N + 1), *tpr = out + 2 * (N + 1);
	size_t M;
	if (roc_curve(thr, fpr, tpr, &M, pairs, N, !all) < 0)
		die("labels: only one class present; ROC is not defined");
	/* sklearn adds 1 in the scores' own dtype */
	if (hs.dtype == NPY_F32)
		thr[0] = (double)((float)thr[1] + 1.0f);
	double auc = roc_auc(fpr, tpr, M);

	double *rows = xmalloc_array(M, 3 * sizeof *rows);   /* [M,3] */
	for (size_t j = 0; j < M; j++) {
		rows[3 * j] = thr[j];
		rows[3 * j + 1] = fpr[j];
		rows[3 * j + 2] = tpr[j];
	}
	struct npy_header ho;
	npy_header_set(&ho, NPY_F64, 2, M, (size_t)3);
	out_array(&ho, rows);
	out_close();
	if (!quiet)
		fprintf(stderr, "auc\t%.17g\n", auc);
	if (metrics) {
		FILE *mf = xfopen(metrics, "w");
		fprintf(mf, "auc\t%.17g\npoints\t%zu\n", auc, M);
		if (fflush(mf) != 0 || ferror(mf) || (mf != stdout &&
		    fclose(mf) != 0))
			die_errno("%s", metrics);
	}
	free(rows);
	free(out);
	free(pairs);
	return 0;
}
