"""Support-ticket triage: predict escalation with a 1-nearest-neighbour model, report accuracy."""

import numpy as np
import pandas as pd

FEATURES = ["sentiment", "caps_ratio", "log_words", "log_prior_tickets", "weeks_since_purchase"]
TARGET = "escalated"


def make_tickets(n_rows=300, seed=0):
    """Synthetic support tickets: text statistics and account history, escalated or not."""
    rng = np.random.default_rng(seed)
    sentiment = np.clip(rng.normal(0.0, 0.5, n_rows), -1.0, 1.0)
    caps_ratio = rng.beta(1.5, 8.0, n_rows)
    log_words = rng.normal(4.0, 0.7, n_rows)
    log_prior = np.log1p(rng.poisson(1.5, n_rows)) + rng.uniform(0.0, 0.1, n_rows)
    weeks = rng.exponential(1.0, n_rows)
    logit = -1.0 - 6.0 * sentiment + 12.0 * caps_ratio + 2.0 * (log_prior - 0.8) - 1.5 * weeks
    escalated = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "sentiment": sentiment,
            "caps_ratio": caps_ratio,
            "log_words": log_words,
            "log_prior_tickets": log_prior,
            "weeks_since_purchase": weeks,
            TARGET: escalated,
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


class NearestNeighbour:
    """1-nearest-neighbour classifier with Euclidean distance."""

    def fit(self, X, y):
        """X : ndarray of shape (n, d), y : ndarray of shape (n,)."""
        self.X_ = np.asarray(X, dtype=float)
        self.y_ = np.asarray(y)
        return self

    def predict(self, X):
        """Label of the closest stored row for each row of X (m, d): ndarray of shape (m,)."""
        diff = np.asarray(X, dtype=float)[:, None, :] - self.X_[None, :, :]  # (m, n, d)
        nearest = np.argmin((diff**2).sum(axis=2), axis=1)  # (m,)
        return self.y_[nearest]


def accuracy(y_true, y_pred):
    return float(np.sum(np.asarray(y_true) == np.asarray(y_pred)))


def run_pipeline(df, test_size=0.25, seed=0):
    """Split the tickets, fit the model, score it on the held-out tickets."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=int)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    model = NearestNeighbour().fit(X[train_idx], y[train_idx])
    test_pred = model.predict(X[test_idx])
    return {
        "model": model,
        "train_idx": train_idx,
        "test_idx": test_idx,
        "test_predictions": test_pred,
        "test_accuracy": accuracy(y[test_idx], test_pred),
    }
