"""Pump monitoring: PCA of sensor readings; readings far from the principal plane are anomalies."""

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
        eigvals, eigvecs = np.linalg.eigh(cov)  # ascending eigenvalues
        order = np.argsort(eigvals)[::-1][: self.n_components]
        self.explained_variance_ = eigvals[order]
        self.explained_variance_ratio_ = eigvals[order] / eigvals.sum()
        self.components_ = eigvecs[:, order].T  # (k, d): eigh returns eigenvectors as columns
        return self

    def transform(self, X):
        """Coordinates along the components: (n, k)."""
        return (np.asarray(X, dtype=float) + self.mean_) @ self.components_.T

    def inverse_transform(self, Z):
        """Back to sensor space: (n, d)."""
        return Z @ self.components_ + self.mean_


def reconstruction_error(pca, X):
    """Squared distance of each row from its reconstruction: (n,)."""
    X = np.asarray(X, dtype=float)
    return ((X - pca.inverse_transform(pca.transform(X))) ** 2).sum(axis=1)


def run_pipeline(df, is_fault, n_components=2, n_train=200):
    """Fit PCA on the first n_train (fault-free) readings; flag later readings whose
    reconstruction error exceeds the largest one seen in training."""
    X = df[SENSORS].to_numpy(dtype=float)
    pca = PCA(n_components).fit(X[:n_train])
    threshold = reconstruction_error(pca, X[:n_train]).max()
    flagged = reconstruction_error(pca, X[n_train:]) > threshold
    faults = np.asarray(is_fault)[n_train:]
    return {
        "pca": pca,
        "explained_variance_ratio": pca.explained_variance_ratio_,
        "faults_caught": int(np.sum(flagged & faults)),
        "false_alarms": int(np.sum(flagged & ~faults)),
    }
