"""Ad clicks: encode each publisher by its click rate, fit a linear scorer, report held-out accuracy."""

import numpy as np
import pandas as pd

CATEGORY = "publisher_id"
TARGET = "clicked"


def make_clicks(n_rows=400, n_publishers=60, seed=0):
    """Impressions from many small publishers; each publisher has its own click-through rate."""
    rng = np.random.default_rng(seed)
    publisher_ctr = rng.beta(2.0, 2.0, n_publishers)
    publisher = rng.integers(0, n_publishers, n_rows)
    ad_slot = rng.integers(1, 5, n_rows)
    p_click = np.clip(publisher_ctr[publisher] - 0.08 * (ad_slot - 2.5), 0.02, 0.98)
    return pd.DataFrame(
        {
            CATEGORY: [f"pub-{k:03d}" for k in publisher],
            "ad_slot": ad_slot.astype(float),
            TARGET: (rng.random(n_rows) < p_click).astype(int),
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows / test_size)
    return order[n_test:], order[:n_test]


class TargetEncoder:
    """Replace a category by its smoothed click rate: (clicks + m * prior) / (impressions + m)."""

    def __init__(self, smoothing=2.0):
        self.smoothing = smoothing

    def fit(self, categories, y):
        """categories : array-like of shape (n,); y : array-like of shape (n,) of 0/1."""
        y = np.asarray(y, dtype=float)
        self.prior_ = float(y.mean())
        stats = pd.Series(y).groupby(np.asarray(categories)).agg(["sum", "count"])
        m = self.smoothing
        self.rates_ = (stats["sum"] + m * self.prior_) / (stats["count"] + m)
        return self

    def transform(self, categories):
        """The encoded rates, shape (n,); a category never seen in fit gets the prior."""
        rates = pd.Series(np.asarray(categories)).map(self.rates_)
        return rates.fillna(self.prior_).to_numpy(dtype=float)


def build_features(frame, encoder):
    """Model inputs for ``frame``: the publisher's click rate and the ad slot, shape (n, 2)."""
    rate = encoder.transform(frame[CATEGORY])
    return np.column_stack([rate, frame["ad_slot"].to_numpy(dtype=float)])


def fit_ridge(X, y, alpha=1.0):
    """Ridge regression with an unpenalised intercept. X: (n, d), y: (n,)."""
    x_mean = X.mean(axis=0)
    y_mean = y.mean()
    Xc = X - x_mean  # (n, d)
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ (y - y_mean))
    return w, float(y_mean - x_mean @ w)


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def run_pipeline(df, test_size=0.25, seed=0, smoothing=2.0):
    """Split, encode publishers, fit and score. Returns the fitted parts and held-out results."""
    train_idx, test_idx = train_test_split(len(df), test_size=test_size, seed=seed)
    train = df.iloc[train_idx]
    test = df.iloc[test_idx]
    y_train = train[TARGET].to_numpy(dtype=float)
    y_test = test[TARGET].to_numpy(dtype=float)

    encoder = TargetEncoder(smoothing).fit(train[CATEGORY], y_train)
    X_train = build_features(train, encoder)
    X_test = build_features(test, encoder)

    w, b = fit_ridge(X_train, y_train)
    test_scores = X_test @ w + b
    return {
        "weights": w,
        "bias": b,
        "train_accuracy": accuracy(y_train, (X_train @ w + b >= 0.5).astype(int)),
        "test_scores": test_scores,
        "test_accuracy": accuracy(y_test, (test_scores >= 0.5).astype(int)),
    }
