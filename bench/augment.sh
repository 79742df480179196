#!/bin/sh
# bench/augment.sh - images per second (two augmented, normalised views
# each) for one epoch over the CIFAR-10 training set: augment(1) with
# --threads 2 against torchvision's CPU pipeline, the study's transforms
# on PIL images (a) in a DataLoader with num_workers=2, batch 256,
# shuffled, and (b) in a plain loop in one process, one torch thread.
# They alternate, REPS times each; the table gives the medians.
#
#   bench/augment.sh [N [REPS [TV_N]]]
#
# N images for augment (default 50000), REPS runs each (3), TV_N images
# for torchvision (default N; it is ~50x slower, so a subset keeps a run
# short on a shared machine: rates are per image either way).
set -eu
cd "$(dirname "$0")/.."
N=${1:-50000}
REPS=${2:-3}
TV_N=${3:-$N}
PY=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

make -s bin/augment bin/cifar-decode
bin/cifar-decode -s train -n "$N" --no-labels data/cifar-10-binary.tar.gz > "$tmp/images.npy"
bin/cifar-decode -s train -n "$TV_N" --no-labels data/cifar-10-binary.tar.gz > "$tmp/tv.npy"

cat > "$tmp/tv.py" <<'EOF'
import sys, time
import numpy as np
import torch
from PIL import Image
from torchvision import transforms as T

class TwoViews(torch.utils.data.Dataset):
    def __init__(self, images):
        self.images = images
        self.t = T.Compose([
            T.RandomResizedCrop(32, scale=(0.2, 1.0)),
            T.RandomHorizontalFlip(),
            T.ColorJitter(0.4, 0.4, 0.2, 0.1),
            T.RandomGrayscale(p=0.2),
            T.RandomApply([T.GaussianBlur(3, sigma=(0.1, 2.0))], p=0.5),
            T.ToTensor(),
            T.Normalize((0.4914, 0.4822, 0.4465), (0.247, 0.243, 0.261)),
        ])
    def __len__(self):
        return len(self.images)
    def __getitem__(self, i):
        img = Image.fromarray(self.images[i].transpose(1, 2, 0))
        return torch.stack([self.t(img), self.t(img)])

images = np.load(sys.argv[1])
ds = TwoViews(images)
t0 = time.perf_counter()
n = 0
if sys.argv[2] == "loader":
    loader = torch.utils.data.DataLoader(ds, batch_size=256, shuffle=True,
                                         num_workers=2)
    for b in loader:
        n += b.shape[0]
else:
    torch.set_num_threads(1)
    for i in torch.randperm(len(ds)).tolist():
        n += ds[i].shape[0] // 2
assert n == len(images)
print(time.perf_counter() - t0)
EOF

now() { date +%s.%N; }
: > "$tmp/ours" ; : > "$tmp/tv" ; : > "$tmp/loop"
for r in $(seq "$REPS"); do
	t0=$(now)
	bin/augment -q --threads 2 -e 1 -b 256 -s "$r" "$tmp/images.npy" > /dev/null
	t1=$(now)
	echo "$t1 - $t0" | bc -l >> "$tmp/ours"
	BLIS_NUM_THREADS=2 OMP_NUM_THREADS=1 $PY "$tmp/tv.py" "$tmp/tv.npy" loader >> "$tmp/tv"
	BLIS_NUM_THREADS=2 OMP_NUM_THREADS=1 $PY "$tmp/tv.py" "$tmp/tv.npy" loop >> "$tmp/loop"
done

median() { sort -g "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mo=$(median "$tmp/ours") mt=$(median "$tmp/tv") ml=$(median "$tmp/loop")
ro=$(echo "$N / $mo" | bc -l) rt=$(echo "$TV_N / $mt" | bc -l) rl=$(echo "$TV_N / $ml" | bc -l)
printf '%-38s %7s %5s %9s %10s %7s\n' "pipeline (2 views per image)" images runs "median s" "images/s" ratio
printf '%-38s %7s %5s %9.2f %10.0f %7s\n' "augment --threads 2" "$N" "$REPS" "$mo" "$ro" 1
printf '%-38s %7s %5s %9.2f %10.0f %6.1fx\n' "torchvision DataLoader, 2 workers" "$TV_N" "$REPS" "$mt" "$rt" "$(echo "$ro / $rt" | bc -l)"
printf '%-38s %7s %5s %9.2f %10.0f %6.1fx\n' "torchvision loop, 1 process, 1 thread" "$TV_N" "$REPS" "$ml" "$rl" "$(echo "$ro / $rl" | bc -l)"
printf 'all runs, s: augment %s; DataLoader %s; loop %s\n' "$(tr '\n' ' ' < "$tmp/ours")" \
    "$(tr '\n' ' ' < "$tmp/tv")" "$(tr '\n' ' ' < "$tmp/loop")"
