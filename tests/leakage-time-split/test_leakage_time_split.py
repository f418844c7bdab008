"""The nightly backtest of the store's demand forecast, from either export of the tills' uploads.

The exports are the files handed out in data/. The tests rebuild the daily totals and the
features independently, compare the two exports of the same uploads, and change only later days
(or only the held-out days) to check that nothing computed before them moves.
"""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_unchanged,
    mae,
    with_shuffled_index,
)

DATA = Path(__file__).resolve().parent / "data"
STORES = ["104", "221", "307"]
N_TEST = 28


@pytest.fixture(scope="module")
def sales_mod(kata):
    return kata("sales")


@pytest.fixture(scope="module")
def forecast(kata):
    return kata("forecast")


@pytest.fixture(scope="module")
def exports(sales_mod):
    """Each store's (daily extract, upload log), read with the job's own loader."""
    return {
        store: tuple(
            sales_mod.load_export(DATA / f"store_{store}_{kind}.csv")
            for kind in ("daily", "uploads")
        )
        for store in STORES
    }


@pytest.fixture(scope="module")
def extract(exports):
    return exports["104"][0]


@pytest.fixture(scope="module")
def log(exports):
    return exports["104"][1]


def totals(export):
    """The total of each day's latest upload, by date, worked out row by row."""
    latest = {}
    for row in export.itertuples(index=False):
        day = pd.to_datetime(row.day, format="%d.%m.%Y")
        if day not in latest or row.uploaded_at >= latest[day][0]:
            latest[day] = (row.uploaded_at, float(row.units))
    return pd.Series({day: units for day, (_, units) in latest.items()}).sort_index()


def reference_features(units):
    """lag_1, lag_7, mean_7 and weekend of each day with a full week of history, by date."""
    frame = pd.DataFrame(
        {
            "lag_1": units.shift(1, freq="D"),
            "lag_7": units.shift(7, freq="D"),
            "mean_7": units.shift(1, freq="D").rolling("7D").mean(),
        }
    ).reindex(units.index)
    frame.loc[frame.index < units.index[0] + pd.Timedelta(days=7), :] = np.nan
    frame["weekend"] = (frame.index.day_of_week >= 5).astype(float)
    return frame.dropna()


def later_days_changed(export, day):
    """``export`` with the totals of every upload of ``day`` and later days multiplied by 3."""
    out = export.copy()
    rows = pd.to_datetime(out["day"], format="%d.%m.%Y") >= pd.Timestamp(day)
    out.loc[rows, "units"] = 3 * out.loc[rows, "units"]
    return out


def by_date(result):
    return pd.Series(result["test_forecasts"], index=pd.to_datetime(result["test_dates"]))


# -- loading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["daily", "uploads"])
def test_load_export_reads_every_upload_as_written(sales_mod, kind):
    path = DATA / f"store_104_{kind}.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    export = sales_mod.load_export(path)
    assert len(export) == len(rows), (
        f"load_export({path.name}) gave {len(export)} of its {len(rows)} rows"
    )
    for column in ("day", "uploaded_at", "units"):
        assert column in export.columns, f"load_export({path.name}) has no column {column!r}"
    assert list(export["day"]) == [r["day"] for r in rows], (
        f"load_export({path.name}) does not give each upload's day as written in the file"
    )
    assert list(export["uploaded_at"]) == [r["uploaded_at"] for r in rows], (
        f"load_export({path.name}) does not give each upload's time as written in the file"
    )
    want = np.array([float(r["units"].replace(",", ".")) for r in rows])
    got = export["units"].to_numpy(dtype=float)
    wrong = np.flatnonzero(~np.isclose(got, want))
    assert not len(wrong), (
        f"load_export({path.name}) reads {len(wrong)} of {len(rows)} totals wrong, e.g. row "
        f"{wrong[0]}: {got[wrong[0]]} for {rows[wrong[0]]['units']!r}"
    )


def test_load_sales_keeps_the_latest_total_of_each_day(sales_mod, log, extract):
    for name, export in {"the upload log": log, "the daily extract": extract}.items():
        daily = sales_mod.daily_totals(export)
        got = daily.set_index("date")["units"].sort_index()
        want = totals(export)
        assert list(got.index) == list(want.index), (
            f"daily_totals({name}) gave {len(got)} rows for {len(want)} distinct days"
        )
        wrong = got.index[~np.isclose(got.to_numpy(), want.to_numpy())]
        assert not len(wrong), (
            f"daily_totals({name}) gave {len(wrong)} day(s) a total other than their latest "
            f"upload's, e.g. {wrong[0].date()}: {got[wrong[0]]:.1f} instead of "
            f"{want[wrong[0]]:.1f}"
        )


