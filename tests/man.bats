#!/usr/bin/env bats
# Every tool has a man page, every page is clean under mandoc's lint and
# renders, and every tool answers --help, --version and a bad option.
bats_require_minimum_version 1.5.0

@test "every tool has a man page and a bats file" {
	for src in tools/*.c; do
		name=$(basename "$src" .c)
		[ -f "man/man1/$name.1" ] || { echo "no man/man1/$name.1"; return 1; }
		[ -f "tests/$name.bats" ] || { echo "no tests/$name.bats"; return 1; }
	done
}

@test "man pages are clean under mandoc -Tlint" {
	run mandoc -Tlint -Wwarning man/man1/*.1 man/man5/*.5
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "man pages render with NAME, SYNOPSIS, EXIT STATUS and EXAMPLES" {
	for page in man/man1/*.1; do
		run mandoc -Tmarkdown "$page"
		[ "$status" -eq 0 ]
		for section in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" EXAMPLES; do
			[[ "$output" == *"# $section"* ]] || { echo "$page: no $section"; return 1; }
		done
	done
}

@test "every tool: --help on stdout exits 0, --version names the project, a bad option exits 2" {
	for src in tools/*.c; do
		name=$(basename "$src" .c)
		run --separate-stderr "$name" --help
		[ "$status" -eq 0 ] && [ -n "$output" ] || { echo "$name --help"; return 1; }
		run "$name" --version
		[[ "$output" == "$name (vicreg-tools) "* ]] || { echo "$name --version: $output"; return 1; }
		run -2 --separate-stderr "$name" --no-such-option
		[ -z "$output" ] || { echo "$name wrote to stdout"; return 1; }
		[[ "$stderr" == "$name: "* || "$stderr" == *"$name"* ]] || { echo "$name: $stderr"; return 1; }
	done
}
