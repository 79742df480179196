#!/usr/bin/env bats
# png-probe: facts about a PNG whose pixels we know (a plot grid of one
# 2x3 image at scale 1 on white).
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
	for t in plot png-probe tensor; do
		command -v "$t" >/dev/null || { echo "missing $t" >&2; return 1; }
	done
	# image [1,3,2,3]: R plane, G plane, B plane
	printf '255 0 0 10 20 30  0 255 0 10 20 30  0 0 255 10 20 30\n' |
	    tensor from-text -t uint8 -r 3,2,3 > "$T/img.npy"
	plot grid -o "$T/a.png" --scale 1 --metrics "$T/m" "$T/img.npy"
	X=$(awk -F'\t' '$1 == "grid_left" { print $2 }' "$T/m")
	Y=$(awk -F'\t' '$1 == "grid_top" { print $2 }' "$T/m")
}

@test "size and info" {
	run -0 png-probe size "$T/a.png"
	[ "$output" = "$((X + 3 + 8)) $((Y + 2 + 8))" ]
	run -0 png-probe info "$T/a.png"
	[ "${lines[0]}" = "width	$((X + 11))" ]
	[[ "$output" == *"color_type	rgb"* && "$output" == *"sRGB	1"* ]]
	[[ "$output" == *"tIME	0"* ]]
}

@test "pixel" {
	run -0 png-probe pixel "$T/a.png" "$X" "$Y"
	[ "$output" = "#ff0000" ]
	run -0 png-probe pixel "$T/a.png" $((X + 1)) "$Y"
	[ "$output" = "#00ff00" ]
	run -0 png-probe pixel "$T/a.png" $((X + 2)) "$Y"
	[ "$output" = "#0000ff" ]
	run -0 png-probe pixel "$T/a.png" $((X + 2)) $((Y + 1))
	[ "$output" = "#1e1e1e" ]
	run -0 png-probe pixel "$T/a.png" 0 0
	[ "$output" = "#ffffff" ]
}

@test "count, nonbg and colors in a rectangle; tolerance" {
	run -0 png-probe count "$T/a.png" "$X" $((Y + 1)) 3 1 '#0a0a0a'
	[ "$output" = 1 ]
	run -0 png-probe count -t 10 "$T/a.png" "$X" $((Y + 1)) 3 1 '#141414'
	[ "$output" = 3 ]
	run -0 png-probe count "$T/a.png" 0 0 $((X + 3)) $((Y + 2)) '#ffffff'
	[ "$output" = $(((X + 3) * (Y + 2) - 6)) ]
	run -0 png-probe nonbg "$T/a.png" 0 0 $((X + 5)) $((Y + 5))
	[ "$output" = 6 ]
	run -0 png-probe nonbg -b '#ff0000' "$T/a.png" "$X" "$Y" 1 1
	[ "$output" = 0 ]
	run -0 png-probe colors "$T/a.png" $((X - 1)) "$Y" 4 2
	[ "${lines[0]}" = "#ffffff	2" ]
	[ "${#lines[@]}" = 7 ]
}

@test "find: bounding box and count" {
	run -0 png-probe find "$T/a.png" '#00ff00'
	[ "$output" = "$((X + 1)) $Y $((X + 2)) $((Y + 1)) 1" ]
	run -0 png-probe find -t 10 "$T/a.png" '#141414' 0 0 $((X + 3)) $((Y + 2))
	[ "$output" = "$X $((Y + 1)) $((X + 3)) $((Y + 2)) 3" ]
	run -1 --separate-stderr png-probe find "$T/a.png" '#123456'
	[ "$stderr" = "png-probe: no pixel of colour #123456 (tolerance 0)" ]
}

@test "crop: raw RGB, planar, and uniform blocks" {
	png-probe crop --planar "$T/a.png" "$X" "$Y" 3 2 > "$T/planar"
	tail -c 18 "$T/img.npy" > "$T/want"
	cmp "$T/planar" "$T/want"
	png-probe crop "$T/a.png" "$X" "$Y" 1 1 > "$T/px"
	[ "$(od -An -tx1 "$T/px" | tr -d ' ')" = "ff0000" ]
	plot grid -o "$T/b.png" --scale 2 --metrics "$T/m2" "$T/img.npy"
	png-probe crop -s 2 --planar "$T/b.png" "$X" "$Y" 6 4 > "$T/blocks"
	cmp "$T/blocks" "$T/want"
	run -1 --separate-stderr png-probe crop -s 2 "$T/b.png" $((X + 1)) "$Y" 2 2
	[ "$stderr" = "png-probe: block at $((X + 1)) $Y is not uniform" ]
	run -2 --separate-stderr png-probe crop -s 2 "$T/b.png" "$X" "$Y" 3 2
	[[ "$stderr" == "png-probe: crop: W and H must be multiples of --block 2"* ]]
}

@test "errors: not a PNG, missing file, outside, bad colour, usage" {
	echo hello > "$T/x.png"
	run -1 --separate-stderr png-probe size "$T/x.png"
	[ "$stderr" = "png-probe: $T/x.png: not a PNG file" ]
	head -c 100 "$T/a.png" > "$T/cut.png"
	run -1 --separate-stderr png-probe size "$T/cut.png"
	[[ "$stderr" == "png-probe: $T/cut.png: "* ]]
	run -1 --separate-stderr png-probe size "$T/none.png"
	[ "$stderr" = "png-probe: $T/none.png: No such file or directory" ]
	run -1 --separate-stderr png-probe pixel "$T/a.png" 1000 0
	[[ "$stderr" == "png-probe: pixel 1000 0 is outside the "*" image" ]]
	run -1 --separate-stderr png-probe nonbg "$T/a.png" 0 0 1000 1
	[[ "$stderr" == "png-probe: rectangle 0 0 1000 1 is outside the "*" image" ]]
	run -2 --separate-stderr png-probe count "$T/a.png" 0 0 1 1 red
	[[ "$stderr" == "png-probe: COLOR: expected #rrggbb, got 'red'"* ]]
	run -2 --separate-stderr png-probe frobnicate "$T/a.png"
	[[ "$stderr" == "png-probe: unknown command 'frobnicate'"* ]]
	run -2 --separate-stderr png-probe pixel "$T/a.png" 1
	[[ "$stderr" == "png-probe: pixel: wrong number of arguments"* ]]
	run -2 --separate-stderr png-probe
	[[ "$stderr" == "png-probe: missing command"* ]]
	run -2 --separate-stderr png-probe count -t 300 "$T/a.png" 0 0 1 1 '#ffffff'
	[[ "$stderr" == "png-probe: --tolerance: '300' is not an integer in [0, 255]"* ]]
	run -1 --separate-stderr sh -c "png-probe crop '$T/a.png' 0 0 1 1 > /dev/full"
	[ "$stderr" = "png-probe: write: No space left on device" ]
	run -2 --separate-stderr script -qec "png-probe crop $T/a.png 0 0 1 1" /dev/null
	[[ "$output" == *"refusing to write a binary stream to a terminal"* ]]
}

@test "help and version" {
	run -0 --separate-stderr png-probe --help
	[[ "${lines[0]}" == "usage: png-probe size FILE" ]]
	[ -z "$stderr" ]
	run -0 png-probe --version
	[[ "$output" == "png-probe (vicreg-tools) "* ]]
}
