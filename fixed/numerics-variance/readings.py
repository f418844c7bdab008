"""Dam monitoring exports: each site's logger rows, cleaned to one column per channel."""

import numpy as np
import pandas as pd

CHANNELS = ["crest_m", "seepage_lps", "tilt_urad"]
# The unit a logger writes -> the factor that turns it into the channel's unit.
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
EVENTS = {  # site -> (channel, start, readings, size in the channel's unit)
    "north": [
        ("crest_m", "2024-11-06 09:00", 6, 0.012),
        ("seepage_lps", "2024-12-02 00:00", 4, 2.5),
    ],
    "south": [
        ("crest_m", "2024-10-21 15:00", 6, 0.012),
        ("tilt_urad", "2024-11-28 06:00", 4, 20.0),
    ],
    "east": [
        ("crest_m", "2024-11-14 12:00", 6, 0.012),
        ("seepage_lps", "2024-10-09 03:00", 4, 2.5),
    ],
}
NOISE = {"crest_m": 0.002, "seepage_lps": 0.3, "tilt_urad": 3.0}


def make_export(site="north", seed=0):
    """A year of 3-hourly readings from one site's logger, as it exports them.

    One row per reading: ``time``, ``channel``, ``value`` and ``unit`` (as the logger writes
    it). About 1 % of the readings were re-sent later; the later row is the corrected one.
    """
    rng = np.random.default_rng([seed, list(SITES).index(site)])
    times = pd.date_range("2024-01-01", "2024-12-31 21:00", freq=pd.Timedelta(hours=3))
    frames = []
    for channel, unit, level in SITES[site]:
        to_unit = TO_CHANNEL_UNIT[unit]
        true = NOISE[channel] * rng.standard_normal(len(times))
        for event_channel, start, count, size in EVENTS[site]:
            if event_channel == channel:
                at = times.get_loc(pd.Timestamp(start))
                true[at : at + count] += size
        value = level + true / to_unit
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


def load_site(export):
    """The site's readings: one row per reading time (oldest first), one column per channel.

    export : DataFrame as make_export returns it, rows in any order. Values are converted to the
    channel's unit (metres, litres per second, microradians); of a reading sent twice, the row
    later in the export is kept.
    """
    converted = export.assign(value=export["value"] * export["unit"].map(TO_CHANNEL_UNIT))
    latest = converted.drop_duplicates(["time", "channel"], keep="last")
    wide = latest.pivot(index="time", columns="channel", values="value")
    return wide.sort_index()[CHANNELS]
