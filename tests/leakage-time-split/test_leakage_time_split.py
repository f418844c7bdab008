"""A forecast for a day may use only what was known before that day.

Each test changes what a forecaster that respects time must not notice (the same day or later
days, or which copy of the data it reads) and checks that nothing before that point moved.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_unchanged,
    mae,
    perturb_rows,
    with_shuffled_index,
)

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
    """The same 200 days as the nightly export delivers them."""
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
        what="the nightly export's features for the days up to 2024-05-01",
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
        meaning="the model changed when only the held-out days changed, and it is never "
        "trained on them",
    )


def test_the_export_and_the_analysts_copy_give_the_same_forecasts(pipeline, in_date_order, export):
    analyst = pipeline.run_pipeline(in_date_order, N_TEST)
    nightly = pipeline.run_pipeline(export, N_TEST)
    a = pd.Series(analyst["test_forecasts"], index=pd.to_datetime(analyst["test_dates"]))
    b = pd.Series(nightly["test_forecasts"], index=pd.to_datetime(nightly["test_dates"]))
    same_days = list(a.index) == list(b.index)
    gap = float(np.max(np.abs(a.to_numpy() - b.to_numpy()))) if same_days else float("nan")
    differ = int(np.sum(~np.isclose(a.to_numpy(), b.to_numpy(), rtol=1e-7))) if same_days else 0
    assert same_days and differ == 0, (
        f"the nightly export forecasts {len(b)} held-out days from {b.index[0].date()}, the "
        f"analyst's copy of the same days {len(a)} from {a.index[0].date()}"
        + (f", and {differ} forecasts differ (by up to {gap:.3g} units)" if same_days else "")
    )


def test_features_match_their_definitions(pipeline, export):
    feats = features_by_date(pipeline, export)
    expected = reference_features(export)[pipeline.FEATURES]
    same_days = list(feats.index) == list(expected.index)
    assert same_days, (
        f"the nightly export's feature table covers {len(feats)} days from "
        f"{feats.index[0].date()}; the days with a full week of history before them are the "
        f"{len(expected)} from {expected.index[0].date()}"
    )
    wrong = ~np.isclose(feats.to_numpy(dtype=float), expected.to_numpy(dtype=float), rtol=1e-9)
    days = feats.index[wrong.any(axis=1)]
    assert not wrong.any(), (
        f"the nightly export's features differ from yesterday's sales, the sales a week before, the mean "
        f"of the 7 previous days and the weekend flag on {len(days)} of {len(feats)} days, e.g. "
        f"{days[0].date()}: {np.round(feats.loc[days[0]].to_numpy(dtype=float), 3).tolist()} "
        f"against {np.round(expected.loc[days[0]].to_numpy(dtype=float), 3).tolist()}"
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
    assert len(result["test_forecasts"]) == 1, (
        f"run_pipeline(export, n_test_days=1) made {len(result['test_forecasts'])} forecasts"
    )
    assert pd.Timestamp(result["test_dates"][0]) == export["date"].max(), (
        f"with n_test_days=1 the held-out day is {pd.Timestamp(result['test_dates'][0]).date()}, "
        f"not the most recent day {export['date'].max().date()}"
    )


def test_linear_regression_recovers_known_weights(pipeline):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    w, b = pipeline.fit_linear_regression(X, X @ np.array([1.5, -2.0, 0.5]) + 3.0)
    assert_close(w, [1.5, -2.0, 0.5], what="fit_linear_regression weights", rtol=1e-7)
    assert_close(b, 3.0, what="fit_linear_regression bias", rtol=1e-7)


def reference_features(df):
    """lag_1, lag_7, mean_7 and weekend of every day with a full week of history, by date."""
    units = df.set_index("date")["units"].sort_index()
    frame = pd.DataFrame(
        {
            "lag_1": units.shift(1, freq="D"),
            "lag_7": units.shift(7, freq="D"),
            "mean_7": units.shift(1, freq="D").rolling("7D").mean(),
        }
    ).reindex(units.index)
    frame.loc[frame.index < units.index[0] + pd.Timedelta(days=7), :] = np.nan
    frame["weekend"] = (frame.index.day_of_week >= 5).astype(float)
    frame["units"] = units
    return frame.dropna()


@pytest.mark.parametrize("n_test", [28, 10])
def test_reported_figures_are_the_returned_model_on_the_right_days(pipeline, export, n_test):
    result = pipeline.run_pipeline(export, n_test)
    feats = pipeline.add_features(export).sort_values("date")
    train, test = feats.iloc[:-n_test], feats.iloc[-n_test:]
    same_days = list(pd.to_datetime(result["test_dates"])) == list(test["date"])
    assert same_days, (
        f"run_pipeline held out {len(result['test_dates'])} days from "
        f"{pd.Timestamp(result['test_dates'][0]).date()}; the latest {n_test} days of "
        f"add_features(export) run from {test['date'].iloc[0].date()}"
    )
    A = np.column_stack([np.ones(len(train)), train[pipeline.FEATURES].to_numpy(dtype=float)])
    coef = np.linalg.lstsq(A, train["units"].to_numpy(dtype=float), rcond=None)[0]
    assert_close(
        result["weights"],
        coef[1:],
        "run_pipeline(...)['weights']",
        "the least-squares weights of the training days' features",
        rtol=1e-6,
    )
    assert_close(result["bias"], coef[0], "run_pipeline(...)['bias']", rtol=1e-6)
    X_test = test[pipeline.FEATURES].to_numpy(dtype=float)
    forecasts = X_test @ result["weights"] + result["bias"]
    assert_close(
        result["test_forecasts"],
        forecasts,
        "run_pipeline(...)['test_forecasts']",
        "they are not the returned model's forecasts of the held-out days",
        rtol=1e-9,
    )
    train_pred = train[pipeline.FEATURES].to_numpy(dtype=float) @ result["weights"] + result["bias"]
    assert_figures(
        result,
        {"train_mae": mae(train["units"], train_pred), "test_mae": mae(test["units"], forecasts)},
        what="run_pipeline(...)",
        rtol=1e-9,
    )


def test_defaults_hold_out_28_days(pipeline, export):
    assert_unchanged(
        pipeline.run_pipeline(export, 28), pipeline.run_pipeline(export), "run_pipeline(export)",
        "the default n_test_days=28 gives a different run from passing it",
    )  # fmt: skip
    _, test = pipeline.time_split(pipeline.add_features(export))
    assert len(test) == 28, f"time_split(frame) held out {len(test)} days; its default is 28"


def test_add_features_drops_only_the_first_week_and_keeps_the_columns(pipeline, export):
    df = export.copy()
    df["promo"] = np.where(np.arange(len(df)) % 3 == 0, np.nan, 1.0)  # a sparse extra column
    out = assert_inputs_untouched(pipeline.add_features, df, what="add_features")
    assert len(out) == 193, (
        f"add_features kept {len(out)} of 200 days; only the first 7, which lack a full week of "
        "history, are dropped"
    )
    missing = [c for c in [*df.columns, *pipeline.FEATURES] if c not in out.columns]
    assert not missing, f"add_features lost the column(s) {missing}"


def test_run_leaves_the_callers_table_untouched(pipeline, export):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, N_TEST), export.copy(), what="run_pipeline"
    )
