"""The delivery-time job, end to end: read, parse and clean the log, split, encode, fit, evaluate,
quote.

The reading, the cleaning, the split, the fitted model, every reported figure and the quotes are
checked against independent computations. The dispatch export and the shop's quote requests are
the files handed out in data/.
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
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    mae,
)

ALPHA = 1.0
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def orders(kata):
    return kata("orders")


@pytest.fixture(scope="module")
def quotes(kata):
    return kata("quotes")


@pytest.fixture(scope="module")
def log():
    """The dispatch export as it is written: every value a string, empty where none was typed."""
    return pd.read_csv(DATA / "dispatch.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def shop():
    """The web shop's quote requests, one row per order, orders of one checkout together."""
    return pd.read_csv(DATA / "checkouts.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def frames(orders, log):
    return orders.split_deliveries(orders.clean_deliveries(log), 0.25, 0)


@pytest.fixture(scope="module")
def model(quotes, frames):
    return quotes.fit_model(frames[0], ALPHA)


def requests_for(test):
    """The held-out deliveries as the web shop's form sends them."""
    return [
        {"order_id": str(i), "region": r.title(), "vehicle": v, "distance": f"{d:.2f} km"}
        for i, r, v, d in zip(
            test["order_id"], test["region"], test["vehicle"], test["distance_km"], strict=True
        )
    ]


def by_hand(frame, categories):
    """Distance, then one indicator per training category of region and of vehicle."""
    columns = [frame["distance_km"].to_numpy(dtype=float)]
    for col in ("region", "vehicle"):
        columns += [(frame[col].to_numpy() == c).astype(float) for c in categories[col]]
    return np.column_stack(columns)


# -- loading and cleaning ------------------------------------------------------------------------


def test_the_export_is_read_as_the_dispatch_system_wrote_it(orders):
    with open(DATA / "dispatch.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    log = orders.load_log(DATA / "dispatch.csv")
    assert list(log.columns) == list(rows[0]), f"load_log read the columns {list(log.columns)}"
    assert len(log) == len(rows), f"load_log read {len(log)} records; the file holds {len(rows)}"
    for col in rows[0]:
        got = log[col].tolist()
        typed = [row[col] for row in rows]
        wrong = [i for i, (a, b) in enumerate(zip(got, typed, strict=True)) if a != b]
        assert not wrong, (
            f"load_log(data/dispatch.csv)[{col!r}] holds {got[wrong[0]]!r} in record {wrong[0]}; "
            f"the file holds {typed[wrong[0]]!r} ({len(wrong)} records differ)"
        )


def test_the_log_is_parsed_into_typed_normalised_columns(orders):
    log = pd.DataFrame(
        {
            "order_id": ["7", "8", "9"],
            "region": [" North", "EAST", "west "],
            "vehicle": ["Van", "bike", "Car"],
            "distance": ["3.20 km", "0.75 km", "12.00 km"],
            "minutes": ["24.5", "", "61.0"],
        },
        index=[40, 41, 42],
    )
    parsed = orders.parse_log(log)
    assert parsed["order_id"].tolist() == [7, 8, 9], f"order ids {parsed['order_id'].tolist()}"
    assert parsed["order_id"].dtype.kind == "i", f"order ids of dtype {parsed['order_id'].dtype}"
    assert parsed["region"].tolist() == ["north", "east", "west"], f"{parsed['region'].tolist()}"
    assert parsed["vehicle"].tolist() == ["van", "bike", "car"], f"{parsed['vehicle'].tolist()}"
    assert_close(parsed["distance_km"], [3.2, 0.75, 12.0], "parsed distances (km)")
    assert_close(parsed["minutes"].iloc[[0, 2]], [24.5, 61.0], "parsed minutes")
    assert np.isnan(parsed["minutes"].iloc[1]), "a cancelled delivery got a time"
    assert list(parsed.index) == [40, 41, 42], "parsing changed the rows' labels"
    request = orders.parse_log(log.drop(columns="minutes"))
    assert request["minutes"].isna().all(), "a request for a quote got a delivery time"


def test_cleaning_keeps_the_latest_record_of_each_completed_delivery(orders, log):
    cleaned = orders.clean_deliveries(log)
    parsed = orders.parse_log(log)
    sent = pd.to_datetime(log["sent_at"])
    latest = parsed.loc[sent.sort_values(kind="stable").index].drop_duplicates(
        "order_id", keep="last"
    )
    completed = latest.dropna(subset=["minutes"])
    assert cleaned["order_id"].tolist() == sorted(completed["order_id"]), (
        f"cleaning kept {len(cleaned)} deliveries; the log holds {len(completed)} completed "
        "orders, each once"
    )
    assert_close(
        cleaned.set_index("order_id")["minutes"].sort_index(),
        completed.set_index("order_id")["minutes"].sort_index(),
        "the minutes of each order after cleaning",
        "an order's time is not the one of its latest record",
    )  # fmt: skip
    summary = orders.log_summary(log)
    assert summary == {
        "records": len(log),
        "deliveries": len(latest),
        "cancelled": int(latest["minutes"].isna().sum()),
        "corrected": len(log) - len(latest),
    }, f"log_summary(log) is {summary}"


def test_split_is_seeded_shuffled_and_reproducible(orders, log):
    cleaned = orders.clean_deliveries(log).reset_index(drop=True)

    def positions(seed):
        train, test = orders.split_deliveries(cleaned, 0.25, seed)
        return train.index.to_numpy(), test.index.to_numpy()

    assert_seeded_split(positions, len(cleaned), round(len(cleaned) * 0.25))


# -- features and model ----------------------------------------------------------------------


def test_training_deliveries_are_encoded_as_their_categories(quotes, frames, model):
    encoder, _ = model
    train = frames[0]
    assert {c: list(v) for c, v in encoder.categories_.items()} == {
        "region": sorted(train["region"].unique()),
        "vehicle": sorted(train["vehicle"].unique()),
    }, f"the encoder learned the categories {encoder.categories_}"
    assert_close(
        quotes.design_matrix(train, encoder), by_hand(train, encoder.categories_),
        "design_matrix of the training deliveries",
        "the features of a training delivery are not its distance and its indicators",
    )  # fmt: skip


def test_every_delivery_is_encoded_as_its_own_region_and_vehicle(quotes, frames, model, shop):
    encoder, _ = model
    test = frames[1].reset_index(drop=True)
    cats = encoder.categories_
    expected = by_hand(test, cats)[:, 1:]
    baskets = [[i] for i in range(len(test))]  # as the shop sends most orders
    checkout = shop.set_index("order_id")["checkout"].loc[test["order_id"].astype(str)].to_numpy()
    baskets += [np.flatnonzero(checkout == c) for c in pd.unique(checkout)]
    baskets += [
        np.arange(len(test)),
        np.flatnonzero((test["region"] != cats["region"][0]).to_numpy()),
    ]
    wrong = {}
    for rows in baskets:
        got = encoder.transform(test.iloc[rows])
        for row, g in zip(rows, got, strict=True):
            if not np.array_equal(g, expected[row]) and row not in wrong:
                wrong[row] = g
    if wrong:
        row, got = next(iter(wrong.items()))
        n = len(cats["region"])
        raise AssertionError(
            f"encoder.transform gave {len(wrong)} of {len(test)} held-out deliveries indicators "
            f"that are not their own region and vehicle, e.g. order {test['order_id'][row]} "
            f"({test['region'][row]}, {test['vehicle'][row]}) got region indicators {got[:n]} "
            f"and vehicle indicators {got[n:]} for the trained columns {cats['region']} and "
            f"{cats['vehicle']}: the model reads another delivery"
        )


def test_ridge_solves_its_normal_equations(quotes):
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    w = quotes.fit_ridge(X, y, alpha=2.0)
    assert_close(
        X.T @ (X @ w - y) + 2.0 * w, np.zeros(4), "the ridge gradient at the fit", atol=1e-9
    )


def test_model_recovers_the_minutes_of_an_offset_log(quotes, frames):
    train, test = frames
    shifted = train.assign(minutes=train["minutes"] + 100.0)
    before = quotes.predict(*quotes.fit_model(train, ALPHA), test)
    after = quotes.predict(*quotes.fit_model(shifted, ALPHA), test)
    assert_close(
        np.mean(after - before), 100.0,
        "the mean change of the predictions when every training time is 100 minutes longer",
        "the model does not carry a base time", atol=2.5,
    )  # fmt: skip


# -- evaluation and quotes -------------------------------------------------------------------


def test_report_is_that_of_the_returned_model(quotes, orders, log, frames):
    result = assert_inputs_untouched(quotes.run_pipeline, log, what="run_pipeline(log)")
    assert result["log"] == orders.log_summary(log), f"run_pipeline(log)['log'] is {result['log']}"
    test = frames[1]
    pd.testing.assert_frame_equal(result["test"], test, obj="run_pipeline(log)['test']")
    predicted = by_hand(test, result["encoder"].categories_) @ result["weights"]
    assert_close(result["predictions"], predicted, "run_pipeline(log)['predictions']")
    y = test["minutes"].to_numpy()
    errors = np.abs(y - predicted)
    by_region = {
        r: float(errors[(test["region"] == r).to_numpy()].mean())
        for r in sorted(set(test["region"]))
    }
    promised = 5.0 * np.ceil(predicted / 5.0)
    assert_figures(
        result,
        {"test_mae": mae(y, predicted), "late_share": float(np.mean(y > promised))},
        "run_pipeline(log)",
    )
    assert sorted(result["mae_by_region"]) == sorted(by_region), f"{result['mae_by_region']}"
    assert_figures(result["mae_by_region"], by_region, "run_pipeline(log)['mae_by_region']")
    assert result["test_mae"] < 2.5, f"held-out error {result['test_mae']:.2f} minutes"


def test_model_ignores_the_held_out_deliveries(quotes, orders, log, frames):
    _, test = frames
    changed = log.copy()
    held_out = changed["order_id"].astype(int).isin(test["order_id"])
    changed.loc[held_out, "minutes"] = "999.0"
    changed.loc[held_out, "region"] = "west"
    before, after = quotes.run_pipeline(log), quotes.run_pipeline(changed)
    assert_unchanged(
        before["weights"], after["weights"], "the ridge weights",
        "the model changed when only the held-out deliveries changed",
    )  # fmt: skip


def test_seed_chooses_the_held_out_deliveries(quotes, log):
    assert_reproducible(lambda seed: quotes.run_pipeline(log, seed=seed)["test_mae"], "test_mae")


def test_a_promise_is_the_prediction_rounded_up_to_five_minutes(quotes):
    got = quotes.promised_minutes([0.5, 12.0, 15.0, 15.01, 33.7])
    assert_close(got, [5.0, 15.0, 15.0, 20.0, 35.0], "promised_minutes of 0.5, 12, 15, 15.01, 33.7")


def test_checkout_quotes_are_the_models_times_for_the_orders(quotes, frames, model, shop):
    encoder, weights = model
    test = frames[1]
    expected = pd.Series(by_hand(test, encoder.categories_) @ weights, index=test["order_id"])
    # The checkouts that hold a held-out order, each quoted whole, as the shop sent it.
    sent = shop[
        shop["checkout"].isin(
            shop.loc[shop["order_id"].astype(int).isin(test["order_id"]), "checkout"]
        )
    ]
    by_checkout = pd.concat(
        [quotes.quote(encoder, weights, c.to_dict("records")) for _, c in sent.groupby("checkout")]
    ).set_index("order_id")
    one_by_one = pd.concat(
        [quotes.quote(encoder, weights, [r]) for r in requests_for(test.iloc[:24])]
    ).set_index("order_id")
    basket = quotes.quote(encoder, weights, requests_for(test))
    assert basket["order_id"].tolist() == test["order_id"].tolist(), (
        f"quote returned the orders {basket['order_id'].tolist()[:5]}...; it was asked for "
        f"{test['order_id'].tolist()[:5]}..."
    )
    y = test.set_index("order_id")["minutes"]
    for how, got in (
        ("checkout by checkout, as the shop sent them", by_checkout["minutes"]),
        ("one order at a time", one_by_one["minutes"]),
        ("all in one request", basket.set_index("order_id")["minutes"]),
    ):
        got = got.loc[expected.index.intersection(got.index)]
        far = np.abs(got - expected) > 1e-6
        assert not far.any(), (
            f"quoted {how}, {int(far.sum())} of {len(got)} held-out orders get another time "
            f"than the model gives their own distance, region and vehicle, by up to "
            f"{float(np.max(np.abs(got - expected))):.1f} minutes; their quotes are off by "
            f"{mae(y.loc[got.index], got):.2f} minutes on average and "
            f"{float(np.mean(y.loc[got.index] > quotes.promised_minutes(got))):.0%} of them arrive "
            f"later than promised, where the offline evaluation of the same model says "
            f"{mae(y.loc[got.index], expected.loc[got.index]):.2f} minutes"
        )
    assert_close(basket["promised"], quotes.promised_minutes(basket["minutes"]), "the promises")


@pytest.mark.edge
def test_an_unseen_region_loses_only_its_region_indicator(quotes, frames, model):
    encoder, weights = model
    test = frames[1].iloc[:6].copy()
    test.iloc[2, test.columns.get_loc("region")] = "harbour"  # opened after training
    encoded = encoder.transform(test)
    n_regions = len(encoder.categories_["region"])
    assert encoded.shape == (6, n_regions + len(encoder.categories_["vehicle"])), (
        f"encoding 6 deliveries, one to a new region, gave shape {encoded.shape}"
    )
    assert encoded[2, :n_regions].sum() == 0 and encoded[2, n_regions:].sum() == 1, (
        f"the delivery to the new region got region indicators {encoded[2, :n_regions]} and "
        f"vehicle indicators {encoded[2, n_regions:]}"
    )
    others = np.delete(encoded, 2, axis=0)
    assert_unchanged(
        others, np.delete(by_hand(test, encoder.categories_)[:, 1:], 2, axis=0),
        "the indicators of the other five deliveries, encoded with the order to the new region",
        "the other five orders are not quoted for their own region and vehicle",
    )  # fmt: skip
    basket = quotes.quote(encoder, weights, requests_for(test))
    assert len(basket) == 6 and np.isfinite(basket["minutes"]).all(), f"{basket}"


def test_split_defaults_hold_out_a_quarter_with_seed_zero(orders, log):
    cleaned = orders.clean_deliveries(log)
    default, explicit = orders.split_deliveries(cleaned), orders.split_deliveries(cleaned, 0.25, 0)
    assert all(a.index.equals(b.index) for a, b in zip(default, explicit, strict=True)), (
        "split_deliveries(deliveries) differs from split_deliveries(deliveries, 0.25, 0)"
    )


def test_the_ridge_penalty_is_honoured(quotes, log, frames):
    train = frames[0]
    for alpha in (1.0, 50.0):
        result = quotes.run_pipeline(log, alpha=alpha) if alpha != 1.0 else quotes.run_pipeline(log)
        encoder = result["encoder"]
        X = by_hand(train, encoder.categories_)
        y = train["minutes"].to_numpy()
        expected = np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ y)
        assert_close(result["weights"], expected, f"the ridge weights with alpha={alpha}")


def test_a_delivery_that_takes_exactly_its_promise_is_on_time(quotes, log):
    whole = log.assign(
        minutes=[f"{5 * round(float(m) / 5):.1f}" if m else "" for m in log["minutes"]]
    )
    result = quotes.run_pipeline(whole)
    y, promised = (
        result["test"]["minutes"].to_numpy(),
        quotes.promised_minutes(result["predictions"]),
    )
    assert np.any(y == promised), "no held-out delivery took exactly its promise"
    assert_figures(
        result, {"late_share": float(np.mean(y > promised))}, "run_pipeline(whole minutes)"
    )
