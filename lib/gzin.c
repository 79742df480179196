/* gzin.c - gzip input through zlib; see gzin.h. */
#include "gzin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

void *
gzin_open(const char *path, const char *name, unsigned bufsize, char *err,
    size_t errlen)
{
	gzFile gz;
	if (strcmp(path, "-") == 0) {
		int fd = dup(STDIN_FILENO);
		gz = fd < 0 ? NULL : gzdopen(fd, "rb");
	} else {
		gz = gzopen(path, "rb");
	}
	if (gz == NULL) {
		snprintf(err, errlen, "%s: %s", name,
		    errno ? strerror(errno) : "cannot open");
		return NULL;
	}
	gzbuffer(gz, bufsize);
	return gz;
}

const char *
gzin_message(void *gz, int *errnum)
{
	const char *m = gzerror((gzFile)gz, errnum), *c = strstr(m, ": ");
	if (*errnum == Z_ERRNO)
		return strerror(errno);
	if (c)
		m = c + 2;
	return *m ? m : "corrupt gzip data";
}

int
gzin_read(void *gz, void *buf, size_t n, uint64_t *pos, size_t *got,
    const char **msg)
{
	int e;
	*got = 0;
	*msg = NULL;
	while (*got < n) {
		/* gzread takes an unsigned count: at most 1 GiB a call */
		unsigned chunk = n - *got > (1u << 30) ? 1u << 30 :
		    (unsigned)(n - *got);
		int k = gzread((gzFile)gz, (char *)buf + *got, chunk);
		if (k < 0) {
			*msg = gzin_message(gz, &e);
			return -1;
		}
		if (k == 0)
			break;
		*got += (size_t)k;
		*pos += (size_t)k;
	}
	if (*got == n)
		return 0;
	const char *m = gzin_message(gz, &e);
	if (e != Z_OK && e != Z_BUF_ERROR)
		*msg = m;
	return -1;
}
