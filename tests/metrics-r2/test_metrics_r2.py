"""R^2 must measure a model against the simplest honest rival: the mean of the targets scored.

Hand-worked cases and identities that hold for every correct R^2, plus the convention for
constant targets stated in the brief (1.0 for exact predictions, 0.0 otherwise).
"""

import numpy as np
import pytest
from katakit import assert_close, call_strict

BASELINE = "the score flatters predictions that are off on average (R^2 is the share of the spread of y_true around its average that the predictions explain)"


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
        f"r2_score of exact predictions of constant prices is {exact}; expected 1.0"
    )
    off = call_strict(
        pipeline.r2_score,
        y,
        np.array([240.0, 250.0, 260.0]),
        what="r2_score(3 x 250, [240, 250, 260])",
    )
    assert off == 0.0, f"r2_score of inexact predictions of constant prices is {off}; expected 0.0"


def test_reported_scores_match_the_definition(pipeline):
    df = pipeline.make_houses(n_rows=300, seed=0)
    result = pipeline.run_pipeline(df)
    train_idx, test_idx = pipeline.train_test_split(len(df))
    y = df[pipeline.TARGET].to_numpy()
    assert_close(
        result["baseline_test_r2"],
        by_definition(y[test_idx], np.full(len(test_idx), y[train_idx].mean())),
        what="run_pipeline(...)['baseline_test_r2'] (always guess the training mean price)",
        meaning="the naive baseline is credited with an R^2 it did not earn; " + BASELINE,
        atol=1e-12,
    )


def test_training_r2_matches_the_definition(pipeline):
    df = pipeline.make_houses(n_rows=300, seed=0)
    result = pipeline.run_pipeline(df)
    train_idx, _ = pipeline.train_test_split(len(df))
    X = df[pipeline.FEATURES].to_numpy()[train_idx]
    fitted = X @ result["weights"] + result["bias"]
    assert_close(
        result["train_r2"],
        by_definition(df[pipeline.TARGET].to_numpy()[train_idx], fitted),
        what="run_pipeline(...)['train_r2']",
    )
    assert result["test_r2"] > 0.8, f"held-out R^2 is {result['test_r2']:.3f}; expected > 0.8"
