"""Loan default: a logistic regression trained from scratch by gradient descent on the log-loss."""

import numpy as np
import pandas as pd

FEATURES = ["income_k", "debt_to_income", "credit_age_years", "late_payments"]
TARGET = "defaulted"


def make_loans(n_rows=600, seed=0):
    """Synthetic loan book with a default label that depends on every feature."""
    rng = np.random.default_rng(seed)
    income = rng.lognormal(3.9, 0.4, n_rows)
    dti = rng.beta(2.0, 5.0, n_rows)
    credit_age = rng.gamma(3.0, 3.0, n_rows)
    late = rng.poisson(0.8, n_rows).astype(float)
    logit = (
        -1.5 - 0.03 * (income - 50.0) + 6.0 * (dti - 0.3) - 0.2 * (credit_age - 9.0) + 0.9 * late
    )
    defaulted = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "income_k": income,
            "debt_to_income": dti,
            "credit_age_years": credit_age,
            "late_payments": late,
            TARGET: defaulted,
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def fit_standardiser(X):
    """Column means and scales of X: (mean of shape (d,), scale of shape (d,))."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    # A constant column has no spread to divide by: leave it centred, unscaled.
    return mean, np.where(scale > 0, scale, 1.0)


def standardise(X, mean, scale):
    return (X - mean) / scale


def sigmoid(z):
    """Logistic function, elementwise, finite for any finite z."""
    # log(1 + e^-z) through logaddexp never overflows, and neither does exp of minus it.
    log_denominator = np.logaddexp(0.0, -z)
    return np.exp(-log_denominator)


def log_loss(X, y, w, b):
    """Mean log-loss of the model sigmoid(X @ w + b). X: (n, d), y: (n,) of 0/1, w: (d,)."""
    logits = X @ w + b  # (n,)
    # -log sigmoid(z) = log(1 + e^-z) and -log(1 - sigmoid(z)) = log(1 + e^z), both via logaddexp.
    return float(np.mean(y * np.logaddexp(0.0, -logits) + (1 - y) * np.logaddexp(0.0, logits)))


def gradients(X, y, w, b):
    """Gradient of log_loss at (w, b): (grad_w of shape (d,), grad_b a float)."""
    n = X.shape[0]
    error = sigmoid(X @ w + b) - y  # (n,)
    return X.T @ error / n, float(error.mean())


def fit(X, y, lr=0.5, epochs=300):
    """Batch gradient descent from zero: (w, b, loss_history of shape (epochs,)).

    loss_history[i] is log_loss after step i + 1.
    """
    w = np.zeros(X.shape[1])
    b = 0.0
    history = np.empty(epochs)
    for epoch in range(epochs):
        grad_w, grad_b = gradients(X, y, w, b)
        w = w - lr * grad_w
        b = b - lr * grad_b
        history[epoch] = log_loss(X, y, w, b)
    return w, b, history


def predict_proba(X, w, b):
    """Probability of default for each row: (n,)."""
    return sigmoid(X @ w - b)


def predict(X, w, b, threshold=0.5):
    """Labels of shape (n,): 1 where the probability of default is at least threshold, else 0."""
    return (predict_proba(X, w, b) >= threshold).astype(int)


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(df, test_size=0.25, seed=0, lr=0.5, epochs=300):
    """Split, standardise on the training rows, fit, and score on the held-out rows."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)

    mean, scale = fit_standardiser(X[train_idx])
    X_train = standardise(X[train_idx], mean, scale)
    X_test = standardise(X[test_idx], mean, scale)

    w, b, history = fit(X_train, y[train_idx], lr, epochs)
    return {
        "mean": mean,
        "scale": scale,
        "weights": w,
        "bias": b,
        "loss_history": history,
        "train_accuracy": accuracy(y[train_idx], predict(X_train, w, b)),
        "test_probabilities": predict_proba(X_test, w, b),
        "test_accuracy": accuracy(y[test_idx], predict(X_test, w, b)),
    }
