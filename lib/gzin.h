/*
 * gzin.h - reading gzip input through zlib for the decoders of the
 * downloaded data sets (lib/idx.c, lib/tar.c): full reads and zlib's
 * messages.  Nothing here prints or exits.
 */
#ifndef GZIN_H
#define GZIN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Open path for reading through zlib ("-" is a dup of stdin, so closing
 * it leaves descriptor 0 alone) with a bufsize-byte buffer; returns the
 * gzFile, or NULL with "name: why" in err (name is what messages call
 * the input).
 */
void *gzin_open(const char *path, const char *name, unsigned bufsize,
    char *err, size_t errlen);

/*
 * zlib's message for the last error on gz (a gzFile), without the
 * "path: " that gzerror puts in front; strerror(errno) for a system
 * error.  *errnum gets zlib's code (Z_OK when there was none).
 */
const char *gzin_message(void *gz, int *errnum);

/*
 * Read n bytes of gz into buf, adding what arrives to *pos.  Returns 0
 * when all n arrived.  Otherwise returns -1 with *got the bytes read and
 * *msg zlib's message (a read or decompression error), or *msg NULL when
 * the data just ended early (the caller says what was truncated).
 */
int gzin_read(void *gz, void *buf, size_t n, uint64_t *pos, size_t *got,
    const char **msg);

#endif
