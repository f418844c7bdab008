"""Support-ticket router: route tickets by keyword counts; report macro and micro F1."""

import numpy as np
import pandas as pd

CLASSES = ["billing", "technical", "account", "legal"]
FEATURES = ["invoice_words", "error_words", "password_words", "lawyer_words"]
TARGET = "queue"


def make_tickets(n_rows=400, seed=0):
    """Synthetic tickets: keyword counts and the queue each ticket belongs to (imbalanced)."""
    rng = np.random.default_rng(seed)
    queue = rng.choice(len(CLASSES), size=n_rows, p=[0.55, 0.28, 0.13, 0.04])
    rates = np.full((n_rows, len(FEATURES)), 0.6)  # background keyword rate
    rates[np.arange(n_rows), queue] += 1.2  # a ticket's own queue's keywords show up more
    counts = rng.poisson(rates).astype(float)
    df = pd.DataFrame(counts, columns=FEATURES)
    df[TARGET] = queue
    return df


def route(df):
    """The queue with the most keyword hits; ties go to the first (and most common) queue."""
    return np.argmax(df[FEATURES].to_numpy(dtype=float), axis=1)


def class_counts(y_true, y_pred, n_classes):
    """True positives, false positives and false negatives of each class."""
    true_1hot = np.eye(n_classes, dtype=bool)[np.asarray(y_true)]  # (n, k)
    pred_1hot = np.eye(n_classes, dtype=bool)[np.asarray(y_pred)]  # (n, k)
    tp = (true_1hot & pred_1hot).sum(axis=0)
    fp = (~true_1hot & pred_1hot).sum(axis=0)
    fn = (true_1hot & ~pred_1hot).sum(axis=0)
    return tp, fp, fn


def f1_from_counts(tp, fp, fn):
    """F1 = 2 tp / (2 tp + fp + fn), elementwise; 0.0 where there is nothing to count."""
    tp, fp, fn = (np.asarray(c, dtype=float) for c in (tp, fp, fn))
    denominator = 2 * tp + fp + fn
    # A class absent from both labels and predictions has no F1 to measure: 0.0, not 0 / 0.
    return np.divide(2 * tp, denominator, out=np.zeros_like(denominator), where=denominator > 0)


def f1_score(y_true, y_pred, n_classes, average="macro"):
    """F1 of a single-label multiclass classifier.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) with integer labels in [0, n_classes)
    average : {"macro", "micro"}
        "macro": the unweighted mean of the k per-class F1 scores (every queue counts equally).
        "micro": F1 of the counts pooled over all classes (every ticket counts equally).
    """
    tp, fp, fn = class_counts(y_true, y_pred, n_classes)
    if average == "macro":
        return float(np.mean(f1_from_counts(tp, fp, fn)))
    if average == "micro":
        return float(f1_from_counts(tp.sum(), fp.sum(), fn.sum()))
    raise ValueError(f"average must be 'macro' or 'micro', got {average!r}")


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def run_pipeline(df):
    """Route every ticket and report how well the router does."""
    y_true = df[TARGET].to_numpy(dtype=int)
    y_pred = route(df)
    k = len(CLASSES)
    return {
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": f1_score(y_true, y_pred, k, average="macro"),
        "micro_f1": f1_score(y_true, y_pred, k, average="macro"),
    }
