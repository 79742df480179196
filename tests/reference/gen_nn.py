#!/usr/bin/python3
"""gen_nn.py - PyTorch reference fixtures for lib/nn.c and lib/model.c.

Run by hand from the repository root (/usr/bin/python3, torch 1.13):
    /usr/bin/python3 tests/reference/gen_nn.py
Writes tests/fixtures/nn/*.npy streams (concatenated .npy arrays, read in
the order written here by tests/unit/test_nn_torch.c and
test_model_torch.c).  References are computed in float64 from float32
inputs and stored as float32.

The tiny model below is written out by hand so that named_parameters()
has the flat order documented in lib/model.h; at width 64 it is checked
against torchvision's resnet18 with the study's changes (same parameter
names' shapes, in order), and the study's parameter counts are asserted.
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = "tests/fixtures/nn"


def write(path, arrays):
    with open(os.path.join(OUT, path), "wb") as f:
        for a in arrays:
            np.save(f, np.ascontiguousarray(a))


def f32(t):
    return t.detach().to(torch.float32).numpy()


def rnd(*shape, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float32) * scale).double()


# ----------------------------------------------------------------- layers

def gen_conv(name, N, C, H, W, OC, KS, stride, pad, bias):
    x = rnd(N, C, H, W).requires_grad_()
    w = rnd(OC, C, KS, KS, scale=0.3).requires_grad_()
    b = rnd(OC).requires_grad_() if bias else None
    y = F.conv2d(x, w, b, stride=stride, padding=pad)
    dy = rnd(*y.shape)
    y.backward(dy)
    dims = np.array([N, C, H, W, OC, KS, stride, pad, int(bias)], np.int64)
    arrs = [dims, f32(x), f32(w)]
    arrs += [f32(b)] if bias else []
    arrs += [f32(y), f32(dy), f32(x.grad), f32(w.grad)]
    arrs += [f32(b.grad)] if bias else []
    write(name, arrs)


def gen_bn(name, N, C, HW):
    x = rnd(N, C, HW, scale=2.0) + 0.5
    x.requires_grad_()
    w = (rnd(C) * 0.5 + 1).requires_grad_()
    b = rnd(C).requires_grad_()
    rm0 = rnd(C) * 0.1
    rv0 = rnd(C).abs() + 0.5
    rm, rv = rm0.clone(), rv0.clone()
    shape = (N, C, HW)
    # F.batch_norm on [N,C,L] normalises over N and L per channel (as BN2d
    # over N,H,W with L = H*W, and as BN1d when L = 1)
    y = F.batch_norm(x.view(shape), rm, rv, w, b, training=True,
                     momentum=0.1, eps=1e-5)
    dy = rnd(*y.shape)
    y.backward(dy)
    ye = F.batch_norm(x.detach(), rm, rv, w.detach(), b.detach(),
                      training=False, eps=1e-5)
    dims = np.array([N, C, HW], np.int64)
    write(name, [dims, f32(x), f32(w), f32(b), f32(rm0), f32(rv0), f32(y),
                 f32(dy), f32(x.grad), f32(w.grad), f32(b.grad), f32(rm),
                 f32(rv), f32(ye)])


def gen_linear(name, N, IN, OUT_):
    x = rnd(N, IN).requires_grad_()
    w = rnd(OUT_, IN, scale=0.3).requires_grad_()
    b = rnd(OUT_).requires_grad_()
    y = F.linear(x, w, b)
    dy = rnd(N, OUT_)
    y.backward(dy)
    write(name, [np.array([N, IN, OUT_], np.int64), f32(x), f32(w), f32(b),
                 f32(y), f32(dy), f32(x.grad), f32(w.grad), f32(b.grad)])


def gen_gap(name, N, C, HW):
    x = rnd(N, C, HW).requires_grad_()
    y = x.mean(dim=2)
    dy = rnd(N, C)
    y.backward(dy)
    write(name, [np.array([N, C, HW], np.int64), f32(x), f32(y), f32(dy),
                 f32(x.grad)])


def vicreg_loss(z1, z2, lam=25.0, mu=25.0, nu=1.0, gamma=1.0, eps=1e-4):
    """The study's loss (shared/REFERENCE.md), written from its facts."""
    N, D = z1.shape
    inv = F.mse_loss(z1, z2)
    var = 0
    cov = 0
    for z in (z1, z2):
        zc = z - z.mean(dim=0)
        std = torch.sqrt(zc.var(dim=0) + eps)          # unbiased
        var = var + torch.mean(F.relu(gamma - std))
        c = (zc.T @ zc) / (N - 1)
        off = c - torch.diag(torch.diag(c))
        cov = cov + off.pow(2).sum() / D
    return lam * inv + mu * var + nu * cov, inv, var, cov


