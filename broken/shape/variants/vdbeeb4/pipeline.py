"""House prices: a linear regression trained by batch gradient descent, scored by held-out RMSE."""

import numpy as np
import pandas as pd

FEATURES = ["area_m2", "bedrooms", "age_years", "distance_km"]
TARGET = "price_k"


def make_houses(n_rows=400, seed=0):
    """Synthetic sales: the price in thousands is linear in every feature, plus noise."""
    rng = np.random.default_rng(seed)
    area = rng.normal(120.0, 35.0, n_rows)
    bedrooms = rng.integers(1, 6, n_rows).astype(float)
    age = rng.uniform(0.0, 80.0, n_rows)
    distance = rng.gamma(2.0, 4.0, n_rows)
    noise = rng.normal(0.0, 20.0, n_rows)
    price = 50.0 + 2.5 * area + 15.0 * bedrooms - 1.2 * age - 8.0 * distance + noise
    return pd.DataFrame(
        {
            "area_m2": area,
            "bedrooms": bedrooms,
            "age_years": age,
            "distance_km": distance,
            TARGET: price,
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


def check_target(y, n_rows):
    """Validate a target once, on entry.

    y : array-like of shape (n_rows,) or (n_rows, 1)
    Returns the target as a float ndarray holding one value per row.
    """
    y = np.asarray(y, dtype=float)
    # A mean over no rows is NaN, not an error: refuse it here.
    if n_rows == 0:
        raise ValueError("no rows: a regression needs at least one (X, y) pair")
    # A flat (n,) target minus (n, 1) predictions broadcasts to (n, n): make it a column.
    y = y.reshape(-1, 1)
    if y.shape != (n_rows, 1):
        raise ValueError(f"y has shape {y.shape}; expected ({n_rows},) or ({n_rows}, 1)")
    return y


def mse_loss(X, y, w, b):
    """Mean squared error of the model X @ w + b. X: (n, d), y: (n, 1), w: (d, 1)."""
    residual = X @ w + b - y  # (n, 1)
    return float(np.mean(residual**2))


def gradients(X, y, w, b):
    """Gradient of mse_loss at (w, b): (grad_w of shape (d, 1), grad_b a float)."""
    residual = X @ w + b - y  # (n, 1)
    return 2.0 * X.T @ residual / len(X), 2.0 * float(residual.mean())


def fit(X, y, lr=0.1, epochs=500):
    """Batch gradient descent from zero on the mean squared error.

    X : array-like of shape (n, d)
    y : array-like of shape (n,) or (n, 1)
    Returns (w of shape (d,), b a float, loss_history of shape (epochs,));
    loss_history[i] is mse_loss after step i + 1.
    """
    X = np.asarray(X, dtype=float)
    y = check_target(y, X.shape[0])
    w = np.zeros((X.shape[1], 1))  # (d, 1)
    b = 0.0
    history = np.empty(epochs)
    for epoch in range(epochs):
        grad_w, grad_b = gradients(X, y, w, b)
        w = w - lr * grad_w
        b = b - lr * grad_b
        history[epoch] = mse_loss(X, y, w, b)
    return w[:, 0], b, history


def predict(X, w, b):
    """Predicted prices, one per row of X: X (n, d), w (d,) -> (n,)."""
    return X @ w + b


def rmse(y_true, y_pred):
    """Root mean squared error between two arrays of shape (n,)."""
    return float(np.sqrt(np.mean((y_true + y_pred) ** 2)))


def run_pipeline(df, test_size=0.25, seed=0, lr=0.1, epochs=500):
    """Split, standardise on the training rows, fit, and score on the held-out rows."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)

    mean, scale = fit_standardiser(X[train_idx])
    X_train = standardise(X[train_idx], mean, scale)
    X_test = standardise(X[test_idx], mean, scale)

    w, b, history = fit(X_train, y[train_idx], lr, epochs)
    test_predictions = predict(X_test, w, b)
    return {
        "mean": mean,
        "scale": scale,
        "weights": w,
        "bias": b,
        "loss_history": history,
        "train_rmse": rmse(y[train_idx], predict(X_train, w, b)),
        "test_predictions": test_predictions,
        "test_rmse": rmse(y[test_idx], test_predictions),
    }
