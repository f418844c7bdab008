"""Product reviews: a softmax regression predicts the star rating from review features."""

import numpy as np

FEATURES = ["positive_words", "negative_words", "log_length", "exclamations"]


def make_reviews(n_rows=400, seed=0):
    """Synthetic reviews: (X of shape (n, 4), ratings of shape (n,) in 1..5)."""
    rng = np.random.default_rng(seed)
    ratings = rng.integers(1, 6, n_rows)
    tone = ratings - 3.0  # -2 .. 2
    X = np.column_stack(
        [
            2.0 * tone + rng.normal(0.0, 0.8, n_rows),
            -2.0 * tone + rng.normal(0.0, 0.8, n_rows),
            4.0 + 0.3 * np.abs(tone) + rng.normal(0.0, 0.5, n_rows),
            0.8 * np.abs(tone) + rng.normal(0.0, 0.5, n_rows),
        ]
    )
    return X, ratings


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


class OneHotLabels:
    """Maps label codes to one-hot rows and column indices back to label codes."""

    def fit(self, y):
        """Learn the label set: classes_ of shape (k,), sorted."""
        self.classes_ = np.unique(np.asarray(y))
        return self

    def transform(self, y):
        """Label codes (n,) -> one-hot matrix (n, k); column j stands for classes_[j]."""
        return np.eye(len(self.classes_))[np.searchsorted(self.classes_, y)]

    def inverse_transform(self, columns):
        """Column indices (n,) -> label codes (n,)."""
        return self.classes_[columns]


def softmax(logits):
    """Class probabilities along the last axis: (n, k) -> (n, k)."""
    return np.exp(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))


def fit_softmax_regression(X, Y, lr=0.5, epochs=300):
    """Batch gradient descent on the mean cross-entropy. X: (n, d), Y: one-hot (n, k).

    Returns (W of shape (d, k), b of shape (k,)).
    """
    n, d = X.shape
    W = np.zeros((d, Y.shape[1]))
    b = np.zeros(Y.shape[1])
    for _ in range(epochs):
        error = Y - softmax(X @ W + b)  # (n, k)
        W -= lr * X.T @ error / n
        b -= lr * error.mean(axis=0)
    return W, b


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(X, y, test_size=0.25, seed=0):
    """Split, standardise, fit on one-hot labels, and predict label codes for held-out rows."""
    train_idx, test_idx = train_test_split(len(X), test_size, seed)
    mean, scale = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    X_train, X_test = (X[train_idx] - mean) / scale, (X[test_idx] - mean) / scale

    labels = OneHotLabels().fit(y[train_idx])
    W, b = fit_softmax_regression(X_train, labels.transform(y[train_idx]))
    test_probabilities = softmax(X_test @ W + b)  # (n_test, k)
    test_predictions = labels.inverse_transform(test_probabilities.argmax(axis=1))
    return {
        "classes": labels.classes_,
        "test_probabilities": test_probabilities,
        "test_predictions": test_predictions,
        "test_accuracy": accuracy(y[test_idx], test_predictions),
    }
