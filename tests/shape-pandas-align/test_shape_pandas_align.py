"""The agency's pricing job, from the CRM export to the priced table, end to end.

Each listing in the priced table must carry the price the fitted model gives its own features,
whatever the export looks like; the job's reported scores must be the returned model's; and
every step (parsing, picking the current advert, the split, the scaler, the fit) must do what
its docstring says. Listings are matched by listing_id throughout. The exports are the files
handed out in data/.
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
    assert_seeded_split,
    assert_unchanged,
    data_maker,
    rmse,
    with_shuffled_index,
)

NOISE_SD = 20.0
DATA = Path(__file__).resolve().parent / "data"


COEFFICIENTS = data_maker(__file__).COEFFICIENTS  # the rent per unit the analysts expect


def read_export(name):
    """A CRM export as it is written: every value a string, under the CRM's row key."""
    export = pd.read_csv(DATA / name, dtype=str, keep_default_na=False)
    return export.set_index(pd.Index(export.pop("row_key").astype(int), name="row_key"))


@pytest.fixture(scope="module")
def listings(kata):
    return kata("listings")


@pytest.fixture(scope="module")
def pricing(kata):
    return kata("pricing")


@pytest.fixture(scope="module")
def export():
    return read_export("june.csv")


def own_prices(listings, result, frame):
    """The price the returned model gives each row of ``frame`` from that row's features alone."""
    scaler = result["scaler"]
    values = frame[listings.FEATURES].to_numpy(dtype=float)
    prices = (values - scaler.mean_) / scaler.scale_ @ result["weights"] + result["bias"]
    return pd.Series(prices, index=frame["listing_id"].to_numpy())


def priced_by_id(result):
    priced = result["priced"]
    return priced.set_index("listing_id")["predicted_rent"].sort_index()


def assert_each_listing_priced_from_its_own_features(listings, result, what):
    priced = result["priced"]
    complete = priced.dropna(subset=listings.FEATURES)
    expected = own_prices(listings, result, complete)
    actual = pd.Series(complete["predicted_rent"].to_numpy(dtype=float), index=expected.index)
    wrong = ~np.isclose(actual, expected, rtol=1e-7)
    if wrong.any():
        listing = expected.index[np.argmax(wrong)]
        row = complete[complete["listing_id"] == listing].iloc[0]
        raise AssertionError(
            f"{what}: {int(wrong.sum())} of the {len(complete)} listings with every feature carry a "
            f"predicted_rent that is not the model's price for their own features, e.g. "
            f"listing_id {listing} ({row['area_m2']:.1f} m², {row['rooms']:.0f} room"
            f"{'' if row['rooms'] == 1 else 's'}, floor "
            f"{row['floor']:.0f}, {row['distance_km']:.2f} km): {actual[listing]:.2f} in the "
            f"table, {expected[listing]:.2f} from the returned model"
        )


def test_each_listing_is_priced_from_its_own_features(listings, pricing, export):
    result = pricing.run_job(export)
    assert_each_listing_priced_from_its_own_features(listings, result, "run_job(export)")


def test_each_listing_is_priced_from_its_own_features_in_the_next_export(listings, pricing):
    result = pricing.run_job(read_export("july.csv"))
    assert_each_listing_priced_from_its_own_features(listings, result, "run_job(july's export)")


def test_priced_rents_track_the_rents_of_let_listings(listings, pricing, export):
    priced = pricing.run_job(export)["priced"]
    let = priced.dropna(subset=[*listings.FEATURES, listings.TARGET])
    error = let["predicted_rent"] - let[listings.TARGET]
    off = float(np.sqrt(np.mean(error**2)))
    assert off <= 1.5 * NOISE_SD, (
        f"on the {len(let)} let listings with every feature, the priced table's predicted_rent "
        f"is off from the actual rent by {off:.1f} (root mean square; {int(error.isna().sum())} "
        f"have no predicted_rent); the job reports a held-out error of about {NOISE_SD:.0f}"
    )


