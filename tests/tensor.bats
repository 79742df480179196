#!/usr/bin/env bats
# tensor: every command on small arrays (text results through $output,
# binary results through files), the man page examples, usage errors.
bats_require_minimum_version 1.5.0

load helpers/npy

setup() {
	T=$BATS_TEST_TMPDIR
	# a: int32 [4,3] 0..11, b: uint8 [4] 7 8 9 10
	printf '0 1 2\n3 4 5\n6 7 8\n9 10 11\n' | tensor from-text -t int32 > "$T/a.npy"
	npy_u8 7 8 9 10 > "$T/b.npy"
	cat "$T/a.npy" "$T/b.npy" > "$T/ab.npy"
}

@test "info: one line per array; file names with several files" {
	run --separate-stderr tensor info "$T/ab.npy"
	[ "$status" -eq 0 ]
	[ "$output" = "0 int32 [4,3]
1 uint8 [4]" ]
	run tensor info "$T/a.npy" "$T/b.npy"
	[ "$output" = "$T/a.npy: 0 int32 [4,3]
$T/b.npy: 0 uint8 [4]" ]
	run bash -c "tensor info < '$T/b.npy'"
	[ "$output" = "0 uint8 [4]" ]
	run bash -c "tensor info < /dev/null"
	[ "$status" -eq 0 ] && [ -z "$output" ]
}

@test "from-text: written bytes equal a hand-made .npy; CSV and comments" {
	printf '7\n8\n9\n10\n' | tensor from-text --dtype uint8 > "$T/x.npy"
	cmp "$T/x.npy" "$T/b.npy"
	printf '# comment\n0,1,2\n\n3, 4, 5\n6 7 8\n9\t10 11\n' | tensor from-text -t int32 > "$T/y.npy"
	cmp "$T/y.npy" "$T/a.npy"
	run bash -c "printf '1.5 2\n3 4\n' | tensor from-text | tensor info"
	[ "$output" = "0 float32 [2,2]" ]
	run bash -c "printf '1 2 3 4 5 6\n' | tensor from-text -t float64 -r 2,3 | tensor info"
	[ "$output" = "0 float64 [1,2,3]" ]
	run bash -c "tensor from-text -t int64 < /dev/null | tensor info"
	[ "$output" = "0 int64 [0]" ]
}

@test "from-text errors: not a number, out of range, ragged rows, row shape" {
	run -1 --separate-stderr bash -c "printf '1\nx\n' | tensor from-text -t int32"
	[ "$stderr" = "tensor: stdin: line 2: 'x' is not a int32 value" ]
	[ -z "$output" ]
	run -1 --separate-stderr bash -c "printf '256\n' | tensor from-text -t uint8"
	[ "$stderr" = "tensor: stdin: line 1: '256' is not a uint8 value" ]
	run -1 --separate-stderr bash -c "printf '1.5\n' | tensor from-text -t int64"
	[ "$stderr" = "tensor: stdin: line 1: '1.5' is not a int64 value" ]
	run -1 --separate-stderr bash -c "printf 'nan\n' | tensor from-text -t float32"
	[ "$stderr" = "tensor: stdin: line 1: 'nan' is not a float32 value" ]
	run -1 --separate-stderr bash -c "printf '1e39\n' | tensor from-text -t float32"
	[ "$stderr" = "tensor: stdin: line 1: '1e39' is not a float32 value" ]
	run -1 --separate-stderr bash -c "printf '1 2\n3\n' | tensor from-text"
	[ "$stderr" = "tensor: stdin: line 2 has 1 values, line 1 has 2" ]
	run -1 --separate-stderr bash -c "printf '1 2 3\n' | tensor from-text -r 2,2"
	[ "$stderr" = "tensor: stdin: rows have 3 values, --row-shape 2,2 needs 4" ]
}

@test "print: rows as lines, --array, --limit, --precision, blank line between arrays" {
	run tensor print "$T/ab.npy"
	[ "$output" = "0 1 2
3 4 5
6 7 8
9 10 11

7
8
9
10" ]
	run tensor print --array 0 --limit 2 "$T/ab.npy"
	[ "$output" = "0 1 2
3 4 5" ]
	run bash -c "printf '0.1 3.14159265358979\n' | tensor from-text -t float64 | tensor print -p 3"
	[ "$output" = "0.1 3.14" ]
	run bash -c "printf '0.1 3.14159265358979\n' | tensor from-text -t float64 | tensor print"
	[ "$output" = "0.1 3.14159" ]
}

@test "to-csv: arrays side by side, --header, round-trip digits" {
	run tensor to-csv --header "$T/ab.npy"
	[ "$output" = "a0_0,a0_1,a0_2,a1
0,1,2,7
3,4,5,8
6,7,8,9
9,10,11,10" ]
	run tensor to-csv -a 1 "$T/ab.npy"
	[ "$output" = "7
8
9
10" ]
	printf '0.1,1e-30\n-2.5,3\n' | tensor from-text -t float64 > "$T/f.npy"
	tensor to-csv "$T/f.npy" | tensor from-text -t float64 > "$T/g.npy"
	cmp "$T/f.npy" "$T/g.npy"
	run -1 --separate-stderr bash -c "tensor cat '$T/a.npy' '$T/a.npy' | tensor take -a 1 0:2 | tensor to-csv"
	[ "$stderr" = "tensor: stdin: array 1 has 2 rows, array 0 has 4: cannot put them side by side" ]
}

@test "take: indices, ranges, negatives, repeats, out of order, --array" {
	run bash -c "tensor take 1:3 '$T/ab.npy' | tensor print"
	[ "$output" = "3 4 5
6 7 8

8
9" ]
	run bash -c "tensor take -1 '$T/ab.npy' | tensor print"
	[ "$output" = "9 10 11

10" ]
	run bash -c "tensor take -a 1 3,0,0,-2: '$T/ab.npy' | tensor print -a 1 | tr '\n' ' '"
	[ "$output" = "10 7 7 9 10 " ]
	run bash -c "tensor take -a 1 1,1,2 '$T/ab.npy' | tensor info"
	[ "$output" = "0 int32 [4,3]
1 uint8 [3]" ]
	run bash -c "tensor take :0 '$T/ab.npy' | tensor info"
	[ "$output" = "0 int32 [0,3]
1 uint8 [0]" ]
	run bash -c "tensor take 2:100 < '$T/b.npy' | tensor print | tr '\n' ' '"
	[ "$output" = "9 10 " ]
}

@test "take errors: row out of range, bad ROWS, missing array" {
	run -1 --separate-stderr tensor take 4 "$T/b.npy"
	[ "$stderr" = "tensor: $T/b.npy: array 0: row 4 out of range (4 rows)" ]
	[ -z "$output" ]
	run -1 --separate-stderr tensor take -5 "$T/b.npy"
	[ "$stderr" = "tensor: $T/b.npy: array 0: row -5 out of range (4 rows)" ]
	run -2 --separate-stderr tensor take 1:x "$T/b.npy"
	[ "${stderr_lines[0]}" = "tensor: bad ROWS '1:x'" ]
	run -1 --separate-stderr tensor take -a 3 0 "$T/ab.npy"
	[ "$stderr" = "tensor: $T/ab.npy: no array 3 (the stream has 2)" ]
	run -2 --separate-stderr tensor take
	[ "${stderr_lines[0]}" = "tensor: take: missing ROWS" ]
}

@test "pick: one array, the stream checked to its end" {
	tensor pick 1 "$T/ab.npy" > "$T/x.npy"
	cmp "$T/x.npy" "$T/b.npy"
	tensor pick 0 "$T/ab.npy" > "$T/x.npy"
	cmp "$T/x.npy" "$T/a.npy"
	run -1 --separate-stderr tensor pick 2 "$T/ab.npy"
	[ "$stderr" = "tensor: $T/ab.npy: no array 2 (the stream has 2)" ]
	{ cat "$T/ab.npy"; printf 'junk'; } > "$T/bad.npy"
	run -1 --separate-stderr bash -c "tensor pick 0 '$T/bad.npy' > /dev/null"
	[ "$stderr" = "tensor: $T/bad.npy: array 2, byte 308: trailing garbage where an array was expected (bad magic)" ]
}

@test "cat: streams one after another, stdin as '-'" {
	tensor cat "$T/a.npy" - < "$T/b.npy" > "$T/x.npy"
	cmp "$T/x.npy" "$T/ab.npy"
	tensor cat < "$T/ab.npy" > "$T/y.npy"
	cmp "$T/y.npy" "$T/ab.npy"
}

@test "join: array k of each file joined along axis 0" {
	tensor take 0:1 "$T/ab.npy" > "$T/first.npy"
	tensor take 1: "$T/ab.npy" > "$T/rest.npy"
	tensor join "$T/first.npy" "$T/rest.npy" > "$T/x.npy"
	cmp "$T/x.npy" "$T/ab.npy"
	tensor join "$T/first.npy" - < "$T/rest.npy" > "$T/y.npy"
	cmp "$T/y.npy" "$T/ab.npy"
}

@test "join errors: shapes, dtypes, array counts" {
	printf '1 2\n' | tensor from-text -t int32 > "$T/c.npy"
	run -1 --separate-stderr tensor join "$T/a.npy" "$T/c.npy"
	[ "$stderr" = "tensor: $T/c.npy: array 0 is int32 [1,2], $T/a.npy has int32 [4,3]: cannot join along axis 0" ]
	[ -z "$output" ]
	run -1 --separate-stderr tensor join "$T/b.npy" "$T/a.npy"
	[ "$stderr" = "tensor: $T/a.npy: array 0 is int32 [4,3], $T/b.npy has uint8 [4]: cannot join along axis 0" ]
	run -1 --separate-stderr tensor join "$T/a.npy" "$T/ab.npy"
	[ "$stderr" = "tensor: $T/a.npy: 1 arrays, but $T/ab.npy has more" ]
	run -2 --separate-stderr tensor join - -
	[ "${stderr_lines[0]}" = "tensor: join: stdin given twice" ]
}

@test "rows-cat (stack): every array of the input joined into one" {
	run bash -c "{ tensor const -t uint8 -s 3 0; tensor const -t uint8 -s 2 1; } | tensor rows-cat | tensor print | tr '\n' ' '"
	[ "$output" = "0 0 0 1 1 " ]
	tensor take 0:1 "$T/a.npy" > "$T/first.npy"
	tensor take 1: "$T/a.npy" > "$T/rest.npy"
	tensor rows-cat "$T/first.npy" "$T/rest.npy" > "$T/x.npy"
	cmp "$T/x.npy" "$T/a.npy"
	tensor cat "$T/first.npy" "$T/rest.npy" | tensor stack > "$T/y.npy"
	cmp "$T/y.npy" "$T/a.npy"
}

@test "rows-cat errors: shapes, dtypes, scalars, nothing to join" {
	run -1 --separate-stderr tensor rows-cat "$T/ab.npy"
	[ "$stderr" = "tensor: $T/ab.npy: array 1 is uint8 [4], the first array is int32 [4,3]: cannot join along axis 0" ]
	[ -z "$output" ]
	printf '1 2\n' | tensor from-text -t int32 > "$T/c.npy"
	run -1 --separate-stderr tensor rows-cat "$T/a.npy" "$T/c.npy"
	[ "$stderr" = "tensor: $T/c.npy: array 0 is int32 [1,2], the first array is int32 [4,3]: cannot join along axis 0" ]
	{ npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': (), }"; printf '\x2a'; } > "$T/s.npy"
	run -1 --separate-stderr tensor rows-cat "$T/s.npy"
	[ "$stderr" = "tensor: $T/s.npy: array 0: a scalar has no rows" ]
	run -1 --separate-stderr bash -c "tensor rows-cat < /dev/null"
	[ "$stderr" = "tensor: stdin: no arrays to join" ]
}

@test "cols: columns of 2-D arrays, --array, negative indices" {
	printf '1 2 3\n4 5 6\n' | tensor from-text -t float64 > "$T/m.npy"
	run bash -c "tensor cols 1,2 '$T/m.npy' | tensor print"
	[ "$output" = "2 3
5 6" ]
	run bash -c "tensor cols -1 < '$T/m.npy' | tensor print | tr '\n' ' '"
	[ "$output" = "3 6 " ]
	run bash -c "tensor cols -a 0 2,0 '$T/ab.npy' | tensor print | tr '\n' ' '"
	[ "$output" = "2 0 5 3 8 6 11 9  7 8 9 10 " ]
	printf '1 2 3 4 5 6 7 8\n' | tensor from-text -t int32 -r 2,2,2 > "$T/c3.npy"
	run bash -c "tensor cols 1 '$T/c3.npy' | tensor print"
	[ "$output" = "5 6 7 8" ]
	run -1 --separate-stderr tensor cols 0 "$T/ab.npy"
	[ "$stderr" = "tensor: $T/ab.npy: array 1: a one-dimensional array has no columns" ]
	run -1 --separate-stderr tensor cols 3 "$T/m.npy"
	[ "$stderr" = "tensor: $T/m.npy: array 0: column 3 out of range (3 columns)" ]
	run -2 --separate-stderr tensor cols
	[ "${stderr_lines[0]}" = "tensor: cols: missing COLUMNS" ]
}

@test "cast: dtype, --scale, --reshape; values that do not fit" {
	run bash -c "printf '0 255 128\n' | tensor from-text -t uint8 | tensor cast -t float32 --scale 0.00392156862745098 --reshape 3 | tensor print -p 9"
	[ "$output" = "0
1
0.501960814" ]
	run bash -c "printf '1.7 -1.7 3\n' | tensor from-text | tensor cast -t int32 | tensor print"
	[ "$output" = "1 -1 3" ]
	run bash -c "tensor cast -a 1 -t int64 '$T/ab.npy' | tensor info"
	[ "$output" = "0 int32 [4,3]
1 int64 [4]" ]
	run bash -c "tensor cast --reshape 2,6 '$T/a.npy' | tensor print"
	[ "$output" = "0 1 2 3 4 5
6 7 8 9 10 11" ]
	run -1 --separate-stderr bash -c "printf '1 300\n' | tensor from-text -t int32 | tensor cast -t uint8 > /dev/null"
	[ "$stderr" = "tensor: stdin: array 0: element 1 (300) does not fit uint8" ]
	run -1 --separate-stderr bash -o pipefail -c "printf '2 1e39\n' | tensor from-text -t float64 | tensor cast -t float32 | tensor cast -t int64 > /dev/null"
	[ "$stderr" = "tensor: stdin: array 0: element 1 (inf) does not fit int64" ]
	run -1 --separate-stderr tensor cast --reshape 5 "$T/a.npy"
	[ "$stderr" = "tensor: $T/a.npy: array 0: cannot reshape int32 [4,3] to 5" ]
	run -2 --separate-stderr tensor cast "$T/a.npy"
	[ "${stderr_lines[0]}" = "tensor: cast: give --dtype, --scale or --reshape" ]
	run -2 --separate-stderr tensor cast --scale x "$T/a.npy"
	[ "${stderr_lines[0]}" = "tensor: --scale: 'x' is not a number in [-inf, inf]" ]
}

@test "const: an array of one value" {
	run bash -c "tensor const --dtype int64 --shape 3 1 | tensor print | tr '\n' ' '"
	[ "$output" = "1 1 1 " ]
	run bash -c "tensor const -t float32 -s 2,0,5 0 | tensor info"
	[ "$output" = "0 float32 [2,0,5]" ]
	tensor const -t uint8 -s 4 0 > "$T/z.npy"
	npy_u8 0 0 0 0 | cmp - "$T/z.npy"
	run -2 --separate-stderr tensor const -t uint8 -s 4 300
	[ "${stderr_lines[0]}" = "tensor: const: '300' is not a uint8 value" ]
	run -2 --separate-stderr tensor const -t uint8 4
	[ "${stderr_lines[0]}" = "tensor: const: --shape is required" ]
	run -2 --separate-stderr tensor const -s 4 1
	[ "${stderr_lines[0]}" = "tensor: const: --dtype is required" ]
	run -2 --separate-stderr tensor const -t uint8 -s 4,x 1
	[ "${stderr_lines[0]}" = "tensor: --shape: '4,x' is not a shape (up to 8 comma-separated sizes)" ]
}

@test "man page example: CIFAR test and MNIST test images in one array" {
	need_data
	cifar-decode --split test --limit 5 "$CIFAR" > "$T/c.npy"
	mnist-decode --limit 3 "$MNIST_IMG" "$MNIST_LBL" > "$T/m.npy"
	tensor pick 0 "$T/c.npy" > "$T/ci.npy"
	tensor pick 0 "$T/m.npy" > "$T/mi.npy"
	tensor const -t uint8 -s 5 0 > "$T/zeros.npy"
	tensor const -t uint8 -s 3 1 > "$T/ones.npy"
	tensor cat "$T/ci.npy" "$T/zeros.npy" > "$T/normal.npy"
	tensor cat "$T/mi.npy" "$T/ones.npy" > "$T/anomal.npy"
	tensor join "$T/normal.npy" "$T/anomal.npy" > "$T/all.npy"
	run tensor info "$T/all.npy"
	[ "$output" = "0 uint8 [8,3,32,32]
1 uint8 [8]" ]
	run bash -c "tensor print -a 1 '$T/all.npy' | tr '\n' ' '"
	[ "$output" = "0 0 0 0 0 1 1 1 " ]
	tensor take 5: "$T/all.npy" | tensor pick 0 > "$T/back.npy"
	cmp "$T/back.npy" "$T/mi.npy"
}

@test "usage: --help, --version, unknown command and options" {
	run --separate-stderr tensor --help
	[ "$status" -eq 0 ] && [[ "$output" == usage:* ]] && [ -z "$stderr" ]
	run --separate-stderr tensor take --help
	[ "$status" -eq 0 ] && [[ "$output" == usage:* ]]
	run tensor --version
	[ "$output" = "tensor (vicreg-tools) 0.1.0" ]
	run -2 --separate-stderr tensor
	[ "${stderr_lines[0]}" = "tensor: missing command" ]
	run -2 --separate-stderr tensor frobnicate
	[ "${stderr_lines[0]}" = "tensor: unknown command 'frobnicate'" ]
	run -2 --separate-stderr tensor --bogus
	[ "${stderr_lines[0]}" = "tensor: bad option '--bogus' (a command comes first)" ]
	run -2 --separate-stderr tensor print --bogus
	[ "${stderr_lines[0]}" = "tensor: print: unknown option '--bogus'" ]
	[ "${stderr_lines[1]}" = "Try 'tensor --help' for more information." ]
	run -2 --separate-stderr tensor info -a 1
	[ "${stderr_lines[0]}" = "tensor: info: option -a does not apply" ]
	run -2 --separate-stderr tensor cat --limit 3
	[ "${stderr_lines[0]}" = "tensor: cat: option --limit does not apply" ]
	run -2 --separate-stderr tensor print -a
	[ "${stderr_lines[0]}" = "tensor: print: option '-a' needs an argument" ]
	run -2 --separate-stderr tensor print x y
	[ "${stderr_lines[0]}" = "tensor: print: at most one FILE" ]
	run -2 --separate-stderr tensor from-text -t float16
	[ "${stderr_lines[0]}" = "tensor: --dtype: 'float16' is not uint8, int32, int64, float32 or float64" ]
	run -1 --separate-stderr tensor info "$T/none.npy"
	[ "$stderr" = "tensor: $T/none.npy: No such file or directory" ]
}

@test "man page examples: the anomaly test set, from-text, npy(5)" {
	need_data
	cd "$T"
	cifar-decode --split test --no-labels "$CIFAR" > cifar.npy
	mnist-decode "$MNIST_IMG" > mnist.npy
	tensor const -t uint8 -s 10000 0 | tensor cat cifar.npy - > normal.npy
	tensor const -t uint8 -s 10000 1 | tensor cat mnist.npy - > anomal.npy
	run tensor info normal.npy anomal.npy
	[ "$output" = "normal.npy: 0 uint8 [10000,3,32,32]
normal.npy: 1 uint8 [10000]
anomal.npy: 0 uint8 [10000,3,32,32]
anomal.npy: 1 uint8 [10000]" ]
	run bash -c "tensor join normal.npy anomal.npy | tensor info"
	[ "$output" = "0 uint8 [20000,3,32,32]
1 uint8 [20000]" ]
	run bash -c "printf '0 1\n1 0\n' | tensor from-text -t int64 | tensor info"
	[ "$output" = "0 int64 [2,2]" ]
	printf '7 8 9\n' | tensor from-text -t uint8 > a.npy
	run bash -c "tensor cat a.npy a.npy | tensor info"
	[ "$output" = "0 uint8 [1,3]
1 uint8 [1,3]" ]
}

@test "man page examples: rows-cat of labels, cast of pixels" {
	need_data
	run bash -c "{ tensor const -t uint8 -s 10000 0; tensor const -t uint8 -s 10000 1; } | tensor rows-cat | tensor info"
	[ "$output" = "0 uint8 [20000]" ]
	cifar-decode --limit 1000 "$CIFAR" > "$T/train.npy"
	run bash -c "tensor pick 0 '$T/train.npy' | tensor take 0:1000 | tensor cast -t float32 --scale 0.00392156862745098 --reshape 1000,3072 | tensor info"
	[ "$output" = "0 float32 [1000,3072]" ]
	run bash -c "tensor take 0 '$T/train.npy' | tensor pick 0 | tensor cast -t float32 --scale 0.00392156862745098 --reshape 1,3072 | tensor cols 0:2 | tensor print -p 9"
	first=$(tensor pick 0 "$FIX/cifar_first.npy" | tensor take 1:3 | tensor cast -t float64 --scale 0.00392156862745098 | tensor cast -t float32 | tensor print -p 9 | tr '\n' ' ')
	[ "$output " = "$first" ]
}
