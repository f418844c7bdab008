"""Bearing temperature: standardise a streamed sensor log in batches, fit a linear model."""

import numpy as np
import pandas as pd

FEATURES = ["timestamp", "load_kw", "ambient_c"]
TARGET = "bearing_temp_c"


def make_log(n_rows=400, seed=0, start=1_700_000_000.0):
    """A sensor log sampled about ten times a second; `timestamp` is in seconds, counted from `start`.

    The bearing warms up slowly over the run, with load and with the room temperature.
    """
    rng = np.random.default_rng(seed)
    elapsed = np.cumsum(rng.uniform(0.05, 0.15, n_rows))
    load = rng.normal(30.0, 5.0, n_rows)
    ambient = rng.normal(22.0, 1.0, n_rows)
    temp = 40.0 + 0.2 * elapsed + 0.5 * load + 0.8 * ambient + rng.normal(0.0, 0.5, n_rows)
    return pd.DataFrame(
        {"timestamp": start + elapsed, "load_kw": load, "ambient_c": ambient, TARGET: temp}
    )


def chronological_split(df, test_size=0.25):
    """The earliest rows for training, the latest for testing: (train_df, test_df)."""
    ordered = df.sort_values("timestamp")
    n_test = round(len(df) * test_size)
    return ordered.iloc[: len(df) - n_test], ordered.iloc[len(df) - n_test :]


class StreamingScaler:
    """Standardise columns whose mean and spread are learned one batch of rows at a time."""

    def __init__(self):
        self.n_ = 0

    def partial_fit(self, X):
        """Update mean_ and scale_ (each (d,)) with a batch X of shape (m, d)."""
        m = len(X)
        batch_mean = X.mean(axis=0)
        # Squared deviations from the batch's own mean are small numbers, whatever the offset.
        batch_m2 = ((X - batch_mean) ** 2).sum(axis=0)
        if self.n_ == 0:
            self.mean_, self.m2_ = batch_mean, batch_m2
        else:
            delta = batch_mean - self.mean_
            total = self.n_ + m
            self.mean_ = self.mean_ + delta * m / total
            self.m2_ = self.m2_ + batch_m2 + delta**2 * self.n_ * m / total
        self.n_ += m
        self.scale_ = np.sqrt(self.m2_ / self.n_)
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_


def fit_linear_regression(X, y):
    """Least squares with an intercept. X: (n, d), y: (n,). Returns w (d,) and b."""
    A = np.column_stack([X, np.ones(len(X))])  # (n, d + 1)
    coef = np.linalg.solve(A.T @ A, A.T @ y)  # the normal equations
    return coef[:-1], float(coef[-1])


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def run_pipeline(df, batch_size=50, test_size=0.25):
    """Split by time, standardise batch by batch, fit on the early rows, score the late ones."""
    train, test = chronological_split(df, test_size)
    X_train = train[FEATURES].to_numpy(dtype=float)
    X_test = test[FEATURES].to_numpy(dtype=float)
    scaler = StreamingScaler()
    for start in range(0, len(X_train), batch_size):
        scaler.partial_fit(X_train[start : start + batch_size])
    w, b = fit_linear_regression(scaler.transform(X_train), train[TARGET].to_numpy())
    predictions = scaler.transform(X_test) @ w + b
    return {
        "scaler": scaler,
        "weights": w,
        "bias": b,
        "test_predictions": predictions,
        "test_rmse": rmse(test[TARGET].to_numpy(), predictions),
    }
