/*
 * test_resize.c - the PIL-compatible bilinear resize against PIL itself
 * (tests/fixtures/decode/resize.npy, made by tests/reference/
 * gen_decode.py): every output pixel must be equal.  The double-precision
 * reference twin must stay within one grey level of it.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "npy.h"
#include "resize.h"

#define FIXTURE "tests/fixtures/decode/resize.npy"

static void *
next_array(struct npy_reader *r, enum npy_dtype t)
{
	void *p = NULL;
	if (npy_next(r) != 1 || r->h.dtype != t || npy_read_all(r, &p) < 0) {
		fprintf(stderr, "%s: bad fixture: %s\n", FIXTURE, r->err);
		exit(1);
	}
	return p;
}

int
main(void)
{
	FILE *fp = fopen(FIXTURE, "rb");
	struct npy_reader r;
	if (fp == NULL) {
		perror(FIXTURE);
		return 1;
	}
	npy_reader_init(&r, fp, FIXTURE);
	uint8_t *in = next_array(&r, NPY_U8);         /* [K,IH,IW] */
	size_t K = r.h.shape[0], IH = r.h.shape[1], IW = r.h.shape[2];
	int sizes = 0;
	while (npy_next(&r) == 1) {
		int64_t *s;
		if (r.h.dtype != NPY_I64 || npy_read_all(&r, (void **)&s) < 0)
			break;
		size_t S = (size_t)s[0];
		free(s);
		uint8_t *want = next_array(&r, NPY_U8);   /* [K,S,S] */
		CHECK(r.h.shape[0] == K && r.h.shape[1] == S &&
		    r.h.shape[2] == S);

		struct resize_plan px, py;
		CHECK(resize_plan_make(&px, IW, S) == 0);
		CHECK(resize_plan_make(&py, IH, S) == 0);
		uint8_t *got = malloc(K * S * S), *tmp = malloc(IH * S);
		float *gotf = malloc(K * S * S * sizeof *gotf);
		float *ref = malloc(K * S * S * sizeof *ref);
		double *tmpd = malloc(IH * S * sizeof *tmpd);
		size_t differ = 0, worst = 0;
		int worst_d = 0;
		for (size_t k = 0; k < K; k++) {
			resize_bilinear_u8(got + k * S * S, tmp,
			    in + k * IH * IW, &px, &py);
			resize_bilinear_ref(ref + k * S * S, tmpd,
			    in + k * IH * IW, &px, &py);
		}
		for (size_t i = 0; i < K * S * S; i++) {
			int d = abs((int)got[i] - (int)want[i]);
			gotf[i] = got[i];
			if (d) {
				differ++;
				if (d > worst_d) {
					worst_d = d;
					worst = i;
				}
			}
		}
		printf("resize 28x28 -> %zux%zu on %zu images: %zu of %zu "
		    "pixels differ from PIL (worst %d at [%zu])\n", S, S, K,
		    differ, K * S * S, worst_d, worst);
		CHECK(differ == 0);
		char what[64];
		snprintf(what, sizeof what, "fixed point vs double ref, S=%zu",
		    S);
		check_close_f32(what, gotf, ref, K * S * S, 1.0, 0);
		resize_plan_free(&px);
		resize_plan_free(&py);
		free(got);
		free(tmp);
		free(gotf);
		free(ref);
		free(tmpd);
		free(want);
		sizes++;
	}
	CHECK(sizes == 4);
	free(in);
	fclose(fp);

	struct resize_plan p;
	CHECK(resize_plan_make(&p, 0, 4) == -1);
	CHECK(resize_plan_make(&p, 4, 0) == -1);
	return check_done();
}
