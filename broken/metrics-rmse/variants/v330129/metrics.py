"""Delivery times: score a travel-time rule with the mean absolute and root mean squared error."""

import numpy as np
import pandas as pd

FEATURES = ["distance_km", "n_items"]
TARGET = "minutes"


def make_deliveries(n_rows=200, seed=0):
    """Synthetic delivery log: distance, basket size and the minutes each delivery took."""
    rng = np.random.default_rng(seed)
    distance = rng.gamma(2.0, 2.5, n_rows)
    items = rng.poisson(4.0, n_rows).astype(float)
    minutes = 8.0 + 3.2 * distance + 0.6 * items + rng.gamma(1.5, 3.0, n_rows)
    return pd.DataFrame({"distance_km": distance, "n_items": items, TARGET: minutes})


def predict_minutes(df):
    """The dispatch team's rule of thumb: ten minutes to leave, three per kilometre."""
    return 10.0 + 3.0 * df["distance_km"].to_numpy(dtype=float)


def check_targets(y_true, y_pred):
    """Both inputs as float arrays.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
    """
    y_true = np.asarray(y_true, dtype=float).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=float).reshape(-1)
    # An error averaged over no deliveries is undefined, not nan.
    if y_true.size == 0:
        raise ValueError("y_true and y_pred are empty: an error needs at least one sample")
    # Unequal lengths would broadcast into an error of every prediction against every target.
    if y_true.size != y_pred.size:
        raise ValueError(
            f"y_true has {y_true.size} values but y_pred has {y_pred.size}: "
            "each prediction needs exactly one target"
        )
    return y_true, y_pred


def mean_absolute_error(y_true, y_pred):
    """Mean of |y_true - y_pred|, in the targets' unit."""
    y_true, y_pred = check_targets(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def root_mean_squared_error(y_true, y_pred):
    """Square root of the mean of (y_true - y_pred)^2, in the targets' unit."""
    y_true, y_pred = check_targets(y_true, y_pred)
    err = y_true - y_pred  # (n,)
    return float(np.sqrt(np.sum(err**2)))


def run_pipeline(df):
    """Predict every delivery with the rule and report its errors in minutes."""
    y_true = df[TARGET].to_numpy(dtype=float)
    y_pred = predict_minutes(df)
    return {
        "n_deliveries": len(df),
        "mae": mean_absolute_error(y_true, y_pred),
        "rmse": root_mean_squared_error(y_true, y_pred),
    }
