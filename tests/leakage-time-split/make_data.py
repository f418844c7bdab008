"""Writes the warehouse exports handed out with the kata: ``python tests/leakage-time-split/make_data.py``.

data/store_<id>_uploads.csv  the upload log of one store: every upload of the day's total, in the
                             order the warehouse received them (``upload_id`` rises with it).
data/store_<id>_daily.csv    the daily extract of the same uploads: the latest upload of each
                             day, one row per day, by date.

Both are written as the warehouse writes them: ``;``-separated, days as day.month.year, totals
with a decimal comma. A day's total is uploaded by the till after closing (some after
midnight); when the takings came in late, that first total is short and the office uploads a
corrected one one to ten days later. A few closing uploads were sent twice, and a few receipt
counts are missing. Fixed seeds: running it again rewrites the files byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
STORES = {"104": 0, "221": 1, "307": 2}  # store id: seed
N_DAYS = 200


def make_sales(n_days=N_DAYS, seed=0):
    """A store's true daily unit sales, one row per day, with a weekly rhythm."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=n_days, freq="D")
    weekend = (dates.day_of_week >= 5).astype(float)
    level = np.empty(n_days)
    level[0] = 0.0
    for t in range(1, n_days):  # slowly wandering demand level
        level[t] = 0.9 * level[t - 1] + rng.normal(0.0, 6.0)
    units = 120.0 + 0.1 * np.arange(n_days) + 35.0 * weekend + level + rng.normal(0.0, 4.0, n_days)
    return pd.DataFrame({"date": dates, "units": units})


def make_upload_log(store, sales, seed):
    """Every upload of the store's totals, in the order the warehouse received them."""
    rng = np.random.default_rng([seed, 1])
    n = len(sales)
    closing = (
        sales["date"] + pd.Timedelta(hours=21) + pd.to_timedelta(rng.uniform(0, 200, n), "min")
    )
    late = rng.random(n) < 0.5
    first = sales.assign(
        uploaded_at=closing, units=sales["units"] * np.where(late, 0.7, 1.0), sent_by="till"
    )
    fixes = sales[late].assign(
        uploaded_at=closing[late] + pd.to_timedelta(rng.integers(1, 11, late.sum()), "D"),
        sent_by="office",
    )
    again = first[rng.random(n) < 0.04]
    again = again.assign(
        uploaded_at=again["uploaded_at"] + pd.to_timedelta(rng.integers(2, 20, len(again)), "min")
    )
    log = pd.concat([first, fixes, again]).sort_values("uploaded_at", kind="stable")
    log["uploaded_at"] = log["uploaded_at"].dt.floor("min")
    receipts = pd.array(np.round(log["units"] / rng.uniform(2.1, 2.5, len(log))), dtype="Int64")
    receipts[rng.random(len(log)) < 0.02] = pd.NA
    return pd.DataFrame(
        {
            "upload_id": 70_000 + np.cumsum(rng.integers(1, 40, len(log))),
            "store": store,
            "day": log["date"].dt.strftime("%d.%m.%Y").to_numpy(),
            "uploaded_at": log["uploaded_at"].dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
            "units": log["units"].round(1).to_numpy(),
            "receipts": receipts,
            "sent_by": log["sent_by"].to_numpy(),
        }
    )


def make_daily_extract(log):
    """The latest upload of each day, one row per day, by date."""
    latest = log.drop_duplicates("day", keep="last")
    days = pd.to_datetime(latest["day"], format="%d.%m.%Y")
    return latest.iloc[np.argsort(days.to_numpy(), kind="stable")]


def write(frame, name):
    path = DATA / name
    frame.to_csv(path, sep=";", decimal=",", float_format="%.1f", index=False)
    return path


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    for store, seed in STORES.items():
        log = make_upload_log(store, make_sales(seed=seed), seed)
        print(write(log, f"store_{store}_uploads.csv"))
        print(write(make_daily_extract(log), f"store_{store}_daily.csv"))
