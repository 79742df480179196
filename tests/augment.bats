#!/usr/bin/env bats
# augment: plan and batch shapes, determinism, the --uint8/--normalize
# agreement, hand-computed normalised pixels, --pairs pairing, and every
# documented error.  Fixtures: tests/reference/gen_augment.py.
bats_require_minimum_version 1.5.0

FIX=tests/fixtures/augment

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	T=$BATS_TEST_TMPDIR
}

# One line per array of a stream: "<data offset> <descr> [<shape>]".
npy_list() {
	local f=$1 off=0 size hl hdr descr shape n d
	size=$(stat -c %s "$f")
	while [ "$off" -lt "$size" ]; do
		hl=$(od -A n -t u2 -j $((off + 8)) -N 2 "$f" | tr -d ' ')
		hdr=$(tail -c +$((off + 11)) "$f" | head -c "$hl")
		descr=$(printf '%s' "$hdr" | sed -n "s/.*'descr': '\([^']*\)'.*/\1/p")
		shape=$(printf '%s' "$hdr" | sed -n "s/.*'shape': (\([^)]*\)).*/\1/p" | tr -d ' ')
		shape=${shape%,}
		n=1
		for d in ${shape//,/ }; do n=$((n * d)); done
		echo "$((off + 10 + hl)) $descr [$shape]"
		off=$((off + 10 + hl + n * ${descr:2}))
	done
}

# Data offset of array number $2 (0-based) of stream $1.
npy_off() { npy_list "$1" | sed -n "$(($2 + 1))p" | cut -d' ' -f1; }

# $3 float32 values of $1 from byte offset $2, one a line.
f32_at() { od -A n -v -t f4 -j "$2" -N $((4 * $3)) "$1" | tr -s ' ' '\n' | sed '/^$/d'; }

# Bytes [$2, $2 + $3) of file $1.
bytes() { tail -c +$(($2 + 1)) "$1" | head -c "$3"; }

# A uint8 [N,3,32,32] .npy header (v1.0, data on 64 bytes).
u8_header() {
	local dict="{'descr': '|u1', 'fortran_order': False, 'shape': ($1, 3, 32, 32), }"
	local len=${#dict} pad
	pad=$(( (64 - (10 + len + 1) % 64) % 64 ))
	len=$((len + pad + 1))
	printf '\223NUMPY\001\000'
	printf "\\$(printf %03o $((len & 255)))\\$(printf %03o $((len >> 8)))"
	printf '%s%*s\n' "$dict" "$pad" ''
}

@test "augment: plan and per-step shapes" {
	augment -q -e 2 -b 6 -s 1 "$FIX/images.npy" > "$T/o.npy"
	run npy_list "$T/o.npy"
	[ "${#lines[@]}" -eq 7 ]
	[[ "${lines[0]}" == "128 <i8 [4]" ]]
	[[ "${lines[1]}" == *" <f4 [6,2,3,32,32]" ]]
	[[ "${lines[3]}" == *" <f4 [4,2,3,32,32]" ]]
	[[ "${lines[6]}" == *" <f4 [4,2,3,32,32]" ]]
	run od -A n -t d8 -j 128 -N 32 "$T/o.npy"
	[ "$(echo $output)" = "2 3 6 16" ]
}

@test "augment: --drop-last, a batch larger than N, stdin" {
	augment -q -e 1 -b 6 --drop-last < "$FIX/images.npy" > "$T/o.npy"
	run npy_list "$T/o.npy"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == *" <f4 [6,2,3,32,32]" ]]
	run od -A n -t d8 -j 128 -N 32 "$T/o.npy"
	[ "$(echo $output)" = "1 2 6 16" ]
	augment -q -b 256 - < "$FIX/images.npy" > "$T/o.npy"
	run npy_list "$T/o.npy"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == *" <f4 [16,2,3,32,32]" ]]
	run od -A n -t d8 -j 128 -N 32 "$T/o.npy"
	[ "$(echo $output)" = "1 1 256 16" ]
}