def test_load_sales_does_not_depend_on_how_the_rows_are_listed(sales_mod, log):
    first = sales_mod.daily_totals(log).set_index("date")["units"].sort_index()
    again = sales_mod.daily_totals(with_shuffled_index(log, seed=4))
    again = again.set_index("date")["units"].sort_index()
    assert_unchanged(first, again, "the daily totals", "the same uploads, listed in another order")


# -- the backtest ---------------------------------------------------------------------------------


def test_the_upload_log_and_the_extract_give_the_same_backtest(forecast, exports):
    for store, (extract, log) in exports.items():
        a, b = forecast.run_pipeline(extract, N_TEST), forecast.run_pipeline(log, N_TEST)
        fa, fb = by_date(a), by_date(b)
        same_days = list(fa.index) == list(fb.index)
        differ = (
            int(np.sum(~np.isclose(fa.to_numpy(), fb.to_numpy(), rtol=1e-7))) if same_days else 0
        )
        assert same_days and differ == 0 and np.isclose(a["train_mae"], b["train_mae"]), (
            f"at store {store}, the upload log gives a held-out MAE of {b['test_mae']:.2f} "
            f"(training MAE {b['train_mae']:.2f}), the daily extract of the same uploads "
            f"{a['test_mae']:.2f} ({a['train_mae']:.2f})"
            + (f"; {differ} of {len(fa)} forecasts differ" if same_days else "")
        )


def test_a_forecast_ignores_the_sales_of_later_days(forecast, log):
    before = forecast.run_pipeline(log, N_TEST)
    first = pd.Timestamp(before["test_dates"][0])
    after = forecast.run_pipeline(later_days_changed(log, first + pd.Timedelta(days=1)), N_TEST)
    assert_unchanged(
        before["test_forecasts"][0],
        after["test_forecasts"][0],
        f"on the upload log, the forecast for {first.date()}",
        "only the totals of later days were changed",
    )


