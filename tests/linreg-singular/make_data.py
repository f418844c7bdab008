"""Writes the file handed out with the kata: ``python tests/linreg-singular/make_data.py``.

data/sold_homes.csv   the property portal's export of the homes sold in 2022-2024 in five
                      districts, one row per sale, as the agencies entered them: listing id,
                      agency, district, sale date, floor and living area (blank where the agency
                      did not measure it), bedrooms, year built, garden, energy label (often
                      blank), parking spaces, days on the market and price in thousands. The
                      rows are in the order of the sale dates.

Fixed seeds: running it again rewrites the file byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
# district: price level (k), floor areas (m2), years built, share with a garden, agencies
DISTRICTS = {
    "Castle": (310.0, (70.0, 240.0), (1890, 2010), 0.30, ["Keep & Co", "Hill Estates"]),
    "Docklands": (260.0, (40.0, 150.0), (1975, 2023), 0.10, ["Wharf Lettings", "Hill Estates"]),
    "Harbour": (340.0, (45.0, 210.0), (1900, 2020), 0.45, ["Quayside Homes"]),
    "Meadows": (220.0, (60.0, 220.0), (1950, 2023), 0.80, ["Greenfield Agents"]),
    "Old Town": (290.0, (40.0, 190.0), (1850, 1990), 0.15, ["Cobble & Stone", "Keep & Co"]),
}
# share of living areas each agency leaves blank
UNMEASURED = {
    "Keep & Co": 0.05,
    "Hill Estates": 0.03,
    "Wharf Lettings": 0.08,
    "Quayside Homes": 1.00,
    "Greenfield Agents": 0.04,
    "Cobble & Stone": 0.06,
}
LABELS = list("ABCDEFG")


def make_export(n_sales=900, seed=0, start="2022-01-01", years=3):
    """The portal's export: one row per sold home, every reading as an agency entered it."""
    rng = np.random.default_rng(seed)
    district = rng.choice(list(DISTRICTS), size=n_sales)
    params = [DISTRICTS[d] for d in district]
    level = np.array([p[0] for p in params])
    floor = np.round([rng.uniform(*p[1]) for p in params], 1)
    built = np.array([rng.integers(p[2][0], p[2][1] + 1) for p in params])
    garden = rng.random(n_sales) < np.array([p[3] for p in params])
    agency = np.array([rng.choice(p[4]) for p in params])
    living = np.round(floor * rng.uniform(0.75, 0.95, n_sales), 1)
    bedrooms = np.clip(np.round(floor / 35.0 + rng.normal(0.0, 0.8, n_sales)), 1, 7)
    days = np.sort(rng.integers(0, 365 * years, n_sales))
    sold_on = pd.Timestamp(start) + pd.to_timedelta(days, "D")
    price = (
        level
        + 1.6 * floor
        + 1.2 * living
        + 9.0 * bedrooms
        - 0.5 * (2024 - built)
        + 30.0 * garden
        + rng.normal(0.0, 15.0, n_sales)
    )
    blank = rng.random(n_sales) < np.array([UNMEASURED[a] for a in agency])
    # Unused by the valuation: an energy label (often not entered), parking, time on the market.
    extra = np.random.default_rng([seed, 1])
    energy = extra.choice(LABELS, n_sales, p=[0.04, 0.1, 0.22, 0.3, 0.19, 0.1, 0.05])
    energy = np.where(extra.random(n_sales) < 0.18, "", energy)
    parking = extra.choice([0, 0, 1, 1, 1, 2, 3], n_sales)
    on_market = np.round(extra.gamma(1.6, 30.0, n_sales)).astype(int) + 1
    return pd.DataFrame(
        {
            "listing_id": [f"L{70412 + 7 * i + extra.integers(0, 7)}" for i in range(n_sales)],
            "agency": agency,
            "district": district,
            "sold_on": sold_on.strftime("%Y-%m-%d"),
            "floor_m2": floor,
            "living_m2": np.where(blank, np.nan, living),
            "bedrooms": bedrooms.astype(int),
            "built": built,
            "garden": np.where(garden, "yes", "no"),
            "energy": energy,
            "parking": parking,
            "days_on_market": on_market,
            "price_k": np.round(price, 1),
        }
    )


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    path = DATA / "sold_homes.csv"
    make_export().to_csv(path, index=False, float_format="%.1f")
    print(path)
