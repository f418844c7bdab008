"""Rent model: standardised features, a least-squares fit on let listings, a held-out score, and
the priced table the agents quote rents from."""

import numpy as np
import pandas as pd
from listings import FEATURES, TARGET, clean_listings


class StandardScaler:
    """Centre each feature column and divide by its standard deviation; frames in, frames out."""

    def fit(self, frame):
        values = frame.to_numpy(dtype=float)
        self.mean_ = values.mean(axis=0)
        self.scale_ = values.std(axis=0)
        return self

    def transform(self, frame):
        scaled = (frame.to_numpy(dtype=float) - self.mean_) / self.scale_  # (n, d)
        return pd.DataFrame(scaled, columns=frame.columns, index=frame.index)


def fit_linear(X, y):
    """Least squares with an intercept. X: frame (n, d), y: series (n,). Returns (w, b)."""
    design = np.column_stack([X.to_numpy(dtype=float), np.ones(len(X))])  # (n, d + 1)
    coef, *_ = np.linalg.lstsq(design, y.to_numpy(dtype=float), rcond=None)
    return coef[:-1], float(coef[-1])


def predict(X, w, b):
    """Predicted rents, one per row of X: a series named predicted_rent."""
    return pd.Series(X.to_numpy(dtype=float) @ w + b, index=X.index, name="predicted_rent")


def split_let_listings(listings, test_size=0.25, seed=0):
    """A shuffled, seeded split of the listings whose rent is known: (train, test) frames."""
    let = listings[listings[TARGET].notna()]
    order = np.random.default_rng(seed).permutation(len(let))
    n_test = round(len(let) * test_size)
    return let.iloc[order[n_test:]], let.iloc[order[:n_test]]


def rmse(y_true, y_pred):
    """Root mean squared error between two sequences of the same length."""
    error = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(error**2)))


def run_job(export, test_size=0.25, seed=0):
    """Clean the export, fit on the let listings with every feature, score the held-out ones,
    and price every listing.

    Returns a dict: the fitted ``scaler``, ``weights`` and ``bias``; ``train_rmse`` and
    ``test_rmse`` on the let listings; and ``priced``, the cleaned listings with a
    ``predicted_rent`` column (NaN for a listing with a missing feature).
    """
    listings = clean_listings(export)
    usable = listings.dropna(subset=FEATURES)
    train, test = split_let_listings(usable, test_size, seed)
    scaler = StandardScaler().fit(train[FEATURES])
    w, b = fit_linear(scaler.transform(train[FEATURES]), train[TARGET])
    train_predictions = predict(scaler.transform(train[FEATURES]), w, b)
    test_predictions = predict(scaler.transform(test[FEATURES]), w, b)
    predicted = predict(scaler.transform(usable[FEATURES]), w, b)
    return {
        "scaler": scaler,
        "weights": w,
        "bias": b,
        "train_rmse": rmse(train[TARGET], train_predictions),
        "test_rmse": rmse(test[TARGET], test_predictions),
        "priced": listings.assign(predicted_rent=predicted),
    }
