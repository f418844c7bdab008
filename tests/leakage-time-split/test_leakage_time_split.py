"""A forecast for a day may use only what was known before that day, whatever the row order.

The exports arrive in upload order (shuffled, labelled by upload id). Each test changes what a
forecaster that respects time must not notice (the same day or later days, or the row order)
and checks that nothing before that point moved.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import assert_close, assert_unchanged, perturb_rows, with_shuffled_index

N_TEST = 28
FROM_THE_FUTURE = "information from later days reaches a forecast made before them"


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def in_date_order(pipeline):
    return pipeline.make_demand(n_days=200, seed=0)


@pytest.fixture(scope="module")
def export(in_date_order):
    """The same 200 days as they arrive: shuffled rows, labelled by upload id."""
    return with_shuffled_index(in_date_order, seed=1)


def from_day(df, day):
    """``df`` with the sales of ``day`` and every later day corrupted (x100 + 1000)."""
    return perturb_rows(df, df.index[df["date"] >= pd.Timestamp(day)], columns=["units"])


def features_by_date(pipeline, df):
    return pipeline.add_features(df).set_index("date")[pipeline.FEATURES].sort_index()


def test_features_ignore_that_day_and_later_days(pipeline, export):
    day = pd.Timestamp("2024-05-01")
    before = features_by_date(pipeline, export).loc[:day]
    after = features_by_date(pipeline, from_day(export, day)).loc[:day]
    assert_unchanged(
        before,
        after,
        what="add_features(export) for the days up to 2024-05-01",
        meaning="they changed when only the sales of 2024-05-01 and later changed: "
        + FROM_THE_FUTURE,
    )


def test_first_forecast_ignores_later_days(pipeline, export):
    result = pipeline.run_pipeline(export, N_TEST)
    first = pd.Timestamp(result["test_dates"][0])
    after = pipeline.run_pipeline(from_day(export, first + pd.Timedelta(days=1)), N_TEST)
    assert_unchanged(
        result["test_forecasts"][0],
        after["test_forecasts"][0],
        what=f"the forecast for the first held-out day, {first.date()}",
        meaning="it moved when only the sales of later days changed: " + FROM_THE_FUTURE,
    )


def test_model_ignores_the_held_out_period(pipeline, export):
    before = pipeline.run_pipeline(export, N_TEST)
    first = pd.Timestamp(before["test_dates"][0])
    after = pipeline.run_pipeline(from_day(export, first), N_TEST)
    assert_unchanged(
        {"weights": before["weights"], "bias": before["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        what="run_pipeline(export) fitted parameters",
        meaning="the model changed when only the held-out days changed: the training rows "
        "carry information from the held-out period",
    )


def test_row_order_of_the_export_does_not_matter(pipeline, in_date_order, export):
    ordered = pipeline.run_pipeline(in_date_order, N_TEST)
    shuffled = pipeline.run_pipeline(export, N_TEST)
    assert_close(
        shuffled["test_forecasts"],
        ordered["test_forecasts"],
        what="the held-out forecasts from the shuffled export",
        meaning="the same days with the same sales give different forecasts when the rows "
        "arrive in another order",
        rtol=1e-7,
    )


def test_features_match_their_definitions(pipeline, export):
    feats = features_by_date(pipeline, export)
    units = export.set_index("date")["units"].sort_index()
    day = pd.Timestamp("2024-03-15")  # a Friday
    week = units.loc[day - pd.Timedelta(days=7) : day - pd.Timedelta(days=1)]
    expected = [units.loc[day - pd.Timedelta(days=1)], units.loc[day - pd.Timedelta(days=7)]]
    assert_close(
        feats.loc[day].to_numpy(),
        [*expected, week.mean(), 0.0],
        what="add_features(export) on 2024-03-15 (lag_1, lag_7, mean_7, weekend)",
        meaning="expected yesterday's sales, the sales a week before, the mean of the 7 previous "
        "days and 0 for a Friday",
    )


def test_time_split_holds_out_the_latest_days(pipeline, export):
    train, test = pipeline.time_split(export, N_TEST)
    assert len(test) == N_TEST and len(train) == len(export) - N_TEST, (
        f"time_split gave {len(train)} training and {len(test)} held-out days"
    )
    assert train["date"].max() < test["date"].min(), (
        f"training days run to {train['date'].max().date()} but held-out days start on "
        f"{test['date'].min().date()}: the held-out days are not the most recent ones"
    )


def test_forecasts_beat_a_naive_baseline(pipeline, in_date_order):
    result = pipeline.run_pipeline(in_date_order, N_TEST)
    assert result["test_mae"] < 9.0, (
        f"held-out MAE is {result['test_mae']:.2f} units; lagged sales and the weekend flag "
        "support a mean absolute error below 9"
    )


@pytest.mark.edge
def test_a_single_held_out_day(pipeline, export):
    result = pipeline.run_pipeline(export, n_test_days=1)
    assert len(result["test_forecasts"]) == 1
    assert pd.Timestamp(result["test_dates"][0]) == export["date"].max(), (
        "with n_test_days=1 the held-out day should be the most recent day"
    )


def test_linear_regression_recovers_known_weights(pipeline):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    w, b = pipeline.fit_linear_regression(X, X @ np.array([1.5, -2.0, 0.5]) + 3.0)
    assert_close(w, [1.5, -2.0, 0.5], what="fit_linear_regression weights", rtol=1e-7)
    assert_close(b, 3.0, what="fit_linear_regression bias", rtol=1e-7)
