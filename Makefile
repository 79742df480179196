# vicreg-tools: VICReg on CIFAR-10 as a pipeline of small Unix tools.
# See README.md; doc/design.md explains how the pieces fit.

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=

CC       ?= cc
# make MPI=1: data-parallel vicreg-train (lib/dist.h) built with Open
# MPI's mpicc into build-mpi/ and bin-mpi/; the default build has no MPI.
ifeq ($(MPI),1)
CC        = mpicc
CPPFLAGS += -DVT_MPI
B        ?= build-mpi
BIN      ?= bin-mpi
endif
OPT      ?= -O2
CFLAGS   ?= $(OPT) -g
WARN      = -std=c11 -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CPPFLAGS += -D_DEFAULT_SOURCE -Ilib
OMPFLAGS ?= -fopenmp

# BLIS has no .pc file on Debian 12; zlib and libpng do.
MULTIARCH  := $(shell $(CC) -print-multiarch 2>/dev/null)
BLIS_CFLAGS ?= $(shell pkg-config --cflags blis 2>/dev/null || echo -I/usr/include/$(MULTIARCH))
BLIS_LIBS   ?= $(shell pkg-config --libs blis 2>/dev/null || echo -lblis)
PNG_CFLAGS  ?= $(shell pkg-config --cflags libpng 2>/dev/null)
PNG_LIBS    ?= $(shell pkg-config --libs libpng 2>/dev/null || echo -lpng16)
ZLIB_CFLAGS ?= $(shell pkg-config --cflags zlib 2>/dev/null)
ZLIB_LIBS   ?= $(shell pkg-config --libs zlib 2>/dev/null || echo -lz)

ALL_CFLAGS = $(WARN) $(CFLAGS) $(OMPFLAGS) $(CPPFLAGS) $(BLIS_CFLAGS) $(PNG_CFLAGS) $(ZLIB_CFLAGS)
LDLIBS    += $(BLIS_LIBS) $(PNG_LIBS) $(ZLIB_LIBS) -lm

