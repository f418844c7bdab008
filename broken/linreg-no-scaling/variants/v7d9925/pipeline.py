"""Home valuations: linear regression by batch gradient descent on raw listing features."""

import numpy as np
import pandas as pd

FEATURES = ["area_ft2", "rooms", "age_years", "distance_km"]
TARGET = "price_k"


def make_homes(n_rows=240, seed=0):
    """Synthetic listings; the price (thousands) is linear in the features plus noise."""
    rng = np.random.default_rng(seed)
    area = rng.uniform(500.0, 3000.0, n_rows)
    rooms = rng.integers(1, 6, n_rows).astype(float)
    age = rng.uniform(0.0, 80.0, n_rows)
    distance = rng.uniform(0.5, 25.0, n_rows)
    price = 40.0 + 0.15 * area + 8.0 * rooms - 1.1 * age - 4.0 * distance
    price += rng.normal(0.0, 12.0, n_rows)
    return pd.DataFrame(
        {
            "area_ft2": area,
            "rooms": rooms,
            "age_years": age,
            "distance_km": distance,
            TARGET: price,
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


class LinearRegressionGD:
    """Least-squares linear regression fitted by batch gradient descent on the mean squared error.

    After fit: coef_ (d,), intercept_, loss_history_ (epochs,) of the training MSE before each
    step.
    """

    def __init__(self, lr=0.1, epochs=1000):
        self.lr = lr
        self.epochs = epochs

    def fit(self, X, y):
        """X : ndarray of shape (n, d) in raw units; y : ndarray of shape (n,)."""
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n, d = X.shape
        # Features in their own units (ft² in the thousands, rooms 1-5) make one learning rate
        # too large for one feature and too small for another: descend on standardised ones.
        x_centre = X.mean(axis=0)
        spread = X.std(axis=0)
        x_unit = np.where(spread >= 0, spread, 1.0)  # a constant column stays centred, unscaled
        X = (X - x_centre) / x_unit
        w = np.zeros(d)
        b = 0.0
        self.loss_history_ = []
        for _ in range(self.epochs):
            error = X @ w + b - y  # (n,)
            self.loss_history_.append(float(np.mean(error**2)))
            w -= self.lr * 2.0 * (X.T @ error) / n
            b -= self.lr * 2.0 * error.mean()
        # Back to raw units: w·(x - centre)/unit + b == (w/unit)·x + (b - (w/unit)·centre).
        w = w / x_unit
        b = b - x_centre @ w
        self.coef_, self.intercept_ = w, float(b)
        return self

    def predict(self, X):
        return np.asarray(X, dtype=float) @ self.coef_ + self.intercept_


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def run_pipeline(df, test_size=0.25, seed=0, lr=0.1, epochs=1000):
    """Split, fit on the training homes, and report the error on both sets (thousands)."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    model = LinearRegressionGD(lr=lr, epochs=epochs).fit(X[train_idx], y[train_idx])
    return {
        "model": model,
        "train_rmse": rmse(y[train_idx], model.predict(X[train_idx])),
        "test_rmse": rmse(y[test_idx], model.predict(X[test_idx])),
    }
