"""RMSE and MAE for delivery-time predictions: hand-worked values, identities and bad inputs.

RMSE squares the errors, averages them, then takes one square root, so it is never below MAE
and is strictly above it whenever the errors differ in size. Inputs that cannot be paired one
prediction to one target (nothing at all, or different lengths) must be refused, not averaged.
"""

import math
import warnings

import numpy as np
import pytest
from katakit import assert_close, assert_figures, assert_inputs_untouched, mae, rmse

METRICS = ["mean_absolute_error", "root_mean_squared_error"]


@pytest.fixture(scope="module")
def metrics(kata):
    return kata("metrics")


@pytest.fixture(scope="module")
def deliveries(metrics):
    return metrics.make_deliveries(n_rows=200, seed=0)


def value_error_from(call, what, meaning):
    """The ValueError ``call()`` raises; an AssertionError narrating what came back otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a nan computed from bad input is reported below
        try:
            result = call()
        except ValueError as error:
            return error
    raise AssertionError(f"{what} returned {result!r} instead of raising ValueError: {meaning}")


def test_rmse_of_a_hand_worked_case(metrics):
    # Errors of 1, 1, 1 and 5 minutes: squared 1, 1, 1, 25; mean 7; root sqrt(7) = 2.6458.
    got = metrics.root_mean_squared_error([20.0, 30.0, 40.0, 50.0], [21.0, 29.0, 41.0, 45.0])
    assert_close(
        got, math.sqrt(7.0), "root_mean_squared_error for errors of 1, 1, 1 and 5 minutes",
        "worked by hand from its definition the RMSE is 2.6458, and the mean absolute error of "
        "the same four deliveries is 2.0",
    )  # fmt: skip


def test_mae_of_a_hand_worked_case(metrics):
    mae = metrics.mean_absolute_error([20.0, 30.0, 40.0, 50.0], [21.0, 29.0, 41.0, 45.0])
    assert_close(mae, 2.0, "mean_absolute_error for errors of 1, 1, 1 and 5 minutes")


def test_rmse_of_one_delivery_is_its_absolute_error(metrics):
    assert_close(metrics.root_mean_squared_error([30.0], [36.5]), 6.5, "RMSE of a 6.5-minute miss")


def test_rmse_is_above_mae_when_errors_differ_in_size(metrics, deliveries):
    y_true = deliveries[metrics.TARGET].to_numpy(dtype=float)
    y_pred = 10.0 + 3.0 * deliveries["distance_km"].to_numpy(dtype=float)
    got_rmse = metrics.root_mean_squared_error(y_true, y_pred)
    got_mae = metrics.mean_absolute_error(y_true, y_pred)
    assert got_rmse > got_mae + 1e-9, (
        f"on 200 deliveries the RMSE is {got_rmse:.4f} and the MAE {got_mae:.4f}; errors of "
        f"different sizes give an RMSE strictly above their MAE (computed independently: "
        f"{rmse(y_true, y_pred):.4f}): the reported RMSE does not weigh the late deliveries more"
    )
    assert_close(got_rmse, rmse(y_true, y_pred), "root_mean_squared_error on the 200 deliveries")


def test_rmse_equals_mae_when_every_error_has_the_same_size(metrics):
    y_true = np.array([10.0, 20.0, 30.0, 40.0])
    y_pred = y_true + np.array([3.0, -3.0, 3.0, -3.0])
    assert_close(metrics.root_mean_squared_error(y_true, y_pred), 3.0, "RMSE of errors +-3")
    assert_close(metrics.mean_absolute_error(y_true, y_pred), 3.0, "MAE of errors +-3")


@pytest.mark.parametrize("name", METRICS)
def test_metrics_do_not_depend_on_row_order(metrics, deliveries, name):
    metric = getattr(metrics, name)
    y_true = deliveries[metrics.TARGET].to_numpy(dtype=float)
    y_pred = metrics.predict_minutes(deliveries)
    order = np.random.default_rng(1).permutation(len(y_true))
    assert_close(
        metric(y_true[order], y_pred[order]), metric(y_true, y_pred),
        f"{name} after shuffling the (target, prediction) pairs", "an average over rows has no order",
    )  # fmt: skip


def test_rule_of_thumb_is_ten_minutes_plus_three_per_km(metrics):
    trips = metrics.make_deliveries(n_rows=6, seed=3)
    trips["distance_km"] = [0.0, 1.0 / 3.0, 2.5, 7.0, 12.1, 30.0]
    assert_close(
        metrics.predict_minutes(trips), 10.0 + 3.0 * trips["distance_km"].to_numpy(),
        "predict_minutes for 0, 1/3, 2.5, 7, 12.1 and 30 km",
        "the dispatchers' rule is ten minutes to leave and three per kilometre", rtol=1e-12,
    )  # fmt: skip


def test_pipeline_reports_both_errors_in_minutes(metrics, deliveries):
    report = assert_inputs_untouched(metrics.run_pipeline, deliveries, what="run_pipeline")
    y_true = deliveries[metrics.TARGET].to_numpy(dtype=float)
    y_pred = 10.0 + 3.0 * deliveries["distance_km"].to_numpy(dtype=float)
    assert report["n_deliveries"] == 200, (
        f"run_pipeline counted {report['n_deliveries']} deliveries"
    )
    assert_figures(
        report, {"mae": mae(y_true, y_pred), "rmse": rmse(y_true, y_pred)}, "run_pipeline(...)",
        rtol=1e-12,
    )  # fmt: skip


def test_errors_of_seconds_on_epoch_timestamps_keep_their_size(metrics):
    # Arrival times in seconds since 1970: a float32 step there is 128 s.
    y_true = 1.7e9 + np.array([0.0, 600.0, 1200.0, 1800.0])
    y_pred = y_true + np.array([1.0, -1.0, 1.0, -5.0])
    assert_close(
        metrics.root_mean_squared_error(y_true, y_pred), math.sqrt(7.0),
        "root_mean_squared_error of arrival times (seconds since 1970) missed by 1, 1, 1 and 5 s",
        "the error of a few seconds is lost on values of 1.7e9", rtol=1e-9,
    )  # fmt: skip
    assert_close(
        metrics.mean_absolute_error(y_true, y_pred), 2.0,
        "mean_absolute_error of arrival times (seconds since 1970) missed by 1, 1, 1 and 5 s",
        "the error of a few seconds is lost on values of 1.7e9", rtol=1e-9,
    )  # fmt: skip


@pytest.mark.edge
@pytest.mark.parametrize("name", METRICS)
def test_empty_input_is_refused(metrics, name):
    error = value_error_from(
        lambda: getattr(metrics, name)([], []), f"{name}([], [])",
        "an average error over no deliveries has no value, and nan would flow silently into a "
        "dashboard",
    )  # fmt: skip
    assert str(error), f"{name}([], []) raised a ValueError with an empty message"


@pytest.mark.edge
@pytest.mark.parametrize("name", METRICS)
@pytest.mark.parametrize("n_true, n_pred", [(5, 1), (1, 5), (4, 3)])
def test_unequal_lengths_are_refused(metrics, name, n_true, n_pred):
    y_true = np.arange(10.0, 10.0 + n_true)
    y_pred = np.full(n_pred, 12.0)
    value_error_from(
        lambda: getattr(metrics, name)(y_true, y_pred),
        f"{name}(y_true of {n_true} values, y_pred of {n_pred} values)",
        "targets and predictions do not pair up one to one, so numpy compared every prediction "
        "with every target and the error describes no real delivery",
    )


@pytest.mark.edge
@pytest.mark.parametrize("column", ["y_pred", "y_true"])
def test_column_vectors_are_paired_row_by_row(metrics, column):
    y_true = np.array([20.0, 30.0, 40.0, 50.0])
    y_pred = np.array([21.0, 29.0, 41.0, 45.0])
    if column == "y_pred":
        y_pred = y_pred[:, None]  # (4, 1), as a model's predict may return
    else:
        y_true = y_true[:, None]  # (4, 1), as df[["minutes"]].to_numpy() returns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = metrics.root_mean_squared_error(y_true, y_pred)
        except ValueError:
            return  # refusing a (4,) against (4, 1) pair is fine too
    assert_close(
        got, math.sqrt(7.0),
        f"root_mean_squared_error(y_true of shape {y_true.shape}, y_pred of shape {y_pred.shape})",
        "errors of 1, 1, 1 and 5 minutes give 2.6458; the four predictions were not compared with "
        "their own four targets only",
    )  # fmt: skip
