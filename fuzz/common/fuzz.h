/*
 * fuzz.h - what the fuzz targets share (fuzz/README).
 *
 * Every fuzz/NAME.c defines LLVMFuzzerTestOneInput.  It is linked
 * either with libFuzzer (clang, `make fuzz`) or with replay.c, a main
 * that feeds it each file named on the command line (the normal cc,
 * `make units`, run by tests/fuzz-replay.bats).  Both link with
 * -Wl,--wrap=exit so that a target can catch die() (FUZZ_TRY).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a file (the readers that take a path): the path of a
 * private temporary file that now holds exactly data.  Dies (abort) if
 * the file cannot be written: that is the harness failing, not the
 * parser. */
const char *fuzz_file(const void *data, size_t size);

/* The input as a NUL-terminated string, in a buffer reused each call. */
char *fuzz_string(const void *data, size_t size);

/*
 * die(), die_usage() and die_errno() end in exit(1) or exit(2).  While
 * fuzz_armed is set, exit() longjmps to fuzz_jmp with the status
 * instead (fuzz_status), so a tool's own parsing code, die() included,
 * runs in the fuzzer's process:
 *
 *	if (FUZZ_TRY() == 0) { ... code that may die ... }
 *	FUZZ_END();
 *
 * Memory the code held when it died is not freed (a tool would have
 * exited): targets that use this run with -detect_leaks=0.
 */
extern jmp_buf fuzz_jmp;
extern volatile int fuzz_armed, fuzz_status;
#define FUZZ_TRY() (fuzz_armed = 1, setjmp(fuzz_jmp))
#define FUZZ_END() (fuzz_armed = 0)

/* Descriptors: note which are open (fuzz_fds_mark) and close any
 * opened since (fuzz_fds_close), for code that died holding a FILE. */
void fuzz_fds_mark(void);
void fuzz_fds_close(void);

/* A harness invariant failed: report it and abort (a finding). */
#define FUZZ_CHECK(cond) do { \
		if (!(cond)) \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)
void fuzz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

#endif
