"""Stripe detector: softmax regression on raw 5x5 greyscale patches (intensities 0-255)."""

import numpy as np

CLASSES = ["horizontal", "vertical", "diagonal"]
SIDE = 5


def make_patches(n_rows=300, seed=0):
    """Noisy 5x5 patches showing a bright horizontal, vertical or diagonal stroke.

    Returns X : ndarray of shape (n_rows, 25), raw intensities in [0, 255], and
    y : ndarray of shape (n_rows,), the class index into CLASSES.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(CLASSES), n_rows)
    templates = np.zeros((len(CLASSES), SIDE, SIDE))
    templates[0, SIDE // 2, :] = 1.0  # a bar across the middle row
    templates[1, :, SIDE // 2] = 1.0  # a bar down the middle column
    templates[2] = np.eye(SIDE)  # the main diagonal
    brightness = rng.uniform(100.0, 180.0, (n_rows, 1, 1))
    images = rng.normal(60.0, 30.0, (n_rows, SIDE, SIDE)) + brightness * templates[y]
    X = np.clip(images, 0.0, 255.0).reshape(n_rows, SIDE * SIDE)
    return X, y


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def softmax(logits):
    """Class probabilities from logits of shape (n, k); each row sums to 1."""
    # Shifting a row by a constant leaves its softmax unchanged; after subtracting the row's
    # largest logit every exponent is <= 0, so exp cannot overflow.
    shifted = logits - logits.max(axis=1)[:, None]
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1)[:, None]


def one_hot(y, n_classes):
    """Rows of the identity: (n,) integer labels to (n, n_classes)."""
    return np.eye(n_classes)[y]


def fit_softmax_regression(X, y, n_classes, lr=0.05, epochs=100):
    """Batch gradient descent on the cross-entropy. X: (n, d), y: (n,). Returns W (d, k), b (k,)."""
    n, d = X.shape
    W = np.zeros((d, n_classes))
    b = np.zeros(n_classes)
    Y = one_hot(y, n_classes)  # (n, k)
    for _ in range(epochs):
        probs = softmax(X @ W + b)  # (n, k)
        error = probs - Y
        W += lr * X.T @ error / n
        b -= lr * error.mean(axis=0)
    return W, b


def predict(X, W, b):
    """Most probable class per row: (n,) integer labels."""
    return np.argmax(softmax(X @ W + b), axis=1)


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(X, y, test_size=0.25, seed=0):
    """Split, fit on the raw intensities, score the held-out patches."""
    train_idx, test_idx = train_test_split(len(y), test_size, seed)
    W, b = fit_softmax_regression(X[train_idx], y[train_idx], len(CLASSES))
    test_probs = softmax(X[test_idx] @ W + b)  # (n_test, k)
    return {
        "weights": W,
        "bias": b,
        "test_probabilities": test_probs,
        "train_accuracy": accuracy(y[train_idx], predict(X[train_idx], W, b)),
        "test_accuracy": accuracy(y[test_idx], np.argmax(test_probs, axis=1)),
    }
