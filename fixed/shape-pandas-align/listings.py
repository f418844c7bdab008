"""The letting agency's CRM export, parsed and cleaned into one typed row per listing."""

import numpy as np
import pandas as pd

FEATURES = ["area_m2", "rooms", "floor", "distance_km"]
TARGET = "rent"
# What the synthetic rents are made of: a base rent plus a rent per unit of each feature.
BASE_RENT = 300.0
COEFFICIENTS = [9.0, 40.0, 6.0, -25.0]


def make_export(n_listings=300, seed=0, missing=0.05, unlet=0.2, relisted=0.15, first_key=0):
    """The CRM's export: one row per advert, every value a string, as the CRM writes it.

    A flat advertised more than once has one row per advert, and only its latest advert
    (``listed_on``) is current. Rows come in the CRM's own order, each under the CRM's row
    key, counted from ``first_key``. Returns a DataFrame.
    """
    rng = np.random.default_rng(seed)
    area = rng.normal(70.0, 20.0, n_listings)
    rooms = rng.integers(1, 6, n_listings)
    floor = rng.integers(0, 10, n_listings)
    distance = rng.gamma(2.0, 2.0, n_listings)
    values = np.column_stack([area, rooms, floor, distance])
    rent = BASE_RENT + values @ COEFFICIENTS + rng.normal(0.0, 20.0, n_listings)
    listed_on = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 180, n_listings), "D")
    adverts = pd.DataFrame(
        {
            "listing_id": np.arange(n_listings).astype(str),
            "listed_on": listed_on.strftime("%Y-%m-%d"),
            "area": [f"{a:.1f} m²" for a in area],
            "rooms": rooms.astype(str),
            "floor": np.where(floor == 0, "ground", floor.astype(str)),
            "distance_km": [f"{d:.2f}" for d in distance],
            "rent": [f"€{r:.2f}" for r in rent],
        }
    )
    adverts.loc[rng.random(n_listings) < unlet, "rent"] = ""
    for row in np.flatnonzero(rng.random(n_listings) < missing):
        adverts.loc[row, ["area", "rooms", "floor", "distance_km"][rng.integers(4)]] = "n/a"
    # Earlier adverts of re-listed flats: 200 days older, at the asking rent of back then.
    old = adverts[rng.random(n_listings) < relisted].copy()
    old["listed_on"] = (pd.to_datetime(old["listed_on"]) - pd.Timedelta(days=200)).dt.strftime(
        "%Y-%m-%d"
    )
    old["rent"] = [f"€{0.9 * float(r[1:]):.2f}" if r else "" for r in old["rent"]]
    export = pd.concat([adverts, old]).iloc[rng.permutation(len(adverts) + len(old))]
    export.index = pd.RangeIndex(first_key, first_key + len(export), name="row_key")
    return export


def parse_export(export):
    """Typed columns: the listing id, the advert's date, the features and the rent as numbers.

    A value the CRM left empty or wrote as ``n/a`` becomes NaN; "ground" is floor 0.
    """
    parsed = pd.DataFrame(index=export.index)
    parsed["listing_id"] = export["listing_id"].astype(int)
    parsed["listed_on"] = pd.to_datetime(export["listed_on"])
    parsed["area_m2"] = pd.to_numeric(export["area"].str.removesuffix(" m²"), errors="coerce")
    parsed["rooms"] = pd.to_numeric(export["rooms"], errors="coerce")
    parsed["floor"] = pd.to_numeric(export["floor"].replace("ground", "0"), errors="coerce")
    parsed["distance_km"] = pd.to_numeric(export["distance_km"], errors="coerce")
    parsed[TARGET] = pd.to_numeric(export["rent"].str.removeprefix("€"), errors="coerce")
    return parsed


def current_adverts(parsed):
    """One row per listing: its latest advert, listings in id order."""
    by_date = parsed.sort_values(["listing_id", "listed_on"])
    return by_date.drop_duplicates("listing_id", keep="last")


def clean_listings(export):
    """The export as one typed row per listing (its current advert)."""
    return current_adverts(parse_export(export))
