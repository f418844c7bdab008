"""Activity recognition on a wristband: a two-layer network scores accelerometer windows.

The phone app keeps the user's share of the day per activity up to date as the wristband syncs;
a nightly job scores the whole day's recording again for the weekly summary.
"""

import numpy as np

ACTIVITIES = ["still", "walking", "running"]
WINDOW = 16  # samples per window
COUNTS_PER_G = 256.0  # raw sensor counts per unit of gravity


def make_windows(n_windows, seed=0):
    """Labelled lab windows as the wristband records them: raw counts (n, 1, 16), labels (n,)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(ACTIVITIES), n_windows)
    t = np.arange(WINDOW)
    amplitude = np.array([0.05, 0.5, 1.2])[y][:, None]  # (n, 1), in g
    cycles = np.array([1.0, 2.0, 4.0])[y][:, None]
    phase = rng.uniform(0.0, 2.0 * np.pi, (n_windows, 1))
    g = 1.0 + amplitude * np.sin(2.0 * np.pi * cycles * t / WINDOW + phase)  # (n, 16)
    g += rng.normal(0.0, 0.1, g.shape)
    return np.round(g * COUNTS_PER_G).astype(np.int16)[:, None, :], y


def make_day(n_windows, opens_per_hour, seed=0):
    """One user's day: the recording (n, 1, 16) and the requests the phone synced it in.

    The phone syncs every 30 windows, and whenever the user opens the app.
    """
    rng = np.random.default_rng(seed)
    p = rng.dirichlet([2.0, 2.0, 2.0])
    y = rng.choice(len(ACTIVITIES), n_windows, p=p)
    recording, _ = make_windows(n_windows, seed + 1)
    lab, lab_y = make_windows(4 * n_windows, seed + 2)
    for k in range(len(ACTIVITIES)):  # windows of the day's activities
        recording[y == k] = lab[lab_y == k][: np.sum(y == k)]
    opens = rng.random(n_windows) < opens_per_hour / 120.0  # 120 windows an hour
    cuts = [i + 1 for i in range(n_windows - 1) if opens[i] or (i + 1) % 30 == 0]
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


def run_pipeline(n_lab=300, n_windows=400, opens_per_hour=2.0, seed=0):
    """Train on lab windows, then follow one user's day live and in the nightly report."""
    lab, y = make_windows(n_lab, seed)
    params = fit(prepare(lab), y, seed=seed)
    recording, requests = make_day(n_windows, opens_per_hour, seed + 1)
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
