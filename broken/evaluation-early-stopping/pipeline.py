"""Battery ageing: a one-hidden-layer network trained by gradient descent with early stopping."""

import numpy as np
import pandas as pd

FEATURES = [
    "voltage_sag",
    "temp_rise",
    "cycles",
    "internal_res",
    "charge_rate",
    "rest_voltage",
    "depth_of_discharge",
    "ambient_temp",
]
TARGET = "capacity_fade"


def make_batteries(n_rows=160, seed=0):
    """Standardised cell measurements and the capacity fade after the next 100 cycles."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, len(FEATURES)))
    fade = np.tanh(X[:, 0] + 0.5 * X[:, 2]) + 0.5 * X[:, 3] * X[:, 1] - 0.3 * X[:, 4]
    df = pd.DataFrame(X, columns=FEATURES)
    df[TARGET] = fade + rng.normal(0.0, 0.5, n_rows)
    return df


def three_way_split(n_rows, val_size=0.25, test_size=0.25, seed=0):
    """Shuffled row positions: (train_idx, val_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test, n_val = round(n_rows * test_size), round(n_rows * val_size)
    return order[n_test + n_val :], order[n_test : n_test + n_val], order[:n_test]


def init_params(n_features, hidden=16, seed=0):
    """Seeded weights with standard deviation 1 / sqrt(fan-in); biases start at zero."""
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, 1.0 / np.sqrt(n_features), size=(n_features, hidden)),
        "b1": np.zeros(hidden),
        "W2": rng.normal(0.0, 1.0 / np.sqrt(hidden), size=hidden),
        "b2": 0.0,
    }


def forward(params, X):
    """Predictions of shape (n,) for X of shape (n, d)."""
    H = np.tanh(X @ params["W1"] + params["b1"])  # (n, hidden)
    return H @ params["W2"] + params["b2"]


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))


def mse_gradients(params, X, y):
    """Gradients of the mean squared error with respect to every parameter (same keys)."""
    H = np.tanh(X @ params["W1"] + params["b1"])  # (n, hidden)
    d_pred = 2.0 * (H @ params["W2"] + params["b2"] - y) / len(y)  # (n,)
    d_hidden = np.outer(d_pred, params["W2"]) * (1.0 - H**2)  # (n, hidden)
    return {
        "W1": X.T @ d_hidden,
        "b1": d_hidden.sum(axis=0),
        "W2": H.T @ d_pred,
        "b2": float(d_pred.sum()),
    }


def train_mlp(X, y, eval_sets, epochs=300, lr=0.1, hidden=16, seed=0):
    """Full-batch gradient descent on the MSE of (X, y), with early stopping.

    Parameters
    ----------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    eval_sets : list of (X_eval, y_eval)
        The MSE on each is recorded after every epoch. As in xgboost, the *last* pair is the
        one monitored: the parameters returned are those of the (first) epoch with its lowest
        MSE.

    Returns
    -------
    params : dict, history : ndarray of shape (epochs, len(eval_sets)), best_epoch : int
    """
    params = init_params(X.shape[1], hidden, seed)
    history = np.empty((epochs, len(eval_sets)))
    best, best_epoch = dict(params), -1
    for epoch in range(epochs):
        grads = mse_gradients(params, X, y)
        params = {name: params[name] - lr * grads[name] for name in params}
        history[epoch] = [mse(y_e, forward(params, X_e)) for X_e, y_e in eval_sets]
        if best_epoch < 0 or history[epoch, -1] < history[best_epoch, -1]:
            best, best_epoch = dict(params), epoch
    return best, history, best_epoch


def run_pipeline(df, seed=0, epochs=300):
    """Split three ways, train with early stopping, report the held-out MSE."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, val_idx, test_idx = three_way_split(len(df), seed=seed)

    eval_sets = [
        (X[train_idx], y[train_idx]),
        (X[val_idx], y[val_idx]),
        (X[test_idx], y[test_idx]),
    ]
    params, history, best_epoch = train_mlp(
        X[train_idx], y[train_idx], eval_sets, epochs, seed=seed
    )
    return {
        "params": params,
        "history": history,
        "best_epoch": best_epoch,
        "val_mse": mse(y[val_idx], forward(params, X[val_idx])),
        "test_mse": mse(y[test_idx], forward(params, X[test_idx])),
    }
