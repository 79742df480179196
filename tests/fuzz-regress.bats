#!/usr/bin/env bats
# Inputs the fuzzers found (fuzz/README), fed to the real tools: each
# must end in its one-line error and exit status 1.  The same files are
# replayed through the fuzz targets by fuzz-replay.bats.
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	F=tests/fixtures/fuzz
	T=$BATS_TEST_TMPDIR
}

# The images IDX header [0, 2^22, 2^30]: no items, but one item of 2^52
# bytes, which idx_open accepted and mnist-decode then tried to allocate
# (killed by the kernel); now the item size is bounded like the file's.
@test "mnist-decode: an empty IDX file whose one item would be 2^52 bytes" {
	run -1 --separate-stderr mnist-decode "$F/idx-item-too-large"
	[ "$stderr" = "mnist-decode: $F/idx-item-too-large: byte 16: dimensions too large" ]
	[ "$output" = "" ]
}

# [2^20, 2^20, 2^24]: 2^64 bytes, which wrapped to 0 in the size check.
@test "mnist-decode: IDX dimensions whose product wraps at 2^64" {
	run -1 --separate-stderr mnist-decode "$F/idx-size-wraps"
	[ "$stderr" = "mnist-decode: $F/idx-size-wraps: byte 16: dimensions too large" ]
}

# the same through gzip, and as the labels operand
@test "mnist-decode: the same headers gzip-compressed, and as labels" {
	gzip -c "$F/idx-size-wraps" > "$T/w.gz"
	run -1 --separate-stderr mnist-decode "$T/w.gz"
	[ "$stderr" = "mnist-decode: $T/w.gz: byte 16: dimensions too large" ]
	printf '\0\0\10\3\0\0\0\2\0\0\0\1\0\0\0\1\1\2' > "$T/im"
	run -1 --separate-stderr mnist-decode "$T/im" "$F/idx-item-too-large"
	[ "$stderr" = "mnist-decode: $F/idx-item-too-large: byte 16: dimensions too large" ]
}

# float32 [0, 2^38-1, 2^38-1]: no bytes, so the size check passed, but
# one row is 2^78 bytes and npy_row_bytes wrapped; now zero sizes are
# left out of the check.
@test "tensor info: an empty array whose row size would wrap" {
	run -1 --separate-stderr tensor info "$F/npy-empty-row-wraps"
	[ "$stderr" = "tensor: $F/npy-empty-row-wraps: array 0, byte 0: shape too large (over 274877906944 bytes)" ]
	run -1 --separate-stderr tensor cat < "$F/npy-empty-row-wraps"
	[ "$stderr" = "tensor: stdin: array 0, byte 0: shape too large (over 274877906944 bytes)" ]
}

# --shape 0,32,33331,2,32,232,32: the leading 0 made the running size 0,
# so the other sizes were never checked and their product (a row of
# over 2^38 bytes) passed; tensor wrote a header its own reader refuses.
# Now the nonzero sizes are checked.
@test "tensor: a shape whose zero hides a too-large row" {
	run -2 --separate-stderr tensor const -t float32 -s 0,262144,262144,262144 1
	[ "$stderr" = "tensor: --shape: '0,262144,262144,262144' is too large
Try 'tensor --help' for more information." ]
	[ "$output" = "" ]
	run -0 bash -c 'tensor const -t float32 -s 0,3,4 1 | tensor info'
	[ "$output" = "0 float32 [0,3,4]" ]
}
