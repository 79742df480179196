#!/usr/bin/env bats
# `make report` killed with SIGKILL (make and every tool it runs: the
# whole process group) during the first training and twice among the
# analyses, then run again to completion, gives the uninterrupted run's
# results byte for byte: every metric, the models, the logs, the
# representations, the embeddings, the figures.  (tests/study.bats checks
# the results themselves; this file only that an interruption changes
# none.)
#
# The smoke preset made smaller still on make's command line (TINY):
# 400 training images in batches of 50 (8 steps an epoch, 2 epochs), a
# width-4 network, 200 test and 100 MNIST images, 200 pixel images for
# the Laplacian, one k-means restart.  Every target of the study runs,
# as in PRESET=smoke; the results mean nothing, which does not matter
# here.  The whole file (one uninterrupted run, three killed ones and
# the one that finishes) took 38-54 CPU seconds (measured on a busy
# machine, two threads per tool).
bats_require_minimum_version 1.5.0

TINY=(N_TRAIN=400 N_TEST=200 N_MNIST=100 WIDTH=4 REP_DIM=16 HEAD_DIM=32
    PROJ=32,32 BATCH=50 LAP_N=200 "KMEANS_OPTS=--restarts 1")

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	local D=$BATS_FILE_TMPDIR
	smoke "$D/full" > "$D/full.log" 2>&1 ||
	    { tail -40 "$D/full.log" >&3; return 1; }
	# killed when the base model has trained past its first epoch's
	# checkpoint (8 of 16 steps; the log has a header line), ...
	killed_at "$D/int" "$D/int/vicreg/loss.csv" 9 "$D/int1.log"
	# ... once t-SNE of the base model has started, ...
	killed_at "$D/int" "== $D/int/vicreg/tsne.npy" 0 "$D/int2.log"
	# ... and after the anomaly steps, in the clustering ones, once
	# t-SNE of the neighbours model has started
	killed_at "$D/int" "== $D/int/neighbors/tsne.npy" 0 "$D/int3.log"
	smoke "$D/int" > "$D/int4.log" 2>&1 ||
	    { tail -40 "$D/int4.log" >&3; return 1; }
}

# smoke O: the report into O
smoke() {
	make --no-print-directory PRESET=smoke "${TINY[@]}" O="$1" \
	    REPORT_DIR="$1/report" report
}

# killed_at O WHAT N LOG: start the report into O in its own process
# group; when WHAT (a file) has more than N lines, or (WHAT starting
# with "==") once make has logged the line WHAT, and while a step is
# under way (the target of make's last "== TARGET" line does not exist
# yet), kill the group with SIGKILL.  Fails if make finished first.
# Appends to LOG the steps whose target did not exist after the kill:
# "interrupted TARGET".
killed_at() {
	local out=$1 what=$2 n=$3 log=$4 pid t seen=
	setsid bash -c "$(declare -p TINY); $(declare -f smoke); smoke '$out'" \
	    > "$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2> /dev/null; do
		if [ -z "$seen" ]; then
			if [[ "$what" == "== "* ]]; then
				grep -qxF -- "$what" "$log" && seen=1
			elif [ -f "$what" ] && [ "$(wc -l < "$what")" -gt "$n" ]; then
				seen=1
			fi
		fi
		if [ -n "$seen" ]; then
			t=$(sed -n 's/^== //p' "$log" | tail -n 1)
			[ -n "$t" ] && [ ! -e "$t" ] && break
		fi
		sleep 0.02
	done
	kill -0 "$pid" || { echo "make finished before $what" >&3; return 1; }
	kill -KILL -- "-$pid"
	wait "$pid" || true
	echo "killed after $what" >> "$log"
	for t in $(sed -n 's/^== //p' "$log"); do
		[ -e "$t" ] || echo "interrupted $t" >> "$log"
	done
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	D=$BATS_FILE_TMPDIR
}

