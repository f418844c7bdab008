"""The zone-temperature model must descend the loss it reports, intercepts included.

Gradients are checked against finite differences of mse_loss for the weights and the biases;
training must reach the least-squares fit, whose intercepts sit near 280 K. The rest pins down
the loss, the scaling and the held-out scores.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_unchanged,
    perturb_rows,
    rmse,
)


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def random_point(n, d, k, seed):
    """A random problem with kelvin-sized targets and a random parameter point: X, Y, W, b."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = 280.0 + 10.0 * rng.normal(size=(n, k))
    return X, Y, rng.normal(size=(d, k)), 280.0 + rng.normal(size=k)


def zones_problem(seed=3):
    """Centred features and three outputs with very different intercepts: X, Y, true W, true b."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(80, 4))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    W = rng.normal(size=(4, 3))
    b = np.array([286.0, 293.0, 275.0])
    return X, X @ W + b + 0.1 * rng.normal(size=(80, 3)), W, b


SHAPES = pytest.mark.parametrize(
    "n, d, k",
    [(30, 4, 3), (3, 3, 3), (1, 2, 3), (20, 3, 1)],
    ids=["three_zones", "n_eq_d_eq_k", "one_row", "one_zone"],
)


@SHAPES
def test_weight_gradient_matches_finite_differences(pipeline, n, d, k):
    X, Y, W, b = random_point(n, d, k, seed=n + d + k)
    grad_W, _ = pipeline.gradients(X, Y, W, b)
    assert_gradient_matches(
        lambda W_: pipeline.mse_loss(X, Y, W_, b), grad_W, W,
        what=f"grad_W from gradients(X of shape {X.shape}, Y of shape {Y.shape}, W, b)",
    )  # fmt: skip


@SHAPES
def test_bias_gradient_matches_finite_differences(pipeline, n, d, k):
    X, Y, W, b = random_point(n, d, k, seed=n + d + k)
    _, grad_b = pipeline.gradients(X, Y, W, b)
    assert_gradient_matches(
        lambda b_: pipeline.mse_loss(X, Y, W, b_), grad_b, b,
        what=f"grad_b from gradients(X of shape {X.shape}, Y of shape {Y.shape}, W, b)",
    )  # fmt: skip


def test_loss_history_decreases_monotonically(pipeline):
    X, Y, _, _ = zones_problem()
    _, _, history = pipeline.fit(X, Y, lr=0.3, epochs=60)
    assert_decreasing(
        history, "the loss history of fit(X, Y, lr=0.3, epochs=60)",
        "gradient descent on a convex least-squares loss with a modest step can only go down",
    )  # fmt: skip


def test_fit_recovers_each_zones_intercept(pipeline):
    X, Y, _, _ = zones_problem()
    _, b, _ = pipeline.fit(X, Y, lr=0.3, epochs=200)
    # With centred features the least-squares intercept of each output is that output's mean.
    assert_close(
        b, Y.mean(axis=0), "the biases fitted to three zones with intercepts 286, 293, 275 K",
        "each zone's intercept should be that zone's mean temperature (the features are "
        "centred); the zones did not each get their own baseline",
        rtol=1e-6,
    )  # fmt: skip


def test_fit_reaches_the_least_squares_solution(pipeline):
    X, Y, _, _ = zones_problem(seed=8)
    W, b, _ = pipeline.fit(X, Y, lr=0.3, epochs=200)
    ones = np.column_stack([np.ones(len(X)), X])
    best = np.linalg.lstsq(ones, Y, rcond=None)[0]  # (1 + d, k)
    assert_close(
        np.vstack([b, W]), best, "fit's (b stacked on W) after 200 steps",
        "training stopped away from the least-squares fit of the loss it minimises",
        rtol=1e-6, atol=1e-6,
    )  # fmt: skip


def test_held_out_error_is_at_the_noise_level(pipeline):
    result = pipeline.run_pipeline(pipeline.make_building(240, seed=0), n_test=60)
    rmse = np.asarray(result["test_rmse"])
    assert np.all(rmse < 0.4), (
        f"run_pipeline's held-out RMSE per zone is {np.round(rmse, 3)} K; the readings carry "
        "0.2 K of noise, so a linear model should be within about 0.3 K in every zone"
    )


def test_mse_loss_is_half_the_mean_squared_row_error(pipeline):
    X, Y, W, b = random_point(12, 3, 2, seed=5)
    expected = 0.5 * np.mean(np.sum((X @ W + b - Y) ** 2, axis=1))
    assert_close(pipeline.mse_loss(X, Y, W, b), expected, "mse_loss at a random point", rtol=1e-9)


def test_standardise_uses_the_training_rows_only(pipeline):
    rng = np.random.default_rng(2)
    X_train, X_other = rng.normal(5.0, 3.0, (50, 2)), rng.normal(100.0, 1.0, (10, 2))
    Z_train, Z_other = pipeline.standardise(X_train, X_other)
    assert_close(Z_train.mean(axis=0), [0.0, 0.0], "standardised training means", atol=1e-10)
    assert_close(
        Z_other, (X_other - X_train.mean(axis=0)) / X_train.std(axis=0),
        "standardised held-out rows", "held-out rows are scaled with training statistics",
    )  # fmt: skip


def test_run_pipeline_reports_the_loss_of_its_model(pipeline):
    df = pipeline.make_building(240, seed=1)
    result = pipeline.run_pipeline(df, n_test=60, epochs=30)
    assert np.shape(result["loss_history"]) == (30,), "one loss per training step expected"
    X = df[pipeline.FEATURES].to_numpy(dtype=float)[:-60]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    final = pipeline.mse_loss(
        X, df[pipeline.ZONES].to_numpy()[:-60], result["weights"], result["bias"]
    )
    assert_close(
        result["loss_history"][-1], final, "the last entry of run_pipeline's loss history",
        "the history does not hold the training loss of the returned model", rtol=1e-12,
    )  # fmt: skip
    assert np.shape(result["weights"]) == (4, 3) and np.shape(result["bias"]) == (3,), (
        f"weights {np.shape(result['weights'])} and bias {np.shape(result['bias'])}: expected "
        "(4, 3) and (3,) for four drivers and three zones"
    )


@pytest.fixture(scope="module")
def building(pipeline):
    return pipeline.make_building(240, seed=0)


def test_fitted_model_ignores_the_held_out_hours(pipeline, building):
    before = pipeline.run_pipeline(building, n_test=60, epochs=50)
    # A logger fault in the last 60 hours only: readings in other units, shifted.
    after = pipeline.run_pipeline(
        perturb_rows(building, building.index[-60:]), n_test=60, epochs=50
    )
    fitted = {key: before[key] for key in ("weights", "bias", "loss_history")}
    assert_unchanged(
        fitted, {key: after[key] for key in fitted}, "run_pipeline",
        "the model changed although only the held-out hours changed: the held-out hours "
        "reach training",
    )  # fmt: skip


def test_reported_held_out_error_is_that_of_the_returned_model(pipeline, building):
    result = pipeline.run_pipeline(building)  # the defaults: the last 60 hours held out
    X = building[pipeline.FEATURES].to_numpy(dtype=float)
    Y = building[pipeline.ZONES].to_numpy(dtype=float)
    mean, scale = X[:-60].mean(axis=0), X[:-60].std(axis=0)
    predicted = (X[-60:] - mean) / scale @ result["weights"] + result["bias"]
    assert_figures(
        result,
        {"test_rmse": [rmse(Y[-60:, j], predicted[:, j]) for j in range(3)]},
        "run_pipeline(240 hours)",
    )
    assert np.shape(result["loss_history"]) == (200,), (
        f"run_pipeline with its defaults recorded {np.shape(result['loss_history'])} losses; "
        "the brief promises 200 steps"
    )


def test_run_pipeline_leaves_the_callers_table_untouched(pipeline, building):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, n_test=60, epochs=10), building.copy(),
        what="run_pipeline(building)",
    )  # fmt: skip


def test_fit_leaves_the_callers_arrays_untouched(pipeline):
    X, Y, _, _ = zones_problem()
    assert_inputs_untouched(lambda X, Y: pipeline.fit(X, Y, epochs=10), X, Y, what="fit(X, Y)")


def test_run_pipeline_fits_the_least_squares_model_of_the_training_hours(pipeline, building):
    result = pipeline.run_pipeline(building)
    X = building[pipeline.FEATURES].to_numpy(dtype=float)[:-60]
    Y = building[pipeline.ZONES].to_numpy(dtype=float)[:-60]
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    best = np.linalg.lstsq(np.column_stack([np.ones(len(X)), X]), Y, rcond=None)[0]
    assert_close(
        np.vstack([result["bias"], result["weights"]]), best,
        "run_pipeline's (bias stacked on weights) on the 180 training hours",
        "the returned model is not the least-squares fit of the standardised training hours",
        rtol=0, atol=1e-8,
    )  # fmt: skip


@pytest.mark.edge
def test_standardise_is_accurate_for_a_driver_with_a_large_offset(pipeline):
    rng = np.random.default_rng(4)
    X_train = 1e9 + rng.normal(0.0, 1.0, size=(200, 1))  # a raw timestamp, say
    Z_train, _ = pipeline.standardise(X_train, X_train[:5])
    assert_close(
        Z_train.std(axis=0), [1.0], "the spread of a standardised column of values near 1e9",
        "the standard deviation lost its precision", rtol=1e-6,
    )  # fmt: skip
