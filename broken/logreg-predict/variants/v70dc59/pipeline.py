"""Spam filter: a logistic regression on simple counts from each e-mail, scored on held-out mail."""

import numpy as np
import pandas as pd

FEATURES = ["links", "exclamations", "caps_ratio", "known_sender"]
TARGET = "spam"


def make_emails(n_rows=400, seed=0):
    """Synthetic e-mails; spam has more links, exclamation marks and capitals."""
    rng = np.random.default_rng(seed)
    links = rng.poisson(2.0, n_rows).astype(float)
    exclamations = rng.poisson(1.5, n_rows).astype(float)
    caps = rng.beta(2.0, 8.0, n_rows)
    known = (rng.random(n_rows) < 0.5).astype(float)
    logit = -1.5 + 0.5 * links + 0.4 * exclamations + 4.0 * caps - 1.2 * known
    spam = rng.random(n_rows) < 0.5 * (1.0 + np.tanh(logit / 2.0))
    return pd.DataFrame(
        {
            "links": links,
            "exclamations": exclamations,
            "caps_ratio": caps,
            "known_sender": known,
            TARGET: spam.astype(int),
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def sigmoid(z):
    """The logistic function, written with tanh, which never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=float)))


class LogisticRegression:
    """Binary logistic regression by batch gradient descent on the mean log-loss.

    After fit: coef_ (d,) and intercept_.
    """

    def __init__(self, lr=0.2, epochs=500):
        self.lr = lr
        self.epochs = epochs

    def fit(self, X, y):
        """X : ndarray of shape (n, d); y : ndarray of shape (n,) of 0/1."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n, d = X.shape
        self.coef_, self.intercept_ = np.zeros(d), 0.0
        for _ in range(self.epochs):
            error = self.predict_proba(X)[:, 1] - y  # (n,)
            self.coef_ = self.coef_ - self.lr * (X.T @ error) / n
            self.intercept_ = self.intercept_ - self.lr * float(error.mean())
        return self

    def decision_function(self, X):
        """The logit of spam for each row: (n,)."""
        return np.asarray(X, dtype=float) @ self.coef_ + self.intercept_

    def predict_proba(self, X):
        """Probabilities of [not spam, spam] for each row: (n, 2)."""
        p_spam = sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p_spam, p_spam])

    def predict(self, X):
        """The more probable class for each row, 0 or 1: (n,)."""
        return (self.decision_function(X) > 0.0).astype(int)


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) != np.asarray(y_pred)))


def run_pipeline(df, test_size=0.25, seed=0):
    """Split, fit on the training e-mails, and report scores on both sets."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=int)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    model = LogisticRegression().fit(X[train_idx], y[train_idx])
    test_pred = model.predict(X[test_idx])
    return {
        "model": model,
        "train_accuracy": accuracy(y[train_idx], model.predict(X[train_idx])),
        "test_accuracy": accuracy(y[test_idx], test_pred),
        "test_spam_rate": float(test_pred.mean()),
    }
