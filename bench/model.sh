#!/bin/sh
# bench/model.sh - lib/model.c against PyTorch doing the same work,
# side by side: one VICReg training step (both views forward +
# backward through encoder and projector, loss, all gradients; no
# optimiser step) and eval-mode encoding of one batch.
#
#   [OLD=REV] [THREADS="2 1"] [MODES="train encode"] [WAIT=default] \
#       bench/model.sh [WIDTHS] [BATCH] [ROUNDS] [STEPS]
#   defaults: "16 64", 64 images per view, 2 rounds of 3 timed steps
#   (after one warm-up step) per implementation.  OLD=REV also builds
#   lib/ as of git revision REV (the previous version) and times it in
#   the same rounds: ours, old and torch alternate within each round.
#
# PyTorch runs twice a round: with its tensors in the default layout
# (NCHW) and in channels_last (NHWC), which a user may pick and which
# oneDNN's convolutions prefer (on the 2-core Xeon, 10-17 % faster at
# width 16, the same at width 64).  Its images/s and the ratio take
# the faster of the two medians.
#
# Prints the machine (CPU, cores, vector extension, BLIS's kernel set,
# PyTorch's version), then a table per thread count: seconds per step
# (median over all timed steps; torch_s NCHW, torch_cl_s
# channels_last), images/s (training: both views, 2 x batch / time;
# encode: batch / time), torch/ours time ratio (> 1: ours is faster)
# and old/ours.  Every implementation runs in the
# same OpenMP environment, WAIT: default (nothing set: idle threads
# spin a while, as a trainer alone on the machine runs), passive
# (OMP_WAIT_POLICY=passive: they sleep at once) or pipeline (passive
# with GOMP_SPINCOUNT=10000, what the pipelines export so that a
# trainer shares two cores with augment).  On the 2-core Xeon, plain
# passive slowed PyTorch 1.13 by 15-21 % at width 16 and this engine
# by 0-12 % (nothing at width 64): compare under default.
# Needs cc, libblis, /usr/bin/python3 with torch.  The machine may be
# shared: the numbers are wall-clock, and the load is printed before
# and after.  CLOCK=cpu
# times each step's process CPU time instead (all implementations):
# with THREADS=1 on a busy machine it still tells revisions apart,
# though the shared caches make it no substitute for an idle run.
set -eu
cd "$(dirname "$0")/.."
WIDTHS=${1:-"16 64"}
BATCH=${2:-64}
ROUNDS=${3:-2}
STEPS=${4:-3}
THREADS=${THREADS:-"2 1"}
MODES=${MODES:-"train encode"}
OLD=${OLD:-}
case ${CLOCK:-wall} in
wall) clock=CLOCK_MONOTONIC pyclock=perf_counter ;;
cpu) clock=CLOCK_PROCESS_CPUTIME_ID pyclock=process_time ;;
*) echo "bench/model.sh: CLOCK must be wall or cpu" >&2; exit 2 ;;
esac
WAIT=${WAIT:-default}
unset OMP_WAIT_POLICY GOMP_SPINCOUNT
case $WAIT in
default) ;;
passive) export OMP_WAIT_POLICY=passive ;;
pipeline) export OMP_WAIT_POLICY=passive GOMP_SPINCOUNT=10000 ;;
*) echo "bench/model.sh: WAIT must be default, passive or pipeline" >&2
   exit 2 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/step.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blas.h"
#include "model.h"

static double
now(void)
{
	struct timespec t;
	clock_gettime(BENCH_CLOCK, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* step train|encode WIDTH BATCH STEPS THREADS: one time per line */
int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "info") == 0) {
		blas_init(1, 1);   /* prints BLIS's kernel set */
		return 0;
	}
	if (argc != 6)
		return 2;
	int enc = strcmp(argv[1], "encode") == 0;
	size_t w = strtoul(argv[2], NULL, 10), B = strtoul(argv[3], NULL, 10);
	int steps = atoi(argv[4]);
	blas_init(strtoul(argv[5], NULL, 10), 0);
	struct model_config c;
	model_config_default(&c);
	c.width = w;
	struct model *m = enc ? model_create_eval(&c, B) : model_create(&c, B);
	float *x = malloc(2 * B * 3072 * sizeof *x);
	float *rep = malloc(B * c.rep_dim * sizeof *rep);
	if (m == NULL || x == NULL || rep == NULL)
		return 1;
	struct rng r;
	rng_seed(&r, 1);
	model_init(m, &r);
	for (size_t i = 0; i < 2 * B * 3072; i++)
		x[i] = (float)rng_normal(&r);
	struct vicreg_params p;
	vicreg_params_default(&p);
	float parts[3];
	for (int i = -1; i < steps; i++) {
		double t0 = now();
		if (enc)
			model_encode(m, x, B, rep);
		else
			model_vicreg_step(m, x, x + B * 3072, B, &p, parts);
		if (i >= 0)
			printf("%.6f\n", now() - t0);
	}
	model_free(m);
	free(x);
	free(rep);
	return 0;
}
CEOF
CC="cc -std=c11 -O2 -fopenmp -D_DEFAULT_SOURCE -DBENCH_CLOCK=$clock
    -I/usr/include/x86_64-linux-gnu"
