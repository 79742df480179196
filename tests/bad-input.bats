#!/usr/bin/env bats
# bad-input: hostile input for every tool.  Each case runs the tool under
# `timeout 20` and asserts the exit status (1 data/I/O, 2 usage), the
# exact one-line message `tool: what: why`, no sanitizer report, no
# crash or hang and, for tools that read everything before writing,
# nothing on stdout.
#
# The table of stream readers: one `stream_cases` line per tool runs the
# stream cases (empty stdin; a stream cut inside the magic, inside the
# header length, inside the header dict, right after the header, mid-data,
# between the arrays and inside the second header; a header claiming 2^62
# elements; one claiming ~100 GB then ending; a directory on stdin;
# output to /dev/full).  Each case names the tool and the case when it
# fails.  The tool-specific cases (wrong dtype or rank, mismatched rows,
# NaN/Inf, k or d over N, zero rows) follow, one `check` line each.
#
# Unreadable input: we run as root, so chmod 000 does not make a file
# unreadable; a directory is used instead (fopen succeeds, the first read
# fails with EISDIR), and a nonexistent path for open errors.
#
# Inputs are built in setup_file with the project's own tensor tool and
# byte surgery (head -c, printf); nothing large is committed.
bats_require_minimum_version 1.5.0

load helpers/npy

export OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1
TINY="--width 4 --rep-dim 16 --head-dim 32 --proj 32,32 --threads 1 -q"

