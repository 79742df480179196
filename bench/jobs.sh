#!/bin/sh
# bench/jobs.sh - why `make report` trains its two models side by side
# on one thread each (study.mk: JOBS=2 JOB_THREADS=1): the default
# preset's pipeline, augment | vicreg-train, run as one trainer on two
# threads and as two trainers of one thread at once, alternating.
#
#   [STEPS=30] [ROUNDS=3] bench/jobs.sh
#
# Prints seconds per training step (batch 128 per view, width 16, the
# default preset's optimiser), wall clock over STEPS steps including
# start-up; for the pair, the wall time of both divided by 2 STEPS:
# the time a step costs when two models share the cores.  Medians over
# ROUNDS and the ratio.  Run it on an idle machine.
set -eu
cd "$(dirname "$0")/.."
STEPS=${STEPS:-30}
ROUNDS=${ROUNDS:-3}
export OMP_WAIT_POLICY=passive
make -s bin/cifar-decode bin/augment bin/vicreg-train data >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin/cifar-decode --split train data/cifar-10-binary.tar.gz > "$tmp/train.npy"

# train THREADS SEED TAG
train() {
	bin/augment --epochs 1 --batch 128 --seed "$2" --no-blur --threads 1 \
	    < "$tmp/train.npy" |
	bin/vicreg-train --width 16 --rep-dim 128 --head-dim 512 \
	    --proj 512,512,512 --optimizer adam --lr 1e-3 --schedule cosine \
	    --warmup-steps 391 --steps "$STEPS" --seed 1 --threads "$1" -q \
	    -o "$tmp/$3.ckpt"
	rm -f "$tmp/$3.ckpt"
}
now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)," \
    "$STEPS steps, $ROUNDS rounds"
for r in $(seq "$ROUNDS"); do
	t0=$(now); train 2 1 one; t1=$(now)
	echo "$t0 $t1 $STEPS" | awk '{ print ($2 - $1) / $3 }' >> "$tmp/one"
	t0=$(now); train 1 1 a & train 1 2 b; wait; t1=$(now)
	echo "$t0 $t1 $STEPS" | awk '{ print ($2 - $1) / (2 * $3) }' >> "$tmp/two"
done
one=$(median < "$tmp/one")
two=$(median < "$tmp/two")
printf '%-36s %8.3f s/step\n' "one trainer, 2 threads" "$one"
printf '%-36s %8.3f s/step\n' "two trainers, 1 thread each" "$two"
echo "$one $two" | awk '{ printf "%-36s %8.2fx\n", "pair / one (throughput)", $1 / $2 }'
echo "# $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)"
