"""Gym membership churn: clean the member table, encode and scale it, fit a logistic regression,
report held-out metrics."""

import numpy as np
import pandas as pd

NUMERIC = ["visits_per_month", "months_member", "monthly_fee"]
CATEGORICAL = "plan"
TARGET = "churned"
PLANS = ["basic", "family", "plus"]
EPS = 1e-12


def make_members(n_rows=400, seed=0):
    """Synthetic member table as exported: messy plan names, missing and negative visit counts."""
    rng = np.random.default_rng(seed)
    plan = rng.choice(PLANS, n_rows, p=[0.5, 0.2, 0.3])
    months = rng.gamma(2.0, 10.0, n_rows)
    visits = rng.gamma(2.0, 3.0, n_rows)
    fee = pd.Series({"basic": 25.0, "family": 60.0, "plus": 45.0})[plan].to_numpy()
    fee = fee + rng.normal(0.0, 5.0, n_rows)
    logit = 1.5 - 0.35 * visits - 0.05 * months + 0.04 * (fee - 40.0)
    churned = (rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    visits[rng.random(n_rows) < 0.1] = np.nan
    visits[rng.random(n_rows) < 0.03] = -1.0
    messy = rng.choice(["{}", " {}", "{} ", "{}"], n_rows)
    plan_text = [
        form.format(p.upper() if i % 7 == 0 else p)
        for i, (form, p) in enumerate(zip(messy, plan, strict=True))
    ]
    return pd.DataFrame(
        {"plan": plan_text, "visits_per_month": visits, "months_member": months,
         "monthly_fee": fee, TARGET: churned}
    )  # fmt: skip


def clean(df):
    """Normalise plan names; a negative visit count is a logging error and becomes missing."""
    out = df.copy()
    out[CATEGORICAL] = out[CATEGORICAL].str.strip().str.lower()
    out["visits_per_month"] = out["visits_per_month"].where(out["visits_per_month"] >= 0)
    return out


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


class Preprocessor:
    """Median imputation and standardisation of NUMERIC, one-hot encoding of the plan."""

    def fit(self, df):
        self.medians_ = df[NUMERIC].median()
        self.plans_ = sorted(df[CATEGORICAL].unique())
        numeric = df[NUMERIC].fillna(self.medians_).to_numpy(dtype=float)
        self.mean_ = numeric.mean(axis=0)
        scale = numeric.std(axis=0)
        # A column that does not vary carries no information: keep it at 0 instead of 0 / 0.
        scale[scale == 0] = 1.0
        self.scale_ = scale
        return self

    def transform(self, df):
        """Features of ``df``: ndarray of shape (n, len(NUMERIC) + number of plans)."""
        numeric = df[NUMERIC].fillna(self.medians_).to_numpy(dtype=float)
        scaled = (numeric - self.mean_) / self.scale_
        plans = df[CATEGORICAL].to_numpy()[:, None] == np.array(self.plans_)[None, :]  # (n, k)
        return np.hstack([scaled, plans.astype(float)])


def sigmoid(z):
    # 1 / (1 + e^-z) = exp(-log(1 + e^-z)); logaddexp never forms e^-z itself, so never overflows.
    return np.exp(-np.logaddexp(0.0, -z))


def log_loss(y, probs):
    """Mean cross-entropy of 0/1 labels ``y`` (n,) and predicted probabilities ``probs`` (n,)."""
    # A probability of exactly 0 or 1 would give log(0); keep it a hair inside (0, 1).
    probs = np.clip(probs, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(probs) + (1.0 - y) * np.log1p(-probs)))


def fit_logistic_regression(X, y, lr=0.5, epochs=200):
    """Batch gradient descent. X: (n, d), y: (n,) of 0/1. Returns w (d,), b and the loss history."""
    y = np.asarray(y, dtype=float).ravel()
    n, d = X.shape
    w, b, history = np.zeros(d), 0.0, []
    for _ in range(epochs):
        probs = sigmoid(X @ w + b)  # (n,)
        history.append(log_loss(y, probs))
        error = probs - y
        w = w - lr * (X.T @ error) / n
        b = b - lr * error.mean()
    return w, b, history


def accuracy(y_true, y_pred):
    return float(np.mean(y_true != y_pred))


def recall(y_true, y_pred):
    """Share of actual churners (y_true == 1) that were predicted to churn."""
    caught = np.sum((y_true == 1) & (y_pred == 1))
    return float(caught / max(np.sum(y_true == 1), 1))


def run_pipeline(df, test_size=0.25, seed=0):
    """Clean, split, preprocess, fit and score. Returns the fitted parts and held-out results."""
    df = clean(df)
    y = df[TARGET].astype(float).to_numpy()  # (n,)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    train, test = df.iloc[train_idx], df.iloc[test_idx]

    prep = Preprocessor().fit(train)
    X_train, X_test = prep.transform(train), prep.transform(test)
    w, b, history = fit_logistic_regression(X_train, y[train_idx])

    test_probs = sigmoid(X_test @ w + b)
    churn_pred = (test_probs >= 0.5).astype(float)
    return {
        "preprocessor": prep,
        "weights": w,
        "bias": b,
        "loss_history": history,
        "test_probabilities": test_probs,
        "test_accuracy": accuracy(y[test_idx], churn_pred),
        "test_recall": recall(y[test_idx], churn_pred),
        "test_log_loss": log_loss(y[test_idx], test_probs),
    }
