"""The bakery chain's till export: read it, clean it, split the trading days."""

import numpy as np
import pandas as pd


def read_export(path):
    """The tills' export as they write it: one row per store and trading day.

    Returns a DataFrame with the file's columns, among them store, date ("YYYY-MM-DD"), temp_c,
    rain_mm, promo ("Y" or "N") and loaves; temp_c or loaves is NaN where the file has a blank.
    """
    return pd.read_csv(path, dtype={"store": str, "date": str, "promo": str})


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
