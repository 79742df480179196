#!/usr/bin/env bats
# The tensor stream under bad input, through tensor and the decoders:
# one-line errors naming tool, stream, array and byte offset, exit 1,
# nothing on stdout before the error; SIGPIPE, a full disk, a terminal.
bats_require_minimum_version 1.5.0

load helpers/npy

U8_3="{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }"

# bad MESSAGE: with the stream on stdin, `tensor info`, `tensor cat` and
# `tensor pick` fail with exactly MESSAGE and write nothing to stdout.
bad() {
	local f=$BATS_TEST_TMPDIR/in.npy msg=$1 cmd
	for cmd in info cat "pick 0"; do
		run -1 --separate-stderr bash -c "tensor $cmd < '$f' > '$BATS_TEST_TMPDIR/out'"
		[ "$stderr" = "$msg" ] || { echo "tensor $cmd: $stderr" >&2; return 1; }
		[ ! -s "$BATS_TEST_TMPDIR/out" ] || { echo "tensor $cmd wrote to stdout" >&2; return 1; }
	done
	# the same file named on the command line is named in the message
	run -1 --separate-stderr tensor info "$f"
	[ "$stderr" = "${msg/stdin/$f}" ]
}

@test "wrong magic" {
	printf 'PK\3\4 this is a zip file, not a stream' > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: not an npy stream (bad magic)"
}

@test "unsupported version" {
	npy_header "$U8_3" 3 > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: unsupported npy version 3.0"
}

@test "malformed header dict" {
	npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': (3,)" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: malformed header: expected ',' or '}'"
	npy_header "[1, 2, 3]" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: malformed header: not a dict"
	npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), 'x': 1}" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: malformed header: unknown key 'x'"
	npy_header "{'descr': '|u1', 'shape': (3,), }" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: malformed header: missing fortran_order"
	npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }" | head -c 40 > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 40: truncated header (30 of 118 bytes)"
}

@test "unsupported dtype is named" {
	npy_header "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: unsupported dtype '<f2' (want uint8, int32, int64, float32 or float64, little-endian)"
	npy_header "{'descr': '>i4', 'fortran_order': False, 'shape': (3,), }" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: unsupported dtype '>i4' (want uint8, int32, int64, float32 or float64, little-endian)"
	npy_header "{'descr': '|u1', 'fortran_order': True, 'shape': (3,), }" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: Fortran order is not supported"
}

@test "shape overflow and shape over the limit" {
	npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999999,), }" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: shape too large"
	npy_header "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }" > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 0: shape too large (over 274877906944 bytes)"
}

@test "truncated data" {
	{ npy_header "$U8_3"; printf 'ab'; } > "$BATS_TEST_TMPDIR/in.npy"
	bad "tensor: stdin: array 0, byte 130: truncated data (2 of 3 bytes)"
	# row by row, the error comes at the missing row
	run -1 --separate-stderr tensor print "$BATS_TEST_TMPDIR/in.npy"
	[ "$stderr" = "tensor: $BATS_TEST_TMPDIR/in.npy: array 0, byte 130: truncated data (0 of 1 bytes)" ]
	run -1 --separate-stderr bash -c "tensor take 1: < '$BATS_TEST_TMPDIR/in.npy' > /dev/null"
	[ "$stderr" = "tensor: stdin: array 0, byte 130: truncated data (0 of 1 bytes)" ]
}

@test "trailing garbage after an array, in the second array's place" {
	{ npy_u8 1 2 3; printf 'garbage'; } > "$BATS_TEST_TMPDIR/in.npy"
	run -1 --separate-stderr tensor info "$BATS_TEST_TMPDIR/in.npy"
	[ "$stderr" = "tensor: $BATS_TEST_TMPDIR/in.npy: array 1, byte 131: trailing garbage where an array was expected (bad magic)" ]
	[ -z "$output" ]
	run -1 --separate-stderr bash -o pipefail -c "tensor cat < '$BATS_TEST_TMPDIR/in.npy' | tensor info"
	[ "$stderr" = "tensor: stdin: array 1, byte 131: trailing garbage where an array was expected (bad magic)" ]
	# a second bad array after a good one
	{ npy_u8 1 2 3; npy_header "$U8_3" 3; } > "$BATS_TEST_TMPDIR/in.npy"
	run -1 --separate-stderr tensor info "$BATS_TEST_TMPDIR/in.npy"
	[ "$stderr" = "tensor: $BATS_TEST_TMPDIR/in.npy: array 1, byte 131: unsupported npy version 3.0" ]
	[ -z "$output" ]
}

