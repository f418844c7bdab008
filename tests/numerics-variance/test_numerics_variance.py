"""The dam monitoring job, from the loggers' exports to the flagged readings, end to end.

Every known event must be flagged at every site; the baseline statistics must be the mean and
standard deviation of the baseline readings (population or sample spread, ddof 0 or 1, both
count), computed chunk by chunk; and every z-score and flag the job reports must follow from the
statistics it returns. The exports are the files handed out in data/.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_finite,
    assert_inputs_untouched,
    assert_unchanged,
    data_maker,
    with_shuffled_index,
)

DATA = Path(__file__).resolve().parent / "data"
SITES = ["north", "south", "east"]
BASELINE_END = pd.Timestamp("2024-10-01")
SCATTER = {"crest_m": 0.002, "seepage_lps": 0.3, "tilt_urad": 3.0}  # each channel's usual noise


GENERATOR = data_maker(__file__)
EVENTS = GENERATOR.EVENTS  # the events the engineers confirmed on site


@pytest.fixture(scope="module")
def logs(kata):
    return kata("readings")


@pytest.fixture(scope="module")
def monitor(kata):
    return kata("monitor")


def chunked(monitor, X, size):
    stats = monitor.RunningStats()
    for start in range(0, len(X), size):
        stats.partial_fit(X[start : start + size])
    return stats


def assert_spread_matches_two_pass(scale, X, what):
    scale = np.asarray(scale, dtype=float)
    assert_finite(scale, what, "every channel varies over the baseline")
    population, sample = X.std(axis=0, ddof=0), X.std(axis=0, ddof=1)
    if not (np.allclose(scale, population, rtol=1e-6) or np.allclose(scale, sample, rtol=1e-6)):
        raise AssertionError(
            f"{what} is {np.array2string(scale, precision=6)}; the standard deviation of the "
            f"same {len(X)} readings (np.std) is "
            f"{np.array2string(population, precision=6)}"
        )


def relabelled(export, seed):
    """The export in its own row order, labelled by a shuffled, non-contiguous index."""
    labels = 5000 + 3 * np.random.default_rng(seed).permutation(len(export))
    return export.set_axis(labels)


def site_readings(logs, site):
    """The site's readings as the job sees them: its export file, read and cleaned."""
    return logs.load_site(logs.read_export(DATA / f"{site}.csv"))


# -- the job, site by site ------------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_every_known_event_is_flagged(logs, monitor, site):
    export = relabelled(logs.read_export(DATA / f"{site}.csv"), seed=1)
    report = monitor.run_monitoring(logs.load_site(export))
    what = f"the job on data/{site}.csv"
    for channel, start, count, size in EVENTS[site]:
        times = GENERATOR.event_times(start, count)
        flagged = int(report["flags"].loc[times, channel].sum())
        z = report["z"].loc[times, channel].to_numpy(dtype=float)
        assert flagged >= count - 2, (
            f"{what} flags {flagged} of the {count} daily readings of the {channel} event of "
            f"{start} (a move of {size:g}, {size / SCATTER[channel]:.0f} times the channel's "
            f"usual scatter), confirmed on site; their z-scores are {np.round(z, 2).tolist()}"
        )
    quiet = int(report["flags"].to_numpy().sum()) - sum(c for *_, c, _ in EVENTS[site])
    assert quiet <= 3, f"{what} raises {quiet} flags outside the known events"


@pytest.mark.parametrize("site", SITES)
def test_baseline_stats_are_the_mean_and_spread_of_the_baseline(logs, monitor, site):
    readings = site_readings(logs, site)
    stats = monitor.run_monitoring(readings)["stats"]
    baseline = readings[readings.index < BASELINE_END].to_numpy(dtype=float)
    assert_close(stats.mean_, baseline.mean(axis=0), f"the {site} baseline's mean_", rtol=1e-9)
    assert_spread_matches_two_pass(stats.scale_, baseline, f"the {site} baseline's scale_")


def test_every_sites_stats_agree_however_the_baseline_arrives(logs, monitor):
    for site in SITES:
        readings = site_readings(logs, site)
        X = readings[readings.index < BASELINE_END].to_numpy(dtype=float)
        for size in (len(X), 100, 10):
            stats = chunked(monitor, X, size)
            how = "in one chunk" if size == len(X) else f"{size} at a time"
            what = f"RunningStats of {site}'s {len(X)} baseline readings, fed {how}"
            assert_close(stats.mean_, X.mean(axis=0), f"the mean_ of {what}", rtol=1e-9)
            assert_spread_matches_two_pass(stats.scale_, X, f"the scale_ of {what}")


