"""A store's daily unit sales: the tills' upload log, the warehouse's daily extract, and the
loader that turns either into one row per day."""

import numpy as np
import pandas as pd

TARGET = "units"


def make_sales(n_days=200, seed=0):
    """The store's daily unit sales, one row per day, with a weekly rhythm."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n_days, freq="D")
    weekend = (dates.day_of_week >= 5).astype(float)
    level = np.empty(n_days)
    level[0] = 0.0
    for t in range(1, n_days):  # slowly wandering demand level
        level[t] = 0.9 * level[t - 1] + rng.normal(0.0, 6.0)
    units = 120.0 + 0.1 * np.arange(n_days) + 35.0 * weekend + level + rng.normal(0.0, 4.0, n_days)
    return pd.DataFrame({"date": dates, TARGET: units})


def make_upload_log(sales, seed=1):
    """Every upload of the tills, labelled by upload id in the order the warehouse got them.

    A day's total is uploaded after closing. When a till sent its takings late, the day's first
    total is short and a corrected total follows one to ten days later. Dates are written
    day.month.year and totals with a decimal comma, as the tills print them.
    """
    rng = np.random.default_rng(seed)
    n = len(sales)
    closing = sales["date"] + pd.Timedelta(hours=21) + pd.to_timedelta(rng.uniform(0, 90, n), "min")
    late = rng.random(n) < 0.5
    first = sales.assign(uploaded_at=closing, **{TARGET: sales[TARGET] * np.where(late, 0.7, 1.0)})
    fixes = sales[late].assign(
        uploaded_at=closing[late] + pd.to_timedelta(rng.integers(1, 11, late.sum()), "D")
    )
    log = pd.concat([first, fixes]).sort_values("uploaded_at", kind="stable")
    return pd.DataFrame(
        {
            "day": log["date"].dt.strftime("%d.%m.%Y").to_numpy(),
            "uploaded_at": log["uploaded_at"].dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
            TARGET: [f"{u:.1f}".replace(".", ",") for u in log[TARGET]],
        },
        index=pd.Index(70_000 + np.arange(len(log)), name="upload_id"),
    )


def make_daily_extract(sales, seed=1):
    """The warehouse's daily extract: the latest upload of each day, one row per day, by date."""
    log = make_upload_log(sales, seed)
    latest = log.drop_duplicates("day", keep="last")
    order = np.argsort(pd.to_datetime(latest["day"], format="%d.%m.%Y").to_numpy(), kind="stable")
    return latest.iloc[order].reset_index(drop=True)


def daily_totals(export):
    """One row per day from an upload log or a daily extract: ``date`` and ``units``, the total
    of the day's latest upload."""
    daily = pd.DataFrame(index=export.index)
    daily["date"] = pd.to_datetime(export["day"], format="%d.%m.%Y")
    daily["uploaded_at"] = pd.to_datetime(export["uploaded_at"])
    daily[TARGET] = pd.to_numeric(export[TARGET].str.replace(",", ".", regex=False))
    daily = daily.sort_values("uploaded_at", kind="stable")
    return daily.drop_duplicates("date", keep="last").drop(columns="uploaded_at")
