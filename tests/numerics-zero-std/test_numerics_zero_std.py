"""The bakery chain's forecasting job, end to end: clean the export, split, features, scale, fit
one ridge per store, forecast and report.

The cleaning, the split, the features, the scaler, the ridge fit, every reported figure and the
forecasts of every store are checked against independent computations. The exports are the
files handed out in data/.
"""

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_inputs_untouched,
    assert_seeded_split,
    assert_unchanged,
    with_shuffled_index,
)

DATA = Path(__file__).resolve().parent / "data"
EXPORTS = ["tills_2024_h1.csv", "tills_2024_q3.csv"]
KEYS = {"models", "test", "by_store", "chain_mae"}
NOISE_MAE = 12.0 * np.sqrt(2 / np.pi)  # the MAE of a perfect model: sales noise of 12 loaves


@pytest.fixture(scope="module")
def sales(kata):
    return kata("sales")


@pytest.fixture(scope="module")
def forecast(kata):
    return kata("forecast")


@pytest.fixture(scope="module")
def export(sales):
    return sales.read_export(DATA / EXPORTS[0])


@pytest.fixture(scope="module")
def job(forecast, export):
    return forecast.run_job(export)


def same(actual, expected, what, meaning, rtol=1e-9):
    """Equal within rtol, nan where the other is nan (the figure and its recomputation agree)."""
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual.shape != expected.shape or not np.allclose(
        actual, expected, rtol=rtol, atol=1e-9, equal_nan=True
    ):
        raise AssertionError(
            f"{what} is {np.round(actual, 4).tolist()}; recomputed it is "
            f"{np.round(expected, 4).tolist()}: {meaning}"
        )


def by_hand(days):
    """temp_c, rain_mm, promo, then an indicator of each weekday, Monday first."""
    weekday = days["weekday"].to_numpy()
    indicators = [(weekday == d).astype(float) for d in range(7)]
    return np.column_stack([days[["temp_c", "rain_mm", "promo"]].to_numpy(float), *indicators])


def standardised(X, scaler):
    """X (n, d) standardised with a fitted scaler's mean_ and scale_, whatever they hold; a
    reading at the mean of a column whose scale_ is 0 standardises to 0."""
    centred = X - np.asarray(scaler.mean_, dtype=float)
    scale = np.asarray(scaler.scale_, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):  # the figures are judged elsewhere
        return np.where((centred == 0) & (scale == 0), 0.0, centred / scale)


def ridge_slope(X, y, w, b, alpha):
    """The slope of ||X w + b - y||^2 + alpha ||w||^2 at (w, b): zero at the ridge fit."""
    residual = X @ w + b - y
    return np.append(X.T @ residual + alpha * w, residual.sum())


# -- the export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXPORTS)
def test_the_export_is_read_as_the_tills_wrote_it(sales, name):
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    raw = sales.read_export(DATA / name)
    assert len(raw) == len(rows), (
        f"read_export(data/{name}) gave {len(raw)} of its {len(rows)} rows"
    )
    for column in ("store", "date", "promo"):
        got = raw[column].tolist()
        assert got == [r[column] for r in rows], (
            f"read_export(data/{name})[{column!r}] is not the file's {column} as written, "
            f"e.g. {got[0]!r}"
        )
    for column in ("temp_c", "rain_mm", "loaves"):
        want = np.array([float(r[column]) if r[column] else np.nan for r in rows])
        got = raw[column].to_numpy(dtype=float)
        wrong = np.flatnonzero(~np.isclose(got, want, equal_nan=True))
        assert not len(wrong), (
            f"read_export(data/{name}) reads {len(wrong)} {column} value(s) wrong, e.g. row "
            f"{wrong[0]}: {got[wrong[0]]} for {rows[wrong[0]][column]!r}"
        )