# -- the statistics -----------------------------------------------------------------------------


def test_stats_match_two_pass_on_ordinary_readings(monitor):
    X = np.random.default_rng(0).normal([5.0, -3.0, 0.0], [2.0, 0.1, 10.0], size=(300, 3))
    stats = chunked(monitor, X, 50)
    assert_close(stats.mean_, X.mean(axis=0), "RunningStats mean_", rtol=1e-9)
    assert_spread_matches_two_pass(stats.scale_, X, "RunningStats scale_")


@pytest.mark.parametrize("size", [1, 7, 300])
def test_chunk_size_does_not_change_the_stats(monitor, size):
    X = np.random.default_rng(1).normal(20.0, 3.0, size=(300, 2))
    one, many = chunked(monitor, X, 50), chunked(monitor, X, size)
    assert_close(many.mean_, one.mean_, f"mean_ fed in chunks of {size}", rtol=1e-9)
    assert_close(many.scale_, one.scale_, f"scale_ fed in chunks of {size}",
                 "the chunks are only how the readings arrive", rtol=1e-9)  # fmt: skip


@pytest.mark.edge
def test_a_channel_that_never_moved_is_only_centred(monitor):
    times = pd.date_range("2024-01-01", periods=12, freq=pd.Timedelta(days=30))
    readings = pd.DataFrame(
        {"steady": [3.0] * 8 + [3.0, 3.5, 2.0, 3.0], "moving": np.arange(12.0)}, index=times
    )
    report = monitor.run_monitoring(readings, baseline_end=times[8])
    assert_finite(report["z"], "z of a channel that never moved over the baseline")
    assert_close(report["z"]["steady"].to_numpy(), [0.0, 0.5, -1.0, 0.0],
                 "z of the channel that read 3.0 throughout the baseline",
                 "its readings minus the baseline mean")  # fmt: skip


# -- what the job reports ---------------------------------------------------------------------


@pytest.mark.parametrize("site", SITES)
def test_reported_z_and_flags_follow_from_the_returned_stats(logs, monitor, site):
    export = relabelled(logs.read_export(DATA / f"{site}.csv"), seed=3)
    readings = logs.load_site(export)
    report = assert_inputs_untouched(monitor.run_monitoring, readings, what="run_monitoring")
    stats, z, flags = report["stats"], report["z"], report["flags"]
    monitored = readings[readings.index >= BASELINE_END]
    baseline = readings[readings.index < BASELINE_END].to_numpy(dtype=float)
    assert_close(stats.mean_, baseline.mean(axis=0), f"the mean_ the job returns for {site}",
                 "it is not the mean of the readings before 1 October", rtol=1e-9)  # fmt: skip
    assert_spread_matches_two_pass(stats.scale_, baseline, f"the scale_ the job returns for {site}")
    assert list(z.index) == list(monitored.index) and list(z.columns) == list(readings.columns), (
        f"z covers {len(z)} readings from {z.index.min()}; the monitored period holds "
        f"{len(monitored)} from {monitored.index.min()}"
    )
    expected_z = (monitored.to_numpy() - stats.mean_) / stats.scale_
    assert_close(z.to_numpy(dtype=float), expected_z, "run_monitoring(...)['z']", rtol=1e-9)
    assert np.array_equal(flags.to_numpy(), np.abs(expected_z) > 4.0), (
        "run_monitoring(...)['flags'] are not the readings more than 4 standard deviations away"
    )
    counts = {c: int(n) for c, n in report["flag_counts"].items()}
    assert counts == {c: int(flags[c].sum()) for c in readings.columns}, (
        f"flag_counts {counts} do not count the flags"
    )


def test_baseline_ends_where_asked(logs, monitor):
    readings = site_readings(logs, "north")
    end = pd.Timestamp("2024-07-01 06:00")  # the time of a reading: it is monitored
    report = monitor.run_monitoring(readings, baseline_end=str(end), threshold=3.0)
    baseline = readings[readings.index < end].to_numpy(dtype=float)
    assert report["stats"].n_ == len(baseline), (
        f"with baseline_end={str(end)!r} the stats learned from {report['stats'].n_} readings; "
        f"{len(baseline)} precede it"
    )
    assert_close(report["stats"].mean_, baseline.mean(axis=0), f"mean_ of a baseline to {end}")
    assert report["z"].index.min() == end, (
        f"with baseline_end={str(end)!r} z starts at {report['z'].index.min()}"
    )
    expected = (np.abs(report["z"]) > 3.0).sum()
    assert report["flags"].sum().to_dict() == expected.to_dict(), "threshold=3.0 was not used"


