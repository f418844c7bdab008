"""The bakery chain's till export: simulate it, clean it, split the trading days."""

import numpy as np
import pandas as pd

# name: (loaves on an ordinary Thursday, weekdays open (0 = Monday), share of days on promotion)
STORES = {
    "Abbey Road": (310.0, (0, 1, 2, 3, 4, 5, 6), 0.15),
    "Market Hall": (260.0, (0, 1, 2, 3, 4, 5, 6), 0.10),
    "Quay Street": (180.0, (0, 1, 2, 3, 4, 5), 0.20),
    "Station": (420.0, (0, 1, 2, 3, 4, 5, 6), 0.0),
    "Westgate": (230.0, (0, 1, 2, 3, 4, 5, 6), 0.25),
}
WEEKDAY_EFFECT = np.array([-20.0, -10.0, -5.0, 0.0, 25.0, 60.0, 35.0])  # loaves, Monday first


def make_export(n_weeks=26, seed=0, start="2024-01-01"):
    """The tills' export: one row per store and trading day, as the tills write it.

    Returns a DataFrame with the columns store, date ("YYYY-MM-DD"), temp_c, rain_mm, promo
    ("Y" or "N") and loaves; temp_c or loaves is blank where a sensor or a till failed.
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=7 * n_weeks, freq="D")
    season = np.sin(2 * np.pi * (dates.day_of_year.to_numpy() - 110) / 365.0)
    temp = np.round(11.0 + 8.0 * season + rng.normal(0.0, 3.0, len(dates)), 1)
    rain = np.round(rng.gamma(0.7, 5.0, len(dates)) * (rng.random(len(dates)) < 0.45), 1)
    frames = []
    for store, (base, open_days, promo_share) in STORES.items():
        day = np.flatnonzero(np.isin(dates.day_of_week, open_days))
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
                    "store": store,
                    "date": dates[day].strftime("%Y-%m-%d"),
                    "temp_c": temp[day],
                    "rain_mm": rain[day],
                    "promo": np.where(promo, "Y", "N"),
                    "loaves": np.round(loaves),
                }
            )
        )
    raw = pd.concat(frames, ignore_index=True)
    raw.loc[rng.random(len(raw)) < 0.03, "temp_c"] = np.nan
    raw.loc[rng.random(len(raw)) < 0.02, "loaves"] = np.nan
    return raw


def load_export(raw):
    """Clean the export into one row per store and trading day with a recorded sale.

    Returns a new DataFrame indexed 0..n-1, sorted by store and date, with the columns store,
    date (datetime64), weekday (0 = Monday), temp_c, rain_mm, promo (0.0 or 1.0) and loaves.
    """
    days = raw.copy()
    days["date"] = pd.to_datetime(days["date"])
    days["weekday"] = days["date"].dt.day_of_week
    days["promo"] = (days["promo"] == "Y").astype(float)
    # The stores share the city's weather: a reading missing at one store comes from the others.
    city_temp = days.groupby("date")["temp_c"].transform("mean")
    days["temp_c"] = days["temp_c"].fillna(city_temp)
    days = days.dropna(subset=["loaves"])
    columns = ["store", "date", "weekday", "temp_c", "rain_mm", "promo", "loaves"]
    return days[columns].sort_values(["store", "date"]).reset_index(drop=True)


def split_days(days, test_size=0.25, seed=0):
    """Hold out a random share of the rows: (train, test) frames."""
    order = np.random.default_rng(seed).permutation(len(days))
    n_test = round(len(days) * test_size)
    return days.iloc[order[n_test:]], days.iloc[order[:n_test]]
