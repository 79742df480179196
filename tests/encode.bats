#!/usr/bin/env bats
# encode: output shapes, batch independence (eval-mode batch norm),
# uint8 and pre-normalised input agree, labels pass through, and every
# documented error.
bats_require_minimum_version 1.5.0

CIFAR=data/cifar-10-binary.tar.gz
TINY="--width 4 --rep-dim 16 --head-dim 32 --proj 32,32 --lr 3e-3 --threads 1 -q"

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	local D=$BATS_FILE_TMPDIR
	[ -f "$CIFAR" ] || { echo "missing $CIFAR (make data)" >&2; return 1; }
	cifar-decode -n 40 "$CIFAR" > "$D/images.npy"
	# a few steps, so that the running statistics are not the initial ones
	augment -q -e 2 -b 20 -s 1 -t 1 "$D/images.npy" |
	    vicreg-train -o "$D/m.ck" $TINY
	encode -m "$D/m.ck" --threads 1 < "$D/images.npy" > "$D/reps.npy"
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# Arrays $3 of streams $1 and $2 agree within |a - b| <= 1e-5 + 1e-4 |a|.
close_f32() {
	paste -d, <(tensor to-csv -a "$3" "$1") <(tensor to-csv -a "$3" "$2") |
	awk -F, '{ n = NF / 2; if (n != int(n) || n == 0) bad = 1
		for (i = 1; i <= n; i++) { d = $i - $(i + n); if (d < 0) d = -d
			a = $i < 0 ? -$i : $i; e = d - (1e-5 + 1e-4 * a)
			if (e > worst) { worst = e; w = NR ":" i " " $i " " $(i + n) } } }
	    END { if (bad || worst > 0) { print "worst " w; exit 1 }
		print NR " rows close" }'
}