@test "resume: each kill interrupted the run where it was meant to" {
	# the training resumed from its epoch checkpoint, not from scratch
	grep -qxF "vicreg-train: resuming $D/int/vicreg/train.ckpt at step 8 of 16" \
	    "$D/int2.log"
	# the second kill cut t-SNE short: its result did not exist after
	# the kill, and the next run made it
	grep -qxF "interrupted $D/int/vicreg/tsne.npy" "$D/int2.log"
	grep -qxF "== $D/int/vicreg/tsne.npy" "$D/int3.log"
	# the third cut the neighbours model's t-SNE short, after the
	# anomaly steps were done
	grep -qxF "interrupted $D/int/neighbors/tsne.npy" "$D/int3.log"
	grep -qxF "== $D/int/neighbors/tsne.npy" "$D/int4.log"
	[ -f "$D/int/anomaly/roc.png" ] &&
	    ! grep -qxF "== $D/int/anomaly/roc.png" "$D/int4.log"
	# nothing made before a kill was made again
	run grep -c -xF "== $D/int/train.npy" "$D/int1.log" "$D/int2.log" \
	    "$D/int3.log" "$D/int4.log"
	[ "$output" = "$D/int1.log:1
$D/int2.log:0
$D/int3.log:0
$D/int4.log:0" ]
	run grep -c -xF "== $D/int/vicreg/train-rep.npy" "$D/int1.log" \
	    "$D/int2.log" "$D/int3.log" "$D/int4.log"
	[ "$output" = "$D/int1.log:0
$D/int2.log:1
$D/int3.log:0
$D/int4.log:0" ]
}

# a metrics file without its timings (tsne's seconds_affinities and
# seconds_optimize: wall-clock, not results)
results() { grep -v '^seconds' "$1"; }

@test "resume: every metric is the uninterrupted run's, byte for byte" {
	local n=0 f
	while read -r f; do
		cmp <(results "$D/full/$f") <(results "$D/int/$f")
		n=$((n + 1))
	done < <(cd "$D/full" && find . -name '*.tsv' ! -name times.tsv | sort)
	# probe x3, t-SNE KL x2, AUC x2, k-means x2, silhouette x2, curve
	[ "$n" -ge 12 ]
	cmp "$D/full/curve/curve.csv" "$D/int/curve/curve.csv"
}

@test "resume: models, logs, representations, embeddings, figures are the same bytes" {
	local f n=0
	for f in vicreg/model.ckpt vicreg/train.ckpt.e1 novar/model.ckpt \
	    neighbors/model.ckpt vicreg/loss.csv vicreg/test-loss.csv \
	    neighbors/loss.csv vicreg/train-rep.npy vicreg/test-rep.npy \
	    neighbors/mnist-rep.npy vicreg/knn3.npy vicreg/pca.npy \
	    vicreg/tsne.npy laplacian/lap.npy laplacian/tsne.npy \
	    anomaly/neighbors-roc.npy clustering/vicreg-kmeans.npy \
	    retrieval/neighbors-farthest.npy vicreg/probe.txt \
	    vicreg/pca-tsne.png anomaly/roc.png clustering/neighbors.png; do
		cmp "$D/full/$f" "$D/int/$f"
	done
	# and every other .npy, .ckpt, .csv and .png of the run
	while read -r f; do
		cmp "$D/full/$f" "$D/int/$f"
		n=$((n + 1))
	done < <(cd "$D/full" && find . -path ./report -prune -o -type f \
	    \( -name '*.npy' -o -name '*.ckpt*' -o -name '*.csv' -o \
	    -name '*.png' -o -name '*.txt' \) -print | sort)
	[ "$n" -ge 80 ]
}

@test "resume: the report's results table is the same" {
	diff <(sed -n '/^| result/,/^$/p' "$D/full/report/README.md") \
	    <(sed -n '/^| result/,/^$/p' "$D/int/report/README.md")
	grep -q '^| Linear probe, VICReg | [0-9]' "$D/int/report/README.md"
}

@test "resume: no temporary file is left, none was taken for a result" {
	run find "$D/int" -name '*.tmp'
	[ -z "$output" ]
	# every result the full run made exists in the resumed one
	diff <(cd "$D/full" && find . -type f ! -path './report/*' | sort) \
	    <(cd "$D/int" && find . -type f ! -path './report/*' | sort)
	# and make has nothing left to do
	run make --no-print-directory -q PRESET=smoke "${TINY[@]}" O="$D/int" \
	    REPORT_DIR="$D/int/report" vicreg ablation-novar \
	    ablation-neighbors laplacian retrieval anomaly clustering curve
	[ "$status" -eq 0 ]
}