def gen_vicreg(name, N, D):
    z1 = rnd(N, D, scale=0.6)
    z2 = z1 + rnd(N, D, scale=0.3)
    # some dimensions with std above gamma so the hinge is off there
    z1[:, :2] *= 4.0
    z2[:, 1:3] *= 4.0
    z1.requires_grad_()
    z2.requires_grad_()
    loss, inv, var, cov = vicreg_loss(z1, z2)
    loss.backward()
    parts = torch.stack([loss, inv, var, cov])
    write(name, [np.array([N, D], np.int64), f32(z1), f32(z2), f32(parts),
                 f32(z1.grad), f32(z2.grad)])


def gen_adam(name, n, steps, lr, wd):
    p0 = torch.randn(n, dtype=torch.float32)
    p = p0.clone().requires_grad_()
    opt = torch.optim.Adam([p], lr=lr, betas=(0.9, 0.999), eps=1e-8,
                           weight_decay=wd)
    grads = []
    for _ in range(steps):
        g = torch.randn(n, dtype=torch.float32)
        g[:3] *= 1e-6          # tiny gradients: eps matters
        grads.append(g.numpy().copy())
        p.grad = g.clone()
        opt.step()
    st = opt.state[p]
    write(name, [np.array([n, steps], np.int64),
                 np.array([lr, wd], np.float32), p0.numpy(),
                 np.stack(grads), f32(p), f32(st["exp_avg"]),
                 f32(st["exp_avg_sq"])])


# ------------------------------------------------------------------ model

