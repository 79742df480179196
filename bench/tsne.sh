#!/bin/sh
# bench/tsne.sh - tsne against scikit-learn 1.2 TSNE (Barnes-Hut, n_jobs=2,
# BLIS_NUM_THREADS=2), same data, runs alternating, median wall times.
# Data: Gaussian blobs (10 centres in 16-D, randomly projected to 128-D).
# Quality: one independent evaluator (numpy, below) computes the exact
# KL(P || Q) over all pairs of each embedding against the same P
# (sklearn's _joint_probabilities_nn), and trustworthiness (k=10) on a
# 2000-point sample.
#
#   bench/tsne.sh                 10k: REPS runs each; 50k: REPS50 runs of
#                                 ours and SK50 runs of sklearn
#   REPS=3 REPS50=1 SK50=1 SIZES="10000 50000" THREADS=2 (defaults)
set -eu
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
REPS50=${REPS50:-1}
SK50=${SK50:-1}
SIZES=${SIZES:-"10000 50000"}
THREADS=${THREADS:-2}
# Both tsne and sklearn's Cython loops run on libgomp; on a shared,
# oversubscribed machine its spinning barriers cost whole scheduler
# quanta, so both run with passive waiting (export OMP_WAIT_POLICY= to
# measure the default).
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY-passive}
PY=/usr/bin/python3
W=${TMPDIR:-/tmp}/bench-tsne.$$
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
make -s bin/tsne >&2

cat > "$W/gen.py" <<'PYEOF'
import sys
import numpy as np
n = int(sys.argv[1])
rng = np.random.default_rng(12345)
c = rng.normal(size=(10, 16)) * 4.0
lab = rng.integers(0, 10, size=n)
z = c[lab] + rng.normal(size=(n, 16))
r = rng.normal(size=(16, 128)) / 4.0
x = (z @ r + 0.1 * rng.normal(size=(n, 128))).astype(np.float32)
np.save(sys.argv[2], x)
PYEOF

cat > "$W/sk.py" <<'PYEOF'
import sys, time
import numpy as np
from sklearn.manifold import TSNE
x = np.load(sys.argv[1])
t = time.perf_counter()
e = TSNE(n_components=2, perplexity=30.0, init="pca", learning_rate="auto",
         method="barnes_hut", angle=0.5, n_jobs=2,
         random_state=0).fit_transform(x)
dt = time.perf_counter() - t
np.save(sys.argv[2], e.astype(np.float32))
print("%.3f" % dt)
PYEOF

cat > "$W/kl.py" <<'PYEOF'
# exact KL(P || Q) of each embedding against sklearn's P; trustworthiness
import sys
import numpy as np
from sklearn.manifold import trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities_nn
from sklearn.neighbors import NearestNeighbors


def read_first(path):
    with open(path, "rb") as fp:
        return np.lib.format.read_array(fp)


x = np.load(sys.argv[1])
n = x.shape[0]
k = min(n - 1, int(3 * 30.0 + 1))
d = NearestNeighbors(n_neighbors=k).fit(x).kneighbors_graph(mode="distance")
d.data **= 2
P = _joint_probabilities_nn(d, 30.0, 0).tocoo()
rows, cols, pv = P.row, P.col, P.data.astype(np.float64)
sub = np.random.default_rng(0).choice(n, size=min(n, 2000), replace=False)
for path in sys.argv[2:]:
    y = read_first(path).astype(np.float64)
    z = 0.0
    for s in range(0, n, 1000):
        b = y[s:s + 1000]
        d2 = (b * b).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2 * b @ y.T
        w = 1.0 / (1.0 + np.maximum(d2, 0))
        z += w.sum() - w[np.arange(len(b)), np.arange(s, s + len(b))].sum()
    dd = ((y[rows] - y[cols]) ** 2).sum(1)
    q = (1.0 / (1.0 + dd)) / z
    kl = float((pv * np.log(pv / q)).sum())
    t = trustworthiness(x[sub], y[sub], n_neighbors=10)
    print("%s %.6f %.6f" % (path, kl, t))
PYEOF

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '%-7s %-8s %5s %10s %10s %9s %9s\n' N tool runs median_s ratio exact_KL trust10
for n in $SIZES; do
	x="$W/x$n.npy"
	$PY "$W/gen.py" "$n" "$x"
	reps=$REPS
	skreps=$REPS
	if [ "$n" -ge 50000 ]; then
		reps=$REPS50
		skreps=$SK50
	fi
	: > "$W/ours$n.t"
	: > "$W/sk$n.t"
	i=0
	while [ "$i" -lt "$reps" ] || [ "$i" -lt "$skreps" ]; do
		if [ "$i" -lt "$reps" ]; then
			t0=$(now)
			bin/tsne --threads "$THREADS" --metrics "$W/m$n.tsv" \
			    < "$x" > "$W/ours$n.npy"
			t1=$(now)
			echo "$t1 - $t0" | bc >> "$W/ours$n.t"
			echo "n=$n ours run $i: $(tail -1 "$W/ours$n.t") s ($(tr '\t\n' '= ' < "$W/m$n.tsv"))" >&2
		fi
		if [ "$i" -lt "$skreps" ]; then
			BLIS_NUM_THREADS=2 OMP_NUM_THREADS=2 \
			    $PY "$W/sk.py" "$x" "$W/sk$n.npy" >> "$W/sk$n.t"
			echo "n=$n sklearn run $i: $(tail -1 "$W/sk$n.t") s" >&2
		fi
		i=$((i + 1))
	done
	files="$W/ours$n.npy"
	[ -s "$W/sk$n.t" ] && files="$files $W/sk$n.npy"
	BLIS_NUM_THREADS=2 OMP_NUM_THREADS=2 $PY "$W/kl.py" "$x" $files \
	    > "$W/kl$n.txt"
	mo=$(median < "$W/ours$n.t")
	ko=$(awk -v f="$W/ours$n.npy" '$1 == f { print $2, $3 }' "$W/kl$n.txt")
	if [ -s "$W/sk$n.t" ]; then
		ms=$(median < "$W/sk$n.t")
		ks=$(awk -v f="$W/sk$n.npy" '$1 == f { print $2, $3 }' "$W/kl$n.txt")
		ratio=$(echo "scale=2; $ms / $mo" | bc)
		printf '%-7s %-8s %5s %10.1f %10s %9.4f %9.4f\n' "$n" sklearn \
		    "$(wc -l < "$W/sk$n.t")" "$ms" 1.00 $ks
	else
		ratio=-
	fi
	printf '%-7s %-8s %5s %10.1f %10s %9.4f %9.4f\n' "$n" tsne \
	    "$(wc -l < "$W/ours$n.t")" "$mo" "$ratio" $ko
done
echo "(ratio = sklearn median / tsne median; machine shared, $(nproc) cores)"
