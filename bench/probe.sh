#!/bin/sh
# bench/probe.sh - how far the study's linear probe (10 epochs of Adam
# 3e-4, batch 32) is from a converged linear classifier on a model's
# representations: bin/linprobe with the protocol's settings, with
# more epochs and with standardised features, then (if /usr/bin/python3
# has torch and scikit-learn) the protocol in PyTorch and a converged
# scikit-learn logistic regression, as references.
#
#   bench/probe.sh DIR
#
# DIR is a model's directory of a `make report` build (out/PRESET/vicreg:
# train-rep.npy, test-rep.npy) with the labels one level up.  Prints one
# line per probe: name and test accuracy in percent.  About two minutes.
set -eu
cd "$(dirname "$0")/.."
[ $# -eq 1 ] || { echo "usage: bench/probe.sh DIR" >&2; exit 2; }
d=$1
for f in "$d/train-rep.npy" "$d/test-rep.npy" "$d/../train-labels.npy" \
    "$d/../test-labels.npy"; do
	[ -r "$f" ] || { echo "bench/probe.sh: $f: cannot read" >&2; exit 1; }
done
make -s bin/linprobe bin/tensor >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin/tensor cat "$d/train-rep.npy" "$d/../train-labels.npy" > "$tmp/train.npy"
bin/tensor cat "$d/test-rep.npy" "$d/../test-labels.npy" > "$tmp/test.npy"

probe() {
	name=$1
	shift
	bin/linprobe "$@" --metrics "$tmp/m.tsv" "$tmp/train.npy" \
	    "$tmp/test.npy" > /dev/null
	acc=$(awk -F'\t' '$1 == "accuracy" { print $2 }' "$tmp/m.tsv")
	printf '%-44s %s\n' "$name" "$acc"
}
# make report's seed (study.mk: SEED 1)
probe "linprobe (the protocol: 10 epochs)" --seed 1
probe "linprobe --epochs 100" --seed 1 --epochs 100
probe "linprobe --epochs 300 --standardize" --seed 1 --epochs 300 \
    --standardize

py=/usr/bin/python3
if ! $py -c 'import torch, sklearn' 2>/dev/null; then
	echo "bench/probe.sh: no torch and scikit-learn: references skipped" >&2
	exit 0
fi
$py - "$d" <<'EOF'
import sys
import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

d = sys.argv[1]
tr = np.load(d + "/train-rep.npy")
te = np.load(d + "/test-rep.npy")
ytr = np.load(d + "/../train-labels.npy").astype(np.int64)
yte = np.load(d + "/../test-labels.npy").astype(np.int64)

# the protocol in PyTorch: Linear(D, 10), Adam 3e-4 (wd 1e-6), batch 32,
# 10 epochs
torch.manual_seed(0)
torch.set_num_threads(1)
x, y = torch.from_numpy(tr), torch.from_numpy(ytr)
lin = torch.nn.Linear(tr.shape[1], 10)
opt = torch.optim.Adam(lin.parameters(), lr=3e-4, weight_decay=1e-6)
for _ in range(10):
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 32):
        j = perm[i:i + 32]
        loss = torch.nn.functional.cross_entropy(lin(x[j]), y[j])
        opt.zero_grad()
        loss.backward()
        opt.step()
with torch.no_grad():
    acc = (lin(torch.from_numpy(te)).argmax(1).numpy() == yte).mean()
print("%-44s %.2f" % ("PyTorch, the protocol", 100 * acc))

sc = StandardScaler().fit(tr)
clf = LogisticRegression(max_iter=1000).fit(sc.transform(tr), ytr)
acc = clf.score(sc.transform(te), yte)
print("%-44s %.2f" % ("scikit-learn LogisticRegression, converged", 100 * acc))
EOF
