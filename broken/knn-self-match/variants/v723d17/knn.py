"""Wine cultivars: choose k for a k-nearest-neighbour classifier by leave-one-out accuracy."""

import numpy as np
import pandas as pd

FEATURES = ["alcohol", "malic_acid", "flavanoids", "colour_intensity"]
TARGET = "cultivar"


def make_wines(n_rows=150, seed=0):
    """Synthetic chemical analyses of wines from three cultivars (overlapping classes)."""
    rng = np.random.default_rng(seed)
    cultivar = rng.choice(3, size=n_rows, p=[0.35, 0.4, 0.25])
    means = np.array([[13.7, 2.0, 2.9, 5.5], [12.3, 1.9, 2.1, 3.1], [13.1, 3.3, 0.8, 7.4]])
    spreads = np.array([0.5, 0.9, 0.7, 1.6])
    values = means[cultivar] + rng.normal(0.0, 1.0, size=(n_rows, 4)) * spreads
    df = pd.DataFrame(values, columns=FEATURES)
    df[TARGET] = cultivar
    return df


def pairwise_distances(A, B):
    """Euclidean distance between every row of A (m, d) and every row of B (n, d): shape (m, n)."""
    return np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2))


def kneighbors(X_train, X_query, k):
    """Indices of the k training rows nearest to each query row: shape (n_query, k)."""
    distances = pairwise_distances(X_query, X_train)  # (n_query, n_train)
    return np.argsort(distances, axis=0, kind="stable")[:, :k]


def vote(y_train, neighbours):
    """Majority label among each row's neighbours (ties go to the smaller label): shape (n,)."""
    n_classes = int(y_train.max()) + 1
    return np.array([np.bincount(y_train[row], minlength=n_classes).argmax() for row in neighbours])


def predict(X_train, y_train, X_query, k):
    """k-NN predictions for the query rows: shape (n_query,)."""
    return vote(y_train, kneighbors(X_train, X_query, k))


def leave_one_out_neighbours(X, k):
    """For every row of X, the indices of its k nearest neighbours among the other rows: (n, k)."""
    distances = pairwise_distances(X, X)  # (n, n)
    # A held-out row is not in the training set it is predicted from.
    np.fill_diagonal(distances, np.inf)
    return np.argsort(distances, axis=1, kind="stable")[:, :k]


def leave_one_out_accuracy(X, y, k):
    """Accuracy of k-NN when each row is predicted from all the other rows."""
    predictions = vote(y, leave_one_out_neighbours(X, k))
    return float(np.mean(predictions == y))


def run_pipeline(df, ks=(1, 3, 5, 7, 9)):
    """Leave-one-out accuracy of k-NN for every k in ``ks``; the best k wins."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=int)
    scores = {k: leave_one_out_accuracy(X, y, k) for k in ks}
    return {"loo_accuracy": scores, "best_k": max(scores, key=scores.get)}
