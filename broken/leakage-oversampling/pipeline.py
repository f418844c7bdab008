"""Card fraud: balance the classes by random oversampling, fit a decision stump, report scores."""

import numpy as np
import pandas as pd

FEATURES = ["log_amount", "merchant_risk", "txn_last_hour", "log_account_age"]
TARGET = "fraud"


def make_transactions(n_rows=400, fraud_rate=0.05, seed=0):
    """Synthetic card transactions; frauds are bursts of spending at risky merchants."""
    rng = np.random.default_rng(seed)
    fraud = (rng.random(n_rows) < fraud_rate).astype(int)
    return pd.DataFrame(
        {
            "log_amount": rng.normal(3.5 + 0.8 * fraud, 1.0),
            "merchant_risk": rng.beta(2.0 + 3.0 * fraud, 5.0),
            "txn_last_hour": rng.gamma(2.0 + 2.0 * fraud, 1.0),
            "log_account_age": rng.normal(6.0 - 0.7 * fraud, 1.0),
            TARGET: fraud,
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def random_oversample(df, seed=0):
    """Append random copies (with replacement) of minority-class rows until both classes are
    equally frequent. Copies keep the index label of the row they copy."""
    counts = df[TARGET].value_counts()
    minority = counts.idxmin()
    pool = df.index[df[TARGET] == minority]
    extra = np.random.default_rng(seed).choice(pool, counts.max() - counts.min(), replace=True)
    return pd.concat([df, df.loc[extra]])


def fit_stump(X, y):
    """The single threshold on one feature with the fewest training errors.

    X : ndarray of shape (n, d), y : ndarray of shape (n,) of 0/1.
    Returns a dict: predict 1 where ``polarity * (X[:, feature] - threshold) > 0``.
    """
    n = len(y)
    best = {"errors": np.inf}
    for j in range(X.shape[1]):
        order = np.argsort(X[:, j], kind="stable")
        xs, ys = X[order, j], y[order]
        pos_at_or_below = np.cumsum(ys)[:-1]  # (n - 1,) cut after position i
        neg_above = (n - 1 - np.arange(n - 1)) - (ys.sum() - pos_at_or_below)
        errors_up = pos_at_or_below + neg_above  # predict 1 above the cut
        for polarity, errors in ((1, errors_up), (-1, n - errors_up)):
            errors = np.where(xs[:-1] < xs[1:], errors, np.inf)  # cut between distinct values
            i = int(np.argmin(errors))
            if errors[i] < best["errors"]:
                threshold = (xs[i] + xs[i + 1]) / 2
                best = {
                    "errors": errors[i],
                    "feature": j,
                    "threshold": threshold,
                    "polarity": polarity,
                }
    return best


def predict_stump(stump, X):
    """0/1 predictions of shape (n,) for X of shape (n, d)."""
    return (stump["polarity"] * (X[:, stump["feature"]] - stump["threshold"]) > 0).astype(int)


def precision_recall(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    true_pos = np.sum((y_pred == 1) & (y_true == 1))
    # No flagged transaction (or no fraud at all): report 0 rather than divide by zero.
    precision = true_pos / max(np.sum(y_pred == 1), 1)
    recall = true_pos / max(np.sum(y_true == 1), 1)
    return float(precision), float(recall)


def run_pipeline(df, test_size=0.25, seed=0, oversample_seed=1):
    """Balance the classes, fit the stump, score it on a held-out quarter of the transactions."""
    balanced = random_oversample(df, oversample_seed)
    train_idx, test_idx = train_test_split(len(balanced), test_size, seed)
    train = balanced.iloc[train_idx]
    test = balanced.iloc[test_idx]

    stump = fit_stump(train[FEATURES].to_numpy(dtype=float), train[TARGET].to_numpy())
    test_pred = predict_stump(stump, test[FEATURES].to_numpy(dtype=float))
    precision, recall = precision_recall(test[TARGET].to_numpy(), test_pred)
    return {
        "stump": stump,
        "train_rows": train,
        "test_rows": test,
        "test_predictions": test_pred,
        "precision": precision,
        "recall": recall,
    }
