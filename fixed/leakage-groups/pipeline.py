"""Gait screening: hold out whole users, classify with k-nearest neighbours, report accuracy."""

import numpy as np
import pandas as pd

FEATURES = ["stride_time", "stride_var", "cadence", "sway"]
GROUP = "user_id"
TARGET = "impaired"


def make_sessions(n_users=30, weeks=8, seed=0):
    """Weekly walking sessions from a wrist sensor, one row per (user, week).

    Each user has a personal gait signature; the label (gait impairment) belongs to the user.
    """
    rng = np.random.default_rng(seed)
    impaired = (rng.random(n_users) < 0.5).astype(int)  # (n_users,)
    signature = rng.normal(0.0, 1.0, size=(n_users, len(FEATURES)))
    effect = np.array([1.0, 1.0, -0.8, 0.8])
    users = np.concatenate([rng.permutation(n_users) for _ in range(weeks)])  # (n_users * weeks,)
    X = signature[users] + np.outer(impaired[users], effect)
    X = X + rng.normal(0.0, 0.3, size=X.shape)
    df = pd.DataFrame(X, columns=FEATURES)
    df.insert(0, GROUP, [f"U{u:03d}" for u in users])
    df.insert(1, "week", np.repeat(np.arange(weeks), n_users))
    df[TARGET] = impaired[users]
    return df


def group_train_test_split(groups, test_size=0.25, seed=0):
    """Hold out whole groups: a share ``test_size`` of the distinct groups, drawn at random.

    Parameters
    ----------
    groups : array-like of shape (n,)
        The group (user) of each row.

    Returns
    -------
    train_idx, test_idx : ndarray of int
        Row positions.
    """
    groups = np.asarray(groups)
    names = np.unique(groups)
    n_test = round(len(names) * test_size)
    chosen = np.random.default_rng(seed).permutation(len(names))[:n_test]
    test_idx = np.flatnonzero(np.isin(groups, names[chosen]))
    train_idx = np.setdiff1d(np.arange(len(groups)), test_idx)
    return train_idx, test_idx


def knn_predict(X_train, y_train, X_query, k=5):
    """Majority label of the k nearest training rows (Euclidean) for each query row.

    X_train : ndarray of shape (n, d), y_train : ndarray of shape (n,) of 0/1,
    X_query : ndarray of shape (m, d). Returns ndarray of shape (m,) of 0/1.
    """
    diff = X_query[:, None, :] - X_train[None, :, :]  # (m, n, d)
    dist = np.sqrt((diff**2).sum(axis=2))  # (m, n)
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]  # (m, k)
    votes = y_train[nearest].mean(axis=1)  # (m,)
    return (votes > 0.5).astype(int)


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def run_pipeline(df, test_size=0.25, seed=0, k=5):
    """Split by user, fit k-NN on the training users, score on the held-out users."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=int)
    train_idx, test_idx = group_train_test_split(df[GROUP].to_numpy(), test_size, seed)
    test_pred = knn_predict(X[train_idx], y[train_idx], X[test_idx], k)
    return {
        "train_idx": train_idx,
        "test_idx": test_idx,
        "test_predictions": test_pred,
        "test_accuracy": accuracy(y[test_idx], test_pred),
    }
