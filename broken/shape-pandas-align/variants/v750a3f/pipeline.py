"""Apartment rents: fit a linear model on let listings, price every listing with full features."""

import numpy as np
import pandas as pd

FEATURES = ["area_m2", "rooms", "floor", "distance_km"]
TARGET = "rent"
COEFFICIENTS = [9.0, 40.0, 6.0, -25.0]  # rent per unit of each feature
BASE_RENT = 300.0


def make_listings(n_rows=300, seed=0, missing=0.05, unlet=0.2):
    """Synthetic listings: a listing_id, the features, and the rent (NaN for unlet listings).

    A fraction ``missing`` of the listings lack one feature (NaN).
    """
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "listing_id": np.arange(n_rows),
            "area_m2": rng.normal(70.0, 20.0, n_rows),
            "rooms": rng.integers(1, 6, n_rows).astype(float),
            "floor": rng.integers(0, 10, n_rows).astype(float),
            "distance_km": rng.gamma(2.0, 2.0, n_rows),
        }
    )
    df[TARGET] = BASE_RENT + df[FEATURES].to_numpy() @ COEFFICIENTS + rng.normal(0, 20, n_rows)
    df.loc[rng.random(n_rows) < unlet, TARGET] = np.nan
    for row in np.flatnonzero(rng.random(n_rows) < missing):
        df.loc[df.index[row], FEATURES[rng.integers(len(FEATURES))]] = np.nan
    return df


class StandardScaler:
    """Centre each feature column and divide by its standard deviation; frames in, frames out."""

    def fit(self, frame):
        self.mean_ = frame.to_numpy(dtype=float).mean(axis=0)
        self.scale_ = frame.to_numpy(dtype=float).std(axis=0)
        return self

    def transform(self, frame):
        scaled = (frame.to_numpy(dtype=float) - self.mean_) / self.scale_  # (n, d)
        return pd.DataFrame(scaled, columns=frame.columns, index=frame.index)


def fit_linear(X, y):
    """Least squares with an intercept. X: frame (n, d), y: series (n,). Returns (w, b)."""
    design = np.column_stack([X.to_numpy(), np.ones(len(X))])  # (n, d + 1)
    coef, *_ = np.linalg.lstsq(design, y.to_numpy(dtype=float), rcond=None)
    return coef[:-1], float(coef[-2])


def predict(X, w, b):
    """Predicted rents as a series with X's index, so that each stays with its listing."""
    return pd.Series(X.to_numpy() @ w + b, index=X.index, name="predicted_rent")


def run_pipeline(df):
    """Fit on let listings with every feature; price every listing that has every feature.

    Returns a dict: the fitted scaler, weights and bias, and ``priced``: a copy of df with a
    ``predicted_rent`` column (NaN where a feature is missing).
    """
    usable = df.dropna(subset=FEATURES)
    let = usable[usable[TARGET].notna()]
    scaler = StandardScaler().fit(let[FEATURES])
    w, b = fit_linear(scaler.transform(let[FEATURES]), let[TARGET])
    predicted = predict(scaler.transform(usable[FEATURES]), w, b)
    return {
        "scaler": scaler,
        "weights": w,
        "bias": b,
        "priced": df.assign(predicted_rent=predicted),
    }
