#!/usr/bin/env bats
# vicreg-train: a tiny network on 200 CIFAR images for 20 steps: the loss
# falls, the logs have their rows and columns, --resume and SIGTERM give
# the uninterrupted run's bytes, and every documented error.
bats_require_minimum_version 1.5.0

CIFAR=data/cifar-10-binary.tar.gz
# The tiny network of the man page's example; one thread so that the
# bytes are reproducible and the shared machine is not oversubscribed.
TINY="--width 4 --rep-dim 16 --head-dim 32 --proj 32,32 --lr 3e-3 --threads 1 -q"

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	local D=$BATS_FILE_TMPDIR
	[ -f "$CIFAR" ] || { echo "missing $CIFAR (make data)" >&2; return 1; }
	cifar-decode -n 200 "$CIFAR" > "$D/images.npy"
	# 5 epochs x 4 steps of 50 pairs = 20 steps
	augment -q -e 5 -b 50 -s 1 -t 1 "$D/images.npy" > "$D/pairs.npy"
	cifar-decode -s test -n 64 "$CIFAR" |
	    augment -q -e 1 -b 32 -s 2 -t 1 > "$D/test-pairs.npy"
	# the uninterrupted run every other test compares with
	vicreg-train -o "$D/full.ck" ${TINY% -q} --log "$D/full.csv" \
	    --test "$D/test-pairs.npy" --test-log "$D/full-test.csv" \
	    < "$D/pairs.npy" 2> "$D/full.err"
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# u64 at byte offset $2 of file $1
u64_at() { od -A n -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }

@test "vicreg-train: the loss falls over 20 steps" {
	# mean of steps 1-5 against steps 16-20, by a clear margin
	run awk -F, 'NR >= 2 && NR <= 6 { a += $3 } NR >= 17 && NR <= 21 { b += $3 }
	    END { printf "%.3f %.3f\n", a / 5, b / 5; exit !(b / 5 < a / 5 - 2) }' \
	    "$D/full.csv"
	echo "first 5, last 5: $output"
	[ "$status" -eq 0 ]
}

@test "vicreg-train: parameter count on stderr, checkpoint header" {
	grep -qx 'vicreg-train: encoder 45,944 + projector 1,664 parameters' \
	    "$D/full.err"
	[ "$(u64_at "$D/full.ck" 304)" -eq 20 ]       # step
	[ "$(u64_at "$D/full.ck" 312)" -eq 5 ]        # epoch
	[ "$(u64_at "$D/full.ck" 16)" -eq 4 ]         # width
	[ "$(echo $(od -A n -t d8 -j 248 -N 32 "$D/full.ck"))" = "5 4 50 200" ]
	local P; P=$(u64_at "$D/full.ck" 280)
	[ "$P" -eq $((45944 + 1664)) ]
	local NB; NB=$(u64_at "$D/full.ck" 288)
	[ "$(stat -c %s "$D/full.ck")" -eq $((512 + 4 * (3 * P + NB) + 4)) ]
	[ ! -e "$D/full.ck.tmp" ]
}

@test "vicreg-train: --log has the header and one row of 7 columns per step" {
	[ "$(head -1 "$D/full.csv")" = "step,epoch,loss,inv,var,cov,lr" ]
	[ "$(wc -l < "$D/full.csv")" -eq 21 ]
	# step 1..20, epoch = ceil(step / 4), finite numbers, lr constant
	run awk -F, 'NR > 1 {
		if (NF != 7 || $1 != NR - 1 || $2 != int((NR - 2) / 4) + 1 ||
		    $7 != 0.003 || $3 !~ /^[0-9.e+-]+$/ || $6 !~ /^[0-9.e+-]+$/)
			bad = bad " " NR
	} END { if (bad) { print "bad rows" bad; exit 1 } }' "$D/full.csv"
	[ "$status" -eq 0 ]
	# loss = 25 inv + 25 var + 1 cov
	run awk -F, 'NR > 1 { d = $3 - (25 * $4 + 25 * $5 + $6); if (d < 0) d = -d
	    if (d > 1e-4 * $3) bad = bad " " NR } END { if (bad) { print bad; exit 1 } }' \
	    "$D/full.csv"
	[ "$status" -eq 0 ]
}

