"""Dam monitoring exports: each site's logger file, cleaned to one column per channel."""

import pandas as pd

CHANNELS = ["crest_m", "seepage_lps", "tilt_urad"]
# The unit a logger writes -> the factor that turns it into the channel's unit.
TO_CHANNEL_UNIT = {"mm": 1e-3, "m": 1.0, "l/s": 1.0, "m3/h": 1 / 3.6, "urad": 1.0}


def read_export(path):
    """One site's logger export, one row per reading as the logger sent it.

    Columns: ``time``, ``channel``, ``value`` (in ``unit``, as the logger writes it) and ``unit``.
    A reading the logger re-sent appears twice; the later row is the corrected one.
    """
    export = pd.read_csv(path, dtype={"channel": str, "value": float, "unit": str})
    return export.assign(time=pd.to_datetime(export["time"], format="%Y-%m-%d %H:%M"))


def load_site(export):
    """The site's readings: one row per reading time (oldest first), one column per channel.

    export : DataFrame as read_export returns it, rows in any order. Values are converted to the
    channel's unit (metres, litres per second, microradians); of a reading sent twice, the row
    later in the export is kept.
    """
    converted = export.assign(value=export["value"] * export["unit"].map(TO_CHANNEL_UNIT))
    latest = converted.drop_duplicates(["time", "channel"], keep="last")
    wide = latest.pivot(index="time", columns="channel", values="value")
    return wide.sort_index()[CHANNELS]
