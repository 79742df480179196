#!/usr/bin/env bats
# laplacian: Laplacian eigenmaps against scikit-learn 1.2
# SpectralEmbedding (tests/reference/gen_spectral.py): from points and
# from a knn-graph stream, heat weights, eigenvalues, the disconnected
# warning, labels, and every documented error.
bats_require_minimum_version 1.5.0

load helpers/npy

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	S=tests/fixtures/spectral
	T=$BATS_TEST_TMPDIR
}

close() {
	paste <(tensor to-csv -a "$2" "$1" | tr ',' '\n') \
	    <(tensor to-csv -a "$4" "$3" | tr ',' '\n') |
	awk -v tol="$5" 'NF != 2 { bad = 1 }
	    { d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d; n++ }
	    END { printf "max |diff| %g over %d values\n", m, n
	          exit (bad || n == 0 || m > tol) }'
}

# metric FILE KEY: the value of KEY in a --metrics file
metric() { awk -F '\t' -v k="$2" '$1 == k { print $2 }' "$1"; }

nan_points() {
	npy_header "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"
	printf '\x00\x00\x80\x3f\x00\x00\xc0\x7f\x00\x00\x00\x40\x00\x00\x40\x40'
	printf '\x00\x00\x80\x3f\x00\x00\x80\x3f'
}

@test "laplacian: equals sklearn SpectralEmbedding (n_neighbors 10), signs included" {
	laplacian -d 3 -k 10 --threads 1 --metrics "$T/m.txt" \
	    "$S/lap_in.npy" > "$T/y.npy"
	run -0 tensor info "$T/y.npy"
	[ "$output" = "0 float32 [300,3]" ]
	close "$T/y.npy" 0 "$S/lap_ref_k10.npy" 0 1e-5
	# eigenvalues 0..3 of the normalised Laplacian
	metric "$T/m.txt" eigenvalue_0 > "$T/lam.txt"
	metric "$T/m.txt" eigenvalue_1 >> "$T/lam.txt"
	metric "$T/m.txt" eigenvalue_2 >> "$T/lam.txt"
	metric "$T/m.txt" eigenvalue_3 >> "$T/lam.txt"
	tensor from-text -t float64 < "$T/lam.txt" > "$T/lam.npy"
	close "$T/lam.npy" 0 "$S/lap_ref_k10.npy" 1 1e-6
	[ "$(metric "$T/m.txt" components)" = 1 ]
}

@test "laplacian: knn-graph -k 9 | laplacian --graph is laplacian -k 10 (man page example)" {
	knn-graph -k 9 "$S/lap_in.npy" | laplacian --graph -d 3 > "$T/a.npy"
	laplacian -k 10 -d 3 < "$S/lap_in.npy" > "$T/b.npy"
	cmp "$T/a.npy" "$T/b.npy"
	laplacian --graph -d 3 < "$S/lap_graph_k9.npy" > "$T/c.npy"
	cmp "$T/a.npy" "$T/c.npy"
	# int32 indices work too
	knn-graph -k 9 --index-type int32 "$S/lap_in.npy" |
	    laplacian --graph -d 3 > "$T/d.npy"
	cmp "$T/a.npy" "$T/d.npy"
}

@test "laplacian: heat-kernel weights match sklearn's spectral_embedding" {
	laplacian -d 3 --weights heat --sigma 0.5 "$S/lap_in.npy" > "$T/y.npy"
	close "$T/y.npy" 0 "$S/lap_ref_heat.npy" 0 1e-5
}

@test "laplacian: default 2 dimensions, labels passed through, 1 and 2 threads agree" {
	tensor const -t int64 -s 300 7 > "$T/l.npy"
	cat "$S/lap_in.npy" "$T/l.npy" > "$T/xl.npy"
	laplacian --threads 1 "$T/xl.npy" > "$T/a.npy"
	laplacian --threads 2 "$T/xl.npy" > "$T/b.npy"
	cmp "$T/a.npy" "$T/b.npy"
	run -0 tensor info "$T/a.npy"
	[ "${lines[0]}" = "0 float32 [300,2]" ]
	[ "${lines[1]}" = "1 int64 [300]" ]
	tensor pick 0 "$T/a.npy" > "$T/y.npy"
	close "$T/y.npy" 0 <(tensor to-csv -a 0 "$S/lap_ref_k10.npy" |
	    cut -d, -f1-2 | tensor from-text -t float64 -r 2) 0 1e-5
}