@test "vicreg-train: --test-log has one row per epoch" {
	[ "$(head -1 "$D/full-test.csv")" = "epoch,loss,inv,var,cov" ]
	run awk -F, 'NR > 1 { if (NF != 5 || $1 != NR - 1 || $2 !~ /^[0-9.e+-]+$/)
	    bad = 1 } END { exit bad || NR != 6 }' "$D/full-test.csv"
	[ "$status" -eq 0 ]
}

@test "vicreg-train: same seed, same bytes; another seed differs" {
	vicreg-train -o "$T/a.ck" $TINY --steps 2 < "$D/pairs.npy"
	vicreg-train -o "$T/b.ck" $TINY --steps 2 < "$D/pairs.npy"
	vicreg-train -o "$T/c.ck" $TINY --steps 2 --seed 7 < "$D/pairs.npy"
	cmp "$T/a.ck" "$T/b.ck"
	! cmp -s "$T/a.ck" "$T/c.ck"
	[ "$(u64_at "$T/a.ck" 304)" -eq 2 ]
	[ "$(u64_at "$T/c.ck" 240)" -eq 7 ]
}

@test "vicreg-train: --steps then --resume gives the uninterrupted run's bytes" {
	cp "$D/full.csv" "$T/log.csv"       # a stale log: rows past 7 go
	vicreg-train -o "$T/r.ck" $TINY --steps 7 --log "$T/log.csv" \
	    --test "$D/test-pairs.npy" --test-log "$T/test.csv" < "$D/pairs.npy"
	[ "$(u64_at "$T/r.ck" 304)" -eq 7 ]
	[ "$(wc -l < "$T/log.csv")" -eq 8 ]
	run -0 --separate-stderr vicreg-train -o "$T/r.ck" ${TINY% -q} \
	    --resume --log "$T/log.csv" --test "$D/test-pairs.npy" \
	    --test-log "$T/test.csv" < "$D/pairs.npy"
	[[ "$stderr" == *"resuming $T/r.ck at step 7 of 20"* ]]
	cmp "$T/r.ck" "$D/full.ck"
	cmp "$T/log.csv" "$D/full.csv"
	cmp "$T/test.csv" "$D/full-test.csv"
}

@test "vicreg-train: --keep-epochs keeps each epoch's checkpoint as FILE.eN" {
	vicreg-train -o "$T/k.ck" $TINY --keep-epochs --steps 9 < "$D/pairs.npy"
	# 4 steps per epoch: epochs 1 and 2 are complete at step 9
	[ "$(u64_at "$T/k.ck.e1" 304)" -eq 4 ]
	[ "$(u64_at "$T/k.ck.e2" 304)" -eq 8 ]
	[ ! -e "$T/k.ck.e3" ]
	vicreg-train -o "$T/k.ck" $TINY --keep-epochs --resume < "$D/pairs.npy"
	# the last epoch's copy is the finished model, the run unchanged
	cmp "$T/k.ck.e5" "$D/full.ck"
	cmp "$T/k.ck" "$D/full.ck"
	[ "$(u64_at "$T/k.ck.e3" 304)" -eq 12 ]
}

@test "vicreg-train: --resume of a finished run reads the stream and changes nothing" {
	cp "$D/full.ck" "$T/r.ck"
	vicreg-train -o "$T/r.ck" $TINY --resume < "$D/pairs.npy"
	cmp "$T/r.ck" "$D/full.ck"
	# the steps it skips must all be there
	{ for i in 0 1 2 3; do tensor pick $i "$D/pairs.npy"; done; } > "$T/s.npy"
	run -1 --separate-stderr vicreg-train -o "$T/r.ck" $TINY --resume < "$T/s.npy"
	[ "$stderr" = "vicreg-train: stdin: stream ended at step 3, before the 20 steps $T/r.ck has done" ]
	cmp "$T/r.ck" "$D/full.ck"
}

# Feed the plan and 3 steps through a FIFO, wait for their log lines,
# send signal $1 while vicreg-train waits for the 4th; sets status.
interrupt() {
	mkfifo "$T/fifo"
	vicreg-train -o "$T/s.ck" $TINY --log "$T/s.csv" < "$T/fifo" 2> "$T/err" &
	local pid=$! i
	exec 7> "$T/fifo"
	for i in 0 1 2 3; do tensor pick $i "$D/pairs.npy"; done >&7
	for i in $(seq 300); do
		[ "$(wc -l < "$T/s.csv")" -ge 4 ] && break
		sleep 0.1
	done
	[ "$(wc -l < "$T/s.csv")" -eq 4 ]
	kill -"$1" "$pid"
	sleep 0.5
	exec 7>&-
	status=0
	wait "$pid" || status=$?
	cat "$T/err"
}

