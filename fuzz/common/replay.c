/*
 * replay.c - a main for a fuzz target without libFuzzer: feed it each
 * file named on the command line, once, in order.  Prints one line per
 * file on stderr; a crash is the target's own (abort, a signal, a
 * sanitizer report).  Exit 0 when every file has been replayed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

int
main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *fp = fopen(argv[i], "rb");
		if (fp == NULL) {
			perror(argv[i]);
			return 2;
		}
		size_t cap = 1 << 16, len = 0, got;
		unsigned char *buf = malloc(cap);
		while (buf && (got = fread(buf + len, 1, cap - len, fp)) > 0)
			if ((len += got) == cap)
				buf = realloc(buf, cap *= 2);
		if (buf == NULL || ferror(fp)) {
			fprintf(stderr, "%s: cannot read\n", argv[i]);
			return 2;
		}
		fclose(fp);
		fprintf(stderr, "replay %s (%zu bytes)\n", argv[i], len);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
	}
	return 0;
}
