"""E-commerce prices: a linear regression trained by mini-batch stochastic gradient descent."""

import numpy as np

FEATURES = ["weight_kg", "rating", "log_reviews", "shipping_days"]
PRICE_PER_UNIT = [12.0, 8.0, 5.0, -3.0]


def make_products(n_rows=300, seed=0, noise=4.0):
    """Synthetic catalogue: (X of shape (n, 4), price of shape (n,)), linear plus noise."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [
            rng.gamma(2.0, 1.0, n_rows),
            rng.uniform(1.0, 5.0, n_rows),
            rng.normal(4.0, 1.5, n_rows),
            rng.integers(1, 10, n_rows).astype(float),
        ]
    )
    price = 20.0 + X @ PRICE_PER_UNIT + rng.normal(0.0, noise, n_rows)
    return X, price


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def mse(X, y, w, b):
    """Mean squared error of the model X @ w + b on (X (n, d), y (n,))."""
    return float(np.mean((X @ w + b - y) ** 2))


def fit_sgd(X, y, lr=0.02, epochs=60, batch_size=16, seed=0):
    """Mini-batch SGD on the mean squared error, reshuffling the rows every epoch.

    X : ndarray of shape (n, d), y : ndarray of shape (n,)
    Returns (w of shape (d,), b, history of shape (epochs,)): history[e] is the training MSE
    after epoch e.
    """
    rng = np.random.default_rng(seed)
    n, d = X.shape
    w, b = np.zeros(d), 0.0
    history = np.empty(epochs)
    for epoch in range(epochs):
        order = rng.permutation(n)
        X_epoch, y_epoch = X[order], y[order]
        for start in range(0, n, batch_size):
            X_batch = X_epoch[start : start + batch_size]  # (b, d)
            y_batch = y_epoch[start : start + batch_size]  # (b,)
            residual = X_batch @ w + b - y_batch  # (b,)
            w = lr * 2.0 * X_batch.T @ residual / len(X_batch) - w
            b = b - lr * 2.0 * residual.mean()
        history[epoch] = mse(X, y, w, b)
    return w, b, history


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def run_pipeline(X, y, test_size=0.25, seed=0):
    """Split, standardise on the training rows, fit by SGD and score the held-out products."""
    train_idx, test_idx = train_test_split(len(X), test_size, seed)
    mean, scale = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    X_train, X_test = (X[train_idx] - mean) / scale, (X[test_idx] - mean) / scale
    w, b, history = fit_sgd(X_train, y[train_idx], seed=seed)
    return {
        "price_per_unit": w / scale,
        "weights": w,
        "bias": b,
        "loss_history": history,
        "train_rmse": rmse(y[train_idx], X_train @ w + b),
        "test_rmse": rmse(y[test_idx], X_test @ w + b),
    }