@test "vicreg-train: SIGTERM finishes the step, saves, exits 143; resume completes" {
	interrupt TERM
	[ "$status" -eq 143 ]
	grep -qx "vicreg-train: Terminated: saved $T/s.ck at step 3" "$T/err"
	[ "$(u64_at "$T/s.ck" 304)" -eq 3 ]
	vicreg-train -o "$T/s.ck" $TINY --resume --log "$T/s.csv" < "$D/pairs.npy"
	cmp "$T/s.ck" "$D/full.ck"
	cmp "$T/s.csv" "$D/full.csv"
}

@test "vicreg-train: SIGINT saves and exits 130" {
	interrupt INT
	[ "$status" -eq 130 ]
	grep -qx "vicreg-train: Interrupt: saved $T/s.ck at step 3" "$T/err"
	[ "$(u64_at "$T/s.ck" 304)" -eq 3 ]
}

@test "vicreg-train: cosine schedule with warm-up in the lr column" {
	vicreg-train -o "$T/c.ck" $TINY --schedule cosine --warmup-steps 2 \
	    --steps 4 --log "$T/c.csv" < "$D/pairs.npy"
	# t = 0, 1: 3e-3 (t + 1) / 2; t >= 2: 3e-3 0.5 (1 + cos(pi (t - 2) / 18))
	run awk -F, 'NR > 1 { t = $1 - 1
		want = t < 2 ? 3e-3 * (t + 1) / 2 : 3e-3 * 0.5 * (1 + cos(3.14159265358979 * (t - 2) / 18))
		d = $7 - want; if (d < 0) d = -d; if (d > 1e-12) { print NR, $7, want; bad = 1 } }
	    END { exit bad || NR != 5 }' "$T/c.csv"
	[ "$status" -eq 0 ]
	[ "$(echo $(od -A n -t u8 -j 216 -N 24 "$T/c.ck"))" = "1 2 20" ]
}

@test "vicreg-train: adamw trains and differs from adam" {
	vicreg-train -o "$T/w.ck" $TINY --optimizer adamw --wd 0.1 --steps 2 < "$D/pairs.npy"
	vicreg-train -o "$T/a.ck" $TINY --wd 0.1 --steps 2 < "$D/pairs.npy"
	[ "$(u64_at "$T/w.ck" 168)" -eq 1 ]
	! cmp -s "$T/w.ck" "$T/a.ck"
}

# ---- errors ----

@test "vicreg-train: a stream without the plan" {
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY < "$D/images.npy"
	[ "$stderr" = "vicreg-train: stdin: expected the plan, int64 [4], first; got uint8 [200,3,32,32]" ]
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY < /dev/null
	[ "$stderr" = "vicreg-train: stdin: empty stream (expected the plan, int64 [4], then the pairs)" ]
	[ ! -e "$T/x.ck" ]
}

@test "vicreg-train: a bad plan" {
	tensor const -t int64 -s 4 0 > "$T/plan.npy"
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY < "$T/plan.npy"
	[[ "$stderr" == "vicreg-train: stdin: bad plan (0 epochs, 0 steps per epoch, batch 0, 0 images)"* ]]
}

@test "vicreg-train: a bad stream shape, saving the steps done first" {
	{ tensor pick 0 "$D/pairs.npy"; tensor pick 1 "$D/pairs.npy"
	  cat "$D/images.npy"; } > "$T/s.npy"
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY < "$T/s.npy"
	[ "${stderr_lines[0]}" = "vicreg-train: saved $T/x.ck at step 1" ]
	[ "${stderr_lines[1]}" = "vicreg-train: stdin: array 2: expected pairs float32 [B,2,3,32,32], got uint8 [200,3,32,32]" ]
	[ "$(u64_at "$T/x.ck" 304)" -eq 1 ]
}

@test "vicreg-train: a batch larger than the plan's" {
	augment -q -e 1 -b 64 -s 1 -t 1 "$D/images.npy" | tensor pick 1 > "$T/big.npy"
	{ tensor pick 0 "$D/pairs.npy"; cat "$T/big.npy"; } > "$T/s.npy"
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY < "$T/s.npy"
	[ "$stderr" = "vicreg-train: stdin: array 1: batch of 64 pairs, the plan allows 2 to 50" ]
}

