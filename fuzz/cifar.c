/*
 * cifar.c - fuzz the CIFAR-10 archive reader: gzip (lib/gzin.c, zlib),
 * tar (lib/tar.c) and the batch records, walked as cifar-decode walks
 * them.  Three passes over each input: every member in order (batch
 * members read a chunk of records at a time with their labels checked,
 * batches.meta.txt read whole, other members read in part or skipped),
 * tar_find of test_batch.bin, and the input as an extracted .bin batch
 * file.  Invariants: errors come with a message; a member never yields
 * more bytes than its size; after the end, the end again.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tar.h"

#define PIXELS 3072               /* 3 x 32 x 32, as tools/cifar-decode.c */
#define RECORD (1 + PIXELS)
#define CLASSES 10
#define CHUNK 4                   /* records per read */

static unsigned char buf[CHUNK * RECORD];

static int
is_batch(const char *base)
{
	size_t n = strlen(base);
	return strcmp(base, "test_batch.bin") == 0 ||
	    (strncmp(base, "data_batch_", 11) == 0 && n > 4 &&
	    strcmp(base + n - 4, ".bin") == 0);
}

/* Labels of k records: -1 at the first out of range, as the tool dies. */
static int
check_records(const unsigned char *rec, size_t k)
{
	for (size_t i = 0; i < k; i++)
		if (rec[i * RECORD] >= CLASSES)
			return -1;
	return 0;
}

static int
read_batch(struct tar_reader *t)
{
	if (t->size % RECORD)
		return 0;                 /* "truncated record": the tool stops */
	uint64_t left = t->size / RECORD;
	while (left > 0) {
		size_t k = left < CHUNK ? (size_t)left : CHUNK;
		if (tar_read(t, buf, k * RECORD) < 0)
			return -1;
		if (check_records(buf, k) < 0)
			return 0;
		left -= k;
	}
	FUZZ_CHECK(t->left == 0);
	return 0;
}

static void
walk(const char *path)
{
	struct tar_reader t;
	unsigned n = 0;
	int rc;

	if (tar_open(&t, path) < 0) {
		FUZZ_CHECK(t.err[0] != '\0');
		return;
	}
	while ((rc = tar_next(&t)) == 1) {
		size_t len = strnlen(t.member, TAR_NAME_MAX);
		FUZZ_CHECK(len < TAR_NAME_MAX);
		FUZZ_CHECK(t.left == t.size);
		const char *base = tar_basename(t.member);
		FUZZ_CHECK(base >= t.member && base <= t.member + len);
		if (t.type == '0' && is_batch(base)) {
			if (read_batch(&t) < 0)
				break;
		} else if (t.type == '0' && strcmp(base,
		    "batches.meta.txt") == 0 && t.size <= 1 << 16) {
			char *text = malloc((size_t)t.size + 1);
			FUZZ_CHECK(text != NULL);
			rc = tar_read(&t, text, (size_t)t.size);
			free(text);
			if (rc < 0)
				break;
		} else if (n++ % 2 && t.left > 0) {
			/* part of it; tar_next skips the rest */
			size_t k = t.left < 7 ? (size_t)t.left : 7;
			if (tar_read(&t, buf, k) < 0)
				break;
		}
		/* more than is left is an error, not a read */
		if (t.left < sizeof buf) {
			uint64_t before = t.pos;
			FUZZ_CHECK(tar_read(&t, buf, (size_t)t.left + 1) < 0);
			FUZZ_CHECK(t.pos == before);
		}
	}
	if (rc == 0)
		FUZZ_CHECK(tar_next(&t) == 0);
	else
		FUZZ_CHECK(t.err[0] != '\0');
	tar_close(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	walk(path);

	struct tar_reader t;
	if (tar_open(&t, path) == 0) {
		int rc = tar_find(&t, "test_batch.bin");
		if (rc == 1)
			FUZZ_CHECK(t.type == '0' && strcmp(tar_basename(
			    t.member), "test_batch.bin") == 0);
		else if (rc < 0)
			FUZZ_CHECK(t.err[0] != '\0');
		tar_close(&t);
	}

	/* an extracted batch file: whole records, labels 0..9 */
	if (size % RECORD == 0)
		(void)check_records(data, size / RECORD);
	return 0;
}