@test "laplacian: a disconnected graph warns and still writes the embedding" {
	run -0 --separate-stderr laplacian -k 5 "$S/lap_disconnected.npy"
	[ "$stderr" = "laplacian: graph has 2 connected components; the embedding is not meaningful across them" ]
	laplacian -k 5 "$S/lap_disconnected.npy" 2> /dev/null > "$T/y.npy"
	run -0 tensor info "$T/y.npy"
	[ "$output" = "0 float32 [60,2]" ]
}

@test "laplacian: --help on stdout, exit 0" {
	run -0 --separate-stderr laplacian --help
	[[ "$output" == usage:* ]]
	[ -z "$stderr" ]
}

@test "laplacian: usage errors" {
	run -2 --separate-stderr laplacian --weights gauss "$S/lap_in.npy"
	[[ "$stderr" == *"--weights: 'gauss' is not connectivity or heat"* ]]
	run -2 --separate-stderr laplacian --sigma 1 "$S/lap_in.npy"
	[[ "$stderr" == *"--sigma needs --weights heat"* ]]
	run -2 --separate-stderr laplacian -k 1 "$S/lap_in.npy"
	[[ "$stderr" == *"-k: '1' is not an integer"* ]]
	run -2 --separate-stderr laplacian -d 0 "$S/lap_in.npy"
	[[ "$stderr" == *"-d: '0' is not an integer"* ]]
	run -2 --separate-stderr laplacian a b
	[[ "$stderr" == *"too many operands"* ]]
}

@test "laplacian: more neighbours than points fails" {
	run -1 --separate-stderr laplacian -k 61 "$S/lap_disconnected.npy"
	[ "$stderr" = "laplacian: -k 61: only 60 points" ]
}

@test "laplacian: more dimensions than points allow fails" {
	tensor take 0:4 "$S/lap_in.npy" > "$T/four.npy"
	run -1 --separate-stderr laplacian -k 3 -d 4 "$T/four.npy"
	[ "$stderr" = "laplacian: -d 4: needs at least 5 points, got 4" ]
}

@test "laplacian: NaN in the points fails" {
	nan_points > "$T/nan.npy"
	run -1 --separate-stderr laplacian -k 2 -d 1 "$T/nan.npy"
	[ "$stderr" = "laplacian: points: row 0: NaN" ]
}

@test "laplacian: --graph with an index out of range fails" {
	{ tensor const -t int64 -s 3,1 5; tensor const -t float32 -s 3,1 1; } \
	    > "$T/g.npy"
	run -1 --separate-stderr laplacian --graph -d 1 "$T/g.npy"
	[ "$stderr" = "laplacian: indices: row 0: 5 is not in [0, 3)" ]
}

@test "laplacian: --graph with distances of another shape fails" {
	{ tensor const -t int64 -s 3,1 0; tensor const -t float32 -s 3,2 1; } \
	    > "$T/g.npy"
	run -1 --separate-stderr laplacian --graph -d 1 "$T/g.npy"
	[ "$stderr" = "laplacian: distances: expected [3,1], got float32 [3,2]" ]
}

@test "laplacian: --graph with float indices fails" {
	{ tensor const -t float32 -s 3,1 0; tensor const -t float32 -s 3,1 1; } \
	    > "$T/g.npy"
	run -1 --separate-stderr laplacian --graph -d 1 "$T/g.npy"
	[ "$stderr" = "laplacian: indices: expected an integer array [N,k], got float32 [3,1]" ]
}

@test "laplacian: man page example on CIFAR-10 test pixels (first 200 images)" {
	need_data
	cifar-decode -s test -n 200 "$CIFAR" | laplacian -k 10 -d 2 > "$T/e.npy"
	run -0 tensor info "$T/e.npy"
	[ "${lines[0]}" = "0 float32 [200,2]" ]
	[ "${lines[1]}" = "1 uint8 [200]" ]
}
