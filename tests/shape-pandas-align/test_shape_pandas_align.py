"""Each predicted rent must stay on the row of the listing it was computed for.

The tests price the same listings with a shuffled, non-default index (as a database export
gives them), with rows whose features are missing, and in another row order, and check each
prediction against that listing's own features, via its listing_id.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import assert_close, with_shuffled_index

SEED = 0
NOISE_SD = 20.0


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def listings(pipeline):
    return pipeline.make_listings(n_rows=300, seed=SEED)


def own_prices(pipeline, result, frame):
    """What the fitted model gives each complete row of ``frame`` from that row's features alone."""
    scaler = result["scaler"]
    values = frame[pipeline.FEATURES].to_numpy(dtype=float)
    prices = (values - scaler.mean_) / scaler.scale_ @ result["weights"] + result["bias"]
    return pd.Series(prices, index=frame.index)


def priced_by_id(result):
    priced = result["priced"]
    return priced.set_index("listing_id")["predicted_rent"].sort_index()


def test_each_listing_is_priced_from_its_own_features(pipeline, listings):
    frame = with_shuffled_index(listings, seed=1)
    result = pipeline.run_pipeline(frame)
    complete = frame.dropna(subset=pipeline.FEATURES)
    expected = own_prices(pipeline, result, complete)
    actual = result["priced"].loc[complete.index, "predicted_rent"]
    wrong = ~np.isclose(actual, expected, rtol=1e-7)
    if wrong.any():
        label = complete.index[np.argmax(wrong)]
        raise AssertionError(
            f"{int(wrong.sum())} of {len(complete)} listings with every feature got a "
            f"predicted_rent that is not their own: listing_id {complete.at[label, 'listing_id']}"
            f" (row label {label}) got {actual[label]:.2f}, but the fitted model gives "
            f"{expected[label]:.2f} from its own features (the table's index is shuffled and "
            "starts at 1000, as in a database export)"
        )


def test_predictions_track_the_rents_of_let_listings(pipeline, listings):
    priced = pipeline.run_pipeline(listings)["priced"]
    let = priced.dropna(subset=[*pipeline.FEATURES, "rent"])
    error = let["predicted_rent"] - let["rent"]
    rmse = float(np.sqrt(np.mean(error**2)))
    assert rmse <= 1.5 * NOISE_SD, (
        f"on the {len(let)} let listings the model was fitted to, predicted_rent is off by "
        f"{rmse:.1f} (root mean square, {int(error.isna().sum())} missing); rents are the "
        f"model plus noise of sd {NOISE_SD:.0f}, so the fit itself is off by about that much"
    )


def test_listings_missing_a_feature_are_not_priced(pipeline, listings):
    priced = pipeline.run_pipeline(listings)["priced"]
    incomplete = priced[pipeline.FEATURES].isna().any(axis=1)
    priced_anyway = int(priced.loc[incomplete, "predicted_rent"].notna().sum())
    unpriced = int(priced.loc[~incomplete, "predicted_rent"].isna().sum())
    assert (priced_anyway, unpriced) == (0, 0), (
        f"{priced_anyway} of the {int(incomplete.sum())} listings with a missing feature got a "
        f"predicted rent, and {unpriced} listings with every feature got none: predictions "
        "are not on the rows they were computed for"
    )


def test_prices_do_not_depend_on_row_order_or_index_labels(pipeline, listings):
    plain = priced_by_id(pipeline.run_pipeline(listings))
    shuffled = priced_by_id(pipeline.run_pipeline(with_shuffled_index(listings, seed=2)))
    moved = ~np.isclose(shuffled.fillna(-1.0), plain.fillna(-1.0), rtol=1e-7)
    if moved.any():
        listing = plain.index[np.argmax(moved)]
        raise AssertionError(
            f"{int(moved.sum())} of {len(plain)} listings got a different predicted_rent after "
            "the rows were shuffled and the index relabelled from 1000, e.g. listing_id "
            f"{listing}: {plain[listing]:.2f} before, {shuffled[listing]:.2f} after; a listing's "
            "price must depend only on its own features"
        )


def test_a_complete_table_in_default_order_is_priced_exactly(pipeline, listings):
    complete = listings.dropna(subset=pipeline.FEATURES).reset_index(drop=True)
    result = pipeline.run_pipeline(complete)
    assert_close(
        result["priced"]["predicted_rent"], own_prices(pipeline, result, complete),
        "predicted_rent on a table with every feature and index 0..n-1", rtol=1e-7,
    )  # fmt: skip


def test_model_recovers_the_rent_per_unit_of_each_feature(pipeline, listings):
    result = pipeline.run_pipeline(with_shuffled_index(listings, seed=3))
    per_unit = np.asarray(result["weights"]) / result["scaler"].scale_
    assert_close(
        per_unit, pipeline.COEFFICIENTS, "the fitted rent per unit of each feature",
        "the listings were generated with these coefficients plus noise", rtol=0.05,
    )  # fmt: skip


def test_priced_table_keeps_every_listing_and_value(pipeline, listings):
    frame = with_shuffled_index(listings, seed=4)
    priced = pipeline.run_pipeline(frame)["priced"]
    assert priced.index.equals(frame.index), "run_pipeline reordered, dropped or added rows"
    pd.testing.assert_frame_equal(priced[frame.columns], frame)
    assert [*frame.columns, "predicted_rent"] == priced.columns.tolist()
