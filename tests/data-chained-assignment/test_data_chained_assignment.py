"""Cleaning must really change the cleaned table, and only the cleaned table.

The trip log has GPS speed glitches (above MAX_SPEED_KMH) and refunds exported with a minus
sign. The tests check the cleaned table row by row against the brief's rules, check that the
caller's table comes back untouched, and check the figures reported from the cleaned table.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import assert_close, assert_figures, assert_inputs_untouched, with_shuffled_index


@pytest.fixture(scope="module", autouse=True)
def copy_on_write():
    """pandas 3's copy-on-write, turned on under pandas 2.x too, so both versions agree."""
    if int(pd.__version__.split(".")[0]) >= 3:
        yield
        return
    with pd.option_context("mode.copy_on_write", True):
        yield


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def trips(pipeline):
    return with_shuffled_index(pipeline.make_trips(n_rows=200, seed=0), seed=2)


@pytest.fixture(scope="module")
def cleaned(pipeline, trips):
    return pipeline.clean_trips(trips.copy())


def test_no_glitched_speed_survives_cleaning(pipeline, trips, cleaned):
    fast = cleaned["speed_kmh"] > pipeline.MAX_SPEED_KMH
    assert not fast.any(), (
        f"after clean_trips, {int(fast.sum())} of {int((trips['speed_kmh'] > pipeline.MAX_SPEED_KMH).sum())} "
        f"glitched trips still have speeds above {pipeline.MAX_SPEED_KMH:g} km/h (up to "
        f"{cleaned['speed_kmh'].max():.0f}): the cleaning step ran but the table did not change"
    )


def test_a_glitched_speed_becomes_distance_over_duration(pipeline, trips, cleaned):
    glitch = trips["speed_kmh"] > pipeline.MAX_SPEED_KMH
    expected = trips["distance_km"] / trips["duration_min"] * 60.0
    assert_close(
        cleaned.loc[glitch[glitch].index, "speed_kmh"], expected[glitch],
        "cleaned speed of the glitched trips (by trip label)",
        "a glitched reading should be replaced by distance / duration in km/h",
    )  # fmt: skip


def test_no_negative_fare_survives_cleaning(trips, cleaned):
    negative = cleaned["fare"] < 0
    assert not negative.any(), (
        f"after clean_trips, {int(negative.sum())} of {int((trips['fare'] < 0).sum())} "
        "sign-flipped fares are still negative: the cleaning step ran but the table did not change"
    )
    assert_close(
        cleaned["fare"], trips["fare"].abs(), "cleaned fares (by trip label)",
        "each fare should keep its size; only refunds recorded with a minus sign change sign",
    )  # fmt: skip


def test_plausible_rows_and_other_columns_are_left_alone(pipeline, trips, cleaned):
    assert list(cleaned.index) == list(trips.index), (
        "clean_trips changed the table's rows or their labels; it should keep every trip"
    )
    for column in ["trip_id", "distance_km", "duration_min"]:
        assert_close(cleaned[column], trips[column], f"cleaned {column!r}")
    ok = trips["speed_kmh"] <= pipeline.MAX_SPEED_KMH
    assert_close(cleaned["speed_kmh"][ok], trips["speed_kmh"][ok], "plausible speeds")


def test_cleaning_leaves_the_callers_table_untouched(pipeline, trips):
    original = trips.copy()
    given = trips.copy()
    pipeline.run_pipeline(given)
    pd.testing.assert_frame_equal(
        given, original, obj="the table passed to run_pipeline",
    )  # fmt: skip


def test_reported_speeds_are_those_of_the_cleaned_trips(pipeline, trips):
    speed = np.where(
        trips["speed_kmh"] > pipeline.MAX_SPEED_KMH,
        trips["distance_km"] / trips["duration_min"] * 60.0,
        trips["speed_kmh"],
    )
    result = pipeline.run_pipeline(trips.copy())
    assert_close(
        result["mean_speed_kmh"], speed.mean(), "reported mean speed (km/h)",
        "the report still counts the GPS glitches",
    )  # fmt: skip
    assert result["max_speed_kmh"] <= pipeline.MAX_SPEED_KMH, (
        f"reported max speed is {result['max_speed_kmh']:.0f} km/h: the report still counts "
        "the GPS glitches"
    )
    assert result["speeding_trips"] == int((speed > pipeline.SPEEDING_KMH).sum()), (
        f"{result['speeding_trips']} trips reported as speeding; the cleaned log has "
        f"{int((speed > pipeline.SPEEDING_KMH).sum())}"
    )


