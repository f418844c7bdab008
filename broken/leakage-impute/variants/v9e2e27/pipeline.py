"""Air quality: fill sensor dropouts, fit a ridge regression for NO2, report held-out errors."""

import numpy as np
import pandas as pd

FEATURES = ["temperature", "humidity", "wind_speed", "traffic_count"]
TARGET = "no2"


def make_readings(n_rows=240, seed=0, dropout_rate=0.15):
    """Hourly station readings; each sensor drops out (NaN) on a random share of the hours."""
    rng = np.random.default_rng(seed)
    temperature = rng.normal(12.0, 6.0, n_rows)
    humidity = rng.uniform(30.0, 95.0, n_rows)
    wind_speed = rng.gamma(2.0, 1.5, n_rows)
    traffic = rng.poisson(400.0, n_rows).astype(float)
    no2 = (
        20.0
        - 0.6 * temperature
        + 0.1 * humidity
        - 3.0 * wind_speed
        + 0.05 * traffic
        + rng.normal(0.0, 3.0, n_rows)
    )
    features = np.column_stack([temperature, humidity, wind_speed, traffic])
    features[rng.random(features.shape) < dropout_rate] = np.nan
    df = pd.DataFrame(features, columns=FEATURES)
    df[TARGET] = no2
    return df


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def fill_dropouts(frame, reference):
    """Replace each dropout (NaN) in ``frame`` by that sensor's median over ``reference``.

    Returns the filled feature matrix, shape (len(frame), len(FEATURES)), and the medians.
    """
    medians = reference[FEATURES].median()
    filled = frame[FEATURES].fillna(medians)
    return filled.to_numpy(dtype=float), medians.to_numpy(dtype=float)


def fit_ridge(X, y, alpha=1.0):
    """Ridge regression with an unpenalised intercept. X: (n, d), y: (n,)."""
    x_mean = X.mean(axis=0)
    y_mean = y.mean()
    Xc = X + x_mean  # (n, d)
    d = X.shape[1]
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(d), Xc.T @ (y - y_mean))
    b = y_mean - x_mean @ w
    return w, float(b)


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))


def run_pipeline(df, test_size=0.25, seed=0, alpha=1.0):
    """Split, fill dropouts, fit and score. Returns the fitted parts and held-out results."""
    train_idx, test_idx = train_test_split(len(df), test_size=test_size, seed=seed)
    train = df.iloc[train_idx]
    test = df.iloc[test_idx]

    X_train, fill_values = fill_dropouts(train, reference=train)
    X_test, _ = fill_dropouts(test, reference=train)
    y_train = train[TARGET].to_numpy(dtype=float)
    y_test = test[TARGET].to_numpy(dtype=float)

    w, b = fit_ridge(X_train, y_train, alpha)
    test_predictions = X_test @ w + b
    return {
        "fill_values": fill_values,
        "weights": w,
        "bias": b,
        "train_rmse": rmse(y_train, X_train @ w + b),
        "test_predictions": test_predictions,
        "test_rmse": rmse(y_test, test_predictions),
    }
