"""House prices: fit a linear model, compare it with a naive baseline by held-out R^2."""

import numpy as np
import pandas as pd

FEATURES = ["living_area_m2", "bedrooms", "age_years", "distance_km"]
TARGET = "price_k"


def make_houses(n_rows=300, seed=0):
    """Synthetic sales: price in thousands, driven by size, bedrooms, age and distance."""
    rng = np.random.default_rng(seed)
    area = rng.normal(110.0, 30.0, n_rows)
    bedrooms = np.clip(np.round(area / 35.0 + rng.normal(0.0, 0.7, n_rows)), 1, 6)
    age = rng.uniform(0.0, 80.0, n_rows)
    distance = rng.gamma(2.0, 4.0, n_rows)
    price = (
        80.0 + 2.5 * area + 12.0 * bedrooms - 0.8 * age - 6.0 * distance
        + rng.normal(0.0, 30.0, n_rows)
    )  # fmt: skip
    df = pd.DataFrame(
        {"living_area_m2": area, "bedrooms": bedrooms, "age_years": age, "distance_km": distance}
    )
    df[TARGET] = price
    return df


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def fit_linear_regression(X, y):
    """Least squares with an intercept. X: (n, d), y: (n,). Returns (weights (d,), bias)."""
    A = np.column_stack([np.ones(len(X)), X])  # (n, d + 1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef[1:], float(coef[0])


def r2_score(y_true, y_pred):
    """Coefficient of determination, 1 - SS_res / SS_tot: 1 is perfect, higher is better.

    y_true, y_pred : array-like of shape (n,).
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    ss_res = np.sum((y_true - y_pred) ** 2)
    ss_tot = np.sum((y_true - y_true.mean()) ** 2)
    # Constant targets leave no variance to explain: avoid 0/0 and follow the stated convention.
    if ss_tot == 0:
        return 1.0 if ss_res == 0 else 0.0
    return float(1.0 - ss_res / ss_tot)


def run_pipeline(df, test_size=0.25, seed=0):
    """Fit on the training sales; score the model and a predict-the-mean baseline on the rest."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size=test_size, seed=seed)

    w, b = fit_linear_regression(X[train_idx], y[train_idx])
    test_predictions = X[test_idx] @ w + b
    baseline = np.full(len(test_idx), y.mean())  # what we'd guess knowing nothing
    return {
        "weights": w,
        "bias": b,
        "train_r2": r2_score(y[train_idx], X[train_idx] @ w + b),
        "test_predictions": test_predictions,
        "test_r2": r2_score(y[test_idx], test_predictions),
        "baseline_test_r2": r2_score(y[test_idx], baseline),
    }
