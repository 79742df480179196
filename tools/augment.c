/*
 * augment - the study's training stream: epochs of shuffled batches of
 * two independently augmented, normalised views per image; or the test
 * transform (--normalize); or the neighbour ablation's pairs (--pairs).
 *
 * Randomness: epoch e draws its permutation from rng_split(seed, e), then
 * one 64-bit "view seed" from the same generator; image i's views (or
 * its neighbour, with --pairs) come from rng_split(view_seed, i).  So
 * any epoch can be regenerated alone and the bytes do not depend on the
 * number of threads.
 */
#include <getopt.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "tool.h"

#define S 32                      /* output side */
#define IMG (3 * S * S)           /* bytes of one image */
#define CHUNK 256                 /* rows per read in --normalize */
#define MAX_PIXELS ((size_t)1 << 22)  /* --normalize: 2048x2048 */

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: augment [-e EPOCHS] [-b BATCH] [-s SEED] [-t THREADS] [--drop-last]\n"
	    "               [--first-epoch F]\n"
	    "               [--scale-min X] [--scale-max X] [--no-blur] [--solarize P]\n"
	    "               [--views 1|2] [--uint8] [-q] [FILE]\n"
	    "       augment --pairs NEIGHBOURS [-e E] [-b B] [-s S] [--drop-last] [FILE]\n"
	    "       augment --normalize [FILE]\n"
	    "Read images uint8 [N,3,32,32] (FILE or stdin; labels after them are\n"
	    "ignored) and write the plan int64 [4] = (epochs, steps per epoch,\n"
	    "batch, N), then per step float32 [B,2,3,32,32]: two augmented,\n"
	    "normalised views of each image of a shuffled pass.\n"
	    "  -e, --epochs E        passes over the images (default 1)\n"
	    "  -b, --batch B         images per step (default 256)\n"
	    "  -s, --seed S          random seed (default 0)\n"
	    "  -t, --threads N       OpenMP threads (default 0: all cores)\n"
	    "      --drop-last       drop each epoch's last, smaller batch\n"
	    "      --first-epoch F   start at epoch F (0): regenerate epochs alone\n"
	    "      --scale-min X     smallest crop area fraction (default 0.2)\n"
	    "      --scale-max X     largest crop area fraction (default 1.0)\n"
	    "      --no-blur         never blur (not in the study)\n"
	    "      --solarize P      solarize with probability P (not in the study)\n"
	    "      --views V         views per image, 1 or 2 (default 2)\n"
	    "      --uint8           write the views as uint8 before normalisation\n"
	    "  -q, --quiet           no progress on stderr\n"
	    "      --pairs FILE      pair each image with one of its neighbours\n"
	    "                        (int32|int64 [N,k] in FILE), no augmentation\n"
	    "      --normalize       the test transform: float32 [N,3,H,W],\n"
	    "                        labels passed through\n"
	    "  -h, --help            this help\n"
	    "      --version         print the version\n");
}

struct opts {
	size_t epochs, first_epoch, batch, threads, views;
	uint64_t seed;
	int drop_last, uint8_out, quiet, normalize;
	const char *pairs;
	const char *input;
	struct augment_config cfg;
};

static int
is_int_dtype(enum npy_dtype t)
{
	return t == NPY_U8 || t == NPY_I32 || t == NPY_I64;
}

/* The first array must be images uint8 [N,3,H,W] (32 x 32 unless any). */
static void
expect_images(struct npy_reader *r, int any_size)
{
	char buf[96];
	const struct npy_header *h = &r->h;
	stream_expect(r, "the images");
	if (h->dtype != NPY_U8 || h->ndim != 4 || h->shape[1] != 3 ||
	    (!any_size && (h->shape[2] != S || h->shape[3] != S)))
		die("%s: expected images uint8 [N,3,%s], got %s", r->name,
		    any_size ? "H,W" : "32,32",
		    npy_header_str(h, buf, sizeof buf));
	if (h->shape[0] == 0 || h->shape[2] == 0 || h->shape[3] == 0)
		die("%s: no images (%s)", r->name,
		    npy_header_str(h, buf, sizeof buf));
}

