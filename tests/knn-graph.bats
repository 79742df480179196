#!/usr/bin/env bats
# knn-graph: exact neighbours against a float64 brute force
# (tests/reference/gen_spectral.py, ties to the smaller index), self
# included or not, farthest, queries vs base, density, index type,
# determinism, and every documented error.
bats_require_minimum_version 1.5.0

load helpers/npy

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	S=tests/fixtures/spectral
	T=$BATS_TEST_TMPDIR
}

nan_points() {
	npy_header "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
	printf '\x00\x00\x80\x3f\x00\x00\xc0\x7f\x00\x00\x00\x40\x00\x00\x40\x40'
}

inf_points() {
	npy_header "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
	printf '\x00\x00\x80\x3f\x00\x00\x80\x7f\x00\x00\x00\x40\x00\x00\x40\x40'
}

@test "knn-graph: self graph, k 5, equals the brute force byte for byte" {
	knn-graph -k 5 --threads 1 "$S/knn_base.npy" > "$T/g.npy"
	cmp "$T/g.npy" "$S/knn_self_k5.npy"
	run -0 tensor info "$T/g.npy"
	[ "${lines[0]}" = "0 int64 [300,5]" ]
	[ "${lines[1]}" = "1 float32 [300,5]" ]
}

@test "knn-graph: --include-self (duplicates tie to the smaller index)" {
	knn-graph -k 5 --include-self < "$S/knn_base.npy" > "$T/g.npy"
	cmp "$T/g.npy" "$S/knn_self_k5_incl.npy"
}

@test "knn-graph: --farthest" {
	knn-graph -k 4 --farthest "$S/knn_base.npy" > "$T/g.npy"
	cmp "$T/g.npy" "$S/knn_self_far_k4.npy"
}

@test "knn-graph: queries on stdin against --base" {
	knn-graph -k 3 --base "$S/knn_base.npy" < "$S/knn_query.npy" > "$T/g.npy"
	cmp "$T/g.npy" "$S/knn_query_k3.npy"
}

@test "knn-graph: --density is the mean distance to the 2 nearest (man page example)" {
	knn-graph -k 2 --density --base "$S/knn_base.npy" \
	    < "$S/knn_query.npy" > "$T/score.npy"
	cmp "$T/score.npy" "$S/knn_density_k2.npy"
}

@test "knn-graph: --index-type int32 holds the same indices" {
	knn-graph -k 5 --index-type int32 "$S/knn_base.npy" > "$T/g32.npy"
	run -0 tensor info "$T/g32.npy"
	[ "${lines[0]}" = "0 int32 [300,5]" ]
	tensor print -a 0 "$T/g32.npy" > "$T/a.txt"
	tensor print -a 0 "$S/knn_self_k5.npy" > "$T/b.txt"
	cmp "$T/a.txt" "$T/b.txt"
	tensor pick 1 "$T/g32.npy" > "$T/d.npy"
	tensor pick 1 "$S/knn_self_k5.npy" > "$T/dref.npy"
	cmp "$T/d.npy" "$T/dref.npy"
}

@test "knn-graph: labels after the points are ignored; 1 and 2 threads agree" {
	tensor const -t uint8 -s 300 3 > "$T/l.npy"
	cat "$S/knn_base.npy" "$T/l.npy" > "$T/xl.npy"
	knn-graph -k 5 --threads 2 "$T/xl.npy" > "$T/g.npy"
	cmp "$T/g.npy" "$S/knn_self_k5.npy"
}

@test "knn-graph: --help on stdout, exit 0" {
	run -0 --separate-stderr knn-graph --help
	[[ "$output" == usage:* ]]
	[ -z "$stderr" ]
}

@test "knn-graph: k larger than N - 1 (self graph) fails" {
	run -1 --separate-stderr knn-graph -k 300 "$S/knn_base.npy"
	[ "$stderr" = "knn-graph: -k 300: only 299 other points to choose from" ]
	# with the point itself N is allowed, N + 1 is not
	knn-graph -k 300 --include-self "$S/knn_base.npy" > "$T/g.npy"
	run -1 --separate-stderr knn-graph -k 301 --include-self "$S/knn_base.npy"
	[ "$stderr" = "knn-graph: -k 301: only 300 base points to choose from" ]
}

