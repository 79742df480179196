#!/bin/sh
# bench/spectral.sh - pca, knn-graph and laplacian against scikit-learn
# 1.2 (BLIS_NUM_THREADS=2, OMP_NUM_THREADS=2), alternating runs in the
# same session, medians of R runs (default 3).  Ours: wall time of the
# whole tool (reading the stream included); sklearn: wall time of the
# fit/transform call only, inside Python, data already in memory.
# Usage: R=3 bench/spectral.sh  (also prints the machine's load average,
# since on a shared machine the wall times are the scheduler's too)
set -eu
cd "$(dirname "$0")/.."
R=${R:-3}
PY=/usr/bin/python3
W=${BENCH_DIR:-${TMPDIR:-/tmp}/vt-bench-spectral}
mkdir -p "$W"
export BLIS_NUM_THREADS=2 OMP_NUM_THREADS=2
TH=2

for t in pca knn-graph laplacian cifar-decode tensor; do
	[ -x bin/$t ] || { echo "bin/$t missing: run make" >&2; exit 1; }
done

cat > "$W/ref.py" <<'PYEOF'
import sys, time
import numpy as np
what, path = sys.argv[1], sys.argv[2]
f = open(path, "rb")
X = np.load(f)
X = X.reshape(X.shape[0], -1).astype(np.float32)
if what == "pca":
    from sklearn.decomposition import PCA
    t = time.perf_counter()
    PCA(n_components=2).fit_transform(X)
elif what == "knn-self":
    from sklearn.neighbors import NearestNeighbors
    t = time.perf_counter()
    NearestNeighbors(n_neighbors=10).fit(X).kneighbors()
elif what == "knn-query":
    from sklearn.neighbors import NearestNeighbors
    B = np.load(open(sys.argv[3], "rb"))
    t = time.perf_counter()
    NearestNeighbors(n_neighbors=2).fit(B).kneighbors(X)
elif what == "laplacian":
    from sklearn.manifold import SpectralEmbedding
    t = time.perf_counter()
    SpectralEmbedding(n_components=2, affinity="nearest_neighbors",
                      n_neighbors=10, random_state=0).fit_transform(X)
print("%.4f" % (time.perf_counter() - t))
PYEOF

# data: random Gaussian float32, and CIFAR-10 train pixels (uint8)
if [ ! -s "$W/x50k_128.npy" ]; then
	$PY - "$W" <<'PYEOF'
import sys, numpy as np
w = sys.argv[1]
r = np.random.default_rng(0)
np.save(w + "/x50k_128.npy", r.standard_normal((50000, 128), dtype=np.float32))
np.save(w + "/q20k_128.npy", r.standard_normal((20000, 128), dtype=np.float32))
np.save(w + "/x10k_128.npy", r.standard_normal((10000, 128), dtype=np.float32))
PYEOF
fi
if [ ! -s "$W/cifar50k.npy" ]; then
	bin/cifar-decode -s train data/cifar-10-binary.tar.gz |
	    bin/tensor pick 0 > "$W/cifar50k.npy"
	bin/tensor take 0:10000 "$W/cifar50k.npy" > "$W/cifar10k.npy"
fi

now() { date +%s.%N; }
median() {
	sort -g | awk '{ a[NR] = $1 }
	    END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# case NAME OURS-COMMAND REF-ARGS TARGET
run_case() {
	name=$1 ours=$2 ref=$3 target=$4
	: > "$W/o.txt"
	: > "$W/r.txt"
	i=0
	while [ $i -lt "$R" ]; do
		t0=$(now)
		sh -c "$ours" > /dev/null
		t1=$(now)
		echo "$t1 - $t0" | bc -l >> "$W/o.txt"
		$PY "$W/ref.py" $ref >> "$W/r.txt"
		i=$((i + 1))
	done
	o=$(median < "$W/o.txt")
	r=$(median < "$W/r.txt")
	printf '%-34s %9.3f %9.3f %7.1fx  (target %sx)\n' "$name" "$o" "$r" \
	    "$(echo "$r / $o" | bc -l)" "$target"
}

echo "BLIS (ours):"
bin/pca -v -d 1 "$W/x10k_128.npy" 2>&1 >/dev/null | head -1
echo "BLIS (numpy/sklearn), BLIS_ARCH_DEBUG=1:"
BLIS_ARCH_DEBUG=1 $PY -c "import numpy as np; a = np.ones((64, 64)); a @ a" 2>&1 | head -3
uptime
printf '%-34s %9s %9s %8s\n' case "ours s" "sklearn s" ratio
run_case "pca 50000x128 d2" "bin/pca --threads $TH $W/x50k_128.npy" \
    "pca $W/x50k_128.npy" 20
run_case "pca 50000x3072 (CIFAR pixels)" "bin/pca --threads $TH $W/cifar50k.npy" \
    "pca $W/cifar50k.npy" 5
run_case "knn self 50000x128 k10" \
    "bin/knn-graph -k 10 --threads $TH $W/x50k_128.npy" \
    "knn-self $W/x50k_128.npy" 8
run_case "knn 20000 vs 50000 x128 k2" \
    "bin/knn-graph -k 2 --threads $TH --base $W/x50k_128.npy < $W/q20k_128.npy" \
    "knn-query $W/q20k_128.npy $W/x50k_128.npy" 8
run_case "laplacian 10000x128 k10" \
    "bin/laplacian -k 10 --threads $TH $W/x10k_128.npy" \
    "laplacian $W/x10k_128.npy" 10
run_case "laplacian 10000x3072 (CIFAR) k10" \
    "bin/laplacian -k 10 --threads $TH $W/cifar10k.npy" \
    "laplacian $W/cifar10k.npy" 5
uptime
