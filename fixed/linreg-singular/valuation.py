"""Home valuations per district: features, a recency-weighted linear fit, the held-out report."""

import numpy as np
import pandas as pd
from listings import clean_sales, split_sales

FEATURES = ["floor_m2", "living_m2", "bedrooms", "age_years", "garden"]
HALF_LIFE_DAYS = 365.0


def design(sales):
    """Features of shape (n_sales, 5), in the order of FEATURES."""
    return sales[FEATURES].to_numpy(dtype=float)


def recency_weights(sold_on):
    """Weight of each sale (n_sales,): 1 for the newest, halving every HALF_LIFE_DAYS before it."""
    days_before = (sold_on.max() - sold_on).dt.days.to_numpy(dtype=float)
    return 0.5 ** (days_before / HALF_LIFE_DAYS)


def fit_linear_regression(X, y, sample_weight):
    """Weighted least squares: weights w (d,) and intercept b minimising
    sum_i sample_weight[i] * (y[i] - X[i] @ w - b) ** 2, for X (n, d) and y (n,)."""
    A = np.column_stack([np.ones(len(X)), X])  # (n, d + 1): intercept first
    sw = np.sqrt(sample_weight)
    theta = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)[0]
    return theta[1:], float(theta[0])


def fit_district(sales):
    """One district's model from its training sales: {"weights", "intercept"}."""
    w, b = fit_linear_regression(
        design(sales), sales["price_k"].to_numpy(dtype=float), recency_weights(sales["sold_on"])
    )
    return {"weights": w, "intercept": b}


def predict(model, sales):
    """Valuations in thousands (n_sales,) for the rows of `sales`."""
    return design(sales) @ model["weights"] + model["intercept"]


def report(test):
    """Held-out errors per district (n_test, rmse_k, bias_k) from price_k and valuation."""
    error = test["valuation"] - test["price_k"]
    by = test["district"]
    return pd.DataFrame(
        {
            "n_test": error.groupby(by).size(),
            "rmse_k": np.sqrt((error**2).groupby(by).mean()),
            "bias_k": error.groupby(by).mean(),
        }
    )


def run_job(raw, test_size=0.25, seed=0):
    """Clean the export, fit one model per district on its training sales, value the held-out."""
    sales = clean_sales(raw)
    train, test = split_sales(sales, test_size, seed)
    models = {name: fit_district(rows) for name, rows in train.groupby("district")}
    test = test.copy()
    test["valuation"] = np.nan
    for name, rows in test.groupby("district"):
        test.loc[rows.index, "valuation"] = predict(models[name], rows)
    errors = (test["valuation"] - test["price_k"]).to_numpy()
    return {
        "models": models,
        "test": test,
        "by_district": report(test),
        "rmse_k": float(np.sqrt(np.mean(errors**2))),
    }
