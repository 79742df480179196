/*
 * encode - representations of images by a trained encoder.
 *
 * stdin: images uint8 [N,3,32,32] (normalised here) or float32
 * [N,3,32,32] (already normalised), optionally then labels [N].
 * stdout: float32 [N,D], then the labels unchanged.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "augment.h"
#include "blas.h"
#include "ckpt.h"
#include "model.h"
#include "tool.h"

#define IMG (3 * 32 * 32)

static void
usage(void)
{
	printf(
"usage: encode -m CKPT [--batch N] [--threads N] < images > reps\n"
"Write the encoder's representations float32 [N,D] of images uint8 or\n"
"float32 [N,3,32,32] (eval-mode batch norm), then the labels if any.\n"
"\n"
"  -m, --model CKPT     checkpoint written by vicreg-train\n"
"  -b, --batch N        images per forward pass (256)\n"
"      --threads N      threads (0 = all cores)\n"
"  -v, --verbose        report the BLIS set-up\n"
"  -h, --help           this help\n"
"      --version        version\n");
}

/* Load the model from a checkpoint: parameters and buffers only. */
static struct model *
load(const char *path, size_t batch)
{
	struct ckpt_reader r;
	struct model_config c;
	char msg[256];

	if (ckpt_open(&r, path) < 0)
		die("%s", r.err);
	const struct ckpt_info *in = &r.info;
	memset(&c, 0, sizeof c);
	c.width = in->width;
	c.rep_dim = in->rep_dim;
	c.head_dim = in->head_dim;
	c.stem_stride = in->stem_stride;
	c.stem_pad = in->stem_pad;
	if (in->nproj > MODEL_MAX_PROJ)
		die("%s: %llu projector layers, this build handles %d", path,
		    (unsigned long long)in->nproj, MODEL_MAX_PROJ);
	c.nproj = in->nproj;
	for (size_t i = 0; i < c.nproj; i++)
		c.proj[i] = in->proj[i];
	if (model_config_check(&c, msg, sizeof msg) < 0)
		die("%s: corrupt checkpoint (%s)", path, msg);
	struct model *m = model_create_eval(&c, batch);
	if (m == NULL)
		die("out of memory for the model (batch %zu)", batch);
	if (in->n_params != model_param_count(m) ||
	    in->n_buffers != model_buffer_count(m))
		die("%s: corrupt checkpoint (%llu parameters and %llu buffers, "
		    "the architecture has %zu and %zu)", path,
		    (unsigned long long)in->n_params,
		    (unsigned long long)in->n_buffers, model_param_count(m),
		    model_buffer_count(m));
	if (ckpt_read(&r, model_params(m), model_buffers(m), NULL, NULL) < 0)
		die("%s", r.err);
	ckpt_close(&r);
	return m;
}

/* Copy the rest of the current array (header already known) through. */
static void
pass_through(struct npy_reader *r)
{
	size_t rows = npy_rows(&r->h), rb = npy_row_bytes(&r->h);
	size_t chunk = rb ? (1 << 20) / rb + 1 : rows;
	void *buf = xmalloc_array(chunk, rb ? rb : 1);
	out_header(&r->h);
	for (size_t i = 0; i < rows; i += chunk) {
		size_t k = rows - i < chunk ? rows - i : chunk;
		stream_read_rows(r, buf, k);
		out_data(buf, k * rb);
	}
	free(buf);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "batch", required_argument, NULL, 'b' },
		{ "threads", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ckpt = NULL;
	size_t batch = 256, threads = 0;
	int verbose = 0, c;
	char got[96];

	tool_init("encode");
	while ((c = getopt_long(argc, argv, "m:b:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm': ckpt = optarg; break;
		case 'b':
			batch = opt_size("--batch", optarg, 1, 1 << 20);
			break;
		case 't':
			threads = opt_size("--threads", optarg, 0, 1024);
			break;
		case 'v': verbose = 1; break;
		case 'h': usage(); return EXIT_OK;
		case 'V': tool_version(); return EXIT_OK;
		default: die_usage("bad option");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (ckpt == NULL)
		die_usage("-m CKPT is required");
	out_init();
	blas_init(threads, verbose);
	struct npy_reader r;
	npy_reader_init(&r, stdin, "stdin");
	stream_expect(&r, "the images");
	struct npy_header h = r.h, oh;
	if ((h.dtype != NPY_U8 && h.dtype != NPY_F32) || h.ndim != 4 ||
	    h.shape[1] != 3 || h.shape[2] != 32 || h.shape[3] != 32)
		die("stdin: expected images uint8 or float32 [N,3,32,32], "
		    "got %s", npy_header_str(&h, got, sizeof got));
	size_t N = h.shape[0];
	if (batch > N)
		batch = N > 0 ? N : 1;      /* the arena is sized by batch */
	struct model *m = load(ckpt, batch);
	size_t D = model_get_config(m)->rep_dim;
	npy_header_set(&oh, NPY_F32, 2, N, D);
	out_header(&oh);

	float *x = xmalloc_array(batch * IMG, sizeof *x);
	float *rep = xmalloc_array(batch * D, sizeof *rep);
	uint8_t *u8 = h.dtype == NPY_U8 ? xmalloc_array(batch, IMG) : NULL;
	for (size_t i = 0; i < N; i += batch) {
		size_t B = N - i < batch ? N - i : batch;
		if (u8 != NULL) {
			stream_read_rows(&r, u8, B);
			augment_normalize(x, u8, B, 32 * 32);
		} else {
			stream_read_rows(&r, x, B);
			for (size_t j = 0; j < B * IMG; j++)
				if (!isfinite(x[j]))
					die("stdin: NaN or Inf in image %zu",
					    i + j / IMG);
		}
		model_encode(m, x, B, rep);
		out_data(rep, B * D * sizeof *rep);
	}

	if (stream_next(&r)) {
		if (r.h.ndim != 1 || r.h.shape[0] != N ||
		    r.h.dtype == NPY_F32 || r.h.dtype == NPY_F64)
			die("stdin: expected labels, integer [%zu], after the "
			    "images; got %s", N, npy_header_str(&r.h, got,
			    sizeof got));
		pass_through(&r);
		stream_end(&r);
	}
	out_close();
	model_free(m);
	free(x);
	free(rep);
	free(u8);
	return EXIT_OK;
}
