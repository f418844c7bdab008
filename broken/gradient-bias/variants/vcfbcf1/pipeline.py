"""Zone temperatures: a multi-output linear regression trained by gradient descent on the MSE."""

import numpy as np
import pandas as pd

FEATURES = ["outdoor_anomaly_k", "solar_w_m2", "occupancy", "heating_kw"]
ZONES = ["lobby_k", "office_k", "server_room_k"]


def make_building(n_rows=240, seed=0):
    """Hourly readings: four drivers and the temperature (kelvin) of three zones."""
    rng = np.random.default_rng(seed)
    drivers = pd.DataFrame(
        {
            "outdoor_anomaly_k": rng.normal(0.0, 4.0, n_rows),
            "solar_w_m2": rng.gamma(2.0, 120.0, n_rows),
            "occupancy": rng.poisson(30.0, n_rows).astype(float),
            "heating_kw": rng.uniform(0.0, 50.0, n_rows),
        }
    )
    effects = np.array(
        [[0.30, 0.10, 0.05], [0.004, 0.006, 0.001], [0.02, 0.05, 0.0], [0.08, 0.06, 0.01]]
    )
    base = np.array([286.0, 289.0, 275.0])
    temps = base + drivers.to_numpy() @ effects + rng.normal(0.0, 0.2, (n_rows, 3))
    return pd.concat([drivers, pd.DataFrame(temps, columns=ZONES)], axis=1)


def standardise(X_train, X_other):
    """Both arrays scaled with the training columns' mean and standard deviation."""
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0)
    return (X_train - mean) / scale, (X_other - mean) / scale


def mse_loss(X, Y, W, b):
    """Half the squared error per row, summed over outputs and averaged over rows.

    X : ndarray of shape (n, d); Y : ndarray of shape (n, k); W : (d, k); b : (k,).
    """
    residual = X @ W + b - Y  # (n, k)
    return float(0.5 * np.mean(np.sum(residual**2, axis=1)))


def gradients(X, Y, W, b):
    """Gradient of mse_loss at (W, b): (grad_W of shape (d, k), grad_b of shape (k,))."""
    n = X.shape[0]
    residual = X @ W + b - Y  # (n, k)
    grad_W = X.T @ residual / n  # (d, k)
    grad_b = residual.mean(axis=0)  # (k,)
    return grad_W, grad_b


def fit(X, Y, lr=0.3, epochs=200):
    """Batch gradient descent from zero: (W, b, loss_history of shape (epochs,))."""
    W = np.zeros((X.shape[1], Y.shape[1]))
    b = np.zeros(Y.shape[1])
    history = np.empty(epochs)
    for epoch in range(epochs):
        grad_W, grad_b = gradients(X, Y, W, b)
        W = W - lr * grad_W
        b = b - lr * grad_b
        history[epoch] = mse_loss(X, Y, W, b)
    return W, b, history


def rmse_per_output(Y_true, Y_pred):
    """Root mean squared error of each output column: (k,)."""
    return np.sqrt(np.mean((Y_true - Y_pred) ** 2, axis=0))


def run_pipeline(df, n_test=60, lr=0.3, epochs=200):
    """Hold out the last n_test hours, fit on the rest and score each zone on the held-out hours."""
    X = df[FEATURES].to_numpy(dtype=float)
    Y = df[ZONES].to_numpy(dtype=float)
    X_train, X_test = standardise(X[:-n_test], X[-n_test:])
    W, b, history = fit(X, Y[:-n_test], lr, epochs)
    return {
        "weights": W,
        "bias": b,
        "loss_history": history,
        "test_rmse": rmse_per_output(Y[-n_test:], X_test @ W + b),
    }
