#!/usr/bin/env bats
# pca: projections, components and explained variance against
# scikit-learn 1.2 (tests/reference/gen_spectral.py), labels passed
# through, dtype conversion, determinism, and every documented error.
bats_require_minimum_version 1.5.0

load helpers/npy

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	S=tests/fixtures/spectral
	T=$BATS_TEST_TMPDIR
}

# close FILE_A K_A FILE_B K_B TOL: array K_A of FILE_A equals array K_B
# of FILE_B element by element within TOL (and has as many elements).
close() {
	paste <(tensor to-csv -a "$2" "$1" | tr ',' '\n') \
	    <(tensor to-csv -a "$4" "$3" | tr ',' '\n') |
	awk -v tol="$5" 'NF != 2 { bad = 1 }
	    { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; n++ }
	    END { printf "max |diff| %g over %d values\n", m, n
	          exit (bad || n == 0 || m > tol) }'
}

# a float32 [2,2] array holding a NaN
nan_points() {
	npy_header "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
	printf '\x00\x00\x80\x3f\x00\x00\xc0\x7f\x00\x00\x00\x40\x00\x00\x40\x40'
}

@test "pca: projections, components and ratios match scikit-learn, signs included" {
	pca -d 3 --threads 1 --components "$T/c.npy" \
	    --explained "$T/e.npy" --metrics "$T/m.txt" "$S/pca_in.npy" \
	    > "$T/y.npy"
	run -0 tensor info "$T/y.npy"
	[ "${lines[0]}" = "0 float32 [200,3]" ]
	[ "${lines[1]}" = "1 uint8 [200]" ]
	close "$T/y.npy" 0 "$S/pca_ref.npy" 0 1e-4
	close "$T/c.npy" 0 "$S/pca_ref.npy" 1 1e-5
	close "$T/e.npy" 0 "$S/pca_ref.npy" 2 1e-7
	run -0 tensor info "$T/c.npy"
	[ "$output" = "0 float32 [3,16]" ]
	run -0 tensor info "$T/e.npy"
	[ "$output" = "0 float64 [3]" ]
	# labels are the input's, byte for byte
	tensor pick 1 "$S/pca_in.npy" > "$T/l0.npy"
	tensor pick 1 "$T/y.npy" > "$T/l1.npy"
	cmp "$T/l0.npy" "$T/l1.npy"
}

@test "pca: --metrics has the ratios and variances" {
	pca -d 3 --metrics "$T/m.txt" "$S/pca_in.npy" > "$T/y.npy"
	[ "$(wc -l < "$T/m.txt")" -eq 6 ]
	grep -q '^explained_variance_ratio_0	0\.2462' "$T/m.txt"
	grep -q '^explained_variance_ratio_2	0\.1577' "$T/m.txt"
	grep -q '^explained_variance_0	210\.69' "$T/m.txt"
}

@test "pca: default is 2 components, from stdin, same bytes with 1 or 2 threads" {
	pca --threads 1 < "$S/pca_in.npy" > "$T/a.npy"
	pca --threads 2 < "$S/pca_in.npy" > "$T/b.npy"
	cmp "$T/a.npy" "$T/b.npy"
	run -0 tensor info "$T/a.npy"
	[ "${lines[0]}" = "0 float32 [200,2]" ]
	# the first two columns of the 3-component fit
	close "$T/a.npy" 0 <(tensor to-csv -a 0 "$S/pca_ref.npy" |
	    cut -d, -f1-2 | tensor from-text -t float64 -r 2) 0 1e-4
}

@test "pca: float64 input without labels is converted" {
	tensor pick 0 "$S/pca_ref.npy" > "$T/x64.npy"      # float64 [200,3]
	pca -d 3 "$T/x64.npy" > "$T/y.npy"
	run -0 tensor info "$T/y.npy"
	[ "${#lines[@]}" -eq 1 ]
	[ "${lines[0]}" = "0 float32 [200,3]" ]
	# PCA of PCA scores: the same columns again (up to sign: same rule)
	close "$T/y.npy" 0 "$S/pca_ref.npy" 0 1e-3
}

@test "pca: man page example (explained variance of a pipeline's points)" {
	tensor pick 0 "$S/pca_in.npy" | pca -d 2 --explained "$T/ev.npy" \
	    > "$T/pca.npy"
	run -0 tensor info "$T/ev.npy"
	[ "${lines[0]}" = "0 float64 [2]" ]
}

@test "pca: --help on stdout, exit 0" {
	run -0 --separate-stderr pca --help
	[[ "$output" == usage:* ]]
	[ -z "$stderr" ]
}

@test "pca: -d 0 is a usage error" {
	run -2 --separate-stderr pca -d 0 "$S/pca_in.npy"
	[[ "$stderr" == *"-d: '0' is not an integer"* ]]
}

@test "pca: unknown option and extra operands are usage errors" {
	run -2 --separate-stderr pca --bogus "$S/pca_in.npy"
	run -2 --separate-stderr pca "$S/pca_in.npy" "$S/pca_in.npy"
	[[ "$stderr" == *"too many operands"* ]]
}

@test "pca: more components than min(N, D) fails" {
	run -1 --separate-stderr pca -d 17 "$S/pca_in.npy"
	[ "$stderr" = "pca: -d 17: more components than min(N, D) = 16" ]
}

@test "pca: NaN in the points fails" {
	nan_points > "$T/nan.npy"
	run -1 --separate-stderr pca -d 1 "$T/nan.npy"
	[ "$stderr" = "pca: points: row 0: NaN" ]
}

@test "pca: a one-dimensional input fails" {
	tensor pick 1 "$S/pca_in.npy" > "$T/l.npy"
	run -1 --separate-stderr pca "$T/l.npy"
	[ "$stderr" = "pca: points: expected shape [N,D], got uint8 [200]" ]
}

@test "pca: a single row fails" {
	tensor take 0 "$S/pca_in.npy" > "$T/one.npy"
	run -1 --separate-stderr pca -d 1 "$T/one.npy"
	[ "$stderr" = "pca: points: need at least 2 rows, got 1" ]
}

@test "pca: labels of the wrong length or type fail" {
	tensor pick 0 "$S/pca_in.npy" > "$T/x.npy"
	tensor const -t int32 -s 5 1 > "$T/l5.npy"
	cat "$T/x.npy" "$T/l5.npy" > "$T/bad.npy"
	run -1 --separate-stderr pca "$T/bad.npy"
	[ "$stderr" = "pca: labels: 5 rows, points have 200" ]
	tensor const -t float32 -s 200 1 > "$T/lf.npy"
	cat "$T/x.npy" "$T/lf.npy" > "$T/bad.npy"
	run -1 --separate-stderr pca "$T/bad.npy"
	[ "$stderr" = "pca: labels: expected an integer array [N], got float32 [200]" ]
}

@test "pca: an empty stream fails" {
	run -1 --separate-stderr pca < /dev/null
	[[ "$stderr" == "pca: "*"points"* ]]
}