# the whole library as of each revision (a file split or added never
# needs this script changed)
LIBS="-lblis -lpng -lz -lm"
$CC -Ilib -o "$tmp/step" "$tmp/step.c" lib/*.c $LIBS
if [ -n "$OLD" ]; then
	mkdir "$tmp/old"
	git archive "$OLD" lib | tar -x -C "$tmp/old"
	$CC -I"$tmp/old/lib" -o "$tmp/step_old" "$tmp/step.c" \
	    "$tmp/old/lib"/*.c $LIBS
fi

cat > "$tmp/step.py" <<'PEOF'
import sys, time
import torch
sys.path.insert(0, "tests/reference")
from gen_nn import Encoder, projector, vicreg_loss
mode = sys.argv[1]
w, B, steps, threads = (int(a) for a in sys.argv[2:6])
torch.set_num_threads(threads)
torch.manual_seed(1)
model = torch.nn.Sequential(Encoder(w, 512, 128), projector(128, [512] * 3))
x1 = torch.randn(B, 3, 32, 32)
x2 = torch.randn(B, 3, 32, 32)
if sys.argv[6] == "cl":
    cl = torch.channels_last
    model = model.to(memory_format=cl)
    x1 = x1.contiguous(memory_format=cl)
    x2 = x2.contiguous(memory_format=cl)
if mode == "encode":
    enc = model[0].eval()
    def step():
        with torch.no_grad():
            enc(x1)
else:
    model.train()
    def step():
        model.zero_grad(set_to_none=False)
        loss = vicreg_loss(model(x1), model(x2))[0]
        loss.backward()
step()
for _ in range(steps):
    t0 = time.PYCLOCK()
    step()
    print("%.6f" % (time.PYCLOCK() - t0))
PEOF
sed -i "s/PYCLOCK/$pyclock/" "$tmp/step.py"

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
if grep -qw avx512f /proc/cpuinfo; then isa=AVX-512
elif grep -qw avx2 /proc/cpuinfo; then isa=AVX2
else isa="no AVX2"; fi
blis=$("$tmp/step" info 2>&1 | sed 's/^blas: //; s/, 1 thread$//')
torchv=$(/usr/bin/python3 -c 'import torch; print(torch.__version__)')
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg), batch $BATCH," \
    "$ROUNDS rounds x $STEPS steps${OLD:+, old = $OLD}, ${CLOCK:-wall} clock"
echo "# machine: ${cpu:-unknown CPU}, $(nproc) cores, $isa; $blis;" \
    "PyTorch $torchv; threads $THREADS; OpenMP waiting: $WAIT"
printf '%-7s %-6s %-6s %11s %11s %11s %11s %10s %10s %8s %8s\n' threads mode \
    width ours_s torch_s torch_cl_s old_s ours_img/s torch_img/s torch/ours \
    old/ours
for th in $THREADS; do
	for mode in $MODES; do
		for w in $WIDTHS; do
			: > "$tmp/ours"; : > "$tmp/old_t"
			: > "$tmp/torch_nchw"; : > "$tmp/torch_cl"
			r=0
			while [ "$r" -lt "$ROUNDS" ]; do
				"$tmp/step" "$mode" "$w" "$BATCH" "$STEPS" "$th" \
				    >> "$tmp/ours"
				if [ -n "$OLD" ]; then
					"$tmp/step_old" "$mode" "$w" "$BATCH" \
					    "$STEPS" "$th" >> "$tmp/old_t"
				fi
				for f in nchw cl; do
					BLIS_NUM_THREADS=$th OMP_NUM_THREADS=$th \
					    /usr/bin/python3 "$tmp/step.py" "$mode" \
					    "$w" "$BATCH" "$STEPS" "$th" "$f" \
					    >> "$tmp/torch_$f"
				done
				r=$((r + 1))
			done
			o=$(median < "$tmp/ours")
			t=$(median < "$tmp/torch_nchw")
			c=$(median < "$tmp/torch_cl")
			p=$(if [ -n "$OLD" ]; then median < "$tmp/old_t"; else echo 0; fi)
			awk -v th="$th" -v md="$mode" -v w="$w" -v b="$BATCH" \
			    -v o="$o" -v t="$t" -v c="$c" -v p="$p" 'BEGIN {
				k = md == "train" ? 2 : 1
				f = c < t ? c : t
				printf "%-7s %-6s %-6s %11.4f %11.4f %11.4f %11s %10.1f %10.1f %8.2f %8s\n",
				    th, md, w, o, t, c,
				    (p > 0 ? sprintf("%.4f", p) : "-"),
				    k * b / o, k * b / f, f / o,
				    (p > 0 ? sprintf("%.2f", p / o) : "-") }'
		done
	done
done
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
