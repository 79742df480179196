#!/bin/sh
# bench/cluster.sh - kmeans, silhouette, linprobe and roc against
# scikit-learn 1.2 / PyTorch 1.13 on 50,000 x 128 features (a fixed random
# projection of the CIFAR-10 train pixels; test features likewise).
#
# Runs ours and the reference alternately, REPS times each (silhouette:
# SIL_REPS, its reference takes minutes), and prints medians and ratios.
# Our time is the whole process (reading the stream included); the
# reference's is the call alone, measured inside Python.  The reference
# runs with BLIS_NUM_THREADS=OMP_NUM_THREADS=2 (torch: 2 threads), ours
# with --threads 2 (linprobe: its default, one thread).
#
#   bench/cluster.sh            (from the top of the tree, after make)
#   REPS=5 SIL_REPS=3 bench/cluster.sh
#   SECTIONS="kmeans silhouette" REPS=1 bench/cluster.sh
set -eu
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
REPS=${REPS:-3}
SIL_REPS=${SIL_REPS:-1}
SECTIONS=${SECTIONS:-roc linprobe kmeans silhouette}
W=${BENCH_DIR:-${TMPDIR:-/tmp}/vt-bench-cluster}
mkdir -p "$W"
export BLIS_NUM_THREADS=2 OMP_NUM_THREADS=2
for t in kmeans silhouette linprobe roc; do
	[ -x "bin/$t" ] || { echo "bench: bin/$t missing (run make)" >&2; exit 1; }
done
[ -f data/cifar-10-binary.tar.gz ] || {
	echo "bench: data/cifar-10-binary.tar.gz missing (make data)" >&2; exit 1; }

# --- data: features, ROC scores -----------------------------------------
if [ ! -s "$W/train.npy" ] || [ ! -s "$W/test.npy" ]; then
	"$PY" - data/cifar-10-binary.tar.gz "$W" <<'PYEOF'
import sys, tarfile
import numpy as np
tf = tarfile.open(sys.argv[1])
def batch(name):
    b = tf.extractfile(tf.getmember(name)).read()
    a = np.frombuffer(b, np.uint8).reshape(-1, 3073)
    return a[:, 1:].astype(np.float32) / 255.0, a[:, 0].astype(np.int64)
tr = [batch("cifar-10-batches-bin/data_batch_%d.bin" % i) for i in range(1, 6)]
Xtr = np.concatenate([t[0] for t in tr]); ytr = np.concatenate([t[1] for t in tr])
Xte, yte = batch("cifar-10-batches-bin/test_batch.bin")
R = np.random.default_rng(0).normal(size=(3072, 128)).astype(np.float32)
R /= np.sqrt(3072)
m = Xtr.mean(0)
for name, X, y in (("train", Xtr, ytr), ("test", Xte, yte)):
    with open("%s/%s.npy" % (sys.argv[2], name), "wb") as fp:
        np.save(fp, ((X - m) @ R).astype(np.float32)); np.save(fp, y)
rng = np.random.default_rng(1)
y = (rng.random(20000) < 0.5).astype(np.int64)
s = np.round(rng.normal(size=20000) + y, 2)      # ties, like rounded scores
with open("%s/roc.npy" % sys.argv[2], "wb") as fp:
    np.save(fp, s); np.save(fp, y)
PYEOF
fi

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

ref() {        # ref WHAT REP -> "seconds value" from Python
	"$PY" - "$W" "$1" "$2" <<'PYEOF'
import sys, time
import numpy as np
w, what, rep = sys.argv[1], sys.argv[2], int(sys.argv[3])
def load(p, n=2):
    with open(p, "rb") as fp:
        return [np.load(fp) for _ in range(n)]
if what == "kmeans":
    from sklearn.cluster import KMeans
    X, _ = load(w + "/train.npy")
    t = time.perf_counter()
    km = KMeans(10, n_init=10, random_state=rep).fit(X)
    print(time.perf_counter() - t, km.inertia_)
elif what == "silhouette":
    from sklearn.metrics import silhouette_score
    X, y = load(w + "/train.npy")
    t = time.perf_counter()
    s = silhouette_score(X, y)
    print(time.perf_counter() - t, repr(float(s)))
elif what == "roc":
    from sklearn.metrics import roc_auc_score, roc_curve
    s, y = load(w + "/roc.npy")
    t = time.perf_counter()
    roc_curve(y, s); a = roc_auc_score(y, s)
    print(time.perf_counter() - t, repr(float(a)))
elif what == "linprobe":
    import torch
    torch.set_num_threads(2)
    Xtr, ytr = load(w + "/train.npy"); Xte, yte = load(w + "/test.npy")
    torch.manual_seed(rep)
    t = time.perf_counter()
    lin = torch.nn.Linear(128, 10)
    opt = torch.optim.Adam(lin.parameters(), lr=3e-4, weight_decay=1e-6)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(Xtr), torch.from_numpy(ytr))
    dl = torch.utils.data.DataLoader(ds, batch_size=32, shuffle=True)
    for e in range(10):
        for xb, yb in dl:
            loss = torch.nn.functional.cross_entropy(lin(xb), yb)
            opt.zero_grad(); loss.backward(); opt.step()
    with torch.no_grad():
        acc = (lin(torch.from_numpy(Xte)).argmax(1).numpy() == yte).mean() * 100
    print(time.perf_counter() - t, acc)
PYEOF
}

ours() {       # ours WHAT REP -> "seconds value"
	t0=$(now)
	case $1 in
	kmeans) bin/kmeans -q --threads 2 -k 10 --restarts 10 --seed "$2" \
	    --metrics "$W/m" "$W/train.npy" > "$W/km.npy"
		v=$(awk -F'\t' '$1 == "inertia" { print $2 }' "$W/m") ;;
	silhouette) v=$(bin/silhouette --threads 2 "$W/train.npy") ;;
	roc) bin/roc -q --metrics "$W/m" "$W/roc.npy" > "$W/roc.out"
		v=$(awk -F'\t' '$1 == "auc" { print $2 }' "$W/m") ;;
	linprobe) v=$(bin/linprobe --seed "$2" "$W/train.npy" \
	    "$W/test.npy" | head -1 | cut -f2) ;;
	esac
	t1=$(now)
	echo "$(echo "$t1 - $t0" | bc -l) $v"
}

printf '%-11s %10s %10s %8s  %s\n' tool ours_s ref_s ratio "values (ours | reference, medians)"
for what in $SECTIONS; do
	n=$REPS
	[ "$what" = silhouette ] && n=$SIL_REPS
	: > "$W/o.txt"; : > "$W/r.txt"
	i=0
	while [ "$i" -lt "$n" ]; do
		ours "$what" "$i" >> "$W/o.txt"
		ref "$what" "$i" >> "$W/r.txt"
		i=$((i + 1))
	done
	to=$(cut -d' ' -f1 "$W/o.txt" | median)
	tr_=$(cut -d' ' -f1 "$W/r.txt" | median)
	vo=$(cut -d' ' -f2 "$W/o.txt" | median)
	vr=$(cut -d' ' -f2 "$W/r.txt" | median)
	printf '%-11s %10.3f %10.3f %7.1fx  %s | %s\n' "$what" "$to" "$tr_" \
	    "$(echo "$tr_ / $to" | bc -l)" "$vo" "$vr"
done
echo "(machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); shared runs are noisy)"
