"""Writes the dams' logger exports handed out with the kata: ``python tests/numerics-variance/make_data.py``.

data/north.csv, data/south.csv, data/east.csv  a year of daily readings from each dam's logger,
one row per reading sent: ``time``, ``channel``, ``value`` and ``unit`` as the logger writes it.

Each logger writes its channels in its own units and from its own zero (north's crest as an
elevation, east's as the survey's grid northing). About 1 % of the readings were sent twice, the
later row being the corrected one; a few days were lost to logger outages. Fixed seeds: running
it again rewrites the files byte for byte. The tests import ``EVENTS`` from here.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
TO_CHANNEL_UNIT = {"mm": 1e-3, "m": 1.0, "l/s": 1.0, "m3/h": 1 / 3.6, "urad": 1.0}
# How each site's logger writes its channels: (channel, unit, level) with level the reading at rest.
SITES = {
    "north": [("crest_m", "m", 98.4), ("seepage_lps", "l/s", 4.0), ("tilt_urad", "urad", 15.0)],
    "south": [("crest_m", "mm", 0.0), ("seepage_lps", "m3/h", 9.0), ("tilt_urad", "urad", -6.0)],
    "east": [
        ("crest_m", "m", 5_632_019.48),
        ("seepage_lps", "l/s", 2.5),
        ("tilt_urad", "urad", 40.0),
    ],
}
OUTAGES = {"north": ["2024-06-17"], "south": [], "east": ["2024-03-03", "2024-03-04", "2024-08-21"]}
# The events the engineers confirmed on site: (channel, first day, readings, size in channel units).
EVENTS = {
    "north": [("crest_m", "2024-11-06", 6, 0.012), ("seepage_lps", "2024-12-02", 4, 2.5)],
    "south": [("crest_m", "2024-10-21", 6, 0.012), ("tilt_urad", "2024-11-28", 4, 20.0)],
    "east": [("crest_m", "2024-11-14", 6, 0.012), ("seepage_lps", "2024-10-09", 4, 2.5)],
}
NOISE = {"crest_m": 0.002, "seepage_lps": 0.3, "tilt_urad": 3.0}
READ_AT = pd.Timedelta(hours=6)  # the loggers read once a day, at 06:00


def event_times(start, count):
    """The reading times of an event that starts on the day ``start``."""
    return pd.date_range(pd.Timestamp(start) + READ_AT, periods=count, freq="D")


def make_export(site="north", seed=0):
    """A year of daily readings from one site's logger, as it exports them (rows as sent)."""
    rng = np.random.default_rng([seed, list(SITES).index(site)])
    days = pd.date_range("2024-01-01", "2024-12-31", freq="D")
    days = days[~days.isin(pd.to_datetime(OUTAGES[site]))]
    times = days + READ_AT
    frames = []
    for channel, unit, level in SITES[site]:
        true = NOISE[channel] * rng.standard_normal(len(times))
        for event_channel, start, count, size in EVENTS[site]:
            if event_channel == channel:
                at = times.get_loc(event_times(start, count)[0])
                true[at : at + count] += size
        value = level + true / TO_CHANNEL_UNIT[unit]
        frames.append(
            pd.DataFrame({"time": times, "channel": channel, "value": value, "unit": unit})
        )
    export = pd.concat(frames, ignore_index=True)
    resent = export.sample(frac=0.01, random_state=int(rng.integers(2**31)))
    glitched = export.loc[resent.index].assign(
        value=lambda f: f["value"] * rng.uniform(0.5, 1.5, len(f))
    )
    export = pd.concat([glitched, export.drop(resent.index), resent]).reset_index(drop=True)
    return export


def write(site, seed=0):
    path = DATA / f"{site}.csv"
    export = make_export(site, seed)
    export.to_csv(path, index=False, float_format="%.4f", date_format="%Y-%m-%d %H:%M")
    return path


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    for site in SITES:
        print(write(site))
