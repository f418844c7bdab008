"""Stroke recogniser: a one-hidden-layer tanh network that classifies 6x6 images of strokes."""

import numpy as np

CLASSES = ["horizontal", "vertical", "diagonal", "anti-diagonal"]
SIDE = 6


def make_images(n_rows=240, seed=0):
    """Noisy 6x6 images, each holding one stroke: X of shape (n, 36), labels y of shape (n,)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(CLASSES), size=n_rows)
    images = rng.normal(0.0, 0.2, size=(n_rows, SIDE, SIDE))
    for image, label in zip(images, y, strict=True):
        offset = int(rng.integers(-1, 2))
        if label == 0:
            image[rng.integers(SIDE), :] += 1.0
        elif label == 1:
            image[:, rng.integers(SIDE)] += 1.0
        elif label == 2:
            image += np.eye(SIDE, k=offset)
        else:
            image += np.fliplr(np.eye(SIDE, k=offset))
    return images.reshape(n_rows, SIDE * SIDE), y


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def log_softmax(logits):
    """Row-wise log-probabilities of logits (n, k): shape (n, k)."""
    return logits - np.logaddexp.reduce(logits, axis=1)[:, None]


def softmax(logits):
    """Row-wise probabilities of logits (n, k): shape (n, k)."""
    log_probs = log_softmax(logits)  # (n, k)
    return np.exp(log_probs)


def cross_entropy(logits, y):
    """Mean cross-entropy of the integer labels y (n,) under the softmax of logits (n, k)."""
    picked = log_softmax(logits)[np.arange(len(y)), y]  # (n,)
    return float(-picked.mean())


class TwoLayerNet:
    """inputs -> tanh hidden layer -> class scores; trained by full-batch gradient descent."""

    def __init__(self, n_inputs, n_hidden, n_classes, seed=0):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(0.0, 1.0 / np.sqrt(n_inputs), size=(n_inputs, n_hidden))
        self.b1 = np.zeros(n_hidden)
        self.W2 = rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=(n_hidden, n_classes))
        self.b2 = np.zeros(n_classes)

    def forward(self, X):
        """Class scores (n, k) and the hidden activations (n, h) for X of shape (n, d)."""
        hidden = np.tanh(X @ self.W1 + self.b1)  # (n, h)
        scores = hidden @ self.W2 + self.b2  # (n, k)
        return scores, hidden

    def predict_proba(self, X):
        return softmax(self.forward(X)[1])

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)

    def loss(self, X, y):
        return cross_entropy(self.forward(X)[0], y)

    def gradients(self, X, y):
        """Gradients of ``loss(X, y)`` with respect to W1, b1, W2 and b2."""
        scores, hidden = self.forward(X)
        n_rows = len(X)
        d_scores = softmax(scores)  # (n, k)
        d_scores[np.arange(n_rows), y] -= 1.0
        d_scores /= n_rows
        d_hidden = d_scores @ self.W2.T  # (n, h)
        d_pre = d_hidden * (1.0 - hidden**2)  # through tanh
        return {
            "W1": X.T @ d_pre,
            "b1": d_pre.sum(axis=0),
            "W2": hidden.T @ d_scores,
            "b2": d_scores.sum(axis=0),
        }

    def fit(self, X, y, lr=0.5, epochs=150):
        self.loss_history_ = []
        for _ in range(epochs):
            self.loss_history_.append(self.loss(X, y))
            for name, grad in self.gradients(X, y).items():
                getattr(self, name)[...] -= lr * grad
        return self


def run_pipeline(n_rows=240, seed=0, n_hidden=16, epochs=150):
    """Train on 75% of the images; report the training loss and held-out accuracy."""
    X, y = make_images(n_rows, seed)
    train_idx, test_idx = train_test_split(n_rows, 0.25, seed)
    net = TwoLayerNet(X.shape[1], n_hidden, len(CLASSES), seed)
    net.fit(X[train_idx], y[train_idx], epochs=epochs)
    return {
        "model": net,
        "loss_history": net.loss_history_,
        "train_loss": net.loss(X[train_idx], y[train_idx]),
        "test_accuracy": float(np.mean(net.predict(X[test_idx]) == y[test_idx])),
    }
