#!/usr/bin/env bats
# plot: decode the PNGs it writes (png-probe) and check what is drawn
# where.  Inputs are made with tensor from-text.
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
	for t in plot png-probe tensor; do
		command -v "$t" >/dev/null || { echo "missing $t" >&2; return 1; }
	done
}

# key of a --metrics file
metric() { awk -F'\t' -v k="$2" '$1 == k { print $2 }' "$1"; }

# pixel column / row of data x / y, from a --metrics file
col_of() {
	awk -v x="$2" -v l="$(metric "$1" plot_left)" \
	    -v r="$(metric "$1" plot_right)" -v a="$(metric "$1" x_min)" \
	    -v b="$(metric "$1" x_max)" \
	    'BEGIN { printf "%d\n", int(l + (x - a) / (b - a) * (r - l)) }'
}
row_of() {
	awk -v y="$2" -v t="$(metric "$1" plot_top)" \
	    -v bo="$(metric "$1" plot_bottom)" -v a="$(metric "$1" y_min)" \
	    -v b="$(metric "$1" y_max)" -v lg="${3:-0}" 'BEGIN {
		if (lg) { y = log(y); a = log(a); b = log(b) }
		printf "%d\n", int(bo - (y - a) / (b - a) * (bo - t)) }'
}

points() {   # three points of classes 0, 3 and 9
	printf '2 2\n5 7\n8 3\n' | tensor from-text -t float32 -r 2 > "$T/pts.npy"
	printf '0\n3\n9\n' | tensor from-text -t int64 > "$T/lab.npy"
	cat "$T/pts.npy" "$T/lab.npy" > "$T/in.npy"
}

@test "scatter: default size 800x700, --width/--height" {
	points
	run -0 plot scatter -o "$T/a.png" "$T/in.npy"
	run -0 png-probe size "$T/a.png"
	[ "$output" = "800 700" ]
	run -0 plot scatter --width 320 --height 240 -o "$T/b.png" "$T/in.npy"
	run -0 png-probe size "$T/b.png"
	[ "$output" = "320 240" ]
}

@test "scatter: each class in its tab10 colour at its data position" {
	points
	run -0 plot scatter -o "$T/a.png" --xlim 0,10 --ylim 0,10 --alpha 1 \
	    --size 3 --legend none --metrics "$T/m" "$T/in.npy"
	[ "$(metric "$T/m" x_min)" = 0 ] && [ "$(metric "$T/m" y_max)" = 10 ]
	for p in "2 2 #1f77b4" "5 7 #d62728" "8 3 #17becf"; do
		set -- $p
		run -0 png-probe pixel "$T/a.png" "$(col_of "$T/m" "$1")" \
		    "$(row_of "$T/m" "$2")"
		[ "$output" = "$3" ]
	done
	# and nowhere else: each colour is one small disc
	run -0 png-probe find "$T/a.png" '#d62728'
	set -- $output
	[ $(($3 - $1)) -le 6 ] && [ $(($4 - $2)) -le 6 ]
}

@test "scatter: points from a stream on stdin, labels in a second file" {
	points
	plot scatter --xlim 0,10 --ylim 0,10 --alpha 1 --size 3 --legend none \
	    --metrics "$T/m" "$T/pts.npy" "$T/lab.npy" > "$T/a.png"
	plot scatter --xlim 0,10 --ylim 0,10 --alpha 1 --size 3 --legend none \
	    -o "$T/b.png" < "$T/in.npy"
	cmp "$T/a.png" "$T/b.png"
	run -0 png-probe pixel "$T/a.png" "$(col_of "$T/m" 8)" "$(row_of "$T/m" 3)"
	[ "$output" = "#17becf" ]
}

@test "scatter: alpha blends over white" {
	points
	run -0 plot scatter -o "$T/a.png" --xlim 0,10 --ylim 0,10 --alpha 0.5 \
	    --size 3 --legend none --no-grid --metrics "$T/m" "$T/in.npy"
	run -0 png-probe pixel "$T/a.png" "$(col_of "$T/m" 2)" "$(row_of "$T/m" 2)"
	# 255 + (0x1f - 255) / 2 = 139 = 0x8f, (0x77 -> 0xbb), (0xb4 -> 0xda)
	[ "$output" = "#8fbbda" ]
}

