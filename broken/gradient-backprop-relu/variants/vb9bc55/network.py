"""Air-quality sensor calibration: a small ReLU network (Dense and ReLU layers) trained from scratch."""

import itertools

import numpy as np
import pandas as pd

FEATURES = ["no2_we_mv", "no2_ae_mv", "o3_we_mv", "temperature_c", "humidity_pct", "hour_of_day"]
TARGET = "no2_ppb"


def make_readings(n_rows=300, seed=0):
    """Low-cost sensor voltages and weather, with the reference NO2 concentration they measure."""
    rng = np.random.default_rng(seed)
    temperature = rng.normal(15.0, 7.0, n_rows)
    humidity = rng.uniform(30.0, 95.0, n_rows)
    no2 = rng.gamma(3.0, 8.0, n_rows)
    o3 = rng.gamma(4.0, 7.0, n_rows)
    drift = 0.04 * np.maximum(temperature - 20.0, 0.0) ** 2  # electrodes drift when warm
    readings = pd.DataFrame(
        {
            "no2_we_mv": 250.0 + 1.1 * no2 + 0.6 * o3 + drift + rng.normal(0, 2, n_rows),
            "no2_ae_mv": 240.0 + drift + rng.normal(0, 2, n_rows),
            "o3_we_mv": 300.0 + 0.9 * o3 + 0.3 * no2 + rng.normal(0, 2, n_rows),
            "temperature_c": temperature,
            "humidity_pct": humidity,
            "hour_of_day": rng.integers(0, 24, n_rows).astype(float),
        }
    )
    return readings.assign(no2_ppb=no2)


class Dense:
    """A fully connected layer: out = X @ W + b, with W of shape (n_in, n_out)."""

    def __init__(self, n_in, n_out, rng):
        self.W = rng.normal(0.0, np.sqrt(2.0 / n_in), (n_in, n_out))
        self.b = np.zeros(n_out)

    def forward(self, X):
        self.X = X  # (n, n_in), kept for backward
        return X @ self.W + self.b

    def backward(self, grad_out):
        """Store the parameter gradients and return the gradient with respect to the input."""
        self.grad_W = self.X.T @ grad_out  # (n_in, n_out)
        self.grad_b = grad_out.sum(axis=0)  # (n_out,)
        return grad_out @ self.W.T  # (n, n_in)


class ReLU:
    """max(z, 0), elementwise; backward lets the gradient through where z was positive."""

    def forward(self, z):
        self.active = z > 0
        return np.where(self.active, z, 0.0)

    def backward(self, grad_out):
        return grad_out * self.active


def build_network(n_inputs, hidden=(16, 16), seed=0):
    """Dense -> ReLU for each hidden width, then a Dense layer with one output."""
    rng = np.random.default_rng(seed)
    sizes = [n_inputs, *hidden]
    layers = []
    for n_in, n_out in itertools.pairwise(sizes):
        layers += [Dense(n_in, n_out, rng), ReLU()]
    layers.append(Dense(sizes[-1], 1, rng))
    return layers


def predict(layers, X):
    """Network output for each row: (n,)."""
    out = X
    for layer in layers:
        out = layer.forward(out)
    return out[:, 0]


def mse_loss(layers, X, y):
    """Half the mean squared error of the network's predictions."""
    return float(0.5 * np.mean((predict(layers, X) - y) ** 2))


def backward(layers, X, y):
    """Forward and backward pass: the loss, with every Dense layer's grad_W and grad_b set."""
    residual = y - predict(layers, X)  # (n,)
    grad = residual[:, None] / len(y)  # (n, 1): d loss / d output
    for layer in reversed(layers):
        grad = layer.backward(grad)
    return float(0.5 * np.mean(residual**2))


def fit(layers, X, y, lr=0.05, epochs=400):
    """Full-batch gradient descent on every Dense layer; returns the loss history (epochs,)."""
    history = np.empty(epochs)
    for epoch in range(epochs):
        history[epoch] = backward(layers, X, y)
        for layer in layers:
            if isinstance(layer, Dense):
                layer.W -= lr * layer.grad_W
                layer.b -= lr * layer.grad_b
    return history


def run_pipeline(df, n_test=75, hidden=(16, 16), seed=0, epochs=400):
    """Standardise on the training rows, fit the network, report held-out RMSE and R^2."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    mean, scale = X[:-n_test].mean(axis=0), X[:-n_test].std(axis=0)
    X = (X - mean) / scale
    y_mean, y_scale = y[:-n_test].mean(), y[:-n_test].std()
    layers = build_network(X.shape[1], hidden, seed)
    history = fit(layers, X[:-n_test], (y[:-n_test] - y_mean) / y_scale, epochs=epochs)
    predictions = y_mean + y_scale * predict(layers, X[-n_test:])
    residual = y[-n_test:] - predictions
    return {
        "layers": layers,
        "loss_history": history,
        "test_rmse": float(np.sqrt(np.mean(residual**2))),
        "test_r2": float(
            1.0 - np.sum(residual**2) / np.sum((y[-n_test:] - y[-n_test:].mean()) ** 2)
        ),
    }
