"""Gym churn: hold out the newest members, impute, standardise and encode the rest, fit a
logistic regression and report held-out metrics."""

import members
import numpy as np

NUMERIC = ["visits_per_month", "months_member", "monthly_fee"]
CATEGORICAL = "plan"
TARGET = members.TARGET
EPS = 1e-12


def newest_split(frame, n_test=100):
    """Row positions (train_idx, test_idx), each sorted: the ``n_test`` members who joined last
    are held out. Ties on the join date go by member id, so the row order does not matter."""
    order = np.lexsort((frame["member_id"].to_numpy(), frame["join_date"].to_numpy()))
    return np.sort(order[: len(order) - n_test]), np.sort(order[len(order) - n_test :])


class Preprocessor:
    """Median imputation and standardisation of NUMERIC, one-hot encoding of the plan."""

    def fit(self, frame):
        self.medians_ = frame[NUMERIC].median()
        self.plans_ = sorted(frame[CATEGORICAL].unique())
        numeric = frame[NUMERIC].fillna(self.medians_).to_numpy(dtype=float)
        self.mean_ = numeric.mean(axis=0)
        scale = numeric.std(axis=0)
        # A column that does not vary carries no information: keep it at 0 instead of 0 / 0.
        self.scale_ = np.where(scale > 0, scale, 1.0)
        return self

    def transform(self, frame):
        """Features of ``frame``: ndarray of shape (n, len(NUMERIC) + number of plans)."""
        numeric = frame[NUMERIC].fillna(self.medians_).to_numpy(dtype=float)
        scaled = (numeric - self.mean_) / self.scale_
        plans = frame[CATEGORICAL].to_numpy()[:, None] == np.array(self.plans_)[None, :]  # (n, k)
        return np.hstack([scaled, plans.astype(float)])


def sigmoid(z):
    # 1 / (1 + e^-z) = exp(-log(1 + e^-z)); logaddexp never forms e^-z itself, so never overflows.
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))


def log_loss(y, probs):
    """Mean cross-entropy of 0/1 labels ``y`` (n,) and predicted probabilities ``probs`` (n,)."""
    # A probability of exactly 0 or 1 would give log(0); keep it a hair inside (0, 1).
    probs = np.clip(probs, EPS, 1.0 - EPS)
    return float(-np.mean(y * np.log(probs) + (1.0 - y) * np.log1p(-probs)))


def fit_logistic_regression(X, y, lr=0.5, epochs=300):
    """Batch gradient descent from zero. X: (n, d), y: (n,) of 0/1. Returns w (d,), b and the
    training loss before each step."""
    n, d = X.shape
    w, b, history = np.zeros(d), 0.0, []
    for _ in range(epochs):
        probs = sigmoid(X @ w + b)  # (n,)
        history.append(log_loss(y, probs))
        error = probs - y
        w = w - lr * (X.T @ error) / n
        b = b - lr * error.mean()
    return w, b, history


def accuracy(y_true, y_pred):
    return float(np.mean(y_true == y_pred))


def recall(y_true, y_pred):
    """Share of actual leavers (y_true == 1) predicted to leave; 0 when nobody left."""
    caught = np.sum((y_true == 1) & (y_pred == 1))
    missed = np.sum((y_true == 1) & (y_pred == 0))
    return float(caught / (caught + missed)) if caught + missed else 0.0


def run_pipeline(source, n_test=100):
    """Load and clean the export (a path or an open file), hold out the newest members, fit on
    the others, report."""
    frame = members.add_features(members.clean(members.load_export(source)))
    train_idx, test_idx = newest_split(frame, n_test)
    train, test = frame.iloc[train_idx], frame.iloc[test_idx]

    prep = Preprocessor().fit(train)
    X_train, X_test = prep.transform(train), prep.transform(test)
    y_train = train[TARGET].to_numpy(dtype=float)
    y_test = test[TARGET].to_numpy(dtype=float)
    w, b, history = fit_logistic_regression(X_train, y_train)

    test_probs = sigmoid(X_test @ w + b)
    leaving = (test_probs >= 0.5).astype(float)
    return {
        "members": len(frame),
        "preprocessor": prep,
        "weights": w,
        "bias": b,
        "loss_history": history,
        "test_ids": test["member_id"].to_numpy(),
        "test_probabilities": test_probs,
        "test_accuracy": accuracy(y_test, leaving),
        "test_recall": recall(y_test, leaving),
        "test_log_loss": log_loss(y_test, test_probs),
    }
