"""Loan default: standardise the applications, fit a logistic regression, report held-out scores."""

import numpy as np
import pandas as pd

FEATURES = ["income", "loan_amount", "age", "late_payments"]
TARGET = "defaulted"


def make_applications(n_rows=500, seed=0):
    """Synthetic loan applications (amounts in dollars); the default label uses every feature."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(np.log(55_000.0), 0.3, n_rows)
    loan_amount = rng.gamma(4.0, 4_000.0, n_rows)
    age = rng.uniform(21.0, 70.0, n_rows)
    late_payments = rng.poisson(1.0, n_rows).astype(float)
    logit = (
        -1.0
        - 4e-5 * (income - 55_000.0)
        + 1e-4 * (loan_amount - 16_000.0)
        - 0.03 * (age - 45.0)
        + 0.8 * late_payments
    )
    defaulted = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "income": income,
            "loan_amount": loan_amount,
            "age": age,
            "late_payments": late_payments,
            TARGET: defaulted,
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
    """Probability of default from the logit z, elementwise."""
    return 1.0 / (1.0 + np.exp(-z))


def log_loss(y, logits):
    """Mean negative log-likelihood of 0/1 labels y (n,) under logits (n,)."""
    probs = sigmoid(logits)
    return float(-np.mean(y * np.log(probs) + (1 - y) * np.log(1 - probs)))


def gradient(X, y, w, b):
    """Gradient of log_loss(y, X @ w + b) with respect to (w, b)."""
    error = sigmoid(X @ w + b) - y  # (n,)
    return X.T @ error / len(y), float(error.mean())


def fit_logistic_regression(X, y, lr=0.5, epochs=300):
    """Batch gradient descent. X: (n, d), y: (n,) of 0/1. Returns w, b and the loss per epoch."""
    w = np.zeros(X.shape[1])
    b = 0.0
    history = []
    for _ in range(epochs):
        history.append(log_loss(y, X @ w + b))
        grad_w, grad_b = gradient(X, y, w, b)
        w -= lr * grad_w
        b -= lr * grad_b
    return w, b, history


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(df, test_size=0.25, seed=0):
    """Split, standardise, fit and score. Returns the fitted parts and held-out results."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)

    X_train_raw, X_test_raw = X[train_idx], X[test_idx]
    scaler = StandardScaler().fit(X_train_raw)
    X_train, X_test = scaler.transform(X_train_raw), scaler.transform(X_test_raw)

    w, b, history = fit_logistic_regression(X_train, y[train_idx])
    test_logits = X_test @ w + b
    test_probs = sigmoid(test_logits)
    return {
        "weights": w,
        "bias": b,
        "loss_history": history,
        "test_probabilities": test_probs,
        "test_log_loss": log_loss(y[test_idx], test_logits),
        "test_accuracy": accuracy(y[test_idx], test_probs >= 0.5),
    }
