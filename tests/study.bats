#!/usr/bin/env bats
# The whole study on PRESET=smoke, end to end: every experiment's outputs
# exist and are sane, and the report page loads every figure.
bats_require_minimum_version 1.5.0

setup_file() {
	export SMOKE=$BATS_FILE_TMPDIR/smoke
	make --no-print-directory PRESET=smoke O="$SMOKE" \
	    REPORT_DIR="$SMOKE/report" report > "$BATS_FILE_TMPDIR/make.log" 2>&1 \
	    || { tail -40 "$BATS_FILE_TMPDIR/make.log" >&3; return 1; }
}

metric() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1"; }
shape() { tensor info "$1" | sed -n "$(( $2 + 1 ))p"; }

@test "smoke: representations have the configured shape" {
	run tensor info "$SMOKE/vicreg/train-rep.npy"
	[ "$status" -eq 0 ]
	[[ "$output" == *"float32 [2000,32]"* ]]
	run tensor info "$SMOKE/neighbors/test-rep.npy"
	[[ "$output" == *"float32 [1000,32]"* ]]
}

@test "smoke: the base model's loss falls and the probe is above chance" {
	first=$(awk -F, 'NR == 2 { print $3 }' "$SMOKE/vicreg/loss.csv")
	last=$(awk -F, 'END { print $3 }' "$SMOKE/vicreg/loss.csv")
	awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a) }'
	acc=$(metric "$SMOKE/vicreg/probe.tsv" accuracy)
	awk -v a="$acc" 'BEGIN { exit !(a > 12) }'
}

@test "smoke: AUCs are in [0,1] and silhouettes in [-1,1]" {
	for m in vicreg neighbors; do
		auc=$(metric "$SMOKE/anomaly/$m-auc.tsv" auc)
		awk -v a="$auc" 'BEGIN { exit !(a >= 0 && a <= 1) }'
		s=$(metric "$SMOKE/clustering/$m-silhouette.tsv" silhouette)
		awk -v a="$s" 'BEGIN { exit !(a >= -1 && a <= 1) }'
	done
}

@test "smoke: embeddings are [N,2] and finite" {
	for f in vicreg/pca vicreg/tsne novar/pca laplacian/lap laplacian/tsne; do
		run tensor info "$SMOKE/$f.npy"
		[[ "$output" == *"float32 ["*",2]"* ]]
		run tensor print "$SMOKE/$f.npy"
		[[ "$output" != *nan* && "$output" != *inf* ]]
	done
}

