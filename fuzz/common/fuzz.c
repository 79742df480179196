/* fuzz.c - the shared part of every fuzz target (see fuzz.h). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

jmp_buf fuzz_jmp;
volatile int fuzz_armed, fuzz_status;

void __real_exit(int status) __attribute__((noreturn));
void __wrap_exit(int status) __attribute__((noreturn));

void
__wrap_exit(int status)
{
	if (fuzz_armed) {
		fuzz_armed = 0;
		fuzz_status = status;
		fflush(stderr);
		longjmp(fuzz_jmp, 1);
	}
	__real_exit(status);
}

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: harness check failed: %s\n", file, line,
	    what);
	abort();
}

const char *
fuzz_file(const void *data, size_t size)
{
	static char path[4096];
	static int fd = -1;
	if (fd < 0) {
		const char *dir = getenv("TMPDIR");
		if (access("/dev/shm", W_OK) == 0)
			dir = "/dev/shm";     /* tmpfs: no disk writes */
		else if (dir == NULL || *dir == '\0')
			dir = "/tmp";
		snprintf(path, sizeof path, "%s/vt-fuzz-XXXXXX", dir);
		if ((fd = mkstemp(path)) < 0) {
			perror(path);
			abort();
		}
		unlink(path);         /* the open descriptor keeps it */
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) !=
	    (ssize_t)size) {
		perror("fuzz_file");
		abort();
	}
	return path;
}

char *
fuzz_string(const void *data, size_t size)
{
	static char *buf;
	static size_t cap;
	if (size + 1 > cap) {
		free(buf);
		cap = size + 1;
		if ((buf = malloc(cap)) == NULL)
			abort();
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	return buf;
}

#define FDS 1024
static unsigned char fds_open[FDS];

void
fuzz_fds_mark(void)
{
	for (int fd = 0; fd < FDS; fd++)
		fds_open[fd] = fcntl(fd, F_GETFD) != -1;
}

void
fuzz_fds_close(void)
{
	for (int fd = 0; fd < FDS; fd++)
		if (!fds_open[fd] && fcntl(fd, F_GETFD) != -1)
			close(fd);
}