@pytest.mark.edge
def test_a_reading_exactly_at_the_threshold_is_not_flagged(logs, monitor):
    readings = site_readings(logs, "north")
    first = monitor.run_monitoring(readings)
    at = float(first["z"]["tilt_urad"].abs().max())
    again = monitor.run_monitoring(readings, threshold=at)
    assert int(again["flags"]["tilt_urad"].sum()) == 0, (
        f"with threshold={at!r}, the tilt reading whose z-score is exactly {at!r} is flagged; "
        "a flag means more than the threshold"
    )


def test_nothing_learned_depends_on_the_monitored_readings(logs, monitor):
    readings = site_readings(logs, "south")
    changed = readings.copy()
    changed.loc[changed.index >= BASELINE_END] *= 100.0
    before, after = monitor.run_monitoring(readings), monitor.run_monitoring(changed)
    assert_unchanged(before["stats"], after["stats"], "the baseline stats",
                     "they moved when only readings after the baseline changed")  # fmt: skip


# -- loading the exports ----------------------------------------------------------------------


def test_load_site_converts_units_and_keeps_the_later_of_a_resent_reading(logs):
    t0, t1 = pd.Timestamp("2024-03-01 00:00"), pd.Timestamp("2024-03-01 03:00")
    export = pd.DataFrame(
        [
            (t1, "crest_m", 9.0, "mm"),  # corrected below
            (t0, "crest_m", 1.5, "mm"),
            (t0, "seepage_lps", 18.0, "m3/h"),
            (t1, "seepage_lps", 3.5, "l/s"),
            (t0, "tilt_urad", 12.0, "urad"),
            (t1, "tilt_urad", 11.0, "urad"),
            (t1, "crest_m", 5_632_019.4825, "m"),
        ],
        columns=["time", "channel", "value", "unit"],
        index=[40, 7, 19, 3, 88, 61, 12],
    )
    wide = logs.load_site(export)
    assert list(wide.columns) == logs.CHANNELS, f"load_site gives the columns {list(wide.columns)}"
    assert list(wide.index) == [t0, t1], f"load_site gives the times {list(wide.index)}"
    expected = [[0.0015, 5.0, 12.0], [5_632_019.4825, 3.5, 11.0]]
    assert_close(wide.to_numpy(dtype=float), expected, "load_site(export)",
                 "readings in metres, litres per second and microradians, the later row of a "
                 "reading sent twice", rtol=1e-12)  # fmt: skip


def test_load_site_does_not_depend_on_the_order_of_the_export(logs):
    export = logs.read_export(DATA / "south.csv").drop_duplicates(["time", "channel"], keep="last")
    as_sent = logs.load_site(export)
    shuffled = logs.load_site(with_shuffled_index(export, seed=5))
    assert_unchanged(as_sent, shuffled, "load_site(export)",
                     "the same readings listed in another order give another table")  # fmt: skip
    assert as_sent.index.is_monotonic_increasing, "load_site's readings are not oldest first"


def test_read_export_gives_every_row_of_the_file_in_order(logs):
    raw = pd.read_csv(DATA / "east.csv", dtype=str)
    export = logs.read_export(DATA / "east.csv")
    assert list(export.columns) == ["time", "channel", "value", "unit"], (
        f"read_export gives the columns {list(export.columns)}"
    )
    assert len(export) == len(raw), f"read_export gives {len(export)} rows; the file has {len(raw)}"
    assert pd.api.types.is_datetime64_any_dtype(export["time"]), (
        f"read_export gives times of dtype {export['time'].dtype}"
    )
    assert list(export["time"]) == list(pd.to_datetime(raw["time"])), (
        "read_export's times are not the file's, row by row"
    )
    assert list(export["channel"]) == list(raw["channel"]), "the channels are not the file's"
    assert list(export["unit"]) == list(raw["unit"]), "the units are not the file's"
    assert_close(export["value"].to_numpy(dtype=float), raw["value"].astype(float).to_numpy(),
                 "read_export(...)['value']", "the values as the file writes them", rtol=1e-15)  # fmt: skip