def test_the_export_is_cleaned_into_typed_trading_days(sales):
    raw = pd.DataFrame(
        {
            "store": ["B", "A", "A", "B", "A", "B"],
            "date": [f"2024-03-0{d}" for d in (5, 4, 5, 4, 6, 6)],  # 4 March 2024: a Monday
            "temp_c": [np.nan, 6.0, 8.0, 5.0, np.nan, 9.5],
            "rain_mm": [0.0, 1.2, 0.0, 1.2, 3.0, 3.0],
            "promo": ["Y", "N", "N", "Y", "Y", "N"],
            "loaves": [120.0, 300.0, np.nan, 140.0, 280.0, 150.0],
        },
        index=[31, 17, 52, 8, 44, 23],
    )
    days = assert_inputs_untouched(sales.load_export, raw, what="load_export(export)")
    expected = pd.DataFrame(
        {
            "store": ["A", "A", "B", "B", "B"],
            "date": pd.to_datetime([f"2024-03-0{d}" for d in (4, 6, 4, 5, 6)]),
            "weekday": [0, 2, 0, 1, 2],
            "temp_c": [6.0, 9.5, 5.0, 8.0, 9.5],
            "rain_mm": [1.2, 3.0, 1.2, 0.0, 3.0],
            "promo": [0.0, 1.0, 1.0, 1.0, 0.0],
            "loaves": [300.0, 280.0, 140.0, 120.0, 150.0],
        }
    )
    assert list(days.columns) == list(expected.columns), f"columns {list(days.columns)}"
    assert list(days.index) == list(range(5)), (
        f"load_export kept {len(days)} rows labelled {list(days.index)}; expected the 5 trading "
        "days with a recorded sale, labelled 0..4"
    )
    assert days["store"].tolist() == expected["store"].tolist(), f"stores {days['store'].tolist()}"
    dates = pd.to_datetime(days["date"]).dt.strftime("%Y-%m-%d").tolist()
    assert dates == expected["date"].dt.strftime("%Y-%m-%d").tolist(), f"dates {dates}"
    for column in ["weekday", "temp_c", "rain_mm", "promo", "loaves"]:
        assert_close(days[column], expected[column], f"load_export(export)[{column!r}]",
                     "a store's day does not carry its own reading, or a missing temperature "
                     "was not taken from the other stores' readings of that day")  # fmt: skip


def test_the_cleaned_export_has_a_number_everywhere(sales, export):
    days = sales.load_export(export)
    assert len(days) == int(export["loaves"].notna().sum()), (
        f"load_export kept {len(days)} days; the export records a sale on "
        f"{int(export['loaves'].notna().sum())}"
    )
    numbers = days[["weekday", "temp_c", "rain_mm", "promo", "loaves"]].to_numpy(dtype=float)
    assert np.isfinite(numbers).all(), (
        f"the cleaned export still holds {int((~np.isfinite(numbers)).sum())} blank value(s)"
    )


def test_split_is_seeded_shuffled_and_reproducible(sales, export):
    days = sales.load_export(export)

    def positions(seed, test_size=0.25, frame=days):
        train, test = sales.split_days(frame, test_size, seed)
        return frame.index.get_indexer(train.index), frame.index.get_indexer(test.index)

    n = len(days)
    assert_seeded_split(positions, n, n_test=round(0.25 * n))
    assert_seeded_split(lambda seed: positions(seed, 0.4), n, n_test=round(0.4 * n))
    default = sales.split_days(days)
    assert default[1].index.equals(sales.split_days(days, 0.25, 0)[1].index), (
        "split_days(days) differs from split_days(days, 0.25, 0), its documented defaults"
    )


# -- features, scaler, ridge --------------------------------------------------------------------


def test_features_are_the_readings_and_one_indicator_per_weekday(sales, forecast, export):
    days = with_shuffled_index(sales.load_export(export).iloc[:60], seed=1)
    X = forecast.design(days)
    assert list(X.columns) == forecast.COLUMNS, f"design(days) has the columns {list(X.columns)}"
    assert X.index.equals(days.index), "design(days) is not labelled like the days"
    assert_close(X.to_numpy(dtype=float), by_hand(days), "design(days)",
                 "a day's features are not its readings and its own weekday")  # fmt: skip


def test_scaler_standardises_feature_columns(forecast):
    rng = np.random.default_rng(5)
    # Ordinary readings, a narrow one (spread 0.004), one near 1e7, and an indicator.
    X = pd.DataFrame(
        {
            "temp_c": rng.normal(11.0, 6.0, 200),
            "pressure": rng.normal(1.013, 0.004, 200),
            "odometer": 1e7 + rng.normal(0.0, 3.0, 200),
            "flag": (rng.random(200) < 0.2).astype(float),
            "anomaly": np.linspace(-3.0, 3.0, 200),  # already centred: its mean is about 0
        },
        index=1000 + 3 * np.arange(200),
    )
    scaler = forecast.StandardScaler().fit(X)
    Z = np.asarray(scaler.transform(X), dtype=float)
    assert_close(Z.mean(axis=0), np.zeros(5), "column means of transform(X)", atol=1e-7)
    spread = Z.std(axis=0)
    assert np.all((spread > np.sqrt(199 / 200) - 1e-9) & (spread < 1 + 1e-9)), (
        f"column standard deviations of transform(X) are {np.round(spread, 6).tolist()}; "
        "each should be 1"
    )
    X_new = X * 1.5 + 2.0
    restored = standardised(X_new.to_numpy(), scaler)
    assert_close(np.asarray(scaler.transform(X_new), dtype=float), restored,
                 "transform(new rows)",
                 "new rows are not standardised with the mean and spread fitted on X")  # fmt: skip
    assert_close(np.asarray(scaler.mean_, dtype=float), X.mean().to_numpy(), "the fitted mean_")