@test "vicreg-train: NaN in the pairs" {
	{ tensor pick 0 "$D/pairs.npy"; tensor pick 1 "$D/pairs.npy"; } > "$T/s.npy"
	# a NaN as the first float of pair 3 of array 1
	local p hl
	p=$(tensor pick 0 "$D/pairs.npy" | wc -c)
	hl=$(od -A n -t u2 -j $((p + 8)) -N 2 "$T/s.npy" | tr -d ' ')
	printf '\000\000\300\177' | dd of="$T/s.npy" bs=1 \
	    seek=$((p + 10 + hl + 3 * 2 * 3072 * 4)) conv=notrunc status=none
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY < "$T/s.npy"
	[ "$stderr" = "vicreg-train: stdin: array 1: NaN or Inf in pair 3" ]
}

@test "vicreg-train: a stream that ends early saves and fails" {
	{ for i in 0 1 2; do tensor pick $i "$D/pairs.npy"; done; } > "$T/s.npy"
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY < "$T/s.npy"
	[ "${stderr_lines[0]}" = "vicreg-train: saved $T/x.ck at step 2" ]
	[ "${stderr_lines[1]}" = "vicreg-train: stdin: stream ended after 2 of 20 steps" ]
	[ "$(u64_at "$T/x.ck" 304)" -eq 2 ]
}

@test "vicreg-train: arrays after the last step" {
	tensor cat "$D/pairs.npy" "$D/images.npy" > "$T/s.npy"
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY < "$T/s.npy"
	[ "${stderr_lines[0]}" = "vicreg-train: saved $T/x.ck at step 20" ]
	[[ "${stderr_lines[1]}" == "vicreg-train: stdin: array 21, byte "*": unexpected extra array after the last expected one" ]]
	cmp "$T/x.ck" "$D/full.ck"
}

@test "vicreg-train: --resume refuses another architecture" {
	cp "$D/full.ck" "$T/r.ck"
	run -1 --separate-stderr vicreg-train -o "$T/r.ck" $TINY --width 8 --resume < "$D/pairs.npy"
	[ "$stderr" = "vicreg-train: $T/r.ck: architecture differs from the options: width 4 in the checkpoint, 8 given" ]
	run -1 --separate-stderr vicreg-train -o "$T/r.ck" $TINY --proj 32,33 --resume < "$D/pairs.npy"
	[ "$stderr" = "vicreg-train: $T/r.ck: architecture differs from the options: projector layer 2 width 32 in the checkpoint, 33 given" ]
	cmp "$T/r.ck" "$D/full.ck"
}

@test "vicreg-train: --resume refuses another plan" {
	cp "$D/full.ck" "$T/r.ck"
	augment -q -e 1 -b 40 -s 1 -t 1 "$D/images.npy" > "$T/p.npy"
	run -1 --separate-stderr vicreg-train -o "$T/r.ck" $TINY --resume < "$T/p.npy"
	[ "$stderr" = "vicreg-train: $T/r.ck: trained on a plan of 5 epochs x 4 steps, batch 50, 200 images; stdin has 1 x 5, batch 40, 200" ]
}

@test "vicreg-train: --resume refuses a corrupt or foreign checkpoint" {
	cp "$D/full.ck" "$T/r.ck"
	printf 'x' | dd of="$T/r.ck" bs=1 seek=1000 conv=notrunc status=none
	run -1 --separate-stderr vicreg-train -o "$T/r.ck" $TINY --resume < "$D/pairs.npy"
	[ "$stderr" = "vicreg-train: $T/r.ck: corrupt checkpoint (CRC mismatch)" ]
	echo hello > "$T/r.ck"
	run -1 --separate-stderr vicreg-train -o "$T/r.ck" $TINY --resume < "$D/pairs.npy"
	[ "$stderr" = "vicreg-train: $T/r.ck: not a vicreg checkpoint (bad magic)" ]
	head -c 600 "$D/full.ck" > "$T/r.ck"
	run -1 --separate-stderr vicreg-train -o "$T/r.ck" $TINY --resume < "$D/pairs.npy"
	[[ "$stderr" == "vicreg-train: $T/r.ck: truncated checkpoint (600 bytes, its header describes "* ]]
	cp "$D/full.ck" "$T/r.ck"
	printf '\002' | dd of="$T/r.ck" bs=1 seek=8 conv=notrunc status=none
	run -1 --separate-stderr vicreg-train -o "$T/r.ck" $TINY --resume < "$D/pairs.npy"
	[ "$stderr" = "vicreg-train: $T/r.ck: unsupported checkpoint version 2 (this build reads version 1)" ]
}

