#!/usr/bin/python3
"""Fixtures for lib/augment and tools/augment (run by hand, from the repo root).

    /usr/bin/python3 tests/reference/gen_augment.py

Reads a few real CIFAR-10 images from data/cifar-10-binary.tar.gz, applies
torchvision's functional ops to PIL images with fixed parameters, and writes
.npy streams under tests/fixtures/augment/:

  ops.npy     uint8 [K,3,32,32] inputs (CIFAR images + one noise image),
              then per crop case: int64 [7] (img, top, left, h, w, OH, OW)
              and uint8 [3,OH,OW] = F.resized_crop(bilinear),
              then float64 [M,3] (img, op, arg) and uint8 [M,3,32,32]:
              op 0 brightness, 1 contrast, 2 saturation, 3 hue,
              4 grayscale (3 channels), 5 hflip, 6 gaussian_blur(3, arg),
              7 to_tensor+normalize (output float32, see below)
  chain.npy   float64 [M,17] view parameters (img, top, left, h, w, flip,
              order0..3, brightness, contrast, saturation, hue, gray, blur,
              sigma) drawn by torchvision's own get_params, then
              uint8 [M,3,32,32] the PIL image before ToTensor and
              float32 [M,3,32,32] after ToTensor + Normalize.
  norm.npy    float32 [256,3] = Normalize(ToTensor(v)) for every byte v.
  images.npy  uint8 [16,3,32,32] + uint8 [16] labels (tool tests)
  nbrs.npy    int64 [16,3] neighbours (i+1, i+2, i+3 mod 16), then
              float32 [16,3] distances (as knn-graph writes them)
  nbrs32.npy  the same indices as int32
  bad_*.npy   inputs for the documented errors of augment(1)
"""
import io
import os
import tarfile

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import functional as F

OUT = "tests/fixtures/augment"
MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.247, 0.243, 0.261)


def cifar(n):
    with tarfile.open("data/cifar-10-binary.tar.gz") as tf:
        f = tf.extractfile("cifar-10-batches-bin/data_batch_1.bin")
        raw = np.frombuffer(f.read(n * 3073), np.uint8).reshape(n, 3073)
    return raw[:, 1:].reshape(n, 3, 32, 32).copy(), raw[:, 0].copy()


def pil(chw):
    return Image.fromarray(np.ascontiguousarray(chw.transpose(1, 2, 0)), "RGB")


def chw(img):
    return np.asarray(img, np.uint8).transpose(2, 0, 1).copy()


def npy(arr):
    b = io.BytesIO()
    np.save(b, arr, allow_pickle=False)
    return b.getvalue()


def write(name, arrays):
    with open(os.path.join(OUT, name), "wb") as f:
        for a in arrays:
            f.write(npy(np.ascontiguousarray(a)))