def test_the_model_ignores_the_held_out_days(forecast, log):
    before = forecast.run_pipeline(log, N_TEST)
    first = pd.Timestamp(before["test_dates"][0])
    after = forecast.run_pipeline(later_days_changed(log, first), N_TEST)
    assert_unchanged(
        {"weights": before["weights"], "bias": before["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        "run_pipeline(upload log)",
        f"only the totals of the held-out days (from {first.date()}) were changed",
    )


def test_features_are_the_sales_of_the_days_before(sales_mod, forecast, extract):
    feats = forecast.add_features(sales_mod.daily_totals(extract)).set_index("date").sort_index()
    feats = feats[forecast.FEATURES]
    expected = reference_features(totals(extract))[forecast.FEATURES]
    assert list(feats.index) == list(expected.index), (
        f"from the daily extract, add_features gives {len(feats)} days from "
        f"{feats.index[0].date()}; the days with a full week of history are the "
        f"{len(expected)} from {expected.index[0].date()}"
    )
    wrong = ~np.isclose(feats.to_numpy(dtype=float), expected.to_numpy(dtype=float), rtol=1e-9)
    days = feats.index[wrong.any(axis=1)]
    assert not wrong.any(), (
        f"from the daily extract, the features of {len(days)} of {len(feats)} days are not "
        f"yesterday's total, the total a week before, the mean of the 7 previous days and the "
        f"weekend flag, e.g. {days[0].date()}: "
        f"{np.round(feats.loc[days[0]].to_numpy(dtype=float), 2).tolist()} against "
        f"{np.round(expected.loc[days[0]].to_numpy(dtype=float), 2).tolist()}"
    )


@pytest.mark.parametrize("n_test", [28, 10])
def test_reported_figures_are_the_returned_model_on_the_right_days(
    sales_mod, forecast, extract, n_test
):
    result = forecast.run_pipeline(extract, n_test)
    feats = forecast.add_features(sales_mod.daily_totals(extract)).sort_values("date")
    train, test = feats.iloc[:-n_test], feats.iloc[-n_test:]
    assert list(pd.to_datetime(result["test_dates"])) == list(test["date"]), (
        f"run_pipeline held out {len(result['test_dates'])} days from "
        f"{pd.Timestamp(result['test_dates'][0]).date()}; the latest {n_test} days with "
        f"features run from {test['date'].iloc[0].date()}"
    )
    A = np.column_stack([np.ones(len(train)), train[forecast.FEATURES].to_numpy(dtype=float)])
    coef = np.linalg.lstsq(A, train["units"].to_numpy(dtype=float), rcond=None)[0]
    assert_close(result["weights"], coef[1:], "run_pipeline(...)['weights']", rtol=1e-6)
    assert_close(result["bias"], coef[0], "run_pipeline(...)['bias']", rtol=1e-6)
    forecasts = test[forecast.FEATURES].to_numpy(dtype=float) @ coef[1:] + coef[0]
    assert_close(
        result["test_forecasts"], forecasts, "run_pipeline(...)['test_forecasts']", rtol=1e-6
    )
    train_pred = A @ coef
    assert_figures(
        result,
        {"train_mae": mae(train["units"], train_pred), "test_mae": mae(test["units"], forecasts)},
        what="run_pipeline(...)",
    )


def test_forecasts_beat_yesterdays_sales(forecast, sales_mod, extract):
    result = forecast.run_pipeline(extract, N_TEST)
    units = totals(extract)
    naive = mae(units.iloc[-N_TEST:].to_numpy(), units.shift(1).iloc[-N_TEST:].to_numpy())
    assert result["test_mae"] < 0.8 * naive, (
        f"the held-out MAE is {result['test_mae']:.2f} units; repeating yesterday's total "
        f"errs by {naive:.2f}"
    )


def test_time_split_holds_out_the_latest_days(forecast, sales_mod, log):
    frame = with_shuffled_index(forecast.add_features(sales_mod.daily_totals(log)), seed=2)
    train, test = forecast.time_split(frame, N_TEST)
    assert len(test) == N_TEST and len(train) == len(frame) - N_TEST, (
        f"time_split gave {len(train)} training and {len(test)} held-out days of {len(frame)}"
    )
    assert train["date"].max() < test["date"].min(), (
        f"training days run to {train['date'].max().date()} but held-out days start on "
        f"{test['date'].min().date()}"
    )
    _, default = forecast.time_split(frame)
    assert len(default) == 28, f"time_split(frame) held out {len(default)} days; its default is 28"


@pytest.mark.edge
def test_a_single_held_out_day(forecast, extract):
    result = forecast.run_pipeline(extract, n_test_days=1)
    latest = totals(extract).index.max()
    assert len(result["test_forecasts"]) == 1 and pd.Timestamp(result["test_dates"][0]) == latest, (
        f"run_pipeline(extract, n_test_days=1) forecast {len(result['test_forecasts'])} day(s) "
        f"from {pd.Timestamp(result['test_dates'][0]).date()}; the latest day is {latest.date()}"
    )


def test_linear_regression_recovers_known_weights_and_offset(forecast):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3)) + 40.0
    w, b = forecast.fit_linear_regression(X, X @ np.array([1.5, -2.0, 0.5]) + 300.0)
    assert_close(w, [1.5, -2.0, 0.5], what="fit_linear_regression weights", rtol=1e-6)
    assert_close(b, 300.0, what="fit_linear_regression bias", rtol=1e-6)


def test_defaults_hold_out_28_days(forecast, extract):
    assert_unchanged(
        forecast.run_pipeline(extract, 28), forecast.run_pipeline(extract),
        "run_pipeline(extract)", "the default n_test_days=28 gives another run",
    )  # fmt: skip


def test_add_features_drops_only_the_first_week_and_keeps_the_columns(forecast, sales_mod, log):
    daily = sales_mod.daily_totals(log)
    daily["promo"] = np.where(np.arange(len(daily)) % 3 == 0, np.nan, 1.0)  # sparse extra column
    out = assert_inputs_untouched(forecast.add_features, daily, what="add_features")
    assert len(out) == 193, (
        f"add_features kept {len(out)} of 200 days; only the first 7, which lack a full week "
        "of history, are dropped"
    )
    missing = [c for c in [*daily.columns, *forecast.FEATURES] if c not in out.columns]
    assert not missing, f"add_features lost the column(s) {missing}"


def test_run_leaves_the_callers_export_untouched(forecast, log):
    assert_inputs_untouched(
        lambda df: forecast.run_pipeline(df, N_TEST), log.copy(), what="run_pipeline"
    )
