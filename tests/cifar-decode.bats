#!/usr/bin/env bats
# cifar-decode: the real archive (values against raw bytes, label
# histograms), extracted .bin files, small hand-made archives for the
# layout and every documented error.
bats_require_minimum_version 1.5.0

load helpers/npy

# rec LABEL VALUE: one CIFAR record, all 3072 pixels equal to VALUE.
rec() {
	printf "\\x$(printf %02x "$1")"
	head -c 3072 /dev/zero | tr '\0' "\\$(printf %03o "$2")"
}

setup_file() {
	need_data
	local d=$BATS_FILE_TMPDIR/fake/cifar-10-batches-bin b i
	mkdir -p "$d"
	# batch b, record i: label (b + i) % 10, pixels 16 b + i
	for b in 1 2 3 4 5; do
		for i in 0 1 2; do rec $(((b + i) % 10)) $((16 * b + i)); done \
		    > "$d/data_batch_$b.bin"
	done
	for i in 0 1 2 3; do rec $((9 - i)) $((200 + i)); done > "$d/test_batch.bin"
	printf 'airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n' \
	    > "$d/batches.meta.txt"
	tar -C "$BATS_FILE_TMPDIR/fake" -czf "$BATS_FILE_TMPDIR/fake.tar.gz" \
	    cifar-10-batches-bin
}

@test "test split: 10,000 images then uint8 labels, 1,000 per class" {
	cifar-decode --split test "$CIFAR" > "$BATS_TEST_TMPDIR/t.npy"
	run tensor info "$BATS_TEST_TMPDIR/t.npy"
	[ "$output" = "0 uint8 [10000,3,32,32]
1 uint8 [10000]" ]
	run bash -c "tensor pick 1 '$BATS_TEST_TMPDIR/t.npy' | tensor print | sort -n | uniq -c | awk '{print \$2, \$1}' | tr '\n' ' '"
	[ "$output" = "0 1000 1 1000 2 1000 3 1000 4 1000 5 1000 6 1000 7 1000 8 1000 9 1000 " ]
}

@test "train split: 50,000 images, 5,000 per class" {
	run bash -c "cifar-decode '$CIFAR' | tensor pick 1 | tensor print | sort -n | uniq -c | awk '{print \$2, \$1}' | tr '\n' ' '"
	[ "$status" -eq 0 ]
	[ "$output" = "0 5000 1 5000 2 5000 3 5000 4 5000 5 5000 6 5000 7 5000 8 5000 9 5000 " ]
}

# first: the first record of a batch, read with Python's tarfile
# (tests/fixtures/decode/cifar_first.npy, array 0 data_batch_1, 1 test).
check_first() {
	local split=$1 k=$2 t=$BATS_TEST_TMPDIR
	cifar-decode --split "$split" --limit 1 "$CIFAR" > "$t/one.npy"
	tensor pick 0 "$t/one.npy" | tensor print | tr ' ' '\n' > "$t/got"
	tensor pick "$k" "$FIX/cifar_first.npy" | tensor take 1: |
	    tensor print > "$t/want"
	[ "$(wc -l < "$t/got")" -eq 3072 ]
	cmp "$t/got" "$t/want"
	[ "$(tensor pick 1 "$t/one.npy" | tensor print)" = \
	    "$(tensor pick "$k" "$FIX/cifar_first.npy" | tensor take 0 | tensor print)" ]
}

@test "first train image and label equal the raw bytes of data_batch_1" {
	check_first train 0
}

@test "first test image and label equal the raw bytes of test_batch" {
	check_first test 1
}

@test "extracted .bin gives the same bytes as the archive" {
	local t=$BATS_TEST_TMPDIR
	tar -xzf "$CIFAR" -C "$t" cifar-10-batches-bin/test_batch.bin \
	    cifar-10-batches-bin/batches.meta.txt
	cifar-decode "$t/cifar-10-batches-bin/test_batch.bin" > "$t/bin.npy"
	cifar-decode --split test "$CIFAR" > "$t/tgz.npy"
	cmp "$t/bin.npy" "$t/tgz.npy"
	run cifar-decode --classes "$t/cifar-10-batches-bin/test_batch.bin"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = airplane ] && [ "${lines[9]}" = truck ]
}

