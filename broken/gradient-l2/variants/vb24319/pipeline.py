"""Wine quality: ridge regression (L2 on the weights, not the intercept) by gradient descent."""

import numpy as np
import pandas as pd

FEATURES = [
    "fixed_acidity",
    "volatile_acidity",
    "residual_sugar",
    "chlorides",
    "sulphates",
    "alcohol",
]
TARGET = "quality"


def make_wines(n_rows=400, seed=0):
    """Synthetic red wines whose tasting score (around 5.6) depends on their chemistry."""
    rng = np.random.default_rng(seed)
    alcohol = rng.normal(10.4, 1.0, n_rows)
    wines = pd.DataFrame(
        {
            "fixed_acidity": rng.normal(8.3, 1.7, n_rows),
            "volatile_acidity": rng.gamma(9.0, 0.06, n_rows),
            "residual_sugar": rng.gamma(3.0, 0.8, n_rows),
            "chlorides": rng.gamma(8.0, 0.011, n_rows),
            "sulphates": 0.5 + 0.03 * (alcohol - 10.4) + rng.gamma(6.0, 0.025, n_rows),
            "alcohol": alcohol,
        }
    )
    quality = (
        5.6
        + 0.35 * (alcohol - 10.4)
        - 1.2 * (wines["volatile_acidity"] - 0.54)
        + 1.5 * (wines["sulphates"] - 0.65)
        - 2.0 * (wines["chlorides"] - 0.088)
        + rng.normal(0.0, 0.4, n_rows)
    )
    return wines.assign(quality=quality)


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def standardise(X_train, X_test):
    """Both arrays scaled with the training columns' mean and standard deviation."""
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / scale, (X_test - mean) / scale


def add_intercept(X):
    """X with a leading column of ones: (n, d) -> (n, d + 1); theta[0] is then the intercept."""
    return np.column_stack([np.ones(len(X)), X])


def ridge_loss(X1, y, theta, lam):
    """Half the mean squared error plus lam / 2 * ||w||^2, where w = theta[1:] (not the intercept).

    X1 : ndarray of shape (n, d + 1), from add_intercept; y : (n,); theta : (d + 1,).
    """
    residual = X1 @ theta - y  # (n,)
    return float(0.5 * np.mean(residual**2) + 0.5 * lam * np.sum(theta[2:] ** 2))


def ridge_gradient(X1, y, theta, lam):
    """Gradient of ridge_loss with respect to theta: (d + 1,)."""
    residual = X1 @ theta - y  # (n,)
    penalty = lam * theta
    penalty[0] = 0.0  # the intercept carries no penalty in ridge_loss
    return X1.T @ residual / len(y) + penalty


def fit(X1, y, lam, lr=0.1, epochs=500):
    """Batch gradient descent from zero: (theta of shape (d + 1,), loss_history of shape (epochs,))."""
    theta = np.zeros(X1.shape[1])
    history = np.empty(epochs)
    for epoch in range(epochs):
        theta = theta - lr * ridge_gradient(X1, y, theta, lam)
        history[epoch] = ridge_loss(X1, y, theta, lam)
    return theta, history


def run_pipeline(df, lam=0.1, test_size=0.25, seed=0):
    """Split, standardise on the training wines, fit the ridge model, score the held-out wines."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    X_train, X_test = standardise(X[train_idx], X[test_idx])
    theta, history = fit(add_intercept(X_train), y[train_idx], lam)
    predictions = add_intercept(X_test) @ theta  # (n_test,)
    return {
        "intercept": float(theta[0]),
        "weights": theta[1:],
        "loss_history": history,
        "test_mean_prediction": float(predictions.mean()),
        "test_rmse": float(np.sqrt(np.mean((y[test_idx] - predictions) ** 2))),
    }