@test "an empty stream is valid; a scalar is one row" {
	run --separate-stderr bash -c "tensor cat < /dev/null | wc -c"
	[ "$status" -eq 0 ] && [ "$output" = 0 ] && [ -z "$stderr" ]
	{ npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': (), }"; printf '\x2a'; } > "$BATS_TEST_TMPDIR/s.npy"
	run tensor print "$BATS_TEST_TMPDIR/s.npy"
	[ "$output" = 42 ]
	run tensor info "$BATS_TEST_TMPDIR/s.npy"
	[ "$output" = "0 uint8 []" ]
}

@test "SIGPIPE: a reader that stops early ends the writers quietly" {
	need_data
	run --separate-stderr bash -c "cifar-decode --split test '$CIFAR' | head -c 100 | wc -c"
	[ "$output" = 100 ] && [ -z "$stderr" ]
	run --separate-stderr bash -c "mnist-decode '$MNIST_IMG' '$MNIST_LBL' | head -c 100 | wc -c"
	[ "$output" = 100 ] && [ -z "$stderr" ]
	run --separate-stderr bash -c "tensor const -t float64 -s 10000000 1 | tensor cat | head -c 100 | wc -c"
	[ "$output" = 100 ] && [ -z "$stderr" ]
	run --separate-stderr bash -c "tensor const -t int32 -s 1000000 1 | tensor print | head -n 2"
	[ "$output" = "1
1" ] && [ -z "$stderr" ]
	# and with SIGPIPE ignored by the parent: EPIPE, still no message
	run --separate-stderr bash -c "trap '' PIPE; cifar-decode --split test '$CIFAR' | head -c 100 > /dev/null"
	[ -z "$stderr" ]
}

@test "a full disk: exit 1 with No space left on device" {
	npy_u8 1 2 3 > "$BATS_TEST_TMPDIR/x.npy"
	run -1 --separate-stderr bash -c "tensor cat '$BATS_TEST_TMPDIR/x.npy' > /dev/full"
	[ "$stderr" = "tensor: write: No space left on device" ]
	run -1 --separate-stderr bash -c "tensor info '$BATS_TEST_TMPDIR/x.npy' > /dev/full"
	[ "$stderr" = "tensor: write: No space left on device" ]
	need_data
	run -1 --separate-stderr bash -c "mnist-decode -n 10 '$MNIST_IMG' > /dev/full"
	[ "$stderr" = "mnist-decode: write: No space left on device" ]
	run -1 --separate-stderr bash -c "cifar-decode --classes '$CIFAR' > /dev/full"
	[ "$stderr" = "cifar-decode: write: No space left on device" ]
}

@test "binary output to a terminal is refused (exit 2)" {
	command -v script
	npy_u8 1 2 3 > "$BATS_TEST_TMPDIR/x.npy"
	run -2 script -qec "tensor cat '$BATS_TEST_TMPDIR/x.npy'" /dev/null
	[[ "$output" == *"tensor: refusing to write a binary stream to a terminal"* ]]
	run -2 script -qec "mnist-decode '$MNIST_IMG'" /dev/null
	[[ "$output" == *"mnist-decode: refusing to write a binary stream to a terminal"* ]]
	run -2 script -qec "cifar-decode '$CIFAR'" /dev/null
	[[ "$output" == *"cifar-decode: refusing to write a binary stream to a terminal"* ]]
	# text commands still print to a terminal
	run -0 script -qec "tensor print '$BATS_TEST_TMPDIR/x.npy'" /dev/null
	[[ "$output" == *3* ]]
}
