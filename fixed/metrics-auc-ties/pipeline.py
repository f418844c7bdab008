"""Credit risk: how well does the bureau's risk score rank defaulters? ROC and AUC."""

import numpy as np
import pandas as pd

REGIONS = ["north", "south", "east", "west"]


def make_applications(n_rows=400, seed=0):
    """Loan applications with the bureau's risk score and whether they defaulted."""
    rng = np.random.default_rng(seed)
    true_risk = rng.beta(2.0, 10.0, n_rows)
    risk_score = np.round(np.clip(true_risk + rng.normal(0.0, 0.02, n_rows), 0.0, 1.0), 2)
    return pd.DataFrame(
        {
            "application_id": np.arange(100_000, 100_000 + n_rows),
            "region": rng.choice(REGIONS, n_rows),
            "risk_score": risk_score,
            "defaulted": (rng.random(n_rows) < true_risk).astype(int),
        }
    )


def roc_curve(y_true, scores):
    """ROC points of the rule "flag if score >= t", strictest threshold first.

    y_true : array-like of shape (n,) of 0/1; scores : array-like of shape (n,), higher = riskier.
    Returns fpr, tpr and thresholds (np.inf first), starting at (0, 0).
    """
    y_true = np.asarray(y_true, dtype=float)
    scores = np.asarray(scores, dtype=float)
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    y_sorted = y_true[order]
    # Tied scores are one threshold: take the curve only where the score changes.
    last_of_each = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(scores) - 1]
    tps = np.cumsum(y_sorted)[last_of_each]
    fps = np.cumsum(1.0 - y_sorted)[last_of_each]
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    thresholds = np.r_[np.inf, sorted_scores[last_of_each]]
    return fpr, tpr, thresholds


def roc_auc(y_true, scores):
    """Area under the ROC curve (trapezoids): the chance a defaulter outranks a non-defaulter."""
    fpr, tpr, _ = roc_curve(y_true, scores)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def run_pipeline(df):
    """AUC of the bureau score overall and in each region."""
    by_region = {
        region: roc_auc(group["defaulted"], group["risk_score"])
        for region, group in df.groupby("region")
    }
    return {"auc": roc_auc(df["defaulted"], df["risk_score"]), "auc_by_region": by_region}