@test "--classes prints the ten class names" {
	run --separate-stderr cifar-decode --classes "$CIFAR"
	[ "$status" -eq 0 ]
	[ "$output" = "airplane
automobile
bird
cat
deer
dog
frog
horse
ship
truck" ]
}

@test "train split of a small archive: batches 1..5 in order" {
	cifar-decode "$BATS_FILE_TMPDIR/fake.tar.gz" > "$BATS_TEST_TMPDIR/f.npy"
	run tensor info "$BATS_TEST_TMPDIR/f.npy"
	[ "$output" = "0 uint8 [15,3,32,32]
1 uint8 [15]" ]
	run bash -c "tensor pick 1 '$BATS_TEST_TMPDIR/f.npy' | tensor print | tr '\n' ' '"
	[ "$output" = "1 2 3 2 3 4 3 4 5 4 5 6 5 6 7 " ]
	# pixel 0 and pixel 3071 of every image: 16 b + i
	run bash -c "tensor pick 0 '$BATS_TEST_TMPDIR/f.npy' | tensor print | awk '{print \$1 \"/\" \$3072}' | tr '\n' ' '"
	[ "$output" = "16/16 17/17 18/18 32/32 33/33 34/34 48/48 49/49 50/50 64/64 65/65 66/66 80/80 81/81 82/82 " ]
}

@test "--limit, --label-type int64, --no-labels, stdin archive" {
	local f=$BATS_FILE_TMPDIR/fake.tar.gz
	run bash -c "cifar-decode --limit 4 -l int64 '$f' | tensor info"
	[ "$output" = "0 uint8 [4,3,32,32]
1 int64 [4]" ]
	run bash -c "cifar-decode --split test --label-type int32 < '$f' | tensor pick 1 | tensor print | tr '\n' ' '"
	[ "$output" = "9 8 7 6 " ]
	run bash -c "cifar-decode --no-labels --split test '$f' | tensor info"
	[ "$output" = "0 uint8 [4,3,32,32]" ]
	run bash -c "cifar-decode --limit 0 '$f' | tensor info"
	[ "$output" = "0 uint8 [0,3,32,32]
1 uint8 [0]" ]
}

@test "long member names: GNU and pax archives" {
	local t=$BATS_TEST_TMPDIR long
	long=$(printf 'd%.0s' $(seq 120))
	mkdir -p "$t/$long"
	cp "$BATS_FILE_TMPDIR"/fake/cifar-10-batches-bin/* "$t/$long/"
	tar -C "$t" --format=gnu -czf "$t/gnu.tgz" "$long"
	tar -C "$t" --format=pax -cf "$t/pax.tar" "$long"
	cifar-decode --split test "$BATS_FILE_TMPDIR/fake.tar.gz" > "$t/want.npy"
	cifar-decode --split test "$t/gnu.tgz" > "$t/gnu.npy"
	cifar-decode --split test "$t/pax.tar" > "$t/pax.npy"
	cmp "$t/want.npy" "$t/gnu.npy"
	cmp "$t/want.npy" "$t/pax.npy"
}

@test "error: missing member" {
	local t=$BATS_TEST_TMPDIR
	tar -C "$BATS_FILE_TMPDIR/fake" -czf "$t/no-test.tgz" \
	    cifar-10-batches-bin/data_batch_1.bin
	run -1 --separate-stderr cifar-decode --split test "$t/no-test.tgz"
	[ "$stderr" = "cifar-decode: $t/no-test.tgz: missing member test_batch.bin" ]
	[ -z "$output" ]
}

@test "error: corrupt gzip data" {
	local t=$BATS_TEST_TMPDIR
	cp "$BATS_FILE_TMPDIR/fake.tar.gz" "$t/bad.tgz"
	printf 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX' |
	    dd of="$t/bad.tgz" bs=1 seek=100 conv=notrunc 2>/dev/null
	run -1 --separate-stderr cifar-decode "$t/bad.tgz"
	[[ "$stderr" =~ ^cifar-decode:\ $t/bad.tgz:\ byte\ [0-9]+:\ (invalid|incorrect) ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "error: truncated archive" {
	local t=$BATS_TEST_TMPDIR
	head -c 200 "$BATS_FILE_TMPDIR/fake.tar.gz" > "$t/short.tgz"
	run -1 --separate-stderr cifar-decode "$t/short.tgz"
	[[ "$stderr" =~ ^cifar-decode:\ $t/short.tgz:\ byte\ [0-9]+:\ truncated\ archive ]]
}

@test "error: not a tar archive" {
	printf 'hello, world\n' > "$BATS_TEST_TMPDIR/x.tgz"
	run -1 --separate-stderr cifar-decode "$BATS_TEST_TMPDIR/x.tgz"
	[ "$stderr" = "cifar-decode: $BATS_TEST_TMPDIR/x.tgz: byte 0: truncated archive (13 of 512 bytes of a header)" ]
	head -c 1024 /dev/urandom > "$BATS_TEST_TMPDIR/y.tar"
	run -1 --separate-stderr cifar-decode "$BATS_TEST_TMPDIR/y.tar"
	[ "$stderr" = "cifar-decode: $BATS_TEST_TMPDIR/y.tar: byte 0: not a tar archive (bad header checksum)" ]
}

@test "error: truncated record (archive member and .bin file)" {
	local t=$BATS_TEST_TMPDIR d=$BATS_TEST_TMPDIR/cifar-10-batches-bin
	mkdir -p "$d"
	{ rec 1 1; rec 2 2; head -c 100 /dev/zero; } > "$d/test_batch.bin"
	tar -C "$t" -czf "$t/a.tgz" cifar-10-batches-bin
	run -1 --separate-stderr cifar-decode --split test "$t/a.tgz"
	[ "$stderr" = "cifar-decode: $t/a.tgz: test_batch.bin: truncated record (6246 bytes is not a whole number of 3073-byte records)" ]
	[ -z "$output" ]
	run -1 --separate-stderr cifar-decode "$d/test_batch.bin"
	[ "$stderr" = "cifar-decode: $d/test_batch.bin: truncated record (6246 bytes is not a whole number of 3073-byte records)" ]
	[ -z "$output" ]
}

@test "error: label byte over 9" {
	local t=$BATS_TEST_TMPDIR d=$BATS_TEST_TMPDIR/cifar-10-batches-bin
	mkdir -p "$d"
	{ rec 1 1; rec 12 2; } > "$d/test_batch.bin"
	tar -C "$t" -czf "$t/a.tgz" cifar-10-batches-bin
	run -1 --separate-stderr cifar-decode --split test "$t/a.tgz"
	[ "$stderr" = "cifar-decode: $t/a.tgz: test_batch.bin: record 1: label 12 out of range 0..9" ]
	run -1 --separate-stderr cifar-decode "$d/test_batch.bin"
	[ "$stderr" = "cifar-decode: $d/test_batch.bin: batch: record 1: label 12 out of range 0..9" ]
}

@test "error: batches of different sizes" {
	local t=$BATS_TEST_TMPDIR d=$BATS_TEST_TMPDIR/cifar-10-batches-bin
	mkdir -p "$d"
	cp "$BATS_FILE_TMPDIR"/fake/cifar-10-batches-bin/data_batch_[1-4].bin "$d/"
	rec 0 0 > "$d/data_batch_5.bin"
	tar -C "$t" -czf "$t/a.tgz" cifar-10-batches-bin
	run -1 --separate-stderr cifar-decode "$t/a.tgz"
	[ "$stderr" = "cifar-decode: $t/a.tgz: data_batch_5.bin: 1 records, but data_batch_1.bin has 3" ]
}

@test "error: unreadable file" {
	run -1 --separate-stderr cifar-decode "$BATS_TEST_TMPDIR/none.tar.gz"
	[ "$stderr" = "cifar-decode: $BATS_TEST_TMPDIR/none.tar.gz: No such file or directory" ]
	run -1 --separate-stderr cifar-decode "$BATS_TEST_TMPDIR/none.bin"
	[ "$stderr" = "cifar-decode: $BATS_TEST_TMPDIR/none.bin: No such file or directory" ]
}

@test "usage: --help, --version, bad options" {
	run --separate-stderr cifar-decode --help
	[ "$status" -eq 0 ] && [[ "$output" == usage:* ]] && [ -z "$stderr" ]
	run cifar-decode --version
	[ "$status" -eq 0 ] && [ "$output" = "cifar-decode (vicreg-tools) 0.1.0" ]
	run -2 --separate-stderr cifar-decode --bogus
	[ "${stderr_lines[0]}" = "cifar-decode: unknown option '--bogus'" ]
	run -2 --separate-stderr cifar-decode --split valid x.tgz
	[ "${stderr_lines[0]}" = "cifar-decode: --split: 'valid' is not train or test" ]
	run -2 --separate-stderr cifar-decode --label-type float32 x.tgz
	[ "${stderr_lines[0]}" = "cifar-decode: --label-type: 'float32' is not uint8, int32 or int64" ]
	run -2 --separate-stderr cifar-decode --limit -3 x.tgz
	[ "${stderr_lines[0]}" = "cifar-decode: --limit: '-3' is not an integer in [0, 9223372036854775807]" ]
	run -2 --separate-stderr cifar-decode a.bin b.tgz
	[ "${stderr_lines[0]}" = "cifar-decode: give either one archive or .bin batch files" ]
	run -2 --separate-stderr cifar-decode a.tgz b.tgz
	[ "${stderr_lines[0]}" = "cifar-decode: give one archive (or .bin batch files)" ]
}
