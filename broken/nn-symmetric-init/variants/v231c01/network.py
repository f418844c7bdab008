"""Part inspection: a two-layer network learns which calibration offsets make a part defective."""

import numpy as np
import pandas as pd

FEATURES = ["offset_x", "offset_y"]
TARGET = "defective"


def make_parts(n_rows=200, seed=0):
    """Two calibration offsets per part; a part is defective when exactly one of them is positive
    (an XOR: no single straight line separates the classes)."""
    rng = np.random.default_rng(seed)
    centres = rng.choice([-1.0, 1.0], size=(n_rows, 2))
    offsets = centres + rng.normal(0.0, 0.3, size=(n_rows, 2))
    defective = (centres[:, 0] * centres[:, 1] < 0).astype(int)
    return pd.DataFrame({"offset_x": offsets[:, 0], "offset_y": offsets[:, 1], TARGET: defective})


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def init_params(n_in, n_hidden, rng):
    """Initial weights: W1 (n_in, n_hidden), b1 (n_hidden,), W2 (n_hidden,), b2."""
    return {
        "W1": rng.normal(0.0, 1.0 / np.sqrt(n_in), size=(n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), size=n_hidden),
        "b2": 0.0,
    }


def forward(params, X):
    """Hidden activations (n, n_hidden) and output logits (n,)."""
    H = np.tanh(X @ params["W1"] + params["b1"])  # (n, n_hidden)
    return H, H @ params["W2"] + params["b2"]


def loss_and_grads(params, X, y):
    """Mean binary cross-entropy computed from the logits, and its gradient for each parameter."""
    H, logits = forward(params, X)
    # log(1 + e^z) - y z is the cross-entropy of sigmoid(z); logaddexp keeps it finite.
    loss = float(np.mean(np.logaddexp(0.0, logits) - y * logits))
    d_logits = (0.5 * (1.0 + np.tanh(0.5 * logits)) - y) / len(y)  # (n,)
    d_hidden = np.outer(d_logits, params["W2"]) * (1.0 - H**2)  # (n, n_hidden)
    grads = {
        "W1": X.T @ d_hidden,
        "b1": d_hidden.sum(axis=0),
        "W2": H.T @ d_logits,
        "b2": float(d_logits.sum()),
    }
    return loss, grads


def train(X, y, n_hidden=8, lr=0.5, epochs=800, seed=0):
    """Full-batch gradient descent. Returns (params, loss history)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    params = init_params(X.shape[1], n_hidden, np.random.default_rng(seed))
    history = []
    for _ in range(epochs):
        loss, grads = loss_and_grads(params, X, y)
        history.append(loss)
        for name in params:
            params[name] = params[name] - lr * grads[name]
    return params, history


def predict(params, X):
    """1 where the network's defect probability is above one half: (n,)."""
    return (forward(params, np.asarray(X, dtype=float))[1] > 0.0).astype(int)


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) != np.asarray(y_pred)))


def run_pipeline(df, test_size=0.25, seed=0, n_hidden=8):
    """Split the parts, train on the training rows and score both sets."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=int)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    params, history = train(X[train_idx], y[train_idx], n_hidden=n_hidden, seed=seed)
    return {
        "params": params,
        "loss_history": history,
        "train_accuracy": accuracy(y[train_idx], predict(params, X[train_idx])),
        "test_accuracy": accuracy(y[test_idx], predict(params, X[test_idx])),
    }
