#!/bin/sh
# bench/conv.sh - every convolution shape of the ResNet-18 encoder, each
# part (forward, input gradient, weight gradient) by each method that
# applies: im2col + BLIS, the direct 3x3 kernels (lib/conv3x3),
# Winograd F(2x2,3x3) (wino) and F(4x4,3x3) (wino4, lib/conv_wino), the
# channel-blocked F(4x4,3x3) (wcb, lib/conv_wcb), the direct
# stride-2 kernels (s2, lib/conv_s2) and the channels-last stride-2
# kernels (s2c, lib/conv_s2c).  The numbers behind the method choices
# in conv3x3.c (use_direct), conv_wino.c (use_wino), conv_wcb.c
# (use_wcb), conv_s2.c (use_s2) and conv_s2c.c (use_s2c).
#
#   [THREADS=2] [REPS=5] [CLOCK=wall|cpu] [STAT=median|min] [STRIDE=s] \
#       bench/conv.sh [WIDTH] [BATCH] [STEM_STRIDE]
#   defaults: width 16, batch 256 (one view), stem stride 1, every
#   shape (STRIDE=1 or 2: only the shapes of that stride)
#
# Prints one line per shape: milliseconds per call (median, or with
# STAT=min the fastest, of REPS after one warm-up call) for f(orward),
# dx (input gradient) and dw (weight gradient) per method; "-" where a
# method does not apply.  The methods take turns call by call, so that
# a change in the machine's load falls on all of them alike.
# Wall clock by default: run it on an idle machine (BLIS threads spin).
# CLOCK=cpu times the process's CPU time instead: with THREADS=1 it
# tells kernels apart on a busy machine (the caches are still shared,
# so compare revisions in the same run, not against wall times; the
# minimum of many REPS is the steadier statistic there).
set -eu
cd "$(dirname "$0")/.."
WIDTH=${1:-16}
BATCH=${2:-256}
STEM=${3:-1}
STRIDE=${STRIDE:-0}
THREADS=${THREADS:-2}
REPS=${REPS:-5}
case ${CLOCK:-wall} in
wall) clock=CLOCK_MONOTONIC ;;
cpu) clock=CLOCK_PROCESS_CPUTIME_ID ;;
*) echo "bench/conv.sh: CLOCK must be wall or cpu" >&2; exit 2 ;;
esac
case ${STAT:-median} in
median) pick=0 ;;
min) pick=1 ;;
*) echo "bench/conv.sh: STAT must be median or min" >&2; exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/conv.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "conv3x3.h"
#include "conv_s2.h"
#include "conv_s2c.h"
#include "conv_wcb.h"
#include "conv_wino.h"
#include "nn.h"
#include "rng.h"