@test "scatter: legend box right of the plot holds every class colour and text" {
	points
	run -0 plot scatter -o "$T/a.png" --class-names plane,car,bird,cat,deer,dog,frog,horse,ship,truck \
	    --metrics "$T/m" "$T/in.npy"
	r=$(metric "$T/m" plot_right); t=$(metric "$T/m" plot_top)
	w=$((800 - r - 2)); h=80
	run -0 png-probe nonbg "$T/a.png" $((r + 2)) "$t" "$w" "$h"
	[ "$output" -gt 300 ]
	for c in '#1f77b4' '#d62728' '#17becf'; do
		run -0 png-probe count "$T/a.png" $((r + 2)) "$t" "$w" "$h" "$c"
		[ "$output" -gt 10 ]
	done
	# only the classes present: no orange (class 1) swatch
	run -0 png-probe count "$T/a.png" $((r + 2)) "$t" "$w" "$h" '#ff7f0e'
	[ "$output" -eq 0 ]
	# without labels there is no legend and the margin stays empty
	run -0 plot scatter -o "$T/b.png" --metrics "$T/m2" "$T/pts.npy"
	r=$(metric "$T/m2" plot_right)
	run -0 png-probe nonbg "$T/b.png" $((r + 2)) 0 $((800 - r - 2)) 700
	[ "$output" -eq 0 ]
}

@test "scatter: --classes FILE names, too few names is an error" {
	points
	printf 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n' > "$T/names"
	run -0 plot scatter -o "$T/a.png" --classes "$T/names" "$T/in.npy"
	printf 'a\nb\n' > "$T/few"
	run -1 --separate-stderr plot scatter -o "$T/b.png" --classes "$T/few" "$T/in.npy"
	[ "$stderr" = "plot: classes: 2 names for labels up to 9" ]
}

@test "scatter: marks drawn as black dots with a white ring" {
	points
	printf '5 5\n' | tensor from-text -t float32 -r 2 > "$T/marks.npy"
	run -0 plot scatter -o "$T/a.png" --xlim 0,10 --ylim 0,10 --legend none \
	    --marks "$T/marks.npy" --metrics "$T/m" "$T/in.npy"
	x=$(col_of "$T/m" 5); y=$(row_of "$T/m" 5)
	run -0 png-probe pixel "$T/a.png" "$x" "$y"
	[ "$output" = "#000000" ]
	run -0 png-probe find "$T/a.png" '#000000' $((x - 8)) $((y - 8)) 17 17
	set -- $output
	[ $(($3 - $1)) -ge 7 ] && [ $(($3 - $1)) -le 11 ]
	# white ring between dot and the grid
	run -0 png-probe count "$T/a.png" $((x - 8)) $((y - 8)) 17 17 '#ffffff'
	[ "$output" -gt 20 ]
	# a third array in the stream is taken as marks, as kmeans writes
	cat "$T/in.npy" "$T/marks.npy" > "$T/in3.npy"
	run -0 plot scatter -o "$T/b.png" --xlim 0,10 --ylim 0,10 --legend none "$T/in3.npy"
	cmp "$T/a.png" "$T/b.png"
}

@test "scatter: same input gives identical bytes; --seed changes the order" {
	awk 'BEGIN { srand(3); for (i = 0; i < 3000; i++)
		printf "%f %f\n", rand(), rand() }' |
	    tensor from-text -t float32 -r 2 > "$T/p.npy"
	awk 'BEGIN { for (i = 0; i < 3000; i++) print i % 4 }' |
	    tensor from-text -t uint8 > "$T/l.npy"
	plot scatter -o "$T/a.png" --size 4 "$T/p.npy" "$T/l.npy"
	plot scatter -o "$T/b.png" --size 4 "$T/p.npy" "$T/l.npy"
	cmp "$T/a.png" "$T/b.png"
	plot scatter -o "$T/c.png" --size 4 --seed 7 "$T/p.npy" "$T/l.npy"
	! cmp -s "$T/a.png" "$T/c.png"
	# --order label draws class 3 last: its colour wins where classes overlap
	plot scatter -o "$T/d.png" --size 4 --alpha 1 --order label "$T/p.npy" "$T/l.npy"
	plot scatter -o "$T/e.png" --size 4 --alpha 1 --order input "$T/p.npy" "$T/l.npy"
	run -0 png-probe size "$T/d.png"
	! cmp -s "$T/d.png" "$T/e.png"
}

@test "scatter: the PNG is 8-bit RGB with sRGB, gAMA, cHRM and no time" {
	points
	plot scatter -o "$T/a.png" "$T/in.npy"
	run -0 png-probe info "$T/a.png"
	[[ "$output" == *"bit_depth	8"* ]]
	[[ "$output" == *"color_type	rgb"* ]]
	[[ "$output" == *"sRGB	1"* && "$output" == *"gAMA	1"* ]]
	[[ "$output" == *"cHRM	1"* && "$output" == *"tIME	0"* ]]
}

@test "scatter: more than 10 classes reuse the palette, with a warning" {
	printf '1 1\n9 9\n' | tensor from-text -t float32 -r 2 > "$T/p.npy"
	printf '0\n10\n' | tensor from-text -t int32 > "$T/l.npy"
	run -0 --separate-stderr plot scatter -o "$T/a.png" --xlim 0,10 \
	    --ylim 0,10 --alpha 1 --size 3 --legend none --metrics "$T/m" \
	    "$T/p.npy" "$T/l.npy"
	[ "$stderr" = "plot: 11 classes: the 10 colours repeat (label % 10)" ]
	run -0 png-probe pixel "$T/a.png" "$(col_of "$T/m" 9)" "$(row_of "$T/m" 9)"
	[ "$output" = "#1f77b4" ]
}

