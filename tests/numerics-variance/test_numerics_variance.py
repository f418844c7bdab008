"""The dam monitoring job, from the loggers' exports to the flagged readings, end to end.

Every known event must be flagged at every site; the baseline statistics must be the mean and
standard deviation of the baseline readings (population or sample spread, ddof 0 or 1, both
count), computed chunk by chunk; and every z-score and flag the job reports must follow from the
statistics it returns.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_finite,
    assert_inputs_untouched,
    assert_reproducible,
    assert_unchanged,
    with_shuffled_index,
)

BASELINE_END = pd.Timestamp("2024-10-01")
GRID = 6_200_000.0  # the crest as a grid coordinate: metres from a distant origin
SCATTER = {"crest_m": 0.002, "seepage_lps": 0.3, "tilt_urad": 3.0}  # each channel's usual noise


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


def moved_crest(readings, by):
    out = readings.copy()
    out["crest_m"] = out["crest_m"] + by
    return out


# -- the job, site by site ------------------------------------------------------------------------


@pytest.mark.parametrize("site", ["north", "south", "east"])
def test_every_known_event_is_flagged(logs, monitor, site):
    export = relabelled(logs.make_export(site, 0), seed=1)
    report = monitor.run_monitoring(logs.load_site(export))
    what = f"run_monitoring(load_site(make_export({site!r})))"
    for channel, start, count, size in logs.EVENTS[site]:
        times = pd.date_range(start, periods=count, freq=pd.Timedelta(hours=3))
        flagged = int(report["flags"].loc[times, channel].sum())
        z = report["z"].loc[times, channel].to_numpy(dtype=float)
        assert flagged >= count - 2, (
            f"{what} flags {flagged} of the {count} readings of the {channel} event of {start} "
            f"(a move of {size:g}, {size / SCATTER[channel]:.0f} times the channel's usual "
            f"scatter); their z-scores are {np.round(z, 2).tolist()}"
        )
    quiet = int(report["flags"].to_numpy().sum()) - sum(c for *_, c, _ in logs.EVENTS[site])
    assert quiet <= 3, f"{what} raises {quiet} flags outside the known events"


@pytest.mark.parametrize("site", ["north", "south", "east"])
def test_baseline_stats_are_the_mean_and_spread_of_the_baseline(logs, monitor, site):
    readings = logs.load_site(logs.make_export(site, 0))
    stats = monitor.run_monitoring(readings)["stats"]
    baseline = readings[readings.index < BASELINE_END].to_numpy(dtype=float)
    assert_close(stats.mean_, baseline.mean(axis=0), f"the {site} baseline's mean_", rtol=1e-9)
    assert_spread_matches_two_pass(stats.scale_, baseline, f"the {site} baseline's scale_")


def test_stats_follow_the_crest_to_a_grid_coordinate(logs, monitor):
    X = logs.load_site(logs.make_export("north", 0)).to_numpy(dtype=float)[:2184]
    origin = np.array([GRID, 0.0, 0.0])
    local = chunked(monitor, X, 240)
    with np.errstate(all="ignore"):  # judged by the statistics
        grid = chunked(monitor, X + origin, 240)
    what = "north's baseline with its crest as a grid coordinate (6.2e6 m added)"
    assert_close(grid.mean_ - origin, local.mean_, f"mean_ of {what}, minus 6.2e6 m",
                 "the mean of the same baseline as the logger wrote it", rtol=1e-9, atol=1e-6)  # fmt: skip
    assert_close(grid.scale_, local.scale_, f"scale_ of {what}",
                 "the scale_ of the same baseline as the logger wrote it", rtol=1e-6)  # fmt: skip


def test_z_scores_do_not_depend_on_where_the_crest_is_measured_from(logs, monitor):
    readings = logs.load_site(logs.make_export("north", 2))
    local = monitor.run_monitoring(readings)
    with np.errstate(all="ignore"):  # judged by the z-scores
        grid = monitor.run_monitoring(moved_crest(readings, GRID))
    worst = np.nanargmax(np.abs(grid["z"]["crest_m"].to_numpy() - local["z"]["crest_m"].to_numpy()))
    assert np.allclose(grid["z"]["crest_m"], local["z"]["crest_m"], rtol=1e-6, atol=1e-6), (
        f"north's crest readings, written as grid coordinates (6.2e6 m added), get z-scores like "
        f"{grid['z']['crest_m'].iloc[worst]:.4f} where the same readings as the logger wrote them get "
        f"{local['z']['crest_m'].iloc[worst]:.4f}; flags {grid['flag_counts']['crest_m']} and "
        f"{local['flag_counts']['crest_m']}: the dam moved exactly the same"
    )


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


def test_reported_z_and_flags_follow_from_the_returned_stats(logs, monitor):
    readings = logs.load_site(relabelled(logs.make_export("south", 1), seed=3))
    report = assert_inputs_untouched(monitor.run_monitoring, readings, what="run_monitoring")
    stats, z, flags = report["stats"], report["z"], report["flags"]
    monitored = readings[readings.index >= BASELINE_END]
    baseline = readings[readings.index < BASELINE_END].to_numpy(dtype=float)
    assert_close(stats.mean_, baseline.mean(axis=0), "the returned stats' mean_",
                 "it is not the mean of the readings before 1 October", rtol=1e-9)  # fmt: skip
    assert_spread_matches_two_pass(stats.scale_, baseline, "the returned stats' scale_")
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
    readings = logs.load_site(logs.make_export("north", 3))
    report = monitor.run_monitoring(readings, baseline_end="2024-07-01", threshold=3.0)
    baseline = readings[readings.index < "2024-07-01"].to_numpy(dtype=float)
    assert report["stats"].n_ == len(baseline), (
        f"the stats learned from {report['stats'].n_} readings; {len(baseline)} precede 1 July"
    )
    assert_close(report["stats"].mean_, baseline.mean(axis=0), "mean_ of a baseline to 1 July")
    assert report["z"].index.min() == pd.Timestamp("2024-07-01"), "z does not start on 1 July"
    expected = (np.abs(report["z"]) > 3.0).sum()
    assert report["flags"].sum().to_dict() == expected.to_dict(), "threshold=3.0 was not used"


@pytest.mark.edge
def test_a_reading_exactly_at_the_threshold_is_not_flagged(logs, monitor):
    readings = logs.load_site(logs.make_export("north", 6))
    first = monitor.run_monitoring(readings)
    at = float(first["z"]["tilt_urad"].abs().max())
    again = monitor.run_monitoring(readings, threshold=at)
    assert int(again["flags"]["tilt_urad"].sum()) == 0, (
        f"with threshold={at!r}, the tilt reading whose z-score is exactly {at!r} is flagged; "
        "a flag means more than the threshold"
    )


def test_nothing_learned_depends_on_the_monitored_readings(logs, monitor):
    readings = logs.load_site(logs.make_export("south", 4))
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
    export = logs.make_export("south", 5).drop_duplicates(["time", "channel"], keep="last")
    as_sent = logs.load_site(export)
    shuffled = logs.load_site(with_shuffled_index(export, seed=5))
    assert_unchanged(as_sent, shuffled, "load_site(export)",
                     "the same readings listed in another order give another table")  # fmt: skip
    assert as_sent.index.is_monotonic_increasing, "load_site's readings are not oldest first"


def test_export_is_seeded(logs):
    assert_reproducible(lambda seed: logs.make_export("north", seed)["value"], "make_export")
