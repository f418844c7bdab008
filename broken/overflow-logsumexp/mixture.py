"""Spindle monitoring: a two-regime Gaussian mixture fitted by EM to each shift's current draw."""

import numpy as np

REGIMES = ["idle", "cutting"]


def make_shift(n_rows=300, seed=0):
    """One shift of spindle current readings (amps): idle near 2 A, cutting near 8 A.

    Returns x : ndarray of shape (n_rows,).
    """
    rng = np.random.default_rng(seed)
    cutting = rng.random(n_rows) < 0.6
    x = np.where(cutting, rng.normal(8.0, 0.3, n_rows), rng.normal(2.0, 0.15, n_rows))
    inrush = rng.random(n_rows) < 0.002
    x[inrush] = rng.uniform(25.0, 40.0, inrush.sum())
    return x


def initial_parameters(x, n_components):
    """Weights (k,), means (k,) at evenly spaced quantiles, and variances (k,) from the spread."""
    means = np.quantile(x, (np.arange(n_components) + 0.5) / n_components)
    spread = (np.quantile(x, 0.75) - np.quantile(x, 0.25)) / n_components
    return np.full(n_components, 1.0 / n_components), means, np.full(n_components, spread**2)


def log_gaussian(x, means, variances):
    """log N(x_i | mean_j, variance_j) for readings x (n,) and components (k,): (n, k)."""
    diff = x[:, None] - means[None, :]  # (n, k)
    return -0.5 * (np.log(2.0 * np.pi * variances) + diff**2 / variances)


def e_step(x, weights, means, variances):
    """Responsibilities (n, k) of the components for each reading, and the total log-likelihood."""
    log_joint = np.log(weights) + log_gaussian(x, means, variances)  # (n, k)
    log_density = np.log(np.sum(np.exp(log_joint), axis=1))  # (n,)
    resp = np.exp(log_joint - log_density[:, None])
    return resp, float(log_density.sum())


def m_step(x, resp):
    """Weights, means and variances (each (k,)) that maximise the expected log-likelihood."""
    counts = resp.sum(axis=0)  # (k,)
    means = resp.T @ x / counts
    variances = (resp * (x[:, None] - means[None, :]) ** 2).sum(axis=0) / counts
    return counts / len(x), means, variances


def fit_gmm(x, n_components=2, n_iter=30, start=None):
    """EM from `start` = (weights, means, variances), or from quantiles when start is None.

    Returns the fitted parameters and the log-likelihood before each M-step.
    """
    weights, means, variances = start if start is not None else initial_parameters(x, n_components)
    history = []
    for _ in range(n_iter):
        resp, log_likelihood = e_step(x, weights, means, variances)
        history.append(log_likelihood)
        weights, means, variances = m_step(x, resp)
    return {"weights": weights, "means": means, "variances": variances, "history": history}


def run_pipeline(shifts, n_components=2, n_iter=30):
    """Fit every shift in turn, each starting from the previous shift's parameters.

    Returns per-shift means and standard deviations (n_shifts, k) and the share of readings
    labelled as cutting.
    """
    start = None
    means, stds, cutting_share = [], [], []
    for x in shifts:
        model = fit_gmm(x, n_components, n_iter, start)
        start = (model["weights"], model["means"], model["variances"])
        resp, _ = e_step(x, *start)
        cutting = np.argmax(model["means"])
        means.append(model["means"])
        stds.append(np.sqrt(model["variances"]))
        cutting_share.append(float(np.mean(np.argmax(resp, axis=1) == cutting)))
    return {"means": np.array(means), "stds": np.array(stds), "cutting_share": cutting_share}
