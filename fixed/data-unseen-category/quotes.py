"""Delivery-time quotes: one-hot encode region and vehicle, fit a ridge regression, evaluate it
offline on held-out deliveries, and quote new orders as the web shop sends them."""

import numpy as np
import pandas as pd
from orders import (
    CATEGORICAL,
    NUMERIC,
    TARGET,
    clean_deliveries,
    log_summary,
    parse_log,
    split_deliveries,
)


class OneHotEncoder:
    """One indicator column per category seen in training, for each categorical column."""

    def fit(self, df):
        self.categories_ = {col: sorted(df[col].unique()) for col in CATEGORICAL}
        return self

    def transform(self, df):
        """Returns an ndarray of shape (n, total number of training categories)."""
        blocks = []
        for col in CATEGORICAL:
            cats = np.asarray(self.categories_[col])
            # Compare with the training categories: a category never seen in training matches none.
            onehot = (df[col].to_numpy()[:, None] == cats[None, :]).astype(float)  # (n, k)
            blocks.append(onehot)
        return np.hstack(blocks)


def design_matrix(df, encoder):
    """Numeric columns followed by the one-hot blocks: ndarray of shape (n, d)."""
    return np.hstack([df[NUMERIC].to_numpy(dtype=float), encoder.transform(df)])


def fit_ridge(X, y, alpha=1.0):
    """Ridge regression without a separate intercept (the one-hot blocks carry it)."""
    d = X.shape[1]
    return np.linalg.solve(X.T @ X + alpha * np.eye(d), X.T @ y)


def fit_model(train, alpha=1.0):
    """The encoder and the ridge weights, fitted on the training deliveries."""
    encoder = OneHotEncoder().fit(train)
    weights = fit_ridge(design_matrix(train, encoder), train[TARGET].to_numpy(float), alpha)
    return encoder, weights


def predict(encoder, weights, df):
    """Predicted minutes for each row of ``df``: ndarray of shape (n,)."""
    return design_matrix(df, encoder) @ weights


def mean_absolute_error(y_true, y_pred):
    return float(np.mean(np.abs(np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float))))


def promised_minutes(predicted):
    """What the customer is promised: the predicted time rounded up to the next 5 minutes."""
    return 5.0 * np.ceil(np.asarray(predicted, dtype=float) / 5.0)


def quote(encoder, weights, requests):
    """The web shop's quote for the orders of one checkout: ``requests`` is a list of dicts with
    order_id, region, vehicle and distance, written as the shop's form sends them.

    Returns a DataFrame with order_id, the predicted minutes and the promised minutes.
    """
    orders = parse_log(pd.DataFrame(requests))
    predicted = predict(encoder, weights, orders)
    return pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy(),
            "minutes": predicted,
            "promised": promised_minutes(predicted),
        }
    )


def run_pipeline(log, test_size=0.25, seed=0, alpha=1.0):
    """Clean the log, fit on the training deliveries, evaluate on the held-out ones."""
    train, test = split_deliveries(clean_deliveries(log), test_size, seed)  # frames
    encoder, weights = fit_model(train, alpha)
    predictions = predict(encoder, weights, test)
    errors = pd.Series(np.abs(test[TARGET].to_numpy(float) - predictions), index=test.index)
    return {
        "encoder": encoder,
        "weights": weights,
        "test": test,
        "predictions": predictions,
        "test_mae": mean_absolute_error(test[TARGET], predictions),
        "mae_by_region": errors.groupby(test["region"]).mean().to_dict(),
        "late_share": float(np.mean(test[TARGET].to_numpy(float) > promised_minutes(predictions))),
        "log": log_summary(log),
    }