@test "vicreg-train: an unwritable -o fails before training" {
	run -1 --separate-stderr vicreg-train -o /nonexistent/dir/x.ck $TINY < "$D/pairs.npy"
	[ "$stderr" = "vicreg-train: /nonexistent/dir/x.ck.tmp: No such file or directory" ]
}

@test "vicreg-train: a missing --test file" {
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY --test "$T/none.npy" \
	    --test-log "$T/t.csv" < "$D/pairs.npy"
	[ "$stderr" = "vicreg-train: $T/none.npy: No such file or directory" ]
}

@test "vicreg-train: a loss that becomes NaN stops without saving it" {
	# identical images and --eps 0: the variance term's gradient is
	# inf * 0, the parameters become NaN after step 1
	{ printf '1\n3\n2\n2\n' | tensor from-text -t int64
	  for i in 1 2 3; do tensor const -t float32 -s 2,2,3,32,32 0.5; done
	} > "$T/c.npy"
	run -1 --separate-stderr vicreg-train -o "$T/x.ck" $TINY --eps 0 \
	    --checkpoint-every 1 < "$T/c.npy"
	[ "$stderr" = "vicreg-train: loss is NaN at step 2; $T/x.ck keeps step 1" ]
	[ "$(u64_at "$T/x.ck" 304)" -eq 1 ]
	run -1 --separate-stderr vicreg-train -o "$T/y.ck" $TINY --eps 0 < "$T/c.npy"
	[ "$stderr" = "vicreg-train: loss is NaN at step 2; no checkpoint written" ]
	[ ! -e "$T/y.ck" ]
}

@test "vicreg-train: usage errors exit 2" {
	run -2 --separate-stderr vicreg-train $TINY < "$D/pairs.npy"
	[ "${stderr_lines[0]}" = "vicreg-train: -o FILE is required" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" --proj 32,,32
	[ "${stderr_lines[0]}" = "vicreg-train: --proj: '32,,32' is not a list like 512,512,512" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" --proj 8,8,8,8,8
	[ "${stderr_lines[0]}" = "vicreg-train: --proj: at most 4 layers" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" --optimizer lars
	[ "${stderr_lines[0]}" = "vicreg-train: --optimizer: lars is not implemented (adam or adamw)" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" --optimizer sgd
	[ "${stderr_lines[0]}" = "vicreg-train: --optimizer: 'sgd' is not adam or adamw" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" --schedule step
	[ "${stderr_lines[0]}" = "vicreg-train: --schedule: 'step' is not constant or cosine" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" --test "$D/test-pairs.npy"
	[ "${stderr_lines[0]}" = "vicreg-train: --test and --test-log go together" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" --test - --test-log "$T/t"
	[ "${stderr_lines[0]}" = "vicreg-train: --test: must be a file (it is read every epoch)" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" --lr abc
	[ "${stderr_lines[0]}" = "vicreg-train: --lr: 'abc' is not a number in [0, 10]" ]
	run -2 --separate-stderr vicreg-train -o "$T/x.ck" extra
	[ "${stderr_lines[0]}" = "vicreg-train: unexpected argument 'extra'" ]
	run -2 --separate-stderr vicreg-train --bogus
	[ "${stderr_lines[1]}" = "vicreg-train: bad option" ]
}

@test "vicreg-train: --help on stdout, --version" {
	run -0 --separate-stderr vicreg-train --help
	[[ "${lines[0]}" == "usage: vicreg-train -o FILE"* ]]
	[ -z "$stderr" ]
	run -0 vicreg-train --version
	[[ "$output" == "vicreg-train (vicreg-tools) "* ]]
}

@test "vicreg-train: the man page is lint-clean" {
	run -0 mandoc -Tlint -Wwarning man/man1/vicreg-train.1 man/man5/vicreg-checkpoint.5
}