@test "smoke: every figure is a PNG of sensible size" {
	for f in vicreg/loss vicreg/pca-tsne novar/pca-tsne laplacian/lap-tsne \
	    retrieval/vicreg-nearest retrieval/neighbors-farthest anomaly/roc \
	    anomaly/vicreg-top7 clustering/vicreg; do
		run png-probe size "$SMOKE/$f.png"
		[ "$status" -eq 0 ]
		w=${output%% *} h=${output##* }
		[ "$w" -ge 200 ] && [ "$h" -ge 100 ]
	done
}

@test "smoke: the report page loads every image in headless Chromium" {
	command -v chromium
	n=$(grep -c '<img ' "$SMOKE/report/index.html")
	[ "$n" -ge 15 ]
	run timeout 120 chromium --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --no-first-run --user-data-dir="$BATS_TEST_TMPDIR/c" \
	    --virtual-time-budget=5000 --dump-dom "file://$SMOKE/report/index.html"
	[[ "$output" == *'data-images-ok="true"'* ]]
	[[ "$output" == *"data-images=\"$n\""* ]]
}

@test "smoke: the epochs curve comes from the kept checkpoints" {
	# --keep-epochs kept one checkpoint per epoch; the last is the model
	[ -f "$SMOKE/vicreg/train.ckpt.e1" ]
	cmp "$SMOKE/vicreg/train.ckpt.e2" "$SMOKE/vicreg/model.ckpt"
	run cat "$SMOKE/curve/curve.csv"
	[ "${lines[0]}" = "epoch,probe" ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" == 1,* ]]
	[ "${lines[2]}" = "2,$(metric "$SMOKE/vicreg/probe.tsv" accuracy)" ]
	# epoch 1's probe is a real accuracy, not a copy of the last one
	acc1=${lines[1]#1,}
	awk -v a="$acc1" 'BEGIN { exit !(a > 0 && a <= 100) }'
	run png-probe size "$SMOKE/curve/curve.png"
	[ "$output" = "800 700" ]
}

@test "smoke: make results writes the small committed copy" {
	R=$BATS_TEST_TMPDIR/results
	run make --no-print-directory PRESET=smoke O="$SMOKE" REPORT_DIR="$SMOKE/report" \
	    RESULTS_DIR="$R" FIG_WIDTH=500 results
	[ "$status" -eq 0 ]
	[ ! -e "$R/index.html" ]
	# the numbers, as Markdown and CSV, agree with the metrics files
	acc=$(metric "$SMOKE/vicreg/probe.tsv" accuracy)
	grep -qx "\"Linear probe, VICReg\",\"$(printf '%.2f' "$acc") %\",\"62.68 %\"" "$R/numbers.csv"
	[ "$(wc -l < "$R/numbers.csv")" -eq 8 ]
	grep -q "| Linear probe, VICReg | $(printf '%.2f' "$acc") % | 62.68 % |" "$R/numbers.md"
	# the logs are copies
	cmp "$SMOKE/vicreg/loss.csv" "$R/logs/vicreg-loss.csv"
	cmp "$SMOKE/times.tsv" "$R/logs/times.tsv"
	grep -q '^The steps ran up to 2 at a time (make -j2)' "$R/README.md"
	# the commands: each step's pipeline on one line, no tool builds
	grep -q '^bin/augment --epochs 2 .* | bin/vicreg-train .*--threads 1 ' "$R/README.md"
	! grep -q '^cc \|; mv -f ' "$R/README.md"
	# every figure the README names exists, at most 500 pixels wide
	n=0
	for f in $(grep -o 'figures/[a-z0-9-]*\.png' "$R/README.md"); do
		run png-probe size "$R/$f"
		[ "$status" -eq 0 ]
		[ "${output%% *}" -le 500 ]
		n=$((n + 1))
	done
	[ "$n" -ge 15 ]
}

@test "smoke: make recipe trains, probes and tables each point; a rerun trains nothing" {
	P=$SMOKE-recipe
	run make --no-print-directory PRESET=smoke O="$SMOKE" recipe
	[ "$status" -eq 0 ]
	[ "$(cut -f1 "$P/points.tsv" | tr '\n' ' ')" = "name w8e1 w8e1lr " ]
	# each point ran with its own settings: one epoch of 2000/128 -> 16
	# steps, and the second point's cosine schedule peaked at 2e-3
	[ "$(awk -F'\t' 'NR > 1 { print $2 }' "$P/points.tsv" | tr '\n' ' ')" = "16 16 " ]
	awk -F, 'NR > 1 && $7 > m { m = $7 } END { exit !(m > 1.9e-3 && m <= 2e-3) }' \
	    "$P/w8e1lr/vicreg/loss.csv"
	awk -F, 'NR > 1 && $7 != 1e-3 { bad = 1 } END { exit bad }' "$P/w8e1/vicreg/loss.csv"
	# the table's probe is the point's own probe, above chance
	for p in w8e1 w8e1lr; do
		acc=$(metric "$P/$p/vicreg/probe.tsv" accuracy)
		[ "$(awk -F'\t' -v p=$p '$1 == p { print $4 }' "$P/points.tsv")" = "$acc" ]
		awk -v a="$acc" 'BEGIN { exit !(a > 10 && a <= 100) }'
	done
	cp "$P/points.tsv" "$BATS_TEST_TMPDIR/points.tsv"
	run make --no-print-directory PRESET=smoke O="$SMOKE" recipe
	[ "$status" -eq 0 ]
	[[ "$output" != *"vicreg-train"* ]]
	cmp "$P/points.tsv" "$BATS_TEST_TMPDIR/points.tsv"
	# the report shows the table
	run env RECIPE="$P/points.tsv" HTML=0 scripts/report "$SMOKE" "$BATS_TEST_TMPDIR/r" smoke
	[ "$status" -eq 0 ]
	grep -q '^| w8e1lr | 16 | [0-9]* | [0-9.]* | `EPOCHS=1 OPTIM=' "$BATS_TEST_TMPDIR/r/README.md"
	cmp "$P/points.tsv" "$BATS_TEST_TMPDIR/r/logs/recipe.tsv"
}

@test "smoke: scripts/recipe refuses a missing points file" {
	run -1 scripts/recipe /nonexistent "$BATS_TEST_TMPDIR/x" smoke
	[ "$output" = "recipe: /nonexistent: cannot read" ]
	run -2 scripts/recipe a b
	[ "$output" = "usage: scripts/recipe POINTS OUT PRESET" ]
}

@test "smoke: make redoes only what is missing" {
	run make --no-print-directory -q PRESET=smoke O="$SMOKE" REPORT_DIR="$SMOKE/report" \
	    vicreg ablation-novar ablation-neighbors laplacian retrieval anomaly clustering
	[ "$status" -eq 0 ]
	rm "$SMOKE/vicreg/tsne.npy"
	run make --no-print-directory -n PRESET=smoke O="$SMOKE" REPORT_DIR="$SMOKE/report" report
	[ "$status" -eq 0 ]
	[[ "$output" == *"bin/tsne"* ]]
	# two experiments at a time, one thread per tool (study.mk: JOBS)
	[[ "$output" == *"-j2 THREADS=1 experiments"* ]]
	[[ "$output" == *"bin/tsne "*"--threads 1 "* ]]
	[[ "$output" != *"bin/vicreg-train"* ]]
	[[ "$output" != *"bin/encode"* ]]
}

# examples/ run against the smoke model: each must work as documented.

@test "example: tsne-test-set.sh draws 300 test points in class colours" {
	run examples/tsne-test-set.sh "$SMOKE/vicreg/model.ckpt" "$BATS_TEST_TMPDIR/t.png" 300
	[ "$status" -eq 0 ]
	run png-probe size "$BATS_TEST_TMPDIR/t.png"
	[ "$output" = "800 700" ]
	# the airplane swatch (tab10 blue) is drawn, and many points
	run png-probe find "$BATS_TEST_TMPDIR/t.png" '#1f77b4'
	[ "$status" -eq 0 ]
	run png-probe nonbg "$BATS_TEST_TMPDIR/t.png" 60 40 600 600
	[ "$output" -gt 2000 ]
}

@test "example: nearest-images.sh puts the query itself first" {
	run examples/nearest-images.sh "$SMOKE/vicreg/model.ckpt" 7 "$BATS_TEST_TMPDIR/n.png" 500
	[ "$status" -eq 0 ]
	# nine 128-pixel cells in a row
	run png-probe size "$BATS_TEST_TMPDIR/n.png"
	[ "$output" = "1184 195" ]
}

@test "example: augmented-views.sh shows 8 images x 2 views" {
	run examples/augmented-views.sh "$BATS_TEST_TMPDIR/a.png" 3
	[ "$status" -eq 0 ]
	# four columns and four rows of 128-pixel cells
	run png-probe size "$BATS_TEST_TMPDIR/a.png"
	[ "$output" = "534 585" ]
}

@test "example: anomaly-auc.sh prints an AUC in [0,1]" {
	run --separate-stderr examples/anomaly-auc.sh "$SMOKE/vicreg/model.ckpt" 500
	[ "$status" -eq 0 ]
	awk -v a="$output" 'BEGIN { exit !(a >= 0 && a <= 1) }'
}
