#!/usr/bin/env bats
# tsne: shapes, determinism, labels passthrough, dtype conversion,
# metrics, the man page's example and every documented error.  The
# numerical checks against scikit-learn are in tests/unit/test_tsne.c.
bats_require_minimum_version 1.5.0

setup() {
	F="$BATS_TEST_DIRNAME/fixtures/tsne"
	T="$BATS_TEST_TMPDIR"
	# 150 points of 5 blobs in 32-D, and their labels
	tensor pick 0 "$F/run.npy" | tensor take 0:150 > "$T/x.npy"
	tensor take 0:150 "$F/labels.npy" > "$T/lab.npy"
}

@test "tsne --help prints usage on stdout and exits 0" {
	run --separate-stderr tsne --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	[ -z "$stderr" ]
}

@test "tsne --version names the tool" {
	run --separate-stderr tsne --version
	[ "$status" -eq 0 ]
	[[ "$output" == "tsne (vicreg-tools) "* ]]
}

@test "tsne writes float32 [N,2], finite, KL in --metrics" {
	tsne --method exact --threads 1 --metrics "$T/m.tsv" \
	    < "$T/x.npy" > "$T/y.npy"
	run --separate-stderr tensor info "$T/y.npy"
	[ "$status" -eq 0 ]
	[[ "$output" == *"float32 [150,2]"* ]]
	# exactly one array
	[ "$(tensor info "$T/y.npy" | wc -l)" -eq 1 ]
	tensor to-csv "$T/y.npy" | awk -F, '
	    { for (i = 1; i <= NF; i++) if ($i != $i + 0 || $i == "nan") bad = 1 }
	    END { exit bad }'
	kl=$(awk -F'\t' '$1 == "kl_divergence" { print $2 }' "$T/m.tsv")
	awk -v k="$kl" 'BEGIN { exit !(k > 0 && k < 3) }'
	grep -qx 'iterations	1000' "$T/m.tsv"
	grep -qx 'neighbors	91' "$T/m.tsv"
}

@test "tsne: same seed and threads give the same bytes (fft, random init)" {
	tsne --threads 2 --iterations 60 --init random --seed 7 \
	    < "$T/x.npy" > "$T/a.npy"
	tsne --threads 2 --iterations 60 --init random --seed 7 \
	    < "$T/x.npy" > "$T/b.npy"
	cmp "$T/a.npy" "$T/b.npy"
	tsne --threads 2 --iterations 60 --init random --seed 8 \
	    < "$T/x.npy" > "$T/c.npy"
	! cmp -s "$T/a.npy" "$T/c.npy"
}

@test "tsne: same bytes on repeated exact runs with PCA init" {
	tsne --method exact --threads 2 < "$T/x.npy" > "$T/a.npy"
	tsne --method exact --threads 2 < "$T/x.npy" > "$T/b.npy"
	cmp "$T/a.npy" "$T/b.npy"
}

@test "tsne passes labels through after the embedding" {
	tensor cat "$T/x.npy" "$T/lab.npy" |
	    tsne --method exact --threads 1 --iterations 50 > "$T/y.npy"
	[ "$(tensor info "$T/y.npy" | wc -l)" -eq 2 ]
	tensor pick 1 "$T/y.npy" > "$T/l.npy"
	cmp "$T/l.npy" "$T/lab.npy"
	# the embedding is the same as without labels
	tsne --method exact --threads 1 --iterations 50 < "$T/x.npy" \
	    > "$T/y0.npy"
	tensor pick 0 "$T/y.npy" | cmp - "$T/y0.npy"
}

@test "tsne converts float64 and integer input" {
	tsne --method exact --threads 1 --iterations 50 < "$T/x.npy" \
	    > "$T/a.npy"
	tensor cast -t float64 "$T/x.npy" |
	    tsne --method exact --threads 1 --iterations 50 > "$T/b.npy"
	cmp "$T/a.npy" "$T/b.npy"
	tensor cast -t int32 --scale 100 "$T/x.npy" |
	    tsne --method exact --threads 1 --iterations 50 > "$T/c.npy"
	tensor info "$T/c.npy" | grep -q 'float32 \[150,2\]'
}

@test "tsne -v reports progress every 50 iterations on stderr" {
	tsne -v --threads 1 --iterations 100 --early-iterations 50 \
	    < "$T/x.npy" > "$T/y.npy" 2> "$T/err"
	grep -q '^tsne: iteration 50: KL divergence [0-9.]*' "$T/err"
	grep -q '^tsne: iteration 100: KL divergence [0-9.]*' "$T/err"
	grep -q '^tsne: done: 100 iterations' "$T/err"
}

@test "man page example: a sample of representations and its labels" {
	# tensor take 0:1000 reps.npy | tsne --metrics tsne.tsv > emb.npy
	tensor cat "$T/x.npy" "$T/lab.npy" | tensor take 0:120 |
	    tsne --threads 1 --iterations 60 --metrics "$T/tsne.tsv" \
	    > "$T/emb.npy"
	tensor info "$T/emb.npy" | grep -q 'float32 \[120,2\]'
	grep -q '^kl_divergence	' "$T/tsne.tsv"
}

