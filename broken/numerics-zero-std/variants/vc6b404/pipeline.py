"""Greenhouse heating: standardise the climate sensors, fit a ridge regression, predict energy."""

import numpy as np
import pandas as pd

FEATURES = ["outside_temp_c", "wind_m_s", "solar_w_m2", "humidity_pct", "setpoint_c"]
TARGET = "heating_kwh"


def make_readings(n_rows=300, seed=0, stuck_humidity=None):
    """Hourly sensor readings and heating energy; `stuck_humidity` freezes the humidity sensor."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "outside_temp_c": rng.normal(5.0, 4.0, n_rows),
            "wind_m_s": rng.gamma(2.0, 2.0, n_rows),
            "solar_w_m2": rng.uniform(0.0, 400.0, n_rows),
            "humidity_pct": rng.normal(70.0, 8.0, n_rows),
            "setpoint_c": rng.choice([16.0, 18.0, 20.0], n_rows),
        }
    )
    df[TARGET] = (
        40.0
        + 2.5 * (df["setpoint_c"] - df["outside_temp_c"])
        + 1.5 * df["wind_m_s"]
        - 0.05 * df["solar_w_m2"]
        + 0.1 * df["humidity_pct"]
        + rng.normal(0.0, 2.0, n_rows)
    )
    if stuck_humidity is not None:
        df["humidity_pct"] = stuck_humidity
    return df


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows / test_size)
    return order[n_test:], order[:n_test]


class StandardScaler:
    """Centre each column and divide by its standard deviation."""

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        self.scale_ = X.std(axis=0)
        # A sensor that never moved has no spread to divide by: centre it and leave it unscaled.
        self.scale_[self.scale_ == 0.0] = 1.0
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_


def fit_ridge(X, y, alpha=1.0):
    """Ridge regression on standardised X (n, d): weights (d,) and an unpenalised intercept."""
    intercept = float(y.mean())
    w = np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ (y - intercept))
    return w, intercept


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def run_pipeline(df, test_size=0.25, seed=0):
    """Split, standardise on the training hours, fit, and score the held-out hours."""
    train_idx, test_idx = train_test_split(n_rows=len(df), test_size=test_size, seed=seed)
    train, test = df.iloc[train_idx], df.iloc[test_idx]
    X_train = train[FEATURES].to_numpy(dtype=float)
    scaler = StandardScaler().fit(X_train)
    w, b = fit_ridge(scaler.transform(X_train), train[TARGET].to_numpy(dtype=float))
    predictions = scaler.transform(test[FEATURES].to_numpy(dtype=float)) @ w + b
    return {
        "scaler": scaler,
        "weights": w,
        "intercept": b,
        "test_predictions": predictions,
        "test_rmse": rmse(test[TARGET].to_numpy(dtype=float), predictions),
    }