def test_a_reading_in_a_column_that_never_varied_stays_a_modest_number(forecast):
    # A shop's oven temperature logged at a set point all season, then one day off it.
    X = pd.DataFrame(
        {"temp_c": np.linspace(2.0, 24.0, 50), "oven_c": np.full(50, 220.0)},
        index=np.arange(50) * 7,
    )
    scaler = forecast.StandardScaler().fit(X)
    later = pd.DataFrame({"temp_c": [12.0], "oven_c": [221.0]}, index=[999])
    z = np.asarray(scaler.transform(later), dtype=float)[0, 1]
    assert np.isfinite(z) and abs(z) <= 1e3, (
        f"fit on 50 days with oven_c at 220.0 every day, transform of a day at 221.0 gives "
        f"oven_c = {z:.3g}; a one-degree change standardises to a modest number"
    )


@pytest.mark.parametrize("alpha", [None, 0.3, 25.0])
def test_ridge_minimises_its_objective(forecast, alpha):
    rng = np.random.default_rng(3)
    X = rng.normal(2.0, 3.0, size=(60, 4))
    y = 300.0 + X @ [3.0, -2.0, 0.5, 0.0] + rng.normal(0.0, 1.0, 60)  # far from 0 on average
    w, b = forecast.fit_ridge(X, y) if alpha is None else forecast.fit_ridge(X, y, alpha)
    slope = ridge_slope(X, y, np.asarray(w), b, 1.0 if alpha is None else alpha)
    assert np.max(np.abs(slope)) < 1e-7, (
        f"fit_ridge(X, y{'' if alpha is None else f', alpha={alpha}'}) returned weights "
        f"{np.round(np.asarray(w), 4).tolist()} and intercept {float(b):.4f}, where the penalised "
        f"squared error still slopes by up to {float(np.max(np.abs(slope))):.3g}: it is not the "
        "ridge fit with an unpenalised intercept"
    )


@pytest.mark.parametrize("alpha", [None, 40.0])
def test_a_store_model_is_the_ridge_fit_of_its_training_days(sales, forecast, export, alpha):
    train, _ = sales.split_days(sales.load_export(export), 0.25, 0)
    rows = train[train["store"] == "Abbey Road"]
    model = forecast.fit_store(rows) if alpha is None else forecast.fit_store(rows, alpha)
    alpha = 1.0 if alpha is None else alpha
    X, y = by_hand(rows), rows["loaves"].to_numpy(dtype=float)
    scaler = model["scaler"]
    assert_close(np.asarray(scaler.mean_, dtype=float), X.mean(axis=0), "the scaler's mean_",
                 "it is not the mean of the store's training days")  # fmt: skip
    spreads = [X.std(axis=0, ddof=ddof) for ddof in (0, 1)]
    assert any(np.allclose(np.asarray(scaler.scale_, dtype=float), s) for s in spreads), (
        f"the scaler's scale_ is {np.round(np.asarray(scaler.scale_, dtype=float), 4).tolist()}; "
        f"the training days' standard deviations are {np.round(spreads[0], 4).tolist()}"
    )
    w, b = np.asarray(model["weights"], dtype=float), float(model["intercept"])
    slope = ridge_slope(standardised(X, scaler), y, w, b, alpha)
    assert np.max(np.abs(slope)) < 1e-6, (
        f"fit_store(Abbey Road's training days, alpha={alpha}): the penalised squared error of "
        f"its standardised days still slopes by {float(np.max(np.abs(slope))):.3g} at the "
        "returned weights and intercept"
    )


# -- the job --------------------------------------------------------------------------------------


