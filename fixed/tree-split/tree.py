"""Loan defaults: a CART decision tree grown with Gini impurity, scored on held-out applicants."""

import numpy as np
import pandas as pd

FEATURES = ["credit_cards", "years_employed", "late_payments", "debt_ratio"]
TARGET = "defaulted"


def make_loans(n_rows=300, seed=0):
    """Synthetic applicants as in the bureau's export; whether they default is a fixed rule of
    their features."""
    rng = np.random.default_rng(seed)
    cards = rng.integers(0, 7, n_rows)
    years = rng.integers(0, 16, n_rows)
    late = rng.poisson(1.0, n_rows)
    debt = rng.uniform(0.0, 1.0, n_rows).round(2)
    defaulted = (late >= 3) | ((debt > 0.6) & (years < 4)) | ((cards >= 5) & (debt > 0.4))
    return pd.DataFrame(
        {
            "credit_cards": cards,
            "years_employed": years,
            "late_payments": late,
            "debt_ratio": debt,
            TARGET: defaulted.astype(int),
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def gini(counts):
    """Gini impurity of class counts: counts (..., k) -> impurity (...)."""
    counts = np.asarray(counts, dtype=float)
    probs = counts / counts.sum(axis=-1, keepdims=True)
    return 1.0 - (probs**2).sum(axis=-1)


def best_split(X, y):
    """The split with the lowest size-weighted Gini impurity of its two children.

    X : ndarray of shape (n, d); y : ndarray of shape (n,) of class ids 0..k-1.
    Returns (feature, threshold, left_rows), left_rows being the positions in X of the left
    child's rows, or None when no split lowers the impurity.
    """
    n, d = X.shape
    onehot = np.eye(y.max() + 1)[y]  # (n, k)
    best_score, best = gini(onehot.sum(axis=0)), None
    n_left = np.arange(1, n)[:, None]  # (n-1, 1): rows left of each cut
    for feature in range(d):
        order = np.argsort(X[:, feature], kind="stable")
        x_sorted = X[order, feature]
        left = np.cumsum(onehot[order], axis=0)[:-1]  # (n-1, k) class counts left of each cut
        right = onehot.sum(axis=0) - left
        score = (n_left[:, 0] * gini(left) + (n - n_left[:, 0]) * gini(right)) / n
        # A threshold cannot fall between two equal values: such a cut is not a split.
        score[x_sorted[1:] == x_sorted[:-1]] = np.inf
        cut = int(np.argmin(score))
        if score[cut] < best_score - 1e-12:
            threshold = (x_sorted[cut] + x_sorted[cut + 1]) / 2
            best_score, best = score[cut], (feature, threshold, order[: cut + 1])
    return best


class Node:
    """A tree node: class counts of the training rows that reached it; a split unless a leaf."""

    def __init__(self, counts, feature=None, threshold=None, left=None, right=None):
        self.counts = counts
        self.feature = feature
        self.threshold = threshold
        self.left = left
        self.right = right


class DecisionTreeClassifier:
    """CART with Gini impurity; rows with x[feature] <= threshold go to the left child."""

    def __init__(self, max_depth=None):
        self.max_depth = max_depth

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=int)
        self.n_classes_ = int(y.max()) + 1
        self.root_ = self._grow(X, y, depth=0)
        return self

    def _grow(self, X, y, depth):
        node = Node(np.bincount(y, minlength=self.n_classes_))
        if len(y) < 2 or (self.max_depth is not None and depth >= self.max_depth):
            return node
        split = best_split(X, y)
        if split is None:
            return node
        node.feature, node.threshold, left_rows = split
        goes_left = np.zeros(len(y), dtype=bool)
        goes_left[left_rows] = True
        node.left = self._grow(X[goes_left], y[goes_left], depth + 1)
        node.right = self._grow(X[~goes_left], y[~goes_left], depth + 1)
        return node

    def _leaf(self, x):
        node = self.root_
        while node.left is not None:
            node = node.left if x[node.feature] <= node.threshold else node.right
        return node

    def predict_proba(self, X):
        """Class frequencies of each row's leaf: (n, k)."""
        X = np.asarray(X, dtype=float)
        counts = np.array([self._leaf(x).counts for x in X], dtype=float).reshape(len(X), -1)
        return counts / counts.sum(axis=1, keepdims=True)

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def run_pipeline(df, test_size=0.25, seed=0, max_depth=None):
    """Split the applicants, grow a tree on the training rows and score it on both sets."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=int)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    tree = DecisionTreeClassifier(max_depth=max_depth).fit(X[train_idx], y[train_idx])
    return {
        "tree": tree,
        "train_accuracy": accuracy(y[train_idx], tree.predict(X[train_idx])),
        "test_accuracy": accuracy(y[test_idx], tree.predict(X[test_idx])),
    }
