/*
 * mnist-decode - MNIST IDX files as a tensor stream of CIFAR-shaped
 * images: uint8 [N,3,S,S] (bilinear resize as PIL does it, grey copied
 * to three channels), then labels [N].
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "idx.h"
#include "resize.h"
#include "tool.h"

#define CHUNK 256                 /* images per read, at most */
#define CHUNK_BYTES ((size_t)1 << 22)     /* input + output bytes per read */
/*
 * The largest input image side.  MNIST's images are 28x28 (the MNIST
 * database page); 2048 leaves room for other IDX image sets while a
 * header claiming an absurd shape (4194304x1, say, whose resize to
 * --size 4096 would need H x S = 16 GB for the row pass) is refused
 * before anything is allocated.
 */
#define MAX_SIDE ((size_t)2048)
#define LABEL_STEP ((size_t)1 << 20)      /* labels allocated per read */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: mnist-decode [-n N] [-s S] [-l TYPE] IMAGES [LABELS]\n"
	    "Decode MNIST IDX files (gzip or plain) into images uint8\n"
	    "[N,3,S,S], resized bilinearly like PIL (torchvision Resize) and\n"
	    "grey copied to 3 channels, then labels [N] if LABELS is given.\n"
	    "  -n, --limit N        only the first N images\n"
	    "  -s, --size S         output side (default 32)\n"
	    "  -l, --label-type T   uint8 (default), int32 or int64\n"
	    "  -h, --help           this help\n"
	    "      --version        print the version\n");
}

int
main(int argc, char **argv)
{
	enum { OPT_VERSION = 256 };
	static const struct option longopts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "label-type", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	size_t limit = SIZE_MAX, S = 32;
	enum npy_dtype lt = NPY_U8;
	int c;

	tool_init("mnist-decode");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:s:l:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			limit = opt_size("--limit", optarg, 0, SIZE_MAX);
			break;
		case 's':
			S = opt_size("--size", optarg, 1, 4096);
			break;
		case 'l':
			if (npy_dtype_parse(optarg, &lt) < 0 || (lt != NPY_U8 &&
			    lt != NPY_I32 && lt != NPY_I64))
				die_usage("--label-type: '%s' is not uint8, "
				    "int32 or int64", optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_VERSION:
			tool_version();
			return EXIT_OK;
		case ':':
			die_usage("option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt)
				die_usage("unknown option '-%c'", optopt);
			die_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		die_usage("expected IMAGES [LABELS]");
	if (argc == 2 && strcmp(argv[0], "-") == 0 && strcmp(argv[1], "-") == 0)
		die_usage("only one of IMAGES and LABELS can be stdin");

	struct idx_reader im, lb;
	if (idx_open(&im, argv[0]) < 0)
		die("%s", im.err);
	if (im.ndim != 3)
		die("%s: images must have 3 dimensions [N,H,W], not %d",
		    im.name, im.ndim);
	size_t H = im.dims[1], W = im.dims[2];
	if (H == 0 || W == 0)
		die("%s: empty image size %zux%zu", im.name, H, W);
	/* a header may claim anything: bound what one image costs */
	if (H > MAX_SIDE || W > MAX_SIDE)
		die("%s: image size %zux%zu is too large (a side over %zu)",
		    im.name, H, W, MAX_SIDE);
	size_t N = im.dims[0] < limit ? im.dims[0] : limit;

	/* labels first: small, and checked before any output */
	uint8_t *labels = NULL;
	if (argc == 2) {
		if (idx_open(&lb, argv[1]) < 0)
			die("%s", lb.err);
		if (lb.ndim != 1)
			die("%s: labels must have 1 dimension, not %d", lb.name,
			    lb.ndim);
		if (lb.dims[0] != im.dims[0])
			die("%s: %zu labels for %zu images in %s", lb.name,
			    lb.dims[0], im.dims[0], im.name);
		/* grown as the labels arrive: the count is only a claim */
		labels = xmalloc(1);
		for (size_t got = 0; got < N;) {
			size_t k = N - got < LABEL_STEP ? N - got : LABEL_STEP;
			labels = xrealloc(labels, got + k);
			if (idx_read(&lb, labels + got, k) < 0)
				die("%s", lb.err);
			got += k;
		}
		for (size_t i = 0; i < N; i++)
			if (labels[i] > 9)
				die("%s: label %zu is %u, out of range 0..9",
				    lb.name, i, labels[i]);
		idx_close(&lb);
	}

	struct resize_plan px, py;
	if (resize_plan_make(&px, W, S) < 0 || resize_plan_make(&py, H, S) < 0)
		die("out of memory");
	/* images per read: CHUNK, fewer when they are big (the count is
	 * only a claim until the data arrives), at least one */
	size_t chunk = CHUNK_BYTES / (H * W + 3 * S * S);
	if (chunk > CHUNK)
		chunk = CHUNK;
	if (chunk > N)
		chunk = N;
	if (chunk == 0)
		chunk = 1;
	uint8_t *in = xmalloc_array(chunk, H * W);
	uint8_t *tmp = xmalloc_array(H, S);
	uint8_t *out = xmalloc_array(chunk * 3, S * S);   /* [chunk,3,S,S] */

	out_init();
	struct npy_header h;
	npy_header_set(&h, NPY_U8, 4, N, (size_t)3, S, S);
	out_header(&h);
	for (size_t done = 0; done < N;) {
		size_t k = N - done < chunk ? N - done : chunk;
		if (idx_read(&im, in, k) < 0)
			die("%s", im.err);
		for (size_t i = 0; i < k; i++) {
			uint8_t *o = out + i * 3 * S * S;
			resize_bilinear_u8(o, tmp, in + i * H * W, &px, &py);
			memcpy(o + S * S, o, S * S);
			memcpy(o + 2 * S * S, o, S * S);
		}
		out_data(out, k * 3 * S * S);
		done += k;
	}
	if (N == im.dims[0] && idx_expect_end(&im) < 0)
		die("%s", im.err);
	idx_close(&im);
	if (labels) {
		npy_header_set(&h, lt, 1, N);
		void *lab = xmalloc_array(N, npy_dtype_size(lt));
		npy_convert(lt, lab, NPY_U8, labels, N);
		out_array(&h, lab);
		free(lab);
	}
	out_close();
	resize_plan_free(&px);
	resize_plan_free(&py);
	free(in);
	free(tmp);
	free(out);
	free(labels);
	return EXIT_OK;
}
