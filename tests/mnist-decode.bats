#!/usr/bin/env bats
# mnist-decode: the resize against PIL/torchvision fixtures, labels of
# the real test set, and every documented error.
bats_require_minimum_version 1.5.0

load helpers/npy

# be32 N: a big-endian 32-bit count.
be32() {
	printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))"
	printf "\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"
}

# labels V...: an IDX1 label file.
labels() {
	printf '\x00\x00\x08\x01'
	be32 $#
	local v
	for v in "$@"; do printf "\\x$(printf %02x "$v")"; done
}

# images N H W: an IDX3 file of N grey HxW images, all pixels 7.
images() {
	printf '\x00\x00\x08\x03'
	be32 "$1"; be32 "$2"; be32 "$3"
	head -c $(($1 * $2 * $3)) /dev/zero | tr '\0' '\7'
}

setup() {
	need_data
}

@test "first 20 test images equal torchvision Resize(32) on PIL images" {
	mnist-decode --limit 20 "$MNIST_IMG" > "$BATS_TEST_TMPDIR/m.npy"
	cmp "$BATS_TEST_TMPDIR/m.npy" "$FIX/mnist20.npy"
}

@test "whole test set: images, labels, class counts of MNIST t10k" {
	mnist-decode "$MNIST_IMG" "$MNIST_LBL" > "$BATS_TEST_TMPDIR/m.npy"
	run tensor info "$BATS_TEST_TMPDIR/m.npy"
	[ "$output" = "0 uint8 [10000,3,32,32]
1 uint8 [10000]" ]
	run bash -c "tensor pick 1 '$BATS_TEST_TMPDIR/m.npy' | tensor print | sort -n | uniq -c | awk '{print \$1}' | tr '\n' ' '"
	[ "$output" = "980 1135 1032 1010 982 892 958 1028 974 1009 " ]
	# and the first 20 images are the fixture's
	tensor take 0:20 "$BATS_TEST_TMPDIR/m.npy" | tensor pick 0 > "$BATS_TEST_TMPDIR/20.npy"
	cmp "$BATS_TEST_TMPDIR/20.npy" "$FIX/mnist20.npy"
}

@test "uncompressed IDX files give the same bytes" {
	local t=$BATS_TEST_TMPDIR
	gzip -dc "$MNIST_IMG" > "$t/img"
	gzip -dc "$MNIST_LBL" > "$t/lbl"
	mnist-decode -n 50 "$t/img" "$t/lbl" > "$t/a.npy"
	mnist-decode -n 50 "$MNIST_IMG" "$MNIST_LBL" > "$t/b.npy"
	cmp "$t/a.npy" "$t/b.npy"
	mnist-decode -n 50 - "$t/lbl" < "$MNIST_IMG" > "$t/c.npy"
	cmp "$t/a.npy" "$t/c.npy"
}

@test "--size, --label-type, a constant image stays constant" {
	local t=$BATS_TEST_TMPDIR
	images 2 28 28 > "$t/img"
	labels 3 9 > "$t/lbl"
	run bash -c "mnist-decode --size 20 --label-type int32 '$t/img' '$t/lbl' | tensor info"
	[ "$output" = "0 uint8 [2,3,20,20]
1 int32 [2]" ]
	run bash -c "mnist-decode '$t/img' | tensor print | tr ' ' '\n' | sort -u"
	[ "$output" = 7 ]
}

@test "error: not an IDX file" {
	printf 'hello world\n' > "$BATS_TEST_TMPDIR/x"
	run -1 --separate-stderr mnist-decode "$BATS_TEST_TMPDIR/x"
	[ "$stderr" = "mnist-decode: $BATS_TEST_TMPDIR/x: byte 0: not an IDX file (bad magic)" ]
	[ -z "$output" ]
}

@test "error: unsupported element type" {
	printf '\x00\x00\x0d\x01\x00\x00\x00\x01abcd' > "$BATS_TEST_TMPDIR/x"
	run -1 --separate-stderr mnist-decode "$BATS_TEST_TMPDIR/x"
	[ "$stderr" = "mnist-decode: $BATS_TEST_TMPDIR/x: byte 2: unsupported IDX element type 0x0d (only unsigned bytes, 0x08)" ]
}

@test "error: images without 3 dimensions, labels passed as images" {
	run -1 --separate-stderr mnist-decode "$MNIST_LBL"
	[ "$stderr" = "mnist-decode: $MNIST_LBL: images must have 3 dimensions [N,H,W], not 1" ]
}

@test "error: label count differs from image count" {
	labels 1 2 3 > "$BATS_TEST_TMPDIR/lbl"
	run -1 --separate-stderr mnist-decode "$MNIST_IMG" "$BATS_TEST_TMPDIR/lbl"
	[ "$stderr" = "mnist-decode: $BATS_TEST_TMPDIR/lbl: 3 labels for 10000 images in $MNIST_IMG" ]
	[ -z "$output" ]
}

@test "error: label out of range" {
	images 3 28 28 > "$BATS_TEST_TMPDIR/img"
	labels 1 12 3 > "$BATS_TEST_TMPDIR/lbl"
	run -1 --separate-stderr mnist-decode "$BATS_TEST_TMPDIR/img" "$BATS_TEST_TMPDIR/lbl"
	[ "$stderr" = "mnist-decode: $BATS_TEST_TMPDIR/lbl: label 1 is 12, out of range 0..9" ]
	[ -z "$output" ]
}

@test "error: truncated images, trailing bytes" {
	images 3 28 28 | head -c 2000 > "$BATS_TEST_TMPDIR/img"
	run -1 --separate-stderr mnist-decode "$BATS_TEST_TMPDIR/img"
	[ "$stderr" = "mnist-decode: $BATS_TEST_TMPDIR/img: byte 2000: truncated data (1984 of 2352 bytes)" ]
	{ images 3 28 28; printf 'junk'; } > "$BATS_TEST_TMPDIR/img"
	run -1 --separate-stderr mnist-decode "$BATS_TEST_TMPDIR/img"
	[ "$stderr" = "mnist-decode: $BATS_TEST_TMPDIR/img: byte 2368: trailing bytes after the last item" ]
	labels 1 2 | head -c 9 > "$BATS_TEST_TMPDIR/lbl"
	run -1 --separate-stderr mnist-decode "$MNIST_IMG" "$BATS_TEST_TMPDIR/lbl"
	[ "$stderr" = "mnist-decode: $BATS_TEST_TMPDIR/lbl: 2 labels for 10000 images in $MNIST_IMG" ]
}

@test "error: corrupt gzip" {
	cp "$MNIST_LBL" "$BATS_TEST_TMPDIR/l.gz"
	printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' |
	    dd of="$BATS_TEST_TMPDIR/l.gz" bs=1 seek=200 conv=notrunc 2>/dev/null
	run -1 --separate-stderr mnist-decode "$MNIST_IMG" "$BATS_TEST_TMPDIR/l.gz"
	[[ "$stderr" =~ ^mnist-decode:\ $BATS_TEST_TMPDIR/l.gz:\ byte\ [0-9]+:\ (invalid|incorrect) ]]
}

@test "error: missing file" {
	run -1 --separate-stderr mnist-decode "$BATS_TEST_TMPDIR/none"
	[ "$stderr" = "mnist-decode: $BATS_TEST_TMPDIR/none: No such file or directory" ]
}

@test "usage: --help, --version, bad options" {
	run --separate-stderr mnist-decode --help
	[ "$status" -eq 0 ] && [[ "$output" == usage:* ]] && [ -z "$stderr" ]
	run mnist-decode --version
	[ "$output" = "mnist-decode (vicreg-tools) 0.1.0" ]
	run -2 --separate-stderr mnist-decode --bogus x
	[ "${stderr_lines[0]}" = "mnist-decode: unknown option '--bogus'" ]
	[ "${stderr_lines[1]}" = "Try 'mnist-decode --help' for more information." ]
	run -2 --separate-stderr mnist-decode
	[ "${stderr_lines[0]}" = "mnist-decode: expected IMAGES [LABELS]" ]
	run -2 --separate-stderr mnist-decode --size 0 x
	[ "${stderr_lines[0]}" = "mnist-decode: --size: '0' is not an integer in [1, 4096]" ]
	run -2 --separate-stderr mnist-decode - -
	[ "${stderr_lines[0]}" = "mnist-decode: only one of IMAGES and LABELS can be stdin" ]
}
