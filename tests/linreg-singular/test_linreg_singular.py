"""The valuation job, end to end: clean the agencies' export, split, weight the sales by recency,
fit one weighted least-squares model per district, value the held-out homes and report.

The cleaning, the split, the weights, the fit, every reported figure and the valuations of every
district are checked against independent computations. A fit is judged by its fitted values and
residuals, never by one solver's weights. The export is the file handed out in data/.
"""

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

KEYS = {"models", "test", "by_district", "rmse_k"}
NOISE = 15.0  # thousands: the spread of prices around the linear rule
DATA = Path(__file__).resolve().parent / "data"
EXPORT = "load_export('data/sold_homes.csv')"


@pytest.fixture(scope="module")
def listings(kata):
    return kata("listings")


@pytest.fixture(scope="module")
def valuation(kata):
    return kata("valuation")


@pytest.fixture(scope="module")
def export():
    """The portal's export as it is written, blank readings as NaN."""
    return pd.read_csv(DATA / "sold_homes.csv", dtype={"listing_id": str, "energy": str})


@pytest.fixture(scope="module")
def measured(listings, export):
    """The same export as if every agency had measured living areas (no blanks to estimate)."""
    rng = np.random.default_rng(11)
    out = export.copy()
    blank = out["living_m2"].isna()
    ratio = rng.uniform(0.75, 0.95, int(blank.sum()))
    out.loc[blank, "living_m2"] = np.round(out.loc[blank, "floor_m2"].to_numpy() * ratio, 1)
    return out


def same(actual, expected, what, meaning, rtol=1e-9):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    if actual.shape != expected.shape or not np.allclose(actual, expected, rtol=rtol, atol=1e-9):
        raise AssertionError(
            f"{what} is {np.round(actual, 4).tolist()}; recomputed it is "
            f"{np.round(expected, 4).tolist()}: {meaning}"
        )


def by_hand_weights(sold_on):
    days = (sold_on.max() - sold_on).dt.days.to_numpy(dtype=float)
    return 0.5 ** (days / 365.0)


def features(sales):
    return sales[["floor_m2", "living_m2", "bedrooms", "age_years", "garden"]].to_numpy(float)


def weighted_fit_gap(X, y, sw, w, b):
    """How far (w, b) is from a weighted least-squares fit: the largest normalised inner product
    of the weighted residuals with the intercept and each column (0 at every such fit), and the
    weighted RMS of (w, b) next to the best one (found independently, by the SVD)."""
    A = np.column_stack([np.ones(len(X)), X])
    residual = y - (X @ w + b)
    scale = np.linalg.norm(A * np.sqrt(sw)[:, None], axis=0) * np.linalg.norm(y * np.sqrt(sw))
    gap = float(np.max(np.abs(A.T @ (sw * residual)) / scale))
    best = np.linalg.lstsq(A * np.sqrt(sw)[:, None], y * np.sqrt(sw), rcond=None)[0]
    rms = float(np.sqrt(np.sum(sw * residual**2) / sw.sum()))
    best_rms = float(np.sqrt(np.sum(sw * (y - A @ best) ** 2) / sw.sum()))
    return gap, rms, best_rms


# -- the export ---------------------------------------------------------------------------------


def test_the_export_is_read_as_written(listings, export):
    raw = listings.load_export(DATA / "sold_homes.csv")
    assert len(raw) == len(export), f"{EXPORT} has {len(raw)} rows; the file has {len(export)}"
    for column in ("district", "sold_on", "garden"):
        got = raw[column].astype(str).tolist()
        assert got == export[column].astype(str).tolist(), (
            f"{EXPORT}[{column!r}] does not hold the file's {column}, row for row"
        )
    for column in ("floor_m2", "living_m2", "bedrooms", "built", "price_k"):
        got, expected = raw[column].to_numpy(float), export[column].to_numpy(float)
        blank = np.isnan(expected)
        assert np.array_equal(np.isnan(got), blank), (
            f"{EXPORT}[{column!r}] is blank in {int(np.isnan(got).sum())} rows; the file leaves "
            f"{int(blank.sum())} blank"
        )
        assert_close(got[~blank], expected[~blank], f"{EXPORT}[{column!r}]",
                     "a sale does not carry the file's reading")  # fmt: skip


