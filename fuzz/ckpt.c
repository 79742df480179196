/*
 * ckpt.c - fuzz the checkpoint reader, lib/ckpt.c: ckpt_open (magic,
 * version, header counts, file size) then ckpt_read (every section and
 * the CRC-32), with the checks encode and vicreg-train make on the
 * header in between (model_config_check, ckpt_arch_compare).
 *
 * A random change fails the CRC, so ckpt_fixcrc.c builds this file
 * again with FIX_CRC set: the last four bytes are replaced by the CRC
 * of the rest before parsing, and a checkpoint that ckpt_open accepts
 * must then load (its size is exact, its CRC right).
 *
 * Invariants: an accepted header has at most CKPT_MAX_PROJ projector
 * layers, 0 or 2 moment sections and a file size equal to the input's;
 * errors come with a message.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ckpt.h"
#include "fuzz.h"
#include "model.h"

#ifndef FIX_CRC
#define FIX_CRC 0
#endif

/* What encode's load() checks before it builds the model. */
static void
check_config(const struct ckpt_info *in)
{
	struct model_config c;
	char msg[256] = "";
	if (in->nproj > MODEL_MAX_PROJ)
		return;                   /* encode dies here */
	memset(&c, 0, sizeof c);
	c.width = in->width;
	c.rep_dim = in->rep_dim;
	c.head_dim = in->head_dim;
	c.stem_stride = in->stem_stride;
	c.stem_pad = in->stem_pad;
	c.nproj = in->nproj;
	for (size_t i = 0; i < c.nproj; i++)
		c.proj[i] = in->proj[i];
	if (model_config_check(&c, msg, sizeof msg) < 0)
		FUZZ_CHECK(msg[0] != '\0');
}

/* What vicreg-train --resume compares: the same, then one change. */
static void
check_compare(const struct ckpt_info *in)
{
	struct ckpt_info other = *in;
	char msg[256] = "";
	FUZZ_CHECK(ckpt_arch_compare(in, &other, msg, sizeof msg) == 0);
	if (in->nproj > 0) {
		other.proj[in->nproj - 1]++;
		FUZZ_CHECK(ckpt_arch_compare(in, &other, msg, sizeof msg) < 0);
		FUZZ_CHECK(msg[0] != '\0');
	}
	FUZZ_CHECK(ckpt_optimizer_name(in->optimizer) != NULL);
	FUZZ_CHECK(ckpt_schedule_name(in->schedule) != NULL);
}

static float *
floats(uint64_t n)
{
	float *p = calloc(n ? (size_t)n : 1, sizeof *p);
	FUZZ_CHECK(p != NULL);
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *copy;
	struct ckpt_reader r;

	if (FIX_CRC && size >= 4) {
		free(copy);
		FUZZ_CHECK((copy = malloc(size)) != NULL);
		memcpy(copy, data, size);
		uLong crc = crc32(0, Z_NULL, 0);
		crc = crc32(crc, copy, (uInt)(size - 4));
		for (int i = 0; i < 4; i++)
			copy[size - 4 + i] = (uint8_t)(crc >> (8 * i));
		data = copy;
	}
	const char *path = fuzz_file(data, size);
	if (ckpt_open(&r, path) < 0) {
		FUZZ_CHECK(r.err[0] != '\0');
		ckpt_close(&r);
		return 0;
	}
	const struct ckpt_info *in = &r.info;
	FUZZ_CHECK(in->nproj <= CKPT_MAX_PROJ);
	FUZZ_CHECK(in->n_moments == 0 || in->n_moments == 2);
	FUZZ_CHECK(ckpt_file_size(in) == size);
	check_config(in);
	check_compare(in);

	/* every section is in the file, so these are at most size bytes */
	float *p = floats(in->n_params), *b = floats(in->n_buffers);
	float *m = NULL, *v = NULL;
	if (in->n_moments == 2) {
		m = floats(in->n_params);
		v = floats(in->n_params);
	}
	int rc = ckpt_read(&r, p, in->n_buffers ? b : NULL, m, v);
	if (FIX_CRC)
		FUZZ_CHECK(rc == 0);
	else if (rc < 0)
		FUZZ_CHECK(r.err[0] != '\0');
	ckpt_close(&r);
	free(p);
	free(b);
	free(m);
	free(v);
	return 0;
}
