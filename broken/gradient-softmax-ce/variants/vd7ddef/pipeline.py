"""Texture patches: softmax regression on 4x4 grey images, trained by gradient descent."""

import numpy as np

CLASSES = ["horizontal_stripes", "vertical_stripes", "checkerboard"]


def make_patches(n_images=240, seed=0, noise=0.8):
    """Noisy 4x4 texture patches with random contrast: (images (n, 4, 4), labels (n,))."""
    rng = np.random.default_rng(seed)
    rows, cols = np.indices((4, 4))
    patterns = np.stack([rows % 2 == 0, cols % 2 == 0, (rows + cols) % 2 == 0]).astype(float)
    labels = rng.integers(0, len(CLASSES), n_images)
    contrast = rng.uniform(0.5, 1.0, (n_images, 1, 1))
    images = contrast * patterns[labels] + noise * rng.normal(size=(n_images, 4, 4))
    return images, labels


def one_hot(labels, n_classes):
    """(n,) integer labels -> (n, n_classes) indicator matrix."""
    return np.eye(n_classes)[labels]


def softmax(logits):
    """Row-wise softmax of an (n, k) array of logits."""
    log_norm = np.logaddexp.reduce(logits, axis=1)[:, None]  # (n, 1)
    return np.exp(logits - log_norm)


def cross_entropy(X, labels, W, b):
    """Mean cross-entropy of softmax(X @ W + b). X: (n, d), labels: (n,), W: (d, k), b: (k,)."""
    logits = X @ W + b  # (n, k)
    log_norm = np.logaddexp.reduce(logits, axis=1)  # (n,)
    return float(np.mean(log_norm - logits[np.arange(len(labels)), labels]))


def gradients(X, labels, W, b):
    """Gradient of cross_entropy at (W, b): (grad_W of shape (d, k), grad_b of shape (k,))."""
    n = X.shape[0]
    delta = softmax(X @ W + b) - one_hot(labels, W.shape[1])  # (n, k)
    grad_W = X.T @ delta / n  # (d, k)
    grad_b = delta.mean(axis=0)  # (k,)
    return grad_W, grad_b


def fit(X, labels, n_classes, lr=0.5, epochs=150):
    """Batch gradient descent from zero: (W, b, loss_history of shape (epochs,))."""
    W = np.zeros((X.shape[1], n_classes))
    b = np.zeros(n_classes)
    history = np.empty(epochs)
    for epoch in range(epochs):
        grad_W, grad_b = gradients(X, labels, W, b)
        W = W - lr * grad_W
        b = lr * grad_b - b
        history[epoch] = cross_entropy(X, labels, W, b)
    return W, b, history


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(images, labels, n_test=60, lr=0.5, epochs=150):
    """Flatten, hold out the last n_test patches, fit, and score on the held-out patches."""
    X = images.reshape(len(images), -1)  # (n, 16)
    X_train, X_test = X[:-n_test], X[-n_test:]
    y_train, y_test = labels[:-n_test], labels[-n_test:]
    W, b, history = fit(X_train, y_train, len(CLASSES), lr, epochs)
    return {
        "weights": W,
        "bias": b,
        "loss_history": history,
        "train_accuracy": accuracy(y_train, np.argmax(X_train @ W + b, axis=1)),
        "test_accuracy": accuracy(y_test, np.argmax(X_test @ W + b, axis=1)),
    }
