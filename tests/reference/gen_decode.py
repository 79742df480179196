#!/usr/bin/python3
"""Fixtures for the decoders (run by hand from the repository root:
/usr/bin/python3 tests/reference/gen_decode.py).  Writes
tests/fixtures/decode/:

  resize.npy       uint8 [K,28,28] inputs (the first 20 MNIST test images,
                   then 5 uniform random 28x28 arrays, seed 0), then for
                   each output side S in SIZES an int64 [1] array (S) and
                   uint8 [K,S,S]: PIL Image.resize((S,S), Image.BILINEAR)
                   on the mode 'L' image -- what torchvision's
                   transforms.Resize(32) does to a PIL image.
  mnist20.npy      uint8 [20,3,32,32]: the first 20 MNIST test images
                   through torchvision Resize(32) on the RGB-converted PIL
                   image, channels first (what mnist-decode must write).
  cifar_first.npy  uint8 [3073] the first record of data_batch_1.bin, then
                   uint8 [3073] the first record of test_batch.bin, read
                   with Python's tarfile from data/cifar-10-binary.tar.gz.
"""
import gzip
import tarfile

import numpy as np
from PIL import Image
import torchvision.transforms as T

OUT = "tests/fixtures/decode/"
SIZES = [32, 20, 56, 7]

raw = gzip.open("data/t10k-images-idx3-ubyte.gz").read()
assert raw[:4] == b"\x00\x00\x08\x03"
mnist = np.frombuffer(raw[16:], np.uint8).reshape(-1, 28, 28)
rng = np.random.default_rng(0)
inputs = np.concatenate([mnist[:20],
                         rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)])

with open(OUT + "resize.npy", "wb") as f:
    np.save(f, inputs)
    for s in SIZES:
        np.save(f, np.array([s], np.int64))
        out = np.stack([np.asarray(Image.fromarray(a, "L").resize(
            (s, s), Image.BILINEAR)) for a in inputs])
        np.save(f, out)

resize = T.Resize(32)
imgs = np.stack([np.asarray(resize(Image.fromarray(a, "L").convert("RGB")))
                 .transpose(2, 0, 1) for a in mnist[:20]])
with open(OUT + "mnist20.npy", "wb") as f:
    np.save(f, np.ascontiguousarray(imgs))

with tarfile.open("data/cifar-10-binary.tar.gz") as t, \
        open(OUT + "cifar_first.npy", "wb") as f:
    for m in ["data_batch_1.bin", "test_batch.bin"]:
        rec = t.extractfile("cifar-10-batches-bin/" + m).read(3073)
        np.save(f, np.frombuffer(rec, np.uint8))
