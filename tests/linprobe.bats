#!/usr/bin/env bats
# linprobe: PyTorch 1.13's recipe from the same weights and batch order,
# accuracy against the recipe, outputs, and every documented error.
bats_require_minimum_version 1.5.0

setup() {
	F="$BATS_TEST_DIRNAME/fixtures/cluster"
	T="$BATS_TEST_TMPDIR"
}

close() {
	tr ',' '\n' < "$1" > "$T/a.col"
	tr ',' '\n' < "$2" > "$T/b.col"
	[ "$(wc -l < "$T/a.col")" -eq "$(wc -l < "$T/b.col")" ] || {
		echo "lengths differ"; return 1; }
	paste "$T/a.col" "$T/b.col" | awk -v at="$3" -v rt="$4" '
	    { d = $1 - $2; if (d < 0) d = -d; w = $2 < 0 ? -$2 : $2;
	      if (d > worst) worst = d; if (d > at + rt * w) bad++; n++ }
	    END { printf "%d values, worst |diff| %g, %d over\n", n, worst, bad;
	          exit (n == 0 || bad > 0) }'
}

@test "linprobe --help prints usage on stdout and exits 0" {
	run --separate-stderr linprobe --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
}

@test "linprobe: weights after 1 and 2 epochs equal PyTorch's to 1e-4" {
	for e in 1 2; do
		linprobe --epochs $e --init-weights "$F/lp_init.npy" \
		    --order "$F/lp_order.npy" --save-weights "$T/w.npy" \
		    "$F/lp_train.npy" "$F/lp_test.npy" > /dev/null
		for a in 0 1; do
			tensor to-csv -a $a "$T/w.npy" > "$T/got"
			tensor to-csv -a $a "$F/lp_w$e.npy" > "$T/want"
			close "$T/got" "$T/want" 1e-4 0
		done
	done
}

@test "linprobe: accuracy within a point of the PyTorch recipe (3 seeds)" {
	want=$(tensor to-csv "$F/lp_big_acc.npy")
	for s in 0 1 2; do
		linprobe --epochs 40 --seed $s "$F/lp_big_train.npy" \
		    "$F/lp_big_test.npy" | head -1 | cut -f2
	done > "$T/acc"
	awk -v w="$want" '{ s += $1 } END { m = s / NR; print m, w;
	    exit !(m - w < 1 && w - m < 1) }' "$T/acc"
}

@test "linprobe prints overall and per-class accuracy, names from --classes" {
	printf 'north\neast\nsouth\nwest\n' > "$T/names"
	linprobe --epochs 2 --classes "$T/names" --predictions "$T/p.npy" \
	    --confusion "$T/c.npy" --metrics "$T/m.txt" \
	    "$F/lp_train.npy" "$F/lp_test.npy" > "$T/out"
	[ "$(wc -l < "$T/out")" -eq 5 ]
	grep -q '^accuracy	[0-9]*\.[0-9][0-9]$' "$T/out"
	cut -f1 "$T/out" | tail -4 | paste -sd, - | grep -qx 'north,east,south,west'
	tensor info "$T/p.npy" | grep -qx '0 int32 \[300\]'
	tensor info "$T/c.npy" | grep -qx '0 int64 \[4,4\]'
	# the confusion matrix agrees with the printed accuracy
	acc=$(head -1 "$T/out" | cut -f2)
	tensor to-csv "$T/c.npy" | awk -F, -v a="$acc" '
	    { for (j = 1; j <= NF; j++) { n += $j; if (j == NR) d += $j } }
	    END { x = sprintf("%.2f", 100 * d / n); exit !(n == 300 && x == a) }'
	grep -q "^accuracy	$acc" "$T/m.txt"
	grep -q '^train_loss	' "$T/m.txt"
}

@test "linprobe: same seed, same output; train from stdin; --standardize" {
	linprobe --epochs 3 --seed 5 "$F/lp_train.npy" "$F/lp_test.npy" > "$T/a"
	linprobe --epochs 3 --seed 5 - "$F/lp_test.npy" < "$F/lp_train.npy" > "$T/b"
	cmp "$T/a" "$T/b"
	linprobe --epochs 3 --standardize "$F/lp_train.npy" "$F/lp_test.npy" \
	    > "$T/c"
	grep -q '^accuracy	' "$T/c"
}

@test "linprobe: NaN in the features is a data error" {
	printf '1 2\n3 4\n5 6\n' | tensor from-text -t float32 -r 2 > "$T/p.npy"
	size=$(wc -c < "$T/p.npy")
	printf '\000\000\300\177' | dd of="$T/p.npy" bs=1 seek=$((size - 12)) \
	    conv=notrunc 2>/dev/null
	printf '0\n1\n1\n' | tensor from-text -t int32 > "$T/l.npy"
	tensor cat "$T/p.npy" "$T/l.npy" > "$T/train.npy"
	run -1 --separate-stderr linprobe "$T/train.npy" "$F/lp_test.npy"
	[ "$stderr" = "linprobe: train: row 1: NaN" ]
}

