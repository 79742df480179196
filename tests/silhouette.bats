#!/usr/bin/env bats
# silhouette: scikit-learn 1.2 equivalence, input forms, determinism and
# every documented error.
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

@test "silhouette --help prints usage on stdout and exits 0" {
	run --separate-stderr silhouette --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
}

@test "silhouette equals sklearn's silhouette_score to 1e-5 (both GEMM paths)" {
	tensor to-csv "$F/sil_score.npy" > "$T/want"
	for opt in "" --float64; do
		for th in 1 2; do
			silhouette $opt --threads $th < "$F/sil_in.npy" > "$T/got"
			close "$T/got" "$T/want" 0 1e-5
		done
	done
}

@test "silhouette --samples equals sklearn's silhouette_samples" {
	silhouette --samples "$T/s.npy" --metrics "$T/m.txt" \
	    "$F/sil_in.npy" > "$T/mean"
	tensor info "$T/s.npy" | grep -qx '0 float64 \[400\]'
	tensor to-csv "$T/s.npy" > "$T/got"
	tensor to-csv "$F/sil_samples.npy" > "$T/want"
	close "$T/got" "$T/want" 1e-6 1e-5
	grep -qx "silhouette	$(cat "$T/mean")" "$T/m.txt"
	grep -qx "clusters	6" "$T/m.txt"
	grep -qx "points	400" "$T/m.txt"
}

@test "silhouette: labels from a second file, extra arrays ignored" {
	tensor pick 1 "$F/sil_in.npy" > "$T/labels.npy"
	silhouette "$F/sil_in.npy" "$T/labels.npy" > "$T/a"
	silhouette < "$F/sil_in.npy" > "$T/b"
	cmp "$T/a" "$T/b"
}

@test "silhouette: same threads give the same bytes" {
	silhouette --threads 2 --samples "$T/s1.npy" "$F/sil_in.npy" > "$T/a"
	silhouette --threads 2 --samples "$T/s2.npy" "$F/sil_in.npy" > "$T/b"
	cmp "$T/a" "$T/b"
	cmp "$T/s1.npy" "$T/s2.npy"
}

@test "silhouette: NaN in the points is a data error" {
	printf '1 2\n3 4\n5 6\n' | tensor from-text -t float32 -r 2 > "$T/p.npy"
	size=$(wc -c < "$T/p.npy")
	printf '\000\000\300\177' | dd of="$T/p.npy" bs=1 seek=$((size - 12)) \
	    conv=notrunc 2>/dev/null
	printf '0\n1\n1\n' | tensor from-text -t int32 > "$T/l.npy"
	run -1 --separate-stderr silhouette "$T/p.npy" "$T/l.npy"
	[ "$stderr" = "silhouette: points: row 1: NaN" ]
}

@test "silhouette: labels with another row count are a data error" {
	tensor take -a 1 0:10 "$F/sil_in.npy" > "$T/bad.npy"
	run -1 --separate-stderr silhouette "$T/bad.npy"
	[ "$stderr" = "silhouette: labels: 10 rows, points have 400" ]
}

@test "silhouette: one cluster, or every point its own, is a data error" {
	tensor pick 0 "$F/sil_in.npy" > "$T/p.npy"
	tensor const -t int32 -s 400 3 > "$T/one.npy"
	run -1 --separate-stderr silhouette "$T/p.npy" "$T/one.npy"
	[ "$stderr" = "silhouette: labels: 1 distinct labels; need 2 to N - 1 = 399" ]
	printf '0\n1\n2\n' | tensor from-text -t int64 > "$T/l.npy"
	tensor take 0:3 "$T/p.npy" > "$T/p3.npy"
	run -1 --separate-stderr silhouette "$T/p3.npy" "$T/l.npy"
	[ "$stderr" = "silhouette: labels: 3 distinct labels; need 2 to N - 1 = 2" ]
}

@test "silhouette: float labels are a data error" {
	tensor pick 0 "$F/sil_in.npy" > "$T/p.npy"
	tensor const -t float32 -s 400 1 > "$T/f.npy"
	run -1 --separate-stderr silhouette "$T/p.npy" "$T/f.npy"
	[ "$stderr" = "silhouette: labels: expected an integer dtype, got float32 [400]" ]
}

@test "silhouette: a missing labels array is a data error" {
	tensor pick 0 "$F/sil_in.npy" > "$T/p.npy"
	run -1 --separate-stderr silhouette "$T/p.npy"
	[[ "$stderr" == "silhouette: "*"stream ended before labels" ]]
}

@test "silhouette: bad options are usage errors (exit 2)" {
	run -2 --separate-stderr silhouette --threads x "$F/sil_in.npy"
	[[ "$stderr" == "silhouette: --threads: 'x' is not an integer"* ]]
	run -2 --separate-stderr silhouette a b c
	[[ "$stderr" == "silhouette: too many operands"* ]]
}

@test "silhouette: points that are not [N,D] are a data error" {
	tensor pick 1 "$F/sil_in.npy" > "$T/v.npy"
	run -1 --separate-stderr silhouette "$T/v.npy" "$T/v.npy"
	[ "$stderr" = "silhouette: points: expected float32 [N,D], got int64 [400]" ]
}
