#!/usr/bin/env bats
# Every fuzz target (fuzz/*.c), built without libFuzzer by `make units`
# into $B/fuzz/ (fuzz/common/replay.c is its main), replays its
# committed seed corpus fuzz/corpus/TARGET/ and the regression inputs
# tests/fixtures/fuzz/TARGET-*: none may crash or fail a harness check.
# (ckpt_fixcrc shares ckpt's files.)  See fuzz/README.
bats_require_minimum_version 1.5.0

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	B=${B:-build}
}

replay() {
	local name=$1 base=${1%_fixcrc}
	local files
	[ -x "$B/fuzz/$name" ] || { echo "missing $B/fuzz/$name (make units)"; return 1; }
	files=$(ls fuzz/corpus/"$base"/* tests/fixtures/fuzz/"$base"-* 2>/dev/null || true)
	[ -n "$files" ] || { echo "no inputs for $name"; return 1; }
	run -0 --separate-stderr "$B/fuzz/$name" $files
	[ "$(printf '%s\n' "$stderr" | grep -c '^replay ')" -eq "$(echo "$files" | wc -l)" ]
}

@test "fuzz: every target has a seed corpus and a replay test here" {
	for src in fuzz/*.c; do
		name=$(basename "$src" .c)
		[ -n "$(ls "fuzz/corpus/${name%_fixcrc}")" ]
		grep -q "^@test \"fuzz replay: $name\"" "$BATS_TEST_FILENAME"
	done
}

@test "fuzz replay: npy" { replay npy; }
@test "fuzz replay: cifar" { replay cifar; }
@test "fuzz replay: idx" { replay idx; }
@test "fuzz replay: ckpt" { replay ckpt; }
@test "fuzz replay: ckpt_fixcrc" { replay ckpt_fixcrc; }
@test "fuzz replay: opt" { replay opt; }
@test "fuzz replay: tensor_text" { replay tensor_text; }
@test "fuzz replay: train_proj" { replay train_proj; }
@test "fuzz replay: plot_text" { replay plot_text; }