def test_exactly_the_listings_with_every_feature_are_priced(listings, pricing, export):
    priced = pricing.run_job(export)["priced"]
    incomplete = priced[listings.FEATURES].isna().any(axis=1)
    priced_anyway = int(priced.loc[incomplete, "predicted_rent"].notna().sum())
    unpriced = int(priced.loc[~incomplete, "predicted_rent"].isna().sum())
    assert (priced_anyway, unpriced) == (0, 0), (
        f"{priced_anyway} of the {int(incomplete.sum())} listings with a missing feature have a "
        f"predicted_rent, and {unpriced} of the {int((~incomplete).sum())} listings with every "
        "feature have none"
    )


def test_a_listing_gets_the_same_price_from_every_copy_of_the_export(listings, pricing, export):
    plain = priced_by_id(pricing.run_job(export))
    other = priced_by_id(pricing.run_job(with_shuffled_index(export, seed=2)))
    moved = ~np.isclose(other.fillna(-1.0), plain.fillna(-1.0), rtol=1e-7)
    if moved.any():
        listing = plain.index[np.argmax(moved)]
        raise AssertionError(
            f"run_job on a copy of the same export gives "
            f"{int(moved.sum())} of {len(plain)} listings another predicted_rent, e.g. listing_id "
            f"{listing}: {plain[listing]:.2f} before, {other[listing]:.2f} after"
        )


def test_priced_table_is_the_cleaned_listings_plus_a_price(listings, pricing, export):
    cleaned = listings.clean_listings(export)
    priced = pricing.run_job(export)["priced"]
    assert priced.columns.tolist() == [*cleaned.columns, "predicted_rent"], (
        f"the priced table has columns {priced.columns.tolist()}; expected the cleaned listings' "
        "columns and predicted_rent"
    )
    pd.testing.assert_frame_equal(priced[cleaned.columns], cleaned)


