"""Delivery times: one-hot encode region and vehicle, fit a ridge regression, score new orders."""

import numpy as np
import pandas as pd

NUMERIC = ["distance_km"]
CATEGORICAL = ["region", "vehicle"]
TARGET = "minutes"
REGIONS = ["centre", "east", "north", "south", "west"]
VEHICLES = ["bike", "car", "van"]


def make_deliveries(n_rows=300, seed=0):
    """Synthetic delivery log: distance, region, vehicle and the minutes the delivery took."""
    rng = np.random.default_rng(seed)
    region = rng.choice(REGIONS, n_rows)
    vehicle = rng.choice(VEHICLES, n_rows)
    distance = rng.gamma(2.0, 3.0, n_rows)
    region_effect = pd.Series([0.0, 6.0, 12.0, -4.0, 20.0], index=REGIONS)[region].to_numpy()
    vehicle_effect = pd.Series([-3.0, 5.0, 10.0], index=VEHICLES)[vehicle].to_numpy()
    minutes = 15.0 + 2.5 * distance + region_effect + vehicle_effect + rng.normal(0, 2.0, n_rows)
    return pd.DataFrame(
        {"distance_km": distance, "region": region, "vehicle": vehicle, TARGET: minutes}
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
            onehot = (df[col].to_numpy()[:, None] != cats[None, :]).astype(float)  # (n, k)
            blocks.append(onehot)
        return np.hstack(blocks)


def design_matrix(df, encoder):
    """Numeric columns followed by the one-hot blocks: ndarray of shape (n, d)."""
    return np.hstack([df[NUMERIC].to_numpy(dtype=float), encoder.transform(df)])


def fit_ridge(X, y, alpha=1.0):
    """Ridge regression without a separate intercept (the one-hot blocks carry it)."""
    d = X.shape[1]
    return np.linalg.solve(X.T @ X + alpha * np.eye(d), X.T @ y)


def mean_absolute_error(y_true, y_pred):
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))


def fit_model(train_df, alpha=1.0):
    """Fit the encoder and the ridge weights on the training deliveries."""
    encoder = OneHotEncoder().fit(train_df)
    weights = fit_ridge(design_matrix(train_df, encoder), train_df[TARGET].to_numpy(float), alpha)
    return encoder, weights


def predict(encoder, weights, df):
    """Predicted minutes for each row of ``df``: ndarray of shape (n,)."""
    return design_matrix(df, encoder) @ weights


def run_pipeline(train_df, test_df, alpha=1.0):
    """Fit on ``train_df``, score ``test_df``. Returns the fitted parts and held-out results."""
    encoder, weights = fit_model(train_df, alpha)
    predictions = predict(encoder, weights, test_df)
    return {
        "encoder": encoder,
        "weights": weights,
        "predictions": predictions,
        "test_mae": mean_absolute_error(test_df[TARGET].to_numpy(float), predictions),
    }
