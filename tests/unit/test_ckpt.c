/* test_ckpt.c - the checkpoint file: round trip and every refusal. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ckpt.h"

static char dir[512];
static char path[600];

static void
fill_info(struct ckpt_info *in)
{
	memset(in, 0, sizeof *in);
	in->width = 8;
	in->rep_dim = 16;
	in->head_dim = 32;
	in->stem_stride = 1;
	in->stem_pad = 0;
	in->nproj = 3;
	in->proj[0] = in->proj[1] = in->proj[2] = 24;
	in->inv_weight = 25;
	in->var_weight = 25;
	in->cov_weight = 1;
	in->gamma = 1;
	in->eps = 1e-4;
	in->optimizer = CKPT_ADAMW;
	in->lr = 3e-4;
	in->weight_decay = 1e-6;
	in->beta1 = 0.9;
	in->beta2 = 0.999;
	in->adam_eps = 1e-8;
	in->schedule = CKPT_COSINE;
	in->warmup_steps = 7;
	in->total_steps = 120;
	in->seed = 0xdeadbeefcafeULL;
	in->plan[0] = 3;
	in->plan[1] = 40;
	in->plan[2] = 256;
	in->plan[3] = 10000;
	in->n_params = 1000;
	in->n_buffers = 37;
	in->n_moments = 2;
	in->step = 55;
	in->epoch = 1;
	rng_seed(&in->rng, 42);
}

static float *
ramp(size_t n, float scale)
{
	float *x = malloc(n * sizeof *x);
	for (size_t i = 0; i < n; i++)
		x[i] = scale * ((float)i - 0.37f * (float)(i % 13));
	return x;
}

static long
file_size(const char *p)
{
	FILE *fp = fopen(p, "rb");
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fclose(fp);
	return n;
}

/* Save a fresh checkpoint at path. */
static void
save_good(void)
{
	struct ckpt_info in;
	char err[CKPT_ERR_LEN];
	fill_info(&in);
	float *p = ramp(in.n_params, 1), *b = ramp(in.n_buffers, 2);
	float *m = ramp(in.n_params, 3), *v = ramp(in.n_params, 4);
	CHECK(ckpt_save(path, &in, p, b, m, v, err, sizeof err) == 0);
	free(p);
	free(b);
	free(m);
	free(v);
}

static void
test_round_trip(void)
{
	struct ckpt_info in;
	struct ckpt_reader r;
	char err[CKPT_ERR_LEN], tmp[sizeof path + 8];

	save_good();
	fill_info(&in);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	CHECK(access(tmp, F_OK) != 0);          /* renamed away */
	CHECK((uint64_t)file_size(path) == ckpt_file_size(&in));
	CHECK(ckpt_file_size(&in) == 512 + 4 * (3 * 1000 + 37) + 4);

	CHECK(ckpt_open(&r, path) == 0);
	CHECK(memcmp(&r.info, &in, sizeof in) == 0);
	float *p = malloc(in.n_params * 4), *b = malloc(in.n_buffers * 4);
	float *m = malloc(in.n_params * 4), *v = malloc(in.n_params * 4);
	CHECK(ckpt_read(&r, p, b, m, v) == 0);
	ckpt_close(&r);
	float *p0 = ramp(in.n_params, 1), *b0 = ramp(in.n_buffers, 2);
	float *m0 = ramp(in.n_params, 3), *v0 = ramp(in.n_params, 4);
	check_close_f32("params", p, p0, in.n_params, 0, 0);
	check_close_f32("buffers", b, b0, in.n_buffers, 0, 0);
	check_close_f32("adam m", m, m0, in.n_params, 0, 0);
	check_close_f32("adam v", v, v0, in.n_params, 0, 0);

	/* encode's way: only the parameters and buffers, CRC still checked */
	memset(p, 0, in.n_params * 4);
	CHECK(ckpt_open(&r, path) == 0);
	CHECK(ckpt_read(&r, p, b, NULL, NULL) == 0);
	ckpt_close(&r);
	check_close_f32("params (moments skipped)", p, p0, in.n_params, 0, 0);

	/* no optimiser state: a smaller file */
	in.n_moments = 0;
	CHECK(ckpt_save(path, &in, p0, b0, NULL, NULL, err, sizeof err) == 0);
	CHECK((uint64_t)file_size(path) == 512 + 4 * 1037 + 4);
	CHECK(ckpt_open(&r, path) == 0);
	CHECK(r.info.n_moments == 0);
	CHECK(ckpt_read(&r, p, b, NULL, NULL) == 0);
	ckpt_close(&r);
	check_close_f32("params (no moments)", p, p0, in.n_params, 0, 0);

	/* bytes are little-endian at the documented offsets */
	FILE *fp = fopen(path, "rb");
	unsigned char h[512];
	CHECK(fread(h, 1, 512, fp) == 512);
	fclose(fp);
	CHECK(memcmp(h, "VICRGCK\x1a", 8) == 0);
	CHECK(h[8] == 1 && h[9] == 0 && h[12] == 0 && h[13] == 2);
	CHECK(h[16] == 8 && h[24] == 16 && h[32] == 32 && h[56] == 3);
	CHECK(h[304] == 55 && h[168] == CKPT_ADAMW && h[216] == CKPT_COSINE);
	free(p); free(b); free(m); free(v);
	free(p0); free(b0); free(m0); free(v0);
}

