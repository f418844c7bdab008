"""Colour quantisation: reduce a small image to a palette of k colours with k-means."""

import numpy as np

PALETTE = np.array([[0.85, 0.30, 0.25], [0.20, 0.55, 0.30], [0.25, 0.35, 0.80], [0.90, 0.85, 0.30]])


def make_image(height=16, width=16, seed=0):
    """A synthetic photo: RGB pixels in [0, 1] scattered around four colours. Shape (h, w, 3)."""
    rng = np.random.default_rng(seed)
    colour = rng.choice(len(PALETTE), size=(height, width), p=[0.4, 0.3, 0.2, 0.1])
    pixels = PALETTE[colour] + rng.normal(0.0, 0.12, size=(height, width, 3))
    return np.clip(pixels, 0.0, 1.0)


def assign(X, centroids):
    """Index of the nearest centroid for every row: shape (n,)."""
    distances = ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)  # (n, k)
    return np.argmin(distances, axis=1)


class KMeans:
    """Lloyd's algorithm, stopped when no centroid moves more than ``tol``.

    Attributes after ``fit``: ``cluster_centers_`` (k, d), ``labels_`` (n,), ``inertia_``,
    ``n_iter_`` (update steps run) and ``converged_`` (False if ``max_iter`` stopped it).
    """

    def __init__(self, n_clusters=4, max_iter=100, tol=1e-6, seed=0):
        self.n_clusters = n_clusters
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed

    def fit(self, X, init=None):
        """Fit on X of shape (n, d), from ``init`` (k, d) or from k distinct random rows."""
        X = np.asarray(X, dtype=float)
        if init is None:
            starts = np.random.default_rng(self.seed).choice(len(X), self.n_clusters, replace=False)
            init = X[starts]
        centroids = np.array(init, dtype=float)
        self.converged_ = False
        self.n_iter_ = 0
        while self.n_iter_ < self.max_iter:
            self.n_iter_ += 1
            labels = assign(X, centroids)
            previous = centroids.copy()
            for j in range(len(centroids)):
                members = labels == j
                if members.any():  # a cluster that lost every row keeps its centre
                    centroids[j] = X[members].mean(axis=0)
            shift = np.sqrt(((centroids - previous) ** 2).sum(axis=1)).max()
            if shift <= self.tol:
                self.converged_ = True
                break
        self.cluster_centers_ = centroids
        self.labels_ = assign(X, centroids)
        self.inertia_ = float(((X - centroids[self.labels_]) ** 2).sum())
        return self


def run_pipeline(image, n_colours=4, seed=0):
    """Quantise ``image`` (h, w, 3) to ``n_colours``; report the palette and the colour error."""
    pixels = image  # (h * w, 3)
    model = KMeans(n_clusters=n_colours, seed=seed).fit(pixels)
    quantised = model.cluster_centers_[model.labels_].reshape(image.shape)
    return {
        "model": model,
        "palette": model.cluster_centers_,
        "quantised": quantised,
        "mean_squared_error": float(np.mean((quantised - image) ** 2)),
    }