@test "augment: same seed same bytes, other seed or epoch differs, threads do not matter" {
	augment -q -e 2 -b 8 -s 5 -t 1 "$FIX/images.npy" > "$T/a.npy"
	augment -q -e 2 -b 8 -s 5 -t 1 "$FIX/images.npy" > "$T/b.npy"
	augment -q -e 2 -b 8 -s 5 -t 2 "$FIX/images.npy" > "$T/c.npy"
	augment -q -e 2 -b 8 -s 6 -t 1 "$FIX/images.npy" > "$T/d.npy"
	cmp "$T/a.npy" "$T/b.npy"
	cmp "$T/a.npy" "$T/c.npy"
	run -1 cmp -s "$T/a.npy" "$T/d.npy"
	# epoch 2's first step is not epoch 1's
	o1=$(npy_off "$T/a.npy" 1) o3=$(npy_off "$T/a.npy" 3)
	run -1 cmp -s <(bytes "$T/a.npy" "$o1" 98304) <(bytes "$T/a.npy" "$o3" 98304)
	# the two views of an image differ
	run -1 cmp -s <(bytes "$T/a.npy" "$o1" 12288) \
	    <(bytes "$T/a.npy" $((o1 + 12288)) 12288)
}

@test "augment: --first-epoch regenerates an epoch alone" {
	augment -q -e 3 -b 8 -s 4 "$FIX/images.npy" > "$T/all.npy"
	augment -q -e 1 -b 8 -s 4 --first-epoch 2 "$FIX/images.npy" > "$T/e2.npy"
	run npy_list "$T/e2.npy"
	[ "${#lines[@]}" -eq 3 ]
	run od -A n -t d8 -j 128 -N 32 "$T/e2.npy"
	[ "$(echo $output)" = "1 2 8 16" ]
	# epoch 2 is arrays 5 and 6 of the full run, 1 and 2 here
	a=$(npy_off "$T/all.npy" 5) b=$(npy_off "$T/e2.npy" 1)
	cmp <(bytes "$T/all.npy" $((a - 128)) $((2 * (128 + 196608)))) \
	    <(bytes "$T/e2.npy" $((b - 128)) $((2 * (128 + 196608))))
	run -1 cmp -s <(bytes "$T/all.npy" "$(npy_off "$T/all.npy" 1)" 196608) \
	    <(bytes "$T/e2.npy" "$b" 196608)
}

@test "augment: values are normalised pixels" {
	augment -q -b 16 "$FIX/images.npy" > "$T/o.npy"
	o=$(npy_off "$T/o.npy" 1)
	# from (0 - 0.4914) / 0.247 = -1.98947 to (1 - 0.4822) / 0.243 = 2.13086
	f32_at "$T/o.npy" "$o" 98304 | awk '
	    $1 < -1.98948 || $1 > 2.13087 { bad++ }
	    { n++; s += $1 }
	    END { if (bad || n != 98304 || s == 0) exit 1 }'
}

@test "augment: --uint8 views normalised by --normalize equal the float views" {
	augment -q -b 16 -s 9 --uint8 "$FIX/images.npy" > "$T/u.npy"
	augment -q -b 16 -s 9 "$FIX/images.npy" > "$T/f.npy"
	run npy_list "$T/u.npy"
	[[ "${lines[1]}" == *" |u1 [16,2,3,32,32]" ]]
	ou=$(npy_off "$T/u.npy" 1) of=$(npy_off "$T/f.npy" 1)
	{ u8_header 32; bytes "$T/u.npy" "$ou" 98304; } > "$T/views.npy"
	augment --normalize "$T/views.npy" > "$T/n.npy"
	on=$(npy_off "$T/n.npy" 0)
	cmp <(bytes "$T/n.npy" "$on" 393216) <(bytes "$T/f.npy" "$of" 393216)
}

