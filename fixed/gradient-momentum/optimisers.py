"""Momentum and Adam optimisers, and the delivery-time regression they train."""

import numpy as np


class Optimiser:
    """Base class: updates a dict of parameter arrays in place from a dict of gradients."""

    def __init__(self, lr):
        self.lr = lr
        self.state = {}  # (buffer kind, parameter name) -> array shaped like the parameter

    def _buffer(self, kind, name, like):
        """The state array of this kind for parameter `name`, shaped like `like`."""
        return self.state.setdefault((kind, name), np.zeros_like(like, dtype=float))

    def step(self, params, grads):
        raise NotImplementedError


class Momentum(Optimiser):
    """Heavy-ball momentum: v <- momentum * v + g; p <- p - lr * v."""

    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__(lr)
        self.momentum = momentum

    def step(self, params, grads):
        for name, grad in grads.items():
            velocity = self._buffer("velocity", name, grad)
            velocity *= self.momentum
            velocity += grad
            params[name] -= self.lr * velocity


class Adam(Optimiser):
    """Adam (Kingma & Ba, 2015) with bias-corrected first and second moments."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.t = 0

    def step(self, params, grads):
        self.t += 1
        for name, grad in grads.items():
            m = self._buffer("m", name, grad)
            v = self._buffer("v", name, grad)
            m *= self.beta1
            m += (1.0 - self.beta1) * grad
            v *= self.beta2
            v += (1.0 - self.beta2) * grad**2
            m_hat = m / (1.0 - self.beta1**self.t)
            v_hat = v / (1.0 - self.beta2**self.t)
            params[name] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def make_deliveries(n_rows=200, seed=0):
    """Delivery times (minutes) from distance (km) and number of stops: X (n, 2), y (n,)."""
    rng = np.random.default_rng(seed)
    distance = rng.uniform(0.5, 12.0, n_rows)
    stops = rng.integers(0, 4, n_rows).astype(float)
    minutes = 8.0 + 3.2 * distance + 4.5 * stops + rng.normal(0.0, 2.0, n_rows)
    return np.column_stack([distance, stops]), minutes


def mse_gradients(params, X, y):
    """Half mean squared error of X @ w + b and its gradient: (loss, grads dict like params)."""
    residual = X @ params["w"] + params["b"] - y  # (n,)
    grads = {"w": X.T @ residual / len(y), "b": np.array([residual.mean()])}
    return float(0.5 * np.mean(residual**2)), grads


def fit_linear(X, y, optimiser, epochs=300):
    """Train w (d,) and b (1,) from zero with the given optimiser: (params, loss_history)."""
    params = {"w": np.zeros(X.shape[1]), "b": np.zeros(1)}
    history = np.empty(epochs)
    for epoch in range(epochs):
        history[epoch], grads = mse_gradients(params, X, y)
        optimiser.step(params, grads)
    return params, history
