/*
 * idx.c - fuzz the IDX (MNIST) reader, lib/idx.c, gzip or plain: open,
 * check the dimensions, read the items one chunk at a time and check
 * the end, as mnist-decode does.  Invariants: an accepted header has
 * 1..IDX_MAXDIM dimensions, describes at most 2^40 bytes, and its item
 * size (which mnist-decode allocates, even for 0 items) is the product
 * of dims[1..], no more than 2^40 either; errors come with a message.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "idx.h"

#define LIMIT ((unsigned __int128)1 << 40)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct idx_reader r;

	if (idx_open(&r, path) < 0) {
		FUZZ_CHECK(r.err[0] != '\0');
		idx_close(&r);
		return 0;
	}
	FUZZ_CHECK(r.ndim >= 1 && r.ndim <= IDX_MAXDIM);
	unsigned __int128 total = 1, item = 1;
	for (int i = 0; i < r.ndim; i++) {
		total *= r.dims[i];
		if (i > 0)
			item *= r.dims[i];
	}
	FUZZ_CHECK(total <= LIMIT);
	FUZZ_CHECK(item <= LIMIT);
	FUZZ_CHECK(item == r.item_bytes);
	FUZZ_CHECK(r.items_left == r.dims[0]);

	/* items a few at a time, while they could be in the input */
	size_t k = 1;
	int rc = 0;
	while (r.items_left > 0 && r.item_bytes * k <= size) {
		size_t n = k < r.items_left ? k : r.items_left;
		uint8_t *buf = malloc(n * r.item_bytes + 1);
		FUZZ_CHECK(buf != NULL);
		rc = idx_read(&r, buf, n);
		free(buf);
		if (rc < 0) {
			FUZZ_CHECK(r.err[0] != '\0');
			break;
		}
		k++;
	}
	if (rc == 0 && r.items_left == 0) {
		if (idx_expect_end(&r) < 0)
			FUZZ_CHECK(r.err[0] != '\0');
	}
	/* more items than are left is an error */
	if (rc == 0)
		FUZZ_CHECK(idx_read(&r, NULL, r.items_left + 1) < 0);
	idx_close(&r);
	return 0;
}
