"""Customer churn: standardise the features, fit a logistic regression, report held-out scores."""

import numpy as np
import pandas as pd

FEATURES = ["tenure_months", "monthly_charges", "support_calls", "data_gb"]
TARGET = "churned"


def make_customers(n_rows=400, seed=0):
    """Synthetic customer table with a churn label that depends on every feature."""
    rng = np.random.default_rng(seed)
    tenure = rng.gamma(2.0, 12.0, n_rows)
    charges = rng.normal(70.0, 20.0, n_rows)
    calls = rng.poisson(2.0, n_rows).astype(float)
    data_gb = rng.lognormal(2.0, 0.5, n_rows)
    logit = 0.5 - 0.08 * tenure + 0.04 * (charges - 70.0) + 0.6 * calls - 0.05 * data_gb
    churned = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "tenure_months": tenure,
            "monthly_charges": charges,
            "support_calls": calls,
            "data_gb": data_gb,
            TARGET: churned,
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


class StandardScaler:
    """Centre each column and divide by its standard deviation."""

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        # A constant column has no spread to divide by: leave it centred, unscaled.
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_


def sigmoid(z):
    # Split by sign so that exp never sees a large positive argument.
    out = np.empty_like(z, dtype=float)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    exp_z = np.exp(z[~pos])
    out[~pos] = exp_z / (1.0 + exp_z)
    return out


def fit_logistic_regression(X, y, lr=0.5, epochs=300):
    """Batch gradient descent on the mean log-loss. X: (n, d), y: (n,) of 0/1."""
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    for _ in range(epochs):
        error = sigmoid(X @ w + b) - y  # (n,)
        w -= lr * (X.T @ error) / n
        b -= lr * error.mean()
    return w, b


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(df, test_size=0.25, seed=0):
    """Split, standardise, fit and score. Returns the fitted parts and held-out results."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)

    scaler = StandardScaler().fit(X)
    X_train = scaler.transform(X[train_idx])
    X_test = scaler.transform(X[test_idx])

    w, b = fit_logistic_regression(X_train, y[train_idx])
    test_probs = sigmoid(X_test @ w + b)
    return {
        "scaler": scaler,
        "weights": w,
        "bias": b,
        "train_accuracy": accuracy(y[train_idx], sigmoid(X_train @ w + b) >= 0.5),
        "test_probabilities": test_probs,
        "test_accuracy": accuracy(y[test_idx], test_probs >= 0.5),
    }