static double
now(void)
{
	struct timespec t;
	clock_gettime(BENCH_CLOCK, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

enum { BLIS, DIRECT, WINO, WINO4, WCB, S2, S2C, NMETHOD };
static const char *method_name[NMETHOD] = { "blis", "direct", "wino",
    "wino4", "wcb", "s2", "s2c" };

static void
use(int m)
{
	conv3x3_set_kernels(m == DIRECT ? CONV3X3_AVX2 : CONV3X3_OFF);
	conv_wino_set(m == WINO ? CONV_WINO_F2 : m == WINO4 ? CONV_WINO_F4 :
	    CONV_WINO_OFF);
	conv_wcb_set(m == WCB ? CONV_WCB_ON : CONV_WCB_OFF);
	conv_s2_set_kernels(m == S2 ? CONV_S2_AVX2 : CONV_S2_OFF);
	conv_s2c_set(m == S2C ? CONV_S2C_ON : CONV_S2C_OFF);
}

/* 1 if method m can do shape s */
static int
can(int m, const struct conv2d_shape *s)
{
	switch (m) {
	case DIRECT:
		return s->KS == 3 && s->stride == 1;
	case WINO:
	case WINO4:
		return s->KS == 3 && s->stride == 1 && s->pad == 1;
	case WCB:
		return s->KS == 3 && s->stride == 1 && s->pad == 1 &&
		    s->C % 8 == 0 && s->OC % 8 == 0;
	case S2:
		return s->stride == 2 && ((s->KS == 3 && s->pad == 1) ||
		    (s->KS == 1 && s->pad == 0));
	case S2C:
		return s->KS == 3 && s->stride == 2 && s->pad == 1 &&
		    s->C % 8 == 0 && s->OC % 8 == 0;
	default:
		return 1;
	}
}

/* conv WIDTH BATCH STEM THREADS REPS STRIDE */
int
main(int argc, char **argv)
{
	if (argc != 7)
		return 2;
	size_t w = strtoul(argv[1], NULL, 10), N = strtoul(argv[2], NULL, 10);
	size_t stem = strtoul(argv[3], NULL, 10);
	size_t th = strtoul(argv[4], NULL, 10);
	int reps = atoi(argv[5]);
	size_t only = strtoul(argv[6], NULL, 10);
	blas_init(th, 0);
	/* the encoder's maps: the stem (3x3, pad 0 at stride 1, pad 1 at
	 * stride 2), then layer1..4, each halving the map */
	size_t H[4];
	H[0] = stem == 1 ? 30 : 16;
	for (int i = 1; i < 4; i++)
		H[i] = (H[i - 1] + 1) / 2;
	struct { size_t C, H, OC, KS, st, pad; } L[] = {
		{ 3, 32, w, 3, stem, stem == 1 ? 0 : 1 },
		{ w, H[0], w, 3, 1, 1 },
		{ w, H[0], 2 * w, 3, 2, 1 }, { w, H[0], 2 * w, 1, 2, 0 },
		{ 2 * w, H[1], 2 * w, 3, 1, 1 },
		{ 2 * w, H[1], 4 * w, 3, 2, 1 }, { 2 * w, H[1], 4 * w, 1, 2, 0 },
		{ 4 * w, H[2], 4 * w, 3, 1, 1 },
		{ 4 * w, H[2], 8 * w, 3, 2, 1 }, { 4 * w, H[2], 8 * w, 1, 2, 0 },
		{ 8 * w, H[3], 8 * w, 3, 1, 1 },
	};
	struct rng r;
	rng_seed(&r, 1);
	double *t = malloc(NMETHOD * reps * sizeof *t);
	printf("%-24s", "shape (C,HxW,OC,k,s)");
	for (int m = 0; m < NMETHOD; m++)
		printf(" %8s_f %7s_dx %7s_dw", method_name[m], method_name[m],
		    method_name[m]);
	printf("\n");
	for (size_t l = 0; l < sizeof L / sizeof L[0]; l++) {
		struct conv2d_shape s;
		if (only && L[l].st != only)
			continue;
		if (conv2d_shape_set(&s, L[l].C, L[l].H, L[l].H, L[l].OC,
		    L[l].KS, L[l].st, L[l].pad) < 0)
			return 1;
		size_t in = N * s.C * s.H * s.W, out = N * s.OC * s.OH * s.OW;
		size_t wn = s.OC * s.C * s.KS * s.KS;
		float *x = malloc(in * sizeof *x), *dx = malloc(in * sizeof *x);
		float *y = malloc(out * sizeof *y), *dy = malloc(out * sizeof *y);
		float *wt = malloc(wn * sizeof *wt), *dw = malloc(wn * sizeof *dw);
		if (!x || !dx || !y || !dy || !wt || !dw || !t)
			return 1;
		for (size_t i = 0; i < in; i++)
			x[i] = (float)rng_normal(&r);
		for (size_t i = 0; i < out; i++)
			dy[i] = (float)rng_normal(&r);
		for (size_t i = 0; i < wn; i++)
			wt[i] = (float)rng_normal(&r);
		char name[64];
		snprintf(name, sizeof name, "%zu,%zux%zu,%zu,%zu,%zu", s.C,
		    s.H, s.W, s.OC, s.KS, s.stride);
		printf("%-24s", name);
		/* one scratch for all methods; then each part with the
		 * methods taking turns call by call */
		size_t sn = 0;
		for (int m = 0; m < NMETHOD; m++)
			if (can(m, &s)) {
				use(m);
				size_t k = conv2d_scratch_floats(&s, N, th);
				sn = k > sn ? k : sn;
			}
		float *sc = malloc(sn * sizeof *sc + 64);
		if (sc == NULL)
			return 1;
		double ms[NMETHOD][3];
		for (int part = 0; part < 3; part++)
			for (int i = -1; i < reps; i++)
				for (int m = 0; m < NMETHOD; m++) {
					if (!can(m, &s))
						continue;
					use(m);
					if (part == 1)
						memset(dx, 0, in * sizeof *dx);
					if (part == 2)
						memset(dw, 0, wn * sizeof *dw);
					double t0 = now();
					if (part == 0)
						conv2d_forward(y, sc, x, wt, NULL,
						    N, &s, th);
					else
						conv2d_backward(part == 1 ? dx :
						    NULL, part == 2 ? dw : NULL,
						    NULL, sc, dy, x, wt, N, &s,
						    th);
					if (i >= 0)
						t[m * reps + i] = now() - t0;
					if (i == reps - 1) {
						qsort(t + m * reps, reps,
						    sizeof *t, cmp);
						ms[m][part] = 1e3 * t[m * reps +
						    (BENCH_MIN ? 0 : reps / 2)];
					}
				}
		free(sc);
		for (int m = 0; m < NMETHOD; m++)
			if (can(m, &s))
				printf(" %10.2f %10.2f %10.2f", ms[m][0],
				    ms[m][1], ms[m][2]);
			else
				printf(" %10s %10s %10s", "-", "-", "-");
		printf("\n");
		free(x), free(dx), free(y), free(dy), free(wt), free(dw);
	}
	free(t);
	return 0;
}
CEOF
cc -std=c11 -O2 -fopenmp -D_DEFAULT_SOURCE -DBENCH_CLOCK=$clock \
    -DBENCH_MIN=$pick -I/usr/include/x86_64-linux-gnu -Ilib \
    -o "$tmp/conv" "$tmp/conv.c" lib/*.c -lblis -lpng -lz -lm
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg), width $WIDTH," \
    "batch $BATCH, stem stride $STEM, $THREADS threads, stride ${STRIDE}, ${STAT:-median} of" \
    "$REPS (ms, ${CLOCK:-wall} clock)"
OMP_WAIT_POLICY=passive "$tmp/conv" "$WIDTH" "$BATCH" "$STEM" "$THREADS" "$REPS" "$STRIDE"
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