/* --normalize: stream the images through, then the labels if any. */
static void
run_normalize(struct npy_reader *r)
{
	char buf[96];
	expect_images(r, 1);
	size_t N = r->h.shape[0], HW = r->h.shape[2] * r->h.shape[3];
	struct npy_header h;
	npy_header_set(&h, NPY_F32, 4, N, (size_t)3, r->h.shape[2],
	    r->h.shape[3]);
	/* the header's claim decides the buffers: bound one image, and
	 * take no more images per chunk than the stream says it has */
	if (HW > MAX_PIXELS)
		die("%s: images of %zux%zu are too large (over %zu pixels)",
		    r->name, r->h.shape[2], r->h.shape[3], (size_t)MAX_PIXELS);
	size_t chunk = N < CHUNK ? N : CHUNK;
	uint8_t *in = xmalloc_array(chunk, 3 * HW);
	float *out = xmalloc_array(chunk, 3 * HW * sizeof(float));
	out_header(&h);
	for (size_t done = 0; done < N; done += chunk) {
		size_t n = N - done < chunk ? N - done : chunk;
		stream_read_rows(r, in, n);
		augment_normalize(out, in, n, HW);
		out_data(out, n * 3 * HW * sizeof(float));
	}
	free(in);
	free(out);

	if (stream_next(r)) {
		if (!is_int_dtype(r->h.dtype) || r->h.ndim != 1 ||
		    r->h.shape[0] != N)
			die("%s: expected labels [%zu] of an integer type after "
			    "the images, got %s", r->name, N,
			    npy_header_str(&r->h, buf, sizeof buf));
		void *lab = stream_read_all(r);
		out_array(&r->h, lab);
		free(lab);
	}
	stream_end(r);
}

/* Neighbour indices int32|int64 [N,k] from FILE, checked, as int64. */
static int64_t *
read_neighbours(const char *path, size_t N, size_t *k)
{
	char buf[96];
	FILE *fp = xfopen(path, "r");
	struct npy_reader r;
	npy_reader_init(&r, fp, strcmp(path, "-") == 0 ? "stdin" : path);
	stream_expect(&r, "the neighbour indices");
	if ((r.h.dtype != NPY_I32 && r.h.dtype != NPY_I64) || r.h.ndim != 2)
		die("%s: expected neighbour indices int32|int64 [N,k], got %s",
		    r.name, npy_header_str(&r.h, buf, sizeof buf));
	if (r.h.shape[0] != N)
		die("%s: %zu rows of neighbours for %zu images", r.name,
		    r.h.shape[0], N);
	*k = r.h.shape[1];
	if (*k == 0)
		die("%s: k = 0: no neighbours to pair with", r.name);
	struct npy_header h = r.h;
	void *raw = stream_read_all(&r);
	int64_t *nb = xmalloc_array(N * *k, sizeof *nb);
	npy_convert(NPY_I64, nb, h.dtype, raw, N * *k);
	free(raw);
	for (size_t i = 0; i < N * *k; i++)
		if (nb[i] < 0 || (uint64_t)nb[i] >= N)
			die("%s: row %zu: neighbour %lld out of range [0, %zu)",
			    r.name, i / *k, (long long)nb[i], N);
	/* the distances knn-graph writes after the indices are not used */
	if (fp != stdin)
		fclose(fp);
	return nb;
}

