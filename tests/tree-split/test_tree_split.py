"""The loan-default tree must put every training row where its own thresholds say.

A fully grown tree fits separable training data exactly; every training row routed by the tree's
thresholds reaches the node that counted it during fit; the split of a hand-worked example is the
threshold with the lowest size-weighted Gini impurity; the tree does not depend on the order of
the rows. The rest pin down the parts the pipeline is built from.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
)

SEED = 0


@pytest.fixture(scope="module")
def tree(kata):
    return kata("tree")


@pytest.fixture(scope="module")
def loans(tree):
    """The bureau's applicants; whether they default is a rule of their features."""
    df = tree.make_loans(n_rows=240, seed=SEED)
    return df[tree.FEATURES].to_numpy(dtype=float), df[tree.TARGET].to_numpy(dtype=int)


def separable_rule(seed=1, n=120):
    """Normal features and a label that is a rule of them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = ((X[:, 0] > 0.3) ^ (X[:, 1] * X[:, 2] > 0.2)).astype(int)
    return X, y


def weighted_gini(y_left, y_right):
    """Size-weighted Gini impurity of a partition, written out by hand."""

    def g(labels):
        return (
            1.0 - sum(np.mean(labels == c) ** 2 for c in np.unique(labels)) if len(labels) else 0.0
        )

    n = len(y_left) + len(y_right)
    return (len(y_left) * g(y_left) + len(y_right) * g(y_right)) / n


def nodes(root):
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if node.left is not None:
            stack += [node.left, node.right]


def test_gini_of_hand_worked_counts(tree):
    got = [float(tree.gini(c)) for c in ([5, 0], [2, 2], [1, 1, 2])]
    assert_close(got, [0.0, 0.5, 0.625], "gini([5, 0]), gini([2, 2]), gini([1, 1, 2])")


def test_hand_worked_split_minimises_weighted_impurity(tree):
    # Sorted labels 0 0 0 0 0 1 0 1: weighted impurity is lowest (1/6) cutting after the 5th
    # row; the unweighted sum of child impurities would instead cut off the last row alone.
    X = np.arange(1.0, 9.0)[:, None]
    y = np.array([0, 0, 0, 0, 0, 1, 0, 1])
    feature, threshold = tree.best_split(X, y)[:2]
    left = X[:, feature] <= threshold
    assert list(left) == [True] * 5 + [False] * 3, (
        f"best_split on x = 1..8 with labels {y.tolist()} put rows {(np.flatnonzero(left) + 1).tolist()} "
        f"left (weighted Gini {weighted_gini(y[left], y[~left]):.3f}); cutting after row 5 gives "
        "1/6, the lowest: the chosen split does not minimise the size-weighted impurity"
    )


def test_second_hand_worked_split_is_the_best_threshold(tree):
    # Values 1 2 2 2 3 4 with labels 0 0 1 1 1 1: of the thresholds x <= 1, 2 and 3,
    # x <= 1 has the lowest weighted Gini (0.267); x <= 2 gives 0.333 and x <= 3 gives 0.5.
    X = np.array([[1.0], [2.0], [2.0], [2.0], [3.0], [4.0]])
    y = np.array([0, 0, 1, 1, 1, 1])
    feature, threshold = tree.best_split(X, y)[:2]
    left = X[:, feature] <= threshold
    score = weighted_gini(y[left], y[~left])
    assert np.isclose(score, 4 / 15), (
        f"best_split chose threshold {threshold} on x = [1, 2, 2, 2, 3, 4], labels "
        f"[0, 0, 1, 1, 1, 1]; applying it gives weighted Gini {score:.3f}, while x <= 1 gives "
        "0.267"
    )


def test_fully_grown_tree_fits_a_separable_rule(tree):
    X, y = separable_rule()
    fitted = tree.DecisionTreeClassifier().fit(X, y)
    acc = tree.accuracy(y, fitted.predict(X))
    assert acc == 1.0, f"a fully grown tree scored {acc:.3f} on its own separable training data"


def test_fully_grown_tree_fits_the_training_applicants(tree, loans):
    X, y = loans
    fitted = tree.DecisionTreeClassifier().fit(X, y)
    acc = tree.accuracy(y, fitted.predict(X))
    assert acc == 1.0, (
        f"a fully grown tree scored {acc:.4f} on its own training applicants; their labels are "
        "a rule of the features (separable), so every leaf could be pure and accuracy 1"
    )


def test_every_training_row_reaches_the_node_that_counted_it(tree, loans):
    X, y = loans
    root = tree.DecisionTreeClassifier().fit(X, y).root_
    reached = {id(root): np.arange(len(y))}
    for node in nodes(root):
        rows = reached[id(node)]
        counted = np.bincount(y[rows], minlength=len(node.counts))
        if not np.array_equal(counted, node.counts):
            raise AssertionError(
                f"a node counted classes {np.asarray(node.counts).tolist()} during fit, but routing the training "
                f"rows by the thresholds (x[feature] <= threshold goes left) brings {counted.tolist()} "
                "there: some training rows sit on the wrong side of their node's threshold"
            )
        if node.left is not None:
            goes_left = X[rows, node.feature] <= node.threshold
            reached[id(node.left)], reached[id(node.right)] = rows[goes_left], rows[~goes_left]


def test_tree_does_not_depend_on_row_order(tree, loans):
    X, y = loans
    order = np.random.default_rng(3).permutation(len(y))
    probe = np.random.default_rng(4).integers(0, 16, size=(200, 4)) * [1, 1, 0.5, 0.07]
    first = tree.DecisionTreeClassifier(max_depth=4).fit(X, y).predict(probe)
    second = tree.DecisionTreeClassifier(max_depth=4).fit(X[order], y[order]).predict(probe)
    changed = int(np.sum(first != second))
    assert changed == 0, (
        f"the same applicants in a shuffled order grew a tree that predicts differently for "
        f"{changed} of 200 new applicants: the splits depend on the order of the rows"
    )


def test_max_depth_limits_the_tree(tree, loans):
    X, y = loans

    def depth(node):
        return 0 if node.left is None else 1 + max(depth(node.left), depth(node.right))

    for limit in (2, 3):
        got = depth(tree.DecisionTreeClassifier(max_depth=limit).fit(X, y).root_)
        assert got == limit, f"DecisionTreeClassifier(max_depth={limit}) grew a tree of depth {got}"


@pytest.mark.edge
def test_constant_features_give_class_frequencies(tree):
    X = np.full((6, 2), 3.0)
    y = np.array([0, 1, 1, 0, 1, 1])
    probs = tree.DecisionTreeClassifier().fit(X, y).predict_proba(X)
    assert_close(
        probs,
        np.tile([1 / 3, 2 / 3], (6, 1)),
        "predict_proba of a tree fitted on constant features",
        "identical applicants got different probabilities",
    )


@pytest.mark.edge
def test_single_row_gives_a_leaf(tree):
    fitted = tree.DecisionTreeClassifier().fit(np.array([[1.0, 2.0]]), np.array([1]))
    assert list(fitted.predict(np.array([[0.0, 0.0], [5.0, 5.0]]))) == [1, 1]


def test_held_out_accuracy_beats_the_majority_baseline(tree):
    df = tree.make_loans(n_rows=300, seed=SEED)
    result = tree.run_pipeline(df, max_depth=5)
    baseline = max(df[tree.TARGET].mean(), 1 - df[tree.TARGET].mean())
    assert result["test_accuracy"] > baseline + 0.1, (
        f"held-out accuracy {result['test_accuracy']:.3f} is within 0.1 of always predicting the "
        f"majority class ({baseline:.3f})"
    )


def test_split_is_seeded_shuffled_and_reproducible(tree):
    assert_seeded_split(lambda seed: tree.train_test_split(300, 0.25, seed), 300, 75)


def test_reported_accuracies_are_those_of_the_returned_tree(tree):
    df = tree.make_loans(n_rows=300, seed=SEED)
    result = assert_inputs_untouched(tree.run_pipeline, df, 0.25, 0, 2, what="run_pipeline(loans)")
    X = df[tree.FEATURES].to_numpy(dtype=float)
    y = df[tree.TARGET].to_numpy(dtype=int)
    train_idx, test_idx = tree.train_test_split(len(df), 0.25, SEED)
    probs = result["tree"].predict_proba(X)
    assert_close(probs.sum(axis=1), np.ones(len(X)), "the rows of predict_proba")
    labels = np.argmax(probs, axis=1)
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[train_idx], labels[train_idx]),
            "test_accuracy": accuracy(y[test_idx], labels[test_idx]),
        },
        "run_pipeline(loans, max_depth=2)",
    )


def test_tree_ignores_the_held_out_applicants(tree):
    df = tree.make_loans(n_rows=300, seed=SEED)
    _, test_idx = tree.train_test_split(len(df), 0.25, SEED)
    changed = df.copy()
    changed.loc[df.index[test_idx], tree.TARGET] = 1 - df[tree.TARGET].iloc[test_idx]
    X = df[tree.FEATURES].to_numpy(dtype=float)
    before = tree.run_pipeline(df)["tree"].predict_proba(X)
    after = tree.run_pipeline(changed)["tree"].predict_proba(X)
    assert_unchanged(
        before, after, "the fitted tree's probabilities",
        "the tree changed when only the held-out applicants' outcomes changed",
    )  # fmt: skip


def test_pipeline_seed_and_depth_are_honoured(tree):
    df = tree.make_loans(n_rows=300, seed=SEED)
    assert_reproducible(
        lambda seed: tree.run_pipeline(df, seed=seed, max_depth=2)["test_accuracy"],
        "test_accuracy", seeds=(0, 2),
    )  # fmt: skip
    stump = tree.run_pipeline(df, max_depth=1)["tree"].root_
    assert stump.left is not None and stump.left.left is None and stump.right.left is None, (
        "run_pipeline(loans, max_depth=1) did not grow a single split"
    )


def test_split_defaults_hold_out_a_quarter_with_seed_zero(tree):
    default = tree.train_test_split(300)
    explicit = tree.train_test_split(300, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(300) differs from train_test_split(300, 0.25, 0), its documented defaults"
    )


def test_a_pure_node_is_a_leaf(tree):
    X = np.arange(10.0).reshape(5, 2)
    fitted = tree.DecisionTreeClassifier().fit(X, np.array([1, 1, 1, 1, 1]))
    assert fitted.root_.left is None, "a tree of five defaulters split its root anyway"


def test_two_applicants_of_different_classes_are_split(tree):
    fitted = tree.DecisionTreeClassifier().fit(np.array([[1.0], [2.0]]), np.array([0, 1]))
    assert list(fitted.predict(np.array([[1.0], [2.0]]))) == [0, 1], (
        "a fully grown tree on two applicants with different outcomes predicts them wrong"
    )


def test_labels_given_as_floats_grow_the_same_tree(tree, loans):
    X, y = loans
    as_ints = tree.DecisionTreeClassifier(max_depth=3).fit(X, y).predict(X)
    as_floats = tree.DecisionTreeClassifier(max_depth=3).fit(X, y.astype(float)).predict(X)
    assert list(as_ints) == list(as_floats), "labels 0.0/1.0 grew another tree than labels 0/1"


def test_a_value_exactly_at_a_threshold_goes_left(tree, loans):
    X, y = loans
    root = tree.DecisionTreeClassifier(max_depth=1).fit(X, y).root_
    fitted = tree.DecisionTreeClassifier(max_depth=1).fit(X, y)
    probe = X[:1].copy()
    probe[0, root.feature] = root.threshold
    left = root.left.counts / np.sum(root.left.counts)
    assert_close(
        fitted.predict_proba(probe)[0], left,
        f"predict_proba of an applicant whose feature {root.feature} equals the threshold",
        "rows with x[feature] <= threshold go left", rtol=1e-12,
    )  # fmt: skip


def test_three_classes_and_a_depth_limit(tree):
    X = np.arange(12.0)[:, None]
    y = np.repeat([0, 1, 2], 4)
    full = tree.DecisionTreeClassifier().fit(X, y)
    assert list(full.predict(X)) == y.tolist(), f"three classes in blocks: {full.predict(X)}"
    stump = tree.DecisionTreeClassifier(max_depth=1).fit(X, y)
    probs = stump.predict_proba(X)
    assert probs.shape == (12, 3), f"predict_proba of 3 classes has shape {probs.shape}"
    assert len({tuple(row) for row in probs.round(6)}) == 2, (
        f"a tree of depth 1 gives {len({tuple(row) for row in probs.round(6)})} different rows"
    )
