"""Glyph recogniser: a two-layer ReLU network trained from scratch with early stopping."""

import numpy as np

SIDE = 8
CLASSES = ["horizontal", "vertical", "diagonal"]


def make_glyphs(n_rows=400, seed=0, noise=0.3):
    """Noisy 8x8 images of a horizontal bar, a vertical bar or a diagonal, flattened.

    Returns X of shape (n, 64) and integer labels y of shape (n,).
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(CLASSES), n_rows)
    images = rng.normal(0.0, noise, (n_rows, SIDE, SIDE))
    where = rng.integers(0, SIDE, n_rows)
    eye = np.eye(SIDE)
    for i in range(n_rows):
        if y[i] == 0:
            images[i, where[i], :] += 1.0
        elif y[i] == 1:
            images[i, :, where[i]] += 1.0
        else:
            images[i] += eye if where[i] % 2 else eye[::-1]
    return images.reshape(n_rows, SIDE * SIDE), y


def train_val_test_split(n_rows, seed=0, val_size=0.2, test_size=0.2):
    """Shuffled row positions: (train_idx, val_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_val, n_test = round(n_rows * val_size), round(n_rows * test_size)
    return order[n_val + n_test :], order[:n_val], order[n_val : n_val + n_test]


def init_params(n_features, n_hidden, n_classes, seed=0):
    """He-initialised weights: W1 (d, h), b1 (h,), W2 (h, k), b2 (k,)."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, np.sqrt(2.0 / n_features), (n_features, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(0.0, np.sqrt(2.0 / n_hidden), (n_hidden, n_classes)),
        "b2": np.zeros(n_classes),
    }


def forward(params, X):
    """Logits of shape (n, k) and the hidden pre-activations and activations (n, h)."""
    z1 = X @ params["W1"] + params["b1"]  # (n, h)
    h1 = np.maximum(z1, 0.0)
    logits = h1 @ params["W2"] + params["b2"]  # (n, k)
    return logits, (z1, h1)


def softmax(logits):
    """Row-wise class probabilities of logits (n, k)."""
    exp = np.exp(logits)
    return exp / exp.sum(axis=1)[:, None]


def cross_entropy(logits, y):
    """Mean negative log-likelihood of integer labels y (n,) under ``logits`` (n, k)."""
    probs = softmax(logits)
    return float(-np.mean(np.log(probs[np.arange(len(y)), y])))


def loss_and_grads(params, X, y):
    """Cross-entropy of the network on (X, y) and its gradient for every parameter."""
    n = len(y)
    logits, (z1, h1) = forward(params, X)
    dlogits = softmax(logits)
    dlogits[np.arange(n), y] -= 1.0
    dlogits /= n  # (n, k)
    dh1 = dlogits @ params["W2"].T  # (n, h)
    dz1 = dh1 * (h1 >= 0)
    grads = {
        "W1": X.T @ dz1,
        "b1": dz1.sum(axis=0),
        "W2": h1.T @ dlogits,
        "b2": dlogits.sum(axis=0),
    }
    return cross_entropy(logits, y), grads


def predict(params, X):
    """Predicted class of each row: ndarray of shape (n,)."""
    return forward(params, X)[0].argmax(axis=1)


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def train_network(
    X_train, y_train, X_val, y_val, n_hidden=16, lr=0.5, epochs=300, patience=15, seed=0
):
    """Full-batch gradient descent with early stopping on the validation accuracy (``patience``
    epochs). Returns the parameters of the epoch with the best validation accuracy and the
    per-epoch history."""
    params = init_params(X_train.shape[1], n_hidden, int(y_train.max()) + 1, seed)
    best, best_acc, stale = None, -1.0, 0
    history = {"loss": [], "val_accuracy": [], "best_epoch": 0}
    for epoch in range(epochs):
        loss, grads = loss_and_grads(params, X_train, y_train)
        params = {name: value - lr * grads[name] for name, value in params.items()}
        val_acc = accuracy(y_val, predict(params, X_val))
        history["loss"].append(loss)
        history["val_accuracy"].append(val_acc)
        if val_acc > best_acc:
            best, best_acc, history["best_epoch"] = dict(params), val_acc, epoch
        else:
            stale += 1
        if stale >= patience:
            break
    return best, history


def run_pipeline(X, y, seed=0):
    """Split, train with early stopping, and score. Returns the model and its scores."""
    train_idx, val_idx, test_idx = train_val_test_split(len(y), seed)
    params, history = train_network(X[train_idx], y[train_idx], X[val_idx], y[val_idx], seed=seed)
    return {
        "params": params,
        "history": history,
        "val_accuracy": accuracy(y[val_idx], predict(params, X[val_idx])),
        "test_accuracy": accuracy(y[test_idx], predict(params, X[test_idx])),
    }
