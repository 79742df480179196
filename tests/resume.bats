#!/usr/bin/env bats
# `make report PRESET=smoke` killed with SIGKILL (the whole process
# group) during the first training and twice among the analyses, then
# run again to completion, gives the uninterrupted run's results byte
# for byte: every metric, the models, the representations, the
# embeddings, the figures.  (tests/study.bats checks the results
# themselves; this file only that an interruption changes none.)
bats_require_minimum_version 1.5.0

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	local D=$BATS_FILE_TMPDIR
	smoke "$D/full" > "$D/full.log" 2>&1 ||
	    { tail -40 "$D/full.log" >&3; return 1; }
	# killed when the base model has trained past its first epoch's
	# checkpoint (16 of 32 steps), ...
	killed_at "$D/int" "$D/int/vicreg/loss.csv" 20 "$D/int1.log"
	# ... when t-SNE of the base model has started, ...
	killed_at "$D/int" "== $D/int/vicreg/tsne.npy" 0 "$D/int2.log"
	# ... and in the middle of the anomaly and clustering steps
	killed_at "$D/int" "== $D/int/anomaly/neighbors-score.npy" 0 \
	    "$D/int3.log"
	smoke "$D/int" > "$D/int4.log" 2>&1 ||
	    { tail -40 "$D/int4.log" >&3; return 1; }
}

# smoke O: the smoke report into O
smoke() {
	make --no-print-directory PRESET=smoke O="$1" REPORT_DIR="$1/report" \
	    report
}

# killed_at O WHAT N LOG: start the smoke report into O in its own
# process group; when WHAT (a file) has more than N lines, or (WHAT
# starting with "==") once make has logged the line WHAT, kill the
# group with SIGKILL.  Fails if make finished first.
killed_at() {
	local out=$1 what=$2 n=$3 log=$4 pid
	setsid bash -c "$(declare -f smoke); smoke '$out'" > "$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2> /dev/null; do
		if [[ "$what" == "== "* ]]; then
			grep -qxF -- "$what" "$log" && break
		elif [ -f "$what" ] && [ "$(wc -l < "$what")" -gt "$n" ]; then
			break
		fi
		sleep 0.05
	done
	kill -0 "$pid" || { echo "make finished before $what" >&3; return 1; }
	kill -KILL -- "-$pid"
	wait "$pid" || true
	echo "killed after $what" >> "$log"
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	D=$BATS_FILE_TMPDIR
}

@test "resume: each kill interrupted the run where it was meant to" {
	# the training resumed from its epoch checkpoint, not from scratch
	grep -q "vicreg-train: resuming $D/int/vicreg/train.ckpt at step 16 of 32" \
	    "$D/int2.log"
	# t-SNE was cut short: its result did not exist after the kill
	run grep -c -xF "== $D/int/vicreg/tsne.npy" "$D/int3.log"
	[ "$output" -eq 1 ]
	run grep -c -xF "== $D/int/anomaly/neighbors-score.npy" "$D/int4.log"
	[ "$output" -eq 1 ]
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
	local f
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
	run make --no-print-directory -q PRESET=smoke O="$D/int" \
	    REPORT_DIR="$D/int/report" vicreg ablation-novar \
	    ablation-neighbors laplacian retrieval anomaly clustering curve
	[ "$status" -eq 0 ]
}
