"""The churn pipeline must learn from its training rows only.

Each test changes what a leak-free pipeline must not notice (the held-out rows) and checks
that nothing learned moved; the rest pin down the parts the pipeline is built from.
"""

import math

import numpy as np
import pytest
from katakit import with_shuffled_index

SEED = 0
TEST_SIZE = 0.25


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def customers(pipeline):
    # A shuffled, non-default index: a fix that mixes index labels with row positions shows.
    return with_shuffled_index(pipeline.make_customers(n_rows=400, seed=SEED), seed=SEED)


def held_out_rows(pipeline, df):
    _, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    return df.index[test_idx]


def with_corrupted_rows(df, rows):
    """The same table after a billing-export bug hit ``rows``: cents for dollars, days for months."""
    corrupted = df.copy()
    corrupted.loc[rows, "monthly_charges"] *= 100.0
    corrupted.loc[rows, "tenure_months"] *= 30.0
    return corrupted


def test_model_ignores_test_rows(pipeline, customers):
    before = pipeline.run_pipeline(customers, TEST_SIZE, SEED)
    after = pipeline.run_pipeline(
        with_corrupted_rows(customers, held_out_rows(pipeline, customers)), TEST_SIZE, SEED
    )
    np.testing.assert_allclose(
        after["weights"], before["weights"], rtol=1e-9, atol=1e-12,
        err_msg="run_pipeline learned different weights after only the held-out rows changed: "
        "information from the test set reaches training",
    )  # fmt: skip
    assert after["bias"] == pytest.approx(before["bias"], rel=1e-9, abs=1e-12), (
        f"the bias moved from {before['bias']:.6f} to {after['bias']:.6f} although only "
        "held-out rows changed: information from the test set reaches training"
    )


def test_scaler_ignores_test_rows(pipeline, customers):
    before = pipeline.run_pipeline(customers, TEST_SIZE, SEED)["scaler"]
    corrupted = with_corrupted_rows(customers, held_out_rows(pipeline, customers))
    after = pipeline.run_pipeline(corrupted, TEST_SIZE, SEED)["scaler"]
    for stat in ("mean_", "scale_"):
        np.testing.assert_allclose(
            getattr(after, stat), getattr(before, stat), rtol=1e-9,
            err_msg=f"the fitted scaler's {stat} changed when only held-out rows changed: "
            "the standardisation statistics are computed with the test set in them",
        )  # fmt: skip


def test_a_test_row_is_scored_independently_of_other_test_rows(pipeline, customers):
    rows = held_out_rows(pipeline, customers)
    before = pipeline.run_pipeline(customers, TEST_SIZE, SEED)["test_probabilities"]
    after = pipeline.run_pipeline(with_corrupted_rows(customers, rows[1:]), TEST_SIZE, SEED)
    first = after["test_probabilities"][0]
    assert first == pytest.approx(before[0], rel=1e-9), (
        f"the first held-out customer's churn probability went from {before[0]:.4f} to "
        f"{first:.4f} although only *other* held-out customers changed: the score of one "
        "test row depends on the rest of the test set"
    )


def leak_free_probabilities(pipeline, customers, ddof):
    """Held-out probabilities of the same model, standardised on training rows alone."""
    X = customers[pipeline.FEATURES].to_numpy(dtype=float)
    y = customers[pipeline.TARGET].to_numpy(dtype=float)
    train_idx, test_idx = pipeline.train_test_split(len(customers), TEST_SIZE, SEED)
    mean = X[train_idx].mean(axis=0)
    scale = X[train_idx].std(axis=0, ddof=ddof)
    w, b = pipeline.fit_logistic_regression((X[train_idx] - mean) / scale, y[train_idx])
    return pipeline.sigmoid((X[test_idx] - mean) / scale @ w + b), y[test_idx]


