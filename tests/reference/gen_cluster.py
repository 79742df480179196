#!/usr/bin/python3
"""Reference fixtures for kmeans, silhouette, roc and linprobe.

Run by hand from the top of the tree (needs numpy, scikit-learn 1.2 and
torch 1.13):  /usr/bin/python3 tests/reference/gen_cluster.py
Writes small .npy streams under tests/fixtures/cluster/ (each file is
one or more .npy arrays back to back, as the tools read them).
"""
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "cluster")


def save(name, *arrays):
    with open(os.path.join(OUT, name), "wb") as fp:
        for a in arrays:
            np.save(fp, np.ascontiguousarray(a))


def gen_roc():
    from sklearn.metrics import roc_auc_score, roc_curve
    rng = np.random.default_rng(1)
    n = 600
    y = (rng.random(n) < 0.4).astype(np.int64)
    # heavy ties: scores on a coarse grid, shifted up for positives
    s = np.round(rng.normal(size=n) + 0.8 * y, 1)
    for tag, scores in (("f64", s.astype(np.float64)),
                        ("f32", (s / 3).astype(np.float32)),
                        ("i32", np.round(s * 2).astype(np.int32))):
        save("roc_%s_in.npy" % tag, scores, y)
        for drop, suffix in ((True, ""), (False, "_all")):
            fpr, tpr, thr = roc_curve(y, scores, drop_intermediate=drop)
            pts = np.stack([thr.astype(np.float64), fpr, tpr], axis=1)
            save("roc_%s_out%s.npy" % (tag, suffix), pts)
        auc = roc_auc_score(y, scores)
        save("roc_%s_auc.npy" % tag, np.array([auc]))
        print("roc", tag, "points", len(pts), "auc %.17g" % auc)
    # untied scores, labels as uint8, two files
    s2 = rng.normal(size=200)
    y2 = (rng.random(200) < 0.5).astype(np.uint8)
    save("roc_u8_scores.npy", s2)
    save("roc_u8_labels.npy", y2)
    fpr, tpr, thr = roc_curve(y2, s2)
    save("roc_u8_out.npy", np.stack([thr, fpr, tpr], axis=1))
    print("roc u8 auc %.17g" % roc_auc_score(y2, s2))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    parts = sys.argv[1:] or ["roc", "kmeans", "silhouette", "linprobe"]
    for p in parts:
        globals()["gen_" + p]()
