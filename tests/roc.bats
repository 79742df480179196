#!/usr/bin/env bats
# roc: points and AUC as scikit-learn 1.2 (heavy ties, float32, int
# scores, two files), shapes and every documented error.
bats_require_minimum_version 1.5.0

setup() {
	F="$BATS_TEST_DIRNAME/fixtures/cluster"
	T="$BATS_TEST_TMPDIR"
}

@test "roc --help prints usage on stdout and exits 0" {
	run --separate-stderr roc --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
}

@test "roc points equal sklearn's roc_curve (ties; float64, float32, int32)" {
	for t in f64 f32 i32; do
		roc -q < "$F/roc_${t}_in.npy" > "$T/r.npy"
		cmp "$T/r.npy" "$F/roc_${t}_out.npy"
		roc -q --all-points "$F/roc_${t}_in.npy" > "$T/r.npy"
		cmp "$T/r.npy" "$F/roc_${t}_out_all.npy"
	done
}

@test "roc AUC equals sklearn's roc_auc_score to 1e-12, on stderr and --metrics" {
	for t in f64 f32 i32; do
		roc --metrics "$T/m.txt" "$F/roc_${t}_in.npy" > /dev/null \
		    2> "$T/err"
		want=$(tensor to-csv "$F/roc_${t}_auc.npy")
		got=$(awk -F'\t' '$1 == "auc" { print $2 }' "$T/m.txt")
		awk -v g="$got" -v w="$want" \
		    'BEGIN { d = g - w; exit !(d < 1e-12 && d > -1e-12) }'
		grep -qx "auc	$got" "$T/err"
	done
}

@test "roc: scores and labels from two files (uint8 labels)" {
	roc -q "$F/roc_u8_scores.npy" "$F/roc_u8_labels.npy" > "$T/r.npy"
	cmp "$T/r.npy" "$F/roc_u8_out.npy"
	tensor info "$T/r.npy" | grep -q '^0 float64 \[[0-9]*,3\]$'
}

@test "roc: labels other than 0 and 1 are a data error" {
	printf '0.1\n0.2\n0.3\n' | tensor from-text -t float64 > "$T/s.npy"
	printf '0\n2\n1\n' | tensor from-text -t int32 > "$T/l.npy"
	run -1 --separate-stderr roc "$T/s.npy" "$T/l.npy"
	[ "$stderr" = "roc: labels: row 1: 2 is not 0 or 1" ]
}

@test "roc: one class only is a data error" {
	printf '0.1\n0.2\n0.3\n' | tensor from-text -t float64 > "$T/s.npy"
	tensor const -t uint8 -s 3 1 > "$T/l.npy"
	run -1 --separate-stderr roc "$T/s.npy" "$T/l.npy"
	[ "$stderr" = "roc: labels: only one class present; ROC is not defined" ]
}

@test "roc: NaN or infinite scores are a data error" {
	printf '0.1\n0.2\n0.3\n' | tensor from-text -t float64 > "$T/s.npy"
	size=$(wc -c < "$T/s.npy")
	printf '\000\000\000\000\000\000\370\177' | dd of="$T/s.npy" bs=1 \
	    seek=$((size - 16)) conv=notrunc 2>/dev/null
	printf '0\n1\n1\n' | tensor from-text -t int32 > "$T/l.npy"
	run -1 --separate-stderr roc "$T/s.npy" "$T/l.npy"
	[ "$stderr" = "roc: scores: row 1: NaN" ]
	printf '\000\000\000\000\000\000\360\177' | dd of="$T/s.npy" bs=1 \
	    seek=$((size - 16)) conv=notrunc 2>/dev/null
	run -1 --separate-stderr roc "$T/s.npy" "$T/l.npy"
	[ "$stderr" = "roc: scores: row 1: infinite value" ]
}

@test "roc: mismatched row counts are a data error" {
	tensor take -a 1 0:10 "$F/roc_f64_in.npy" > "$T/bad.npy"
	run -1 --separate-stderr roc "$T/bad.npy"
	[ "$stderr" = "roc: labels: 10 rows, scores have 600" ]
}

@test "roc: scores that are not a vector, or no labels, are data errors" {
	tensor pick 0 "$F/roc_f64_out.npy" > "$T/m.npy"
	run -1 --separate-stderr roc "$T/m.npy" "$F/roc_u8_labels.npy"
	[[ "$stderr" == "roc: scores: expected shape [N], got float64 ["*",3]" ]]
	tensor pick 0 "$F/roc_f64_in.npy" > "$T/s.npy"
	run -1 --separate-stderr roc "$T/s.npy"
	[[ "$stderr" == "roc: "*"stream ended before labels" ]]
}

@test "roc: bad invocations are usage errors (exit 2)" {
	run -2 --separate-stderr roc a b c
	[[ "$stderr" == "roc: too many operands"* ]]
	run -2 --separate-stderr roc --bogus
}

@test "roc example: scores and labels joined into one stream" {
	tensor cat "$F/roc_u8_scores.npy" "$F/roc_u8_labels.npy" | roc -q > "$T/r.npy"
	cmp "$T/r.npy" "$F/roc_u8_out.npy"
}