@test "scatter: data errors exit 1 with one line" {
	points
	printf '0\n1\n' | tensor from-text -t int64 > "$T/l2.npy"
	run -1 --separate-stderr plot scatter -o "$T/a.png" "$T/pts.npy" "$T/l2.npy"
	[ "$stderr" = "plot: labels: 2 labels for 3 points" ]
	printf '0\n1\n2\n' | tensor from-text -t float32 > "$T/lf.npy"
	run -1 --separate-stderr plot scatter -o "$T/a.png" "$T/pts.npy" "$T/lf.npy"
	[ "$stderr" = "plot: labels: expected integer [N], got float32 [3]" ]
	printf '0\n-1\n2\n' | tensor from-text -t int32 > "$T/ln.npy"
	run -1 --separate-stderr plot scatter -o "$T/a.png" "$T/pts.npy" "$T/ln.npy"
	[ "$stderr" = "plot: labels: label -1 at row 1 out of range [0, 1000000]" ]
	printf '1 2 3\n' | tensor from-text -t float32 -r 3 > "$T/p3.npy"
	run -1 --separate-stderr plot scatter -o "$T/a.png" "$T/p3.npy"
	[ "$stderr" = "plot: points: expected float32 or float64 [N,2], got float32 [1,3]" ]
	# the last float of [1,2] replaced by a NaN (0x7fc00000, little-endian)
	printf '1 2\n' | tensor from-text -t float32 -r 2 | head -c -4 > "$T/pn.npy"
	printf '\000\000\300\177' >> "$T/pn.npy"
	run -1 --separate-stderr plot scatter -o "$T/a.png" "$T/pn.npy"
	[ "$stderr" = "plot: points: row 0 is not finite" ]
	run -1 --separate-stderr plot scatter -o "$T/a.png" "$T/pts.npy" "$T/lab.npy" "$T/pts.npy" "$T/lab.npy"
	[ "$stderr" = "plot: $T/lab.npy: unexpected array after marks" ]
	run -1 --separate-stderr plot scatter -o "$T/a.png" "$T/pts.npy" "$T/lab.npy" "$T/lab.npy"
	[ "$stderr" = "plot: marks: expected float32 or float64 [N,2], got int64 [3]" ]
	run -1 --separate-stderr plot scatter -o "$T/a.png" --class-names a,b "$T/pts.npy"
	[ "$stderr" = "plot: class names given but the stream has no labels" ]
	run -1 --separate-stderr plot scatter -o "$T/a.png" < /dev/null
	[ "$stderr" = "plot: stream ended before points" ]
	echo "not a tensor" > "$T/junk.npy"
	run -1 --separate-stderr plot scatter -o "$T/a.png" "$T/junk.npy"
	[[ "$stderr" == "plot: $T/junk.npy"* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	run -1 --separate-stderr plot scatter -o /dev/full "$T/in.npy"
	[ "$stderr" = "plot: /dev/full: No space left on device" ]
	run -1 --separate-stderr sh -c "plot scatter '$T/in.npy' > /dev/full"
	[ "$stderr" = "plot: stdout: No space left on device" ]
	run -1 --separate-stderr plot scatter -o "$T/no/such/dir.png" "$T/in.npy"
	[[ "$stderr" == "plot: $T/no/such/dir.png: No such file or directory" ]]
}

@test "plot: usage errors exit 2" {
	points
	run -2 --separate-stderr plot
	[ "${lines[0]:-}" = "" ]
	[[ "$stderr" == "plot: missing sub-command (scatter, lines, grid or panels)"* ]]
	run -2 --separate-stderr plot bars
	[[ "$stderr" == "plot: unknown sub-command 'bars'"* ]]
	run -2 --separate-stderr plot scatter --alpha 2 -o "$T/a.png" "$T/in.npy"
	[[ "$stderr" == "plot: --alpha: '2' is not a number in [0.01, 1]"* ]]
	run -2 --separate-stderr plot scatter --xlim 5,1 -o "$T/a.png" "$T/in.npy"
	[[ "$stderr" == "plot: --xlim: LO must be below HI, got '5,1'"* ]]
	run -2 --separate-stderr plot scatter --xlim 5 -o "$T/a.png" "$T/in.npy"
	[[ "$stderr" == "plot: --xlim: expected LO,HI, got '5'"* ]]
	run -2 --separate-stderr plot scatter --order random -o "$T/a.png" "$T/in.npy"
	[[ "$stderr" == "plot: --order: expected shuffle, label or input, got 'random'"* ]]
	run -2 --separate-stderr plot scatter --legend middle -o "$T/a.png" "$T/in.npy"
	[[ "$stderr" == "plot: --legend: unknown place 'middle'"* ]]
	run -2 --separate-stderr plot scatter --cols 3 -o "$T/a.png" "$T/in.npy"
	[[ "$stderr" == "plot: scatter: option '--cols' does not apply"* ]]
	run -2 --separate-stderr plot scatter --classes "$T/x" --class-names a -o "$T/a.png" "$T/in.npy"
	[[ "$stderr" == "plot: --classes and --class-names exclude each other"* ]]
	run -2 --separate-stderr plot scatter --bogus
	[[ "$stderr" == *"plot: scatter: bad option"* ]]
	run -2 --separate-stderr script -qec "plot scatter $T/in.npy" /dev/null
	[[ "$output" == *"refusing to write a PNG to a terminal"* ]]
}

@test "plot: --help on stdout exits 0, --version" {
	run -0 --separate-stderr plot --help
	[[ "${lines[0]}" == "usage: plot scatter"* ]]
	[ -z "$stderr" ]
	run -0 plot lines -h
	[[ "${lines[0]}" == "usage: plot scatter"* ]]
	run -0 plot --version
	[[ "$output" == "plot (vicreg-tools) "* ]]
}

# ---- lines ----

@test "lines: a horizontal series is a row of its colour at the mapped y" {
	printf '0 2\n5 2\n10 2\n' | tensor from-text -t float32 -r 2 > "$T/s.npy"
	run -0 plot lines -o "$T/a.png" --series "$T/s.npy:flat" --xlim 0,10 \
	    --ylim 0,4 --linewidth 3 --legend none --metrics "$T/m" --no-grid
	y=$(row_of "$T/m" 2)
	l=$(metric "$T/m" plot_left); r=$(metric "$T/m" plot_right)
	run -0 png-probe count "$T/a.png" "$l" "$y" $((r - l)) 1 '#1f77b4'
	[ "$output" -ge $((r - l - 2)) ]
	# nothing of it two rows beyond the 3-pixel line
	run -0 png-probe count "$T/a.png" "$l" $((y - 3)) $((r - l)) 1 '#1f77b4'
	[ "$output" -eq 0 ]
	run -0 png-probe count "$T/a.png" "$l" $((y + 3)) $((r - l)) 1 '#1f77b4'
	[ "$output" -eq 0 ]
}

@test "lines: --logy maps decades evenly" {
	for v in 0.01 1 100; do
		printf '0 %s\n10 %s\n' "$v" "$v" | tensor from-text -t float32 -r 2 > "$T/s$v.npy"
	done
	run -0 plot lines -o "$T/a.png" --series "$T/s0.01.npy:a" \
	    --series "$T/s1.npy:b" --series "$T/s100.npy:c" --logy \
	    --ylim 0.001,1000 --linewidth 3 --legend none --no-grid --metrics "$T/m"
	l=$(metric "$T/m" plot_left)
	ya=$(row_of "$T/m" 0.01 1); yb=$(row_of "$T/m" 1 1); yc=$(row_of "$T/m" 100 1)
	for p in "$ya #1f77b4" "$yb #ff7f0e" "$yc #2ca02c"; do
		set -- $p
		run -0 png-probe pixel "$T/a.png" $((l + 50)) "$1"
		[ "$output" = "$2" ]
	done
	d1=$((ya - yb)); d2=$((yb - yc))
	[ "$d1" -gt 50 ] && [ $((d1 - d2)) -le 1 ] && [ $((d2 - d1)) -le 1 ]
	# the same plot on a linear axis puts 0.01 and 1 nearly together
	run -0 plot lines -o "$T/b.png" --series "$T/s0.01.npy:a" \
	    --series "$T/s1.npy:b" --ylim 0,100 --legend none --metrics "$T/m2"
	[ $(( $(row_of "$T/m2" 0.01) - $(row_of "$T/m2" 1) )) -le 6 ]
	# ticks labelled at decades: text left of the plot at each decade row
	run -0 png-probe nonbg "$T/a.png" 0 $((yb - 6)) "$l" 13
	[ "$output" -gt 10 ]
	run -2 --separate-stderr plot lines -o "$T/c.png" --series "$T/s1.npy:b" --logy --ylim 0,10
	[[ "$stderr" == "plot: --ylim: a log axis needs LO > 0"* ]]
}

@test "lines: CSV columns by name, one colour per series, legend" {
	printf 'step,epoch,loss,inv,var,cov,lr\n' > "$T/log.csv"
	for i in 0 1 2 3 4 5 6 7 8 9 10; do
		printf '%d,0,3,1,2,0.5,0.3\n' "$i" >> "$T/log.csv"
	done
	run -0 plot lines -o "$T/a.png" --csv "$T/log.csv" --y loss,inv \
	    --xlim 0,10 --ylim 0,4 --linewidth 3 --legend lower-left --metrics "$T/m"
	l=$(metric "$T/m" plot_left); r=$(metric "$T/m" plot_right)
	run -0 png-probe pixel "$T/a.png" $((r - 40)) "$(row_of "$T/m" 3)"
	[ "$output" = "#1f77b4" ]
	run -0 png-probe pixel "$T/a.png" $((r - 40)) "$(row_of "$T/m" 1)"
	[ "$output" = "#ff7f0e" ]
	# the legend (lower left) carries text
	b=$(metric "$T/m" plot_bottom)
	run -0 png-probe nonbg "$T/a.png" $((l + 40)) $((b - 50)) 40 45
	[ "$output" -gt 20 ]
	# var was not asked for
	run -0 png-probe count "$T/a.png" "$l" 0 $((r - l)) 700 '#2ca02c'
	[ "$output" -eq 0 ]
	# xlabel defaults to the x column
	run -0 png-probe nonbg "$T/a.png" "$l" $((b + 25)) $((r - l)) 14
	[ "$output" -gt 10 ]
}

@test "lines: --smooth draws the moving average over a faint raw line" {
	awk 'BEGIN { for (i = 0; i <= 40; i++) print i, (i % 2) * 2 }' |
	    tensor from-text -t float32 -r 2 > "$T/z.npy"
	run -0 plot lines -o "$T/a.png" --series "$T/z.npy:zigzag" --smooth 2 \
	    --xlim 0,40 --ylim 0,2 --linewidth 3 --legend none --no-grid --metrics "$T/m"
	l=$(metric "$T/m" plot_left); r=$(metric "$T/m" plot_right)
	y=$(row_of "$T/m" 1)
	run -0 png-probe count "$T/a.png" $((l + 30)) "$y" $((r - l - 60)) 1 '#1f77b4'
	[ "$output" -ge $((r - l - 62)) ]
	# the raw zigzag is there, faint (light blue, not the full colour)
	run -0 png-probe count "$T/a.png" "$l" $((y - 40)) $((r - l)) 20 '#1f77b4'
	[ "$output" -eq 0 ]
	run -0 png-probe nonbg "$T/a.png" "$l" $((y - 40)) $((r - l)) 20
	[ "$output" -gt 50 ]
}

@test "lines: ROC with --diagonal, --xy columns and labels carrying the AUC" {
	printf '2 0 0\n1 0 0.5\n0.5 0.2 0.9\n0 1 1\n' |
	    tensor from-text -t float64 -r 3 > "$T/roc.npy"
	run -0 plot lines -o "$T/a.png" --series "$T/roc.npy:VICReg (AUC 0.93)" \
	    --xy 1,2 --diagonal --xlim 0,1 --ylim 0,1 --width 500 --height 500 \
	    --metrics "$T/m"
	l=$(metric "$T/m" plot_left); r=$(metric "$T/m" plot_right)
	t=$(metric "$T/m" plot_top); b=$(metric "$T/m" plot_bottom)
	# dashed grey y = x from corner to corner
	run -0 png-probe find -t 40 "$T/a.png" '#808080' "$l" "$t" $((r - l)) $((b - t))
	set -- $output
	[ "$1" -le $((l + 6)) ] && [ "$3" -ge $((r - 6)) ]
	[ "$2" -le $((t + 6)) ] && [ "$4" -ge $((b - 6)) ]
	[ "$5" -gt 200 ]
	# ... and only near the diagonal: none in the upper-left quarter
	run -0 png-probe count -t 40 "$T/a.png" "$l" "$t" $(((r - l) / 3)) $(((b - t) / 3)) '#808080'
	[ "$output" -eq 0 ]
	# the curve: (0, 0.5) on the left edge in series colour
	run -0 png-probe find "$T/a.png" '#1f77b4' "$l" $(( $(row_of "$T/m" 0.5) - 1 )) 3 3
	# legend in the lower right ("best") with text
	run -0 png-probe nonbg "$T/a.png" $((r - 120)) $((b - 30)) 110 22
	[ "$output" -gt 40 ]
}

@test "lines: errors" {
	printf '0 1\n1 2\n' | tensor from-text -t float32 -r 2 > "$T/s.npy"
	printf '0 1 2\n' | tensor from-text -t float64 -r 3 > "$T/r.npy"
	run -2 --separate-stderr plot lines -o "$T/a.png"
	[[ "$stderr" == "plot: lines: no data (give --csv FILE or --series FILE:LABEL)"* ]]
	run -2 --separate-stderr plot lines -o "$T/a.png" --series "$T/s.npy"
	[[ "$stderr" == "plot: --series: expected FILE:LABEL, got '$T/s.npy'"* ]]
	run -2 --separate-stderr plot lines -o "$T/a.png" --series "$T/s.npy:a" --labels a,b
	[[ "$stderr" == "plot: --labels: 2 labels for 1 series"* ]]
	run -1 --separate-stderr plot lines -o "$T/a.png" --series "$T/r.npy:a" --xy 1,3
	[ "$stderr" = "plot: $T/r.npy: expected float [M,K] with K > 3, got float64 [1,3]" ]
	printf 'step,loss\n0,1\n1\n' > "$T/bad.csv"
	run -1 --separate-stderr plot lines -o "$T/a.png" --csv "$T/bad.csv" --y loss
	[ "$stderr" = "plot: $T/bad.csv:3: 1 fields, the header has 2" ]
	printf 'step,loss\n0,1\n' > "$T/ok.csv"
	run -1 --separate-stderr plot lines -o "$T/a.png" --csv "$T/ok.csv" --y acc
	[ "$stderr" = "plot: $T/ok.csv: no column 'acc'" ]
	run -1 --separate-stderr plot lines -o "$T/a.png" --csv "$T/ok.csv" --x epoch
	[ "$stderr" = "plot: $T/ok.csv: no column 'epoch' (x)" ]
	run -1 --separate-stderr plot lines -o "$T/a.png" --csv "$T/none.csv"
	[ "$stderr" = "plot: $T/none.csv: No such file or directory" ]
}

# ---- grid ----

images() {   # two 4x5 RGB images with distinct bytes, labels 3 and 8
	awk 'BEGIN { for (i = 0; i < 120; i++)
		printf "%d%s", (i * 37 + 11) % 256, i % 60 == 59 ? "\n" : " " }' |
	    tensor from-text -t uint8 -r 3,4,5 > "$T/img.npy"
	printf '3\n8\n' | tensor from-text -t uint8 > "$T/il.npy"
}

@test "grid: every cell is its source image upscaled exactly" {
	images
	run -0 plot grid -o "$T/g.png" --scale 3 --metrics "$T/m" "$T/img.npy"
	x=$(metric "$T/m" grid_left); y=$(metric "$T/m" grid_top)
	px=$(metric "$T/m" pitch_x)
	[ "$(metric "$T/m" cell_width)" = 15 ] && [ "$(metric "$T/m" cell_height)" = 12 ]
	for n in 0 1; do
		png-probe crop -s 3 --planar "$T/g.png" $((x + n * px)) "$y" 15 12 > "$T/cell$n"
		tensor take "$n" "$T/img.npy" | tail -c 60 > "$T/want$n"
		cmp "$T/cell$n" "$T/want$n"
	done
	# a thin white gutter between the cells
	run -0 png-probe count "$T/g.png" $((x + 15)) "$y" $((px - 15)) 12 '#ffffff'
	[ "$output" -eq $(((px - 15) * 12)) ]
	[ "$px" -ge 16 ] && [ "$px" -le 19 ]
}

@test "grid: --denormalize undoes the CIFAR normalisation" {
	tensor const -t float32 -s 1,3,2,2 0 > "$T/z.npy"
	run -0 plot grid -o "$T/g.png" --denormalize --scale 1 --metrics "$T/m" "$T/z.npy"
	# mean * 255 rounded: (125, 123, 114)
	run -0 png-probe pixel "$T/g.png" "$(metric "$T/m" grid_left)" "$(metric "$T/m" grid_top)"
	[ "$output" = "#7d7b72" ]
	run -1 --separate-stderr plot grid -o "$T/g.png" "$T/z.npy"
	[ "$stderr" = "plot: images: float32 images need --denormalize (or convert them to uint8)" ]
	images
	run -1 --separate-stderr plot grid -o "$T/g.png" --denormalize "$T/img.npy"
	[ "$stderr" = "plot: images: uint8 images need no --denormalize" ]
}

@test "grid: row, column and cell captions, title" {
	images
	plot grid -o "$T/plain.png" --scale 4 --metrics "$T/m0" "$T/img.npy"
	run -0 plot grid -o "$T/g.png" --scale 4 --cols 1 --row-labels "query: ship,nn 1" \
	    --col-labels 1 --title "Neighbours" --class-names a,b,c,cat,e,f,g,h,ship,j \
	    --metrics "$T/m" "$T/img.npy" "$T/il.npy"
	x=$(metric "$T/m" grid_left); y=$(metric "$T/m" grid_top)
	py=$(metric "$T/m" pitch_y)
	[ "$x" -gt "$(metric "$T/m0" grid_left)" ]      # room for row labels
	[ "$y" -gt 40 ]                                 # title and column labels
	run -0 png-probe nonbg "$T/g.png" 0 "$y" $((x - 2)) 20        # row label
	[ "$output" -gt 20 ]
	run -0 png-probe nonbg "$T/g.png" "$x" $((y - 14)) 20 13      # column label
	[ "$output" -gt 3 ]
	run -0 png-probe nonbg "$T/g.png" 0 0 "$(png-probe size "$T/g.png" | cut -d' ' -f1)" 30
	[ "$output" -gt 50 ]                                         # title
	run -0 png-probe nonbg "$T/g.png" "$x" $((y + 16)) 20 13      # cell caption "cat"
	[ "$output" -gt 10 ]
	# cells still exact
	png-probe crop -s 4 --planar "$T/g.png" "$x" $((y + py)) 20 16 > "$T/c1"
	tensor take 1 "$T/img.npy" | tail -c 60 > "$T/w1"
	cmp "$T/c1" "$T/w1"
	printf 'one\ntwo\n' > "$T/rows"
	run -0 plot grid -o "$T/h.png" --cols 1 --row-labels "$T/rows" "$T/img.npy"
}

@test "grid: errors" {
	images
	printf '1 2\n' | tensor from-text -t float32 -r 2 > "$T/p.npy"
	run -1 --separate-stderr plot grid -o "$T/g.png" "$T/p.npy"
	[ "$stderr" = "plot: images: expected [N,3,H,W], [N,1,H,W] or [N,H,W], got float32 [1,2]" ]
	run -2 --separate-stderr plot grid -o "$T/g.png" --cols 2 --row-labels a,b "$T/img.npy"
	[[ "$stderr" == "plot: --row-labels: 2 labels for 1 rows"* ]]
	printf '3\n' | tensor from-text -t uint8 > "$T/l1.npy"
	run -1 --separate-stderr plot grid -o "$T/g.png" "$T/img.npy" "$T/l1.npy"
	[ "$stderr" = "plot: labels: expected integer [2], got uint8 [1]" ]
	run -1 --separate-stderr plot grid -o "$T/g.png" --class-names a,b "$T/img.npy" "$T/il.npy"
	[ "$stderr" = "plot: labels: label 3 at row 0 has no class name" ]
	run -2 --separate-stderr plot grid -o "$T/g.png" --col-labels a,b,c "$T/img.npy"
	[[ "$stderr" == "plot: --col-labels: 3 labels for 2 columns"* ]]
	run -2 --separate-stderr plot grid -o "$T/g.png" --cell-labels a,b,c "$T/img.npy"
	[[ "$stderr" == "plot: --cell-labels: 3 labels for 2 images"* ]]
	run -2 --separate-stderr plot grid -o "$T/g.png" --scale 0 "$T/img.npy"
	[[ "$stderr" == "plot: --scale: '0' is not an integer in [1, 32]"* ]]
}

# ---- panels ----

@test "panels: PNGs side by side, each copied exactly, with titles" {
	images
	plot grid -o "$T/a.png" --scale 2 "$T/img.npy"
	plot grid -o "$T/b.png" --scale 5 "$T/img.npy"
	read -r wa ha < <(png-probe size "$T/a.png")
	read -r wb hb < <(png-probe size "$T/b.png")
	run -0 plot panels -o "$T/p.png" --gap 10 "$T/a.png" "$T/b.png"
	run -0 png-probe size "$T/p.png"
	[ "$output" = "$((2 * wb + 10)) $hb" ]
	# the second panel is a pixel-exact copy
	png-probe crop "$T/b.png" 0 0 "$wb" "$hb" > "$T/want"
	png-probe crop "$T/p.png" $((wb + 10)) 0 "$wb" "$hb" > "$T/got"
	cmp "$T/want" "$T/got"
	# titles add a band above the panels, with text in it
	run -0 plot panels -o "$T/q.png" --cols 1 --titles "PCA,t-SNE" "$T/a.png" "$T/b.png"
	run -0 png-probe size "$T/q.png"
	set -- $output
	[ "$1" = "$wb" ] && [ "$2" -gt $((ha + hb + 10)) ]
	run -0 png-probe nonbg "$T/q.png" 0 0 "$wb" 26
	[ "$output" -gt 30 ]
}

@test "panels: --width shrinks a wider composition, aspect kept" {
	# one flat grey image, 16x upscaled: an 80x64 block inside a border
	tensor const --dtype uint8 --shape 1,3,4,5 200 > "$T/flat.npy"
	plot grid -o "$T/a.png" --scale 16 "$T/flat.npy"
	read -r wa ha < <(png-probe size "$T/a.png")
	run -0 plot panels -o "$T/p.png" --gap 0 "$T/a.png" "$T/a.png"
	run -0 plot panels -o "$T/s.png" --gap 0 --width "$wa" "$T/a.png" "$T/a.png"
	run -0 png-probe size "$T/s.png"
	[ "$output" = "$wa $(( (ha * wa + wa) / (2 * wa) ))" ]
	# the middle of the grey block keeps its colour at half size; the
	# corner keeps the white background
	run -0 png-probe pixel "$T/p.png" $((wa / 2)) $((ha / 2))
	[ "$output" = "#c8c8c8" ]
	run -0 png-probe pixel "$T/s.png" $((wa / 4)) $((ha / 4))
	[ "$output" = "#c8c8c8" ]
	run -0 png-probe pixel "$T/s.png" 0 0
	[ "$output" = "#ffffff" ]
	# narrower than --width: the same bytes as without it
	plot panels -o "$T/n.png" --gap 0 --width 8000 "$T/a.png" "$T/a.png"
	cmp "$T/p.png" "$T/n.png"
}

@test "panels: errors" {
	echo "not a png" > "$T/x.png"
	run -1 --separate-stderr plot panels -o "$T/p.png" "$T/x.png"
	[ "$stderr" = "plot: $T/x.png: not a PNG file" ]
	run -1 --separate-stderr plot panels -o "$T/p.png" "$T/none.png"
	[ "$stderr" = "plot: $T/none.png: No such file or directory" ]
	run -2 --separate-stderr plot panels -o "$T/p.png"
	[[ "$stderr" == "plot: panels: no PNG files"* ]]
	images
	plot grid -o "$T/a.png" "$T/img.npy"
	run -2 --separate-stderr plot panels -o "$T/p.png" --titles a,b,c "$T/a.png"
	[[ "$stderr" == "plot: --titles: 3 titles for 1 panels"* ]]
}

@test "man page examples" {
	# plot scatter with marks from kmeans-like output
	points
	printf '5 5\n' | tensor from-text -t float32 -r 2 > "$T/c.npy"
	cat "$T/pts.npy" "$T/lab.npy" "$T/c.npy" | plot scatter -o "$T/km.png" --title "k-means"
	run -0 png-probe size "$T/km.png"
	printf 'step,epoch,loss,inv,var,cov,lr\n0,0,30,5,10,3,0.3\n1,0,20,4,8,2,0.3\n' > "$T/train.csv"
	run -0 plot lines -o "$T/loss.png" --csv "$T/train.csv" --x step --y loss,inv,var,cov --smooth 20 --logy
	run -0 png-probe find "$T/loss.png" '#d62728'
}

@test "scatter: --equal gives both axes the same pixels per unit" {
	points
	run -0 plot scatter -o "$T/a.png" --equal --width 900 --height 400 \
	    --metrics "$T/m" "$T/in.npy"
	awk -F'\t' '{ v[$1] = $2 } END {
		sx = (v["plot_right"] - v["plot_left"]) / (v["x_max"] - v["x_min"])
		sy = (v["plot_bottom"] - v["plot_top"]) / (v["y_max"] - v["y_min"])
		exit !(sx / sy > 0.999 && sx / sy < 1.001) }' "$T/m"
	# the data still fit: every point is inside the limits
	awk -F'\t' '{ v[$1] = $2 } END {
		exit !(v["x_min"] < 2 && v["x_max"] > 8 && v["y_min"] < 2 && v["y_max"] > 7) }' "$T/m"
}

