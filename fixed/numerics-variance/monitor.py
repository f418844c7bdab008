"""Dam monitoring: learn each channel's normal range on a baseline period, flag what leaves it."""

import numpy as np
import pandas as pd


class RunningStats:
    """Mean and standard deviation of each column, learned one chunk of rows at a time."""

    def __init__(self):
        self.n_ = 0
        self.mean_ = 0.0
        self.m2_ = 0.0

    def partial_fit(self, X):
        """Update mean_ and scale_ (each of shape (d,)) with a chunk X of shape (m, d)."""
        if self.n_ == 0:
            self.mean_ = X.mean(axis=0)
        self.n_ += len(X)
        before = self.mean_
        self.mean_ = before + (X - before).sum(axis=0) / self.n_
        self.m2_ = self.m2_ + ((X - before) * (X - self.mean_)).sum(axis=0)
        self.scale_ = np.sqrt(np.maximum(self.m2_, 0.0) / self.n_)
        return self


def baseline_stats(readings, baseline_end):
    """RunningStats of the readings before ``baseline_end``, fed one calendar month at a time."""
    baseline = readings[readings.index < baseline_end]
    stats = RunningStats()
    for _, month in baseline.groupby(baseline.index.to_period("M")):
        stats.partial_fit(month.to_numpy(dtype=float))
    return stats


def zscores(readings, stats):
    """Each reading's distance from its channel's baseline mean, in baseline standard deviations.

    A channel that did not vary over the baseline is only centred.
    """
    scale = np.where(stats.scale_ > 0, stats.scale_, 1.0)
    return (readings - stats.mean_) / scale


def run_monitoring(readings, baseline_end="2024-10-01", threshold=4.0):
    """Flag the readings from ``baseline_end`` on that lie more than ``threshold`` baseline
    standard deviations from their channel's baseline mean.

    readings : DataFrame as load_site returns it. Returns a dict: ``stats`` (the RunningStats of
    the baseline), ``z`` and ``flags`` (frames like the monitored readings) and ``flag_counts``
    (channel -> number of flagged readings).
    """
    end = pd.Timestamp(baseline_end)
    stats = baseline_stats(readings, end)
    z = zscores(readings[readings.index >= end], stats)
    flags = z.abs() > threshold
    return {"stats": stats, "z": z, "flags": flags, "flag_counts": flags.sum().to_dict()}
