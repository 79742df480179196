#!/usr/bin/env bats
# kmeans: scikit-learn 1.2 equivalence from the same starting centres,
# restarts, shapes, determinism and every documented error.
bats_require_minimum_version 1.5.0

setup() {
	F="$BATS_TEST_DIRNAME/fixtures/cluster"
	T="$BATS_TEST_TMPDIR"
}

# close GOT.csv WANT.csv ATOL RTOL: element-wise |a-b| <= atol + rtol|b|
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

# points with one NaN: float32 [3,2], element 3 patched
nan_points() {
	printf '1 2\n3 4\n5 6\n' | tensor from-text -t float32 -r 2 > "$1"
	size=$(wc -c < "$1")
	printf '\000\000\300\177' | dd of="$1" bs=1 seek=$((size - 12)) \
	    conv=notrunc 2>/dev/null
}

@test "kmeans --help prints usage on stdout and exits 0" {
	run --separate-stderr kmeans --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
}

@test "kmeans from sklearn's starting centres: same labels, centres to 1e-5" {
	for algo in "" --lloyd; do
		kmeans $algo --threads 1 --init "$F/km_blobs_init.npy" \
		    < "$F/km_blobs.npy" > "$T/out.npy" 2>/dev/null
		tensor to-csv -a 0 "$T/out.npy" > "$T/l.csv"
		tensor to-csv -a 0 "$F/km_blobs_out.npy" > "$T/lw.csv"
		cmp "$T/l.csv" "$T/lw.csv"
		tensor to-csv -a 1 "$T/out.npy" > "$T/c.csv"
		tensor to-csv -a 1 "$F/km_blobs_out.npy" > "$T/cw.csv"
		close "$T/c.csv" "$T/cw.csv" 1e-5 1e-5
	done
}

@test "kmeans stops like sklearn on the tolerance and at --max-iter" {
	for mi in 300 3; do
		kmeans --threads 2 --max-iter $mi --init "$F/km_mix_init.npy" \
		    --metrics "$T/m.txt" "$F/km_mix.npy" > "$T/out.npy" 2>/dev/null
		tensor to-csv -a 0 "$T/out.npy" > "$T/l.csv"
		tensor to-csv -a 0 "$F/km_mix_out$mi.npy" > "$T/lw.csv"
		cmp "$T/l.csv" "$T/lw.csv"
		tensor to-csv -a 1 "$T/out.npy" > "$T/c.csv"
		tensor to-csv -a 1 "$F/km_mix_out$mi.npy" > "$T/cw.csv"
		close "$T/c.csv" "$T/cw.csv" 1e-5 1e-5
		want=$(tensor to-csv -a 3 "$F/km_mix_out$mi.npy")
		grep -qx "iterations	$want" "$T/m.txt"
		awk -F'\t' '$1 == "inertia" { print $2 }' "$T/m.txt" > "$T/i.csv"
		tensor to-csv -a 2 "$F/km_mix_out$mi.npy" > "$T/iw.csv"
		close "$T/i.csv" "$T/iw.csv" 0 1e-5
	done
}

@test "kmeans: 10 k-means++ restarts reach sklearn's best inertia (0.1 %)" {
	kmeans -k 6 --threads 2 --seed 0 --metrics "$T/m.txt" \
	    "$F/km_mix.npy" > "$T/out.npy" 2>/dev/null
	best=$(tensor to-csv "$F/km_mix_best.npy")
	got=$(awk -F'\t' '$1 == "inertia" { print $2 }' "$T/m.txt")
	awk -v g="$got" -v b="$best" 'BEGIN { exit !(g <= b * 1.001) }'
}

@test "kmeans writes int32 [N] then float32 [K,D] and the inertia on stderr" {
	run --separate-stderr kmeans -k 3 --restarts 2 "$F/km_blobs.npy" \
	    -o /dev/null
	[ "$status" -eq 2 ]
	kmeans -k 3 --restarts 2 "$F/km_blobs.npy" > "$T/out.npy" 2> "$T/err"
	tensor info "$T/out.npy" > "$T/info"
	grep -qx '0 int32 \[300\]' "$T/info"
	grep -qx '1 float32 \[3,8\]' "$T/info"
	[ "$(wc -l < "$T/info")" -eq 2 ]
	grep -q '^inertia	[0-9.]*$' "$T/err"
	kmeans -q -k 3 --restarts 2 "$F/km_blobs.npy" > "$T/out.npy" 2> "$T/err"
	[ ! -s "$T/err" ]
}

