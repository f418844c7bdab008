"""Bearing fault detection: a two-layer tanh network with a sigmoid output, trained from scratch."""

import numpy as np

FEATURES = ["bearing_a_temp_anomaly", "bearing_b_temp_anomaly"]


def make_bearings(n_rows=200, seed=0, noise=0.15):
    """Temperature anomalies of two bearings on one shaft (standardised) and a fault label.

    A shaft is misaligned (label 1) when exactly one of its two bearings runs hot: an XOR.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, (n_rows, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(float)
    return X + noise * rng.normal(size=X.shape), y


def init_params(n_inputs, n_hidden=8, seed=0):
    """Small random weights: W1 (d, h), b1 (h,), W2 (h,), b2 a float."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, 0.5, (n_inputs, n_hidden)),
        "b1": rng.normal(0.0, 0.1, n_hidden),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), n_hidden),
        "b2": 0.0,
    }


def forward(params, X):
    """The cached intermediate values: z1 and a1 of shape (n, h), logits of shape (n,)."""
    z1 = X @ params["W1"] + params["b1"]  # (n, h)
    a1 = np.tanh(z1)
    logits = a1 @ params["W2"] + params["b2"]  # (n,)
    return {"X": X, "z1": z1, "a1": a1, "logits": logits}


def predict_proba(params, X):
    """Probability of a fault for each row: (n,)."""
    # sigmoid(z) written through tanh, which saturates instead of overflowing.
    return 0.5 * (1.0 + np.tanh(0.5 * forward(params, X)["logits"]))


def log_loss(params, X, y):
    """Mean log-loss of the network on (X, y)."""
    logits = forward(params, X)["logits"]
    # -log(sigmoid(z)) = log(1 + e^-z), and -log(1 - sigmoid(z)) = log(1 + e^-z) + z.
    return float(np.mean(np.logaddexp(0.0, -logits) + (1.0 - y) * logits))


def gradients(params, X, y):
    """Gradient of log_loss with respect to every parameter: a dict shaped like params."""
    cache = forward(params, X)
    n = X.shape[0]
    d_logits = (predict_proba(params, X) - y) / n  # (n,)
    d_a1 = np.outer(d_logits, params["W2"])  # (n, h)
    d_z1 = d_a1  # tanh'(z) = 1 - tanh(z)^2
    return {
        "W1": X.T @ d_z1,
        "b1": d_z1.sum(axis=0),
        "W2": cache["a1"].T @ d_logits,
        "b2": float(d_logits.sum()),
    }


def fit(X, y, n_hidden=8, lr=1.0, epochs=500, seed=0):
    """Full-batch gradient descent: (params, loss_history of shape (epochs,))."""
    params = init_params(X.shape[1], n_hidden, seed)
    history = np.empty(epochs)
    for epoch in range(epochs):
        grads = gradients(params, X, y)
        params = {name: params[name] - lr * grads[name] for name in params}
        history[epoch] = log_loss(params, X, y)
    return params, history


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(n_rows=200, n_test=50, n_hidden=8, lr=1.0, epochs=500, seed=0):
    """Fit on the first shafts, report the loss history and accuracy on the last n_test."""
    X, y = make_bearings(n_rows, seed)
    params, history = fit(X[:-n_test], y[:-n_test], n_hidden, lr, epochs, seed)
    labels = (predict_proba(params, X) >= 0.5).astype(float)
    return {
        "params": params,
        "loss_history": history,
        "train_accuracy": accuracy(y[:-n_test], labels[:-n_test]),
        "test_accuracy": accuracy(y[-n_test:], labels[-n_test:]),
    }
