"""Daily loaves per store: features, a scaler and a ridge fit per store, the held-out report."""

import numpy as np
import pandas as pd
from sales import load_export, split_days

NUMERIC = ["temp_c", "rain_mm", "promo"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
COLUMNS = NUMERIC + WEEKDAYS


def design(days):
    """Features of `days`, a frame of shape (n_days, 10) with the columns COLUMNS and its index."""
    features = days[NUMERIC].astype(float)
    for number, name in enumerate(WEEKDAYS):
        features[name] = (days["weekday"] == number).astype(float)
    return features


class StandardScaler:
    """Centre each column of a feature frame and divide it by its standard deviation."""

    def fit(self, X):
        self.mean_ = X.mean()
        self.scale_ = X.std(ddof=0)
        self.scale_[self.scale_ < 1e-12 * self.mean_.abs()] = 1.0
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_


def fit_ridge(X, y, alpha=1.0):
    """Ridge regression of y (n,) on X (n, d): weights (d,) and an unpenalised intercept."""
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc = X - x_mean
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ (y - y_mean))
    return w, float(y_mean - x_mean @ w)


def fit_store(days, alpha=1.0):
    """One store's model from its training days: {"scaler", "weights", "intercept"}."""
    X = design(days)
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X).to_numpy()
    w, b = fit_ridge(Z, days["loaves"].to_numpy(dtype=float), alpha)
    return {"scaler": scaler, "weights": w, "intercept": b}


def predict(model, days):
    """Forecast loaves (n_days,) for the rows of `days`."""
    Z = model["scaler"].transform(design(days)).to_numpy()
    return Z @ model["weights"] + model["intercept"]


def report(test):
    """Held-out errors per store (n_test, mae, bias) from the rows' loaves and forecast."""
    error = test["forecast"] - test["loaves"]
    return pd.DataFrame(
        {
            "n_test": error.groupby(test["store"]).size(),
            "mae": error.abs().groupby(test["store"]).mean(),
            "bias": error.groupby(test["store"]).mean(),
        }
    )


def run_job(raw, test_size=0.25, seed=0, alpha=1.0):
    """Clean the export, fit one model per store on its training days, score the held-out days."""
    days = load_export(raw)
    train, test = split_days(days, test_size, seed)
    models = {store: fit_store(rows, alpha) for store, rows in train.groupby("store")}
    test = test.copy()
    test["forecast"] = np.nan
    for store, rows in test.groupby("store"):
        test.loc[rows.index, "forecast"] = predict(models[store], rows)
    errors = (test["forecast"] - test["loaves"]).to_numpy()
    return {
        "models": models,
        "test": test,
        "by_store": report(test),
        "chain_mae": float(np.mean(np.abs(errors))),
    }
