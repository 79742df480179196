#!/usr/bin/python3
"""Reference fixtures for tsne (lib/tsne.c, tests/unit/test_tsne.c).

Run by hand from the repository root with scikit-learn 1.2:
    /usr/bin/python3 tests/reference/gen_tsne.py
Writes tests/fixtures/tsne/*.npy (tensor streams: arrays back to back).

  p.npy     X float32 [120,8]; P float64 [120,120]: sklearn's
            _joint_probabilities_nn (perplexity 10, kNN as TSNE._fit)
  pca.npy   X float32 [300,16]; sklearn's scaled PCA init float32 [300,2]
  grad.npy  P float64 [12,12] (symmetric, sums to 1); Y float64 [12,2];
            grad float64 [12,2] and kl float64 [1] of _kl_divergence
  run.npy   X float32 [600,32] (5 Gaussian blobs, random projection);
            sklearn TSNE (barnes_hut, init pca, lr auto, seed 0)
            embedding float32 [600,2]; float64 [3] = (sklearn's reported
            kl_divergence_, exact KL of that embedding against the same
            P, trustworthiness k=10)
  labels.npy  int64 [600], the blob of each row of run.npy's X
  nan.npy   float32 [10,3] with one NaN (an error case for the tool)
"""
import os

import numpy as np
from scipy.sparse import csr_matrix
from scipy.spatial.distance import squareform
from sklearn.decomposition import PCA
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities_nn, _kl_divergence
from sklearn.neighbors import NearestNeighbors

OUT = "tests/fixtures/tsne"


def write(name, *arrays):
    with open(os.path.join(OUT, name), "wb") as fp:
        for a in arrays:
            np.lib.format.write_array(fp, np.ascontiguousarray(a),
                                      version=(1, 0))


def blobs(rng, n, d, k, spread=1.0, sep=6.0):
    centres = rng.normal(size=(k, d)) * sep
    lab = rng.integers(0, k, size=n)
    return (centres[lab] + spread * rng.normal(size=(n, d))).astype(
        np.float32), lab


def joint_p(X, perplexity):
    """P exactly as TSNE._fit (method barnes_hut) builds it."""
    n = X.shape[0]
    k = min(n - 1, int(3.0 * perplexity + 1))
    knn = NearestNeighbors(algorithm="auto", n_neighbors=k,
                           metric="euclidean").fit(X)
    d = knn.kneighbors_graph(mode="distance")
    d.data **= 2
    return _joint_probabilities_nn(d, perplexity, 0)


def exact_kl(P, Y):
    P = P.toarray().astype(np.float64)
    Y = Y.astype(np.float64)
    d2 = ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1)
    w = 1.0 / (1.0 + d2)
    np.fill_diagonal(w, 0.0)
    Q = w / w.sum()
    m = P > 0
    return float((P[m] * np.log(P[m] / Q[m])).sum())


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261128)

    X, _ = blobs(rng, 120, 8, 3, spread=1.0, sep=3.0)
    P = joint_p(X, 10.0)
    write("p.npy", X, P.toarray().astype(np.float64))

    X, _ = blobs(rng, 300, 16, 4)
    pca = PCA(n_components=2, svd_solver="randomized", random_state=0)
    E = pca.fit_transform(X).astype(np.float32, copy=False)
    E = E / np.std(E[:, 0]) * 1e-4
    write("pca.npy", X, E.astype(np.float32))

    n = 12
    A = rng.random((n, n))
    A = A + A.T
    np.fill_diagonal(A, 0.0)
    A[rng.random((n, n)) < 0.3] = 0.0
    A = np.maximum(A, A.T)
    np.fill_diagonal(A, 0.0)
    A /= A.sum()
    Y = rng.normal(size=(n, 2)) * 2.0
    kl, grad = _kl_divergence(Y.ravel().copy(), squareform(A), 1, n, 2)
    write("grad.npy", A, Y, grad.reshape(n, 2).astype(np.float64),
          np.array([kl], dtype=np.float64))

    # 5 blobs in 10-D, randomly projected to 32-D
    Z, lab = blobs(rng, 600, 10, 5, spread=1.0, sep=4.0)
    R = rng.normal(size=(10, 32)) / np.sqrt(10)
    X = (Z @ R).astype(np.float32)
    ts = TSNE(n_components=2, perplexity=30.0, init="pca",
              learning_rate="auto", method="barnes_hut", random_state=0)
    E = ts.fit_transform(X).astype(np.float32)
    P = joint_p(X, 30.0)
    t = trustworthiness(X, E, n_neighbors=10)
    write("run.npy", X, E,
          np.array([ts.kl_divergence_, exact_kl(P, E), t], dtype=np.float64))
    write("labels.npy", lab.astype(np.int64))
    bad = np.arange(30, dtype=np.float32).reshape(10, 3)
    bad[4, 1] = np.nan
    write("nan.npy", bad)
    print("sklearn kl %.6f exact %.6f trust %.6f"
          % (ts.kl_divergence_, exact_kl(P, E), t))


if __name__ == "__main__":
    main()
