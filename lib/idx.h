/*
 * idx.h - read IDX files (the MNIST format), gzip-compressed or plain.
 *
 * An IDX file is a 4-byte magic (0, 0, element type, number of
 * dimensions), the dimensions as big-endian 32-bit counts, then the
 * elements in C order.  Only unsigned bytes (type 0x08) are supported.
 * Items are the slices along the first dimension.  Functions return 0
 * or -1 with a message naming the file and byte offset in r->err.
 */
#ifndef IDX_H
#define IDX_H

#include <stddef.h>
#include <stdint.h>

#define IDX_MAXDIM 4

struct idx_reader {
	void *gz;                 /* gzFile */
	const char *name;
	uint64_t pos;             /* uncompressed bytes consumed */
	int ndim;
	size_t dims[IDX_MAXDIM];
	size_t item_bytes;        /* product of dims[1..] */
	size_t items_left;
	char err[512];
};

int idx_open(struct idx_reader *r, const char *path);
/* Read n items (n * item_bytes bytes). */
int idx_read(struct idx_reader *r, uint8_t *buf, size_t n);
/* 0 if nothing follows the last item, -1 otherwise. */
int idx_expect_end(struct idx_reader *r);
void idx_close(struct idx_reader *r);

#endif
