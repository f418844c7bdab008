"""Writes the tills' exports handed out with the kata: ``python tests/numerics-zero-std/make_data.py``.

data/tills_2024_h1.csv  the first half of 2024 (26 weeks from Monday 1 January)
data/tills_2024_q3.csv  the third quarter (13 weeks from Monday 1 July)

One row per shop and trading day, in the order the tills send them (night by night): ``date``,
``store``, ``till``, ``temp_c`` and ``rain_mm`` (the shop's weather sensor; the city shares its
weather), ``promo`` ("Y" or "N"), ``loaves`` sold and ``waste`` (loaves left at closing). A
temperature or a sale is blank where a sensor or a till failed; every shop was shut on New Year's
Day and Westgate for a week's refit in March. Fixed seeds: running it again rewrites the files
byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
# name: (till id, loaves on an ordinary Thursday, weekdays open (0 = Monday), share of promo days)
STORES = {
    "Abbey Road": ("T-104", 310.0, (0, 1, 2, 3, 4, 5, 6), 0.15),
    "Market Hall": ("T-117", 260.0, (0, 1, 2, 3, 4, 5, 6), 0.10),
    "Quay Street": ("T-121", 180.0, (0, 1, 2, 3, 4, 5), 0.20),
    "Station": ("T-130", 420.0, (0, 1, 2, 3, 4, 5, 6), 0.0),
    "Westgate": ("T-142", 230.0, (0, 1, 2, 3, 4, 5, 6), 0.25),
}
WEEKDAY_EFFECT = np.array([-20.0, -10.0, -5.0, 0.0, 25.0, 60.0, 35.0])  # loaves, Monday first
SHUT = {store: ["2024-01-01"] for store in STORES}
SHUT["Westgate"] += [str(d.date()) for d in pd.date_range("2024-03-11", "2024-03-17")]
EXPORTS = {"tills_2024_h1.csv": (26, 0, "2024-01-01"), "tills_2024_q3.csv": (13, 1, "2024-07-01")}


def make_export(n_weeks=26, seed=0, start="2024-01-01"):
    """The tills' export, one row per shop and trading day, as the tills send it."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=7 * n_weeks, freq="D")
    season = np.sin(2 * np.pi * (dates.day_of_year.to_numpy() - 110) / 365.0)
    temp = np.round(11.0 + 8.0 * season + rng.normal(0.0, 3.0, len(dates)), 1)
    rain = np.round(rng.gamma(0.7, 5.0, len(dates)) * (rng.random(len(dates)) < 0.45), 1)
    frames = []
    for store, (till, base, open_days, promo_share) in STORES.items():
        is_open = np.isin(dates.day_of_week, open_days) & ~dates.isin(pd.to_datetime(SHUT[store]))
        day = np.flatnonzero(is_open)
        promo = rng.random(len(day)) < promo_share
        loaves = (
            base
            + WEEKDAY_EFFECT[dates.day_of_week[day]]
            + 45.0 * promo
            - 3.0 * (temp[day] - 10.0)
            - 2.5 * rain[day]
            + rng.normal(0.0, 12.0, len(day))
        )
        frames.append(
            pd.DataFrame(
                {
                    "date": dates[day].strftime("%Y-%m-%d"),
                    "store": store,
                    "till": till,
                    # each shop's own sensor: the city's weather give or take a little
                    "temp_c": np.round(temp[day] + rng.normal(0.0, 0.2, len(day)), 1),
                    "rain_mm": rain[day],
                    "promo": np.where(promo, "Y", "N"),
                    "loaves": np.round(loaves),
                    "waste": rng.poisson(0.04 * base, len(day)),
                }
            )
        )
    raw = pd.concat(frames, ignore_index=True).sort_values(["date", "till"], kind="stable")
    raw = raw.reset_index(drop=True)
    raw.loc[rng.random(len(raw)) < 0.03, "temp_c"] = np.nan
    raw.loc[rng.random(len(raw)) < 0.02, "loaves"] = np.nan
    raw["loaves"] = raw["loaves"].astype("Int64")
    return raw


def write(name):
    n_weeks, seed, start = EXPORTS[name]
    path = DATA / name
    make_export(n_weeks, seed, start).to_csv(path, index=False, float_format="%.1f")
    return path


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    for name in EXPORTS:
        print(write(name))