@test "linprobe: mismatched row counts and feature counts are data errors" {
	tensor take -a 1 0:10 "$F/lp_train.npy" > "$T/bad.npy"
	run -1 --separate-stderr linprobe "$T/bad.npy" "$F/lp_test.npy"
	[ "$stderr" = "linprobe: train: labels: 10 rows, points have 1000" ]
	run -1 --separate-stderr linprobe "$F/lp_train.npy" "$F/lp_big_test.npy"
	[ "$stderr" = "linprobe: test: 8 features, train has 16" ]
}

@test "linprobe: labels out of range are a data error" {
	run -1 --separate-stderr linprobe -c 3 "$F/lp_train.npy" "$F/lp_test.npy"
	[ "$stderr" = "linprobe: train: labels: 3 is out of range for 3 classes" ]
	tensor pick 0 "$F/lp_train.npy" > "$T/x.npy"
	tensor const -t int64 -s 1000 -- -1 > "$T/neg.npy"
	tensor cat "$T/x.npy" "$T/neg.npy" > "$T/train.npy"
	run -1 --separate-stderr linprobe "$T/train.npy" "$F/lp_test.npy"
	[ "$stderr" = "linprobe: train: labels: row 0: -1 is out of range" ]
	printf 'a\nb\n' > "$T/names"
	run -1 --separate-stderr linprobe --classes "$T/names" \
	    "$F/lp_train.npy" "$F/lp_test.npy"
	[ "$stderr" = "linprobe: train: labels: 3 is out of range for 2 classes" ]
	run -1 --separate-stderr linprobe -c 4 --classes "$T/names" \
	    "$F/lp_train.npy" "$F/lp_test.npy"
	[ "$stderr" = "linprobe: $T/names: 2 names for 4 classes" ]
}

@test "linprobe: a bad --order or --init-weights file is a data error" {
	run -1 --separate-stderr linprobe --epochs 3 --order "$F/lp_order.npy" \
	    "$F/lp_train.npy" "$F/lp_test.npy"
	[[ "$stderr" == *"2000 indices, 3 epochs of 1000 need 3000" ]]
	tensor const -t int64 -s 1000 1000 > "$T/o.npy"
	run -1 --separate-stderr linprobe --epochs 1 --order "$T/o.npy" \
	    "$F/lp_train.npy" "$F/lp_test.npy"
	[[ "$stderr" == *"index 1000 at 0 is out of range" ]]
	run -1 --separate-stderr linprobe -c 5 --init-weights "$F/lp_init.npy" \
	    "$F/lp_train.npy" "$F/lp_test.npy"
	[[ "$stderr" == *"expected float32 [5,16] then [5], got float32 [4,16]" ]]
}

@test "linprobe: bad invocations are usage errors (exit 2)" {
	run -2 --separate-stderr linprobe "$F/lp_train.npy"
	[[ "$stderr" == "linprobe: need TRAIN and TEST files"* ]]
	run -2 --separate-stderr linprobe - -
	[[ "$stderr" == "linprobe: TRAIN and TEST cannot both be stdin"* ]]
	run -2 --separate-stderr linprobe --batch 0 a b
	[[ "$stderr" == "linprobe: --batch: '0' is not an integer"* ]]
	run -2 --separate-stderr linprobe --lr x a b
	[[ "$stderr" == "linprobe: --lr: 'x' is not a number"* ]]
}

@test "linprobe: features not [N,D], missing or float labels are data errors" {
	tensor pick 1 "$F/lp_train.npy" > "$T/y.npy"
	run -1 --separate-stderr linprobe "$T/y.npy" "$F/lp_test.npy"
	[ "$stderr" = "linprobe: train: expected float32 [N,D], got int64 [1000]" ]
	tensor pick 0 "$F/lp_test.npy" > "$T/x.npy"
	run -1 --separate-stderr linprobe "$F/lp_train.npy" "$T/x.npy"
	[ "$stderr" = "linprobe: test: stream ended before the labels" ]
	tensor const -t float32 -s 300 1 > "$T/f.npy"
	tensor cat "$T/x.npy" "$T/f.npy" > "$T/test.npy"
	run -1 --separate-stderr linprobe "$F/lp_train.npy" "$T/test.npy"
	[ "$stderr" = "linprobe: test: labels: expected an integer dtype, got float32 [300]" ]
}
