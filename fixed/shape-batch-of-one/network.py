"""Activity recognition on a wristband: a two-layer network scores accelerometer windows.

The phone app keeps the user's share of the day per activity up to date as the wristband syncs;
a nightly job scores the whole day's recording again for the weekly summary.
"""

import numpy as np
import pandas as pd

ACTIVITIES = ["still", "walking", "running"]
WINDOW = 16  # samples per window
COUNTS_PER_G = 256.0  # raw sensor counts per unit of gravity
SAMPLES = [f"s{i:02d}" for i in range(WINDOW)]  # the sample columns of the files


def load_lab(path):
    """Lab windows as the wristband records them: raw counts (n, 1, 16) and labels (n,)."""
    lab = pd.read_csv(path)
    windows = lab[SAMPLES].to_numpy(dtype=np.int16)[:, None, :]  # (n, 1, 16): one channel
    return windows, lab["activity"].map(ACTIVITIES.index).to_numpy()


def load_day(path):
    """One user's day as the phone received it: the recording (n, 1, 16) and its syncs.

    The syncs are the requests the phone sent, in order: the consecutive windows that share a
    ``synced`` time, each of shape (m, 1, 16).
    """
    day = pd.read_csv(path, dtype={"synced": str})
    recording = day[SAMPLES].to_numpy(dtype=np.int16)[:, None, :]  # (n, 1, 16)
    synced = day["synced"].to_numpy()
    cuts = np.flatnonzero(synced[1:] != synced[:-1]) + 1
    return recording, np.split(recording, cuts)


def prepare(windows):
    """Raw windows (b, 1, 16) or (b, 16) as network input (b, 16): in g, without gravity."""
    X = np.asarray(windows, dtype=float)
    if X.shape[1:] not in [(1, WINDOW), (WINDOW,)]:
        raise ValueError(
            f"expected windows of shape (b, 1, {WINDOW}) or (b, {WINDOW}), got {X.shape}"
        )
    X = X.reshape(len(X), WINDOW) / COUNTS_PER_G
    return X - X.mean(axis=-1, keepdims=True)  # gravity: each window's constant part


def softmax(logits):
    """Class probabilities along the last axis: (..., k) -> (..., k)."""
    return np.exp(logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True))


def forward(params, X):
    """Class probabilities for a batch of windows: X (b, 16) -> (b, 3)."""
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)  # (b, h)
    return softmax(hidden @ params["W2"] + params["b2"])  # (b, 3)


def fit(X, y, n_hidden=12, lr=0.5, epochs=300, seed=0):
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


class LiveShares:
    """The app's share of the day per activity, updated with every request the phone syncs."""

    def __init__(self, params):
        self.params = params
        self.totals = np.zeros(len(ACTIVITIES))  # summed class probabilities
        self.count = 0  # windows scored

    def update(self, request):
        """Score one synced request of raw windows (m, 1, 16) and add it to the day."""
        probs = forward(self.params, prepare(request))  # (m, 3)
        self.totals += probs.sum(axis=0)
        self.count += len(probs)
        return self

    def shares(self):
        """The mean class probability over the windows scored so far: shape (3,)."""
        return self.totals / self.count


def nightly_report(params, recording):
    """The day's recording (n, 1, 16) scored at once: shares, minutes and dominant activity."""
    probs = forward(params, prepare(recording))  # (n, 3)
    minutes = np.bincount(probs.argmax(axis=-1), minlength=len(ACTIVITIES)) / 2  # 30 s windows
    shares = probs.mean(axis=0)
    return {"shares": shares, "minutes": minutes, "dominant": ACTIVITIES[int(shares.argmax())]}


def run_pipeline(lab_path, day_path, seed=0):
    """Train on the lab windows, then follow one user's day live and in the nightly report."""
    lab, y = load_lab(lab_path)
    params = fit(prepare(lab), y, seed=seed)
    recording, requests = load_day(day_path)
    live = LiveShares(params)
    for request in requests:
        live.update(request)
    return {
        "params": params,
        "lab_accuracy": float(np.mean(forward(params, prepare(lab)).argmax(axis=1) == y)),
        "requests": len(requests),
        "live": live.shares(),
        "nightly": nightly_report(params, recording),
    }
