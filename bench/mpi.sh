#!/bin/sh
# bench/mpi.sh - what data-parallel training costs on one machine:
# seconds per training step of vicreg-train as one process (1 thread,
# then 2) and as `mpirun -np 2` with one thread per process, at the
# same global batch, for width 16 (the default preset) and 64 (the
# study).  Every configuration reads the same pairs from a file (no
# augment in the timing).
#
# A step's time is taken from the moments vicreg-train's progress
# lines (one per step, at most one a second) arrive, after one warm-up
# step: the median over the steps that follow.  Images per second
# count a pair once, as vicreg-train does.
#
# Environment: WIDTHS ("16 64"), BATCH (256), STEPS (timed steps per
# run, 4), CONFIGS (ranks x threads per rank: "1x1 1x2 2x1"; more
# ranks than cores get --oversubscribe), MPIRUN_OPTS (more mpirun
# options, e.g. "--bind-to none": by default Open MPI binds each of 2
# processes to a core, which on a busy machine makes both wait for the
# slower core at every collective).  Needs bin/ and bin-mpi/
# (make all mpi) and Open MPI.  Measure on an idle machine: the line
# before the table gives its load.
set -eu
cd "$(dirname "$0")/.."
WIDTHS=${WIDTHS:-"16 64"}
BATCH=${BATCH:-256}
STEPS=${STEPS:-4}
CONFIGS=${CONFIGS:-"1x1 1x2 2x1"}
MPIRUN_OPTS=${MPIRUN_OPTS:-}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

for b in bin/vicreg-train bin/augment bin/cifar-decode bin/tensor; do
	[ -x "$b" ] || { echo "bench/mpi.sh: no $b (make all mpi)" >&2; exit 1; }
done
[ -x bin-mpi/vicreg-train ] ||
    { echo "bench/mpi.sh: no bin-mpi/vicreg-train (make mpi)" >&2; exit 1; }
command -v mpirun > /dev/null ||
    { echo "bench/mpi.sh: no mpirun (apt-get install openmpi-bin)" >&2; exit 1; }
[ -f data/cifar-10-binary.tar.gz ] || { echo "make data first" >&2; exit 1; }
cores=$(nproc)
root=
[ "$(id -u)" -ne 0 ] || root=--allow-run-as-root

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin/cifar-decode -n "$BATCH" data/cifar-10-binary.tar.gz |
    bin/augment -q -e $((STEPS + 1)) -b "$BATCH" -s 1 -t "$cores" \
    > "$tmp/pairs.npy"

# each line of stdin with the time it arrived in front
stamp() {
	while IFS= read -r line; do
		printf '%s %s\n' "$(date +%s.%N)" "$line"
	done
}

# the per-step seconds from stamped progress lines (on stdin): the
# median of (T_j - T_i) / (j - i) over consecutive lines from step 1's
# on, but not the last line (printed after the checkpoint is written)
per_step() {
	sed -n 's/^\([0-9.]*\) .*: step \([0-9]*\)\/[0-9]* .*/\1 \2/p' |
	awk '
	    BEGIN { n = 0 }   # t[n] with n unset would be t[""], not t[0]
	    { t[n] = $1; k[n++] = $2 }
	    END { for (i = 1; i < n - 1; i++) if (k[i] > k[i - 1])
		      d[m++] = (t[i] - t[i - 1]) / (k[i] - k[i - 1])
		  if (m == 0) exit 1
		  for (i = 0; i < m; i++) for (j = i + 1; j < m; j++)
		      if (d[j] < d[i]) { x = d[i]; d[i] = d[j]; d[j] = x }
		  print (m % 2 ? d[(m - 1) / 2] : (d[m / 2 - 1] + d[m / 2]) / 2) }'
}

echo "# $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $cores cores;" \
    "$(bin/vicreg-train -o "$tmp/x.ck" -v --threads 1 --steps 1 --width 4 \
    < "$tmp/pairs.npy" 2>&1 | sed -n 's/^blas: //p');" \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-6s %-8s %-6s %-10s %s\n' width ranks threads batch s/step images/s
for w in $WIDTHS; do
	for c in $CONFIGS; do
		r=${c%x*} t=${c#*x}
		rm -f "$tmp/x.ck"
		if [ "$r" -eq 1 ]; then
			bin/vicreg-train -o "$tmp/x.ck" --width "$w" \
			    --threads "$t" < "$tmp/pairs.npy"
		else
			over=
			[ $((r * t)) -le "$cores" ] || over=--oversubscribe
			mpirun $root $over $MPIRUN_OPTS -np "$r" sh -c "exec bin-mpi/vicreg-train \
			    -o $tmp/x.ck --width $w --threads $t \
			    < $tmp/pairs.npy"
		fi 2>&1 > /dev/null | stamp > "$tmp/err"
		[ -s "$tmp/x.ck" ] || { cat "$tmp/err" >&2; exit 1; }
		s=$(per_step < "$tmp/err") ||
		    { echo "bench/mpi.sh: no progress lines" >&2; exit 1; }
		printf '%-6s %-6s %-8s %-6s %-10.3f %.1f\n' "$w" "$r" "$t" \
		    "$BATCH" "$s" "$(echo "$BATCH / $s" | bc -l)"
	done
done
echo "# load $(cut -d' ' -f1-3 /proc/loadavg) at the end"