# bytes of the header of the array starting at byte $2 of file $1
# (10-byte prelude + dict), and the data bytes of that array
hdr_len() { echo $((10 + $(od -A n -t u2 -j $(($2 + 8)) -N 2 "$1"))); }

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	local D=$BATS_FILE_TMPDIR i
	# points float32 [20,4] (distinct rows), labels uint8 [20] (0/1)
	awk 'BEGIN { for (i = 0; i < 20; i++)
	    printf "%d %d %d %d\n", i, (i * 7) % 11, (i * i) % 13, i % 3 }' |
	    tensor from-text -t float32 -r 4 > "$D/pts.npy"
	for i in $(seq 10); do printf '0\n1\n'; done |
	    tensor from-text -t uint8 > "$D/lab.npy"
	tensor cat "$D/pts.npy" "$D/lab.npy" > "$D/P.npy"
	tensor cat "$D/pts.npy" "$D/pts.npy" > "$D/PP.npy"
	# scores float32 [20] then labels: the roc stream
	tensor cols 0 "$D/pts.npy" | tensor cast --reshape 20 > "$D/sc.npy"
	tensor cat "$D/sc.npy" "$D/lab.npy" > "$D/R.npy"
	# images uint8 [8,3,32,32] then labels [8]; float32 images
	tensor const -t uint8 -s 8,3,32,32 100 > "$D/img.npy"
	tensor const -t uint8 -s 8 1 > "$D/lab8.npy"
	tensor cat "$D/img.npy" "$D/lab8.npy" > "$D/I.npy"
	# pairs: the plan and 2 steps of 4; a 1-step checkpoint
	augment -q -e 1 -b 4 -s 1 -t 1 "$D/img.npy" > "$D/pairs.npy"
	vicreg-train -o "$D/m.ck" $TINY --steps 1 < "$D/pairs.npy"
	# neighbours int64 [8,1] for augment --pairs
	printf '%d\n' 1 2 3 4 5 6 7 0 | tensor from-text -t int64 -r 1 \
	    > "$D/nb.npy"
	# a PNG for plot panels and png-probe
	plot scatter -o "$D/good.png" < "$D/pts.npy" 2> /dev/null ||
	    tensor cols 0,1 "$D/pts.npy" | plot scatter -o "$D/good.png"
	# the bad variants of P: NaN / Inf in row 0, int32, rank 1, 19
	# labels for 20 points, zero rows, float labels, one class
	{ head -c 128 "$D/pts.npy"; printf '\x00\x00\xc0\x7f'
	  tail -c +133 "$D/pts.npy"; } > "$D/nanpts.npy"
	{ head -c 128 "$D/pts.npy"; printf '\x00\x00\x80\x7f'
	  tail -c +133 "$D/pts.npy"; } > "$D/infpts.npy"
	tensor cat "$D/nanpts.npy" "$D/lab.npy" > "$D/nan.npy"
	tensor cat "$D/infpts.npy" "$D/lab.npy" > "$D/inf.npy"
	tensor cast -t int32 "$D/pts.npy" > "$D/i32.npy"
	tensor cat "$D/sc.npy" "$D/lab.npy" > "$D/rank1.npy"
	tensor take 0:19 "$D/lab.npy" > "$D/lab19.npy"
	tensor cat "$D/pts.npy" "$D/lab19.npy" > "$D/mism.npy"
	tensor const -t float32 -s 0,4 0 > "$D/zpts.npy"
	tensor const -t uint8 -s 0 0 > "$D/zlab.npy"
	tensor cat "$D/zpts.npy" "$D/zlab.npy" > "$D/zero.npy"
	tensor cast -t float32 "$D/lab.npy" > "$D/flab.npy"
	tensor cat "$D/pts.npy" "$D/flab.npy" > "$D/flabels.npy"
	tensor const -t uint8 -s 20 1 > "$D/lab1.npy"
	tensor cat "$D/pts.npy" "$D/lab1.npy" > "$D/oneclass.npy"
	mkdir "$D/dir"
	: > "$D/empty"
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# check CASE STATUS MESSAGE INPUT CMD...: run CMD with INPUT on stdin and
# stdout in $T/out (or $OUT), killed after 20 s.  STATUS 0: success;
# 1: one line on stderr equal to MESSAGE; 2: MESSAGE then the --help
# hint.  A MESSAGE starting with '~' is an extended regex (anchored).
# With QUIET=1 a failure must leave stdout empty.  Prints what is wrong,
# naming the tool and CASE, and returns 1.
check() {
	local case=$1 want=$2 msg=$3 in=$4 out=${OUT:-$T/out}
	shift 4
	local tool=${1##*/} rc why= first n
	rc=0
	timeout 20 "$@" < "$in" > "$out" 2> "$T/err" || rc=$?
	local -a lines
	mapfile -t lines < "$T/err"
	first=${lines[0]:-} n=${#lines[@]}
	if [ "$rc" -eq 124 ]; then
		why="hung: killed after 20 s"
	elif [ "$rc" -ge 128 ] || [ "$rc" -gt 2 ]; then
		why="crashed: exit $rc"
	elif [[ ${lines[*]:-} == *Sanitizer* || ${lines[*]:-} == *"runtime error:"* ]]; then
		why="sanitizer report"
	elif [ "$rc" -ne "$want" ]; then
		why="exit $rc, want $want"
	elif [ "$want" -eq 1 ] && [ "$n" -ne 1 ]; then
		why="$n lines on stderr, want 1"
	elif [ "$want" -eq 2 ] && { [ "$n" -ne 2 ] || [ "${lines[1]}" != \
	    "Try '$tool --help' for more information." ]; }; then
		why="usage error without exactly the --help hint after it"
	elif [ "$want" -ne 0 ] && [ "${msg#\~}" != "$msg" ] &&
	    ! [[ $first =~ ^${msg#\~}$ ]]; then
		why="message does not match /^${msg#\~}\$/"
	elif [ "$want" -ne 0 ] && [ "${msg#\~}" = "$msg" ] &&
	    [ "$first" != "$msg" ]; then
		why="message is not '$msg'"
	elif [ "$want" -ne 0 ] && [ "${QUIET:-0}" = 1 ] && [ -s "$out" ]; then
		why="wrote $(wc -c < "$out") bytes to stdout before failing"
	fi
	[ -z "$why" ] && return 0
	printf '%s: %s: %s\n    stderr: %s\n' "$tool" "$case" "$why" \
	    "$(head -c 600 "$T/err")" >&2
	[ "$out" = /dev/full ] || [ ! -s "$out" ] ||
	    printf '    stdout: %s bytes\n' "$(wc -c < "$out")" >&2
	return 1
}

# cut FILE BYTES: the first BYTES of FILE, in $T/cut.npy
cut_at() { head -c "$2" "$1" > "$T/cut.npy"; }

# stream_cases INPUT EMPTY SECOND CMD...: the stream cases for CMD, which
# reads INPUT (two arrays, both valid for CMD) on stdin.  EMPTY is the
# message for empty stdin after "tool: " ('ok' if empty is success),
# SECOND the one for a stream that ends after the first array ('ok' if
# the second array is optional).  QUIET=1: no output on failure.
stream_cases() {
	local in=$1 empty=$2 second=$3
	shift 3
	local t=${1##*/} fails=0 h0 d0 h1 n0 big
	h0=$(hdr_len "$in" 0)
	# the first array's data bytes: up to the second magic
	n0=$(LC_ALL=C grep -obUaP '\x93NUMPY' "$in" | sed -n 2p | cut -d: -f1)
	d0=$((n0 - h0))
	h1=$(hdr_len "$in" "$n0")
	c() { check "$@" || fails=$((fails + 1)); }

	if [ "$empty" = ok ]; then
		c "empty stdin" 0 "" "$D/empty" "$@"
	else
		c "empty stdin" 1 "$t: $empty" "$D/empty" "$@"
	fi
	cut_at "$in" 3
	c "cut inside the magic" 1 \
	    "$t: stdin: array 0, byte 3: truncated magic (3 of 6 bytes)" "$T/cut.npy" "$@"
	cut_at "$in" 9
	c "cut inside the header length" 1 \
	    "$t: stdin: array 0, byte 9: truncated header (1 of 2 bytes)" "$T/cut.npy" "$@"
	cut_at "$in" 40
	c "cut inside the header dict" 1 \
	    "$t: stdin: array 0, byte 40: truncated header (30 of $((h0 - 10)) bytes)" \
	    "$T/cut.npy" "$@"
	cut_at "$in" "$h0"
	c "cut right after the header" 1 \
	    "~$t: stdin: array 0, byte $h0: truncated data \\(0 of [0-9]+ bytes\\)" \
	    "$T/cut.npy" "$@"
	cut_at "$in" $((h0 + d0 / 2 + 1))
	c "cut mid-data" 1 \
	    "~$t: stdin: array 0, byte $((h0 + d0 / 2 + 1)): truncated data \\([0-9]+ of [0-9]+ bytes\\)" \
	    "$T/cut.npy" "$@"
	cut_at "$in" "$n0"
	if [ "$second" = ok ]; then
		c "cut between the arrays" 0 "" "$T/cut.npy" "$@"
	else
		c "cut between the arrays" 1 "$t: $second" "$T/cut.npy" "$@"
	fi
	cut_at "$in" $((n0 + 20))
	c "cut inside the second header" 1 \
	    "$t: stdin: array 1, byte $((n0 + 20)): truncated header (10 of $((h1 - 10)) bytes)" \
	    "$T/cut.npy" "$@"
	# a first array of 2^62 elements: refused when parsed
	npy_header "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }" \
	    > "$T/huge.npy"
	c "a header claiming 2^62 elements" 1 \
	    "$t: stdin: array 0, byte 0: shape too large" "$T/huge.npy" "$@"
	# the first array's own header with ~100 GB of rows, then the end:
	# refused as truncated, never allocated (ASan would abort on it)
	local dict rows
	dict=$(head -c "$h0" "$in" | tail -c +11 | tr -d '\n' | sed 's/ *$//')
	rows=$(printf '%s' "$dict" | sed -E "s/.*'shape': \\(([0-9]+).*/\\1/")
	rows=$(((1 << 36) / (d0 / rows)))
	npy_header "$(printf '%s' "$dict" |
	    sed -E "s/'shape': \\([0-9]+/'shape': ($rows/")" > "$T/big.npy"
	c "a header claiming 64 GB, then the end" 1 \
	    "${BIGMSG:-~$t: stdin: array 0, byte $(stat -c %s "$T/big.npy"): truncated data \\(0 of [0-9]+ bytes\\)}" \
	    "$T/big.npy" "$@"
	c "a directory on stdin" 1 \
	    "$t: stdin: byte 0: read error: Is a directory" "$D/dir" "$@"
	# (FULLMSG=none: the tool writes nothing on stdout)
	[ "${FULLMSG:-}" = none ] ||
	    OUT=/dev/full c "output to /dev/full" 1 \
	    "${FULLMSG:-$t: write: No space left on device}" "$in" "$@"
	[ "$fails" -eq 0 ]
}

# ---- the table: one line per stream reader ------------------------------

@test "stream cases: pca" {
	QUIET=1 stream_cases "$D/P.npy" "stdin: stream ended before points" ok pca --threads 1
}
@test "stream cases: tsne" {
	QUIET=1 stream_cases "$D/P.npy" "stdin: stream ended before the points" ok \
	    tsne --perplexity 5 --iterations 20 --threads 1
}
@test "stream cases: knn-graph" {
	QUIET=1 stream_cases "$D/P.npy" "stdin: stream ended before points" ok knn-graph -k 3 --threads 1
}
@test "stream cases: laplacian" {
	QUIET=1 stream_cases "$D/P.npy" "stdin: stream ended before points" ok laplacian -k 5 --threads 1
}
@test "stream cases: kmeans" {
	QUIET=1 stream_cases "$D/P.npy" "stdin: stream ended before points" ok \
	    kmeans -q -k 2 --restarts 1 --threads 1
}
@test "stream cases: silhouette" {
	QUIET=1 stream_cases "$D/P.npy" "stdin: stream ended before points" \
	    "stdin: stream ended before labels" silhouette --threads 1
}
@test "stream cases: roc" {
	QUIET=1 stream_cases "$D/R.npy" "stdin: stream ended before scores" \
	    "stdin: stream ended before labels" roc -q
}
@test "stream cases: linprobe (TRAIN on stdin)" {
	QUIET=1 stream_cases "$D/P.npy" "stdin: stream ended before train" \
	    "train: stream ended before the labels" linprobe --epochs 1 - "$D/P.npy"
}
@test "stream cases: encode" {
	stream_cases "$D/I.npy" "stdin: stream ended before the images" ok \
	    encode -m "$D/m.ck" --threads 1
}
@test "stream cases: augment" {
	QUIET=1 stream_cases "$D/I.npy" "stdin: stream ended before the images" ok \
	    augment -q -b 4 -t 1
}
@test "stream cases: augment --normalize" {
	stream_cases "$D/I.npy" "stdin: stream ended before the images" ok \
	    augment --normalize
}
@test "stream cases: augment --pairs" {
	QUIET=1 stream_cases "$D/I.npy" "stdin: stream ended before the images" ok \
	    augment -q -b 4 --pairs "$D/nb.npy"
}
@test "stream cases: vicreg-train" {
	# the plan is checked before it is read; nothing on stdout: -o
	BIGMSG="vicreg-train: stdin: expected the plan, int64 [4], first; got int64 [8589934592]" \
	FULLMSG=none stream_cases "$D/pairs.npy" \
	    "stdin: empty stream (expected the plan, int64 [4], then the pairs)" \
	    "stdin: stream ended after 0 of 2 steps" vicreg-train -o "$T/x.ck" $TINY
	check "-o /dev/full" 1 "vicreg-train: /dev/full: not a regular file" \
	    "$D/pairs.npy" vicreg-train -o /dev/full $TINY
	[ -c /dev/full ]
}
@test "stream cases: tensor info" {
	QUIET=1 stream_cases "$D/P.npy" ok ok tensor info
}
@test "stream cases: tensor take" {
	stream_cases "$D/P.npy" ok ok tensor take 1:5
}
@test "stream cases: tensor pick" {
	stream_cases "$D/P.npy" "stdin: no array 0 (the stream has 0)" ok tensor pick 0
}
@test "stream cases: tensor cat" {
	stream_cases "$D/P.npy" ok ok tensor cat
}
@test "stream cases: tensor rows-cat" {
	QUIET=1 stream_cases "$D/PP.npy" "stdin: no arrays to join" ok tensor rows-cat
}
@test "stream cases: tensor join" {
	stream_cases "$D/P.npy" "stdin: 0 arrays, but $D/P.npy has more" \
	    "stdin: 1 arrays, but $D/P.npy has more" tensor join "$D/P.npy" -
}
@test "stream cases: tensor cols" {
	stream_cases "$D/PP.npy" ok ok tensor cols 0,2
}
@test "stream cases: tensor cast" {
	stream_cases "$D/P.npy" ok ok tensor cast -t float64
}
@test "stream cases: tensor print" {
	stream_cases "$D/P.npy" ok ok tensor print
}
@test "stream cases: tensor to-csv" {
	QUIET=1 stream_cases "$D/P.npy" ok ok tensor to-csv
}
@test "stream cases: plot scatter" {
	tensor cols 0,1 "$D/pts.npy" > "$T/xy.npy"
	tensor cat "$T/xy.npy" "$D/lab.npy" > "$T/xyl.npy"
	FULLMSG="plot: stdout: No space left on device" \
	QUIET=1 stream_cases "$T/xyl.npy" "stream ended before points" ok plot scatter
}
@test "stream cases: plot grid" {
	FULLMSG="plot: stdout: No space left on device" \
	QUIET=1 stream_cases "$D/I.npy" "stream ended before images" ok plot grid
}

# ---- tool-specific cases -------------------------------------------------

@test "pca: wrong rank, mismatched labels, NaN, Inf, zero rows, one row, -d over D" {
	local f=0
	QUIET=1
	check "rank 1" 1 "pca: points: expected shape [N,D], got float32 [20]" "$D/rank1.npy" pca || f=1
	check "19 labels" 1 "pca: labels: 19 rows, points have 20" "$D/mism.npy" pca || f=1
	check "NaN" 1 "pca: points: row 0: NaN" "$D/nan.npy" pca || f=1
	check "Inf" 1 "pca: points: row 0: infinite value" "$D/inf.npy" pca || f=1
	check "zero rows" 1 "pca: points: empty array float32 [0,4]" "$D/zero.npy" pca || f=1
	tensor take 0 "$D/pts.npy" > "$T/one.npy"
	check "one row" 1 "pca: points: need at least 2 rows, got 1" "$T/one.npy" pca || f=1
	check "-d 5 > D" 1 "pca: -d 5: more components than min(N, D) = 4" "$D/P.npy" pca -d 5 || f=1
	[ "$f" -eq 0 ]
}

@test "tsne: wrong rank, mismatched labels, NaN, perplexity over N, zero rows, divergence" {
	local f=0 tsne="tsne --threads 1 --iterations 20"
	QUIET=1
	check "rank 1" 1 "tsne: points: want a 2-D array [N,D], got 1 dimensions" "$D/rank1.npy" $tsne || f=1
	check "19 labels" 1 "tsne: labels: want [20], got 1 dimensions of 19 rows" "$D/mism.npy" $tsne --perplexity 5 || f=1
	check "NaN" 1 "tsne: points: row 0 column 0 is not finite" "$D/nan.npy" $tsne --perplexity 5 || f=1
	check "Inf" 1 "tsne: points: row 0 column 0 is not finite" "$D/inf.npy" $tsne --perplexity 5 || f=1
	check "perplexity >= N" 1 "tsne: perplexity 20 must be less than the number of points (20)" \
	    "$D/P.npy" $tsne --perplexity 20 || f=1
	check "zero rows" 1 "tsne: points: want at least 2 rows and 1 column, got [0,4]" "$D/zero.npy" $tsne || f=1
	# FFT interpolation on 3 points diverged to NaN (was: a minute of
	# NaN iterations, then NaN written with exit 0)
	printf '1 2\n3 4\n5 6\n' | tensor from-text -t float32 -r 2 > "$T/p3.npy"
	check "3 points diverge" 1 \
	    "~tsne: t-SNE: the embedding diverged at iteration [0-9]+ \(non-finite values\); try --method exact" \
	    "$T/p3.npy" tsne --perplexity 1 --threads 1 || f=1
	check "3 points, exact" 0 "" "$T/p3.npy" tsne --perplexity 1 --method exact --threads 1 || f=1
	[ "$f" -eq 0 ]
}

@test "knn-graph: wrong rank, mismatched labels, NaN, Inf, k over N, zero rows, --base of another D" {
	local f=0
	QUIET=1
	check "rank 1" 1 "knn-graph: points: expected shape [N,D], got float32 [20]" "$D/rank1.npy" knn-graph || f=1
	check "19 labels" 1 "knn-graph: points: after the points expected labels [20], got uint8 [19]" \
	    "$D/mism.npy" knn-graph -k 3 || f=1
	check "NaN" 1 "knn-graph: points: row 0: NaN" "$D/nan.npy" knn-graph -k 3 || f=1
	check "Inf" 1 "knn-graph: points: row 0: infinite value" "$D/inf.npy" knn-graph -k 3 || f=1
	check "k = N" 1 "knn-graph: -k 20: only 19 other points to choose from" "$D/P.npy" knn-graph -k 20 || f=1
	check "zero rows" 1 "knn-graph: points: empty array float32 [0,4]" "$D/zero.npy" knn-graph || f=1
	tensor cols 0,1 "$D/pts.npy" > "$T/xy.npy"
	check "--base D 2, queries D 4" 1 "knn-graph: $T/xy.npy: points have 2 features, queries have 4" "$D/P.npy" knn-graph -k 3 --base "$T/xy.npy" || f=1
	check "--base a directory" 1 "knn-graph: $D/dir: byte 0: read error: Is a directory" \
	    "$D/P.npy" knn-graph -k 3 --base "$D/dir" || f=1
	[ "$f" -eq 0 ]
}

@test "laplacian: wrong rank, mismatched labels, NaN, k and d over N, zero rows, --graph of points" {
	local f=0
	QUIET=1
	check "rank 1" 1 "laplacian: points: expected shape [N,D], got float32 [20]" "$D/rank1.npy" laplacian || f=1
	check "19 labels" 1 "laplacian: labels: 19 rows, points have 20" "$D/mism.npy" laplacian -k 5 || f=1
	check "NaN" 1 "laplacian: points: row 0: NaN" "$D/nan.npy" laplacian -k 5 || f=1
	check "Inf" 1 "laplacian: points: row 0: infinite value" "$D/inf.npy" laplacian -k 5 || f=1
	check "-k 25 > N" 1 "laplacian: -k 25: only 20 points" "$D/P.npy" laplacian -k 25 || f=1
	check "-d 25 > N" 1 "laplacian: -d 25: needs at least 26 points, got 20" "$D/P.npy" laplacian -d 25 || f=1
	check "zero rows" 1 "laplacian: points: empty array float32 [0,4]" "$D/zero.npy" laplacian || f=1
	check "--graph of points" 1 "laplacian: indices: expected an integer array [N,k], got float32 [20,4]" "$D/P.npy" laplacian --graph || f=1
	[ "$f" -eq 0 ]
}

@test "kmeans: wrong dtype and rank, mismatched labels, NaN, Inf, k over N, zero rows" {
	local f=0 km="kmeans -q --restarts 1 --threads 1"
	QUIET=1
	check "int32" 1 "kmeans: points: expected float32 [N,D], got int32 [20,4]" "$D/i32.npy" $km -k 2 || f=1
	check "rank 1" 1 "kmeans: points: expected float32 [N,D], got float32 [20]" "$D/rank1.npy" $km -k 2 || f=1
	check "19 labels" 1 "kmeans: labels: 19 rows, points have 20" "$D/mism.npy" $km -k 2 || f=1
	check "NaN" 1 "kmeans: points: row 0: NaN" "$D/nan.npy" $km -k 2 || f=1
	check "Inf" 1 "kmeans: points: row 0: infinite value" "$D/inf.npy" $km -k 2 || f=1
	check "k = N + 1" 1 "kmeans: k (21) exceeds the number of points (20)" "$D/P.npy" $km -k 21 || f=1
	check "zero rows" 1 "kmeans: points: empty" "$D/zero.npy" $km -k 2 || f=1
	[ "$f" -eq 0 ]
}

@test "silhouette: wrong dtype, mismatched labels, NaN, float labels, one class, zero rows" {
	local f=0
	QUIET=1
	check "int32" 1 "silhouette: points: expected float32 [N,D], got int32 [20,4]" "$D/i32.npy" silhouette || f=1
	check "19 labels" 1 "silhouette: labels: 19 rows, points have 20" "$D/mism.npy" silhouette || f=1
	check "NaN" 1 "silhouette: points: row 0: NaN" "$D/nan.npy" silhouette || f=1
	check "float labels" 1 "silhouette: labels: expected an integer dtype, got float32 [20]" "$D/flabels.npy" silhouette || f=1
	check "one class" 1 "silhouette: labels: 1 distinct labels; need 2 to N - 1 = 19" \
	    "$D/oneclass.npy" silhouette || f=1
	check "zero rows" 1 "silhouette: labels: 0 distinct labels; need 2 to N - 1 = 0" "$D/zero.npy" silhouette || f=1
	[ "$f" -eq 0 ]
}

@test "roc: wrong rank, mismatched rows, NaN, a label 2, one class, zero rows" {
	local f=0
	QUIET=1
	check "scores rank 2" 1 "roc: scores: expected shape [N], got float32 [20,4]" "$D/P.npy" roc || f=1
	tensor cat "$D/sc.npy" "$D/lab19.npy" > "$T/m.npy"
	check "19 labels" 1 "roc: labels: 19 rows, scores have 20" "$T/m.npy" roc || f=1
	tensor cols 0 "$D/nanpts.npy" | tensor cast --reshape 20 > "$T/ns.npy"
	tensor cat "$T/ns.npy" "$D/lab.npy" > "$T/n.npy"
	check "NaN" 1 "roc: scores: row 0: NaN" "$T/n.npy" roc || f=1
	{ printf '2\n'; tensor to-csv "$D/lab.npy" | tail -n +2; } |
	    tensor from-text -t int32 > "$T/l2.npy"
	tensor cat "$D/sc.npy" "$T/l2.npy" > "$T/two.npy"
	check "a label 2" 1 "roc: labels: row 0: 2 is not 0 or 1" "$T/two.npy" roc || f=1
	tensor cat "$D/sc.npy" "$D/lab1.npy" > "$T/one.npy"
	check "one class" 1 "roc: labels: only one class present; ROC is not defined" "$T/one.npy" roc || f=1
	tensor const -t float32 -s 0 0 > "$T/s0.npy"
	tensor cat "$T/s0.npy" "$D/zlab.npy" > "$T/z.npy"
	check "zero rows" 1 "roc: scores: empty" "$T/z.npy" roc || f=1
	check "LABELS a directory" 1 "roc: $D/dir: byte 0: read error: Is a directory" \
	    "$D/empty" roc "$D/sc.npy" "$D/dir" || f=1
	[ "$f" -eq 0 ]
}

@test "linprobe: feature counts, mismatched rows, NaN, zero rows, bad labels, unreadable files" {
	local f=0 lp="linprobe --epochs 1"
	QUIET=1
	tensor cols 0,1 "$D/pts.npy" | tensor cat - "$D/lab.npy" > "$T/d2.npy"
	check "D 4 vs 2" 1 "linprobe: test: 2 features, train has 4" "$D/empty" $lp "$D/P.npy" "$T/d2.npy" || f=1
	check "19 labels" 1 "linprobe: test: labels: 19 rows, points have 20" "$D/empty" $lp "$D/P.npy" "$D/mism.npy" || f=1
	check "NaN in train" 1 "linprobe: train: row 0: NaN" "$D/empty" $lp "$D/nan.npy" "$D/P.npy" || f=1
	check "Inf in test" 1 "linprobe: test: row 0: infinite value" "$D/empty" $lp "$D/P.npy" "$D/inf.npy" || f=1
	check "zero rows" 1 "linprobe: train: no rows" "$D/empty" $lp "$D/zero.npy" "$D/P.npy" || f=1
	check "float labels" 1 "linprobe: train: labels: expected an integer dtype, got float32 [20]" \
	    "$D/empty" $lp "$D/flabels.npy" "$D/P.npy" || f=1
	check "-c 1 < labels" 1 "linprobe: train: labels: 1 is out of range for 1 classes" \
	    "$D/empty" $lp -c 1 "$D/P.npy" "$D/P.npy" || f=1
	check "TRAIN a directory" 1 "linprobe: $D/dir: byte 0: read error: Is a directory" \
	    "$D/empty" $lp "$D/dir" "$D/P.npy" || f=1
	check "TEST missing" 1 "linprobe: /nonexistent/t.npy: No such file or directory" \
	    "$D/empty" $lp "$D/P.npy" /nonexistent/t.npy || f=1
	check "TEST empty" 1 "linprobe: $D/empty: stream ended before test" "$D/empty" $lp "$D/P.npy" "$D/empty" || f=1
	OUT=/dev/full check "stdout /dev/full" 1 "linprobe: write: No space left on device" \
	    "$D/empty" $lp "$D/P.npy" "$D/P.npy" || f=1
	[ "$f" -eq 0 ]
}

@test "encode: bad checkpoints, wrong image shape, NaN images, mismatched labels, zero images" {
	local f=0 en="encode --threads 1"
	check "-m a directory" 1 "encode: $D/dir: not a regular file" "$D/I.npy" $en -m "$D/dir" || f=1
	check "-m missing" 1 "encode: /nonexistent/m.ck: No such file or directory" "$D/I.npy" $en -m /nonexistent/m.ck || f=1
	check "-m empty" 1 "encode: $D/empty: not a vicreg checkpoint (bad magic)" "$D/I.npy" $en -m "$D/empty" || f=1
	head -c 100 "$D/m.ck" > "$T/c100"
	check "-m cut in the header" 1 "encode: $T/c100: truncated checkpoint (100 bytes, the header alone is 512)" \
	    "$D/I.npy" $en -m "$T/c100" || f=1
	head -c 3000 "$D/m.ck" > "$T/c3k"
	check "-m cut in the parameters" 1 \
	    "~encode: $T/c3k: truncated checkpoint \(3000 bytes, its header describes [0-9]+\)" \
	    "$D/I.npy" $en -m "$T/c3k" || f=1
	check "-m a tensor stream" 1 "encode: $D/P.npy: not a vicreg checkpoint (bad magic)" "$D/I.npy" $en -m "$D/P.npy" || f=1
	QUIET=1 check "points, not images" 1 \
	    "encode: stdin: expected images uint8 or float32 [N,3,32,32], got float32 [20,4]" "$D/P.npy" $en -m "$D/m.ck" || f=1
	tensor const -t uint8 -s 2,3,16,16 0 > "$T/i16.npy"
	QUIET=1 check "16x16 images" 1 \
	    "encode: stdin: expected images uint8 or float32 [N,3,32,32], got uint8 [2,3,16,16]" "$T/i16.npy" $en -m "$D/m.ck" || f=1
	tensor cast -t float32 "$D/img.npy" > "$T/f.npy"
	{ head -c 128 "$T/f.npy"; printf '\x00\x00\xc0\x7f'; tail -c +133 "$T/f.npy"; } > "$T/fnan.npy"
	check "NaN image" 1 "encode: stdin: NaN or Inf in image 0" "$T/fnan.npy" $en -m "$D/m.ck" || f=1
	tensor cat "$D/img.npy" "$D/lab.npy" > "$T/il.npy"
	check "20 labels for 8 images" 1 \
	    "encode: stdin: expected labels, integer [8], after the images; got uint8 [20]" "$T/il.npy" $en -m "$D/m.ck" || f=1
	tensor const -t uint8 -s 0,3,32,32 0 > "$T/i0.npy"
	check "zero images" 0 "" "$T/i0.npy" $en -m "$D/m.ck" || f=1
	[ "$f" -eq 0 ]
}

@test "augment: wrong shapes, zero images, huge images, --drop-last, bad --pairs files" {
	local f=0
	QUIET=1
	check "points" 1 "augment: stdin: expected images uint8 [N,3,32,32], got float32 [20,4]" "$D/P.npy" augment -q || f=1
	tensor const -t uint8 -s 2,1,32,32 0 > "$T/g.npy"
	check "1 channel" 1 "augment: stdin: expected images uint8 [N,3,32,32], got uint8 [2,1,32,32]" "$T/g.npy" augment -q || f=1
	check "--normalize, 1 channel" 1 "augment: stdin: expected images uint8 [N,3,H,W], got uint8 [2,1,32,32]" \
	    "$T/g.npy" augment --normalize || f=1
	tensor const -t uint8 -s 0,3,32,32 0 > "$T/i0.npy"
	check "zero images" 1 "augment: stdin: no images (uint8 [0,3,32,32])" "$T/i0.npy" augment -q || f=1
	check "--normalize, zero images" 1 "augment: stdin: no images (uint8 [0,3,32,32])" "$T/i0.npy" augment --normalize || f=1
	# one 100000x100000 image claimed, then nothing (was: a 7.6 TB malloc)
	npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 3, 100000, 100000), }" > "$T/h.npy"
	check "--normalize, a huge image" 1 \
	    "augment: stdin: images of 100000x100000 are too large (over 4194304 pixels)" "$T/h.npy" augment --normalize || f=1
	check "--drop-last, no full batch" 1 "augment: --drop-last: 8 images make no full batch of 9" \
	    "$D/I.npy" augment -q -b 9 --drop-last || f=1
	tensor cat "$D/img.npy" "$D/lab.npy" > "$T/il.npy"
	# (the images are streamed out before the labels are read)
	QUIET=0 check "--normalize, 20 labels for 8 images" 1 \
	    "augment: stdin: expected labels [8] of an integer type after the images, got uint8 [20]" \
	    "$T/il.npy" augment --normalize || f=1
	printf '%d\n' 1 2 3 4 5 6 7 8 | tensor from-text -t int64 -r 1 > "$T/nb8.npy"
	check "--pairs, index N" 1 "augment: $T/nb8.npy: row 7: neighbour 8 out of range [0, 8)" \
	    "$D/I.npy" augment -q -b 4 --pairs "$T/nb8.npy" || f=1
	printf '%d\n' 1 2 3 4 5 6 7 -1 | tensor from-text -t int64 -r 1 > "$T/nbn.npy"
	check "--pairs, index -1" 1 "augment: $T/nbn.npy: row 7: neighbour -1 out of range [0, 8)" \
	    "$D/I.npy" augment -q -b 4 --pairs "$T/nbn.npy" || f=1
	tensor take 0:7 "$D/nb.npy" > "$T/nb7.npy"
	check "--pairs, 7 rows for 8 images" 1 "augment: $T/nb7.npy: 7 rows of neighbours for 8 images" \
	    "$D/I.npy" augment -q -b 4 --pairs "$T/nb7.npy" || f=1
	tensor cast -t float32 "$D/nb.npy" > "$T/nbf.npy"
	check "--pairs, float32" 1 \
	    "augment: $T/nbf.npy: expected neighbour indices int32|int64 [N,k], got float32 [8,1]" \
	    "$D/I.npy" augment -q -b 4 --pairs "$T/nbf.npy" || f=1
	tensor const -t int64 -s 8,0 0 > "$T/nbk0.npy"
	check "--pairs, k 0" 1 "augment: $T/nbk0.npy: k = 0: no neighbours to pair with" \
	    "$D/I.npy" augment -q -b 4 --pairs "$T/nbk0.npy" || f=1
	head -c 130 "$D/nb.npy" > "$T/nbt.npy"
	check "--pairs, cut mid-data" 1 "augment: $T/nbt.npy: array 0, byte 130: truncated data (2 of 64 bytes)" \
	    "$D/I.npy" augment -q -b 4 --pairs "$T/nbt.npy" || f=1
	check "--pairs, a directory" 1 "augment: $D/dir: byte 0: read error: Is a directory" \
	    "$D/I.npy" augment -q -b 4 --pairs "$D/dir" || f=1
	check "--pairs, empty" 1 "augment: $D/empty: stream ended before the neighbour indices" \
	    "$D/I.npy" augment -q -b 4 --pairs "$D/empty" || f=1
	[ "$f" -eq 0 ]
}

@test "vicreg-train: NaN pairs, a bad plan, -o a directory" {
	local f=0
	# NaN in the first pair of step 1 (plan: 128 + 32 bytes, header 128)
	{ head -c 288 "$D/pairs.npy"; printf '\x00\x00\xc0\x7f'; tail -c +293 "$D/pairs.npy"; } > "$T/nan.npy"
	check "NaN in the pairs" 1 "vicreg-train: stdin: array 1: NaN or Inf in pair 0" "$T/nan.npy" vicreg-train -o "$T/x.ck" $TINY || f=1
	tensor const -t int64 -s 4 0 > "$T/plan0.npy"
	check "a plan of zeros" 1 \
	    "vicreg-train: stdin: bad plan (0 epochs, 0 steps per epoch, batch 0, 0 images): each must be >= 1, batch and images >= 2" \
	    "$T/plan0.npy" vicreg-train -o "$T/x.ck" $TINY || f=1
	check "-o a directory" 1 "vicreg-train: $D/dir: not a regular file" "$D/pairs.npy" vicreg-train -o "$D/dir" $TINY || f=1
	[ "$f" -eq 0 ]
}

@test "tensor: rows, columns and arrays out of range, bad reshapes and joins, bad text, huge const" {
	local f=0
	QUIET=1
	check "take row 25 of 20" 1 "tensor: stdin: array 0: row 25 out of range (20 rows)" "$D/pts.npy" tensor take 25 || f=1
	check "take from zero rows" 1 "tensor: stdin: array 0: row 0 out of range (0 rows)" "$D/zpts.npy" tensor take 0 || f=1
	check "cols 7 of 4" 1 "tensor: stdin: array 0: column 7 out of range (4 columns)" "$D/pts.npy" tensor cols 7 || f=1
	check "cols of rank 1" 1 "tensor: stdin: array 0: a one-dimensional array has no columns" "$D/sc.npy" tensor cols 0 || f=1
	check "pick 3 of 2" 1 "tensor: stdin: no array 3 (the stream has 2)" "$D/P.npy" tensor pick 3 || f=1
	check "reshape 80 to 3,3" 1 "tensor: stdin: array 0: cannot reshape float32 [20,4] to 3,3" \
	    "$D/pts.npy" tensor cast --reshape 3,3 || f=1
	QUIET=0 check "cast NaN to uint8" 1 "tensor: stdin: array 0: element 0 (nan) does not fit uint8" \
	    "$D/nanpts.npy" tensor cast -t uint8 || f=1
	check "join 20 and 19 rows" 1 \
	    "tensor: $D/lab19.npy: array 0 is uint8 [19], $D/pts.npy has float32 [20,4]: cannot join along axis 0" \
	    "$D/empty" tensor join "$D/pts.npy" "$D/lab19.npy" || f=1
	check "rows-cat float32 and uint8" 1 \
	    "tensor: $D/lab.npy: array 0 is uint8 [20], the first array is float32 [20,4]: cannot join along axis 0" \
	    "$D/empty" tensor rows-cat "$D/pts.npy" "$D/lab.npy" || f=1
	printf '1 2\n3\n' > "$T/r.txt"
	check "from-text ragged" 1 "tensor: stdin: line 2 has 1 values, line 1 has 2" "$T/r.txt" tensor from-text -t float32 || f=1
	printf 'nan 1\n' > "$T/n.txt"
	check "from-text nan" 1 "tensor: stdin: line 1: 'nan' is not a float32 value" "$T/n.txt" tensor from-text -t float32 || f=1
	printf '300\n' > "$T/b.txt"
	check "from-text 300 as uint8" 1 "tensor: stdin: line 1: '300' is not a uint8 value" "$T/b.txt" tensor from-text -t uint8 || f=1
	check "from-text a directory" 1 "tensor: stdin: Is a directory" "$D/dir" tensor from-text || f=1
	check "const 2^62 elements" 2 "tensor: --shape: '4611686018427387904' is not a shape (up to 8 comma-separated sizes)" \
	    "$D/empty" tensor const -t float32 -s 4611686018427387904 1 || f=1
	check "const 10^15 elements" 2 "tensor: --shape: '100000,100000,100000' is too large" \
	    "$D/empty" tensor const -t float32 -s 100000,100000,100000 1 || f=1
	OUT=/dev/full check "const to /dev/full" 1 "tensor: write: No space left on device" \
	    "$D/empty" tensor const -t float32 -s 2000 1 || f=1
	check "info of a missing file" 1 "tensor: /nonexistent.npy: No such file or directory" \
	    "$D/empty" tensor info /nonexistent.npy || f=1
	[ "$f" -eq 0 ]
}

@test "plot: NaN points, mismatched labels, wrong shapes, bad CSVs and PNGs, unwritable -o" {
	local f=0
	QUIET=1
	tensor cols 0,1 "$D/nanpts.npy" > "$T/xyn.npy"
	check "scatter NaN" 1 "plot: points: row 0 is not finite" "$T/xyn.npy" plot scatter -o "$T/o.png" || f=1
	tensor cols 0,1 "$D/pts.npy" | tensor cat - "$D/lab19.npy" > "$T/xym.npy"
	check "scatter 19 labels" 1 "plot: labels: 19 labels for 20 points" "$T/xym.npy" plot scatter -o "$T/o.png" || f=1
	check "scatter [20,4]" 1 "plot: points: expected float32 or float64 [N,2], got float32 [20,4]" \
	    "$D/P.npy" plot scatter -o "$T/o.png" || f=1
	check "grid of points" 1 "plot: images: expected [N,3,H,W], [N,1,H,W] or [N,H,W], got float32 [20,4]" \
	    "$D/P.npy" plot grid -o "$T/o.png" || f=1
	tensor const -t uint8 -s 0,3,32,32 0 > "$T/i0.npy"
	check "grid of zero images" 1 "plot: images: empty (uint8 [0,3,32,32])" "$T/i0.npy" plot grid -o "$T/o.png" || f=1
	tensor cat "$D/img.npy" "$D/lab.npy" > "$T/il.npy"
	check "grid, 20 labels for 8" 1 "plot: labels: expected integer [8], got uint8 [20]" "$T/il.npy" plot grid -o "$T/o.png" || f=1
	printf 'a,b\n1\n' > "$T/short.csv"
	check "lines, a short row" 1 "plot: $T/short.csv:2: 1 fields, the header has 2" \
	    "$D/empty" plot lines -o "$T/o.png" --csv "$T/short.csv" --x a --y b || f=1
	check "lines, empty CSV" 1 "plot: $D/empty: empty file (expected a header row)" \
	    "$D/empty" plot lines -o "$T/o.png" --csv "$D/empty" --x a --y b || f=1
	check "lines, CSV a directory" 1 "plot: $D/dir: Is a directory" \
	    "$D/empty" plot lines -o "$T/o.png" --csv "$D/dir" --x a --y b || f=1
	check "lines, a series cut mid-data" 1 "plot: stdin: array 0, byte 289: truncated data (161 of 320 bytes)" \
	    "$D/empty" bash -c "head -c 289 '$D/pts.npy' | plot lines -o '$T/o.png' --series -:s" || f=1
	head -c 100 "$D/good.png" > "$T/t.png"
	check "panels, a cut PNG" 1 "plot: $T/t.png: truncated PNG data" "$D/empty" plot panels -o "$T/o.png" "$T/t.png" || f=1
	check "panels, a directory" 1 "plot: $D/dir: Is a directory" "$D/empty" plot panels -o "$T/o.png" "$D/dir" || f=1
	check "panels, not a PNG" 1 "plot: $D/P.npy: not a PNG file" "$D/empty" plot panels -o "$T/o.png" "$D/P.npy" || f=1
	check "panels -o /dev/full" 1 "plot: /dev/full: No space left on device" \
	    "$D/empty" plot panels -o /dev/full "$D/good.png" || f=1
	tensor cols 0,1 "$D/pts.npy" > "$T/xy.npy"
	check "scatter -o a directory" 1 "plot: $D/dir: Is a directory" "$T/xy.npy" plot scatter -o "$D/dir" || f=1
	[ "$f" -eq 0 ]
}

@test "png-probe: empty, cut, directory, missing, not a PNG, outside the image, /dev/full" {
	local f=0
	QUIET=1
	check "empty" 1 "png-probe: $D/empty: not a PNG file" "$D/empty" png-probe size "$D/empty" || f=1
	head -c 100 "$D/good.png" > "$T/t.png"
	check "cut" 1 "png-probe: $T/t.png: truncated PNG data" "$D/empty" png-probe info "$T/t.png" || f=1
	check "a directory" 1 "png-probe: $D/dir: Is a directory" "$D/empty" png-probe size "$D/dir" || f=1
	check "missing" 1 "png-probe: /nonexistent.png: No such file or directory" "$D/empty" png-probe size /nonexistent.png || f=1
	check "a tensor stream" 1 "png-probe: $D/P.npy: not a PNG file" "$D/empty" png-probe size "$D/P.npy" || f=1
	check "pixel outside" 1 "~png-probe: pixel 100000 1 is outside the [0-9]+x[0-9]+ image" \
	    "$D/empty" png-probe pixel "$D/good.png" 100000 1 || f=1
	OUT=/dev/full check "crop to /dev/full" 1 "png-probe: write: No space left on device" \
	    "$D/empty" png-probe crop "$D/good.png" 0 0 10 10 || f=1
	[ "$f" -eq 0 ]
}

@test "cifar-decode: empty, not gzip, cut gzip, cut archive, bad batch files, directory, /dev/full" {
	local f=0 A=data/cifar-10-binary.tar.gz
	[ -r "$A" ] || { echo "missing $A: run 'make data'" >&2; return 1; }
	check "empty stdin" 1 "cifar-decode: stdin: missing member data_batch_1.bin" "$D/empty" cifar-decode || f=1
	check "a tensor stream" 1 "cifar-decode: stdin: byte 0: not a tar archive (bad header checksum)" "$D/P.npy" cifar-decode || f=1
	head -c 10 "$A" > "$T/c10"
	QUIET=1 check "cut in the gzip header" 1 "cifar-decode: stdin: byte 0: truncated archive (unexpected end of gzip data)" \
	    "$T/c10" cifar-decode || f=1
	head -c 1000 "$A" > "$T/c1000"
	check "cut in the first member" 1 \
	    "cifar-decode: stdin: byte 2301: truncated archive (765 of 786688 bytes of cifar-10-batches-bin/data_batch_1.bin)" \
	    "$T/c1000" cifar-decode || f=1
	head -c 3072 /dev/zero > "$T/b.bin"
	QUIET=1 check "a batch of 3072 bytes" 1 \
	    "cifar-decode: $T/b.bin: truncated record (3072 bytes is not a whole number of 3073-byte records)" \
	    "$D/empty" cifar-decode "$T/b.bin" || f=1
	{ printf '\013'; head -c 3072 /dev/zero; } > "$T/l.bin"
	check "label 11" 1 "cifar-decode: $T/l.bin: batch: record 0: label 11 out of range 0..9" \
	    "$D/empty" cifar-decode "$T/l.bin" || f=1
	QUIET=1 check "a directory" 1 "cifar-decode: $D/dir: byte 0: Is a directory" "$D/empty" cifar-decode "$D/dir" || f=1
	QUIET=1 check "missing" 1 "cifar-decode: /nonexistent.tar.gz: No such file or directory" \
	    "$D/empty" cifar-decode /nonexistent.tar.gz || f=1
	{ printf '\001'; head -c 3072 /dev/zero; } > "$T/ok.bin"
	OUT=/dev/full check "/dev/full" 1 "cifar-decode: write: No space left on device" \
	    "$D/empty" cifar-decode "$T/ok.bin" || f=1
	[ "$f" -eq 0 ]
}

@test "mnist-decode: empty, cut at each part, wrong ranks and counts, huge dims, directory, /dev/full" {
	local f=0
	# 3 images of 2x2 and 3 labels, built by hand
	printf '\0\0\10\3\0\0\0\3\0\0\0\2\0\0\0\2' > "$T/im"
	head -c 12 /dev/zero >> "$T/im"
	printf '\0\0\10\1\0\0\0\3\1\2\3' > "$T/lb"
	check "good" 0 "" "$D/empty" mnist-decode "$T/im" "$T/lb" || f=1
	QUIET=1
	check "empty" 1 "mnist-decode: $D/empty: byte 0: truncated magic (0 of 4 bytes)" "$D/empty" mnist-decode "$D/empty" || f=1
	head -c 2 "$T/im" > "$T/c"
	check "cut in the magic" 1 "mnist-decode: $T/c: byte 2: truncated magic (2 of 4 bytes)" "$D/empty" mnist-decode "$T/c" || f=1
	head -c 6 "$T/im" > "$T/c"
	check "cut in the dims" 1 "mnist-decode: $T/c: byte 6: truncated dimensions (2 of 4 bytes)" "$D/empty" mnist-decode "$T/c" || f=1
	head -c 20 "$T/im" > "$T/c"
	QUIET=0 check "cut in the data" 1 "mnist-decode: $T/c: byte 20: truncated data (4 of 12 bytes)" \
	    "$D/empty" mnist-decode "$T/c" || f=1
	check "labels as images" 1 "mnist-decode: $T/lb: images must have 3 dimensions [N,H,W], not 1" \
	    "$D/empty" mnist-decode "$T/lb" || f=1
	check "images as labels" 1 "mnist-decode: $T/im: labels must have 1 dimension, not 3" \
	    "$D/empty" mnist-decode "$T/im" "$T/im" || f=1
	printf '\0\0\10\1\0\0\0\2\1\2' > "$T/lb2"
	check "2 labels for 3 images" 1 "mnist-decode: $T/lb2: 2 labels for 3 images in $T/im" \
	    "$D/empty" mnist-decode "$T/im" "$T/lb2" || f=1
	printf '\0\0\10\1\0\0\0\3\1\2\12' > "$T/lb10"
	check "label 10" 1 "mnist-decode: $T/lb10: label 2 is 10, out of range 0..9" \
	    "$D/empty" mnist-decode "$T/im" "$T/lb10" || f=1
	printf '\0\0\10\3\177\377\377\377\177\377\377\377\177\377\377\377' > "$T/h"
	check "2^93 bytes claimed" 1 "mnist-decode: $T/h: byte 12: dimensions too large" "$D/empty" mnist-decode "$T/h" || f=1
	# 65536 images of 4096x4096 claimed (2^40 bytes), then nothing
	printf '\0\0\10\3\0\1\0\0\0\0\20\0\0\0\20\0' > "$T/h"
	check "4096x4096 images claimed" 1 "mnist-decode: $T/h: image size 4096x4096 is too large (a side over 2048)" \
	    "$D/empty" mnist-decode "$T/h" || f=1
	# no images of 4194304x1 (4 Mpixels, whose resize to 4096x4096 would
	# take a 16 GB row buffer), then nothing
	printf '\0\0\10\3\0\0\0\0\0\100\0\0\0\0\0\1' > "$T/h"
	check "0 images of 4194304x1 claimed" 1 \
	    "mnist-decode: $T/h: image size 4194304x1 is too large (a side over 2048)" \
	    "$D/empty" mnist-decode -s 4096 "$T/h" || f=1
	# 2^32-1 labels of 1x1 images claimed, then nothing
	printf '\0\0\10\3\377\377\377\377\0\0\0\1\0\0\0\1' > "$T/h"
	printf '\0\0\10\1\377\377\377\377' > "$T/hl"
	check "2^32-1 labels claimed" 1 "mnist-decode: $T/hl: byte 8: truncated data (0 of 1048576 bytes)" \
	    "$D/empty" mnist-decode "$T/h" "$T/hl" || f=1
	printf '\0\0\15\3\0\0\0\3\0\0\0\2\0\0\0\2' > "$T/t"
	check "float elements" 1 "mnist-decode: $T/t: byte 2: unsupported IDX element type 0x0d (only unsigned bytes, 0x08)" \
	    "$D/empty" mnist-decode "$T/t" || f=1
	check "a directory" 1 "mnist-decode: $D/dir: byte 0: Is a directory" "$D/empty" mnist-decode "$D/dir" || f=1
	OUT=/dev/full check "/dev/full" 1 "mnist-decode: write: No space left on device" \
	    "$D/empty" mnist-decode "$T/im" "$T/lb" || f=1
	[ "$f" -eq 0 ]
}

# ---- the other files a tool reads or writes ------------------------------

@test "every secondary output to /dev/full: one line, exit 1" {
	local f=0 full="No space left on device" in=$D/P.npy
	QUIET=0
	check "--metrics" 1 "kmeans: /dev/full: $full" "$in" \
	    kmeans -q -k 2 --threads 1 --metrics /dev/full || f=1
	check "--metrics" 1 "tsne: /dev/full: $full" "$in" \
	    tsne --perplexity 5 --iterations 20 --threads 1 --metrics /dev/full || f=1
	check "--explained" 1 "pca: /dev/full: $full" "$in" pca --explained /dev/full || f=1
	check "--metrics" 1 "silhouette: /dev/full: $full" "$in" \
	    silhouette --threads 1 --metrics /dev/full || f=1
	check "--metrics" 1 "roc: /dev/full: $full" "$D/R.npy" roc -q --metrics /dev/full || f=1
	local o
	for o in --metrics --predictions --confusion --save-weights; do
		check "$o" 1 "linprobe: /dev/full: $full" "$D/empty" \
		    linprobe --epochs 1 "$o" /dev/full "$D/P.npy" "$D/P.npy" || f=1
	done
	tensor cols 0,1 "$D/pts.npy" | tensor cat - "$D/lab.npy" > "$T/xyl.npy"
	check "scatter --metrics" 1 "plot: /dev/full: $full" "$T/xyl.npy" \
	    plot scatter --metrics /dev/full -o "$T/o.png" || f=1
	check "grid -o" 1 "plot: /dev/full: $full" "$D/I.npy" plot grid -o /dev/full || f=1
	check "--log" 1 "vicreg-train: /dev/full: $full" "$D/pairs.npy" \
	    vicreg-train -o "$T/x.ck" $TINY --log /dev/full || f=1
	check "--test-log" 1 "vicreg-train: /dev/full: $full" "$D/pairs.npy" \
	    vicreg-train -o "$T/x.ck" $TINY --test "$D/pairs.npy" --test-log /dev/full || f=1
	[ "$f" -eq 0 ]
}

@test "every secondary input a directory: one line, exit 1" {
	local f=0 dir="$D/dir: byte 0: read error: Is a directory"
	QUIET=1
	check "FILE" 1 "kmeans: $dir" "$D/empty" kmeans -q -k 2 "$D/dir" || f=1
	check "--init" 1 "kmeans: $dir" "$D/P.npy" kmeans -q -k 2 --init "$D/dir" || f=1
	check "tensor info FILE" 1 "tensor: $dir" "$D/empty" tensor info "$D/dir" || f=1
	check "tensor take FILE" 1 "tensor: $dir" "$D/empty" tensor take 0 "$D/dir" || f=1
	# (cat streams: the first file is out before the second fails)
	QUIET=0 check "tensor cat FILE" 1 "tensor: $dir" "$D/empty" \
	    tensor cat "$D/P.npy" "$D/dir" || f=1
	check "--init-weights" 1 "linprobe: $dir" "$D/empty" \
	    linprobe --init-weights "$D/dir" "$D/P.npy" "$D/P.npy" || f=1
	check "--order" 1 "linprobe: $dir" "$D/empty" \
	    linprobe --order "$D/dir" "$D/P.npy" "$D/P.npy" || f=1
	check "--classes" 1 "linprobe: $D/dir: Is a directory" "$D/empty" \
	    linprobe --classes "$D/dir" "$D/P.npy" "$D/P.npy" || f=1
	tensor cols 0,1 "$D/pts.npy" | tensor cat - "$D/lab.npy" > "$T/xyl.npy"
	check "scatter --classes" 1 "plot: $D/dir: Is a directory" "$T/xyl.npy" \
	    plot scatter --classes "$D/dir" -o "$T/o.png" || f=1
	check "scatter --marks" 1 "plot: $dir" "$T/xyl.npy" \
	    plot scatter --marks "$D/dir" -o "$T/o.png" || f=1
	check "lines --series" 1 "plot: $dir" "$D/empty" \
	    plot lines --series "$D/dir:a" -o "$T/o.png" || f=1
	check "grid --row-labels" 1 "plot: $D/dir: Is a directory" "$D/I.npy" \
	    plot grid --row-labels "$D/dir" -o "$T/o.png" || f=1
	check "--log" 1 "vicreg-train: $D/dir: Is a directory" "$D/pairs.npy" \
	    vicreg-train -o "$T/x.ck" $TINY --log "$D/dir" || f=1
	[ "$f" -eq 0 ]
}