@test "encode: float32 [N,D] then the labels" {
	run -0 tensor info "$D/reps.npy"
	[ "${lines[0]}" = "0 float32 [40,16]" ]
	[ "${lines[1]}" = "1 uint8 [40]" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "encode: labels pass through unchanged, any integer type" {
	tensor pick 1 "$D/images.npy" > "$T/want.npy"
	tensor pick 1 "$D/reps.npy" > "$T/got.npy"
	cmp "$T/want.npy" "$T/got.npy"
	cifar-decode -n 40 -l int64 "$CIFAR" > "$T/i64.npy"
	encode -m "$D/m.ck" --threads 1 < "$T/i64.npy" > "$T/r64.npy"
	tensor pick 1 "$T/i64.npy" > "$T/want.npy"
	tensor pick 1 "$T/r64.npy" > "$T/got.npy"
	cmp "$T/want.npy" "$T/got.npy"
	tensor pick 0 "$T/r64.npy" > "$T/a.npy"
	tensor pick 0 "$D/reps.npy" > "$T/b.npy"
	cmp "$T/a.npy" "$T/b.npy"
}

@test "encode: images without labels give one array" {
	cifar-decode -n 40 --no-labels "$CIFAR" | encode -m "$D/m.ck" --threads 1 > "$T/r.npy"
	run -0 tensor info "$T/r.npy"
	[ "$output" = "0 float32 [40,16]" ]
	tensor pick 0 "$D/reps.npy" > "$T/b.npy"
	cmp "$T/r.npy" "$T/b.npy"
}

@test "encode: a batch gives what one image at a time gives" {
	encode -m "$D/m.ck" --threads 1 --batch 1 < "$D/images.npy" > "$T/b1.npy"
	encode -m "$D/m.ck" --threads 1 --batch 7 < "$D/images.npy" > "$T/b7.npy"
	run -0 close_f32 "$D/reps.npy" "$T/b1.npy" 0
	echo "$output"
	run -0 close_f32 "$D/reps.npy" "$T/b7.npy" 0
	# and the representations are not all alike
	run -1 close_f32 <(tensor take 0:20 "$D/reps.npy") <(tensor take 20:40 "$D/reps.npy") 0
}

@test "encode: uint8 images and augment --normalize's float32 agree" {
	augment --normalize "$D/images.npy" | encode -m "$D/m.ck" --threads 1 > "$T/f.npy"
	cmp "$T/f.npy" "$D/reps.npy"
}

@test "encode: same bytes every time" {
	encode -m "$D/m.ck" --threads 1 < "$D/images.npy" > "$T/again.npy"
	cmp "$T/again.npy" "$D/reps.npy"
}

@test "encode: the representations change with training" {
	augment -q -e 1 -b 20 -s 1 -t 1 "$D/images.npy" |
	    vicreg-train -o "$T/init.ck" $TINY --steps 1 --lr 0
	encode -m "$T/init.ck" --threads 1 < "$D/images.npy" > "$T/r0.npy"
	! cmp -s "$T/r0.npy" "$D/reps.npy"
}

# ---- errors ----

@test "encode: a missing, foreign, truncated, corrupt or newer checkpoint" {
	run -1 --separate-stderr encode -m "$T/none.ck" < "$D/images.npy"
	[ "$stderr" = "encode: $T/none.ck: No such file or directory" ]
	echo hello > "$T/x.ck"
	run -1 --separate-stderr encode -m "$T/x.ck" < "$D/images.npy"
	[ "$stderr" = "encode: $T/x.ck: not a vicreg checkpoint (bad magic)" ]
	head -c 300 "$D/m.ck" > "$T/x.ck"
	run -1 --separate-stderr encode -m "$T/x.ck" < "$D/images.npy"
	[ "$stderr" = "encode: $T/x.ck: truncated checkpoint (300 bytes, the header alone is 512)" ]
	head -c 10000 "$D/m.ck" > "$T/x.ck"
	run -1 --separate-stderr encode -m "$T/x.ck" < "$D/images.npy"
	[[ "$stderr" == "encode: $T/x.ck: truncated checkpoint (10000 bytes, its header describes "*")" ]]
	cp "$D/m.ck" "$T/x.ck"
	printf 'x' | dd of="$T/x.ck" bs=1 seek=2000 conv=notrunc status=none
	run -1 --separate-stderr encode -m "$T/x.ck" < "$D/images.npy"
	[ "$stderr" = "encode: $T/x.ck: corrupt checkpoint (CRC mismatch)" ]
	# a flip in the optimiser state, which encode does not keep, still counts
	cp "$D/m.ck" "$T/x.ck"
	printf 'x' | dd of="$T/x.ck" bs=1 seek=$(( $(stat -c %s "$D/m.ck") - 100 )) \
	    conv=notrunc status=none
	run -1 --separate-stderr encode -m "$T/x.ck" < "$D/images.npy"
	[ "$stderr" = "encode: $T/x.ck: corrupt checkpoint (CRC mismatch)" ]
	cp "$D/m.ck" "$T/x.ck"
	printf '\003' | dd of="$T/x.ck" bs=1 seek=8 conv=notrunc status=none
	run -1 --separate-stderr encode -m "$T/x.ck" < "$D/images.npy"
	[ "$stderr" = "encode: $T/x.ck: unsupported checkpoint version 3 (this build reads version 1)" ]
}

@test "encode: input that is not images" {
	tensor const -t float32 -s 5,10 1 > "$T/x.npy"
	run -1 --separate-stderr encode -m "$D/m.ck" < "$T/x.npy"
	[ "$stderr" = "encode: stdin: expected images uint8 or float32 [N,3,32,32], got float32 [5,10]" ]
	tensor const -t int32 -s 5,3,32,32 1 > "$T/x.npy"
	run -1 --separate-stderr encode -m "$D/m.ck" < "$T/x.npy"
	[ "$stderr" = "encode: stdin: expected images uint8 or float32 [N,3,32,32], got int32 [5,3,32,32]" ]
	run -1 --separate-stderr encode -m "$D/m.ck" < /dev/null
	[ "$stderr" = "encode: stdin: stream ended before the images" ]
}

@test "encode: NaN in float input" {
	augment --normalize "$D/images.npy" | tensor pick 0 > "$T/f.npy"
	local hl; hl=$(od -A n -t u2 -j 8 -N 2 "$T/f.npy" | tr -d ' ')
	printf '\000\000\300\177' | dd of="$T/f.npy" bs=1 \
	    seek=$((10 + hl + 5 * 3072 * 4 + 40)) conv=notrunc status=none
	run -1 --separate-stderr encode -m "$D/m.ck" < "$T/f.npy"
	[ "$stderr" = "encode: stdin: NaN or Inf in image 5" ]
}

@test "encode: labels of the wrong count or type, anything after them" {
	{ tensor pick 0 "$D/images.npy"; tensor const -t int32 -s 39 1; } > "$T/x.npy"
	run -1 --separate-stderr encode -m "$D/m.ck" < "$T/x.npy"
	[ "$stderr" = "encode: stdin: expected labels, integer [40], after the images; got int32 [39]" ]
	{ tensor pick 0 "$D/images.npy"; tensor const -t float32 -s 40 1; } > "$T/x.npy"
	run -1 --separate-stderr encode -m "$D/m.ck" < "$T/x.npy"
	[ "$stderr" = "encode: stdin: expected labels, integer [40], after the images; got float32 [40]" ]
	tensor cat "$D/images.npy" "$D/images.npy" > "$T/x.npy"
	run -1 --separate-stderr encode -m "$D/m.ck" < "$T/x.npy"
	[[ "$stderr" == "encode: stdin: array 2, byte "*": unexpected extra array after the last expected one" ]]
}

@test "encode: usage errors exit 2" {
	run -2 --separate-stderr encode < "$D/images.npy"
	[ "${stderr_lines[0]}" = "encode: -m CKPT is required" ]
	run -2 --separate-stderr encode -m "$D/m.ck" --batch 0 < "$D/images.npy"
	[ "${stderr_lines[0]}" = "encode: --batch: '0' is not an integer in [1, 1048576]" ]
	run -2 --separate-stderr encode -m "$D/m.ck" extra < "$D/images.npy"
	[ "${stderr_lines[0]}" = "encode: unexpected argument 'extra'" ]
}

@test "encode: refuses to write to a terminal" {
	run -2 script -qec "encode -m '$D/m.ck' < '$D/images.npy'" /dev/null
	[[ "$output" == *"encode: refusing to write a binary stream to a terminal"* ]]
}

@test "encode: --help on stdout, --version, man page lint-clean" {
	run -0 --separate-stderr encode --help
	[[ "${lines[0]}" == "usage: encode -m CKPT"* ]]
	[ -z "$stderr" ]
	run -0 encode --version
	[[ "$output" == "encode (vicreg-tools) "* ]]
	run -0 mandoc -Tlint -Wwarning man/man1/encode.1
}