def test_held_out_scores_match_a_model_that_never_saw_them(pipeline, customers):
    result = pipeline.run_pipeline(customers, TEST_SIZE, SEED)
    # The brief leaves the standard deviation's convention open: population or sample.
    candidates = [leak_free_probabilities(pipeline, customers, ddof) for ddof in (0, 1)]
    matches = [
        np.allclose(result["test_probabilities"], expected, rtol=1e-6, atol=1e-10)
        for expected, _ in candidates
    ]
    assert any(matches), (
        "the held-out churn probabilities differ from those of the same model trained "
        "and standardised on the training rows alone: the reported score is not a true "
        "held-out score"
    )
    expected, y_test = candidates[matches.index(True)]
    assert result["test_accuracy"] == pytest.approx(np.mean((expected >= 0.5) == y_test)), (
        "the reported test accuracy differs from the accuracy of a model that never saw the test rows"
    )


def test_reported_accuracy_agrees_with_reported_probabilities(pipeline, customers):
    result = pipeline.run_pipeline(customers, TEST_SIZE, SEED)
    _, test_idx = pipeline.train_test_split(len(customers), TEST_SIZE, SEED)
    y_test = customers[pipeline.TARGET].to_numpy()[test_idx]
    recomputed = np.mean((result["test_probabilities"] >= 0.5) == y_test)
    assert result["test_accuracy"] == pytest.approx(recomputed), (
        f"test_accuracy is {result['test_accuracy']:.3f} but thresholding test_probabilities "
        f"at 0.5 gives {recomputed:.3f}"
    )


def test_split_partitions_rows_in_the_requested_proportion(pipeline):
    train_idx, test_idx = pipeline.train_test_split(200, 0.25, seed=3)
    assert len(test_idx) == 50 and len(train_idx) == 150, (
        f"train_test_split(200, 0.25) gave {len(train_idx)} training and {len(test_idx)} test rows; "
        "expected 150 and 50"
    )
    together = np.sort(np.concatenate([train_idx, test_idx]))
    assert np.array_equal(together, np.arange(200)), (
        "train and test indices together are not each row exactly once: rows are lost or shared"
    )


def unit_spread(Z, rtol):
    """Every column has standard deviation 1, by the population or the sample convention."""
    return any(np.allclose(Z.std(axis=0, ddof=ddof), 1.0, rtol=rtol) for ddof in (0, 1))


def test_scaler_standardises_the_columns_it_was_fitted_on(pipeline):
    rng = np.random.default_rng(1)
    X = rng.normal([5.0, -300.0, 0.01], [2.0, 50.0, 0.001], size=(500, 3))
    Z = pipeline.StandardScaler().fit(X).transform(X)
    np.testing.assert_allclose(
        Z.mean(axis=0), 0.0, atol=1e-10, err_msg="standardised training columns do not have mean 0"
    )
    assert unit_spread(Z, rtol=1e-10), (
        f"standardised training columns have standard deviations {Z.std(axis=0)}; expected 1 "
        "(population or sample convention)"
    )


@pytest.mark.edge
def test_scaler_keeps_a_constant_column_finite(pipeline):
    X = np.column_stack([np.full(20, 7.0), np.arange(20.0)])
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        Z = pipeline.StandardScaler().fit(X).transform(X)
    assert np.all(np.isfinite(Z)), (
        "a constant feature column turned into NaN or inf after standardising"
    )
    np.testing.assert_allclose(
        Z[:, 0], 0.0, err_msg="a constant column should standardise to zeros"
    )


def test_logistic_regression_recovers_the_direction_of_each_effect(pipeline, customers):
    result = pipeline.run_pipeline(pipeline.make_customers(n_rows=4000, seed=5), TEST_SIZE, SEED)
    signs = np.sign(result["weights"])
    # make_customers: churn falls with tenure and data use, rises with charges and support calls.
    assert list(signs) == [-1, 1, 1, -1], (
        f"fitted weights {np.round(result['weights'], 3)} do not match the direction of the "
        "effects that generated the data (tenure -, charges +, calls +, data -)"
    )
    assert result["test_accuracy"] > 0.7, (
        f"held-out accuracy is {result['test_accuracy']:.3f}; the data supports well above 0.7"
    )


