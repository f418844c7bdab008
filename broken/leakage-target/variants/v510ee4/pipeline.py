"""Ward admissions: flag patients at risk of an in-hospital complication, at admission time."""

import numpy as np
import pandas as pd

TARGET = "complication"
FEATURES = ["age", "systolic_bp", "creatinine", "prior_admissions", "emergency", "frail"]


def make_visits(n_rows=400, seed=0, signal=1.0):
    """Synthetic admissions. ``signal`` scales how much the admission data say about the outcome.

    Columns recorded at admission: age, systolic_bp, creatinine, prior_admissions, emergency.
    Recorded at discharge: days_in_hospital, discharge_destination.
    """
    rng = np.random.default_rng(seed)
    age = np.clip(rng.normal(66.0, 13.0, n_rows), 18.0, 99.0)
    systolic = rng.normal(130.0, 18.0, n_rows)
    creatinine = rng.lognormal(0.0, 0.35, n_rows)
    prior = rng.poisson(1.2, n_rows).astype(float)
    emergency = (rng.random(n_rows) < 0.4).astype(float)
    risk = signal * (
        0.06 * (age - 66.0)
        + 2.0 * (creatinine - 1.0)
        + 0.5 * (prior - 1.2)
        + 1.0 * (emergency - 0.4)
        - 0.02 * (systolic - 130.0)
    )
    complication = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-risk))).astype(int)
    days = 1 + rng.poisson(3.0 + 6.0 * complication)
    to_nursing = rng.random(n_rows) < np.where(complication == 1, 0.6, 0.05)
    destination = np.where(to_nursing, "nursing_facility", "home")
    return pd.DataFrame(
        {
            "age": age,
            "systolic_bp": systolic,
            "creatinine": creatinine,
            "prior_admissions": prior,
            "emergency": emergency,
            "days_in_hospital": days.astype(float),
            "discharge_destination": destination,
            TARGET: complication,
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def build_features(df):
    """The model inputs, shape (n, len(FEATURES)); ``frail`` marks the elderly or frequent patients."""
    frail = (df["age"] >= 80) | (df["prior_admissions"] >= 3)
    X = df[FEATURES[:-1]].to_numpy(dtype=float)
    return np.column_stack([X, frail.to_numpy(dtype=float)])


def fit_ridge_classifier(X, y, alpha=1.0):
    """Ridge regression on targets -1/+1 with an unpenalised intercept. X: (n, d), y: (n,) 0/1."""
    t = 2.0 * y - 1.0
    x_mean = X.mean(axis=0)
    Xc = X - x_mean  # (n, d)
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ (t - t.mean()))
    return w, float(t.mean() - x_mean @ w)


def accuracy(y_true, y_pred):
    return float(np.sum(np.asarray(y_true) == np.asarray(y_pred)))


def run_pipeline(df, test_size=0.25, seed=0):
    """Split, fit and score. Positive scores flag a patient as at risk."""
    X = build_features(df)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size=test_size, seed=seed)

    w, b = fit_ridge_classifier(X[train_idx], y[train_idx])
    test_scores = X[test_idx] @ w + b
    return {
        "weights": w,
        "bias": b,
        "train_accuracy": accuracy(y[train_idx], X[train_idx] @ w + b > 0),
        "test_scores": test_scores,
        "test_accuracy": accuracy(y[test_idx], test_scores > 0),
    }