def test_the_export_is_cleaned_into_typed_sales(listings):
    raw = pd.DataFrame(
        {
            "district": ["B", "A", "A"],
            "sold_on": ["2023-05-02", "2022-11-30", "2024-01-15"],
            "floor_m2": [80.0, 120.5, 64.2],
            "living_m2": [70.1, np.nan, 50.0],
            "bedrooms": [2, 4, 1],
            "built": [1990, 2022, 1931],
            "garden": ["no", "yes", "no"],
            "price_k": [410.5, 702.0, 333.3],
        },
        index=[40, 12, 7],
    )
    sales = assert_inputs_untouched(listings.clean_sales, raw, what="clean_sales(export)")
    columns = ["district", "sold_on", "floor_m2", "living_m2", "bedrooms", "age_years", "garden",
               "price_k"]  # fmt: skip
    assert list(sales.columns) == columns, (
        f"clean_sales(export) has the columns {list(sales.columns)}"
    )
    assert list(sales.index) == [0, 1, 2], (
        f"clean_sales(export) labels its rows {list(sales.index)}"
    )
    assert sales["district"].tolist() == ["B", "A", "A"], "the sales are not in the export's order"
    dates = pd.to_datetime(sales["sold_on"]).dt.strftime("%Y-%m-%d").tolist()
    assert dates == ["2023-05-02", "2022-11-30", "2024-01-15"], f"sale dates {dates}"
    expected = {
        "floor_m2": [80.0, 120.5, 64.2],
        "living_m2": [70.1, listings.LIVING_SHARE * 120.5, 50.0],
        "bedrooms": [2.0, 4.0, 1.0],
        "age_years": [33.0, 0.0, 93.0],
        "garden": [0.0, 1.0, 0.0],
        "price_k": [410.5, 702.0, 333.3],
    }
    for column, values in expected.items():
        assert_close(sales[column], values, f"clean_sales(export)[{column!r}]",
                     "a sale does not carry its own cleaned reading")  # fmt: skip


def test_the_cleaned_export_has_a_number_everywhere(listings, export):
    sales = listings.clean_sales(export)
    assert len(sales) == len(export), f"clean_sales kept {len(sales)} of {len(export)} sales"
    numbers = features(sales)
    assert np.isfinite(numbers).all(), (
        f"the cleaned export still holds {int((~np.isfinite(numbers)).sum())} blank value(s)"
    )


def test_split_is_seeded_shuffled_and_reproducible(listings, export):
    sales = listings.clean_sales(export)

    def positions(seed, test_size=0.25):
        train, test = listings.split_sales(sales, test_size, seed)
        return sales.index.get_indexer(train.index), sales.index.get_indexer(test.index)

    assert_seeded_split(positions, len(sales), n_test=225)
    assert_seeded_split(lambda seed: positions(seed, 0.4), len(sales), n_test=360)
    assert listings.split_sales(sales)[1].index.equals(
        listings.split_sales(sales, 0.25, 0)[1].index
    ), "split_sales(sales) differs from split_sales(sales, 0.25, 0), its documented defaults"


# -- features, weights, the fit -----------------------------------------------------------------


def test_features_are_the_cleaned_readings(listings, valuation, export):
    sales = with_shuffled_index(listings.clean_sales(export).iloc[:50], seed=3)
    assert_close(valuation.design(sales), features(sales), "design(sales)",
                 "a sale's features are not its own floor area, living area, bedrooms, age and "
                 "garden, in that order")  # fmt: skip


