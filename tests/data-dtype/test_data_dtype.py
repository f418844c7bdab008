"""Rents must be parsed as numbers, and ranked and compared as numbers.

The tests build listings with known rents, write them in the portal's export format (rents of
1,000 and more carry a thousands separator), parse them back with the pipeline and compare its
rankings with those of the known rents.
"""

import numbers

import numpy as np
import pandas as pd
import pytest
from katakit import with_shuffled_index


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def listings(pipeline):
    return with_shuffled_index(pipeline.make_listings(n_rows=120, seed=0), seed=5)


@pytest.fixture(scope="module")
def result(pipeline, listings):
    return pipeline.run_pipeline(pipeline.to_csv_text(listings), n_top=5)


def as_number(value, what):
    assert isinstance(value, numbers.Real), (
        f"{what} is {value!r} of type {type(value).__name__}; expected a number of euros"
    )
    return float(value)


def test_other_columns_are_parsed_as_exported(pipeline, listings):
    parsed = pipeline.load_listings(pipeline.to_csv_text(listings))
    assert list(parsed.columns) == list(listings.columns), f"columns are {list(parsed.columns)}"
    assert parsed["listing_id"].tolist() == listings["listing_id"].tolist()
    assert parsed["district"].tolist() == listings["district"].tolist()
    np.testing.assert_allclose(parsed["area_m2"], listings["area_m2"], err_msg="floor areas")


def test_top_listings_are_the_most_expensive(listings, result):
    rents = listings.set_index("listing_id")["rent"]
    expected = rents.sort_values(ascending=False).index[:5].tolist()
    shown = {i: int(rents[i]) for i in result["top_ids"][:5]}
    assert result["top_ids"] == expected, (
        f"the top 5 listings by rent are {shown} (id: rent); the five highest rents are "
        f"{ {i: int(rents[i]) for i in expected} }"
    )


def test_rent_range_spans_the_cheapest_to_the_dearest(listings, result):
    low, high = result["rent_range"]
    low, high = as_number(low, "the lowest rent"), as_number(high, "the highest rent")
    assert (low, high) == (listings["rent"].min(), listings["rent"].max()), (
        f"rent_range is ({low:g}, {high:g}); the listings' rents run from "
        f"{listings['rent'].min()} to {listings['rent'].max()}"
    )


def test_cheapest_listing_per_district(listings, result):
    expected = {}
    for row in listings.itertuples():
        best = expected.get(row.district)
        if best is None or (row.rent, row.listing_id) < best:
            expected[row.district] = (row.rent, row.listing_id)
    expected = {district: listing_id for district, (_, listing_id) in expected.items()}
    assert result["cheapest_by_district"] == expected, (
        f"cheapest listing per district is {result['cheapest_by_district']}; by rent it is "
        f"{expected}"
    )


def test_parsed_rents_are_the_exported_amounts(pipeline, listings):
    parsed = pipeline.load_listings(pipeline.to_csv_text(listings))
    assert pd.api.types.is_numeric_dtype(parsed["rent"]), (
        f"load_listings gave the rent column dtype {parsed['rent'].dtype}, e.g. "
        f"{parsed['rent'].iloc[0]!r} for a rent of {listings['rent'].iloc[0]}"
    )
    np.testing.assert_allclose(
        parsed["rent"].to_numpy(dtype=float), listings["rent"].to_numpy(dtype=float),
        err_msg="parsed rents differ from the rents that were exported",
    )  # fmt: skip


def test_ties_with_the_nth_listing_are_kept(pipeline):
    rents = [1200, 950, 1200, 3000, 870, 1200]
    df = pd.DataFrame(
        {"listing_id": [1, 2, 3, 4, 5, 6], "district": ["harbour"] * 6,
         "area_m2": [50.0] * 6, "rent": rents},
    )  # fmt: skip
    result = pipeline.run_pipeline(pipeline.to_csv_text(with_shuffled_index(df)), n_top=2)
    assert result["top_ids"] == [4, 1, 3, 6], (
        f"the top 2 of rents {rents} (ids 1-6), ties with the 2nd included, came back as ids "
        f"{result['top_ids']}; expected [4, 1, 3, 6]"
    )


def test_exports_without_separators_rank_as_before(pipeline, listings):
    cheap = listings[listings["rent"] < 1000]
    result = pipeline.run_pipeline(pipeline.to_csv_text(cheap), n_top=3)
    expected = cheap.sort_values(["rent", "listing_id"], ascending=[False, True])
    assert result["top_ids"] == expected["listing_id"].tolist()[:3], (
        f"with every rent under 1,000 the top 3 are {result['top_ids']}; expected "
        f"{expected['listing_id'].tolist()[:3]}"
    )


def test_ranking_does_not_depend_on_row_order(pipeline, listings):
    again = with_shuffled_index(listings, seed=9)
    first = pipeline.run_pipeline(pipeline.to_csv_text(listings), n_top=5)
    second = pipeline.run_pipeline(pipeline.to_csv_text(again), n_top=5)
    assert first["top_ids"] == second["top_ids"], (
        f"the top 5 changed from {first['top_ids']} to {second['top_ids']} when the export "
        "listed the same rows in another order"
    )


@pytest.mark.edge
def test_a_single_expensive_listing(pipeline):
    one = pd.DataFrame(
        {"listing_id": [9], "district": ["riverside"], "area_m2": [120.0], "rent": [12500]}
    )
    result = pipeline.run_pipeline(pipeline.to_csv_text(one), n_top=5)
    assert result["top_ids"] == [9], f"top listings of a one-listing export: {result['top_ids']}"
    high = as_number(result["rent_range"][1], "the highest rent of a one-listing export")
    assert high == 12500, f"a single listing at 12,500 a month gave a highest rent of {high:g}"


def test_defaults_list_five_and_return_the_parsed_table(pipeline, listings):
    text = pipeline.to_csv_text(listings)
    result = pipeline.run_pipeline(text)
    assert len(result["top_ids"]) == len(pipeline.most_expensive(result["listings"])) == 5, (
        f"without n_top the digest lists {len(result['top_ids'])} flats; the default is 5"
    )
    pd.testing.assert_frame_equal(
        result["listings"], pipeline.load_listings(text), obj="run_pipeline(...)['listings']"
    )
