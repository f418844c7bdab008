"""Pump monitoring: PCA of sensor readings; a reading far from the principal plane is a fault."""

import numpy as np
import pandas as pd

SENSORS = ["temp_c", "pressure_hpa", "flow_lpm", "vibration_mms", "current_a"]
OFFSETS = np.array([60.0, 1013.0, 250.0, 4.0, 12.0])


def make_readings(n_rows=300, seed=0, n_faults=10):
    """Sensor readings driven by two hidden factors (load, wear) plus noise; the last n_faults
    rows are faults that break the usual relation between the sensors. Returns (frame, is_fault).
    """
    rng = np.random.default_rng(seed)
    factors = rng.normal(size=(n_rows, 2)) * [3.0, 1.5]  # (n, 2): load, wear
    loadings = np.array([[1.0, 2.0, 3.0, 0.2, 0.8], [0.5, -0.3, 0.4, 1.0, -0.6]])  # (2, 5)
    X = OFFSETS + factors @ loadings + rng.normal(0.0, 0.3, size=(n_rows, 5))
    is_fault = np.zeros(n_rows, dtype=bool)
    is_fault[n_rows - n_faults :] = True
    X[is_fault] += rng.choice([-1.0, 1.0], size=(n_faults, 5)) * 2.5
    return pd.DataFrame(X, columns=SENSORS), is_fault


class PCA:
    """Principal component analysis from the eigendecomposition of the covariance matrix.

    After fit: mean_ (d,), components_ (k, d) with one unit-length direction per row, ordered
    by variance, explained_variance_ (k,) and explained_variance_ratio_ (k,).
    """

    def __init__(self, n_components):
        self.n_components = n_components

    def fit(self, X):
        """X : ndarray of shape (n, d), n >= 2."""
        X = np.asarray(X, dtype=float)
        self.mean_ = X.mean(axis=0)
        centred = X - self.mean_
        cov = centred.T @ centred / (len(X) - 1)  # (d, d)
        eigvals, eigvecs = np.linalg.eigh(cov)  # ascending; eigenvector i is column i
        order = np.argsort(eigvals)[::-1][: self.n_components]
        self.explained_variance_ = eigvals[order]
        self.explained_variance_ratio_ = eigvals[order] / eigvals.sum()
        self.components_ = eigvecs[:, order].T  # (k, d)
        return self

    def transform(self, X):
        """Coordinates along the components: (n, k)."""
        centred = np.asarray(X, dtype=float) - self.mean_
        return centred @ self.components_.T

    def inverse_transform(self, Z):
        """Back to sensor space: (n, d)."""
        return np.asarray(Z, dtype=float) @ self.components_ + self.mean_


def reconstruction_error(pca, X):
    """Squared distance of each row from its reconstruction: (n,)."""
    X = np.asarray(X, dtype=float)
    return ((X - pca.inverse_transform(pca.transform(X))) ** 2).sum(axis=1)


def fit_monitor(X_train, n_components=2):
    """PCA of fault-free readings, and the alarm threshold: the largest training error."""
    pca = PCA(n_components).fit(X_train)
    return pca, float(reconstruction_error(pca, X_train).max())


def score_reading(pca, threshold, reading):
    """The live check of one new reading (d,): True raises an alarm."""
    error = reconstruction_error(pca, np.asarray(reading, dtype=float)[None, :])[0]
    return bool(error > threshold)


def run_pipeline(df, is_fault, n_components=2, n_train=200):
    """The evening report: fit on the first n_train (fault-free) readings and check the rest
    of the day's readings against the alarm threshold."""
    X = df[SENSORS].to_numpy(dtype=float)
    pca, threshold = fit_monitor(X[:n_train], n_components)
    flagged = reconstruction_error(pca, X[n_train:]) > threshold
    faults = np.asarray(is_fault)[n_train:]
    return {
        "pca": pca,
        "threshold": threshold,
        "explained_variance_ratio": pca.explained_variance_ratio_,
        "faults_caught": int(np.sum(flagged & faults)),
        "false_alarms": int(np.sum(flagged & ~faults)),
    }
