#!/usr/bin/env bats
# Runs that lose nothing: `augment < images | vicreg-train --resume`, as
# pipelines/study.mk runs it, killed with SIGKILL at seeded random
# moments and restarted, ends with the uninterrupted run's bytes
# (checkpoint, kept epoch checkpoints, both logs); a death or an I/O
# error while a checkpoint is written leaves the old one intact; a
# checkpoint of another architecture, or with one byte flipped anywhere,
# is refused with one line and exit 1.
bats_require_minimum_version 1.5.0

CIFAR=data/cifar-10-binary.tar.gz
# The smallest sensible network (as in vicreg-train.bats), one thread.
NET="--width 4 --rep-dim 16 --head-dim 32 --proj 32,32 --lr 3e-3 --threads 1"
# 300 images, batch 25: 4 epochs x 12 steps = 48 steps.
STEPS=48

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	local D=$BATS_FILE_TMPDIR
	[ -f "$CIFAR" ] || { echo "missing $CIFAR (make data)" >&2; return 1; }
	cifar-decode -n 300 "$CIFAR" > "$D/images.npy"
	cifar-decode -s test -n 50 "$CIFAR" |
	    augment -q -e 1 -b 25 -s 2 -t 1 > "$D/test-pairs.npy"
	# the uninterrupted run
	mkdir "$D/full"
	train "$D/full" 2> "$D/full/err"
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# train DIR [OPTIONS]: the study's training pipeline into DIR, resuming
# from DIR/ck if it is there; a checkpoint after every step.
train() {
	local dir=$1
	shift
	augment -q -e 4 -b 25 -s 1 -t 1 < "$BATS_FILE_TMPDIR/images.npy" |
	    vicreg-train $NET -q --resume --checkpoint-every 1 --keep-epochs \
	    -o "$dir/ck" --log "$dir/loss.csv" \
	    --test "$BATS_FILE_TMPDIR/test-pairs.npy" \
	    --test-log "$dir/test.csv" "$@"
}