def test_fare_per_km_recovers_the_tariff(pipeline, trips):
    result = pipeline.run_pipeline(trips.copy())
    assert result["fare_per_km"] == pytest.approx(1.8, abs=0.05), (
        f"fare per km is {result['fare_per_km']:.3f}; the tariff is 1.80 per km: the refunds "
        "recorded with a minus sign are still in the fit"
    )
    assert result["base_fare"] == pytest.approx(3.0, abs=0.3), (
        f"base fare is {result['base_fare']:.3f}; the tariff starts at 3.00"
    )


def test_cleaning_does_not_depend_on_index_labels(pipeline, trips):
    by_id = pipeline.clean_trips(trips.copy()).sort_values("trip_id")
    plain = pipeline.clean_trips(trips.sort_values("trip_id").reset_index(drop=True))
    assert_close(
        by_id["speed_kmh"].to_numpy(), plain["speed_kmh"].to_numpy(),
        "cleaned speeds of the shuffled, relabelled table (by trip id)",
        "cleaning gives a different result when the rows carry other index labels",
    )  # fmt: skip


@pytest.mark.edge
def test_a_log_without_glitches_comes_back_equal(pipeline, trips):
    good = trips[(trips["speed_kmh"] <= pipeline.MAX_SPEED_KMH) & (trips["fare"] >= 0)]
    pd.testing.assert_frame_equal(pipeline.clean_trips(good.copy()), good, obj="clean log")


def test_cleaning_runs_without_pandas_warnings(pipeline, trips):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pipeline.run_pipeline(trips.copy())
    ours = [w for w in caught if Path(w.filename).resolve() == Path(pipeline.__file__).resolve()]
    assert not ours, (
        f"run_pipeline made pandas warn {len(ours)} time(s), first "
        f"{ours[0].category.__name__} at line {ours[0].lineno} of {Path(ours[0].filename).name}"
        if ours
        else ""
    )


def test_every_reported_figure_is_that_of_the_cleaned_trips(pipeline, trips):
    result = assert_inputs_untouched(pipeline.run_pipeline, trips, what="run_pipeline(trips)")
    glitch = trips["speed_kmh"] > pipeline.MAX_SPEED_KMH
    speed = np.where(
        glitch, trips["distance_km"] / trips["duration_min"] * 60.0, trips["speed_kmh"]
    )
    fare = trips["fare"].abs().to_numpy()
    slope, intercept = np.polyfit(trips["distance_km"].to_numpy(), fare, 1)
    assert_figures(
        result,
        {
            "mean_speed_kmh": speed.mean(),
            "max_speed_kmh": speed.max(),
            "speeding_trips": int((speed > pipeline.SPEEDING_KMH).sum()),
            "revenue": fare.sum(),
            "fare_per_km": slope,
            "base_fare": intercept,
        },
        "run_pipeline(trips)",
        rtol=1e-9,
    )
    pd.testing.assert_frame_equal(
        result["cleaned"], pipeline.clean_trips(trips), obj="run_pipeline(trips)['cleaned']"
    )


def test_a_trip_at_exactly_the_limits_is_kept_as_recorded(pipeline, trips):
    edge = trips.iloc[:3].copy()
    edge["speed_kmh"] = [pipeline.MAX_SPEED_KMH, pipeline.SPEEDING_KMH, 40.0]
    edge["fare"] = [0.0, 0.5, 7.0]
    cleaned = pipeline.clean_trips(edge)
    assert_close(
        cleaned["speed_kmh"], edge["speed_kmh"], "speeds of 150, 90 and 40 km/h after cleaning"
    )
    assert_close(cleaned["fare"], edge["fare"], "fares of 0, 0.5 and 7 after cleaning")
    result = pipeline.run_pipeline(edge)
    assert result["speeding_trips"] == 1, (
        f"{result['speeding_trips']} of trips at 150, 90 and 40 km/h counted above 90 km/h"
    )
