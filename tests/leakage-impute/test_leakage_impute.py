"""The NO2 pipeline must fill sensor dropouts with what the training hours alone tell it.

The held-out hours stand in for tomorrow's readings: changing them must move nothing that was
fitted, and the score of one held-out hour must not depend on the other held-out hours.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_finite,
    assert_partition,
    assert_unchanged,
    perturb_rows,
    with_shuffled_index,
)

SEED = 0
TEST_SIZE = 0.25
LEAK = "information from the held-out hours reaches the fitted pipeline"


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
        meaning="the ridge model changed although only held-out hours changed: " + LEAK,
    )


def test_fill_values_ignore_held_out_rows(pipeline, readings):
    before = run(pipeline, readings)["fill_values"]
    after = run(pipeline, corrupted(pipeline, readings, held_out_labels(pipeline, readings)))
    assert_unchanged(
        before,
        after["fill_values"],
        what="run_pipeline(...)['fill_values']",
        meaning="the values used to fill dropouts changed although only held-out hours "
        "changed: " + LEAK,
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


def test_fill_values_are_the_training_medians(pipeline, readings):
    train_idx, _ = pipeline.train_test_split(len(readings), TEST_SIZE, SEED)
    train = readings.iloc[train_idx][pipeline.FEATURES]
    assert_close(
        run(pipeline, readings)["fill_values"],
        [np.nanmedian(train[c].to_numpy()) for c in pipeline.FEATURES],
        what="run_pipeline(...)['fill_values']",
        meaning="each dropout should be filled with the sensor's median over the training hours",
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


def test_split_partitions_rows(pipeline):
    train_idx, test_idx = pipeline.train_test_split(200, 0.25, seed=3)
    assert_partition(train_idx, test_idx, n_rows=200, n_test=50)


def test_ridge_recovers_known_weights(pipeline):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([2.0, -1.0, 0.5]) + 4.0
    w, b = pipeline.fit_ridge(X, y, alpha=1e-8)
    assert_close(w, [2.0, -1.0, 0.5], what="fit_ridge(X, y, alpha=1e-8) weights", rtol=1e-6)
    assert_close(b, 4.0, what="fit_ridge(X, y, alpha=1e-8) intercept", rtol=1e-6)


def test_rmse_hand_worked(pipeline):
    assert_close(pipeline.rmse([1.0, 2.0, 3.0], [1.0, 4.0, 3.0]), np.sqrt(4.0 / 3.0), what="rmse")
