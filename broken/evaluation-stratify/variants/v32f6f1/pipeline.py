"""Bearing inspection: k-fold cross-validated accuracy of a decision stump on vibration features."""

import numpy as np
import pandas as pd

FEATURES = ["rms", "kurtosis", "crest_factor", "peak_freq_khz"]
TARGET = "defective"


def make_bearings(n_rows=400, defect_rate=0.2, seed=0):
    """Vibration features of inspected bearings, exported class by class: passes, then defects."""
    rng = np.random.default_rng(seed)
    n_bad = round(n_rows * defect_rate)
    defective = np.r_[np.zeros(n_rows - n_bad, dtype=int), np.ones(n_bad, dtype=int)]
    return pd.DataFrame(
        {
            "rms": rng.gamma(4.0 + 2.0 * defective, 0.5),
            "kurtosis": rng.normal(3.0 + 2.5 * defective, 0.8),
            "crest_factor": rng.normal(3.5 + 0.8 * defective, 0.6),
            "peak_freq_khz": rng.uniform(1.0, 6.0, n_rows),
            TARGET: defective,
        }
    )


def kfold_indices(n_rows, n_folds=5, seed=0):
    """Split row positions into ``n_folds`` folds of (almost) equal size, in random order.

    Returns a list of (train_idx, test_idx); each row is in exactly one test fold.
    """
    rng = np.random.default_rng(seed)
    folds = np.array_split(rng.permutation(n_rows), n_folds)
    return [(np.concatenate(folds[:i] + folds[i + 1 :]), folds[i]) for i in range(n_folds)]


def fit_stump(X, y):
    """The threshold on one feature with the fewest training errors (predict 1 above it).

    X : ndarray of shape (n, d), y : ndarray of shape (n,) of 0/1. Returns (feature, threshold).
    """
    best = (np.inf, 0, np.inf)
    for j in range(X.shape[1]):
        thresholds = np.unique(X[:, j])  # (t,)
        errors = ((X[None, :, j] > thresholds[:, None]) != y).sum(axis=1)  # (t,)
        i = int(np.argmin(errors))
        if errors[i] < best[1]:
            best = (errors[i], j, thresholds[i])
    return best[1], float(best[2])


def predict_stump(stump, X):
    feature, threshold = stump
    return (X[:, feature] > threshold).astype(int)


def cross_val_accuracy(X, y, n_folds=5, seed=0):
    """Accuracy of a stump fitted on k-1 folds and scored on the k-th, for every fold.

    Returns (accuracies of shape (n_folds,), folds as returned by kfold_indices).
    """
    folds = kfold_indices(len(y), n_folds, seed)
    scores = []
    for train_idx, test_idx in folds:
        stump = fit_stump(X[train_idx], y[train_idx])
        scores.append(np.mean(predict_stump(stump, X[test_idx]) == y[test_idx]))
    return np.array(scores), folds


def run_pipeline(df, n_folds=5, seed=0):
    """Cross-validate the stump on the inspection table."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=int)
    scores, folds = cross_val_accuracy(X, y, n_folds, seed)
    return {"fold_accuracies": scores, "cv_accuracy": float(scores.mean()), "folds": folds}