def main():
    os.makedirs(OUT, exist_ok=True)
    print("torchvision", torchvision.__version__, "PIL", Image.__version__)
    imgs, labels = cifar(16)
    rs = np.random.RandomState(7)
    noise = rs.randint(0, 256, (1, 3, 32, 32)).astype(np.uint8)
    inputs = np.concatenate([imgs[:4], noise])          # K = 5
    K = len(inputs)

    # --- RandomResizedCrop's resize, upscaling and downscaling (antialias)
    stream = [inputs]
    crops = [
        (0, 0, 0, 32, 32, 32, 32), (0, 3, 5, 20, 17, 32, 32),
        (1, 10, 2, 14, 18, 32, 32), (2, 0, 0, 32, 24, 32, 32),
        (3, 7, 0, 25, 32, 32, 32), (4, 4, 9, 13, 13, 32, 32),
        (4, 1, 2, 29, 27, 32, 32), (1, 0, 0, 32, 32, 13, 20),
        (2, 2, 3, 28, 25, 7, 9), (4, 0, 0, 32, 32, 11, 11),
        (3, 5, 5, 22, 20, 15, 40),
    ]
    for c in crops:
        i, top, left, h, w, oh, ow = c
        out = F.resized_crop(pil(inputs[i]), top, left, h, w, [oh, ow],
                             T.InterpolationMode.BILINEAR)
        stream += [np.array(c, np.int64), chw(out)]

    # --- single colour / geometry ops
    cases = []
    for i in range(K):
        for b in (0.6, 0.83, 1.0, 1.27, 1.4):
            cases.append((i, 0, b))
        for c in (0.6, 0.91, 1.18, 1.4):
            cases.append((i, 1, c))
        for s in (0.8, 0.95, 1.2):
            cases.append((i, 2, s))
        for h in (-0.1, -0.037, 0.0, 0.05, 0.0999):
            cases.append((i, 3, h))
        cases.append((i, 4, 0))
        cases.append((i, 5, 0))
        for sg in (0.1, 0.5, 1.3, 2.0):
            cases.append((i, 6, sg))
    outs = []
    for i, op, a in cases:
        im = pil(inputs[i])
        if op == 0:
            im = F.adjust_brightness(im, a)
        elif op == 1:
            im = F.adjust_contrast(im, a)
        elif op == 2:
            im = F.adjust_saturation(im, a)
        elif op == 3:
            im = F.adjust_hue(im, a)
        elif op == 4:
            im = F.rgb_to_grayscale(im, num_output_channels=3)
        elif op == 5:
            im = F.hflip(im)
        elif op == 6:
            im = F.gaussian_blur(im, [3, 3], [a, a])
        outs.append(chw(im))
    stream += [np.array(cases, np.float64), np.stack(outs)]
    write("ops.npy", stream)

    # --- every byte through ToTensor + Normalize
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    t = F.normalize(F.to_tensor(pil(np.stack([ramp, ramp, ramp]))), MEAN, STD)
    write("norm.npy", [t.numpy().reshape(3, 256).T.copy()])

    # --- the whole chain with torchvision's own parameter draws, checked
    # against the real Compose run from the same seed
    rrc = T.RandomResizedCrop(32, scale=(0.2, 1.0))
    cj = T.ColorJitter(0.4, 0.4, 0.2, 0.1)
    blur = T.GaussianBlur(3, sigma=(0.1, 2.0))
    compose = T.Compose([rrc, T.RandomHorizontalFlip(), cj,
                         T.RandomGrayscale(p=0.2), T.RandomApply([blur], p=0.5)])
    rows, views, normed = [], [], []
    M = 16
    for m in range(M):
        i = m % K
        seed = 1000 + m
        torch.manual_seed(seed)
        want = chw(compose(pil(inputs[i])))
        torch.manual_seed(seed)
        im = pil(inputs[i])
        top, left, h, w = rrc.get_params(im, rrc.scale, rrc.ratio)
        im = F.resized_crop(im, top, left, h, w, [32, 32],
                            T.InterpolationMode.BILINEAR)
        flip = bool(torch.rand(1) < 0.5)
        if flip:
            im = F.hflip(im)
        order, b, c, s, hu = cj.get_params(cj.brightness, cj.contrast,
                                           cj.saturation, cj.hue)
        for fn in order.tolist():
            if fn == 0:
                im = F.adjust_brightness(im, b)
            elif fn == 1:
                im = F.adjust_contrast(im, c)
            elif fn == 2:
                im = F.adjust_saturation(im, s)
            else:
                im = F.adjust_hue(im, hu)
        gray = bool(torch.rand(1) < 0.2)
        if gray:
            im = F.rgb_to_grayscale(im, num_output_channels=3)
        doblur = not (0.5 < torch.rand(1))
        sigma = 0.0
        if doblur:
            sigma = blur.get_params(0.1, 2.0)
            im = F.gaussian_blur(im, [3, 3], [sigma, sigma])
        got = chw(im)
        assert np.array_equal(got, want), "manual chain != Compose"
        rows.append([i, top, left, h, w, flip] + order.tolist() +
                    [b, c, s, hu, gray, doblur, sigma])
        views.append(got)
        normed.append(F.normalize(F.to_tensor(im), MEAN, STD).numpy())
    write("chain.npy", [np.array(rows, np.float64), np.stack(views),
                        np.stack(normed).astype(np.float32)])

    # --- tool test inputs
    write("images.npy", [imgs, labels])
    idx = (np.arange(16)[:, None] + np.arange(1, 4)[None, :]) % 16
    dist = np.ones((16, 3), np.float32)
    write("nbrs.npy", [idx.astype(np.int64), dist])
    write("nbrs32.npy", [idx.astype(np.int32)])
    bad = idx.astype(np.int64).copy()
    bad[5, 1] = 16
    write("bad_nbr_range.npy", [bad])
    neg = idx.astype(np.int64).copy()
    neg[2, 0] = -1
    write("bad_nbr_negative.npy", [neg])
    write("bad_nbr_k0.npy", [np.zeros((16, 0), np.int64)])
    write("bad_nbr_rows.npy", [idx[:15].astype(np.int64)])
    write("bad_nbr_dtype.npy", [idx.astype(np.float32)])
    write("bad_dtype.npy", [imgs[:1].astype(np.float32)])
    write("bad_shape.npy", [imgs[:2, :1].copy()])
    write("bad_size.npy", [imgs[:2, :, :16, :16].copy()])
    write("bad_labels.npy", [imgs[:4], labels[:3]])
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
