/*
 * ckpt.h - the training checkpoint: one versioned, little-endian binary
 * file holding the architecture, the hyper-parameters, the position in
 * the stream and every float the trainer needs to continue (parameters,
 * batch-norm buffers, the optimiser's two moment vectors), closed by a
 * CRC-32 (zlib's) of everything before it.  man 5 vicreg-checkpoint has
 * the byte layout.
 *
 * Writing is atomic: FILE.tmp is written, flushed, fsync'ed and renamed
 * over FILE, then the directory is fsync'ed, so a crash leaves either
 * the old or the new checkpoint, never half of one.
 *
 * Every function returns 0 on success, -1 with a one-line message in
 * the caller's err buffer (it names the file).  Nothing here prints or
 * exits.
 */
#ifndef CKPT_H
#define CKPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rng.h"

#define CKPT_MAGIC "VICRGCK\x1a"  /* 8 bytes; \x1a stops `type`/`cat` */
#define CKPT_VERSION 1
#define CKPT_HEADER_BYTES 512     /* the float sections start here */
#define CKPT_MAX_PROJ 8           /* projector widths the header holds */
#define CKPT_ERR_LEN 512

enum ckpt_optimizer { CKPT_ADAM = 0, CKPT_ADAMW = 1, CKPT_LARS = 2 };
enum ckpt_schedule { CKPT_CONSTANT = 0, CKPT_COSINE = 1 };

struct ckpt_info {
	/* architecture (model_config) */
	uint64_t width, rep_dim, head_dim, stem_stride, stem_pad;
	uint64_t nproj, proj[CKPT_MAX_PROJ];
	/* VICReg loss */
	double inv_weight, var_weight, cov_weight, gamma, eps;
	/* optimiser and schedule */
	uint64_t optimizer;           /* enum ckpt_optimizer */
	double lr, weight_decay, beta1, beta2, adam_eps;
	uint64_t schedule;            /* enum ckpt_schedule */
	uint64_t warmup_steps, total_steps;
	uint64_t seed;                /* initialisation seed */
	/* the stream's plan: epochs, steps per epoch, batch, images */
	uint64_t plan[4];
	/* counts of the float32 sections */
	uint64_t n_params, n_buffers;
	uint64_t n_moments;           /* 0 or 2 sections of n_params */
	/* progress */
	uint64_t step;                /* optimiser steps done */
	uint64_t epoch;               /* whole epochs done */
	struct rng rng;
};

/* Total size in bytes of a checkpoint described by info. */
uint64_t ckpt_file_size(const struct ckpt_info *info);

/*
 * Write atomically (see above).  buffers may be NULL if n_buffers is 0;
 * m and v are read only if n_moments is 2.
 */
int ckpt_save(const char *path, const struct ckpt_info *info,
    const float *params, const float *buffers, const float *m,
    const float *v, char *err, size_t errlen);

/*
 * Reading is two calls: ckpt_open reads and checks the header (magic,
 * version, counts, file size), then ckpt_read streams the sections into
 * the caller's arrays (any of them NULL to skip it: it is still read
 * for the CRC, in chunks) and checks the CRC.  ckpt_close always.
 */
struct ckpt_reader {
	FILE *fp;
	const char *path;
	struct ckpt_info info;
	uint32_t crc;                 /* of the bytes read so far */
	char err[CKPT_ERR_LEN];
};

int ckpt_open(struct ckpt_reader *r, const char *path);
int ckpt_read(struct ckpt_reader *r, float *params, float *buffers,
    float *m, float *v);
void ckpt_close(struct ckpt_reader *r);

/*
 * 0 if the architecture of a and b is the same; otherwise -1 and
 * "width 8 in the checkpoint, 16 given" (the first difference) in msg.
 */
int ckpt_arch_compare(const struct ckpt_info *file,
    const struct ckpt_info *given, char *msg, size_t len);

const char *ckpt_optimizer_name(uint64_t o);   /* "adam", ... or "?" */
const char *ckpt_schedule_name(uint64_t s);    /* "constant", "cosine" */

#endif
