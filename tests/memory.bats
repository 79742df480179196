#!/usr/bin/env bats
# Bounded memory: the largest realistic input of a few tools completes
# under `ulimit -v` set to the peak its man page states (CAVEATS) plus a
# fixed allowance.  ulimit -v bounds the address space, not the resident
# set: code and shared libraries, the stack of every BLIS and OpenMP
# thread and BLIS's packing buffers count too.  The smallest limit under
# which each tool runs on a 100-point input was measured at 17 MB with
# one thread and 25 MB with two (41 MB for pca), so the allowance is
# 64 MB.  glibc's malloc reserves 64 MB more for each thread that
# allocates (128 MB for a moment while it does): whether that fits
# depends on timing, so MALLOC_ARENA_MAX=1 makes every thread use the
# main arena and the outcome deterministic.
bats_require_minimum_version 1.5.0

CIFAR=data/cifar-10-binary.tar.gz
ALLOW=64          # MB
MiB=1048576

setup_file() {
	cd "$BATS_TEST_DIRNAME/.."
	local D=$BATS_FILE_TMPDIR
	[ -f "$CIFAR" ] || { echo "missing $CIFAR (make data)" >&2; return 1; }
	load helpers/npy
	# 50,000 x 128 floats in [0, 1]: the archive's first 6.4 MB of bytes
	# (pixels, between tar headers), deterministic and without a script
	{ npy_header "{'descr': '|u1', 'fortran_order': False, 'shape': (50000, 128), }"
	  gzip -dc "$CIFAR" | head -c 6400000; } |
	    tensor cast -t float32 --scale 0.00392156862745098 > "$D/x.npy"
	tensor take 0:10000 < "$D/x.npy" > "$D/x10k.npy"
}

setup() {
	cd "$BATS_TEST_DIRNAME/.."
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
}

# under BYTES CMD...: run CMD with its address space limited to BYTES
# (the man page's peak) plus the allowance; sets status, output.
under() {
	local kb=$(( $1 / 1024 + ALLOW * 1024 ))
	shift
	echo "ulimit -v $kb: $*"
	MALLOC_ARENA_MAX=1 run --separate-stderr \
	    bash -c 'ulimit -v "$1"; shift; "$@"' _ "$kb" "$@"
}

@test "memory: the data is 50,000 x 128 floats" {
	run tensor info "$D/x.npy"
	[ "$output" = "0 float32 [50000,128]" ]
}