B        ?= build
BIN      ?= bin
LIB_SRC  := $(sort $(wildcard lib/*.c))
LIB_OBJ  := $(LIB_SRC:lib/%.c=$(B)/lib/%.o)
TOOLS    := $(sort $(basename $(notdir $(wildcard tools/*.c))))
BINS     := $(TOOLS:%=$(BIN)/%)
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
MAN1     := $(sort $(wildcard man/man1/*.1))
MAN5     := $(sort $(wildcard man/man5/*.5))

.PHONY: all units test test-asan test-valgrind test-mpi mpi bench install \
	uninstall clean deps data lint fuzz
.DEFAULT_GOAL := all

all: $(BINS)

$(B)/lib/%.o: lib/%.c $(wildcard lib/*.h) | $(B)/lib
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libvt.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BIN)/%: tools/%.c $(B)/libvt.a $(wildcard lib/*.h) | $(BIN)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(B)/libvt.a $(OMPFLAGS) $(LDFLAGS) $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(B)/libvt.a | $(B)/tests
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(B)/libvt.a $(OMPFLAGS) $(LDFLAGS) $(LDLIBS)

units: $(UNITS)

$(B)/lib $(B)/tests $(BIN):
	mkdir -p $@

-include local.mk
include pipelines/data.mk
-include $(sort $(wildcard pipelines/study*.mk))

# The whole suite: C unit tests and bats, one summary line at the end.
test: all units data
	@tests/run

# The unit tests and every tool's bats file again, on a build with
# AddressSanitizer and UBSan (the smoke study is left to `make test`, and
# the ulimit -v checks of memory.bats: ASan reserves terabytes of shadow).
ASAN = -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
test-asan: data
	$(MAKE) --no-print-directory B=build-asan BIN=build-asan/bin \
	    OPT='$(ASAN)' LDFLAGS='-fsanitize=address,undefined' all units
	@B=build-asan BIN=build-asan/bin SKIP_BATS="study memory" \
	    BATS_ASAN_OPTIONS=detect_leaks=0 tests/run

# A chosen set of small cases of the tools under valgrind (memcheck,
# full leak check): any memory error or definite leak fails.  The cases
# are listed in tests/valgrind.
test-valgrind: all
	@tests/valgrind

# vicreg-train under mpirun against one process (needs Open MPI:
# apt-get install openmpi-bin libopenmpi-dev); not part of `make test`.
mpi:
	$(MAKE) --no-print-directory MPI=1 bin-mpi/vicreg-train
test-mpi: all mpi data
	@PATH="$$PWD/$(BIN):$$PATH" OMP_WAIT_POLICY=passive \
	    bats --tap tests/mpi/vicreg-train.bats

# Fuzzing (fuzz/README): each fuzz/NAME.c is one libFuzzer target.
# `make units` builds every target with a plain main (fuzz/common/
# replay.c) and the normal cc, so that tests/fuzz-replay.bats replays
# the committed corpora; `make fuzz` builds them with clang, libFuzzer,
# ASan and UBSan into build-fuzz/ and runs each for FUZZ_TIME seconds
# (under nice).  Not part of `make test`.  (No -Werror for clang:
# the gcc build keeps the code warning-free; clang warns of its own.
# No t-SNE either: clang 14 rejects its AVX2 kernel, and no target
# needs it.)
FUZZ_TIME  ?= 60
FUZZ_CC    ?= clang
FUZZ_SRC   := $(sort $(wildcard fuzz/*.c))
FUZZ_NAMES := $(FUZZ_SRC:fuzz/%.c=%)
FUZZ_DRIVER ?= fuzz/common/replay.c
FUZZ_SAN    = -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer

$(B)/fuzz/%: fuzz/%.c fuzz/common/fuzz.h fuzz/common/fuzz.c \
    fuzz/common/replay.c $(B)/libvt.a $(wildcard lib/*.h tools/*.c) | $(B)/fuzz
	$(CC) $(ALL_CFLAGS) -Ifuzz/common -o $@ $< fuzz/common/fuzz.c \
	    $(FUZZ_DRIVER) $(B)/libvt.a $(OMPFLAGS) $(LDFLAGS) \
	    -Wl,--wrap=exit $(LDLIBS)

units: $(FUZZ_NAMES:%=$(B)/fuzz/%)

$(B)/fuzz:
	mkdir -p $@

fuzz:
	$(MAKE) --no-print-directory CC=$(FUZZ_CC) B=build-fuzz \
	    WARN='$(filter-out -Werror,$(WARN))' \
	    LIB_SRC='$(filter-out lib/tsne%,$(LIB_SRC))' OPT='-O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link' \
	    LDFLAGS='$(FUZZ_SAN) -fsanitize=fuzzer' FUZZ_DRIVER= \
	    $(FUZZ_NAMES:%=build-fuzz/fuzz/%)
	@FUZZ_TIME=$(FUZZ_TIME) fuzz/run build-fuzz $(FUZZ_NAMES)

bench: all
	@for b in bench/*.sh; do [ -x "$$b" ] && "$$b"; done; true

lint: $(MAN1) $(MAN5)
	mandoc -Tlint -Wwarning $(MAN1) $(MAN5)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5

uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(BINDIR)/%) \
	    $(MAN1:man/man1/%=$(DESTDIR)$(MANDIR)/man1/%) \
	    $(MAN5:man/man5/%=$(DESTDIR)$(MANDIR)/man5/%)

# Debian packages for building, testing and the reference scripts.
deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	    build-essential pkg-config libblis-dev libpng-dev zlib1g-dev \
	    bats mandoc curl ca-certificates chromium valgrind

clean:
	rm -rf bin $(BIN) $(B) build-asan bin-mpi build-mpi build-fuzz
