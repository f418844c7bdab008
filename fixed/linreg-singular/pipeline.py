"""House prices: a linear regression by least squares on merged listings, scored on held-out homes."""

import numpy as np
import pandas as pd

NEIGHBOURHOODS = ["centre", "harbour", "suburbs"]
NUMERIC = ["area_m2", "area_ft2", "rooms"]
TARGET = "price_k"
SQFT_PER_M2 = 10.7639


def make_houses(n_rows=200, seed=0):
    """Listings merged from two portals: one reports the area in m², the other in ft²."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(40.0, 200.0, n_rows)
    rooms = rng.integers(1, 7, n_rows).astype(float)
    hood = rng.choice(NEIGHBOURHOODS, size=n_rows)
    premium = pd.Series(hood).map({"centre": 120.0, "harbour": 80.0, "suburbs": 0.0}).to_numpy()
    price = 60.0 + 2.2 * area + 12.0 * rooms + premium + rng.normal(0.0, 15.0, n_rows)
    return pd.DataFrame(
        {
            "area_m2": area,
            "area_ft2": area * SQFT_PER_M2,
            "rooms": rooms,
            "neighbourhood": hood,
            TARGET: price,
        }
    )


def design_matrix(df):
    """Numeric columns and one indicator per neighbourhood: (n, 3 + 3)."""
    dummies = [(df["neighbourhood"] == name).to_numpy(dtype=float) for name in NEIGHBOURHOODS]
    return np.column_stack([df[NUMERIC].to_numpy(dtype=float), *dummies])


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def fit_linear_regression(X, y):
    """Least-squares weights and intercept.

    X : ndarray of shape (n, d); y : ndarray of shape (n,).
    Returns (w of shape (d,), b).
    """
    A = np.column_stack([np.ones(len(X)), X])  # (n, d + 1): intercept first
    # lstsq works on A itself (not A.T @ A) and copes with a rank-deficient A.
    theta = np.linalg.lstsq(A, y, rcond=None)[0]
    return theta[1:], float(theta[0])


def predict(X, w, b):
    return X @ w + b


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def run_pipeline(df, test_size=0.25, seed=0):
    """Split, fit on the training homes, and report the error on both sets (thousands)."""
    X = design_matrix(df)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    w, b = fit_linear_regression(X[train_idx], y[train_idx])
    return {
        "weights": w,
        "bias": b,
        "train_rmse": rmse(y[train_idx], predict(X[train_idx], w, b)),
        "test_rmse": rmse(y[test_idx], predict(X[test_idx], w, b)),
    }
