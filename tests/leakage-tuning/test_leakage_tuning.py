"""The house-price score must come from houses used neither to fit nor to choose the model.

The ridge penalty is a fitted quantity too: it must not move when only the held-out houses
change, and the reported RMSE must be that of the returned model on the held-out houses.
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
    perturb_rows,
    rmse,
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
        f"prices of the held-out houses changed (x{factor:g} {shift:+g}k), and those houses "
        "are neither fitted on nor meant to choose anything"
    )


def test_fitted_model_ignores_held_out_houses(pipeline, houses, result):
    changed = perturb_rows(houses, held_out(pipeline, houses), [pipeline.TARGET], 1.0, -150.0)
    after = pipeline.run_pipeline(changed, TEST_SIZE, SEED)
    assert_unchanged(
        {"weights": result["weights"], "bias": result["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        what="the fitted ridge model",
        meaning="only the 40 held-out houses changed, and the model is never fitted on them",
        rtol=1e-9,
        atol=1e-9,
    )


def test_reported_rmse_is_not_the_winner_of_the_alpha_search(result):
    best = float(np.min(result["alpha_scores"]))
    same = bool(np.isclose(result["test_rmse"], best, rtol=1e-9))
    assert not same, (
        f"the reported test RMSE ({result['test_rmse']:.4f}) is exactly the best score of the "
        f"alpha search ({best:.4f}): the reported error is the best of six tries"
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
        f"select_alpha chose {alpha} with scores {np.round(scores, 4).tolist()}; on nearly noiseless "
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
    assert norms[0] > norms[1] > norms[2], (
        f"weight norms {np.round(norms, 3).tolist()} for alpha 0.1, 10, 1000 do not shrink"
    )


def test_split_is_shuffled_seeded_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(160, 0.25, seed), 160, 40)
    assert_seeded_split(lambda seed: pipeline.train_test_split(10, 0.3, seed), 10, 3)
    assert_unchanged(
        pipeline.train_test_split(160), pipeline.train_test_split(160, 0.25, 0),
        "train_test_split(160)", "the documented defaults test_size=0.25, seed=0 split otherwise",
    )  # fmt: skip


def closed_form_ridge(X, y, alpha):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y.mean() - X.mean(axis=0) @ w)


def test_reported_figures_are_the_returned_models_on_the_right_rows(pipeline, houses, result):
    train_idx, test_idx = pipeline.train_test_split(len(houses), TEST_SIZE, SEED)
    X = houses[pipeline.FEATURES].to_numpy(dtype=float)
    y = houses[pipeline.TARGET].to_numpy(dtype=float)
    assert result["alpha"] in pipeline.ALPHAS, (
        f"the chosen alpha {result['alpha']} is not a candidate"
    )
    scores = np.asarray(result["alpha_scores"], dtype=float)
    assert scores.shape == (len(pipeline.ALPHAS),), (
        f"alpha_scores has shape {scores.shape}; the search tries {len(pipeline.ALPHAS)} alphas"
    )
    assert pipeline.ALPHAS[int(np.argmin(scores))] == result["alpha"], (
        f"the chosen alpha {result['alpha']:g} is not the one with the lowest search error "
        f"({dict(zip(pipeline.ALPHAS, np.round(scores, 3).tolist(), strict=True))})"
    )
    w, b = closed_form_ridge(X[train_idx], y[train_idx], result["alpha"])
    assert_close(
        result["weights"],
        w,
        "run_pipeline(...)['weights']",
        "the ridge weights of the 120 training houses at the chosen alpha",
        rtol=1e-7,
    )
    assert_close(result["bias"], b, "run_pipeline(...)['bias']", rtol=1e-7)
    assert_figures(
        result,
        {"test_rmse": rmse(y[test_idx], X[test_idx] @ result["weights"] + result["bias"])},
        what="run_pipeline(...)",
        rtol=1e-9,
    )


def test_the_alpha_search_scores_candidates_on_rows_they_were_not_fitted_on(
    pipeline, houses, monkeypatch
):
    calls = []
    search = pipeline.select_alpha

    def recording(X_fit, y_fit, X_val, y_val, *args, **kwargs):
        calls.append((np.array(X_fit, dtype=float), np.array(X_val, dtype=float)))
        return search(X_fit, y_fit, X_val, y_val, *args, **kwargs)

    monkeypatch.setattr(pipeline, "select_alpha", recording)
    pipeline.run_pipeline(houses, TEST_SIZE, SEED)
    train_idx, _ = pipeline.train_test_split(len(houses), TEST_SIZE, SEED)
    X = houses[pipeline.FEATURES].to_numpy(dtype=float)
    training = {row.tobytes() for row in X[train_idx]}
    for i, (X_fit, X_val) in enumerate(calls):
        fit = {row.tobytes() for row in X_fit}
        val = {row.tobytes() for row in X_val}
        shared = len(fit & val)
        assert shared == 0, (
            f"in alpha search {i + 1} of {len(calls)}, {shared} house(s) both fit the "
            "candidates and score them"
        )
        outside = len((fit | val) - training)
        assert outside == 0, (
            f"alpha search {i + 1} of {len(calls)} uses {outside} house(s) that are not among "
            "the 120 training houses"
        )


def test_custom_alphas_are_the_ones_searched(pipeline, houses):
    result = pipeline.run_pipeline(houses, TEST_SIZE, SEED, alphas=(0.5, 5000.0))
    assert result["alpha"] in (0.5, 5000.0) and len(result["alpha_scores"]) == 2, (
        f"run_pipeline(..., alphas=(0.5, 5000)) chose alpha={result['alpha']:g} with "
        f"{len(result['alpha_scores'])} search scores"
    )


def test_defaults_hold_out_a_quarter_with_seed_0(pipeline, houses, result):
    assert_unchanged(
        result, pipeline.run_pipeline(houses), what="run_pipeline(houses)",
        meaning="the defaults (test_size=0.25, seed=0, alphas=ALPHAS) give a different run from "
        "passing them",
    )  # fmt: skip


def test_run_depends_on_its_seed_and_only_on_it(pipeline, houses):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(houses, TEST_SIZE, seed)["weights"],
        what="run_pipeline(houses, 0.25, seed)['weights']",
    )


def test_run_leaves_the_callers_table_untouched(pipeline, houses):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED), houses.copy(), what="run_pipeline"
    )