@test "tsne: perplexity not below N is an error (exit 1)" {
	tensor take 0:30 "$T/x.npy" > "$T/small.npy"
	run --separate-stderr -1 tsne < "$T/small.npy"
	[ "$stderr" = "tsne: perplexity 30 must be less than the number of points (30)" ]
	run --separate-stderr -1 tsne --perplexity 40 < "$T/small.npy"
	[[ "$stderr" == *"perplexity 40 must be less than the number of points (30)" ]]
}

@test "tsne: NaN in the input is an error (exit 1)" {
	run --separate-stderr -1 tsne --perplexity 2 < "$F/nan.npy"
	[ "$stderr" = "tsne: points: row 4 column 1 is not finite" ]
}

@test "tsne: input that is not [N,D] is an error (exit 1)" {
	tensor cast --reshape 150,4,8 "$T/x.npy" > "$T/x3.npy"
	run --separate-stderr -1 tsne < "$T/x3.npy"
	[ "$stderr" = "tsne: points: want a 2-D array [N,D], got 3 dimensions" ]
	run --separate-stderr -1 tsne < "$T/lab.npy"
	[ "$stderr" = "tsne: points: want a 2-D array [N,D], got 1 dimensions" ]
	tensor take 0:1 "$T/x.npy" > "$T/one.npy"
	run --separate-stderr -1 tsne --perplexity 0.5 < "$T/one.npy"
	[ "$stderr" = "tsne: points: want at least 2 rows and 1 column, got [1,32]" ]
}

@test "tsne: an empty stream is an error (exit 1)" {
	run --separate-stderr -1 tsne < /dev/null
	[[ "$stderr" == "tsne: "*"stream ended before the points" ]]
}

@test "tsne: bad labels are errors (exit 1)" {
	tensor take 0:100 "$T/lab.npy" > "$T/lab100.npy"
	tensor cat "$T/x.npy" "$T/lab100.npy" > "$T/in.npy"
	run --separate-stderr -1 tsne < "$T/in.npy"
	[ "$stderr" = "tsne: labels: want [150], got 1 dimensions of 100 rows" ]
	tensor cast -t float32 "$T/lab.npy" > "$T/labf.npy"
	tensor cat "$T/x.npy" "$T/labf.npy" > "$T/in.npy"
	run --separate-stderr -1 tsne < "$T/in.npy"
	[ "$stderr" = "tsne: labels: want an integer dtype, got float32" ]
	tensor cat "$T/x.npy" "$T/lab.npy" "$T/lab.npy" > "$T/in.npy"
	run --separate-stderr -1 tsne < "$T/in.npy"
	[[ "$stderr" == "tsne: "* ]]
}

@test "tsne: identical rows cannot have a PCA init (exit 1)" {
	tensor const -t float32 -s 50,3 1.5 > "$T/same.npy"
	run --separate-stderr -1 tsne --perplexity 5 < "$T/same.npy"
	[ "$stderr" = "tsne: points: all rows are equal: no principal axes for the PCA init (try --init random)" ]
}

@test "tsne: bad options are usage errors (exit 2)" {
	run --separate-stderr -2 tsne --method bh < "$T/x.npy"
	[[ "$stderr" == "tsne: --method: 'bh' is not fft or exact"* ]]
	run --separate-stderr -2 tsne --init spectral < "$T/x.npy"
	[[ "$stderr" == "tsne: --init: 'spectral' is not pca or random"* ]]
	run --separate-stderr -2 tsne --perplexity abc < "$T/x.npy"
	[[ "$stderr" == "tsne: --perplexity: 'abc' is not a number"* ]]
	run --separate-stderr -2 tsne --learning-rate fast < "$T/x.npy"
	[[ "$stderr" == "tsne: --learning-rate: 'fast' is not a number"* ]]
	run --separate-stderr -2 tsne --iterations -3 < "$T/x.npy"
	[[ "$stderr" == "tsne: --iterations: '-3' is not an integer"* ]]
	run --separate-stderr -2 tsne --threads x < "$T/x.npy"
	[[ "$stderr" == "tsne: --threads: 'x' is not an integer"* ]]
	run --separate-stderr -2 tsne extra < "$T/x.npy"
	[[ "$stderr" == "tsne: unexpected argument 'extra'"* ]]
	run --separate-stderr -2 tsne --bogus < "$T/x.npy"
	[[ "$stderr" == *"unrecognized option"* ]]
}

@test "tsne: --metrics to an unwritable path is an error (exit 1)" {
	run --separate-stderr -1 tsne --method exact --iterations 10 \
	    --threads 1 --metrics /nonexistent/dir/m.tsv < "$T/x.npy"
	[[ "$stderr" == "tsne: /nonexistent/dir/m.tsv: No such file or directory" ]]
}