def test_the_export_is_read_as_the_crm_wrote_it(listings):
    with open(DATA / "june.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    export = listings.load_export(DATA / "june.csv")
    keys = [int(row.pop("row_key")) for row in rows]
    assert export.index.tolist() == keys, (
        f"load_export labels the adverts {export.index.tolist()[:5]}...; the CRM's row keys in "
        f"the file are {keys[:5]}..."
    )
    assert list(export.columns) == list(rows[0]), f"load_export read {list(export.columns)}"
    for col in rows[0]:
        got, written = export[col].tolist(), [row[col] for row in rows]
        wrong = [i for i, (a, b) in enumerate(zip(got, written, strict=True)) if a != b]
        assert not wrong, (
            f"load_export(data/june.csv)[{col!r}] holds {got[wrong[0]]!r} for row key "
            f"{keys[wrong[0]]}; the file holds {written[wrong[0]]!r} ({len(wrong)} adverts differ)"
        )


def test_parsing_reads_every_value_the_crm_writes(listings):
    export = pd.DataFrame(
        {
            "listing_id": ["7", "8", "9"],
            "listed_on": ["2024-03-01", "2024-02-29", "2023-12-31"],
            "area": ["70.8 m²", "n/a", "120.0 m²"],
            "rooms": ["1", "3", "n/a"],
            "floor": ["ground", "12", "3"],
            "distance_km": ["2.50", "0.75", "n/a"],
            "rent": ["€940.38", "", "€1500.00"],
        },
        index=pd.Index([31, 5, 17], name="row_key"),
    )
    parsed = listings.parse_export(export)
    expected = pd.DataFrame(
        {
            "listing_id": [7, 8, 9],
            "listed_on": pd.to_datetime(["2024-03-01", "2024-02-29", "2023-12-31"]),
            "area_m2": [70.8, np.nan, 120.0],
            "rooms": [1.0, 3.0, np.nan],
            "floor": [0.0, 12.0, 3.0],
            "distance_km": [2.5, 0.75, np.nan],
            "rent": [940.38, np.nan, 1500.0],
        },
        index=export.index,
    )
    raw = {"area_m2": "area", "rent": "rent", "floor": "floor", "rooms": "rooms"}
    for column in expected:
        got = parsed[column]
        want = expected[column]
        same = (
            got.tolist() == want.tolist()
            if column in ("listing_id", "listed_on")
            else np.allclose(got.to_numpy(dtype=float), want.to_numpy(), equal_nan=True)
        )
        assert same and got.index.equals(export.index), (
            f"parse_export read the CRM's {raw.get(column, column)} values "
            f"{export[raw.get(column, column)].tolist()} "
            f"as {got.tolist()}; they are {want.tolist()}, one per advert"
        )


def test_only_the_latest_advert_of_a_listing_is_current(listings):
    parsed = pd.DataFrame(
        {
            "listing_id": [4, 2, 4, 2, 9],
            "listed_on": pd.to_datetime(
                ["2024-01-05", "2023-06-01", "2023-02-01", "2024-02-01", "2024-03-03"]
            ),
            "rent": [900.0, 700.0, 810.0, 760.0, np.nan],
        },
        index=pd.Index([10, 11, 12, 13, 14], name="row_key"),
    )
    current = listings.current_adverts(parsed).set_index("listing_id")["rent"]
    assert (
        current.index.sort_values().tolist() == [2, 4, 9]
        and current[4] == 900.0
        and (current[2] == 760.0)
    ), (
        f"current_adverts kept the rents {current.to_dict()} per listing; the latest adverts are "
        "listing 2 at 760, listing 4 at 900 and listing 9 unlet"
    )


def test_cleaning_keeps_one_row_per_listing(listings, export):
    cleaned = listings.clean_listings(export)
    assert cleaned["listing_id"].is_unique and len(cleaned) == 300, (
        f"clean_listings(export of 300 listings, {len(export)} adverts) returned {len(cleaned)} "
        f"rows for {cleaned['listing_id'].nunique()} listings"
    )


def let_positions(pricing, usable, test_size, seed):
    """The split as positions among the let listings (for the kit's split checks)."""
    let = usable[usable["rent"].notna()]
    train, test = pricing.split_let_listings(usable, test_size, seed)
    where = {key: i for i, key in enumerate(let["listing_id"])}
    return [where[k] for k in train["listing_id"]], [where[k] for k in test["listing_id"]]


def test_split_is_seeded_shuffled_and_reproducible(listings, pricing, export):
    usable = listings.clean_listings(export).dropna(subset=listings.FEATURES)
    n_let = int(usable["rent"].notna().sum())
    assert_seeded_split(lambda seed: let_positions(pricing, usable, 0.25, seed), n_let,
                        round(n_let * 0.25))  # fmt: skip
    assert_seeded_split(lambda seed: let_positions(pricing, usable, 0.4, seed), n_let,
                        round(n_let * 0.4))  # fmt: skip
    default = pricing.split_let_listings(usable)
    explicit = pricing.split_let_listings(usable, 0.25, 0)
    assert all(a.equals(b) for a, b in zip(default, explicit, strict=True)), (
        "split_let_listings(listings) differs from split_let_listings(listings, 0.25, 0), its "
        "documented defaults"
    )


def test_reported_scores_are_the_returned_models(listings, pricing, export):
    result = pricing.run_job(export, 0.3, 4)
    usable = listings.clean_listings(export).dropna(subset=listings.FEATURES)
    train, test = pricing.split_let_listings(usable, 0.3, 4)
    assert_figures(
        result,
        {
            "train_rmse": rmse(train["rent"], own_prices(listings, result, train)),
            "test_rmse": rmse(test["rent"], own_prices(listings, result, test)),
        },
        "run_job(export, test_size=0.3, seed=4)",
        rtol=1e-9,
    )


def test_the_model_is_the_least_squares_fit_of_the_training_listings(listings, pricing, export):
    result = pricing.run_job(export, 0.3, 4)
    usable = listings.clean_listings(export).dropna(subset=listings.FEATURES)
    train, _ = pricing.split_let_listings(usable, 0.3, 4)
    X = train[listings.FEATURES].to_numpy(dtype=float)
    scaler = result["scaler"]
    assert_close(scaler.mean_, X.mean(axis=0), "the fitted scaler's mean_",
                 "it is not the mean of the training listings' features", rtol=1e-12)  # fmt: skip
    assert any(np.allclose(scaler.scale_, X.std(axis=0, ddof=d), rtol=1e-12) for d in (0, 1)), (
        f"the fitted scaler's scale_ is {np.round(scaler.scale_, 4).tolist()}; the training "
        f"listings' standard deviations are {np.round(X.std(axis=0), 4).tolist()}"
    )
    design = np.column_stack([(X - scaler.mean_) / scaler.scale_, np.ones(len(X))])
    residual = design @ np.append(result["weights"], result["bias"]) - train["rent"].to_numpy()
    slope = np.abs(design.T @ residual).max() / len(X)
    assert slope < 1e-6, (
        f"the squared error of the returned model on its training listings still slopes by "
        f"{float(slope):.3g}: weights and bias are not the least-squares fit"
    )


def test_model_recovers_the_rent_per_unit_of_each_feature(listings, pricing, export):
    result = pricing.run_job(export)
    per_unit = np.asarray(result["weights"]) / result["scaler"].scale_
    assert_close(per_unit, COEFFICIENTS, "the fitted rent per unit of each feature",
                 "the analysts expect these rents per unit, give or take noise", rtol=0.06)  # fmt: skip
    assert 18.0 < result["test_rmse"] < 23.0, (
        f"the held-out error is {result['test_rmse']:.2f}; rents carry noise of sd {NOISE_SD:.0f}"
    )


def test_nothing_fitted_depends_on_the_held_out_listings(listings, pricing, export):
    usable = listings.clean_listings(export).dropna(subset=listings.FEATURES)
    _, test = pricing.split_let_listings(usable)
    held_out = export["listing_id"].astype(int).isin(test["listing_id"])
    changed = export.copy()
    changed.loc[held_out, "rent"] = "€99999.00"
    changed.loc[held_out, "area"] = "999.0 m²"
    before, after = pricing.run_job(export), pricing.run_job(changed)
    for name in ("weights", "bias", "train_rmse"):
        assert_unchanged(before[name], after[name], name,
                         "it moved when only the held-out listings changed")  # fmt: skip
    assert_unchanged(before["scaler"], after["scaler"], "the scaler",
                     "it moved when only the held-out listings changed")  # fmt: skip


def test_the_job_leaves_the_export_alone(listings, pricing, export):
    assert_inputs_untouched(pricing.run_job, export.copy(), what="run_job(export)")
    result = pricing.run_job(export)
    assert_unchanged(result, pricing.run_job(export, 0.25, 0), "run_job(export)",
                     "the defaults are not test_size=0.25, seed=0")  # fmt: skip


def test_scaler_standardises_narrow_and_offset_columns(pricing):
    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {"lat": 52.37 + rng.normal(0, 0.01, 200), "postcode_m": 1e7 + rng.normal(0, 3.0, 200)},
        index=rng.permutation(1000)[:200],
    )
    Z = pricing.StandardScaler().fit(frame).transform(frame).to_numpy(dtype=float)
    spread = Z.std(axis=0)
    assert np.all(np.abs(Z.mean(axis=0)) < 1e-6) and np.all(
        (spread > np.sqrt(199 / 200) - 1e-9) & (spread < 1 + 1e-9)
    ), (
        f"StandardScaler on a narrow column and a column near 1e7 gives means "
        f"{Z.mean(axis=0).tolist()} and spreads {spread.tolist()}; each should be 0 and 1"
    )


def test_least_squares_and_predict(pricing):
    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=list("abc"), index=rng.permutation(90)[:30])
    y = pd.Series(500.0 + X.to_numpy() @ [3.0, -2.0, 0.5] + rng.normal(0, 0.1, 30), index=X.index)
    w, b = pricing.fit_linear(X, y)
    coef, *_ = np.linalg.lstsq(
        np.column_stack([X.to_numpy(), np.ones(30)]), y.to_numpy(), rcond=None
    )
    assert_close(np.append(w, b), coef, "fit_linear(X, y) -> (w, b)",
                 "the least-squares weights and intercept", rtol=1e-9)  # fmt: skip
    predicted = pricing.predict(X, w, b)
    assert predicted.index.equals(X.index), "predict labels its rents unlike the rows of X"
    assert_close(predicted.to_numpy(), X.to_numpy() @ w + b, "predict(X, w, b)", rtol=1e-12)
