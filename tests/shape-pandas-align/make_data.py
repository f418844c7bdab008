"""Writes the CRM exports handed out with the kata: ``python tests/shape-pandas-align/make_data.py``.

data/june.csv, data/july.csv  the CRM's export on two nights: one row per advert under the CRM's
row key, every value a string as the CRM writes it (area with its unit, "ground" for floor 0,
rents in euros, "n/a" for a value never entered, an empty rent for a flat not let yet), plus the
agent, the postcode and whether the flat is furnished. A flat advertised more than once has one
row per advert; only its latest advert is current. Rows come in the CRM's own order.

Fixed seeds: running it again rewrites the files byte for byte. The tests import
``COEFFICIENTS`` from here.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
BASE_RENT = 300.0
COEFFICIENTS = [9.0, 40.0, 6.0, -25.0]  # rent per m², room, floor, km from the centre
AGENTS = ["Bakker", "de Vries", "Jansen", "Visser", "Smit"]
EXPORTS = {"june": (0, 0), "july": (1, 4000)}  # name: (seed, first row key)


def make_export(n_listings=300, seed=0, missing=0.05, unlet=0.2, relisted=0.15, first_key=0):
    """The CRM's export: one row per advert, every value a string, under the CRM's row key."""
    rng = np.random.default_rng(seed)
    area = rng.normal(70.0, 20.0, n_listings)
    rooms = rng.integers(1, 6, n_listings)
    floor = rng.integers(0, 10, n_listings)
    distance = rng.gamma(2.0, 2.0, n_listings)
    values = np.column_stack([area, rooms, floor, distance])
    rent = BASE_RENT + values @ COEFFICIENTS + rng.normal(0.0, 20.0, n_listings)
    listed_on = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 180, n_listings), "D")
    extra = np.random.default_rng([seed, 1])
    adverts = pd.DataFrame(
        {
            "listing_id": np.arange(n_listings).astype(str),
            "listed_on": listed_on.strftime("%Y-%m-%d"),
            "agent": extra.choice(AGENTS, n_listings),
            "postcode": [f"10{d:02d} {a}{b}" for d, a, b in zip(
                extra.integers(11, 99, n_listings),
                extra.choice(list("ABCEHJKLMNPRSTVWXZ"), n_listings),
                extra.choice(list("ABCEHJKLMNPRSTVWXZ"), n_listings),
                strict=True,
            )],
            "area": [f"{a:.1f} m²" for a in area],
            "rooms": rooms.astype(str),
            "floor": np.where(floor == 0, "ground", floor.astype(str)),
            "distance_km": [f"{d:.2f}" for d in distance],
            "furnished": extra.choice(["yes", "no", "no", ""], n_listings),
            "rent": [f"€{r:.2f}" for r in rent],
        }
    )  # fmt: skip
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


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    for name, (seed, first_key) in EXPORTS.items():
        path = DATA / f"{name}.csv"
        make_export(seed=seed, first_key=first_key).to_csv(path)
        print(path)
