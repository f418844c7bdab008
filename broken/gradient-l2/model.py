"""Wine quality: a ridge regression fitted by gradient descent, its penalty chosen by cross-validation."""

import cellar
import numpy as np

LAMS = (0.01, 0.1, 0.3, 1.0, 3.0)


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def k_folds(n_rows, k=5, seed=0):
    """k (train_idx, val_idx) pairs; the validation folds partition the rows."""
    folds = np.array_split(np.random.default_rng(seed).permutation(n_rows), k)
    return [(np.concatenate(folds[:i] + folds[i + 1 :]), folds[i]) for i in range(k)]


class Standardiser:
    """Centre and scale each column with the statistics of the rows it was fitted on."""

    def fit(self, X):
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        # A constant column (spread at rounding level) is only centred, never blown up.
        self.scale_ = np.where(scale > 1e-12 * np.abs(self.mean_), scale, 1.0)
        return self

    def transform(self, X):
        return (X - self.mean_) / self.scale_


def add_intercept(X):
    """X with a leading column of ones: (n, d) -> (n, d + 1); theta[0] is then the intercept."""
    return np.column_stack([np.ones(len(X)), X])


def ridge_loss(X1, y, theta, lam):
    """Half the mean squared error plus lam / 2 * ||w||^2, where w = theta[1:]."""
    residual = X1 @ theta - y  # (n,)
    return float(0.5 * np.mean(residual**2) + 0.5 * lam * np.sum(theta[1:] ** 2))


def ridge_gradient(X1, y, theta, lam):
    """Gradient of ridge_loss with respect to theta: (d + 1,)."""
    residual = X1 @ theta - y  # (n,)
    penalty = lam * theta
    return X1.T @ residual / len(y) + penalty


def fit_ridge(X1, y, lam, lr=0.1, epochs=1000):
    """Batch gradient descent from zero: (theta of shape (d + 1,), loss_history of shape (epochs,))."""
    theta = np.zeros(X1.shape[1])
    history = np.empty(epochs)
    for epoch in range(epochs):
        theta = theta - lr * ridge_gradient(X1, y, theta, lam)
        history[epoch] = ridge_loss(X1, y, theta, lam)
    return theta, history


def rmse(y_true, y_pred):
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def prepare(train, other):
    """Design matrices of two frames of wines, imputed and standardised with `train` alone."""
    medians = cellar.fit_imputer(train)
    scaler = Standardiser().fit(cellar.impute(train, medians))
    X_train = add_intercept(scaler.transform(cellar.impute(train, medians)))
    X_other = add_intercept(scaler.transform(cellar.impute(other, medians)))
    return X_train, X_other, medians, scaler


def cross_validate(wines, lams=LAMS, k=5, seed=0):
    """Mean validation RMSE of each penalty over k folds of `wines`: (len(lams),)."""
    y = wines[cellar.TARGET].to_numpy(dtype=float)
    scores = np.zeros(len(lams))
    for train_idx, val_idx in k_folds(len(wines), k, seed):
        X_train, X_val, _, _ = prepare(wines.iloc[train_idx], wines.iloc[val_idx])
        for i, lam in enumerate(lams):
            theta, _ = fit_ridge(X_train, y[train_idx], lam)
            scores[i] += rmse(y[val_idx], X_val @ theta) / k
    return scores


def run_pipeline(text, test_size=0.25, seed=0, lams=LAMS):
    """Clean the export, choose the penalty on the training wines, fit, score the held-out wines."""
    wines = cellar.add_features(cellar.clean(cellar.load_export(text)))
    y = wines[cellar.TARGET].to_numpy(dtype=float)
    train_idx, test_idx = train_test_split(len(wines), test_size, seed)
    cv_rmse = cross_validate(wines.iloc[train_idx], lams, seed=seed)
    lam = lams[int(np.argmin(cv_rmse))]
    X_train, X_test, medians, scaler = prepare(wines.iloc[train_idx], wines.iloc[test_idx])
    theta, history = fit_ridge(X_train, y[train_idx], lam)
    predictions = X_test @ theta  # (n_test,)
    return {
        "n_wines": len(wines),
        "lam": lam,
        "cv_rmse": cv_rmse,
        "medians": medians,
        "scaler": scaler,
        "intercept": float(theta[0]),
        "weights": theta[1:],
        "loss_history": history,
        "test_rmse": rmse(y[test_idx], predictions),
        "test_mean_error": float(np.mean(predictions - y[test_idx])),
    }
