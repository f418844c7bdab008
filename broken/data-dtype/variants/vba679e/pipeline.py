"""Rental listings: parse the portal's CSV export, then rank listings by monthly rent."""

import io

import numpy as np
import pandas as pd

DISTRICTS = ["harbour", "old town", "riverside", "university"]


def make_listings(n_rows=120, seed=0):
    """Synthetic listings: id, district, floor area (m²) and monthly rent (whole euros)."""
    rng = np.random.default_rng(seed)
    area = np.round(rng.uniform(18.0, 140.0, n_rows), 1)
    district = rng.choice(DISTRICTS, n_rows)
    rent = np.round(area * rng.uniform(9.0, 24.0, n_rows)).astype(int)
    return pd.DataFrame(
        {
            "listing_id": np.arange(501, 501 + n_rows),
            "district": district,
            "area_m2": area,
            "rent": rent,
        }
    )


def to_csv_text(listings):
    """The portal's export format: rents written with a thousands separator ("1,250")."""
    export = listings.assign(rent=[f"{int(r):,}" for r in listings["rent"]])
    return export.to_csv(index=False)


def load_listings(csv_text):
    """Parse an export into one row per listing."""
    # The export writes 1250 as "1,250": read the comma as a thousands separator.
    return pd.read_csv(io.StringIO(csv_text), thousands=",")


def most_expensive(listings, n=5):
    """The ``n`` listings with the highest rent, plus any tied with the n-th, highest first."""
    threshold = listings["rent"].sort_values(ascending=True).iloc[min(n, len(listings)) - 1]
    top = listings[listings["rent"] >= threshold]
    return top.sort_values(["rent", "listing_id"], ascending=[False, True])


def cheapest_by_district(listings):
    """listing_id of the lowest rent in each district (the smaller id on a tie)."""
    ordered = listings.sort_values(["rent", "listing_id"])
    return ordered.groupby("district")["listing_id"].first().to_dict()


def run_pipeline(csv_text, n_top=5):
    """Parse the export and rank it. Returns the parsed table and the figures."""
    listings = load_listings(csv_text)
    top = most_expensive(listings, n_top)
    return {
        "listings": listings,
        "top_ids": top["listing_id"].tolist(),
        "cheapest_by_district": cheapest_by_district(listings),
        "rent_range": (listings["rent"].min(), listings["rent"].max()),
    }