# u64 at byte offset $2 of file $1
u64_at() { od -A n -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
rows() { if [ -f "$1" ]; then echo $(( $(wc -l < "$1") - 1 )); else echo 0; fi; }

# Everything the uninterrupted run wrote, byte for byte.
same_as_full() {
	local f
	for f in ck ck.e1 ck.e2 ck.e3 ck.e4 loss.csv test.csv; do
		cmp "$1/$f" "$D/full/$f"
	done
	[ "$(u64_at "$1/ck" 304)" -eq "$STEPS" ]
}

# A seeded sequence (a 31-bit LCG), so the kills land at the same kind
# of moments on every run: next_rand N sets r to a number in [0, N).
next_rand() {
	seed=$(( (seed * 1103515245 + 12345) % 2147483648 ))
	r=$(( (seed >> 8) % $1 ))
}

@test "durable: the uninterrupted run finished all $STEPS steps" {
	[ "$(u64_at "$D/full/ck" 304)" -eq "$STEPS" ]
	[ "$(rows "$D/full/loss.csv")" -eq "$STEPS" ]
	[ "$(rows "$D/full/test.csv")" -eq 4 ]
	[ ! -s "$D/full/err" ]
}

@test "durable: 4 SIGKILLs of the pipeline at random moments, then the uninterrupted run's bytes" {
	local seed=20261128 r i pid target delay landed=0 prev=0 step
	mkdir "$T/run"
	for i in 1 2 3 4; do
		# kill after the log has grown by 0 to 8 rows (0: during the
		# start-up or while the trainer skips the steps done), plus
		# 0 to 60 ms (about a step): during a step, a log line or a
		# checkpoint write
		next_rand 9
		target=$(( $(rows "$T/run/loss.csv") + r ))
		next_rand 61
		delay=$(printf '0.%03d' "$r")
		setsid bash -c "$(declare -f train); NET='$NET'; \
		    BATS_FILE_TMPDIR='$D'; train '$T/run'" 2>> "$T/err" &
		pid=$!
		# until setsid has made the process group
		while ! kill -0 -- "-$pid" 2> /dev/null &&
		    kill -0 "$pid" 2> /dev/null; do
			sleep 0.001
		done
		while [ "$(rows "$T/run/loss.csv")" -lt "$target" ] &&
		    kill -0 "$pid" 2> /dev/null; do
			sleep 0.01
		done
		sleep "$delay"
		# the whole process group (augment too); it must still be
		# running, so that every kill interrupts something
		kill -0 "$pid"
		kill -KILL -- "-$pid"
		wait "$pid" || true
		landed=$((landed + 1))
		if [ -f "$T/run/ck" ]; then
			step=$(u64_at "$T/run/ck" 304)
			[ "$step" -ge "$prev" ]      # nothing lost
			[ "$step" -lt "$STEPS" ]
			prev=$step
		fi
		echo "kill $i: after row $target + ${delay}s: checkpoint at step $prev" >&3
	done
	[ "$landed" -eq 4 ]
	[ "$prev" -gt 0 ]
	train "$T/run" 2>> "$T/err"
	same_as_full "$T/run"
	[ ! -e "$T/run/ck.tmp" ]
}

@test "durable: a kill while the checkpoint is written (SIGXFSZ) leaves the old one; resume completes" {
	mkdir "$T/run"
	train "$T/run" --steps 5
	cp "$T/run/ck" "$T/ck5"
	# the next checkpoint write passes the file size limit: the kernel
	# kills the trainer with SIGXFSZ in the middle of writing ck.tmp
	run bash -c "ulimit -c 0; ulimit -f 200; $(declare -f train); \
	    NET='$NET'; BATS_FILE_TMPDIR='$D'; train '$T/run'"
	[ "$status" -ne 0 ]
	[ -f "$T/run/ck.tmp" ]
	[ "$(stat -c %s "$T/run/ck.tmp")" -eq 204800 ]
	cmp "$T/run/ck" "$T/ck5"
	train "$T/run"
	same_as_full "$T/run"
	[ ! -e "$T/run/ck.tmp" ]
}

@test "durable: a write error (EFBIG) keeps the old checkpoint and removes the temporary" {
	mkdir "$T/run"
	train "$T/run" --steps 5
	cp "$T/run/ck" "$T/ck5"
	# SIGXFSZ ignored: the write fails with EFBIG instead
	run -1 --separate-stderr bash -c "trap '' XFSZ; ulimit -f 200; \
	    $(declare -f train); NET='$NET'; BATS_FILE_TMPDIR='$D'; \
	    train '$T/run'"
	[ "$stderr" = "vicreg-train: $T/run/ck.tmp: File too large" ]
	[ ! -e "$T/run/ck.tmp" ]
	cmp "$T/run/ck" "$T/ck5"
	train "$T/run"
	same_as_full "$T/run"
}

@test "durable: an -o that is not a regular file is refused before training" {
	# (ckpt_save, which would otherwise rename its temporary over it,
	# checks the same again when it writes)
	mkdir -p "$T/run/ck"
	augment -q -e 1 -b 25 -s 1 -t 1 < "$D/images.npy" > "$T/pairs.npy"
	run -1 --separate-stderr vicreg-train $NET -q --steps 2 -o "$T/run/ck" \
	    < "$T/pairs.npy"
	[ "$stderr" = "vicreg-train: $T/run/ck: not a regular file" ]
	[ ! -e "$T/run/ck.tmp" ]
	[ -d "$T/run/ck" ]
}

@test "durable: a stale temporary and a half-rewritten log from a kill are ignored" {
	mkdir "$T/run"
	train "$T/run" --steps 7
	head -c 1000 "$T/run/ck" > "$T/run/ck.tmp"
	head -c 100 "$T/run/loss.csv" > "$T/run/loss.csv.tmp"
	# rows past the checkpoint, the last one cut short
	awk -F, 'NR > 1 && NR <= 5 { print 7 + NR - 1 "," substr($0, index($0, ",") + 1) }' \
	    "$D/full/loss.csv" >> "$T/run/loss.csv"
	printf '12,2,37.5' >> "$T/run/loss.csv"
	train "$T/run"
	same_as_full "$T/run"
	[ ! -e "$T/run/ck.tmp" ] && [ ! -e "$T/run/loss.csv.tmp" ]
}

# flip DST SRC OFFSET: DST is SRC with the byte at OFFSET inverted.
flip() {
	cp "$2" "$1"
	local b
	b=$(od -A n -t u1 -j "$3" -N 1 "$2" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 255)))" |
	    dd of="$1" bs=1 seek="$3" conv=notrunc status=none
}

# refused DIR TOOL: $stderr is one of the documented refusals of a
# damaged checkpoint DIR/ck of $size bytes
refused() {
	[ "$stderr" = "$2: $1/ck: corrupt checkpoint (CRC mismatch)" ] ||
	[[ "$stderr" == "$2: $1/ck: truncated checkpoint ($size bytes, its header describes "*" bytes)" ]] ||
	[[ "$stderr" == "$2: $1/ck: corrupt checkpoint ("*" bytes after the checksum)" ]]
}

@test "durable: one flipped byte anywhere after the version is refused by both readers" {
	local ck=$D/full/ck size off
	size=$(stat -c %s "$ck")
	mkdir "$T/x"
	# width, projector width, a loss weight, the seed, the parameter
	# count, the step, the rng, the reserved zeros, the first and last
	# parameter, a buffer, Adam's m and v, the CRC itself
	for off in 16 64 128 240 280 304 320 400 512 515 60000 300000 \
	    $((size - 100)) $((size - 4)) $((size - 1)); do
		flip "$T/x/ck" "$ck" "$off"
		run -1 --separate-stderr train "$T/x"
		echo "offset $off: $stderr"
		refused "$T/x" vicreg-train
		# it is left as it was, not overwritten
		flip "$T/y.ck" "$ck" "$off"
		cmp "$T/x/ck" "$T/y.ck"
		run -1 --separate-stderr encode -m "$T/x/ck" < "$D/images.npy"
		refused "$T/x" encode
	done
}

@test "durable: a checkpoint of another width is refused before anything is read" {
	mkdir "$T/x"
	cp "$D/full/ck" "$T/x/ck"
	NET=${NET/--width 4/--width 8} run -1 --separate-stderr train "$T/x"
	[ "$stderr" = "vicreg-train: $T/x/ck: architecture differs from the options: width 4 in the checkpoint, 8 given" ]
	cmp "$T/x/ck" "$D/full/ck"
}
