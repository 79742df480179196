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


def gen_kmeans():
    from sklearn.cluster import KMeans
    rng = np.random.default_rng(2)
    # well separated blobs: converges by stable labels
    c = rng.normal(size=(4, 8)) * 4
    X = (c[rng.integers(0, 4, 300)] + rng.normal(size=(300, 8))).astype(np.float32)
    y = rng.integers(0, 4, 300).astype(np.int64)
    save("km_blobs.npy", X, y)
    init = X[[0, 1, 2, 3]].copy()
    save("km_blobs_init.npy", init)
    km = KMeans(4, init=init, n_init=1, algorithm="lloyd").fit(X)
    save("km_blobs_out.npy", km.labels_.astype(np.int32),
         km.cluster_centers_.astype(np.float32),
         np.array([km.inertia_], np.float64), np.array([km.n_iter_]))
    print("kmeans blobs inertia %.9g iters %d" % (km.inertia_, km.n_iter_))
    # overlapping mixture: stops on the tolerance, or max_iter
    c = rng.normal(size=(8, 16))
    X = (c[rng.integers(0, 8, 1000)] + rng.normal(size=(1000, 16))).astype(np.float32)
    save("km_mix.npy", X)
    init = X[rng.choice(1000, 6, replace=False)].copy()
    save("km_mix_init.npy", init)
    for mi in (300, 3):
        km = KMeans(6, init=init, n_init=1, max_iter=mi, algorithm="lloyd").fit(X)
        save("km_mix_out%d.npy" % mi, km.labels_.astype(np.int32),
             km.cluster_centers_.astype(np.float32),
             np.array([km.inertia_], np.float64), np.array([km.n_iter_]))
        print("kmeans mix max_iter %d inertia %.9g iters %d" % (mi, km.inertia_, km.n_iter_))
    # quality from k-means++ with 10 restarts (sklearn's own seeds)
    km = KMeans(6, n_init=10, random_state=0).fit(X)
    save("km_mix_best.npy", np.array([km.inertia_], np.float64))
    print("kmeans mix n_init=10 inertia %.9g" % km.inertia_)


def gen_silhouette():
    from sklearn.metrics import silhouette_samples, silhouette_score
    rng = np.random.default_rng(3)
    c = rng.normal(size=(5, 6)) * 2
    lab = rng.integers(0, 5, 400)
    X = (c[lab] + rng.normal(size=(400, 6))).astype(np.float32)
    X[10] = X[11]                      # a duplicate point
    values = np.array([2, 5, 9, 11, 40])
    y = values[lab]
    y[7] = 77                          # a singleton cluster
    y = y.astype(np.int64)
    save("sil_in.npy", X, y)
    s = silhouette_samples(X, y)
    save("sil_samples.npy", s.astype(np.float64))
    save("sil_score.npy", np.array([silhouette_score(X, y)]))
    print("silhouette %.17g" % silhouette_score(X, y))


def torch_probe(Xtr, ytr, Xte, yte, C, epochs, seed, init=None, order=None):
    import torch
    torch.manual_seed(seed)
    lin = torch.nn.Linear(Xtr.shape[1], C)
    if init is not None:
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(init[0]))
            lin.bias.copy_(torch.from_numpy(init[1]))
    opt = torch.optim.Adam(lin.parameters(), lr=3e-4, weight_decay=1e-6)
    X = torch.from_numpy(Xtr)
    y = torch.from_numpy(ytr)
    g = torch.Generator().manual_seed(seed)
    for e in range(epochs):
        perm = order[e] if order is not None else torch.randperm(len(X), generator=g).numpy()
        for i in range(0, len(X), 32):
            idx = torch.from_numpy(np.asarray(perm[i:i + 32]))
            loss = torch.nn.functional.cross_entropy(lin(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with torch.no_grad():
        pred = lin(torch.from_numpy(Xte)).argmax(1).numpy()
    return lin, 100.0 * (pred == yte).mean()


def gen_linprobe():
    import torch
    rng = np.random.default_rng(4)
    D, C = 16, 4
    mu = rng.normal(size=(C, D))
    def make(n):
        y = rng.integers(0, C, n)
        return (mu[y] + 1.5 * rng.normal(size=(n, D))).astype(np.float32), y.astype(np.int64)
    Xtr, ytr = make(1000)
    Xte, yte = make(300)
    save("lp_train.npy", Xtr, ytr)
    save("lp_test.npy", Xte, yte)
    torch.manual_seed(0)
    lin = torch.nn.Linear(D, C)
    init = (lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy())
    save("lp_init.npy", *init)
    order = np.stack([rng.permutation(1000) for _ in range(2)]).astype(np.int64)
    save("lp_order.npy", order)
    for ep in (1, 2):
        lin, acc = torch_probe(Xtr, ytr, Xte, yte, C, ep, 0, init, order)
        save("lp_w%d.npy" % ep, lin.weight.detach().numpy(), lin.bias.detach().numpy())
        print("linprobe %d epochs acc %.2f" % (ep, acc))
    # larger set: the recipe's own init and shuffles, accuracy only;
    # 40 epochs so that the probe converges and seeds matter little
    D, C = 8, 4
    mu = rng.normal(size=(C, D)) * 0.8
    Xtr, ytr = make(1500)
    Xte, yte = make(1000)
    save("lp_big_train.npy", Xtr, ytr)
    save("lp_big_test.npy", Xte, yte)
    accs = [torch_probe(Xtr, ytr, Xte, yte, C, 40, s)[1] for s in range(8)]
    save("lp_big_acc.npy", np.array([np.mean(accs)]))
    print("linprobe big: torch accuracy over 8 seeds", accs, np.mean(accs))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    parts = sys.argv[1:] or ["roc", "kmeans", "silhouette", "linprobe"]
    for p in parts:
        globals()["gen_" + p]()
