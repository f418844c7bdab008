"""Activity recognition: a two-layer network classifies accelerometer windows; a day's recording
is summarised, batch by batch, as the share of time spent in each activity."""

import numpy as np

ACTIVITIES = ["still", "walking", "running"]
WINDOW = 16  # samples per window


def make_windows(n_windows, seed=0):
    """Labelled accelerometer windows: (X of shape (n, 16), y of shape (n,) in 0..2)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(ACTIVITIES), n_windows)
    t = np.arange(WINDOW)
    amplitude = np.array([0.0, 1.0, 2.5])[y][:, None]  # (n, 1)
    cycles = np.array([1.0, 2.0, 4.0])[y][:, None]
    phase = rng.uniform(0.0, 2.0 * np.pi, (n_windows, 1))
    X = amplitude * np.sin(2.0 * np.pi * cycles * t / WINDOW + phase)  # (n, 16)
    return X + rng.normal(0.0, 0.2, X.shape), y


def device_recording(n_windows, seed=1):
    """Windows as the wristband exports them: shape (n, 1, 16), one accelerometer channel."""
    X, _ = make_windows(n_windows, seed)
    return X


def softmax(logits):
    """Class probabilities along the last axis: (..., k) -> (..., k)."""
    return np.exp(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))


def forward(params, X):
    """Class probabilities for a batch of windows: X (b, 16) -> (b, 3)."""
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)  # (b, h)
    return softmax(hidden @ params["W2"] + params["b2"])  # (b, 3)


def fit(X, y, n_hidden=12, lr=0.2, epochs=300, seed=0):
    """Full-batch gradient descent on the mean cross-entropy. X: (n, 16), y: (n,)."""
    rng = np.random.default_rng(seed)
    n, d = X.shape
    k = len(ACTIVITIES)
    params = {
        "W1": rng.normal(0.0, 1.0 / np.sqrt(d), (d, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(n_hidden), (n_hidden, k)),
        "b2": np.zeros(k),
    }
    Y = np.eye(k)[y]  # (n, k)
    for _ in range(epochs):
        hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)  # (n, h)
        d_logits = (softmax(hidden @ params["W2"] + params["b2"]) - Y) / n  # (n, k)
        d_hidden = (d_logits @ params["W2"].T) * (hidden > 0)  # (n, h)
        params["W2"] -= lr * hidden.T @ d_logits
        params["b2"] -= lr * d_logits.sum(axis=0)
        params["W1"] -= lr * X.T @ d_hidden
        params["b1"] -= lr * d_hidden.sum(axis=0)
    return params


def activity_share(params, windows, batch_size=32):
    """Mean class probability over a recording, computed batch by batch to bound memory.

    windows : ndarray of shape (n, 1, 16), as exported by the wristband
    Returns share : ndarray of shape (3,), the expected fraction of time in each activity.
    """
    totals = np.zeros(len(ACTIVITIES))
    for start in range(0, len(windows), batch_size):
        batch = windows[start : start + batch_size, 0, :]  # (b, 16)
        totals += forward(params, batch).sum(axis=0)
    return totals / len(windows)


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def run_pipeline(n_train=300, n_recording=200, batch_size=32, seed=0):
    """Train on lab windows, then summarise one day's recording from the wristband."""
    X, y = make_windows(n_train, seed)
    params = fit(X, y, seed=seed)
    share = activity_share(params, device_recording(n_recording, seed + 1), batch_size)
    return {
        "params": params,
        "train_accuracy": accuracy(y, forward(params, X).argmax(axis=1)),
        "share": share,
        "dominant_activity": ACTIVITIES[int(share.argmax())],
    }
