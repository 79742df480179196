/*
 * tensor_text.c - fuzz the text parsers of tools/tensor.c, which this
 * includes (its main renamed): from-text's number table (text_read,
 * on a memory FILE), the SHAPE lists of --shape / --row-shape /
 * --reshape (parse_shape), the ROWS and COLUMNS lists of take and cols
 * (parse_rows, resolve_rows) and const's VALUE (parse_value).  The
 * first byte picks the parser and a dtype; the rest is the text.  The
 * list parsers die_usage on bad input: caught (fuzz.h), exit status 2.
 * Invariants: accepted tables have rows * cols values; accepted shapes
 * have 1..max sizes whose product is within NPY_MAX_BYTES; resolved
 * rows are in range.
 */
#include "fuzz.h"

#define main tensor_main
#include "../tools/tensor.c"
#undef main

static void
fuzz_text(const char *s, size_t len, enum npy_dtype t)
{
	static const char empty[1];
	struct text_table tt;
	FILE *fp = fmemopen(len ? (void *)s : (void *)empty, len, "r");
	FUZZ_CHECK(fp != NULL);
	if (text_read(fp, t, &tt) == 0) {
		FUZZ_CHECK(tt.len == tt.rows * tt.cols * npy_dtype_size(t));
		FUZZ_CHECK(tt.rows == 0 || tt.cols > 0);
	} else {
		FUZZ_CHECK(tt.bad != NULL || (tt.n != tt.cols && tt.n > 0));
		FUZZ_CHECK(tt.lineno > 0);
	}
	tt_free(&tt);
	fclose(fp);
}

static void
fuzz_shape(const char *s, int max)
{
	size_t shape[NPY_MAXDIM];
	if (FUZZ_TRY() == 0) {
		int n = parse_shape("--shape", s, shape, max);
		FUZZ_CHECK(n >= 1 && n <= max);
		unsigned __int128 bytes = 1;
		for (int i = 0; i < n; i++)
			if (shape[i])
				bytes *= shape[i];
		FUZZ_CHECK(bytes <= NPY_MAX_BYTES);
	} else {
		FUZZ_CHECK(fuzz_status == EXIT_USAGE);
	}
	FUZZ_END();
}

static void
fuzz_rows(const char *s, size_t n)
{
	struct npy_reader r;
	/* held across a caught die() in resolve_rows, then freed: millions
	 * of leaked specs add up to libFuzzer's memory limit */
	static struct rowspec *volatile spec;
	npy_reader_init(&r, NULL, "fuzz");
	spec = NULL;
	if (FUZZ_TRY() == 0) {
		size_t ns, m;
		spec = parse_rows(s, &ns);
		FUZZ_CHECK(ns >= 1);
		size_t *rows = resolve_rows(spec, ns, n, &m, &r, "row");
		for (size_t i = 0; i < m; i++)
			FUZZ_CHECK(rows[i] < n);
		FUZZ_CHECK(m <= ns * n);
		free(rows);
	} else {
		FUZZ_CHECK(fuzz_status == EXIT_USAGE ||
		    fuzz_status == EXIT_DATA);
	}
	FUZZ_END();
	free(spec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum npy_dtype t = (enum npy_dtype)(data[0] / 4 % 5);
	const char *s = fuzz_string(data + 1, size - 1);
	char value[8];

	progname = "tensor";
	switch (data[0] % 4) {
	case 0:
		fuzz_text((const char *)data + 1, size - 1, t);
		break;
	case 1:
		fuzz_shape(s, NPY_MAXDIM);
		fuzz_shape(s, NPY_MAXDIM - 1);
		break;
	case 2:
		fuzz_rows(s, data[0] / 4 % 9);   /* arrays of 0..8 rows */
		break;
	case 3:
		(void)parse_value(s, t, value);
		break;
	}
	return 0;
}