def test_recency_weights_halve_every_year(valuation):
    newest = pd.Timestamp("2024-02-29")
    sold_on = pd.Series([newest - pd.Timedelta(days=d) for d in (365, 0, 730, 0)],
                        index=[9, 4, 7, 1])  # fmt: skip
    got = np.asarray(valuation.recency_weights(sold_on), dtype=float)
    assert_close(got, [0.5, 1.0, 0.25, 1.0], "recency_weights(sale dates)",
                 "the newest sale counts 1 and a sale one half-life older counts half as much")  # fmt: skip


def test_weighted_fit_on_independent_columns(valuation):
    rng = np.random.default_rng(2)
    X = rng.normal([100.0, 3.0, 40.0], [30.0, 1.0, 20.0], size=(80, 3))
    y = 250.0 + X @ [1.5, 9.0, -0.5] + rng.normal(0.0, 5.0, 80) * (1 + (X[:, 1] > 3))
    sw = rng.uniform(0.1, 1.0, 80)
    w, b = valuation.fit_linear_regression(X, y, sw)
    assert np.shape(w) == (3,), (
        f"fit_linear_regression(X (80, 3), ...) returned weights {np.shape(w)}"
    )
    gap, rms, best = weighted_fit_gap(X, y, sw, np.asarray(w), float(b))
    assert gap < 1e-8, (
        f"fit_linear_regression(X, y, sample_weight) on 80 rows: another choice of weights fits "
        f"better (weighted RMS {rms:.4f} against {best:.4f})"
    )
    exact_w, exact_b = valuation.fit_linear_regression(X, 250.0 + X @ [1.5, 9.0, -0.5], sw)
    assert_close(np.append(exact_w, exact_b), [1.5, 9.0, -0.5, 250.0],
                 "weights and intercept on prices that follow the rule exactly", rtol=1e-6)  # fmt: skip
    unweighted, _ = valuation.fit_linear_regression(X, y, np.ones(80))
    assert not np.allclose(unweighted, w, rtol=1e-6), (
        "fit_linear_regression gives the same weights whatever the sample weights"
    )


@pytest.mark.parametrize("district", ["Castle", "Meadows"])
def test_a_district_model_is_the_weighted_fit_of_its_training_sales(listings, valuation, export,
                                                                   district):  # fmt: skip
    train, _ = listings.split_sales(listings.clean_sales(export), 0.25, 0)
    rows = train[train["district"] == district]
    model = valuation.fit_district(rows)
    assert set(model) == {"weights", "intercept"}, f"fit_district returned {sorted(model)}"
    w, b = np.asarray(model["weights"], dtype=float), float(model["intercept"])
    gap, rms, best = weighted_fit_gap(features(rows), rows["price_k"].to_numpy(float),
                                      by_hand_weights(rows["sold_on"]), w, b)  # fmt: skip
    assert gap < 1e-8, (
        f"fit_district({district}'s training sales) is not their recency-weighted least-squares "
        f"fit (weighted RMS {rms:.4f}k against {best:.4f}k)"
    )


# -- the job --------------------------------------------------------------------------------------


def test_reported_figures_come_from_the_returned_models(listings, valuation, measured):
    result = valuation.run_job(measured, 0.3, 4)
    assert set(result) == KEYS, (
        f"run_job returned the keys {sorted(result)}; expected {sorted(KEYS)}"
    )
    sales = listings.clean_sales(measured)
    _, held_out = listings.split_sales(sales, 0.3, 4)
    test = result["test"]
    assert list(test.columns) == [*sales.columns, "valuation"], (
        f"run_job's test frame has the columns {list(test.columns)}"
    )
    assert sorted(test.index) == sorted(held_out.index), (
        f"run_job's test frame holds {len(test)} sales; the split holds out {len(held_out)}"
    )
    test = test.loc[held_out.index]
    assert_close(test["price_k"], held_out["price_k"], "the test frame's prices")
    expected = pd.Series(np.nan, index=held_out.index)
    for name, rows in held_out.groupby("district"):
        model = result["models"][name]
        expected[rows.index] = features(rows) @ np.asarray(model["weights"]) + model["intercept"]
    same(test["valuation"], expected, "run_job(export, 0.3, 4)['test']['valuation']",
         "a held-out home's valuation is not its district's returned model applied to it")  # fmt: skip
    error = (test["valuation"] - test["price_k"]).to_numpy()
    district = test["district"].to_numpy()
    names = sorted(set(district))
    table = result["by_district"]
    assert sorted(table.index) == names, f"by_district lists {sorted(table.index)}"
    for column, figure in [("n_test", len), ("rmse_k", lambda e: np.sqrt(np.mean(e**2))),
                           ("bias_k", np.mean)]:  # fmt: skip
        same(table.loc[names, column], [figure(error[district == n]) for n in names],
             f"by_district[{column!r}]", "it is not the figure of the district's held-out sales")  # fmt: skip
    same(result["rmse_k"], np.sqrt(np.mean(error**2)), "rmse_k",
         "it is not the RMSE over every held-out sale")  # fmt: skip


