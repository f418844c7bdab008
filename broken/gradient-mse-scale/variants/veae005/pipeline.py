"""Building energy use: a linear regression trained by gradient descent on the mean squared error."""

import numpy as np
import pandas as pd

FEATURES = ["floor_area_100m2", "building_age_years", "insulation_score", "heating_degree_days"]
TARGET = "energy_kwh_per_day"


def make_buildings(n_rows=400, seed=0):
    """Synthetic building stock with a daily energy use that depends on every feature."""
    rng = np.random.default_rng(seed)
    area = rng.gamma(4.0, 2.0, n_rows)
    age = rng.uniform(0.0, 80.0, n_rows)
    insulation = rng.integers(1, 6, n_rows).astype(float)
    hdd = rng.normal(12.0, 4.0, n_rows)
    energy = 40.0 + 9.0 * area + 0.5 * age - 6.0 * insulation + 2.5 * hdd + rng.normal(0, 5, n_rows)
    return pd.DataFrame(
        {
            "floor_area_100m2": area,
            "building_age_years": age,
            "insulation_score": insulation,
            "heating_degree_days": hdd,
            TARGET: energy,
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def standardise(X_train, X_test):
    """Both arrays scaled with the training columns' mean and standard deviation."""
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / scale, (X_test - mean) / scale


def mse_loss(X, y, w, b):
    """Mean squared error of the predictions X @ w + b. X: (n, d), y: (n,), w: (d,)."""
    residual = X @ w + b - y  # (n,)
    return float(np.mean(residual**2))


def gradients(X, y, w, b):
    """Gradient of mse_loss at (w, b): (grad_w of shape (d,), grad_b a float)."""
    n = X.shape[0]
    residual = X @ w + b - y  # (n,)
    return 2.0 * X.T @ residual / n, float(2.0 * residual.sum() / n)


def fit(X, y, lr=0.1, epochs=300):
    """Batch gradient descent from zero: (w, b, loss_history of shape (epochs,))."""
    w = np.zeros(X.shape[1])
    b = 0.0
    history = np.empty(epochs)
    for epoch in range(epochs):
        grad_w, grad_b = gradients(X, y, w, b)
        w = w - lr * grad_w
        b = b - lr * grad_b
        history[epoch] = mse_loss(X, y, w, b)
    return w, b, history


def r2_score(y_true, y_pred):
    """Coefficient of determination: 1 - residual sum of squares / total sum of squares."""
    return float(1.0 - np.sum((y_true - y_pred) ** 2) / np.sum((y_true - y_true.mean()) ** 2))


def run_pipeline(df, test_size=0.25, seed=0, epochs=300):
    """Split, standardise on the training rows, fit, and score on the held-out buildings."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    X_train, X_test = standardise(X[train_idx], X[test_idx])
    w, b, history = fit(X_train, y, epochs=epochs)
    return {
        "weights": w,
        "bias": b,
        "loss_history": history,
        "test_r2": r2_score(y[test_idx], X_test @ w + b),
    }
