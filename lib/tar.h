/*
 * tar.h - read the members of a tar archive, gzip-compressed or plain,
 * one after another without extracting anything.
 *
 * The archive is read through zlib's gzread, which passes an
 * uncompressed file through unchanged.  Headers are 512-byte ustar or
 * GNU blocks; the checksum is verified; long names come from the ustar
 * prefix field, GNU 'L' records or pax 'path' records.  Every function
 * returns 0 or 1 on success and -1 on error, with a message naming the
 * archive and the byte offset (in the uncompressed tar) in t->err.
 * Nothing here prints or exits.
 */
#ifndef TAR_H
#define TAR_H

#include <stddef.h>
#include <stdint.h>

#define TAR_NAME_MAX 1024

struct tar_reader {
	void *gz;                 /* gzFile */
	const char *name;         /* archive path or "stdin", for messages */
	uint64_t pos;             /* uncompressed bytes consumed */
	char member[TAR_NAME_MAX];/* current member's name */
	char type;                /* its type flag ('0' regular file) */
	uint64_t size;            /* its size */
	uint64_t left;            /* bytes of it not yet read */
	int ended;                /* end-of-archive seen */
	char err[TAR_NAME_MAX + 256];
};

/* Open path ("-" is stdin).  Returns 0, or -1 with t->err set. */
int tar_open(struct tar_reader *t, const char *path);
void tar_close(struct tar_reader *t);
/*
 * Move to the next member (skipping what is left of the current one).
 * Returns 1 with t->member, t->type and t->size set, 0 at the end of the
 * archive, -1 on error.  Only regular files and directories are
 * returned; links and other special members are returned too, with
 * their type flag, and have no data.
 */
int tar_next(struct tar_reader *t);
/* Read exactly n bytes of the current member. */
int tar_read(struct tar_reader *t, void *buf, size_t n);
/* The last path component of a member name ("a/b/c.bin" -> "c.bin"). */
const char *tar_basename(const char *member);
/* Skip forward to the regular member whose basename is base: 1 found,
 * 0 not found before the end, -1 error. */
int tar_find(struct tar_reader *t, const char *base);

#endif
