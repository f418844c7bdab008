"""The house-price score must come from houses used neither to fit nor to choose the model.

The ridge penalty is a fitted quantity too: it must not move when only the held-out houses
change, and the reported RMSE must be that of the returned model on the held-out houses.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_partition,
    assert_unchanged,
    perturb_rows,
    with_shuffled_index,
)

SEED = 0
TEST_SIZE = 0.25


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def houses(pipeline):
    return with_shuffled_index(pipeline.make_houses(n_rows=160, seed=SEED))


@pytest.fixture(scope="module")
def result(pipeline, houses):
    return pipeline.run_pipeline(houses, TEST_SIZE, SEED)


def held_out(pipeline, df):
    _, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    return df.index[test_idx]


@pytest.mark.parametrize("factor, shift", [(100.0, 1000.0), (1.0, -150.0)])
def test_chosen_alpha_ignores_held_out_prices(pipeline, houses, result, factor, shift):
    changed = perturb_rows(houses, held_out(pipeline, houses), [pipeline.TARGET], factor, shift)
    alpha = pipeline.run_pipeline(changed, TEST_SIZE, SEED)["alpha"]
    assert alpha == result["alpha"], (
        f"run_pipeline chose alpha={result['alpha']:g}, and alpha={alpha:g} after only the "
        f"prices of the held-out houses changed (x{factor:g} {shift:+g}k): the penalty is "
        "tuned on the houses the model is scored on, so the reported RMSE is optimistic"
    )


def test_fitted_model_ignores_held_out_houses(pipeline, houses, result):
    changed = perturb_rows(houses, held_out(pipeline, houses), [pipeline.TARGET], 1.0, -150.0)
    after = pipeline.run_pipeline(changed, TEST_SIZE, SEED)
    assert_unchanged(
        {"weights": result["weights"], "bias": result["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        what="the fitted ridge model",
        meaning="only the held-out houses changed, yet the model moved: information from the "
        "test set reaches the fitted model",
        rtol=1e-9,
        atol=1e-9,
    )


def test_reported_rmse_is_not_the_winner_of_the_alpha_search(result):
    best = float(np.min(result["alpha_scores"]))
    assert not np.isclose(result["test_rmse"], best, rtol=1e-9), (
        f"the reported test RMSE ({result['test_rmse']:.4f}) is exactly the best score of the "
        f"alpha search ({best:.4f}): the number reported as generalisation error is the "
        "minimum over candidate models on the same rows"
    )


def test_reported_rmse_is_the_returned_model_on_the_held_out_houses(pipeline, houses, result):
    _, test_idx = pipeline.train_test_split(len(houses), TEST_SIZE, SEED)
    X = houses[pipeline.FEATURES].to_numpy(dtype=float)[test_idx]
    y = houses[pipeline.TARGET].to_numpy(dtype=float)[test_idx]
    expected = pipeline.rmse(y, X @ result["weights"] + result["bias"])
    assert_close(
        result["test_rmse"],
        expected,
        what="test_rmse",
        meaning="the returned weights and bias give a different RMSE on the held-out houses",
    )


def test_alpha_search_prefers_strong_shrinkage_when_prices_are_noise(pipeline):
    chosen = []
    for seed in range(9):
        df = pipeline.make_houses(n_rows=60, seed=seed)
        df[pipeline.TARGET] = np.random.default_rng(seed + 99).normal(300.0, 60.0, len(df))
        chosen.append(pipeline.run_pipeline(df, TEST_SIZE, SEED)["alpha"])
    strong = sum(alpha >= 100.0 for alpha in chosen)
    assert strong >= 5, (
        f"on 9 data sets whose prices are pure noise the search chose alphas {chosen}: a "
        "search that measures error on rows the candidate was not fitted on prefers strong "
        "shrinkage (alpha >= 100) in most of them when the features carry no signal"
    )


def test_select_alpha_returns_the_candidate_with_the_lowest_error(pipeline):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(50, 3))
    y = X @ [2.0, -1.0, 0.5] + rng.normal(0.0, 0.1, 50)
    alphas = (0.01, 1.0, 100.0)
    alpha, scores = pipeline.select_alpha(X[:35], y[:35], X[35:], y[35:], alphas)
    assert np.shape(scores) == (3,), f"select_alpha returned scores of shape {np.shape(scores)}"
    assert alpha == alphas[int(np.argmin(scores))] == 0.01, (
        f"select_alpha chose {alpha} with scores {np.round(scores, 4)}; on nearly noiseless "
        "linear data the smallest penalty has the lowest error"
    )


def test_ridge_with_a_tiny_penalty_recovers_a_noiseless_line(pipeline):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    w, b = pipeline.fit_ridge(X, X @ [1.5, -2.0, 0.25] + 4.0, alpha=1e-10)
    assert_close(w, [1.5, -2.0, 0.25], what="fit_ridge weights", rtol=1e-6, atol=1e-8)
    assert_close(b, 4.0, what="fit_ridge intercept", rtol=1e-6, atol=1e-8)


def test_ridge_shrinks_the_weights_as_alpha_grows(pipeline, houses):
    X = houses[pipeline.FEATURES].to_numpy(dtype=float)
    y = houses[pipeline.TARGET].to_numpy(dtype=float)
    norms = [np.linalg.norm(pipeline.fit_ridge(X, y, a)[0]) for a in (0.1, 10.0, 1000.0)]
    assert norms[0] > norms[1] > norms[2], f"weight norms {np.round(norms, 3)} do not shrink"


def test_split_partitions_the_houses(pipeline):
    train_idx, test_idx = pipeline.train_test_split(160, 0.25, seed=7)
    assert_partition(train_idx, test_idx, 160, n_test=40)