class Block(nn.Module):
    """torchvision BasicBlock: same module names and order."""

    def __init__(self, cin, c, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, c, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.downsample = None
        if stride != 1 or cin != c:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, c, 1, stride, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.downsample is None else self.downsample(x)
        return F.relu(y + s)


class Encoder(nn.Module):
    def __init__(self, w, head, rep, stem_stride=1, stem_pad=0):
        super().__init__()
        self.conv1 = nn.Conv2d(3, w, 3, stem_stride, stem_pad, bias=True)
        self.bn1 = nn.BatchNorm2d(w)
        cin = w
        for l in range(4):
            c = w << l
            blocks = [Block(cin, c, 2 if l > 0 else 1), Block(c, c, 1)]
            setattr(self, "layer%d" % (l + 1), nn.Sequential(*blocks))
            cin = c
        self.fc = nn.Linear(cin, head)
        self.head = nn.Sequential(nn.BatchNorm1d(head), nn.ReLU(),
                                  nn.Linear(head, rep))

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.head(self.fc(x))


def projector(rep, widths):
    mods = []
    d = rep
    for i, p in enumerate(widths):
        mods.append(nn.Linear(d, p))
        if i + 1 < len(widths):
            mods += [nn.BatchNorm1d(p), nn.ReLU()]
        d = p
    return nn.Sequential(*mods)


def nparams(m):
    return sum(p.numel() for p in m.parameters())


def check_against_torchvision():
    import torchvision
    enc = Encoder(64, 512, 128)
    tv = torchvision.models.resnet18()
    tv.conv1 = nn.Conv2d(3, 64, 3, 1, 0, bias=True)
    tv.maxpool = nn.Identity()
    tv.fc = nn.Linear(512, 512)
    tvfull = nn.Sequential(tv, nn.BatchNorm1d(512), nn.ReLU(),
                           nn.Linear(512, 128))
    a = [tuple(p.shape) for p in enc.parameters()]
    b = [tuple(p.shape) for p in tvfull.parameters()]
    assert a == b, "encoder layout differs from torchvision's"
    ab = [tuple(t.shape) for n, t in enc.named_buffers()
          if not n.endswith("num_batches_tracked")]
    bb = [tuple(t.shape) for n, t in tvfull.named_buffers()
          if not n.endswith("num_batches_tracked")]
    assert ab == bb
    assert nparams(enc) == 11498240, nparams(enc)
    assert nparams(projector(128, [512, 512, 512])) == 593408
    x = torch.randn(2, 3, 32, 32)
    enc.eval()
    assert enc(x).shape == (2, 128)


def flat(ts):
    return np.concatenate([f32(t).ravel() for t in ts])


def running(model):
    out = []
    for mod in model.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            out += [mod.running_mean, mod.running_var]
    return out


def hashu(n, t):
    """n values in [-1, 1) of stream t: a Weyl sequence mod 2^32 in exact
    integer arithmetic, so the C test regenerates the same floats
    (test_model_torch.c: hashu)."""
    i = np.arange(n, dtype=np.uint64)
    c = np.uint64(((t + 1) * 2246822519) % 2**64)
    h = (i * np.uint64(2654435761) + c) & np.uint64(0xFFFFFFFF)
    return h.astype(np.float64) / 4294967296.0 * 2.0 - 1.0


def hashed(shape, t, shift, scale):
    n = int(np.prod(shape))
    return torch.from_numpy(
        (shift + scale * hashu(n, t)).astype(np.float32)).view(*shape)


def gen_model(name, w, rep, head, proj, N, stem_stride=1, stem_pad=0):
    """Parameters and inputs are not stored: they come from hashu()
    (per tensor a shift and scale, stored); BN running statistics are
    random and stored."""
    enc = Encoder(w, head, rep, stem_stride, stem_pad)
    pj = projector(rep, proj)
    model = nn.Sequential(enc, pj).double()
    bn_init = {}
    for mod in model.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            bn_init[id(mod.weight)] = (1.0, 0.2)
            bn_init[id(mod.bias)] = (0.0, 0.2)
    pinit = []
    fan = 1
    with torch.no_grad():
        for t, p in enumerate(model.parameters()):
            if id(p) in bn_init:
                shift, scale = bn_init[id(p)]
            elif p.dim() > 1:
                fan = p[0].numel()
                shift, scale = 0.0, 1.0 / np.sqrt(fan)
            else:                       # a conv/linear bias
                shift, scale = 0.0, 1.0 / np.sqrt(fan)
            pinit.append((shift, scale))
            p.copy_(hashed(p.shape, t, shift, scale).double())
        for mod in model.modules():
            if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
                mod.running_mean.copy_(0.1 * torch.randn_like(
                    mod.running_mean))
                mod.running_var.copy_(1 + 0.2 * torch.rand_like(
                    mod.running_var))
                mod.running_mean.copy_(mod.running_mean.float().double())
                mod.running_var.copy_(mod.running_var.float().double())
    bufs0 = flat(running(model))
    x1 = hashed((N, 3, 32, 32), 1000, 0.0, 1.0).double()
    x2 = hashed((N, 3, 32, 32), 1001, 0.0, 1.0).double()

    model.train()
    z1 = model(x1)
    z2 = model(x2)
    loss, inv, var, cov = vicreg_loss(z1, z2)
    loss.backward()
    parts = torch.stack([loss, inv, var, cov])
    grads = flat(p.grad for p in model.parameters())
    bufs1 = flat(running(model))

    # eval mode (running statistics after the step), parameters before
    # the optimiser step: the test loss and the representation
    model.eval()
    with torch.no_grad():
        e1 = model(x1)
        e2 = model(x2)
        eparts = torch.stack(list(vicreg_loss(e1, e2)))
        reps = enc(x1)

    opt = torch.optim.Adam(model.parameters(), lr=3e-4, betas=(0.9, 0.999),
                           eps=1e-8, weight_decay=1e-6)
    p_before = [p.detach().clone() for p in model.parameters()]
    opt.step()
    delta = flat(p - q for p, q in zip(model.parameters(), p_before))

    cfg = [w, rep, head, stem_stride, stem_pad, len(proj)] + list(proj)
    cfg += [0] * (4 - len(proj)) + [N]
    sizes = np.array([p.numel() for p in model.parameters()], np.int64)
    write(name, [np.array(cfg, np.int64), sizes,
                 np.array(pinit, np.float64), bufs0, f32(parts), grads,
                 bufs1, f32(eparts), f32(reps), delta])
    print("%s: %d params (%d encoder), %d buffers" % (
        name, grads.size, nparams(enc), bufs0.size))


def main():
    if not os.path.isdir(OUT):
        os.makedirs(OUT)
    torch.manual_seed(20261128)
    check_against_torchvision()
    gen_conv("conv_s2p1_bias.npy", 2, 3, 9, 9, 4, 3, 2, 1, True)
    gen_conv("conv_1x1_s2.npy", 3, 5, 8, 8, 6, 1, 2, 0, False)
    gen_conv("conv_chunked.npy", 5, 4, 4, 4, 3, 3, 1, 1, False)
    gen_conv("conv_stem.npy", 2, 3, 12, 12, 4, 3, 1, 0, True)
    gen_bn("bn2d.npy", 4, 3, 25)
    gen_bn("bn1d.npy", 6, 5, 1)
    gen_linear("linear.npy", 4, 7, 5)
    gen_gap("gap.npy", 3, 4, 9)
    gen_vicreg("vicreg.npy", 8, 6)
    gen_adam("adam.npy", 10, 3, 1e-2, 1e-2)
    gen_model("model_tiny.npy", 4, 8, 16, [16, 16, 16], 6)
    # the CPU-speed stem options, a two-layer projector
    gen_model("model_stem2.npy", 2, 4, 8, [8, 6], 4, stem_stride=2,
              stem_pad=1)
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("fixtures: %d bytes" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