static void
run_epochs(struct npy_reader *r, const struct opts *o)
{
	expect_images(r, 0);
	size_t N = r->h.shape[0];
	uint8_t *images = stream_read_all(r);         /* [N,3,32,32] */
	/* labels (or anything else well-formed) after the images: skip */
	while (stream_next(r))
		;

	size_t k = 0;
	int64_t *nb = o->pairs ? read_neighbours(o->pairs, N, &k) : NULL;

	size_t B = o->batch, V = o->pairs ? 2 : o->views;
	size_t steps = o->drop_last ? N / B : (N + B - 1) / B;
	if (steps == 0)
		die("--drop-last: %zu images make no full batch of %zu", N, B);

	int64_t plan[4] = { (int64_t)o->epochs, (int64_t)steps, (int64_t)B,
	    (int64_t)N };
	struct npy_header h;
	npy_header_set(&h, NPY_I64, 1, (size_t)4);
	out_array(&h, plan);

	int nthr = omp_get_max_threads();
	size_t wsize = augment_work_size(S, S, S);
	uint8_t *work = xmalloc_array((size_t)nthr, wsize + 64);
	size_t esize = o->uint8_out ? 1 : sizeof(float);
	void *batch = xmalloc_array((B < N ? B : N) * V, IMG * esize);
	size_t *perm = xmalloc_array(N, sizeof *perm);

	for (size_t e = o->first_epoch; e < o->first_epoch + o->epochs; e++) {
		struct rng er;
		rng_split(&er, o->seed, e);
		for (size_t i = 0; i < N; i++)
			perm[i] = i;
		rng_shuffle_size(&er, perm, N);
		uint64_t vseed = rng_u64(&er);
		for (size_t s = 0; s < steps; s++) {
			size_t first = s * B;
			size_t b = N - first < B ? N - first : B;
#pragma omp parallel for schedule(static)
			for (size_t j = 0; j < b; j++) {
				uint8_t *w = work +
				    (size_t)omp_get_thread_num() * (wsize + 64);
				size_t i = perm[first + j];
				const uint8_t *img = images + i * IMG;
				struct rng ir;
				rng_split(&ir, vseed, i);
				float *fo = (float *)batch + j * V * IMG;
				uint8_t *uo = (uint8_t *)batch + j * V * IMG;
				if (nb) {
					size_t n2 = (size_t)nb[i * k +
					    rng_below(&ir, k)];
					augment_normalize(fo, img, 1, S * S);
					augment_normalize(fo + IMG,
					    images + n2 * IMG, 1, S * S);
					continue;
				}
				for (size_t v = 0; v < V; v++) {
					struct augment_params p;
					augment_sample_params(&p, &o->cfg, S, S,
					    &ir);
					if (o->uint8_out)
						augment_apply_u8(uo + v * IMG,
						    img, &p, S, S, S, w);
					else
						augment_apply(fo + v * IMG, img,
						    &p, S, S, S, w);
				}
			}
			npy_header_set(&h, o->uint8_out ? NPY_U8 : NPY_F32, 5,
			    b, V, (size_t)3, (size_t)S, (size_t)S);
			out_header(&h);
			out_data(batch, b * V * IMG * esize);
		}
		if (!o->quiet)
			fprintf(stderr, "%s: epoch %zu/%zu done\n", progname,
			    e + 1 - o->first_epoch, o->epochs);
	}
	free(perm);
	free(batch);
	free(work);
	free(nb);
	free(images);
}