@test "augment: --views 1 and the study's departures" {
	augment -q -b 16 --views 1 "$FIX/images.npy" > "$T/o.npy"
	run npy_list "$T/o.npy"
	[[ "${lines[1]}" == *" <f4 [16,1,3,32,32]" ]]
	augment -q -b 16 --no-blur --solarize 0.5 --scale-min 0.5 \
	    --scale-max 0.9 "$FIX/images.npy" > "$T/p.npy"
	augment -q -b 16 "$FIX/images.npy" > "$T/q.npy"
	run -1 cmp -s "$T/p.npy" "$T/q.npy"
	run npy_list "$T/p.npy"
	[[ "${lines[1]}" == *" <f4 [16,2,3,32,32]" ]]
}

@test "augment --normalize: hand-computed pixels, labels passed through" {
	augment --normalize "$FIX/images.npy" > "$T/n.npy"
	run npy_list "$T/n.npy"
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" == *" <f4 [16,3,32,32]" ]]
	[[ "${lines[1]}" == *" |u1 [16]" ]]
	oi=$(npy_off "$FIX/images.npy" 0) on=$(npy_off "$T/n.npy" 0)
	# image 0, red (0), green (1024 + 33), blue (2048 + 1023); image 15
	for p in 0 1057 3071 $((15 * 3072 + 2100)); do
		v=$(od -A n -t u1 -j $((oi + p)) -N 1 "$FIX/images.npy")
		got=$(f32_at "$T/n.npy" $((on + 4 * p)) 1)
		c=$(( (p % 3072) / 1024 ))
		awk -v v="$v" -v g="$got" -v c="$c" 'BEGIN {
		    split("0.4914 0.4822 0.4465", m, " ")
		    split("0.247 0.243 0.261", s, " ")
		    want = (v / 255 - m[c + 1]) / s[c + 1]
		    d = g - want; if (d < 0) d = -d
		    if (d > 1e-6) { print v, g, want; exit 1 } }'
	done
	ol=$(npy_off "$FIX/images.npy" 1) onl=$(npy_off "$T/n.npy" 1)
	cmp <(bytes "$FIX/images.npy" "$ol" 16) <(bytes "$T/n.npy" "$onl" 16)
}

@test "augment --normalize: any image size, no labels" {
	augment --normalize "$FIX/bad_size.npy" > "$T/n.npy"
	run npy_list "$T/n.npy"
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *" <f4 [2,3,16,16]" ]]
}

@test "augment --pairs: each image with one of its listed neighbours" {
	augment --pairs "$FIX/nbrs.npy" -b 16 -e 2 -s 3 "$FIX/images.npy" > "$T/p.npy"
	augment --normalize "$FIX/images.npy" > "$T/n.npy"
	run npy_list "$T/p.npy"
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[1]}" == *" <f4 [16,2,3,32,32]" ]]
	# hash every normalised image and every view, 12288 bytes each
	bytes "$T/n.npy" "$(npy_off "$T/n.npy" 0)" 196608 |
	    split -b 12288 -d -a 2 - "$T/img."
	for step in 1 2; do
		bytes "$T/p.npy" "$(npy_off "$T/p.npy" $step)" 393216 |
		    split -b 12288 -d -a 2 - "$T/view$step."
	done
	md5sum "$T"/img.* | awk '{ print $1 }' > "$T/imgs"
	[ "$(sort -u "$T/imgs" | wc -l)" -eq 16 ]
	for step in 1 2; do
		md5sum "$T"/view$step.* | awk '{ print $1 }' > "$T/views"
		# view 2j is image i, view 2j+1 one of i+1, i+2, i+3 (mod 16)
		# as nbrs.npy lists; every image once per epoch
		awk 'NR == FNR { idx[$1] = FNR - 1; next }
		    !($1 in idx) { exit 1 }
		    FNR % 2 == 1 { i = idx[$1]; seen[i]++; next }
		    { d = (idx[$1] - i + 16) % 16; if (d < 1 || d > 3) exit 1 }
		    END { if (length(seen) != 16) exit 1 }' "$T/imgs" "$T/views"
	done
	augment --pairs "$FIX/nbrs32.npy" -b 16 -e 2 -s 3 "$FIX/images.npy" > "$T/q.npy"
	cmp "$T/p.npy" "$T/q.npy"
	augment --pairs - -b 16 -e 2 -s 3 "$FIX/images.npy" < "$FIX/nbrs.npy" > "$T/r.npy"
	cmp "$T/p.npy" "$T/r.npy"
}