@test "lines: --markers puts a dot on every point" {
	printf '1 1\n5 3\n9 1\n' | tensor from-text -t float32 -r 2 > "$T/s.npy"
	plot lines -o "$T/a.png" --series "$T/s.npy:acc" --xlim 0,10 --ylim 0,4 \
	    --linewidth 1 --legend none --no-grid --metrics "$T/m"
	plot lines -o "$T/b.png" --series "$T/s.npy:acc" --xlim 0,10 --ylim 0,4 \
	    --linewidth 1 --legend none --no-grid --markers
	x=$(col_of "$T/m" 5); y=$(row_of "$T/m" 3)
	# just above the peak at (5, 3): nothing of the line, but the dot
	run -0 png-probe count -t 60 "$T/a.png" $((x - 3)) $((y - 3)) 7 3 '#1f77b4'
	[ "$output" -eq 0 ]
	run -0 png-probe count "$T/b.png" $((x - 3)) $((y - 3)) 7 3 '#1f77b4'
	[ "$output" -ge 6 ]
}

@test "lines: --mean-by-x averages the steps of an epoch (man page example)" {
	printf 'step,epoch,loss,inv,var,cov,lr\n' > "$T/train.csv"
	printf '0,0,3,1,1,1,0.3\n1,0,1,1,1,1,0.3\n2,1,2,1,1,1,0.3\n3,1,2,1,1,1,0.3\n' >> "$T/train.csv"
	printf 'epoch,loss,inv,var,cov\n0,1,1,1,1\n1,1,1,1,1\n' > "$T/test.csv"
	run -0 plot lines -o "$T/a.png" --csv "$T/train.csv" --csv "$T/test.csv" \
	    --x epoch --y loss --mean-by-x --markers --xlim 0,1 --ylim 0,4 \
	    --linewidth 3 --legend none --no-grid --metrics "$T/m"
	# train: flat at the mean 2 (not a zigzag through 3, 1, 2, 2); test: flat at 1
	l=$(metric "$T/m" plot_left); r=$(metric "$T/m" plot_right)
	run -0 png-probe count "$T/a.png" "$l" "$(row_of "$T/m" 2)" $((r - l)) 1 '#1f77b4'
	[ "$output" -ge $((r - l - 2)) ]
	run -0 png-probe count "$T/a.png" "$l" "$(row_of "$T/m" 1)" $((r - l)) 1 '#ff7f0e'
	[ "$output" -ge $((r - l - 2)) ]
	run -0 png-probe count -t 40 "$T/a.png" "$l" "$(row_of "$T/m" 3)" $((r - l)) 1 '#1f77b4'
	[ "$output" -eq 0 ]
}