def test_reported_figures_come_from_the_returned_models(sales, forecast, export):
    result = forecast.run_job(export, 0.3, 4)
    assert set(result) == KEYS, (
        f"run_job returned the keys {sorted(result)}; expected {sorted(KEYS)}"
    )
    days = sales.load_export(export)
    _, held_out = sales.split_days(days, 0.3, 4)
    test = result["test"]
    assert sorted(test.index) == sorted(held_out.index), (
        f"run_job's test frame holds {len(test)} rows; the split holds out {len(held_out)}"
    )
    assert list(test.columns) == [*days.columns, "forecast"], (
        f"run_job's test frame has the columns {list(test.columns)}; expected the cleaned "
        "export's columns and 'forecast'"
    )
    test = test.loc[held_out.index]
    assert_close(test["loaves"], held_out["loaves"], "the test frame's loaves")
    expected = pd.Series(np.nan, index=held_out.index)
    for store, rows in held_out.groupby("store"):
        model = result["models"][store]
        Z = standardised(by_hand(rows), model["scaler"])
        expected[rows.index] = Z @ np.asarray(model["weights"], dtype=float) + model["intercept"]
    same(test["forecast"], expected, "run_job(export, 0.3, 4)['test']['forecast']",
         "a held-out day's forecast is not its store's returned model applied to it")  # fmt: skip
    error = (test["forecast"] - test["loaves"]).to_numpy()
    stores = test["store"].to_numpy()
    by_store = result["by_store"]
    names = sorted(set(stores))
    assert sorted(by_store.index) == names, f"by_store lists {sorted(by_store.index)}"
    for column, figure in [("n_test", len), ("mae", lambda e: np.mean(np.abs(e))),
                           ("bias", np.mean)]:  # fmt: skip
        recomputed = [figure(error[stores == name]) for name in names]
        same(by_store.loc[names, column], recomputed, f"by_store[{column!r}]",
             "the reported figure is not that of the store's held-out days")  # fmt: skip
    same(result["chain_mae"], np.mean(np.abs(error)), "chain_mae",
         "it is not the mean absolute error over every held-out day")  # fmt: skip


def test_nothing_fitted_depends_on_the_held_out_days(sales, forecast, export):
    days = sales.load_export(export)
    _, held_out = sales.split_days(days, 0.25, 0)
    keys = set(zip(held_out["store"], held_out["date"].dt.strftime("%Y-%m-%d"), strict=True))
    rows = [k in keys for k in zip(export["store"], export["date"], strict=True)]
    changed = export.copy()
    changed.loc[rows, "loaves"] = changed.loc[rows, "loaves"] * 3 + 500
    changed.loc[rows, "rain_mm"] = changed.loc[rows, "rain_mm"] + 40
    changed.loc[rows, "promo"] = "Y"
    before, after = forecast.run_job(export)["models"], forecast.run_job(changed)["models"]
    for store in before:
        for part in ("scaler", "weights", "intercept"):
            assert_unchanged(before[store][part], after[store][part], f"{store}'s {part}",
                             "it moved when only the held-out days changed")  # fmt: skip


def test_defaults_seed_and_test_size_are_honoured(sales, forecast, export, job):
    again = forecast.run_job(export, 0.25, 0, 1.0)
    assert_unchanged(job["test"]["forecast"], again["test"]["forecast"], "run_job(export)",
                     "the defaults are not test_size=0.25, seed=0, alpha=1")  # fmt: skip
    n = len(sales.load_export(export))
    other = forecast.run_job(export, 0.4, 1)
    assert len(other["test"]) == round(0.4 * n), (
        f"run_job(export, test_size=0.4) scored {len(other['test'])} held-out days of {n}"
    )
    assert not other["test"].index.equals(job["test"].index), "seed 1 held out seed 0's days"
    ridge = forecast.run_job(export, 0.25, 0, 500.0)["models"]["Abbey Road"]
    plain = job["models"]["Abbey Road"]
    assert np.linalg.norm(ridge["weights"]) < 0.5 * np.linalg.norm(plain["weights"]), (
        "run_job(export, alpha=500) fitted weights as large as alpha=1: alpha is not used"
    )


def test_run_job_leaves_the_export_alone(forecast, export):
    assert_inputs_untouched(forecast.run_job, export, what="run_job(export)")


@pytest.mark.parametrize("name", EXPORTS)
def test_every_store_gets_a_forecast_for_every_held_out_day(sales, forecast, name):
    test = forecast.run_job(sales.read_export(DATA / name))["test"]
    missing = test.groupby("store")["forecast"].agg(lambda f: int((~np.isfinite(f)).sum()))
    days = test.groupby("store").size()
    bad = [f"{store} ({missing[store]} of {days[store]})" for store in days.index if missing[store]]
    if bad:
        raise AssertionError(
            f"run_job(read_export('data/{name}')): the held-out forecasts of "
            f"{' and '.join(bad)} are nan; the other stores' are numbers"
        )


def test_held_out_error_is_near_the_noise_for_every_store(job):
    mae = job["by_store"]["mae"]
    shown = ", ".join(f"{store} {value:.2f}" for store, value in mae.items())
    if not (np.all(mae.to_numpy() < NOISE_MAE + 3.0) and job["chain_mae"] < NOISE_MAE + 1.5):
        raise AssertionError(
            f"held-out MAE per store: {shown} loaves (chain {job['chain_mae']:.2f}); with sales "
            f"noise of 12 loaves a day a good model errs by about {NOISE_MAE:.1f}"
        )
