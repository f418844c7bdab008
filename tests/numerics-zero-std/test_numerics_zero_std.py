"""A stuck sensor (a constant column) must not poison the greenhouse model.

The edge tests standardise and fit with a constant column under numpy's strict floating point
(division by zero and invalid operations raise); the rest pin down the scaler on ordinary
columns and the parts of the pipeline that are already right.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_finite, assert_partition, call_strict, with_shuffled_index

STUCK = 41.5  # the humidity sensor froze at this reading


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def readings(pipeline, stuck=None, seed=0):
    return with_shuffled_index(pipeline.make_readings(300, seed, stuck), seed=seed)


def features(pipeline, df):
    return df[pipeline.FEATURES].to_numpy(dtype=float)


def humidity(pipeline):
    return pipeline.FEATURES.index("humidity_pct")


def assert_standardised(Z, what):
    assert_close(Z.mean(axis=0), np.zeros(Z.shape[1]), f"column means of {what}", atol=1e-9)
    spread = Z.std(axis=0)
    n = len(Z)
    assert np.all((spread > np.sqrt((n - 1) / n) - 1e-9) & (spread < 1 + 1e-9)), (
        f"column standard deviations of {what} are {spread}; each should be 1"
    )


def test_scaler_standardises_ordinary_columns(pipeline):
    X = features(pipeline, readings(pipeline))
    assert_standardised(pipeline.StandardScaler().fit(X).transform(X), "transform(readings)")


@pytest.mark.edge
@pytest.mark.parametrize("value", [STUCK, 0.0])
def test_a_stuck_sensor_standardises_to_zeros(pipeline, value):
    X = features(pipeline, readings(pipeline, stuck=value))
    what = f"transform(readings with humidity stuck at {value})"
    Z = call_strict(lambda: pipeline.StandardScaler().fit(X).transform(X), what=what)
    assert_finite(Z, what, "one frozen sensor must not turn its features into nan")
    assert_close(Z[:, humidity(pipeline)], np.zeros(len(X)), f"the humidity column of {what}",
                 "a column that never moves is at its mean on every row", atol=1e-12)  # fmt: skip


def test_a_stuck_sensor_leaves_the_other_columns_alone(pipeline):
    X = features(pipeline, readings(pipeline, stuck=STUCK))
    others = [i for i in range(X.shape[1]) if i != humidity(pipeline)]
    with np.errstate(all="ignore"):  # judged by the other columns
        Z = pipeline.StandardScaler().fit(X).transform(X)
    assert_standardised(Z[:, others], "the working sensors' columns")


def test_a_stuck_sensor_keeps_its_reading_as_mean(pipeline):
    X = features(pipeline, readings(pipeline, stuck=STUCK))
    mean = pipeline.StandardScaler().fit(X).mean_[humidity(pipeline)]
    assert mean == pytest.approx(STUCK), f"the stuck sensor's mean_ is {mean}; it read {STUCK}"


@pytest.mark.edge
def test_readings_after_the_sensor_is_repaired_transform_finitely(pipeline):
    X_stuck = features(pipeline, readings(pipeline, stuck=STUCK))
    X_new = features(pipeline, readings(pipeline, seed=1))
    what = "transform(new readings) with a scaler fitted while humidity was stuck"
    Z = call_strict(lambda: pipeline.StandardScaler().fit(X_stuck).transform(X_new), what=what)
    assert_finite(Z, what, "once the sensor is repaired, its readings must not break the model")


def test_split_is_a_partition(pipeline):
    train_idx, test_idx = pipeline.train_test_split(300, 0.25, 0)
    assert_partition(train_idx, test_idx, 300, n_test=75)


def test_held_out_error_with_working_sensors(pipeline):
    error = pipeline.run_pipeline(readings(pipeline))["test_rmse"]
    assert error < 3.0, f"held-out RMSE is {error:.3f} kWh; the noise is 2 kWh"


@pytest.mark.edge
def test_predictions_are_finite_with_a_stuck_sensor(pipeline):
    results = call_strict(pipeline.run_pipeline, readings(pipeline, stuck=STUCK),
                          what="run_pipeline(readings with humidity stuck)")  # fmt: skip
    assert_finite(results["test_predictions"], "the held-out predictions",
                  "one frozen sensor must not blank out every prediction")  # fmt: skip
    assert_finite(results["weights"], "the ridge weights")


def test_held_out_error_with_a_stuck_sensor(pipeline):
    with np.errstate(all="ignore"):  # judged by the error
        error = pipeline.run_pipeline(readings(pipeline, stuck=STUCK))["test_rmse"]
    assert error < 3.0, (
        f"held-out RMSE with humidity stuck is {error} kWh; the four working sensors explain "
        "nearly all of the heating energy (noise 2 kWh)"
    )
