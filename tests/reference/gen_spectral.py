#!/usr/bin/python3
"""Reference fixtures for pca, knn-graph and laplacian (scikit-learn 1.2,
numpy, scipy).  Run by hand from the repository root:

    /usr/bin/python3 tests/reference/gen_spectral.py

Writes small .npy streams under tests/fixtures/spectral/.  Each stream is
the concatenation of the arrays listed next to it below."""
import os

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import laplacian as csgraph_laplacian
from sklearn.decomposition import PCA
from sklearn.manifold import SpectralEmbedding, spectral_embedding
from sklearn.neighbors import kneighbors_graph

OUT = "tests/fixtures/spectral"


def write(name, *arrays):
    with open(os.path.join(OUT, name), "wb") as f:
        for a in arrays:
            np.save(f, np.ascontiguousarray(a))


def brute(Q, B, k, exclude_self=False, farthest=False):
    """Exact neighbours in float64; ties to the smaller index."""
    Q = Q.astype(np.float64)
    B = B.astype(np.float64)
    d = np.sqrt(((Q[:, None, :] - B[None, :, :]) ** 2).sum(-1))
    if exclude_self:
        np.fill_diagonal(d, np.inf if not farthest else -np.inf)
    key = -d if farthest else d
    idx = np.argsort(key, axis=1, kind="stable")[:, :k]
    return idx.astype(np.int64), np.take_along_axis(d, idx, 1)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240601)

    # PCA: anisotropic Gaussian, 200 x 16, plus uint8 labels
    A = rng.standard_normal((16, 16)) * np.linspace(3, 0.1, 16)[:, None]
    X = (rng.standard_normal((200, 16)) @ A + 5.0).astype(np.float32)
    y = rng.integers(0, 10, 200).astype(np.uint8)
    p = PCA(n_components=3, svd_solver="full").fit(X.astype(np.float64))
    Y = p.transform(X.astype(np.float64))
    write("pca_in.npy", X, y)
    write("pca_ref.npy", Y, p.components_, p.explained_variance_ratio_,
          p.explained_variance_)

    # kNN: base 300 x 8 with 5 duplicated rows (exact ties), queries 40 x 8
    B = rng.standard_normal((300, 8)).astype(np.float32)
    B[290:295] = B[10:15]
    Q = rng.standard_normal((40, 8)).astype(np.float32)
    write("knn_base.npy", B)
    write("knn_query.npy", Q)
    i, d = brute(B, B, 5, exclude_self=True)
    write("knn_self_k5.npy", i, d.astype(np.float32))
    i, d = brute(B, B, 5)
    write("knn_self_k5_incl.npy", i, d.astype(np.float32))
    i, d = brute(B, B, 4, exclude_self=True, farthest=True)
    write("knn_self_far_k4.npy", i, d.astype(np.float32))
    i, d = brute(Q, B, 3)
    write("knn_query_k3.npy", i, d.astype(np.float32))
    i, d = brute(Q, B, 2)
    write("knn_density_k2.npy", d.mean(1).astype(np.float32))

    # Laplacian eigenmaps: a noisy curve in 6-D, 300 points, connected
    t = np.sort(rng.uniform(0, 3 * np.pi, 300))
    L = np.stack([np.cos(t), np.sin(t), t / 3, np.cos(2 * t) / 2,
                  np.sin(3 * t) / 3, np.zeros_like(t)], 1)
    L = (L + 0.05 * rng.standard_normal(L.shape)).astype(np.float32)
    write("lap_in.npy", L)
    k = 10
    se = SpectralEmbedding(n_components=3, affinity="nearest_neighbors",
                           n_neighbors=k, random_state=0)
    E = se.fit_transform(L.astype(np.float64))
    lap, dd = csgraph_laplacian(se.affinity_matrix_, normed=True,
                                return_diag=True)
    lam = np.linalg.eigvalsh(lap.toarray())[:4]
    write("lap_ref_k10.npy", E, lam)
    # the same graph as knn-graph output (self excluded, k - 1 columns)
    i, d = brute(L, L, k - 1, exclude_self=True)
    write("lap_graph_k9.npy", i, d.astype(np.float32))

    # heat-kernel weights w = exp(-d^2 / (2 sigma^2)) on the same graph
    sigma = 0.5
    n = L.shape[0]
    i, d = brute(L, L, k)                   # self included, as sklearn
    W = sp.csr_matrix((np.exp(-d.ravel() ** 2 / (2 * sigma ** 2)),
                       (np.repeat(np.arange(n), k), i.ravel())), (n, n))
    W = 0.5 * (W + W.T)
    E = spectral_embedding(W, n_components=3, random_state=0)
    lap = csgraph_laplacian(W, normed=True)
    lam = np.linalg.eigvalsh(lap.toarray())[:4]
    write("lap_ref_heat.npy", E, lam)

    # two far-apart blobs: a disconnected graph
    Z = rng.standard_normal((60, 3)).astype(np.float32)
    Z[30:] += 100
    write("lap_disconnected.npy", Z)


if __name__ == "__main__":
    main()
