"""Store demand: lagged-sales features, a linear forecaster, backtested on the most recent days."""

import numpy as np
from sales import TARGET, daily_totals

FEATURES = ["lag_1", "lag_7", "mean_7", "weekend"]


def add_features(daily):
    """The model inputs of each day: the columns of ``daily`` plus FEATURES.

    The first 7 days, which lack a full week of history, are dropped.
    """
    out = daily.sort_index().copy()
    past = out[TARGET].shift(1)
    out["lag_1"] = past
    out["lag_7"] = out[TARGET].shift(7)
    out["mean_7"] = past.rolling(7).mean()
    out["weekend"] = (out["date"].dt.day_of_week >= 5).astype(float)
    return out.dropna(subset=FEATURES)


def time_split(frame, n_test_days=28):
    """The last ``n_test_days`` dates are held out: (train, test), each sorted by date."""
    frame = frame.sort_values("date")
    cutoff = frame["date"].iloc[-n_test_days]
    return frame[frame["date"] < cutoff], frame[frame["date"] >= cutoff]


def fit_linear_regression(X, y):
    """Least squares with an intercept. X: (n, d), y: (n,). Returns (weights (d,), bias)."""
    A = np.column_stack([np.ones(len(X)), X])  # (n, d + 1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return coef[1:], float(coef[0])


def mean_absolute_error(y_true, y_pred):
    return float(np.mean(np.abs(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))))


def run_pipeline(export, n_test_days=28):
    """Load the export, build features, hold out the most recent days, fit, and forecast them
    one day ahead."""
    train, test = time_split(add_features(daily_totals(export)), n_test_days)
    X_train = train[FEATURES].to_numpy(dtype=float)
    X_test = test[FEATURES].to_numpy(dtype=float)
    y_train = train[TARGET].to_numpy(dtype=float)
    y_test = test[TARGET].to_numpy(dtype=float)

    w, b = fit_linear_regression(X_train, y_train)
    test_forecasts = X_test @ w + b
    return {
        "weights": w,
        "bias": b,
        "train_mae": mean_absolute_error(y_train, X_train @ w + b),
        "test_dates": test["date"].to_numpy(),
        "test_forecasts": test_forecasts,
        "test_mae": mean_absolute_error(y_test, test_forecasts),
    }
