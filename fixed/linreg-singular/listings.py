"""The agencies' export of sold homes: simulate it, clean it, split the sales."""

import numpy as np
import pandas as pd

# district: (price level in thousands, share of homes with a garden, share of living areas left blank)
DISTRICTS = {
    "Castle": (310.0, 0.30, 0.04),
    "Docklands": (260.0, 0.10, 0.06),
    "Harbour": (340.0, 0.45, 1.00),
    "Meadows": (220.0, 0.80, 0.03),
    "Old Town": (290.0, 0.15, 0.05),
}
LIVING_SHARE = 0.85  # living area over floor area in a typical home


def make_export(n_sales=900, seed=0, start="2022-01-01", years=3):
    """The agencies' export: one row per sold home, as the agencies write it.

    Returns a DataFrame with the columns district, sold_on ("YYYY-MM-DD"), floor_m2, living_m2
    (blank where the agency did not measure it), bedrooms, built (year), garden ("yes"/"no") and
    price_k (thousands).
    """
    rng = np.random.default_rng(seed)
    district = rng.choice(list(DISTRICTS), size=n_sales)
    level, garden_share, blank_share = (
        np.array([DISTRICTS[d][i] for d in district]) for i in range(3)
    )
    floor = np.round(rng.uniform(40.0, 220.0, n_sales), 1)
    living = np.round(floor * rng.uniform(0.75, 0.95, n_sales), 1)
    bedrooms = np.clip(np.round(floor / 35.0 + rng.normal(0.0, 0.8, n_sales)), 1, 7)
    built = rng.integers(1890, 2023, n_sales)
    garden = rng.random(n_sales) < garden_share
    sold_on = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, 365 * years, n_sales), "D")
    price = (
        level
        + 1.6 * floor
        + 1.2 * living
        + 9.0 * bedrooms
        - 0.5 * (2024 - built)
        + 30.0 * garden
        + rng.normal(0.0, 15.0, n_sales)
    )
    return pd.DataFrame(
        {
            "district": district,
            "sold_on": sold_on.strftime("%Y-%m-%d"),
            "floor_m2": floor,
            "living_m2": np.where(rng.random(n_sales) < blank_share, np.nan, living),
            "bedrooms": bedrooms.astype(int),
            "built": built,
            "garden": np.where(garden, "yes", "no"),
            "price_k": np.round(price, 1),
        }
    )


def load_export(raw):
    """Clean the export into typed sales.

    Returns a new DataFrame indexed 0..n-1, in the export's order, with the columns district,
    sold_on (datetime64), floor_m2, living_m2, bedrooms, age_years (at the sale), garden (0.0 or
    1.0) and price_k. A blank living area is estimated from the floor area.
    """
    sales = raw.copy()
    sales["sold_on"] = pd.to_datetime(sales["sold_on"])
    sales["age_years"] = (sales["sold_on"].dt.year - sales["built"]).astype(float)
    sales["garden"] = (sales["garden"] == "yes").astype(float)
    sales["living_m2"] = sales["living_m2"].fillna(LIVING_SHARE * sales["floor_m2"])
    sales["bedrooms"] = sales["bedrooms"].astype(float)
    columns = ["district", "sold_on", "floor_m2", "living_m2", "bedrooms", "age_years", "garden"]
    return sales[[*columns, "price_k"]].reset_index(drop=True)


def split_sales(sales, test_size=0.25, seed=0):
    """Hold out a random share of the sales: (train, test) frames."""
    order = np.random.default_rng(seed).permutation(len(sales))
    n_test = round(len(sales) * test_size)
    return sales.iloc[order[n_test:]], sales.iloc[order[:n_test]]
