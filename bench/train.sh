#!/bin/sh
# bench/train.sh - vicreg-train and encode against the same computation
# in PyTorch, at width 64 (the study) and width 16, batch 256, 2 threads.
#
# Training: seconds per step (forward + backward of both views + Adam)
# after one warm-up step, reported as images per second (an image and
# its two views count once).  Encode: images per second of eval-mode
# encoding in batches of 256 (ours includes loading the checkpoint).
# Ours and PyTorch alternate; the table has medians and the ratio
# ours / PyTorch in throughput (> 1: ours is faster).
#
# Environment: WIDTHS ("64 16"), STEPS (timed steps per run, 1), REPS
# (runs per side, 2), ENC_N (images to encode, 512), PY
# (/usr/bin/python3).  The machine may be shared: note its load.
set -eu
cd "$(dirname "$0")/.."
WIDTHS=${WIDTHS:-"64 16"}
STEPS=${STEPS:-1}
REPS=${REPS:-2}
ENC_N=${ENC_N:-512}
PY=${PY:-/usr/bin/python3}
BATCH=256
export BLIS_NUM_THREADS=2 OMP_NUM_THREADS=2
# On a loaded machine an OpenMP barrier that spins (libgomp's default)
# loses whole time slices; passive waiting is far faster there, for
# both sides (torch uses OpenMP too).  Override to compare.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}

for b in vicreg-train encode augment cifar-decode tensor; do
	make -s bin/$b 2>/dev/null || [ -x bin/$b ] ||
	    { echo "bench/train.sh: cannot build bin/$b" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -f data/cifar-10-binary.tar.gz ] || { echo "make data first" >&2; exit 1; }
bin/cifar-decode -n $ENC_N data/cifar-10-binary.tar.gz > "$tmp/images.npy"
bin/tensor take 0:$BATCH "$tmp/images.npy" |
    bin/augment -q -e $((STEPS + 1)) -b $BATCH -s 1 -t 2 > "$tmp/pairs.npy"

cat > "$tmp/ref.py" <<'EOF'
# The study's encoder and projector at width w, one VICReg + Adam step
# per call, and eval-mode encoding; prints seconds per step / batch.
import sys, time
import torch, torch.nn as nn, torch.nn.functional as F

torch.set_num_threads(2)
mode, w, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
B = 256

class Block(nn.Module):
    def __init__(s, cin, c, stride):
        super().__init__()
        s.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        s.bn1 = nn.BatchNorm2d(c)
        s.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        s.bn2 = nn.BatchNorm2d(c)
        s.down = None
        if stride != 1 or cin != c:
            s.down = nn.Sequential(nn.Conv2d(cin, c, 1, stride, bias=False),
                                   nn.BatchNorm2d(c))
    def forward(s, x):
        y = F.relu(s.bn1(s.conv1(x)))
        y = s.bn2(s.conv2(y))
        return F.relu(y + (x if s.down is None else s.down(x)))

def encoder(w):
    layers = [nn.Conv2d(3, w, 3, 1, 0, bias=True), nn.BatchNorm2d(w), nn.ReLU()]
    cin = w
    for i, c in enumerate([w, 2 * w, 4 * w, 8 * w]):
        layers += [Block(cin, c, 1 if i == 0 else 2), Block(c, c, 1)]
        cin = c
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * w, 512),
               nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, 128)]
    return nn.Sequential(*layers)

def projector():
    return nn.Sequential(nn.Linear(128, 512), nn.BatchNorm1d(512), nn.ReLU(),
                         nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(),
                         nn.Linear(512, 512))

def vicreg(z1, z2):
    n, d = z1.shape
    inv = F.mse_loss(z1, z2)
    var = sum(F.relu(1 - torch.sqrt(z.var(0) + 1e-4)).mean() for z in (z1, z2))
    def off(z):
        z = z - z.mean(0)
        c = z.T @ z / (n - 1)
        return (c.pow(2).sum() - c.diagonal().pow(2).sum()) / d
    return 25 * inv + 25 * var + off(z1) + off(z2)

torch.manual_seed(0)
enc, proj = encoder(w), projector()
opt = torch.optim.Adam(list(enc.parameters()) + list(proj.parameters()),
                       lr=3e-4, betas=(0.9, 0.999), weight_decay=1e-6)
x1, x2 = torch.randn(B, 3, 32, 32), torch.randn(B, 3, 32, 32)
times = []
for i in range(steps + 1):
    t = time.perf_counter()
    if mode == "train":
        opt.zero_grad()
        loss = vicreg(proj(enc(x1)), proj(enc(x2)))
        loss.backward()
        opt.step()
    else:
        enc.eval()
        with torch.no_grad():
            enc(x1)
    if i > 0:
        times.append(time.perf_counter() - t)
print(" ".join("%.4f" % s for s in times))
EOF

med() { tr ' ' '\n' | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 }
    END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }

echo "# $(date -u +%FT%TZ), $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %12s %12s %8s\n' "measure (images/s)" ours pytorch ratio
for w in $WIDTHS; do
	ours="" ref="" eours="" eref=""
	for r in $(seq "$REPS"); do
		# ours: per-step times from -v, the warm-up step dropped
		bin/vicreg-train -o "$tmp/w$w.ck" --width "$w" --threads 2 -q -v \
		    < "$tmp/pairs.npy" 2> "$tmp/err"
		ours="$ours $(sed -n 's/.*step \([0-9]*\): .* in \([0-9.]*\) s$/\1 \2/p' \
		    "$tmp/err" | awk '$1 > 1 { printf "%s ", $2 }')"
		ref="$ref $("$PY" "$tmp/ref.py" train "$w" "$STEPS")"
		t0=$(now)
		bin/encode -m "$tmp/w$w.ck" --threads 2 < "$tmp/images.npy" > /dev/null
		t1=$(now)
		eours="$eours $(echo "$t1 - $t0" | bc)"
		eref="$eref $("$PY" "$tmp/ref.py" encode "$w" $((ENC_N / BATCH)) |
		    tr ' ' '\n' | awk '{ s += $1 } END { print s }')"
	done
	to=$(echo "$ours" | med) tr_=$(echo "$ref" | med)
	eo=$(echo "$eours" | med) er=$(echo "$eref" | med)
	echo "$w $to $tr_ $eo $er" | awk -v B=$BATCH -v N="$ENC_N" '{
	    printf "%-28s %12.1f %12.1f %8.2f\n", "train width " $1 ", batch " B,
	        B / $2, B / $3, $3 / $2
	    printf "%-28s %12.1f %12.1f %8.2f\n", "encode width " $1 ", " N " images",
	        N / $4, N / $5, $5 / $4 }'
	echo "#   raw s/step ours:$ours pytorch:$ref; encode s ours:$eours pytorch:$eref"
done
echo "# $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