@test "knn-graph: k larger than the base fails" {
	run -1 --separate-stderr knn-graph -k 41 --base "$S/knn_query.npy" \
	    < "$S/knn_base.npy"
	[ "$stderr" = "knn-graph: -k 41: only 40 base points to choose from" ]
}

@test "knn-graph: queries and base of different widths fail" {
	run -1 --separate-stderr knn-graph -k 2 --base "$S/lap_in.npy" \
	    < "$S/knn_query.npy"
	[ "$stderr" = "knn-graph: $S/lap_in.npy: points have 6 features, queries have 8" ]
}

@test "knn-graph: NaN or Inf in the points fails" {
	nan_points > "$T/nan.npy"
	run -1 --separate-stderr knn-graph -k 1 "$T/nan.npy"
	[ "$stderr" = "knn-graph: points: row 0: NaN" ]
	inf_points > "$T/inf.npy"
	run -1 --separate-stderr knn-graph -k 1 --base "$T/inf.npy" < "$S/knn_query.npy"
	[ "$stderr" = "knn-graph: $T/inf.npy: row 0: infinite value" ]
}

@test "knn-graph: a one-dimensional input fails" {
	tensor const -t float32 -s 10 1 > "$T/v.npy"
	run -1 --separate-stderr knn-graph -k 1 "$T/v.npy"
	[ "$stderr" = "knn-graph: points: expected shape [N,D], got float32 [10]" ]
}

@test "knn-graph: a trailing array that is not labels fails" {
	tensor const -t float32 -s 300 1 > "$T/f.npy"
	cat "$S/knn_base.npy" "$T/f.npy" > "$T/bad.npy"
	run -1 --separate-stderr knn-graph -k 2 "$T/bad.npy"
	[ "$stderr" = "knn-graph: points: after the points expected labels [300], got float32 [300]" ]
}

@test "knn-graph: usage errors" {
	run -2 --separate-stderr knn-graph -k 0 "$S/knn_base.npy"
	[[ "$stderr" == *"-k: '0' is not an integer"* ]]
	run -2 --separate-stderr knn-graph --include-self --base "$S/knn_base.npy"
	[[ "$stderr" == *"--include-self applies to a self graph"* ]]
	run -2 --separate-stderr knn-graph --density --farthest "$S/knn_base.npy"
	[[ "$stderr" == *"--density and --farthest exclude each other"* ]]
	run -2 --separate-stderr knn-graph --index-type int16 "$S/knn_base.npy"
	[[ "$stderr" == *"--index-type: 'int16' is not int32 or int64"* ]]
	run -2 --separate-stderr knn-graph --density --index-type int32 "$S/knn_base.npy"
	[[ "$stderr" == *"--density writes no indices"* ]]
	run -2 --separate-stderr knn-graph a b
	[[ "$stderr" == *"too many operands"* ]]
}

@test "knn-graph: man page example, nearest and farthest of one query" {
	tensor take 0 "$S/knn_base.npy" |
	    knn-graph -k 5 --base "$S/knn_base.npy" > "$T/near.npy"
	tensor take 0 "$S/knn_base.npy" |
	    knn-graph -k 5 --farthest --base "$S/knn_base.npy" > "$T/far.npy"
	# row 0 of the self graph with the point itself
	tensor take 0 "$S/knn_self_k5_incl.npy" > "$T/row0.npy"
	cmp "$T/near.npy" "$T/row0.npy"
	run -0 tensor print -a 0 "$T/far.npy"
	# the farthest of row 0 excluding itself is the farthest overall
	[ "$(echo "$output" | awk 'NF { print $1; exit }')" = \
	    "$(tensor print -a 0 "$S/knn_self_far_k4.npy" | awk 'NF { print $1; exit }')" ]
}
