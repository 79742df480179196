/* ckpt.c - the checkpoint file: layout in man 5 vicreg-checkpoint. */
#include "ckpt.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Byte offsets of the header fields (man 5 vicreg-checkpoint). */
enum {
	OFF_MAGIC = 0, OFF_VERSION = 8, OFF_HEADER_BYTES = 12,
	OFF_WIDTH = 16, OFF_REP_DIM = 24, OFF_HEAD_DIM = 32,
	OFF_STEM_STRIDE = 40, OFF_STEM_PAD = 48, OFF_NPROJ = 56,
	OFF_PROJ = 64,                       /* 8 x u64 */
	OFF_INV = 128, OFF_VAR = 136, OFF_COV = 144, OFF_GAMMA = 152,
	OFF_EPS = 160, OFF_OPTIMIZER = 168, OFF_LR = 176, OFF_WD = 184,
	OFF_BETA1 = 192, OFF_BETA2 = 200, OFF_ADAM_EPS = 208,
	OFF_SCHEDULE = 216, OFF_WARMUP = 224, OFF_TOTAL = 232,
	OFF_SEED = 240, OFF_PLAN = 248,      /* 4 x u64 */
	OFF_N_PARAMS = 280, OFF_N_BUFFERS = 288, OFF_N_MOMENTS = 296,
	OFF_STEP = 304, OFF_EPOCH = 312, OFF_RNG = 320, /* 4 x u64 */
	OFF_END = 352                        /* zeros up to 512 */
};

/* Sanity bound on a section: 2^34 floats (64 GiB). */
#define MAX_FLOATS ((uint64_t)1 << 34)
#define CHUNK 16384                          /* floats per I/O chunk */

