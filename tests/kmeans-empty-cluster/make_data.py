"""Writes the loyalty-card export handed out with the kata: ``python tests/kmeans-empty-cluster/make_data.py``.

data/loyalty_weeks.csv  weeks 1 to 20 of the supermarket's loyalty-card table, 200 customers a
                        week: the week, the card, the home store, whether the customer accepts
                        mailings, visits per month and basket band

Fixed seeds: running it again rewrites the file byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
WEEKS = range(1, 21)
STORES = ["NE-014", "NE-022", "CW-003", "CW-017", "SO-008"]


def make_customers(n_rows=200, seed=0):
    """One week's loyalty-card table: an id, visits per month (0-30) and basket band (1-10)."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(4, size=n_rows, p=[0.4, 0.25, 0.2, 0.15])
    visits = np.array([3.0, 12.0, 7.0, 20.0])[segment] + rng.normal(0.0, 2.5, n_rows)
    basket = np.array([2.0, 4.0, 8.0, 6.0])[segment] + rng.normal(0.0, 1.0, n_rows)
    return pd.DataFrame(
        {
            "customer_id": rng.permutation(n_rows) + 10_000,
            "visits_per_month": np.clip(np.round(visits), 0, 30),
            "basket_band": np.clip(np.round(basket), 1, 10),
        }
    )


def make_week(week, n_rows=200):
    """The export's rows of one week: the table of make_customers and the fields the job does
    not read, drawn from a stream of their own."""
    table = make_customers(n_rows, seed=week)
    rng = np.random.default_rng([week, 1])
    store = rng.choice(len(STORES), n_rows, p=[0.3, 0.1, 0.25, 0.2, 0.15])
    return pd.DataFrame(
        {
            "week": week,
            "customer_id": table["customer_id"],
            "home_store": np.where(rng.random(n_rows) < 0.02, "", np.array(STORES)[store]),
            "mailing_opt_in": np.where(rng.random(n_rows) < 0.7, "Y", "N"),
            "visits_per_month": table["visits_per_month"].astype(int),
            "basket_band": table["basket_band"].astype(int),
        }
    )


def main():
    DATA.mkdir(exist_ok=True)
    export = pd.concat([make_week(week) for week in WEEKS], ignore_index=True)
    export.to_csv(DATA / "loyalty_weeks.csv", index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
