#!/bin/sh
# bench/cifar-decode.sh - decoding the CIFAR-10 training split (and the
# MNIST test set): our decoders against Python (tarfile + NumPy, PIL),
# alternating runs, medians and ratios.  Run from the repository root
# after `make` and `make data`.  RUNS=5 by default.
set -eu
RUNS=${RUNS:-5}
PY=${PY:-/usr/bin/python3}
CIFAR=data/cifar-10-binary.tar.gz
MNIST=data/t10k-images-idx3-ubyte.gz
export BLIS_NUM_THREADS=2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/cifar.py" <<'PY'
import sys, tarfile, numpy as np
t = tarfile.open(sys.argv[1])
x, y = [], []
for b in range(1, 6):
    r = np.frombuffer(t.extractfile("cifar-10-batches-bin/data_batch_%d.bin" % b).read(), np.uint8).reshape(-1, 3073)
    y.append(r[:, 0].copy()); x.append(r[:, 1:].reshape(-1, 3, 32, 32))
with open("/dev/null", "wb") as f:
    np.save(f, np.concatenate(x)); np.save(f, np.concatenate(y))
PY
cat > "$tmp/mnist.py" <<'PY'
import sys, gzip, numpy as np
from PIL import Image
a = np.frombuffer(gzip.open(sys.argv[1]).read()[16:], np.uint8).reshape(-1, 28, 28)
out = np.stack([np.asarray(Image.fromarray(i).resize((32, 32), Image.BILINEAR)) for i in a])
out = np.repeat(out[:, None], 3, axis=1)
with open("/dev/null", "wb") as f:
    np.save(f, out)
PY

secs() {        # secs CMD...: wall seconds of one run
	s=$(date +%s.%N); "$@" > /dev/null; e=$(date +%s.%N)
	echo "$e - $s" | bc
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

row() {        # row NAME OURS_CMD -- REF_CMD
	name=$1; shift
	: > "$tmp/a"; : > "$tmp/b"
	i=0
	while [ $i -lt "$RUNS" ]; do
		secs sh -c "$1" >> "$tmp/a"
		secs sh -c "$2" >> "$tmp/b"
		i=$((i + 1))
	done
	a=$(median < "$tmp/a"); b=$(median < "$tmp/b")
	printf '%-28s %10.3f %10.3f %8.2fx\n' "$name" "$a" "$b" \
	    "$(echo "$b / $a" | bc -l)"
}

printf '%-28s %10s %10s %9s\n' "task ($RUNS runs, median s)" ours python ratio
row "cifar train split (50,000)" "bin/cifar-decode $CIFAR > /dev/null" \
    "$PY $tmp/cifar.py $CIFAR"
row "mnist test resize (10,000)" "bin/mnist-decode $MNIST > /dev/null" \
    "$PY $tmp/mnist.py $MNIST"
