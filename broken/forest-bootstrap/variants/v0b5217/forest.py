"""Online-shop returns: a random forest of shallow trees with bootstrap rows and feature bagging."""

import numpy as np
import pandas as pd

FEATURES = ["basket_value", "n_items", "days_since_last_order", "discount_pct"]
TARGET = "returned"


def make_orders(n_rows=300, seed=0):
    """Synthetic orders; the chance of a return rises with basket size and discount."""
    rng = np.random.default_rng(seed)
    value = rng.gamma(3.0, 30.0, n_rows)
    items = rng.integers(1, 9, n_rows).astype(float)
    days = rng.exponential(40.0, n_rows)
    discount = rng.uniform(0.0, 50.0, n_rows)
    logit = -3.0 + 0.012 * value + 0.3 * items - 0.01 * days + 0.05 * discount
    returned = rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {
            "basket_value": value,
            "n_items": items,
            "days_since_last_order": days,
            "discount_pct": discount,
            TARGET: returned.astype(int),
        }
    )


def train_test_split(n_rows, test_size=0.25, seed=0):
    """Shuffled row indices: (train_idx, test_idx)."""
    order = np.random.default_rng(seed).permutation(n_rows)
    n_test = round(n_rows * test_size)
    return order[n_test:], order[:n_test]


def bootstrap_indices(n_rows, rng):
    """A bootstrap sample: n_rows row indices drawn with replacement, shape (n_rows,)."""
    return rng.integers(0, n_rows, size=n_rows)


class Node:
    """A tree node: the positive rate of its training rows, and a split unless it is a leaf."""

    def __init__(self, value, feature=None, threshold=None, left=None, right=None):
        self.value = value
        self.feature = feature
        self.threshold = threshold
        self.left = left
        self.right = right


def grow_tree(X, y, max_depth, max_features, rng):
    """A binary classification tree; each split looks at max_features random features."""
    node = Node(float(y.mean()))
    if max_depth == 0 or y.min() == y.max():
        return node
    best_score = y.mean() * (1 - y.mean())  # half the Gini impurity of the node itself
    for feature in rng.choice(X.shape[1], size=max_features, replace=False):
        # 15 candidate thresholds at evenly spaced ranks keep the search short.
        x_sorted = np.sort(X[:, feature])
        thresholds = np.unique(x_sorted[(len(y) - 1) * np.arange(1, 16) // 16])
        left = X[:, feature][:, None] <= thresholds  # (n, t)
        n_left = left.sum(axis=0)
        n_right = len(y) - n_left
        pos_left = y @ left
        pos_right = y.sum() - pos_left
        with np.errstate(divide="ignore", invalid="ignore"):
            # An empty side has no impurity; its 0/0 rate is replaced below.
            score = pos_left * (1 + pos_left / n_left) + pos_right * (1 - pos_right / n_right)
        score = np.where((n_left > 0) & (n_right > 0), score / len(y), np.inf)
        best = int(np.argmin(score))
        if score[best] < best_score - 1e-12:
            best_score, node.feature, node.threshold = score[best], feature, thresholds[best]
    if node.feature is None:
        return node
    left = X[:, node.feature] <= node.threshold
    node.left = grow_tree(X[left], y[left], max_depth - 1, max_features, rng)
    node.right = grow_tree(X[~left], y[~left], max_depth - 1, max_features, rng)
    return node


def predict_tree(node, X):
    """The positive rate of each row's leaf: (n,)."""
    if node.left is None:
        return np.full(len(X), node.value)
    left = X[:, node.feature] <= node.threshold
    out = np.empty(len(X))
    out[left] = predict_tree(node.left, X[left])
    out[~left] = predict_tree(node.right, X[~left])
    return out


class RandomForestClassifier:
    """Bagged shallow trees; each tree sees a bootstrap sample and random features per split."""

    def __init__(self, n_trees=20, max_depth=3, max_features=2, seed=0):
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.max_features = max_features
        self.seed = seed

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        self.trees_, self.samples_ = [], []
        rng = np.random.default_rng(self.seed)
        for _ in range(self.n_trees):
            rows = bootstrap_indices(len(y), rng)
            tree = grow_tree(X[rows], y[rows], self.max_depth, self.max_features, rng)
            self.trees_.append(tree)
            self.samples_.append(rows)
        return self

    def predict_proba(self, X):
        """Mean positive rate over the trees: (n,)."""
        X = np.asarray(X, dtype=float)
        return np.mean([predict_tree(tree, X) for tree in self.trees_], axis=0)

    def predict(self, X):
        return (self.predict_proba(X) >= 0.5).astype(int)


def accuracy(y_true, y_pred):
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def run_pipeline(df, test_size=0.25, seed=0, n_trees=20):
    """Split the orders, fit the forest on the training rows and score it on both sets."""
    X = df[FEATURES].to_numpy(dtype=float)
    y = df[TARGET].to_numpy(dtype=int)
    train_idx, test_idx = train_test_split(len(df), test_size, seed)
    forest = RandomForestClassifier(n_trees=n_trees, seed=seed).fit(X[train_idx], y[train_idx])
    return {
        "forest": forest,
        "train_accuracy": accuracy(y[train_idx], forest.predict(X[train_idx])),
        "test_accuracy": accuracy(y[test_idx], forest.predict(X[test_idx])),
    }