@pytest.mark.edge
def test_sigmoid_is_finite_for_logits_of_1000(pipeline):
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = pipeline.sigmoid(z)
    np.testing.assert_allclose(
        p[[0, 2, 4]],
        [0.0, 0.5, 1.0],
        atol=1e-12,
        err_msg="sigmoid of -1000, 0, 1000 should be 0, 0.5, 1",
    )
    assert np.all(np.diff(p) >= 0), f"sigmoid{tuple(z)} = {p} is not increasing"


def test_split_is_shuffled_and_reproducible(pipeline):
    first = pipeline.train_test_split(200, 0.25, seed=7)
    again = pipeline.train_test_split(200, 0.25, seed=7)
    other = pipeline.train_test_split(200, 0.25, seed=8)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True)), (
        "train_test_split with the same seed gave different rows: results cannot be reproduced"
    )
    assert not np.array_equal(np.sort(first[1]), np.sort(other[1])), (
        "train_test_split(seed=7) and (seed=8) chose the same test rows: the seed is ignored"
    )
    assert not np.array_equal(np.sort(first[1]), np.arange(50)), (
        "the test rows are simply the first rows of the table: the split is not shuffled, so any "
        "ordering in the data (by date, by region) decides what is held out"
    )


def test_sigmoid_matches_its_definition_on_ordinary_logits(pipeline):
    z = np.linspace(-8.0, 8.0, 33)
    expected = np.array([1.0 / (1.0 + math.exp(-v)) for v in z])
    np.testing.assert_allclose(
        pipeline.sigmoid(z), expected, rtol=1e-12,
        err_msg="sigmoid differs from 1 / (1 + e^-z) on logits between -8 and 8",
    )  # fmt: skip


@pytest.mark.edge
def test_scaler_is_accurate_for_a_column_with_a_large_offset(pipeline):
    rng = np.random.default_rng(2)
    X = 1e9 + rng.normal(0.0, 1.0, size=(400, 1))
    Z = pipeline.StandardScaler().fit(X).transform(X)
    assert unit_spread(Z, rtol=1e-6), (
        f"a column of timestamps-like values around 1e9 standardises to spread {Z.std():.6f}, "
        "not 1: the variance lost its precision"
    )


@pytest.mark.edge
def test_logistic_regression_converges_to_the_minimum_of_the_log_loss(pipeline):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2))
    y = (rng.random(200) < 1.0 / (1.0 + np.exp(-(X @ [1.0, -2.0] + 0.5)))).astype(float)
    w, b = pipeline.fit_logistic_regression(X, y, lr=0.5, epochs=3000)

    def loss(w, b):
        p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    h = 1e-6
    steps = [(np.eye(2)[i] * h, 0.0) for i in range(2)] + [(np.zeros(2), h)]
    slope = [(loss(w + dw, b + db) - loss(w - dw, b - db)) / (2 * h) for dw, db in steps]
    assert np.max(np.abs(slope)) < 1e-4, (
        f"after 3000 steps the log-loss still slopes by {np.round(slope, 5)} at the fitted "
        f"(w, b) = ({np.round(w, 3)}, {b:.3f}): training does not reach the minimum"
    )


def test_reported_training_accuracy_is_the_models_accuracy_on_training_rows(pipeline, customers):
    result = pipeline.run_pipeline(customers, TEST_SIZE, SEED)
    train_idx, _ = pipeline.train_test_split(len(customers), TEST_SIZE, SEED)
    X = customers[pipeline.FEATURES].to_numpy(dtype=float)[train_idx]
    y = customers[pipeline.TARGET].to_numpy()[train_idx]
    probs = pipeline.sigmoid(result["scaler"].transform(X) @ result["weights"] + result["bias"])
    recomputed = np.mean((probs >= 0.5) == y)
    assert result["train_accuracy"] == pytest.approx(recomputed), (
        f"train_accuracy is {result['train_accuracy']:.3f} but the returned model classifies "
        f"{recomputed:.3f} of the training rows correctly"
    )
