"""Network traffic: a softmax regression labels each flow as web, video, voip or backup."""

import numpy as np

FEATURES = ["log_bytes", "log_packets", "duration_s", "mean_gap_ms"]
CLASSES = ["web", "video", "voip", "backup"]


def make_flows(n_rows=400, seed=0):
    """Synthetic flows: (X of shape (n, 4), y of shape (n,) in 0..3), one cluster per class."""
    rng = np.random.default_rng(seed)
    centres = np.array(
        [
            [8.0, 3.0, 2.0, 40.0],  # web: short bursts
            [14.0, 9.0, 60.0, 5.0],  # video: long, heavy, steady
            [10.0, 9.5, 45.0, 20.0],  # voip: long, light, regular
            [15.0, 7.0, 8.0, 1.0],  # backup: heavy, back to back
        ]
    )
    spread = np.array([1.0, 1.0, 8.0, 5.0])
    y = rng.integers(0, len(CLASSES), n_rows)
    return centres[y] + spread * rng.normal(size=(n_rows, len(FEATURES))), y


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def standardise(X_train, X_other):
    """Both arrays scaled by the training rows' column means and standard deviations."""
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / scale, (X_other - mean) / scale


def softmax(logits):
    """Class probabilities along the last axis: (n, k) -> (n, k)."""
    return np.exp(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))


def class_scores(X, W, b):
    """Logits of a linear layer stored one row per class.

    X : ndarray of shape (n, d)
    W : ndarray of shape (k, d); row j holds the weights of class j
    b : ndarray of shape (k,)
    Returns ndarray of shape (n, k): entry [i, j] is X[i] @ W[j] + b[j].
    """
    return X @ W.T + b


def loss(X, Y, W, b):
    """Mean cross-entropy of the model (W, b) against one-hot targets Y of shape (n, k)."""
    logits = class_scores(X, W, b)
    log_probs = logits - np.logaddexp.reduce(logits, axis=1)[:, None]
    return float(-np.mean(np.sum(Y * log_probs, axis=1)))


def gradients(X, Y, W, b):
    """Gradient of loss at (W, b): (grad_W of shape (k, d), grad_b of shape (k,))."""
    error = softmax(class_scores(X, W, b)) - Y  # (n, k)
    return error.T @ X / len(X), error.mean(axis=0)


def fit(X, y, n_classes, lr=0.5, epochs=300):
    """Batch gradient descent from zero. Returns (W of shape (k, d), b, loss_history)."""
    Y = np.eye(n_classes)[y]  # (n, k)
    W = np.zeros((n_classes, X.shape[1]))
    b = np.zeros(n_classes)
    history = []
    for _ in range(epochs):
        grad_W, grad_b = gradients(X, Y, W, b)
        W = W - lr * grad_W
        b = b - lr * grad_b
        history.append(loss(X, Y, W, b))
    return W, b, np.array(history)


def predict(X, W, b):
    """The most probable class of each row: (n,) in 0..k-1."""
    return class_scores(X, W, b).argmax(axis=1)


def accuracy(y_true, y_pred):
    return float(np.mean(y_true != y_pred))


def run_pipeline(X, y, test_size=0.25, seed=0):
    """Split, standardise, fit and score on the held-out flows."""
    train_idx, test_idx = train_test_split(len(X), test_size, seed)
    X_train, X_test = standardise(X[train_idx], X[test_idx])
    W, b, history = fit(X_train, y[train_idx], n_classes=int(y.max()) + 1)
    return {
        "weights": W,
        "bias": b,
        "loss_history": history,
        "train_accuracy": accuracy(y[train_idx], predict(X_train, W, b)),
        "test_accuracy": accuracy(y[test_idx], predict(X_test, W, b)),
    }
