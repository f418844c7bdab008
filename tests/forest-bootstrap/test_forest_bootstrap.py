"""The returns forest must be an average of many different trees, reproducible from its seed.

Each tree is fitted on its own bootstrap sample (drawn with replacement: duplicates, about 63 %
unique rows), so trees differ, almost every row is out of bag for some tree, feature bagging
varies the splits, and the forest beats one tree on held-out orders. The rest pin down the
parts the pipeline is built from.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    perturb_rows,
)

SEED = 0


@pytest.fixture(scope="module")
def forest(kata):
    return kata("forest")


@pytest.fixture(scope="module")
def orders(forest):
    df = forest.make_orders(n_rows=300, seed=SEED)
    return df[forest.FEATURES].to_numpy(dtype=float), df[forest.TARGET].to_numpy(dtype=int)


@pytest.fixture(scope="module")
def fitted(forest, orders):
    X, y = orders
    return forest.RandomForestClassifier(n_trees=20, seed=SEED).fit(X, y)


def test_bootstrap_sample_has_duplicates_and_about_63_percent_unique_rows(forest):
    rows = np.asarray(forest.bootstrap_indices(2000, np.random.default_rng(1)))
    unique = len(np.unique(rows)) / 2000
    assert rows.shape == (2000,) and rows.min() >= 0 and rows.max() < 2000, (
        f"bootstrap_indices(2000, rng) returned shape {rows.shape}, values {rows.min()}..{rows.max()}"
    )
    assert 0.60 < unique < 0.665, (
        f"a bootstrap sample of 2000 rows holds {unique:.1%} distinct rows; drawing with "
        "replacement leaves about 1 - 1/e = 63.2 % distinct (the rest are duplicates)"
    )


def test_every_tree_sample_is_a_bootstrap_of_the_training_rows(fitted, orders):
    n = len(orders[1])
    fractions = [len(np.unique(rows)) / n for rows in fitted.samples_]
    assert len(fitted.samples_) == 20 and all(len(rows) == n for rows in fitted.samples_)
    assert all(0.5 < f < 0.75 for f in fractions), (
        f"the trees' samples hold {min(fractions):.1%}..{max(fractions):.1%} distinct rows of "
        f"{n}; a bootstrap sample holds about 63 %"
    )


def test_trees_are_fitted_on_different_samples(fitted):
    samples = [tuple(rows) for rows in fitted.samples_]
    distinct = len(set(samples))
    assert distinct == len(samples), (
        f"the 20 trees of the forest were fitted on only {distinct} different sample(s) of rows: "
        "trees that see the same rows are the same tree, and averaging them adds nothing"
    )


def test_almost_every_row_is_out_of_bag_for_some_tree(fitted, orders):
    n = len(orders[1])
    in_bag = np.zeros((len(fitted.samples_), n), dtype=bool)
    for t, rows in enumerate(fitted.samples_):
        in_bag[t, rows] = True
    covered = np.mean((~in_bag).any(axis=0))
    assert covered > 0.99, (
        f"only {covered:.1%} of the {n} training rows are left out of at least one of 20 trees, "
        "so most rows have no out-of-bag prediction at all"
    )


def test_feature_bagging_varies_the_first_split(forest, orders):
    X, y = orders
    model = forest.RandomForestClassifier(n_trees=20, max_features=1, seed=SEED).fit(X, y)
    roots = sorted({int(tree.feature) for tree in model.trees_ if tree.feature is not None})
    assert len(roots) >= 2, (
        f"with max_features=1 (one random feature per split), all 20 trees split first on "
        f"feature(s) {roots}"
    )


def test_forest_of_20_trees_is_not_one_tree(forest, orders, fitted):
    X, y = orders
    single = forest.RandomForestClassifier(n_trees=1, seed=SEED).fit(X, y)
    differ = np.mean(~np.isclose(fitted.predict_proba(X), single.predict_proba(X)))
    assert differ > 0.5, (
        f"a forest of 20 trees and a forest of 1 tree give the same probabilities for "
        f"{1 - differ:.1%} of the rows: the 20 trees behave as one"
    )


def test_forest_beats_its_own_trees_on_held_out_orders(forest):
    df = forest.make_orders(n_rows=400, seed=SEED)
    X = df[forest.FEATURES].to_numpy(dtype=float)
    y = df[forest.TARGET].to_numpy(dtype=float)
    model = forest.RandomForestClassifier(n_trees=20, seed=SEED).fit(X[:300], y[:300])
    forest_brier = np.mean((model.predict_proba(X[300:]) - y[300:]) ** 2)
    tree_brier = np.mean(
        [np.mean((forest.predict_tree(t, X[300:]) - y[300:]) ** 2) for t in model.trees_]
    )
    assert forest_brier < tree_brier - 0.005, (
        f"held-out Brier score: the forest {forest_brier:.4f}, its trees on average "
        f"{tree_brier:.4f}: the forest predicts no better than a typical one of its trees"
    )


def test_forest_is_reproducible_with_a_seed(forest, orders, fitted):
    X, y = orders
    again = forest.RandomForestClassifier(n_trees=20, seed=SEED).fit(X, y)
    assert_unchanged(
        fitted.predict_proba(X),
        again.predict_proba(X),
        "predict_proba of a refitted forest",
        "the same seed and data grew a different forest: results cannot be reproduced",
    )


def test_different_seeds_give_different_forests(forest, orders, fitted):
    X, y = orders
    other = forest.RandomForestClassifier(n_trees=20, seed=SEED + 1).fit(X, y)
    assert not np.allclose(fitted.predict_proba(X), other.predict_proba(X)), (
        "forests fitted with seeds 0 and 1 give identical probabilities: the seed is ignored"
    )


def test_predict_returns_labels_that_agree_with_probabilities(fitted, orders):
    X = orders[0]
    labels, probs = fitted.predict(X), fitted.predict_proba(X)
    assert labels.shape == (len(X),) and set(np.unique(labels)) <= {0, 1}
    assert np.array_equal(labels, (probs >= 0.5).astype(int))


@pytest.mark.edge
def test_forest_on_a_single_row_predicts_its_label(forest):
    model = forest.RandomForestClassifier(n_trees=5, seed=SEED).fit(np.ones((1, 4)), np.array([1]))
    assert list(model.predict(np.zeros((3, 4)))) == [1, 1, 1]


def test_split_is_seeded_shuffled_and_reproducible(forest):
    assert_seeded_split(lambda seed: forest.train_test_split(300, 0.25, seed), 300, 75)


def test_reported_accuracies_are_those_of_the_returned_forest(forest):
    df = forest.make_orders(n_rows=300, seed=SEED)
    result = assert_inputs_untouched(forest.run_pipeline, df, what="run_pipeline(orders)")
    X = df[forest.FEATURES].to_numpy(dtype=float)
    y = df[forest.TARGET].to_numpy(dtype=int)
    train_idx, test_idx = forest.train_test_split(len(df), 0.25, SEED)
    labels = (result["forest"].predict_proba(X) >= 0.5).astype(int)
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[train_idx], labels[train_idx]),
            "test_accuracy": accuracy(y[test_idx], labels[test_idx]),
        },
        "run_pipeline(orders)",
    )
    assert len(result["forest"].trees_) == 20, (
        f"the forest holds {len(result['forest'].trees_)} trees"
    )


def test_forest_ignores_the_held_out_orders(forest):
    df = forest.make_orders(n_rows=300, seed=SEED)
    _, test_idx = forest.train_test_split(len(df), 0.25, SEED)
    changed = perturb_rows(df, df.index[test_idx], columns=forest.FEATURES)
    changed.loc[df.index[test_idx], forest.TARGET] = 1 - df[forest.TARGET].iloc[test_idx]
    X = df[forest.FEATURES].to_numpy(dtype=float)
    before = forest.run_pipeline(df)["forest"].predict_proba(X)
    after = forest.run_pipeline(changed)["forest"].predict_proba(X)
    assert_unchanged(
        before, after, "the fitted forest's probabilities",
        "the forest changed when only the held-out orders changed",
    )  # fmt: skip


def test_pipeline_seed_is_honoured(forest):
    df = forest.make_orders(n_rows=300, seed=SEED)
    assert_reproducible(
        lambda seed: forest.run_pipeline(df, seed=seed)["test_accuracy"], "test_accuracy"
    )


def test_a_tree_finds_the_split_that_separates_the_classes(forest):
    x = np.arange(40.0)
    X = np.column_stack([np.random.default_rng(0).normal(size=40), x])  # noise, then the signal
    y = (x >= 22).astype(float)
    tree = forest.grow_tree(X, y, max_depth=1, max_features=2, rng=np.random.default_rng(1))
    assert tree.feature == 1 and 21 <= tree.threshold < 22, (
        f"the root splits feature {tree.feature} at {tree.threshold}, while feature 1 at 21 "
        "separates the classes exactly"
    )
    assert (tree.left.value, tree.right.value) == (0.0, 1.0), (
        f"the two leaves predict return rates {tree.left.value} and {tree.right.value}"
    )
    probs = forest.predict_tree(tree, X)
    assert np.array_equal(probs, y), "the separating tree does not predict its training rows"


def test_depth_limits_the_tree(forest, orders):
    X, y = orders

    def depth(node):
        return 0 if node.left is None else 1 + max(depth(node.left), depth(node.right))

    tree = forest.grow_tree(X, y.astype(float), 2, 4, np.random.default_rng(0))
    assert depth(tree) == 2, f"a tree grown with max_depth=2 has depth {depth(tree)}"
    model = forest.RandomForestClassifier(n_trees=3, max_depth=1, seed=SEED).fit(X, y)
    assert all(depth(t) <= 1 for t in model.trees_), "max_depth=1 grew deeper trees"


def test_every_split_of_a_tree_uses_all_the_features_it_may(forest):
    x = np.arange(40.0)
    X = np.column_stack([np.random.default_rng(0).normal(size=(40, 3)), x])  # noise, then signal
    y = (x >= 22).astype(float)
    for seed in range(10):
        root = forest.grow_tree(X, y, 1, 4, np.random.default_rng(seed))
        assert root.feature == 3, (
            f"with max_features=4 of 4 features (rng seed {seed}) the root splits on feature "
            f"{root.feature}, not on the one feature that separates the classes"
        )


def test_a_split_that_separates_nothing_is_not_made(forest):
    X = np.array([[1.0], [1.0], [2.0], [2.0]])
    y = np.array([0.0, 1.0, 0.0, 1.0])  # both sides of x <= 1 are half returns, like the node
    root = forest.grow_tree(X, y, 3, 1, np.random.default_rng(0))
    assert root.left is None, (
        f"a node of rate 0.5 was split at {root.threshold} into two sides of rate 0.5"
    )


@pytest.mark.parametrize("returned", [0, 7])
def test_a_single_order_can_be_split_off(forest, returned):
    X = np.arange(1.0, 9.0)[:, None]
    y = np.zeros(8)
    y[returned] = 1.0
    root = forest.grow_tree(X, y, 1, 1, np.random.default_rng(0))
    left = X[:, 0] <= root.threshold
    assert int(left.sum()) == (1 if returned == 0 else 7), (
        f"with the one returned order at x = {returned + 1}, the root sends "
        f"{int(left.sum())} of 8 orders left instead of splitting that order off"
    )


def test_leaf_rates_are_predicted_as_they_were_learned(forest):
    x = np.arange(40.0)
    X = x[:, None]
    y = (x >= 23).astype(float)  # no candidate threshold separates 22 from 23
    root = forest.grow_tree(X, y, 1, 1, np.random.default_rng(0))
    leaf_of = np.where(X[:, 0] <= root.threshold, root.left.value, root.right.value)
    assert np.array_equal(forest.predict_tree(root, X), leaf_of), (
        f"predict_tree gives {forest.predict_tree(root, X)[-1]!r} where the leaf learned a return "
        f"rate of {root.right.value!r}"
    )


def test_growing_trees_raises_no_warning(forest, orders):
    import warnings

    X, y = orders
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forest.RandomForestClassifier(n_trees=5, seed=SEED).fit(X, y)


def test_the_pipeline_grows_the_forest_it_is_asked_for(forest):
    df = forest.make_orders(n_rows=300, seed=SEED)
    small = forest.run_pipeline(df, n_trees=3)["forest"]
    assert len(small.trees_) == 3, f"run_pipeline(n_trees=3) grew {len(small.trees_)} trees"
    first = forest.run_pipeline(df, seed=0)["forest"].samples_[0]
    second = forest.run_pipeline(df, seed=1)["forest"].samples_[0]
    assert not np.array_equal(first, second), (
        "run_pipeline with seeds 0 and 1 drew the same bootstrap rows for the first tree"
    )
    labels = forest.run_pipeline(df)["forest"].predict(df[forest.FEATURES].to_numpy(float))
    assert labels.dtype.kind in "iu", f"predict returned labels of dtype {labels.dtype}"


def test_split_defaults_hold_out_a_quarter_with_seed_zero(forest):
    default = forest.train_test_split(300)
    explicit = forest.train_test_split(300, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(300) differs from train_test_split(300, 0.25, 0), its documented defaults"
    )


def test_a_small_group_at_the_low_end_can_be_split_off(forest):
    x = np.arange(40.0)
    y = (x <= 2).astype(float)  # three returns among the smallest baskets
    root = forest.grow_tree(x[:, None], y, 1, 1, np.random.default_rng(0))
    assert root.threshold is not None and (root.left.value, root.right.value) == (1.0, 0.0), (
        f"the root splits at {root.threshold}, leaving return rates "
        f"{getattr(root.left, 'value', None)} and {getattr(root.right, 'value', None)}, while "
        "x <= 2 separates the three returns exactly"
    )
