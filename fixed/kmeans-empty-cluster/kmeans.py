"""Customer segmentation: k-means (Lloyd's algorithm) on a loyalty-card table."""

import numpy as np
import pandas as pd

FEATURES = ["visits_per_month", "basket_band"]


def make_customers(n_rows=150, seed=0):
    """Synthetic loyalty-card customers in three segments, recorded on coarse integer scales."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(3, size=n_rows, p=[0.5, 0.3, 0.2])
    visits = np.array([2.0, 8.0, 4.0])[segment] + rng.normal(0.0, 0.8, n_rows)
    basket = np.array([1.0, 2.0, 5.0])[segment] + rng.normal(0.0, 0.5, n_rows)
    return pd.DataFrame(
        {
            "visits_per_month": np.clip(np.round(visits), 0, None),
            "basket_band": np.clip(np.round(basket), 1, 6),
        }
    )


def squared_distances(X, centroids):
    """Squared Euclidean distance of every row to every centroid: shape (n, k)."""
    return ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)


def assign(X, centroids):
    """Index of the nearest centroid for every row (ties go to the lower index): shape (n,)."""
    return np.argmin(squared_distances(X, centroids), axis=1)


def inertia(X, centroids, labels):
    """Sum of squared distances of the rows to their assigned centroids."""
    return float(((X - centroids[labels]) ** 2).sum())


def update_centroids(X, labels, centroids):
    """The mean of each cluster's members: shape (k, d)."""
    k = len(centroids)
    counts = np.bincount(labels, minlength=k)  # (k,)
    sums = np.zeros_like(centroids)
    np.add.at(sums, labels, X)
    new = centroids.copy()
    filled = counts > 0
    new[filled] = sums[filled] / counts[filled, None]
    # An empty cluster has no mean: re-seed it on the customer record its neighbours explain
    # worst, one distinct record per empty cluster (two centres on one record would split it).
    empty = np.flatnonzero(~filled)
    if empty.size:
        gaps = ((X - new[labels]) ** 2).sum(axis=1)  # (n,)
        records, first = np.unique(X, axis=0, return_index=True)
        worst = np.argsort(-gaps[first], kind="stable")
        worst = worst[gaps[first][worst] > 0][: empty.size]
        new[empty[: worst.size]] = records[worst]
    return new


class KMeans:
    """Lloyd's algorithm: alternate nearest-centroid assignment and mean update.

    Attributes after ``fit``: ``cluster_centers_`` (k, d), ``labels_`` (n,), ``inertia_``,
    ``inertia_history_`` (the inertia after each assignment) and ``n_iter_``.
    """

    def __init__(self, n_clusters=3, max_iter=100, seed=0):
        self.n_clusters = n_clusters
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, X, init=None):
        """Fit on X of shape (n, d), from ``init`` (k, d) or from k distinct random rows."""
        X = np.asarray(X, dtype=float)
        if init is None:
            starts = np.random.default_rng(self.seed).choice(len(X), self.n_clusters, replace=False)
            init = X[starts]
        centroids = np.array(init, dtype=float)
        labels = assign(X, centroids)
        history = [inertia(X, centroids, labels)]
        self.n_iter_ = 0
        while self.n_iter_ < self.max_iter:
            self.n_iter_ += 1
            centroids = update_centroids(X, labels, centroids)
            new_labels = assign(X, centroids)
            history.append(inertia(X, centroids, new_labels))
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
        self.cluster_centers_ = centroids
        self.labels_ = new_labels
        self.inertia_ = history[-1]
        self.inertia_history_ = history
        return self


def run_pipeline(df, n_clusters=3, seed=0):
    """Segment the customers; report each segment's size and centre."""
    X = df[FEATURES].to_numpy(dtype=float)
    model = KMeans(n_clusters=n_clusters, seed=seed).fit(X)
    return {
        "model": model,
        "sizes": np.bincount(model.labels_, minlength=n_clusters),
        "centres": pd.DataFrame(model.cluster_centers_, columns=FEATURES),
        "inertia": model.inertia_,
    }
