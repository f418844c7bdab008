"""Delivery zones: k-means (k-means++ initialisation, several restarts) on drop-off coordinates."""

import numpy as np
import pandas as pd

FEATURES = ["east_km", "north_km"]


def make_dropoffs(n_rows=300, seed=0):
    """Drop-off points in a 10 km x 10 km city: a few busy districts and scattered addresses."""
    rng = np.random.default_rng(seed)
    districts = rng.uniform(2.0, 8.0, size=(5, 2))
    n_scattered = n_rows // 3
    which = rng.integers(0, 5, n_rows - n_scattered)
    busy = districts[which] + rng.normal(0.0, 1.0, size=(len(which), 2))
    scattered = rng.uniform(0.0, 10.0, size=(n_scattered, 2))
    return pd.DataFrame(np.vstack([busy, scattered]), columns=FEATURES)


def weighted_pick(weights, rng=np.random):
    """Index drawn with probability proportional to ``weights`` (shape (n,), non-negative)."""
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def kmeans_plus_plus(X, k, rng):
    """k initial centres: a random point, then points drawn with probability ~ squared distance
    to the nearest centre chosen so far. X : ndarray of shape (n, d); returns shape (k, d)."""
    centres = [X[rng.integers(len(X))]]
    for _ in range(1, k):
        d2 = ((X[:, None, :] - np.array(centres)[None, :, :]) ** 2).sum(axis=2).min(axis=1)  # (n,)
        centres.append(X[weighted_pick(d2, rng)])
    return np.array(centres)


def assign(X, centres):
    """Index of the nearest centre for every point, shape (n,), and the inertia."""
    d2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)  # (n, k)
    labels = d2.argmin(axis=1)
    return labels, float(d2[np.arange(len(X)), labels].sum())


def lloyd(X, centres, max_iter=100):
    """Alternate assignment and mean updates until the labels stop changing.

    Returns (centres, labels, inertia after each assignment step).
    """
    labels, inertia = assign(X, centres)
    history = [inertia]
    for _ in range(max_iter):
        centres = np.array(
            [
                X[labels != j].mean(axis=0) if np.any(labels == j) else centres[j]
                for j in range(len(centres))
            ]
        )
        new_labels, inertia = assign(X, centres)
        history.append(inertia)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
    return centres, labels, history


def kmeans(X, k, n_init=4, seed=0, max_iter=100):
    """Best of ``n_init`` k-means runs (lowest inertia): (centres (k, d), labels (n,), inertia)."""
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(n_init):
        centres, labels, history = lloyd(X, kmeans_plus_plus(X, k, rng), max_iter)
        if best is None or history[-1] < best[2]:
            best = (centres, labels, history[-1])
    return best


def run_pipeline(df, k=6, seed=0, n_init=4):
    """Cluster the drop-offs into ``k`` delivery zones."""
    X = df[FEATURES].to_numpy(dtype=float)
    centres, labels, inertia = kmeans(X, k, n_init, seed)
    return {
        "centres": centres,
        "labels": labels,
        "inertia": inertia,
        "zone_sizes": np.bincount(labels, minlength=k),
    }