@test "augment: man page example (cifar-decode | augment)" {
	cifar-decode -n 40 data/cifar-10-binary.tar.gz | augment -q -e 1 -b 16 -s 1 > "$T/o.npy"
	run npy_list "$T/o.npy"
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[3]}" == *" <f4 [8,2,3,32,32]" ]]
	cifar-decode -s test -n 10 --label-type int64 data/cifar-10-binary.tar.gz |
	    augment --normalize > "$T/n.npy"
	run npy_list "$T/n.npy"
	[[ "${lines[0]}" == *" <f4 [10,3,32,32]" ]]
	[[ "${lines[1]}" == *" <i8 [10]" ]]
}

@test "augment: --help, --version" {
	run --separate-stderr augment --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	run augment --version
	[ "$status" -eq 0 ]
	[[ "$output" == "augment (vicreg-tools) "* ]]
}

# --- errors: data (exit 1)

@test "augment: error: images not uint8" {
	run -1 --separate-stderr augment "$FIX/bad_dtype.npy"
	[ "$stderr" = "augment: $FIX/bad_dtype.npy: expected images uint8 [N,3,32,32], got float32 [1,3,32,32]" ]
	run -1 --separate-stderr augment --normalize "$FIX/bad_dtype.npy"
	[[ "$stderr" == *"expected images uint8 [N,3,H,W], got float32 [1,3,32,32]" ]]
}

@test "augment: error: not three channels" {
	run -1 --separate-stderr augment "$FIX/bad_shape.npy"
	[ "$stderr" = "augment: $FIX/bad_shape.npy: expected images uint8 [N,3,32,32], got uint8 [2,1,32,32]" ]
}

@test "augment: error: training images not 32 x 32" {
	run -1 --separate-stderr augment "$FIX/bad_size.npy"
	[ "$stderr" = "augment: $FIX/bad_size.npy: expected images uint8 [N,3,32,32], got uint8 [2,3,16,16]" ]
}

@test "augment: error: empty input" {
	run -1 --separate-stderr augment < /dev/null
	[ "$stderr" = "augment: stdin: stream ended before the images" ]
}

@test "augment: error: no images" {
	u8_header 0 > "$T/zero.npy"
	run -1 --separate-stderr augment "$T/zero.npy"
	[ "$stderr" = "augment: $T/zero.npy: no images (uint8 [0,3,32,32])" ]
}

@test "augment: error: missing input file" {
	run -1 --separate-stderr augment "$T/nope.npy"
	[ "$stderr" = "augment: $T/nope.npy: No such file or directory" ]
}

@test "augment: error: --drop-last with fewer images than a batch" {
	run -1 --separate-stderr augment --drop-last -b 17 "$FIX/images.npy"
	[ "$stderr" = "augment: --drop-last: 16 images make no full batch of 17" ]
}

@test "augment --normalize: error: labels of the wrong length" {
	run -1 --separate-stderr augment --normalize "$FIX/bad_labels.npy"
	[ "$stderr" = "augment: $FIX/bad_labels.npy: expected labels [4] of an integer type after the images, got uint8 [3]" ]
}

@test "augment --pairs: error: neighbour out of range" {
	run -1 --separate-stderr augment --pairs "$FIX/bad_nbr_range.npy" "$FIX/images.npy"
	[ "$stderr" = "augment: $FIX/bad_nbr_range.npy: row 5: neighbour 16 out of range [0, 16)" ]
	run -1 --separate-stderr augment --pairs "$FIX/bad_nbr_negative.npy" "$FIX/images.npy"
	[ "$stderr" = "augment: $FIX/bad_nbr_negative.npy: row 2: neighbour -1 out of range [0, 16)" ]
}

