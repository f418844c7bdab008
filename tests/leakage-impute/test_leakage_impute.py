"""The NO2 pipeline's held-out error must be an honest estimate for hours it has never seen.

The held-out hours stand in for tomorrow's readings: changing them must move nothing that was
fitted, and the forecast of one held-out hour must not depend on the other held-out hours.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_finite,
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
LEAK = "only the 60 held-out hours changed, and nothing is fitted on them"


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def readings(pipeline):
    return with_shuffled_index(pipeline.make_readings(n_rows=240, seed=SEED))


def held_out_labels(pipeline, df):
    _, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    return df.index[test_idx]


def corrupted(pipeline, df, rows):
    """The same table after a calibration bug hit ``rows``: every sensor x100 + 1000."""
    return perturb_rows(df, rows, columns=pipeline.FEATURES)


def run(pipeline, df):
    return pipeline.run_pipeline(df, TEST_SIZE, SEED)


def test_model_ignores_held_out_rows(pipeline, readings):
    before = run(pipeline, readings)
    after = run(pipeline, corrupted(pipeline, readings, held_out_labels(pipeline, readings)))
    assert_unchanged(
        {"weights": before["weights"], "bias": before["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        what="run_pipeline(...) fitted parameters",
        meaning=LEAK,
    )


def test_fill_values_ignore_held_out_rows(pipeline, readings):
    before = run(pipeline, readings)["fill_values"]
    after = run(pipeline, corrupted(pipeline, readings, held_out_labels(pipeline, readings)))
    assert_unchanged(
        before,
        after["fill_values"],
        what="run_pipeline(...)['fill_values']",
        meaning=LEAK,
    )


def test_a_held_out_hour_is_scored_independently_of_the_others(pipeline, readings):
    labels = held_out_labels(pipeline, readings)
    gappy = readings.loc[labels, pipeline.FEATURES].isna().any(axis=1).to_numpy()
    first = int(np.flatnonzero(gappy)[0])  # a held-out hour with a dropout
    others = labels.delete(first)
    before = run(pipeline, readings)["test_predictions"][first]
    after = run(pipeline, corrupted(pipeline, readings, others))["test_predictions"][first]
    assert_unchanged(
        before,
        after,
        what=f"the NO2 forecast for held-out hour {labels[first]} (it has a sensor dropout)",
        meaning="it moved although only *other* held-out hours changed: the forecast for one "
        "hour depends on the rest of the test set",
    )


def test_fill_values_are_the_sensor_medians_of_the_fitted_hours(pipeline, readings):
    train_idx, _ = pipeline.train_test_split(len(readings), TEST_SIZE, SEED)
    train = readings.iloc[train_idx][pipeline.FEATURES]
    assert_close(
        run(pipeline, readings)["fill_values"],
        [np.nanmedian(train[c].to_numpy()) for c in pipeline.FEATURES],
        what="run_pipeline(...)['fill_values']",
        meaning="the brief fills a dropout with the sensor's median, and these are the medians "
        "of the 180 hours the model is fitted on",
    )


@pytest.mark.edge
def test_an_hour_with_every_sensor_down_is_forecast_from_the_fill_values(pipeline, readings):
    labels = held_out_labels(pipeline, readings)
    blank = readings.copy()
    blank.loc[labels[0], pipeline.FEATURES] = np.nan
    result = run(pipeline, blank)
    expected = result["fill_values"] @ result["weights"] + result["bias"]
    assert_close(
        result["test_predictions"][0],
        expected,
        what=f"the forecast for held-out hour {labels[0]}, whose four sensors all dropped out",
        meaning="an hour with no readings should be forecast as a typical hour",
    )


def test_outputs_are_finite_despite_dropouts(pipeline, readings):
    result = run(pipeline, readings)
    for key in ("weights", "bias", "test_predictions", "train_rmse", "test_rmse"):
        assert_finite(result[key], what=f"run_pipeline(...)[{key!r}]")
    assert len(result["test_predictions"]) == 60, (
        f"run_pipeline gave {len(result['test_predictions'])} forecasts for 60 held-out hours"
    )


def test_held_out_error_is_close_to_the_sensor_noise(pipeline):
    result = run(pipeline, pipeline.make_readings(n_rows=400, seed=3, dropout_rate=0.0))
    assert 2.0 < result["test_rmse"] < 4.5, (
        f"held-out RMSE on complete readings is {result['test_rmse']:.3f} ug/m3; the "
        "measurement noise is 3.0, so a working model lands near it"
    )


def test_split_is_shuffled_seeded_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(240, 0.25, seed), 240, 60)
    assert_seeded_split(lambda seed: pipeline.train_test_split(10, 0.3, seed), 10, 3)


def filled(pipeline, df, rows, fill_values):
    """The sensor matrix of the rows at positions ``rows`` with dropouts set to ``fill_values``."""
    X = df[pipeline.FEATURES].to_numpy(dtype=float)[rows]
    return np.where(np.isnan(X), np.asarray(fill_values, dtype=float)[None, :], X)


def closed_form_ridge(X, y, alpha):
    """Ridge with an unpenalised intercept, solved directly: (weights, intercept)."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y.mean() - X.mean(axis=0) @ w)