def test_nothing_fitted_depends_on_the_held_out_sales(listings, valuation, measured):
    sales = listings.clean_sales(measured)
    _, held_out = listings.split_sales(sales, 0.25, 0)
    changed = measured.copy()
    rows = changed.index[held_out.index]  # clean_sales keeps the export's order
    for column in ("price_k", "floor_m2", "living_m2"):
        changed.loc[rows, column] = changed.loc[rows, column] * 3 + 100
    before, after = valuation.run_job(measured)["models"], valuation.run_job(changed)["models"]
    for name in before:
        for part in ("weights", "intercept"):
            assert_unchanged(before[name][part], after[name][part], f"{name}'s {part}",
                             "it moved when only the held-out sales changed")  # fmt: skip


def test_defaults_seed_and_test_size_are_honoured(valuation, measured):
    default = valuation.run_job(measured)
    again = valuation.run_job(measured, 0.25, 0)
    assert_unchanged(default["test"]["valuation"], again["test"]["valuation"], "run_job(export)",
                     "the defaults are not test_size=0.25, seed=0")  # fmt: skip
    other = valuation.run_job(measured, 0.4, 1)
    assert len(other["test"]) == 360, (
        f"run_job(900 sales, test_size=0.4) valued {len(other['test'])} held-out sales; 40 % is 360"
    )
    assert not other["test"].index.equals(default["test"].index), "seed 1 held out seed 0's sales"


def test_run_job_leaves_the_export_alone(valuation, export):
    assert_inputs_untouched(valuation.run_job, export, what="run_job(export)")


def test_every_district_model_fits_its_training_sales(listings, valuation, export):
    result = valuation.run_job(export)
    train, _ = listings.split_sales(listings.clean_sales(export), 0.25, 0)
    worse = []
    for name, rows in train.groupby("district"):
        model = result["models"][name]
        gap, rms, best = weighted_fit_gap(
            features(rows), rows["price_k"].to_numpy(float), by_hand_weights(rows["sold_on"]),
            np.asarray(model["weights"], dtype=float), float(model["intercept"]),
        )  # fmt: skip
        if not gap < 1e-6:
            worse.append(f"{name} (weighted RMS {rms:.4g}k where {best:.4g}k is reachable)")
    if worse:
        raise AssertionError(
            f"run_job({EXPORT}): another choice of weights fits the training sales of "
            f"{', '.join(worse)} better than the district's model does"
        )


@pytest.mark.parametrize("seed", [0, 1])
def test_every_district_is_valued_near_the_noise(valuation, export, seed):
    table = valuation.run_job(export, 0.25, seed)["by_district"]
    rmse = table["rmse_k"]
    if not np.all(rmse.to_numpy() < NOISE + 8.0):
        shown = ", ".join(f"{name} {value:.4g}k" for name, value in rmse.items())
        raise AssertionError(
            f"run_job({EXPORT}, 0.25, {seed}): held-out RMSE per district: {shown}; "
            f"prices vary by about {NOISE:.0f}k around what the homes' features explain"
        )