/* Apply an edit to a good file and expect ckpt_open/ckpt_read to fail
 * with needle in the message. */
static void
expect_refusal(const char *what, long offset, const void *bytes, size_t n,
    long truncate_to, const char *needle)
{
	struct ckpt_reader r;
	save_good();
	if (bytes != NULL) {
		FILE *fp = fopen(path, offset < 0 ? "ab" : "r+b");
		if (offset >= 0)
			fseek(fp, offset, SEEK_SET);
		fwrite(bytes, 1, n, fp);
		fclose(fp);
	}
	if (truncate_to >= 0 && truncate(path, truncate_to) != 0)
		perror("truncate");
	int rc = ckpt_open(&r, path);
	if (rc == 0) {
		float *p = malloc(r.info.n_params * 4);
		float *b = malloc(r.info.n_buffers * 4 + 4);
		rc = ckpt_read(&r, p, b, NULL, NULL);
		free(p);
		free(b);
	}
	ckpt_close(&r);
	if (rc != -1 || strstr(r.err, needle) == NULL ||
	    strstr(r.err, path) == NULL) {
		fprintf(stderr, "%s: rc %d, message '%s', want '%s'\n", what,
		    rc, r.err, needle);
		check_failures++;
	} else {
		printf("%s: ok (%s)\n", what, r.err);
	}
}

static void
test_refusals(void)
{
	struct ckpt_reader r;
	save_good();
	long size = file_size(path);
	unsigned char one = 0x01, v2[4] = { 2, 0, 0, 0 }, big[8];

	expect_refusal("bad magic", 0, "VICRGCK2", 8, -1, "bad magic");
	expect_refusal("empty file", -1, NULL, 0, 0, "bad magic");
	expect_refusal("unsupported version", 8, v2, 4, -1,
	    "unsupported checkpoint version 2 (this build reads version 1)");
	expect_refusal("truncated header", -1, NULL, 0, 100,
	    "truncated checkpoint (100 bytes, the header alone is 512)");
	expect_refusal("truncated data", -1, NULL, 0, size - 5,
	    "truncated checkpoint");
	expect_refusal("trailing bytes", -1, "xy", 2, -1,
	    "corrupt checkpoint (2 bytes after the checksum)");
	/* one flipped bit in each part: header, params, moments, CRC */
	expect_refusal("flipped header bit", 128, &one, 1, -1,
	    "corrupt checkpoint (CRC mismatch)");
	expect_refusal("flipped param bit", 512 + 40, &one, 1, -1,
	    "corrupt checkpoint (CRC mismatch)");
	expect_refusal("flipped moment bit", size - 100, &one, 1, -1,
	    "corrupt checkpoint (CRC mismatch)");
	expect_refusal("flipped crc bit", size - 2, &one, 1, -1,
	    "corrupt checkpoint (CRC mismatch)");
	memset(big, 0xff, 8);
	expect_refusal("absurd count", 280, big, 8, -1,
	    "corrupt checkpoint (bad header)");
	CHECK(ckpt_open(&r, "/nonexistent/ck") == -1);
	CHECK(strstr(r.err, "/nonexistent/ck: No such file") != NULL);
	ckpt_close(&r);

	char err[CKPT_ERR_LEN];
	struct ckpt_info in;
	fill_info(&in);
	CHECK(ckpt_save("/nonexistent/ck", &in, NULL, NULL, NULL, NULL, err,
	    sizeof err) == -1);
	CHECK(strstr(err, "/nonexistent/ck.tmp: No such file") != NULL);
}

static void
test_arch_compare(void)
{
	struct ckpt_info a, b;
	char msg[200];
	fill_info(&a);
	fill_info(&b);
	b.lr = 1;                       /* not architecture */
	b.step = 0;
	CHECK(ckpt_arch_compare(&a, &b, msg, sizeof msg) == 0);
	b.width = 16;
	CHECK(ckpt_arch_compare(&a, &b, msg, sizeof msg) == -1);
	CHECK(strcmp(msg, "width 8 in the checkpoint, 16 given") == 0);
	fill_info(&b);
	b.proj[2] = 25;
	CHECK(ckpt_arch_compare(&a, &b, msg, sizeof msg) == -1);
	CHECK(strcmp(msg, "projector layer 3 width 24 in the checkpoint, "
	    "25 given") == 0);
	fill_info(&b);
	b.nproj = 2;
	CHECK(ckpt_arch_compare(&a, &b, msg, sizeof msg) == -1);
	CHECK(strstr(msg, "number of projector layers 3") != NULL);
	CHECK(strcmp(ckpt_optimizer_name(CKPT_LARS), "lars") == 0);
	CHECK(strcmp(ckpt_schedule_name(CKPT_COSINE), "cosine") == 0);
}

int
main(void)
{
	if (mkdtemp(check_tmp_template(dir, sizeof dir,
	    "test_ckpt.XXXXXX")) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/ck", dir);
	test_round_trip();
	test_refusals();
	test_arch_compare();
	unlink(path);
	rmdir(dir);
	return check_done();
}
