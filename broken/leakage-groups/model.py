"""Gait screening: split the walks, standardise the gait features, classify each held-out walk
with a vote of its nearest training walks, and report the screening figures."""

import numpy as np
from sessions import FEATURES, TARGET, clean_sessions, gait_features


def split_walks(walks, test_size=0.25, seed=0):
    """Training and held-out walks: (train, test), two DataFrames of rows of ``walks``.

    ``test_size`` is the share of users held out, with all their walks; ``seed`` fixes the draw.
    """
    users = np.sort(walks["user_id"].unique())
    n_test = round(len(users) * test_size)
    held_out = np.random.default_rng(seed).choice(users, n_test, replace=False)
    test = walks["user_id"].isin(held_out)
    return walks[~test], walks[test]


class Standardiser:
    """Centres each column and divides it by its standard deviation. X: ndarray (n, d)."""

    def fit(self, X):
        X = np.asarray(X, dtype=float)
        self.mean_ = X.mean(axis=0)  # (d,)
        std = X.std(axis=0)
        # A constant column would divide by zero; it carries no distance, so leave it at 0.
        self.scale_ = np.where(std > 0, std, 1.0)  # (d,)
        return self

    def transform(self, X):
        return (np.asarray(X, dtype=float) - self.mean_) / self.scale_


class NearestNeighbours:
    """Majority vote of the k nearest training rows in Euclidean distance, labels 0/1; a tied
    vote (an even k) gives 0."""

    def __init__(self, k=5):
        self.k = k

    def fit(self, X, y):
        self.X_ = np.asarray(X, dtype=float)  # (n, d)
        self.y_ = np.asarray(y, dtype=int)  # (n,)
        return self

    def predict_proba(self, X):
        """Share of label 1 among the k nearest training rows: ndarray of shape (m,)."""
        diff = np.asarray(X, dtype=float)[:, None, :] - self.X_[None, :, :]  # (m, n, d)
        dist = np.sqrt((diff**2).sum(axis=2))  # (m, n)
        nearest = np.argsort(dist, axis=1, kind="stable")[:, : self.k]  # (m, k)
        return self.y_[nearest].mean(axis=1)

    def predict(self, X):
        return (self.predict_proba(X) > 0.5).astype(int)


def fit_model(train, k=5):
    """The scaler and the k-NN classifier, fitted on the walks of ``train``."""
    X = train[FEATURES].to_numpy(dtype=float)
    scaler = Standardiser().fit(X)
    knn = NearestNeighbours(k).fit(scaler.transform(X), train[TARGET].to_numpy(dtype=int))
    return {"scaler": scaler, "knn": knn}


def predict(model, walks):
    """Predicted label (1 impaired, 0 typical) of each walk: ndarray of shape (n,)."""
    X = model["scaler"].transform(walks[FEATURES].to_numpy(dtype=float))
    return model["knn"].predict(X)


def screening_scores(y_true, y_pred):
    """Accuracy, sensitivity (share of impaired walks found) and specificity (share of typical
    walks cleared); a share with no walk to count is NaN."""
    y_true, y_pred = np.asarray(y_true, dtype=int), np.asarray(y_pred, dtype=int)
    impaired, typical = y_true == 1, y_true == 0
    return {
        "accuracy": float(np.mean(y_true == y_pred)),
        "sensitivity": float(np.mean(y_pred[impaired] == 1)) if impaired.any() else np.nan,
        "specificity": float(np.mean(y_pred[typical] == 0)) if typical.any() else np.nan,
    }


def run_pipeline(export, test_size=0.25, seed=0, k=5):
    """Clean the export, split the walks, fit on the training walks, score the held-out ones.

    ``train_accuracy`` is the accuracy on the training walks, for comparison.
    """
    walks = gait_features(clean_sessions(export))
    train, test = split_walks(walks, test_size, seed)
    model = fit_model(train, k)
    predictions = predict(model, test)
    scores = screening_scores(test[TARGET], predictions)
    fitted = screening_scores(train[TARGET], predict(model, train))
    return {
        "train": train,
        "test": test,
        "model": model,
        "train_accuracy": fitted["accuracy"],
        "test_predictions": predictions,
        "test_accuracy": scores["accuracy"],
        "test_sensitivity": scores["sensitivity"],
        "test_specificity": scores["specificity"],
    }