@test "memory: knn-graph, a self graph of 50,000 x 128 points, k = 10, 2 threads" {
	local N=50000 dim=128 k=10 th=2
	# knn-graph(1): the points; per thread a 4 MiB tile and two
	# 1024-row blocks (8 KiB D); 16 (2k + 8) + 12 k bytes per query
	under $(( 4*N*dim + th*(4*MiB + 8192*dim) + N*(16*(2*k + 8) + 12*k) )) \
	    sh -c "knn-graph -k $k --threads $th < '$D/x.npy' > '$T/g.npy'"
	[ "$status" -eq 0 ]
	[ "$(tensor info "$T/g.npy")" = "0 int64 [50000,10]
1 float32 [50000,10]" ]
}

@test "memory: kmeans, 50,000 x 128 points, k = 10, 10 restarts, 2 threads" {
	local N=50000 dim=128 k=10 r=10 th=2
	# kmeans(1): the points, labels and centroids of every restart,
	# N (8 k + 48) bytes per thread
	under $(( 4*N*dim + 4*N*r + th*N*(8*k + 48) )) \
	    sh -c "kmeans -k $k --seed 1 --threads $th < '$D/x.npy' > '$T/k.npy'"
	[ "$status" -eq 0 ]
	[ "$(tensor info "$T/k.npy")" = "0 int32 [50000]
1 float32 [10,128]" ]
}

@test "memory: pca, 50,000 x 128 points to 2 dimensions" {
	local N=50000 dim=128 d=2
	# pca(1): the input, 12 D^2 for the covariance, 4 KiB D for a
	# block of centred rows, the output
	under $(( 4*N*dim + 12*dim*dim + 4096*dim + 4*N*d )) \
	    sh -c "pca -d $d < '$D/x.npy' > '$T/p.npy'"
	[ "$status" -eq 0 ]
	[ "$(tensor info "$T/p.npy")" = "0 float32 [50000,2]" ]
}

@test "memory: tsne, 10,000 x 128 points (perplexity 30, 50 iterations)" {
	local N=10000 dim=128 K=91
	# tsne(1): N (4 D + 84 K + 128) bytes, K = 3 perplexity + 1
	# neighbours, and 70 MB of FFT grids
	under $(( N*(4*dim + 84*K + 128) + 70*MiB )) \
	    sh -c "tsne --seed 1 --threads 2 --iterations 50 --early-iterations 25 \
	    < '$D/x10k.npy' > '$T/t.npy'"
	[ "$status" -eq 0 ]
	[ "$(tensor info "$T/t.npy")" = "0 float32 [10000,2]" ]
}

@test "memory: encode, the 10,000 test images at width 16, batch 256" {
	# a width-16 checkpoint (the default preset's network), one step
	cifar-decode -n 4 "$CIFAR" | augment -q -e 1 -b 4 -s 1 -t 1 |
	    vicreg-train -q --width 16 --threads 1 -o "$T/w16.ck"
	cifar-decode -s test "$CIFAR" > "$T/test.npy"
	# encode(1): the model, 1.1 MB per image of the batch and 12 MB of
	# kept weights: 0.31 GB
	under $(( 311 * MiB )) \
	    sh -c "encode -m '$T/w16.ck' --threads 2 < '$T/test.npy' > '$T/r.npy'"
	[ "$status" -eq 0 ]
	[ "$(tensor info "$T/r.npy")" = "0 float32 [10000,128]
1 uint8 [10000]" ]
}

@test "memory: cifar-decode, the whole training archive (150 MB of images)" {
	# cifar-decode(1): N bytes of labels and about 1 MB of buffers
	under $(( 50000 + MiB )) \
	    sh -c "cifar-decode '$CIFAR' | tensor info"
	[ "$status" -eq 0 ]
	[ "$output" = "0 uint8 [50000,3,32,32]
1 uint8 [50000]" ]
}

@test "memory: a limit below the stated peak does fail (the limit is real)" {
	# 30 MB: the points alone are 25.6 MB
	MALLOC_ARENA_MAX=1 run -1 --separate-stderr \
	    bash -c "ulimit -v 30720; pca -d 2 < '$D/x.npy' > '$T/p.npy'"
	[ "$stderr" = "pca: stdin: array 0, byte 128: cannot allocate 25600000 bytes" ]
}

@test "memory: mnist-decode, a header claiming 300 images of 2048x2048 and no data" {
	# read one such image at a time, not 256 (1 GB) before the data
	printf '\0\0\10\3\0\0\1\54\0\0\10\0\0\0\10\0' > "$T/h"
	MALLOC_ARENA_MAX=1 run -1 --separate-stderr bash -c \
	    "ulimit -v $((ALLOW * 1024)); mnist-decode '$T/h' > /dev/null"
	[ "$stderr" = "mnist-decode: $T/h: byte 16: truncated data (0 of 4194304 bytes)" ]
}

# Too small an address space for the threads or for BLIS's packing
# buffers: one line `tool: ...: why` and exit 1, never libgomp's
# message or BLIS's abort().  (Below about 15 MB the dynamic loader
# itself fails, before main: exit 127, its own message.)

@test "memory: threads that cannot start: one line, exit 1" {
	# 64 MB thread stacks (ulimit -s) in 48 MB of address space
	MALLOC_ARENA_MAX=1 run -1 --separate-stderr bash -c \
	    "ulimit -s 65536; ulimit -v 49152; knn-graph -k 3 --threads 2 < '$D/x10k.npy'"
	[ "$stderr" = "knn-graph: cannot start 2 threads (64 MB stacks): Resource temporarily unavailable" ]
	[ -z "$output" ]
	# OMP_STACKSIZE, as libgomp reads it, for 3 threads
	OMP_STACKSIZE=32M MALLOC_ARENA_MAX=1 run -1 --separate-stderr bash -c \
	    "ulimit -v 49152; augment -q -e 1 -b 4 -t 3 < /dev/null"
	[ "$stderr" = "augment: cannot start 3 threads (32 MB stacks): Resource temporarily unavailable" ]
	# the same with room for them starts
	OMP_STACKSIZE=2m MALLOC_ARENA_MAX=1 run -0 bash -c \
	    "ulimit -v 49152; tensor take 0:100 < '$D/x10k.npy' |
	    knn-graph -k 3 --threads 3 | tensor info"
	[ "${lines[0]}" = "0 int64 [100,3]" ]
}

@test "memory: limits from 16 to 64 MB: each run succeeds or fails in one line with exit 1" {
	tensor take 0:300 < "$D/x10k.npy" > "$T/x.npy"
	local kb tool rc n blis=0 ok=0 f=0
	for kb in $(seq 16384 4096 65536); do
		for tool in "pca -d 2" "tsne --iterations 20 --early-iterations 10" \
		    "knn-graph -k 3" "kmeans -q -k 3 --restarts 1"; do
			rc=0
			MALLOC_ARENA_MAX=1 bash -c "ulimit -v $kb; $tool --threads 2 \
			    < '$T/x.npy' > /dev/null 2> '$T/err'" || rc=$?
			n=$(wc -l < "$T/err")
			if [ "$rc" -eq 0 ]; then
				ok=$((ok + 1))
			elif [ "$rc" -eq 127 ] && grep -q "error while loading shared libraries" "$T/err"; then
				:       # the loader, before main
			elif [ "$rc" -eq 1 ] && [ "$n" -eq 1 ] &&
			    grep -q "^${tool%% *}: .*\(cannot \|Cannot allocate memory\|out of memory\)" "$T/err"; then
				grep -q "^${tool%% *}: BLIS: cannot allocate" "$T/err" &&
				    blis=$((blis + 1))
			else
				echo "ulimit -v $kb; $tool: exit $rc: $(head -c 400 "$T/err")"
				f=1
			fi
		done
	done
	echo "$ok runs succeeded, $blis stopped at BLIS's buffers"
	[ "$f" -eq 0 ]
	[ "$ok" -gt 0 ]
	# BLIS's own malloc failing was among the cases, and was caught
	[ "$blis" -gt 0 ]
}
