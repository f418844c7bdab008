"""Weekly customer segments: k-means (Lloyd's algorithm) on the loyalty-card table."""

import numpy as np
import pandas as pd

FEATURES = ["visits_per_month", "basket_band"]


def load_week(path, week):
    """One week's loyalty-card table from the export at ``path``: its rows whose ``week`` is
    ``week``, with every column of the export."""
    export = pd.read_csv(path)
    return export[export["week"] == week]


class Scaler:
    """Standardises each column: ``transform`` maps X (n, d) to (X - mean_) / scale_."""

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.scale_ = np.where(std > 0, std, 1.0)  # a constant column would divide by zero
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_


def initial_centres(X, k, rng):
    """k rows of X (n, d) drawn at random without replacement: shape (k, d)."""
    return X[rng.choice(len(X), size=k, replace=False)]


def squared_distances(X, centres):
    """Squared Euclidean distance of every row to every centre: shape (n, k)."""
    return ((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)


def assign(X, centres):
    """Index of the nearest centre for every row: shape (n,)."""
    return np.argmin(squared_distances(X, centres), axis=1)


def inertia(X, centres, labels):
    """Sum of squared distances of the rows to their assigned centres."""
    return float(((X - centres[labels]) ** 2).sum())


def update_centres(X, labels, k):
    """The k centres for the next assignment, from X (n, d) and its labels (n,): shape (k, d)."""
    frame = pd.DataFrame(X)
    clusters = pd.Categorical(labels, categories=range(k))
    means = frame.groupby(clusters, observed=False).mean()  # (k, d)
    empty = means.index[means.isna().any(axis=1)]
    gaps = ((frame - means.to_numpy()[labels]) ** 2).sum(axis=1)  # (n,)
    means.loc[empty] = frame.loc[gaps.nlargest(len(empty)).index].to_numpy()
    return means.to_numpy()


class KMeans:
    """Lloyd's algorithm: alternate nearest-centre assignment and centre update.

    Attributes after ``fit``: ``cluster_centers_`` (k, d), ``labels_`` (n,), ``inertia_``,
    ``inertia_history_`` (the inertia after each assignment) and ``n_iter_``.
    """

    def __init__(self, n_clusters=5, max_iter=100, seed=0):
        self.n_clusters = n_clusters
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, X, init=None):
        """Fit on X of shape (n, d), from ``init`` (k, d) or from k random rows of X."""
        X = np.asarray(X, dtype=float)
        if init is None:
            init = initial_centres(X, self.n_clusters, np.random.default_rng(self.seed))
        centres = np.array(init, dtype=float)
        labels = assign(X, centres)
        history = [inertia(X, centres, labels)]
        self.n_iter_ = 0
        while self.n_iter_ < self.max_iter:
            self.n_iter_ += 1
            centres = update_centres(X, labels, len(centres))
            new_labels = assign(X, centres)
            history.append(inertia(X, centres, new_labels))
            if np.array_equal(new_labels, labels):
                break
            labels = new_labels
        self.cluster_centers_ = centres
        self.labels_ = new_labels
        self.inertia_ = history[-1]
        self.inertia_history_ = history
        return self


def segment_profiles(df, labels):
    """One row per segment, largest first: customers, their share and their mean features."""
    grouped = df[FEATURES].groupby(np.asarray(labels))
    profiles = grouped.mean()
    profiles.insert(0, "customers", grouped.size())
    profiles.insert(1, "share", profiles["customers"] / len(df))
    profiles.index.name = "segment"
    return profiles.sort_values("customers", ascending=False, kind="stable")


def run_pipeline(df, n_clusters=5, seed=0):
    """Segment one week's customers: the scaler, the model, each customer's segment, profiles."""
    X = df[FEATURES].to_numpy(dtype=float)
    scaler = Scaler().fit(X)
    model = KMeans(n_clusters=n_clusters, seed=seed).fit(scaler.transform(X))
    return {
        "scaler": scaler,
        "model": model,
        "segments": pd.Series(model.labels_, index=df.index, name="segment"),
        "profiles": segment_profiles(df, model.labels_),
    }