enum {
	OPT_DROP_LAST = 256, OPT_FIRST_EPOCH, OPT_SCALE_MIN, OPT_SCALE_MAX, OPT_NO_BLUR,
	OPT_SOLARIZE, OPT_VIEWS, OPT_UINT8, OPT_PAIRS, OPT_NORMALIZE,
	OPT_VERSION,
};

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "epochs", required_argument, NULL, 'e' },
		{ "batch", required_argument, NULL, 'b' },
		{ "seed", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "drop-last", no_argument, NULL, OPT_DROP_LAST },
		{ "first-epoch", required_argument, NULL, OPT_FIRST_EPOCH },
		{ "scale-min", required_argument, NULL, OPT_SCALE_MIN },
		{ "scale-max", required_argument, NULL, OPT_SCALE_MAX },
		{ "no-blur", no_argument, NULL, OPT_NO_BLUR },
		{ "solarize", required_argument, NULL, OPT_SOLARIZE },
		{ "views", required_argument, NULL, OPT_VIEWS },
		{ "uint8", no_argument, NULL, OPT_UINT8 },
		{ "pairs", required_argument, NULL, OPT_PAIRS },
		{ "normalize", no_argument, NULL, OPT_NORMALIZE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .epochs = 1, .batch = 256, .views = 2 };
	int ch, training_opt = 0;

	tool_init("augment");
	augment_config_default(&o.cfg);
	while ((ch = getopt_long(argc, argv, "e:b:s:t:qh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			o.epochs = opt_size("--epochs", optarg, 1, 1000000);
			break;
		case 'b':
			o.batch = opt_size("--batch", optarg, 1, 1 << 20);
			break;
		case 's':
			o.seed = opt_u64("--seed", optarg);
			break;
		case 't':
			o.threads = opt_size("--threads", optarg, 0, 1024);
			break;
		case 'q':
			o.quiet = 1;
			break;
		case OPT_DROP_LAST:
			o.drop_last = 1;
			break;
		case OPT_FIRST_EPOCH:
			o.first_epoch = opt_size("--first-epoch", optarg, 0,
			    1000000);
			break;
		case OPT_SCALE_MIN:
			o.cfg.scale_lo = opt_double("--scale-min", optarg,
			    0.01, 1.0);
			training_opt = 1;
			break;
		case OPT_SCALE_MAX:
			o.cfg.scale_hi = opt_double("--scale-max", optarg,
			    0.01, 1.0);
			training_opt = 1;
			break;
		case OPT_NO_BLUR:
			o.cfg.blur_p = 0.0;
			training_opt = 1;
			break;
		case OPT_SOLARIZE:
			o.cfg.solarize_p = opt_double("--solarize", optarg,
			    0.0, 1.0);
			training_opt = 1;
			break;
		case OPT_VIEWS:
			o.views = opt_size("--views", optarg, 1, 2);
			training_opt = 1;
			break;
		case OPT_UINT8:
			o.uint8_out = 1;
			training_opt = 1;
			break;
		case OPT_PAIRS:
			o.pairs = optarg;
			break;
		case OPT_NORMALIZE:
			o.normalize = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case OPT_VERSION:
			tool_version();
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		die_usage("too many arguments (one input FILE at most)");
	o.input = optind < argc ? argv[optind] : "-";
	if (o.pairs && strcmp(o.pairs, "-") == 0 && strcmp(o.input, "-") == 0)
		die_usage("--pairs -: the images are already read from stdin");
	if (o.normalize && o.pairs)
		die_usage("--normalize and --pairs exclude each other");
	if (o.normalize && o.first_epoch)
		die_usage("--first-epoch does not apply to --normalize");
	if ((o.normalize || o.pairs) && training_opt)
		die_usage("augmentation options do not apply to --%s",
		    o.normalize ? "normalize" : "pairs");
	if (o.cfg.scale_lo > o.cfg.scale_hi)
		die_usage("--scale-min %g is above --scale-max %g",
		    o.cfg.scale_lo, o.cfg.scale_hi);
	/* 0: OpenMP's default (OMP_NUM_THREADS, else all cores) */
	threads_start(o.threads > 0 ? o.threads :
	    (size_t)omp_get_max_threads());

	out_init();
	FILE *fp = xfopen(o.input, "r");
	struct npy_reader r;
	npy_reader_init(&r, fp, strcmp(o.input, "-") == 0 ? "stdin" :
	    o.input);
	if (o.normalize)
		run_normalize(&r);
	else
		run_epochs(&r, &o);
	if (fp != stdin)
		fclose(fp);
	out_close();
	return EXIT_OK;
}