@test "kmeans: same seed and threads give the same bytes" {
	kmeans -q -k 5 --seed 7 --threads 2 < "$F/km_mix.npy" > "$T/a.npy"
	kmeans -q -k 5 --seed 7 --threads 2 < "$F/km_mix.npy" > "$T/b.npy"
	cmp "$T/a.npy" "$T/b.npy"
	tensor to-csv -a 0 "$T/a.npy" | sort -u > "$T/ids"
	[ "$(wc -l < "$T/ids")" -eq 5 ]
}

@test "kmeans example: clusters then their silhouette" {
	kmeans -q -k 4 < "$F/km_blobs.npy" > "$T/km.npy"
	run --separate-stderr silhouette "$F/km_blobs.npy" "$T/km.npy"
	[ "$status" -eq 0 ]
	awk -v s="$output" 'BEGIN { exit !(s > 0.5 && s <= 1) }'
}

@test "kmeans: NaN in the points is a data error" {
	nan_points "$T/nan.npy"
	run -1 --separate-stderr kmeans -k 2 "$T/nan.npy"
	[ "$stderr" = "kmeans: points: row 1: NaN" ]
}

@test "kmeans: k greater than N is a data error" {
	run -1 --separate-stderr kmeans -k 301 "$F/km_blobs.npy"
	[ "$stderr" = "kmeans: k (301) exceeds the number of points (300)" ]
}

@test "kmeans: labels with another row count are a data error" {
	tensor take -a 1 0:5 "$F/km_blobs.npy" > "$T/bad.npy"
	run -1 --separate-stderr kmeans -k 2 "$T/bad.npy"
	[ "$stderr" = "kmeans: labels: 5 rows, points have 300" ]
}

@test "kmeans: --init with the wrong number of columns or of centres" {
	tensor take 0:2 "$F/km_mix_init.npy" > "$T/init.npy"
	run -1 --separate-stderr kmeans --init "$T/init.npy" "$F/km_blobs.npy"
	[[ "$stderr" == *"centres have 16 columns, points have 8" ]]
	run -1 --separate-stderr kmeans -k 3 --init "$F/km_blobs_init.npy" \
	    "$F/km_blobs.npy"
	[[ "$stderr" == *"4 centres, but -k 3" ]]
}

@test "kmeans: points that are not [N,D] are a data error" {
	tensor take -a 1 0:5 "$F/km_blobs.npy" | tensor pick 1 > "$T/v.npy"
	run -1 --separate-stderr kmeans "$T/v.npy"
	[[ "$stderr" == "kmeans: points: expected float32 [N,D], got int64 [5]" ]]
}

@test "kmeans: bad options are usage errors (exit 2)" {
	run -2 --separate-stderr kmeans -k 0 "$F/km_blobs.npy"
	[[ "$stderr" == "kmeans: -k: '0' is not an integer"* ]]
	run -2 --separate-stderr kmeans --tol -1 "$F/km_blobs.npy"
	[[ "$stderr" == "kmeans: --tol: '-1' is not a number"* ]]
	run -2 --separate-stderr kmeans a b
	[[ "$stderr" == "kmeans: too many operands"* ]]
	run -2 --separate-stderr kmeans --bogus
}

@test "kmeans warns when duplicate points leave a cluster empty" {
	printf '1 1\n1 1\n1 1\n2 2\n' | tensor from-text -t float32 -r 2 > "$T/d.npy"
	run -0 --separate-stderr sh -c 'kmeans -q -k 3 "$1" > "$2"' sh \
	    "$T/d.npy" "$T/o.npy"
	tensor info "$T/o.npy" | grep -qx '1 float32 \[3,2\]'
	[ "$stderr" = "kmeans: warning: only 2 distinct clusters found for k 3 (duplicate points?)" ]
}
