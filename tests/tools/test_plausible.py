"""Which generated changes are handed to learners: real mistakes in their context, never nonsense."""

from __future__ import annotations

import pytest

from tools.mutation import operators, plausible


def one_line(before: str, after: str, function: str = "f") -> str:
    """The class mutmut's one-line change ``before`` -> ``after`` gets inside ``function``."""
    module = f"def {function.rsplit('.', 1)[-1]}(x):\n    {before}\n    return x\n"
    return plausible.classify("mutmut", "k", "", function, module, module.replace(before, after))


@pytest.mark.parametrize(
    ("before", "after", "function"),
    [
        ("members = X[labels == j]", "members = X[labels != j]", "KMeans.fit"),
        ('if average == "micro":', 'if average != "micro":', "f1_score"),
        ("penalty = alpha * np.eye(d)", "penalty = alpha / np.eye(d)", "fit_ridge"),
        ("pred = X_test @ w + b", "pred = X_test @ w - b", "run_pipeline"),
        ("spread = ((x - mean) ** 2).mean()", "spread = ((x + mean) ** 2).mean()", "variance"),
        ("err = np.abs(y_true - y_pred)", "err = np.abs(y_true + y_pred)", "mean_absolute_error"),
        ("grad = X.T @ error / n", "grad = X.T @ error * n", "gradient"),
        ("self.n_iter_ += 1", "self.n_iter_ -= 1", "KMeans.fit"),
        ("done = shift < tol and changed", "done = shift < tol or changed", "KMeans.fit"),
        ("z = 0.5 * x", "z = 1.5 * x", "sigmoid"),
        ("last = coef[-1]", "last = coef[-2]", "fit_linear"),
        ("col = X[:, 0]", "col = X[:, 1]", "summarise"),
        ('out = f(x, "mean")', 'out = f(x, "XXmeanXX")', "f"),
        ("out = f(x, seed)", "out = f(x, None)", "f"),
        ("if converged is True:", "if converged is False:", "fit"),
    ],
)
def test_nonsense_and_typo_like_changes_are_never_handed_out(before, after, function):
    assert one_line(before, after, function) == ""


@pytest.mark.parametrize(
    ("before", "after", "function", "expected"),
    [
        ("w = w - lr * grad_w", "w = w + lr * grad_w", "fit", "gradient-sign"),
        ("self.coef_ = self.coef_ - self.lr * g", "self.coef_ = self.coef_ + self.lr * g", "LogReg.fit", "gradient-sign"),
        ("params[name] -= self.lr * velocity", "params[name] += self.lr * velocity", "Momentum.step", "gradient-sign"),
        ("dlogits[rows, y] -= 1.0", "dlogits[rows, y] += 1.0", "loss_and_grads", "gradient-sign"),
        ("loss = -np.mean(y * np.log(p))", "loss = np.mean(y * np.log(p))", "log_loss", "sign"),
        ("scale = np.where(scale > 0, scale, 1.0)", "scale = np.where(scale >= 0, scale, 1.0)", "fit", "guard"),
        ("p = tp / n if n > 0 else 0.0", "p = tp / n if n >= 0 else 0.0", "precision", "guard"),
        ("left = X[:, f] <= t", "left = X[:, f] < t", "best_split", "comparison"),
        ("total = x.sum(axis=0)", "total = x.sum(axis=1)", "normalise", "shape"),
        ("n = X.shape[0]", "n = X.shape[1]", "fit", "shape"),
        ("neighbours = order[:, 1 : k + 1]", "neighbours = order[:, 2 : k + 1]", "knn", "off-by-one"),
        ("for i in range(1, n):", "for i in range(2, n):", "cumulative", "off-by-one"),
        ("while self.n_iter_ < self.max_iter:", "while self.n_iter_ <= self.max_iter:", "KMeans.fit", "off-by-one"),
        ("if wait >= patience:", "if wait > patience:", "train", "off-by-one"),
        ("p = e / e.sum(axis=1, keepdims=True)", "p = e / e.sum(axis=1, keepdims=False)", "softmax", "flag"),
    ],
)  # fmt: skip
def test_natural_slips_get_their_class(before, after, function, expected):
    assert one_line(before, after, function) == expected


def classify_ours(operator: str, source: str, function: str) -> list[str]:
    """The class each mutant of ``operator`` on ``source`` gets, in order."""
    found = []
    for m in operators.mutations(source, [operator]):
        found.append(plausible.classify("ml", operator, m.category, function, source, m.code))
    return found


def test_a_mean_turned_sum_counts_only_where_an_average_is_reported_or_differentiated():
    centroid = "def update(X, labels, j):\n    return X[labels == j].mean(axis=0)\n"
    loss = "def mse_loss(y, p):\n    return ((y - p) ** 2).mean()\n"
    gradient = "def fit_step(X, error, n):\n    return X.T @ error.mean()\n"
    assert classify_ours("mean-to-sum", centroid, "update") == [""]
    assert classify_ours("mean-to-sum", loss, "mse_loss") == ["scale"], "a loss, not a gradient"
    assert classify_ours("mean-to-sum", gradient, "fit_step") == ["gradient-scale"]
    metric = "def accuracy(y, p):\n    return (y == p).mean()\n"
    assert classify_ours("mean-to-sum", metric, "accuracy") == ["scale"]


def test_a_residual_is_reversed_only_where_it_is_a_residual_and_never_in_an_update():
    residual = "def fit(X, y, w, lr):\n    error = X @ w - y\n    return w - lr * X.T @ error\n"
    update = "def fit(w, lr, g):\n    w = w - lr * g\n    return w\n"
    spread = "def e_step(a, b):\n    return a - b\n"
    assert [
        m.code.splitlines()[1].strip() for m in operators.mutations(residual, ["swap-difference"])
    ] == ["error = y - X @ w"]
    assert operators.mutations(update, ["swap-difference"]) == []
    assert operators.mutations(spread, ["swap-difference"]) == []
    assert classify_ours("swap-difference", residual, "fit") == ["gradient-sign"]
    metric = "def bias(y_true, y_pred):\n    return (y_pred - y_true).mean()\n"
    assert classify_ours("swap-difference", metric, "bias") == ["sign"]


def test_a_constant_dropped_outside_a_derivative_is_noise():
    tanh = "import numpy as np\n\ndef sigmoid(z):\n    return 0.5 * (1.0 + np.tanh(0.5 * z))\n"
    grad = "def gradient(X, r):\n    return 2 * X.T @ r\n"
    assert set(classify_ours("drop-factor", tanh, "sigmoid")) == {""}
    assert classify_ours("drop-factor", grad, "gradient") == ["gradient-scale"]
