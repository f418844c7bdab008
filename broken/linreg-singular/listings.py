"""The agencies' export of sold homes: read it, clean it, split the sales."""

import numpy as np
import pandas as pd

LIVING_SHARE = 0.85  # living area over floor area in a typical home


def load_export(path):
    """The portal's export of sold homes, one row per sale, as the agencies entered it.

    Returns a DataFrame with, among others, the columns district, sold_on ("YYYY-MM-DD"),
    floor_m2, living_m2 (NaN where the agency did not measure it), bedrooms, built (year),
    garden ("yes"/"no") and price_k (thousands).
    """
    return pd.read_csv(path, dtype={"listing_id": str, "energy": str})


def clean_sales(raw):
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
