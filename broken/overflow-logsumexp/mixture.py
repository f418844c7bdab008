"""Spindle regimes: a two-component Gaussian mixture fitted by EM to each shift's readings."""

from pathlib import Path

import numpy as np
import pandas as pd
from readings import clean_export, load_export


def standardise(x):
    """The median and interquartile range of readings x (n,), used as (x - centre) / scale."""
    centre = float(np.median(x))
    scale = float(np.quantile(x, 0.75) - np.quantile(x, 0.25))
    return centre, scale


def initial_parameters(z, n_components):
    """Equal weights, means at evenly spaced quantiles and a shared variance: each (k,)."""
    means = np.quantile(z, (np.arange(n_components) + 0.5) / n_components)
    variances = np.full(n_components, np.var(z) / n_components)
    return np.full(n_components, 1.0 / n_components), means, variances


def log_gaussian(z, means, variances):
    """log N(z_i | mean_j, variance_j) for readings z (n,) and components (k,): (n, k)."""
    diff = z[:, None] - means[None, :]  # (n, k)
    return -0.5 * (np.log(2.0 * np.pi * variances) + diff**2 / variances)


def log_sum_exp(a, axis=-1):
    """log(sum(exp(a))) along `axis` of an array of log-terms a."""
    top = np.max(a)
    return top + np.log(np.exp(a - top).sum(axis=axis))


def e_step(z, weights, means, variances):
    """Responsibilities (n, k) of the components for each reading, and the log-likelihood of z."""
    log_joint = np.log(weights) + log_gaussian(z, means, variances)  # (n, k)
    log_density = log_sum_exp(log_joint, axis=1)  # (n,)
    return np.exp(log_joint - log_density[:, None]), float(log_density.sum())


def m_step(z, resp, min_variance=1e-6):
    """Weights, means and variances (each (k,)) that maximise the expected log-likelihood."""
    counts = resp.sum(axis=0)  # (k,)
    means = resp.T @ z / counts
    variances = (resp * (z[:, None] - means[None, :]) ** 2).sum(axis=0) / counts
    # A component sitting on repeated identical readings would reach variance 0.
    return counts / len(z), means, np.maximum(variances, min_variance)


def fit_mixture(x, n_components=2, tol=1e-6, max_iter=200):
    """EM on readings x (n,) in amps, until the mean log-likelihood changes by less than `tol`.

    Returns weights, means and variances (each (k,), in amps and amps squared), the number of
    iterations, and the mean log-likelihood of the standardised readings at each iteration.
    """
    centre, scale = standardise(x)
    z = (x - centre) / scale
    params = initial_parameters(z, n_components)
    history = []
    for _ in range(max_iter):
        resp, log_likelihood = e_step(z, *params)
        history.append(log_likelihood / len(z))
        if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
            break
        params = m_step(z, resp)
    weights, means, variances = params
    return {
        "weights": weights,
        "means": centre + scale * means,
        "variances": scale**2 * variances,
        "iterations": len(history),
        "history": history,
    }


def regime_probabilities(model, x):
    """P(regime j | reading x_i) under a fitted model, for readings x (n,) in amps: (n, k)."""
    resp, _ = e_step(x, model["weights"], model["means"], model["variances"])
    return resp


def site_report(x):
    """One dashboard row for a shift's readings x (n,) in amps: each regime's level and spread
    (A), and the share of readings labelled cutting."""
    model = fit_mixture(x)
    idle, cutting = np.argsort(model["means"])
    labels = regime_probabilities(model, x).argmax(axis=1)  # (n,)
    sd = np.sqrt(model["variances"])
    return {
        "readings": len(x),
        "iterations": model["iterations"],
        "idle_amps": float(model["means"][idle]),
        "idle_sd": float(sd[idle]),
        "cutting_amps": float(model["means"][cutting]),
        "cutting_sd": float(sd[cutting]),
        "cutting_share": float(np.mean(labels == cutting)),
    }


def week_report(site, folder="data"):
    """The dashboard table for `site`: one row per shift export ``<site>_<date>.csv`` in
    `folder`, indexed by the shift's date."""
    paths = sorted(Path(folder).glob(f"{site}_*.csv"))
    rows = [site_report(clean_export(load_export(path))) for path in paths]
    dates = [path.stem.removeprefix(f"{site}_") for path in paths]
    return pd.DataFrame(rows, index=pd.Index(dates, name="shift"))
