"""Scorecard validation: how well the scorecard and the bureau rank defaulters, and the cut-off."""

import numpy as np
from scorecard import score_applications


def class_counts(y_true):
    """Numbers of defaulters and non-defaulters in y_true (n,); ValueError unless both occur."""
    y_true = np.asarray(y_true, dtype=float)
    n_bad = y_true.sum()
    if n_bad == 0 or n_bad == len(y_true):
        raise ValueError(
            f"y_true needs defaulters and non-defaulters; got {n_bad:.0f} of {len(y_true)}"
        )
    return n_bad, len(y_true) - n_bad


def roc_curve(y_true, risk):
    """ROC curve of the rule "decline if risk >= t", strictest threshold first.

    y_true : array-like of shape (n,), 1 for a defaulter and 0 otherwise.
    risk : array-like of shape (n,), higher for riskier applications.
    Returns fpr, tpr and thresholds, arrays of the same length, starting at (0, 0) with
    threshold inf and ending at (1, 1). Raises ValueError if y_true holds only one class.
    """
    y_true = np.asarray(y_true, dtype=float)
    risk = np.asarray(risk, dtype=float)
    n_bad, n_good = class_counts(y_true)
    thresholds = np.unique(risk)[::-1]  # (m,) strictest first
    bads = np.sort(risk[y_true == 1])
    goods = np.sort(risk[y_true == 0])
    tpr = 1.0 - np.searchsorted(bads, thresholds) / n_bad  # (m,) share of defaulters declined
    fpr = 1.0 - np.searchsorted(goods, thresholds) / n_good
    return np.r_[0.0, fpr], np.r_[0.0, tpr], np.r_[np.inf, thresholds]


def roc_auc(y_true, risk):
    """Area under the ROC curve of ``risk``, from the ranks of the defaulters (Mann-Whitney U).

    Same arguments as roc_curve; returns a number in [0, 1], 0.5 for a ranking by chance.
    """
    y_true = np.asarray(y_true, dtype=float)
    risk = np.asarray(risk, dtype=float)
    n_bad, n_good = class_counts(y_true)
    ordered = np.sort(risk)
    ranks = (np.searchsorted(ordered, risk) + np.searchsorted(ordered, risk, side="right") + 1) / 2
    u = ranks @ y_true - n_bad * (n_bad + 1) / 2
    return float(u / (n_bad * n_good))


def ks_statistic(y_true, risk):
    """Kolmogorov-Smirnov statistic: the largest gap between the ROC curve and the diagonal."""
    fpr, tpr, _ = roc_curve(y_true, risk)
    return float(np.max(tpr - fpr))


def ranking_summary(y_true, risk):
    """AUC, Gini (2 AUC - 1) and KS of a risk score."""
    auc = roc_auc(y_true, risk)
    return {"auc": auc, "gini": 2.0 * auc - 1.0, "ks": ks_statistic(y_true, risk)}


def cutoff_report(y_true, points, cutoff):
    """What approving every application with at least ``cutoff`` points would do.

    Returns the approval rate, the default rate among approved applications (0 when none is
    approved) and the share of defaulters declined.
    """
    y_true = np.asarray(y_true, dtype=float)
    approved = np.asarray(points) >= cutoff
    return {
        "approval_rate": float(approved.mean()),
        "bad_rate_approved": float(y_true[approved].mean()) if approved.any() else 0.0,
        "bads_declined": float(1.0 - y_true[approved].sum() / y_true.sum()),
    }


def run_validation(sample, cutoff=370):
    """The validation report of the scorecard, with the bureau's score as a benchmark.

    sample : DataFrame as read_sample returns it (any row order and index).
    Returns a dict: ``scored`` (a copy of ``sample`` with each application's ``points``),
    ``scorecard`` and ``bureau`` (ranking_summary of each) and ``cutoff`` (cutoff_report of the
    scorecard at ``cutoff`` points).
    """
    scored = sample.copy()
    scored["points"] = score_applications(scored)
    y_true = scored["defaulted"].to_numpy()
    points = scored["points"].to_numpy()
    return {
        "scored": scored,
        "scorecard": ranking_summary(y_true, -points),
        "bureau": ranking_summary(y_true, scored["bureau_pd"].to_numpy()),
        "cutoff": cutoff_report(y_true, points, cutoff),
    }
