"""House prices: ridge regression with the penalty chosen from a grid, held-out RMSE reported."""

import numpy as np
import pandas as pd

FEATURES = [
    "area_100sqft",
    "bedrooms",
    "bathrooms",
    "age_decades",
    "lot_1000sqft",
    "distance_km",
    "garage",
    "school_score",
]
TARGET = "price_k"
ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)


def make_houses(n_rows=160, seed=0):
    """Synthetic sales: eight features, a price in thousands that depends on a few of them."""
    rng = np.random.default_rng(seed)
    area = rng.normal(18.0, 5.0, n_rows)
    df = pd.DataFrame(
        {
            "area_100sqft": area,
            "bedrooms": np.round(area / 6.0 + rng.normal(0.0, 0.7, n_rows)),
            "bathrooms": np.round(area / 9.0 + rng.normal(0.0, 0.5, n_rows)),
            "age_decades": rng.uniform(0.0, 8.0, n_rows),
            "lot_1000sqft": rng.lognormal(1.5, 0.4, n_rows),
            "distance_km": rng.gamma(2.0, 6.0, n_rows),
            "garage": (rng.random(n_rows) < 0.6).astype(float),
            "school_score": rng.normal(6.0, 1.5, n_rows),
        }
    )
    df[TARGET] = (
        120.0
        + 14.0 * df["area_100sqft"]
        - 9.0 * df["age_decades"]
        - 3.0 * df["distance_km"]
        + 6.0 * df["school_score"]
        + rng.normal(0.0, 60.0, n_rows)
    )
    return df


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def fit_ridge(X, y, alpha):
    """Ridge regression with an unpenalised intercept.

    X : ndarray of shape (n, d), y : ndarray of shape (n,). Returns (w of shape (d,), b).
    """
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc = X - x_mean  # (n, d)
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ (y - y_mean))
    return w, float(y_mean - x_mean @ w)


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))


def select_alpha(X_fit, y_fit, X_val, y_val, alphas=ALPHAS):
    """Fit on (X_fit, y_fit) for each alpha; return the alpha with the lowest RMSE on the
    (X_val, y_val) rows and the RMSE of every alpha, shape (len(alphas),)."""
    scores = []
    for alpha in alphas:
        w, b = fit_ridge(X_fit, y_fit, alpha)
        scores.append(rmse(y_val, X_val @ w + b))
    scores = np.array(scores)
    return alphas[int(np.argmin(scores))], scores


def run_pipeline(df, test_size=0.25, seed=0, alphas=ALPHAS):
    """Split, choose the ridge penalty, refit on the training rows, report the held-out RMSE."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)

    n_val = round(len(train_idx) * 0.25)
    fit_idx, val_idx = train_idx[n_val:], train_idx[:n_val]
    alpha, alpha_scores = select_alpha(X[fit_idx], y[fit_idx], X[val_idx], y[val_idx], alphas)

    w, b = fit_ridge(X[train_idx], y[train_idx], alpha)
    return {
        "alpha": alpha,
        "alpha_scores": alpha_scores,
        "weights": w,
        "bias": b,
        "test_rmse": rmse(y[test_idx], X[test_idx] @ w - b),
    }
