"""Pump fault diagnosis: a k-nearest-neighbours classifier scored by held-out log-loss."""

import numpy as np

FEATURES = ["rms_velocity", "kurtosis", "peak_frequency_khz"]
CLASSES = ["healthy", "imbalance", "bearing_wear"]


def make_vibration(n_rows=300, seed=0):
    """Vibration summaries of pumps in three conditions; the classes overlap at their edges.

    Returns X : ndarray of shape (n_rows, 3) and y : ndarray of shape (n_rows,), indices into CLASSES.
    """
    rng = np.random.default_rng(seed)
    centres = np.array([[2.0, 3.0, 1.0], [4.5, 3.5, 1.2], [3.0, 6.0, 2.5]])
    spread = np.array([0.8, 0.9, 0.5])
    y = rng.integers(0, len(CLASSES), n_rows)
    X = centres[y] + spread * rng.normal(size=(n_rows, len(FEATURES)))
    return X, y


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def squared_distances(A, B):
    """Squared Euclidean distances between the rows of A (m, d) and B (n, d): (m, n)."""
    return ((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)


class KNNClassifier:
    """Majority vote of the k nearest training rows; probabilities are the vote fractions."""

    def __init__(self, k=5):
        self.k = k

    def fit(self, X, y, n_classes):
        self.X_ = X
        self.y_ = y
        self.n_classes_ = n_classes
        return self

    def predict_proba(self, X):
        """Fraction of the k nearest training rows in each class: (n, n_classes)."""
        nearest = np.argsort(squared_distances(X, self.X_), axis=1)[:, : self.k]  # (n, k)
        votes = self.y_[nearest]
        counts = np.stack([(votes == c).sum(axis=1) for c in range(self.n_classes_)], axis=1)
        return counts / self.k

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)


def log_loss(y, probs):
    """Mean negative log-likelihood of integer labels y (n,) under class probabilities probs (n, k)."""
    # A vote fraction of exactly 0 would give log(0) = -inf; a tiny floor keeps the loss finite.
    probs = np.clip(probs, 1e-15, 1.0)
    Y = np.eye(probs.shape[1])[y]  # (n, k) one-hot labels
    return float(-np.mean(np.sum(Y * np.log(probs), axis=1)))


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(X, y, k=5, test_size=0.25, seed=0):
    """Split, fit the k-NN classifier on the training pumps, score the held-out pumps."""
    train_idx, test_idx = train_test_split(len(y), test_size, seed)
    model = KNNClassifier(k).fit(X[train_idx], y, len(CLASSES))
    test_probs = model.predict_proba(X[test_idx])
    return {
        "test_probabilities": test_probs,
        "test_log_loss": log_loss(y[test_idx], test_probs),
        "test_accuracy": accuracy(y[test_idx], np.argmax(test_probs, axis=1)),
    }
