"""A store's daily unit sales: the warehouse's exports of the tills' uploads (the full upload log
or the daily extract) and the loader that turns either into one row per day."""

import pandas as pd

TARGET = "units"


def load_export(path):
    """An export as the warehouse writes it: one row per upload, ``;``-separated, days written
    day.month.year and totals with a decimal comma."""
    return pd.read_csv(path, sep=";", decimal=",", dtype={"day": str, "uploaded_at": str})


def daily_totals(export):
    """One row per day from an upload log or a daily extract: ``date`` and ``units``, the total
    of the day's latest upload."""
    daily = pd.DataFrame(index=export.index)
    daily["date"] = pd.to_datetime(export["day"], format="%d.%m.%Y")
    daily["uploaded_at"] = pd.to_datetime(export["uploaded_at"], format="%Y-%m-%d %H:%M")
    daily[TARGET] = export[TARGET].astype(float)
    daily = daily.sort_values("uploaded_at", kind="stable")
    return daily.drop_duplicates("date", keep="last").drop(columns="uploaded_at")