@pytest.mark.parametrize("alpha", [1.0, 500.0])
def test_reported_figures_are_the_returned_models_on_the_right_hours(pipeline, readings, alpha):
    result = pipeline.run_pipeline(readings, TEST_SIZE, SEED, alpha=alpha)
    train_idx, test_idx = pipeline.train_test_split(len(readings), TEST_SIZE, SEED)
    y = readings[pipeline.TARGET].to_numpy(dtype=float)
    X_train = filled(pipeline, readings, train_idx, result["fill_values"])
    X_test = filled(pipeline, readings, test_idx, result["fill_values"])
    w, b = closed_form_ridge(X_train, y[train_idx], alpha)
    assert_close(
        result["weights"], w, f"run_pipeline(..., alpha={alpha:g})['weights']",
        "they are not the ridge weights of the training hours, filled with the returned fill "
        "values, at this penalty", rtol=1e-7,
    )  # fmt: skip
    assert_close(result["bias"], b, f"run_pipeline(..., alpha={alpha:g})['bias']", rtol=1e-7)
    predictions = X_test @ result["weights"] + result["bias"]
    assert_close(
        result["test_predictions"], predictions, "run_pipeline(...)['test_predictions']",
        "they are not the returned model's forecasts for the held-out hours", rtol=1e-9,
    )  # fmt: skip
    assert_figures(
        result,
        {
            "train_rmse": rmse(y[train_idx], X_train @ result["weights"] + result["bias"]),
            "test_rmse": rmse(y[test_idx], predictions),
        },
        what="run_pipeline(...)",
        rtol=1e-9,
    )


def test_defaults_hold_out_a_quarter_with_seed_0_and_alpha_1(pipeline, readings):
    default = pipeline.run_pipeline(readings)
    explicit = pipeline.run_pipeline(readings, 0.25, 0, 1.0)
    assert len(default["test_predictions"]) == 60, (
        f"run_pipeline(readings) forecast {len(default['test_predictions'])} held-out hours; its "
        "default test_size of 0.25 holds out 60 of 240"
    )
    assert_unchanged(
        explicit, default, what="run_pipeline(readings)",
        meaning="the defaults (test_size=0.25, seed=0, alpha=1.0) give a different run from "
        "passing them",
    )  # fmt: skip


def test_run_depends_on_its_seed_and_only_on_it(pipeline, readings):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(readings, TEST_SIZE, seed)["weights"],
        what="run_pipeline(readings, 0.25, seed)['weights']",
    )


def test_run_leaves_the_callers_table_untouched(pipeline, readings):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED), readings.copy(),
        what="run_pipeline",
    )  # fmt: skip


def test_test_size_sets_the_number_of_held_out_hours(pipeline, readings):
    result = pipeline.run_pipeline(readings, 0.1, SEED)
    assert len(result["test_predictions"]) == 24, (
        f"run_pipeline(readings, test_size=0.1) forecast {len(result['test_predictions'])} "
        "held-out hours of 240; a tenth is 24"
    )


def test_ridge_recovers_known_weights(pipeline):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 4.0
    w, b = pipeline.fit_ridge(X, y, alpha=1e-8)
    assert_close(w, [2.0, -1.0, 0.5], what="fit_ridge(X, y, alpha=1e-8) weights", rtol=1e-6)
    assert_close(b, 4.0, what="fit_ridge(X, y, alpha=1e-8) intercept", rtol=1e-6)


@pytest.mark.parametrize("alpha", [None, 30.0])
def test_ridge_shrinks_the_weights_by_its_penalty(pipeline, alpha):
    rng = np.random.default_rng(5)
    X = rng.normal(3.0, 2.0, size=(40, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 250.0 + rng.normal(0.0, 1.0, 40)  # an offset target
    got = pipeline.fit_ridge(X, y) if alpha is None else pipeline.fit_ridge(X, y, alpha=alpha)
    w, b = closed_form_ridge(X, y, 1.0 if alpha is None else alpha)
    label = "fit_ridge(X, y)" if alpha is None else f"fit_ridge(X, y, alpha={alpha:g})"
    assert_close(
        got[0],
        w,
        f"{label} weights",
        "ridge minimises the squared error plus "
        "alpha times the squared weights (default alpha 1.0)",
        rtol=1e-8,
    )
    assert_close(got[1], b, f"{label} intercept", "the intercept is not penalised", rtol=1e-8)


def test_rmse_hand_worked(pipeline):
    assert_close(pipeline.rmse([1.0, 2.0, 3.0], [1.0, 4.0, 3.0]), np.sqrt(4.0 / 3.0), what="rmse")


def test_split_defaults_hold_out_a_quarter_with_seed_0(pipeline):
    assert_unchanged(
        pipeline.train_test_split(240), pipeline.train_test_split(240, 0.25, 0),
        "train_test_split(240)", "the documented defaults test_size=0.25, seed=0 split otherwise",
    )  # fmt: skip
