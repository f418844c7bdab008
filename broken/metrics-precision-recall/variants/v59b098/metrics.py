"""Spam filter: flag emails whose spam score passes a threshold; report precision and recall."""

import numpy as np
import pandas as pd

FEATURES = ["n_links", "shouting_words", "has_unsubscribe", "known_sender"]
TARGET = "is_spam"


def make_emails(n_rows=300, seed=0):
    """Synthetic inbox: a few counts per email and whether it really was spam (about 30%)."""
    rng = np.random.default_rng(seed)
    is_spam = (rng.random(n_rows) < 0.3).astype(int)
    n_links = rng.poisson(1.0 + 3.0 * is_spam).astype(float)
    shouting = rng.poisson(0.5 + 2.0 * is_spam).astype(float)
    unsubscribe = (rng.random(n_rows) < 0.2 + 0.5 * is_spam).astype(float)
    known = (rng.random(n_rows) < 0.7 - 0.6 * is_spam).astype(float)
    return pd.DataFrame(
        {
            "n_links": n_links,
            "shouting_words": shouting,
            "has_unsubscribe": unsubscribe,
            "known_sender": known,
            TARGET: is_spam,
        }
    )


def spam_score(df):
    """A hand-tuned linear score: higher means more likely spam. Returns shape (n,)."""
    weights = np.array([0.6, 0.8, 1.0, -2.0])
    return df[FEATURES].to_numpy(dtype=float) * weights


def confusion_matrix(y_true, y_pred):
    """Counts of a binary classifier, laid out as [[tn, fp], [fn, tp]].

    Rows are the true class (0 = ham, 1 = spam), columns the predicted class.
    """
    y_true = np.asarray(y_true).astype(int)
    y_pred = np.asarray(y_pred).astype(int)
    cm = np.zeros((2, 2), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def precision_recall(y_true, y_pred):
    """(precision, recall) of the spam class; a ratio with nothing to count is 0.0.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) with values 0 (ham) or 1 (spam)
    """
    _tn, fp, fn, tp = confusion_matrix(y_true, y_pred).ravel()
    flagged = tp + fp
    actual_spam = tp + fn
    # A filter that flags nothing has no precision to measure: report 0.0, not 0 / 0.
    precision = tp / flagged if flagged > 0 else 0.0
    # An inbox without spam has no recall to measure: report 0.0, not 0 / 0.
    recall = tp / actual_spam if actual_spam > 0 else 0.0
    return float(precision), float(recall)


def run_pipeline(df, threshold=2.0):
    """Flag the emails scoring at least ``threshold``; report the filter's metrics."""
    y_true = df[TARGET].to_numpy(dtype=int)
    y_pred = (spam_score(df) >= threshold).astype(int)
    precision, recall = precision_recall(y_true, y_pred)
    return {
        "confusion_matrix": confusion_matrix(y_true, y_pred),
        "n_flagged": int(y_pred.sum()),
        "precision": precision,
        "recall": recall,
    }
