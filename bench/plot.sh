#!/bin/sh
# bench/plot.sh - a 50,000-point scatter (10 classes, legend, title) to
# an 800x700 PNG: plot scatter against matplotlib 3.x (Agg), alternating,
# 5 runs each; medians in seconds.  Both run single-threaded.  matplotlib is timed twice: the whole
# command (python start, import, draw, save) and draw+save alone.
set -eu
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
RUNS=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -x bin/plot ] || { echo "bench/plot.sh: build bin/plot first" >&2; exit 1; }

$PY - "$tmp" <<'PYEOF'
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(0)
N = 50000
lab = rng.integers(0, 10, N)
cent = rng.normal(0, 8, (10, 2))
pts = (cent[lab] + rng.normal(0, 2, (N, 2))).astype(np.float32)
with open(d + "/in.npy", "wb") as f:
    np.save(f, pts)
    np.save(f, lab.astype(np.int64))
PYEOF

cat > "$tmp/mpl.py" <<'PYEOF'
import sys, time
import numpy as np
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
with open(sys.argv[1], "rb") as f:
    pts = np.load(f)
    lab = np.load(f)
t0 = time.perf_counter()
tab10 = plt.get_cmap("tab10").colors
fig, ax = plt.subplots(figsize=(8, 7), dpi=100)
order = np.random.default_rng(0).permutation(len(lab))
ax.scatter(pts[order, 0], pts[order, 1], s=9, alpha=0.5, linewidths=0,
           c=np.array(tab10)[lab[order]])
for k in range(10):
    ax.scatter([], [], color=tab10[k], label=str(k))
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
ax.set_title("scatter")
fig.savefig(sys.argv[2], bbox_inches="tight")
print(time.perf_counter() - t0)
PYEOF

now() { date +%s.%N; }
i=0
: > "$tmp/ours"; : > "$tmp/mpl"; : > "$tmp/mpl_draw"
while [ $i -lt "$RUNS" ]; do
	t0=$(now)
	bin/plot scatter -o "$tmp/ours.png" --title scatter "$tmp/in.npy"
	t1=$(now)
	# one BLIS thread: with BLIS_NUM_THREADS=2 numpy's small products
	# inside matplotlib ran ~10x slower on the shared 2-core machine
	d=$(BLIS_NUM_THREADS=1 $PY "$tmp/mpl.py" "$tmp/in.npy" "$tmp/mpl.png")
	t2=$(now)
	echo "$t1 - $t0" | bc -l >> "$tmp/ours"
	echo "$t2 - $t1" | bc -l >> "$tmp/mpl"
	echo "$d" >> "$tmp/mpl_draw"
	i=$((i + 1))
done
med() { sort -g "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
o=$(med "$tmp/ours"); m=$(med "$tmp/mpl"); md=$(med "$tmp/mpl_draw")
printf '%-44s %10s %8s\n' "scatter, 50,000 points, 800x700 PNG" "median s" "ratio"
printf '%-44s %10.3f %8s\n' "plot scatter (whole command)" "$o" "1.00"
printf '%-44s %10.3f %8.1f\n' "matplotlib (whole command)" "$m" "$(echo "$m / $o" | bc -l)"
printf '%-44s %10.3f %8.1f\n' "matplotlib (draw + savefig only)" "$md" "$(echo "$md / $o" | bc -l)"