static void
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void
put_f64(unsigned char *p, double d)
{
	uint64_t v;
	memcpy(&v, &d, 8);
	put_u64(p, v);
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t
get_u32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static double
get_f64(const unsigned char *p)
{
	uint64_t v = get_u64(p);
	double d;
	memcpy(&d, &v, 8);
	return d;
}

static void
header_pack(unsigned char *h, const struct ckpt_info *in)
{
	memset(h, 0, CKPT_HEADER_BYTES);
	memcpy(h + OFF_MAGIC, CKPT_MAGIC, 8);
	put_u32(h + OFF_VERSION, CKPT_VERSION);
	put_u32(h + OFF_HEADER_BYTES, CKPT_HEADER_BYTES);
	put_u64(h + OFF_WIDTH, in->width);
	put_u64(h + OFF_REP_DIM, in->rep_dim);
	put_u64(h + OFF_HEAD_DIM, in->head_dim);
	put_u64(h + OFF_STEM_STRIDE, in->stem_stride);
	put_u64(h + OFF_STEM_PAD, in->stem_pad);
	put_u64(h + OFF_NPROJ, in->nproj);
	for (int i = 0; i < CKPT_MAX_PROJ; i++)
		put_u64(h + OFF_PROJ + 8 * i, in->proj[i]);
	put_f64(h + OFF_INV, in->inv_weight);
	put_f64(h + OFF_VAR, in->var_weight);
	put_f64(h + OFF_COV, in->cov_weight);
	put_f64(h + OFF_GAMMA, in->gamma);
	put_f64(h + OFF_EPS, in->eps);
	put_u64(h + OFF_OPTIMIZER, in->optimizer);
	put_f64(h + OFF_LR, in->lr);
	put_f64(h + OFF_WD, in->weight_decay);
	put_f64(h + OFF_BETA1, in->beta1);
	put_f64(h + OFF_BETA2, in->beta2);
	put_f64(h + OFF_ADAM_EPS, in->adam_eps);
	put_u64(h + OFF_SCHEDULE, in->schedule);
	put_u64(h + OFF_WARMUP, in->warmup_steps);
	put_u64(h + OFF_TOTAL, in->total_steps);
	put_u64(h + OFF_SEED, in->seed);
	for (int i = 0; i < 4; i++)
		put_u64(h + OFF_PLAN + 8 * i, in->plan[i]);
	put_u64(h + OFF_N_PARAMS, in->n_params);
	put_u64(h + OFF_N_BUFFERS, in->n_buffers);
	put_u64(h + OFF_N_MOMENTS, in->n_moments);
	put_u64(h + OFF_STEP, in->step);
	put_u64(h + OFF_EPOCH, in->epoch);
	for (int i = 0; i < 4; i++)
		put_u64(h + OFF_RNG + 8 * i, in->rng.s[i]);
}

static void
header_unpack(struct ckpt_info *out, const unsigned char *h)
{
	memset(out, 0, sizeof *out);
	out->width = get_u64(h + OFF_WIDTH);
	out->rep_dim = get_u64(h + OFF_REP_DIM);
	out->head_dim = get_u64(h + OFF_HEAD_DIM);
	out->stem_stride = get_u64(h + OFF_STEM_STRIDE);
	out->stem_pad = get_u64(h + OFF_STEM_PAD);
	out->nproj = get_u64(h + OFF_NPROJ);
	for (int i = 0; i < CKPT_MAX_PROJ; i++)
		out->proj[i] = get_u64(h + OFF_PROJ + 8 * i);
	out->inv_weight = get_f64(h + OFF_INV);
	out->var_weight = get_f64(h + OFF_VAR);
	out->cov_weight = get_f64(h + OFF_COV);
	out->gamma = get_f64(h + OFF_GAMMA);
	out->eps = get_f64(h + OFF_EPS);
	out->optimizer = get_u64(h + OFF_OPTIMIZER);
	out->lr = get_f64(h + OFF_LR);
	out->weight_decay = get_f64(h + OFF_WD);
	out->beta1 = get_f64(h + OFF_BETA1);
	out->beta2 = get_f64(h + OFF_BETA2);
	out->adam_eps = get_f64(h + OFF_ADAM_EPS);
	out->schedule = get_u64(h + OFF_SCHEDULE);
	out->warmup_steps = get_u64(h + OFF_WARMUP);
	out->total_steps = get_u64(h + OFF_TOTAL);
	out->seed = get_u64(h + OFF_SEED);
	for (int i = 0; i < 4; i++)
		out->plan[i] = get_u64(h + OFF_PLAN + 8 * i);
	out->n_params = get_u64(h + OFF_N_PARAMS);
	out->n_buffers = get_u64(h + OFF_N_BUFFERS);
	out->n_moments = get_u64(h + OFF_N_MOMENTS);
	out->step = get_u64(h + OFF_STEP);
	out->epoch = get_u64(h + OFF_EPOCH);
	for (int i = 0; i < 4; i++)
		out->rng.s[i] = get_u64(h + OFF_RNG + 8 * i);
}

uint64_t
ckpt_file_size(const struct ckpt_info *info)
{
	uint64_t floats = info->n_params * (1 + info->n_moments) +
	    info->n_buffers;
	return CKPT_HEADER_BYTES + 4 * floats + 4;
}

/* ---- writing ---- */

struct writer {
	FILE *fp;
	uLong crc;
	int failed;
};

static void
write_bytes(struct writer *w, const void *p, size_t n)
{
	if (w->failed)
		return;
	const unsigned char *b = p;
	for (size_t done = 0; done < n; ) {
		size_t k = n - done > (1u << 30) ? (1u << 30) : n - done;
		w->crc = crc32(w->crc, b + done, (uInt)k);
		done += k;
	}
	if (fwrite(p, 1, n, w->fp) != n)
		w->failed = 1;
}

/* float32 little-endian, whatever the host. */
static void
write_floats(struct writer *w, const float *x, uint64_t n)
{
	static unsigned char buf[4 * CHUNK];
	for (uint64_t i = 0; i < n; i += CHUNK) {
		size_t k = n - i < CHUNK ? (size_t)(n - i) : CHUNK;
		for (size_t j = 0; j < k; j++) {
			uint32_t u;
			memcpy(&u, &x[i + j], 4);
			put_u32(buf + 4 * j, u);
		}
		write_bytes(w, buf, 4 * k);
	}
}

static int
fsync_dir(const char *path)
{
	char *copy = strdup(path);
	if (copy == NULL)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	free(copy);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	/* some file systems cannot fsync a directory: not an error */
	if (rc < 0 && (errno == EINVAL || errno == EROFS))
		rc = 0;
	close(fd);
	return rc;
}

int
ckpt_save(const char *path, const struct ckpt_info *info,
    const float *params, const float *buffers, const float *m,
    const float *v, char *err, size_t errlen)
{
	unsigned char h[CKPT_HEADER_BYTES], tail[4];
	size_t len = strlen(path) + 5;
	char *tmp = malloc(len);
	if (tmp == NULL) {
		seterr(err, errlen, "%s: out of memory", path);
		return -1;
	}
	snprintf(tmp, len, "%s.tmp", path);
	/* the rename below would replace a device (-o /dev/full) or
	 * whatever else is there by a regular file */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: not a regular file", path);
		free(tmp);
		return -1;
	}

	struct writer w = { fopen(tmp, "wb"), crc32(0, Z_NULL, 0), 0 };
	if (w.fp == NULL) {
		seterr(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	errno = 0;
	header_pack(h, info);
	write_bytes(&w, h, sizeof h);
	write_floats(&w, params, info->n_params);
	if (info->n_buffers)
		write_floats(&w, buffers, info->n_buffers);
	if (info->n_moments == 2) {
		write_floats(&w, m, info->n_params);
		write_floats(&w, v, info->n_params);
	}
	put_u32(tail, (uint32_t)w.crc);
	write_bytes(&w, tail, 4);

	int e = 0;
	if (w.failed || fflush(w.fp) != 0 || ferror(w.fp))
		e = errno ? errno : EIO;
	else if (fsync(fileno(w.fp)) < 0)
		e = errno;
	if (fclose(w.fp) != 0 && e == 0)
		e = errno;
	if (e != 0) {
		seterr(err, errlen, "%s: %s", tmp, strerror(e));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	if (rename(tmp, path) < 0) {
		seterr(err, errlen, "%s: rename to %s: %s", tmp, path,
		    strerror(errno));
		unlink(tmp);
		free(tmp);
		return -1;
	}
	free(tmp);
	if (fsync_dir(path) < 0) {
		seterr(err, errlen, "%s: fsync of its directory: %s", path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- reading ---- */

static int
read_bytes(struct ckpt_reader *r, void *p, size_t n)
{
	size_t got = fread(p, 1, n, r->fp);
	if (got != n) {
		if (ferror(r->fp))
			seterr(r->err, sizeof r->err, "%s: read: %s", r->path,
			    strerror(errno));
		else
			seterr(r->err, sizeof r->err, "%s: truncated "
			    "checkpoint", r->path);
		return -1;
	}
	r->crc = (uint32_t)crc32(r->crc, p, (uInt)n);
	return 0;
}

static int
read_floats(struct ckpt_reader *r, float *x, uint64_t n)
{
	static unsigned char buf[4 * CHUNK];
	for (uint64_t i = 0; i < n; i += CHUNK) {
		size_t k = n - i < CHUNK ? (size_t)(n - i) : CHUNK;
		if (read_bytes(r, buf, 4 * k) < 0)
			return -1;
		if (x == NULL)
			continue;
		for (size_t j = 0; j < k; j++) {
			uint32_t u = get_u32(buf + 4 * j);
			memcpy(&x[i + j], &u, 4);
		}
	}
	return 0;
}

/*
 * 1 if the CRC-32 of the file's bytes but the last 4 (h: its header,
 * already read) matches those 4, 0 if not, -1 on a read error.  Leaves
 * the file at the first section, the CRC of the header in r->crc.
 */
static int
whole_crc_ok(struct ckpt_reader *r, const unsigned char *h, uint64_t size)
{
	static unsigned char buf[4 * CHUNK];
	unsigned char tail[4];

	r->crc = (uint32_t)crc32(r->crc, h, CKPT_HEADER_BYTES);
	if (size < CKPT_HEADER_BYTES + 4)
		return 0;
	uint32_t crc = r->crc;
	for (uint64_t left = size - CKPT_HEADER_BYTES - 4; left > 0; ) {
		size_t k = left < sizeof buf ? (size_t)left : sizeof buf;
		if (fread(buf, 1, k, r->fp) != k)
			goto short_read;
		crc = (uint32_t)crc32(crc, buf, (uInt)k);
		left -= k;
	}
	if (fread(tail, 1, 4, r->fp) != 4)
		goto short_read;
	if (fseek(r->fp, CKPT_HEADER_BYTES, SEEK_SET) != 0) {
		seterr(r->err, sizeof r->err, "%s: seek: %s", r->path,
		    strerror(errno));
		return -1;
	}
	return get_u32(tail) == crc;
short_read:
	if (ferror(r->fp))
		seterr(r->err, sizeof r->err, "%s: read: %s", r->path,
		    strerror(errno));
	else
		seterr(r->err, sizeof r->err, "%s: changed while being read",
		    r->path);
	return -1;
}

int
ckpt_open(struct ckpt_reader *r, const char *path)
{
	unsigned char h[CKPT_HEADER_BYTES];
	struct stat st;

	memset(r, 0, sizeof *r);
	r->path = path;
	r->crc = (uint32_t)crc32(0, Z_NULL, 0);
	r->fp = fopen(path, "rb");
	if (r->fp == NULL) {
		seterr(r->err, sizeof r->err, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(r->fp), &st) < 0 || !S_ISREG(st.st_mode)) {
		seterr(r->err, sizeof r->err, "%s: not a regular file", path);
		return -1;
	}
	size_t got = fread(h, 1, sizeof h, r->fp);
	if (got < 8 || memcmp(h + OFF_MAGIC, CKPT_MAGIC, 8) != 0) {
		if (ferror(r->fp))
			seterr(r->err, sizeof r->err, "%s: read: %s", path,
			    strerror(errno));
		else
			seterr(r->err, sizeof r->err, "%s: not a vicreg "
			    "checkpoint (bad magic)", path);
		return -1;
	}
	if (got < 16) {
		seterr(r->err, sizeof r->err, "%s: truncated checkpoint "
		    "(%zu bytes)", path, got);
		return -1;
	}
	uint32_t version = get_u32(h + OFF_VERSION);
	if (version != CKPT_VERSION) {
		seterr(r->err, sizeof r->err, "%s: unsupported checkpoint "
		    "version %u (this build reads version %d)", path,
		    (unsigned)version, CKPT_VERSION);
		return -1;
	}
	if (got < sizeof h) {
		seterr(r->err, sizeof r->err, "%s: truncated checkpoint "
		    "(%zu bytes, the header alone is %d)", path, got,
		    CKPT_HEADER_BYTES);
		return -1;
	}
	header_unpack(&r->info, h);
	const struct ckpt_info *in = &r->info;
	int sane = get_u32(h + OFF_HEADER_BYTES) == CKPT_HEADER_BYTES &&
	    in->nproj <= CKPT_MAX_PROJ && in->n_params <= MAX_FLOATS &&
	    in->n_buffers <= MAX_FLOATS &&
	    (in->n_moments == 0 || in->n_moments == 2);
	if (!sane) {
		seterr(r->err, sizeof r->err, "%s: corrupt checkpoint (bad "
		    "header)", path);
		return -1;
	}
	/*
	 * Then the checksum of the whole file, so that no damaged header
	 * field is taken at its word (a flipped width would read as
	 * another architecture); a damaged file whose size disagrees with
	 * its header is reported by size, the likelier cause.
	 */
	uint64_t want = ckpt_file_size(in);
	int crc_ok = whole_crc_ok(r, h, (uint64_t)st.st_size);
	if (crc_ok < 0)
		return -1;
	if (!crc_ok && (uint64_t)st.st_size == want) {
		seterr(r->err, sizeof r->err, "%s: corrupt checkpoint (CRC "
		    "mismatch)", path);
		return -1;
	}
	if ((uint64_t)st.st_size < want) {
		seterr(r->err, sizeof r->err, "%s: truncated checkpoint "
		    "(%llu bytes, its header describes %llu)", path,
		    (unsigned long long)st.st_size, (unsigned long long)want);
		return -1;
	}
	if ((uint64_t)st.st_size > want) {
		seterr(r->err, sizeof r->err, "%s: corrupt checkpoint "
		    "(%llu bytes after the checksum)", path,
		    (unsigned long long)(st.st_size - want));
		return -1;
	}
	return 0;
}

int
ckpt_read(struct ckpt_reader *r, float *params, float *buffers, float *m,
    float *v)
{
	const struct ckpt_info *in = &r->info;
	unsigned char tail[4];

	if (read_floats(r, params, in->n_params) < 0 ||
	    read_floats(r, buffers, in->n_buffers) < 0)
		return -1;
	if (in->n_moments == 2 && (read_floats(r, m, in->n_params) < 0 ||
	    read_floats(r, v, in->n_params) < 0))
		return -1;
	uint32_t crc = r->crc;
	if (read_bytes(r, tail, 4) < 0)
		return -1;
	if (get_u32(tail) != crc) {
		seterr(r->err, sizeof r->err, "%s: corrupt checkpoint (CRC "
		    "mismatch)", r->path);
		return -1;
	}
	return 0;
}

void
ckpt_close(struct ckpt_reader *r)
{
	if (r->fp != NULL)
		fclose(r->fp);
	r->fp = NULL;
}

int
ckpt_arch_compare(const struct ckpt_info *file,
    const struct ckpt_info *given, char *msg, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} f[] = {
		{ "width", offsetof(struct ckpt_info, width) },
		{ "rep-dim", offsetof(struct ckpt_info, rep_dim) },
		{ "head-dim", offsetof(struct ckpt_info, head_dim) },
		{ "stem-stride", offsetof(struct ckpt_info, stem_stride) },
		{ "stem-pad", offsetof(struct ckpt_info, stem_pad) },
		{ "number of projector layers",
		    offsetof(struct ckpt_info, nproj) },
	};
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		uint64_t a, b;
		memcpy(&a, (const char *)file + f[i].off, 8);
		memcpy(&b, (const char *)given + f[i].off, 8);
		if (a != b) {
			seterr(msg, len, "%s %llu in the checkpoint, %llu "
			    "given", f[i].name, (unsigned long long)a,
			    (unsigned long long)b);
			return -1;
		}
	}
	for (uint64_t i = 0; i < file->nproj; i++)
		if (file->proj[i] != given->proj[i]) {
			seterr(msg, len, "projector layer %llu width %llu in "
			    "the checkpoint, %llu given",
			    (unsigned long long)i + 1,
			    (unsigned long long)file->proj[i],
			    (unsigned long long)given->proj[i]);
			return -1;
		}
	return 0;
}

const char *
ckpt_optimizer_name(uint64_t o)
{
	switch (o) {
	case CKPT_ADAM: return "adam";
	case CKPT_ADAMW: return "adamw";
	case CKPT_LARS: return "lars";
	}
	return "?";
}

const char *
ckpt_schedule_name(uint64_t s)
{
	switch (s) {
	case CKPT_CONSTANT: return "constant";
	case CKPT_COSINE: return "cosine";
	}
	return "?";
}
