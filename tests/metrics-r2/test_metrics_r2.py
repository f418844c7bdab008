"""R^2 must measure a model against the simplest honest rival: the mean of the targets scored.

Hand-worked cases and identities that hold for every correct R^2, plus the convention for
constant targets stated in the brief (1.0 for exact predictions, 0.0 otherwise).
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    design,
    perturb_rows,
    r2,
)

BASELINE = "the score flatters predictions that are off on average"


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def prices():
    rng = np.random.default_rng(4)
    y = rng.normal(300.0, 80.0, 40)
    return y, y + rng.normal(0.0, 30.0, 40)


def by_definition(y, pred):
    y, pred = np.asarray(y, dtype=float), np.asarray(pred, dtype=float)
    return 1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2)


def test_hand_worked_example(pipeline):
    # SS_res = 1 + 0 + 0 + 1 = 2; mean 2.5, SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5.
    assert_close(
        pipeline.r2_score([1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 3.0, 5.0]),
        0.6,
        what="r2_score([1, 2, 3, 4], [2, 2, 3, 5])",
        meaning="1 - 2 / 5 = 0.6; " + BASELINE,
    )


def test_perfect_predictions_score_one(pipeline, prices):
    y, _ = prices
    assert_close(pipeline.r2_score(y, y.copy()), 1.0, what="r2_score(y, y)")


def test_predicting_the_mean_scores_zero(pipeline, prices):
    y, _ = prices
    assert_close(
        pipeline.r2_score(y, np.full_like(y, y.mean())),
        0.0,
        what="r2_score(y, mean(y))",
        atol=1e-12,
    )


def test_a_constant_guess_other_than_the_mean_scores_below_zero(pipeline, prices):
    y, _ = prices
    guess = np.full_like(y, y.mean() + 50.0)
    assert_close(
        pipeline.r2_score(y, guess),
        by_definition(y, guess),
        what="r2_score(y, a constant 50k above the mean price)",
        meaning="a constant guess worse than the mean must score below 0; " + BASELINE,
    )


def test_a_systematic_offset_costs_its_squared_size(pipeline, prices):
    y, pred = prices
    assert_close(
        pipeline.r2_score(y, pred - 40.0),
        by_definition(y, pred - 40.0),
        what="r2_score(y, predictions all 40k too low)",
        meaning="a biased model scores too well: " + BASELINE,
    )


def test_invariant_to_a_common_shift_of_prices(pipeline, prices):
    y, pred = prices
    assert_close(
        pipeline.r2_score(y + 1e4, pred + 1e4),
        pipeline.r2_score(y, pred),
        what="r2_score after adding 10,000 to every price and prediction",
        rtol=1e-7,
    )


def test_invariant_to_row_order(pipeline, prices):
    y, pred = prices
    order = np.random.default_rng(0).permutation(len(y))
    assert_close(
        pipeline.r2_score(y[order], pred[order]),
        pipeline.r2_score(y, pred),
        what="r2_score with the houses in another order",
        rtol=1e-12,
    )


@pytest.mark.edge
def test_constant_targets_follow_the_stated_convention(pipeline):
    y = np.array([250.0, 250.0, 250.0])
    exact = call_strict(pipeline.r2_score, y, y.copy(), what="r2_score(3 x 250, 3 x 250)")
    assert exact == 1.0, (
        f"r2_score of exact predictions of constant prices is {exact}; the brief's rule says 1.0"
    )
    off = call_strict(
        pipeline.r2_score,
        y,
        np.array([240.0, 250.0, 260.0]),
        what="r2_score(3 x 250, [240, 250, 260])",
    )
    assert off == 0.0, (
        f"r2_score of inexact predictions of constant prices is {off}; the brief's rule says 0.0"
    )


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(300, 0.25, seed), 300, 75)


def test_least_squares_recovers_weights_and_an_offset_intercept(pipeline):
    X, y, w, b = design(60, 4, seed=2)
    weights, bias = pipeline.fit_linear_regression(X, y + 300.0)
    assert_close(weights, w, "fit_linear_regression weights on exact linear prices", rtol=1e-8)
    assert_close(
        bias, b + 300.0, "fit_linear_regression bias on prices around 300k",
        "the fitted line does not pass through the average house", rtol=1e-8,
    )  # fmt: skip


def test_reported_scores_match_the_definition(pipeline):
    df = pipeline.make_houses(n_rows=300, seed=0)
    result = assert_inputs_untouched(pipeline.run_pipeline, df, what="run_pipeline(houses)")
    train_idx, test_idx = pipeline.train_test_split(len(df))
    X = df[pipeline.FEATURES].to_numpy()
    y = df[pipeline.TARGET].to_numpy()
    w, b = result["weights"], result["bias"]
    assert_close(
        result["test_predictions"], X[test_idx] @ w + b,
        "run_pipeline(...)['test_predictions']",
        "the predictions are not the returned model's on the held-out sales", rtol=1e-9,
    )  # fmt: skip
    assert_figures(
        result,
        {
            "train_r2": r2(y[train_idx], X[train_idx] @ w + b),
            "test_r2": r2(y[test_idx], X[test_idx] @ w + b),
            "baseline_test_r2": r2(y[test_idx], np.full(len(test_idx), y[train_idx].mean())),
        },
        "run_pipeline(houses)",
        rtol=1e-9,
    )
    assert result["test_r2"] > 0.8, (
        f"held-out R^2 is {result['test_r2']:.3f} on prices a linear model explains well"
    )


def test_model_ignores_the_held_out_sales(pipeline):
    df = pipeline.make_houses(n_rows=300, seed=0)
    _, test_idx = pipeline.train_test_split(len(df))
    before = pipeline.run_pipeline(df)
    after = pipeline.run_pipeline(perturb_rows(df, df.index[test_idx]))
    assert_unchanged(
        {"weights": before["weights"], "bias": before["bias"], "train_r2": before["train_r2"]},
        {"weights": after["weights"], "bias": after["bias"], "train_r2": after["train_r2"]},
        "run_pipeline(houses)",
        "the fitted model changed when only the held-out sales changed",
    )


def test_seed_chooses_the_held_out_sales(pipeline):
    df = pipeline.make_houses(n_rows=300, seed=0)
    assert_reproducible(lambda seed: pipeline.run_pipeline(df, seed=seed)["test_r2"], "test_r2")


def test_test_size_sets_the_number_of_held_out_sales(pipeline):
    df = pipeline.make_houses(n_rows=300, seed=0)
    result = pipeline.run_pipeline(df, test_size=0.4)
    assert len(result["test_predictions"]) == 120, (
        f"run_pipeline(houses, test_size=0.4) scored {len(result['test_predictions'])} held-out "
        "sales out of 300"
    )