@test "augment --pairs: error: k = 0" {
	run -1 --separate-stderr augment --pairs "$FIX/bad_nbr_k0.npy" "$FIX/images.npy"
	[ "$stderr" = "augment: $FIX/bad_nbr_k0.npy: k = 0: no neighbours to pair with" ]
}

@test "augment --pairs: error: rows differ from the images" {
	run -1 --separate-stderr augment --pairs "$FIX/bad_nbr_rows.npy" "$FIX/images.npy"
	[ "$stderr" = "augment: $FIX/bad_nbr_rows.npy: 15 rows of neighbours for 16 images" ]
}

@test "augment --pairs: error: indices not integers" {
	run -1 --separate-stderr augment --pairs "$FIX/bad_nbr_dtype.npy" "$FIX/images.npy"
	[ "$stderr" = "augment: $FIX/bad_nbr_dtype.npy: expected neighbour indices int32|int64 [N,k], got float32 [16,3]" ]
}

@test "augment --pairs: error: missing neighbour file" {
	run -1 --separate-stderr augment --pairs "$T/nope.npy" "$FIX/images.npy"
	[ "$stderr" = "augment: $T/nope.npy: No such file or directory" ]
}

# --- errors: usage (exit 2)

@test "augment: usage error: --normalize with --pairs" {
	run -2 --separate-stderr augment --normalize --pairs "$FIX/nbrs.npy" "$FIX/images.npy"
	[[ "$stderr" == "augment: --normalize and --pairs exclude each other"* ]]
}

@test "augment: usage error: neighbours and images both on stdin" {
	run -2 --separate-stderr augment --pairs - < "$FIX/images.npy"
	[[ "$stderr" == "augment: --pairs -: the images are already read from stdin"* ]]
}

@test "augment: usage error: augmentation options with --normalize or --pairs" {
	run -2 --separate-stderr augment --normalize --no-blur "$FIX/images.npy"
	[[ "$stderr" == "augment: augmentation options do not apply to --normalize"* ]]
	run -2 --separate-stderr augment --pairs "$FIX/nbrs.npy" --uint8 "$FIX/images.npy"
	[[ "$stderr" == "augment: augmentation options do not apply to --pairs"* ]]
}

@test "augment: usage error: --first-epoch with --normalize" {
	run -2 --separate-stderr augment --normalize --first-epoch 1 "$FIX/images.npy"
	[[ "$stderr" == "augment: --first-epoch does not apply to --normalize"* ]]
}

@test "augment: usage error: --scale-min above --scale-max" {
	run -2 --separate-stderr augment --scale-min 0.8 --scale-max 0.5 "$FIX/images.npy"
	[[ "$stderr" == "augment: --scale-min 0.8 is above --scale-max 0.5"* ]]
}

@test "augment: usage error: bad numbers" {
	run -2 --separate-stderr augment -b 0 "$FIX/images.npy"
	[[ "$stderr" == "augment: --batch: '0' is not an integer in [1, "* ]]
	run -2 --separate-stderr augment --views 3 "$FIX/images.npy"
	[[ "$stderr" == "augment: --views: '3' is not an integer in [1, 2]"* ]]
	run -2 --separate-stderr augment --solarize 1.5 "$FIX/images.npy"
	[[ "$stderr" == "augment: --solarize: '1.5' is not a number in [0, 1]"* ]]
	run -2 --separate-stderr augment -e x "$FIX/images.npy"
	[[ "$stderr" == "augment: --epochs: 'x' is not an integer"* ]]
	run -2 --separate-stderr augment -s -1 "$FIX/images.npy"
	[[ "$stderr" == "augment: --seed: '-1' is not a non-negative integer"* ]]
}

@test "augment: usage error: two input files, unknown option" {
	run -2 --separate-stderr augment "$FIX/images.npy" "$FIX/images.npy"
	[[ "$stderr" == "augment: too many arguments (one input FILE at most)"* ]]
	run -2 --separate-stderr augment --bogus "$FIX/images.npy"
	[[ "$stderr" == *"unrecognized option"* ]]
}
