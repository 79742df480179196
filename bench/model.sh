#!/bin/sh
# bench/model.sh - one VICReg training step (both views forward +
# backward through encoder and projector, loss, all gradients; no
# optimiser step) of lib/model.c against PyTorch doing the same step,
# alternating the two, on 2 threads.
#
#   [OLD=REV] bench/model.sh [WIDTHS] [BATCH] [ROUNDS] [STEPS]
#   defaults: "16 64", 64 images per view, 2 rounds of 3 timed steps
#   (after one warm-up step) per implementation.  OLD=REV also builds
#   lib/model.c and lib/nn.c as of git revision REV and times it in
#   the same rounds (the previous version).
#
# Prints a table: seconds per step (median over all timed steps),
# images/s (both views: 2 x batch / time) and torch/ours time ratio
# (and old/ours with OLD).  OMP_WAIT_POLICY=passive for all.
# Needs cc, libblis, /usr/bin/python3 with torch.  The machine may be
# shared: the numbers are wall-clock.
set -eu
cd "$(dirname "$0")/.."
WIDTHS=${1:-"16 64"}
BATCH=${2:-64}
ROUNDS=${3:-2}
STEPS=${4:-3}
THREADS=2
OLD=${OLD:-}
export OMP_WAIT_POLICY=passive
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/step.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "blas.h"
#include "model.h"

static double
now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* step WIDTH BATCH STEPS THREADS: one time per line */
int
main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	size_t w = strtoul(argv[1], NULL, 10), B = strtoul(argv[2], NULL, 10);
	int steps = atoi(argv[3]);
	blas_init(strtoul(argv[4], NULL, 10), 0);
	struct model_config c;
	model_config_default(&c);
	c.width = w;
	struct model *m = model_create(&c, B);
	float *x = malloc(2 * B * 3072 * sizeof *x);
	if (m == NULL || x == NULL)
		return 1;
	struct rng r;
	rng_seed(&r, 1);
	model_init(m, &r);
	for (size_t i = 0; i < 2 * B * 3072; i++)
		x[i] = (float)rng_normal(&r);
	struct vicreg_params p;
	vicreg_params_default(&p);
	float parts[3];
	model_vicreg_step(m, x, x + B * 3072, B, &p, parts);
	for (int i = 0; i < steps; i++) {
		double t0 = now();
		model_vicreg_step(m, x, x + B * 3072, B, &p, parts);
		printf("%.6f\n", now() - t0);
	}
	model_free(m);
	free(x);
	return 0;
}
CEOF
cc -std=c11 -O2 -fopenmp -D_DEFAULT_SOURCE -Ilib -I/usr/include/x86_64-linux-gnu \
    -o "$tmp/step" "$tmp/step.c" lib/model.c lib/nn.c lib/blas.c lib/rng.c \
    -lblis -lm
if [ -n "$OLD" ]; then
	mkdir "$tmp/old"
	for f in model.h model.c nn.h nn.c; do
		git show "$OLD:lib/$f" > "$tmp/old/$f"
	done
	cc -std=c11 -O2 -fopenmp -D_DEFAULT_SOURCE -I"$tmp/old" -Ilib \
	    -I/usr/include/x86_64-linux-gnu -o "$tmp/step_old" "$tmp/step.c" \
	    "$tmp/old/model.c" "$tmp/old/nn.c" lib/blas.c lib/rng.c -lblis -lm
fi

cat > "$tmp/step.py" <<'PEOF'
import sys, time
import torch
sys.path.insert(0, "tests/reference")
from gen_nn import Encoder, projector, vicreg_loss
w, B, steps, threads = (int(a) for a in sys.argv[1:5])
torch.set_num_threads(threads)
torch.manual_seed(1)
model = torch.nn.Sequential(Encoder(w, 512, 128), projector(128, [512] * 3))
model.train()
x1 = torch.randn(B, 3, 32, 32)
x2 = torch.randn(B, 3, 32, 32)
def step():
    model.zero_grad(set_to_none=False)
    loss = vicreg_loss(model(x1), model(x2))[0]
    loss.backward()
step()
for _ in range(steps):
    t0 = time.perf_counter()
    step()
    print("%.6f" % (time.perf_counter() - t0))
PEOF

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "load: $(uptime | sed 's/.*load average: //')"
printf '%-6s %-6s %12s %12s %10s %10s %8s %8s\n' width batch ours_s/step torch_s/step ours_img/s torch_img/s torch/ours old/ours
for w in $WIDTHS; do
	: > "$tmp/ours" ; : > "$tmp/torch" ; : > "$tmp/old_t"
	r=0
	while [ "$r" -lt "$ROUNDS" ]; do
		"$tmp/step" "$w" "$BATCH" "$STEPS" "$THREADS" >> "$tmp/ours"
		if [ -n "$OLD" ]; then
			"$tmp/step_old" "$w" "$BATCH" "$STEPS" "$THREADS" \
			    >> "$tmp/old_t"
		fi
		BLIS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS \
		    /usr/bin/python3 "$tmp/step.py" "$w" "$BATCH" "$STEPS" \
		    "$THREADS" >> "$tmp/torch"
		r=$((r + 1))
	done
	o=$(median < "$tmp/ours")
	t=$(median < "$tmp/torch")
	p=$(if [ -n "$OLD" ]; then median < "$tmp/old_t"; else echo 0; fi)
	awk -v w="$w" -v b="$BATCH" -v o="$o" -v t="$t" -v p="$p" 'BEGIN {
		printf "%-6s %-6s %12.3f %12.3f %10.1f %10.1f %8.2f %8s\n",
		    w, b, o, t, 2 * b / o, 2 * b / t, t / o,
		    (p > 0 ? sprintf("%.2f", p / o) : "-") }'
done
echo "load: $(uptime | sed 's/.*load average: //')"
