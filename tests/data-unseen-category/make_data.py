"""Writes the files handed out with the kata: ``python tests/data-unseen-category/make_data.py``.

data/dispatch.csv   the dispatch system's export for March: one row per record, every value as a
                    dispatcher typed it (region in any case, with stray spaces; distance with
                    its unit), plus the dispatcher's initials, the payment method and a note. A
                    cancelled delivery has no time; a record sent again later corrects the
                    earlier one (a time typed wrong or still missing).
data/checkouts.csv  the web shop's quote requests for the same orders, as its form sent them: one
                    row per order, orders of one checkout sharing its ``checkout`` id.

Fixed seeds: running it again rewrites the files byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
REGIONS = ["centre", "east", "north", "south", "west"]
VEHICLES = ["bike", "car", "van"]
# A base time, minutes per km, and an effect of each region and each vehicle.
REGION_MINUTES = {"centre": 0.0, "east": 6.0, "north": 12.0, "south": -4.0, "west": 20.0}
VEHICLE_MINUTES = {"bike": -3.0, "car": 5.0, "van": 10.0}
DISPATCHERS = ["AK", "JM", "LB", "RS"]
NOTES = ["", "", "", "", "", "", "ring twice", "leave with neighbour", "fragile", "call on arrival"]


def make_log(n_rows=400, seed=0, first_order=1000):
    """The dispatch system's export, every value a string."""
    rng = np.random.default_rng(seed)
    region = rng.choice(REGIONS, n_rows)
    vehicle = rng.choice(VEHICLES, n_rows)
    distance = rng.gamma(2.0, 3.0, n_rows)
    minutes = (
        15.0 + 2.5 * distance
        + pd.Series(REGION_MINUTES)[region].to_numpy()
        + pd.Series(VEHICLE_MINUTES)[vehicle].to_numpy()
        + rng.normal(0.0, 2.0, n_rows)
    )  # fmt: skip
    typed_region = [rng.choice([r, r.upper(), r.title(), f" {r}", f"{r} "]) for r in region]
    sent_at = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 600, n_rows), "min")
    extra = np.random.default_rng([seed, 1])
    log = pd.DataFrame(
        {
            "order_id": (first_order + np.arange(n_rows)).astype(str),
            "sent_at": sent_at.strftime("%Y-%m-%d %H:%M"),
            "dispatcher": extra.choice(DISPATCHERS, n_rows),
            "region": typed_region,
            "vehicle": [rng.choice([v, v.title()]) for v in vehicle],
            "distance": [f"{d:.2f} km" for d in distance],
            "minutes": [f"{m:.1f}" for m in minutes],
            "payment": extra.choice(["card", "card", "card", "invoice", "cash"], n_rows),
            "note": extra.choice(NOTES, n_rows),
        }
    )
    log.loc[rng.random(n_rows) < 0.04, "minutes"] = ""  # cancelled
    corrected = log[rng.random(n_rows) < 0.06].copy()
    corrected["sent_at"] = (
        pd.to_datetime(corrected["sent_at"]) + pd.Timedelta(hours=2)
    ).dt.strftime("%Y-%m-%d %H:%M")
    slips = [
        f"{float(m) + rng.choice([-1, 1]) * rng.uniform(15, 40):.1f}" if m else ""
        for m in corrected["minutes"]
    ]
    first = corrected.assign(sent_at=log.loc[corrected.index, "sent_at"], minutes=slips)
    first.loc[rng.random(len(first)) < 0.3, "minutes"] = ""
    log = pd.concat([log.drop(index=corrected.index), first, corrected])
    return log.iloc[rng.permutation(len(log))].reset_index(drop=True)


def make_checkouts(log, seed=0):
    """The shop's quote requests for the log's orders: baskets of one to three orders."""
    rng = np.random.default_rng([seed, 2])
    orders = log.drop_duplicates("order_id").sort_values("order_id")
    size = rng.choice([1, 1, 1, 1, 1, 1, 2, 2, 3], len(orders))
    checkout = np.repeat(np.arange(len(orders)), size)[: len(orders)]
    return pd.DataFrame(
        {
            "checkout": [f"C{7001 + c}" for c in checkout],
            "order_id": orders["order_id"].to_numpy(),
            "region": orders["region"].str.strip().str.title().to_numpy(),
            "vehicle": orders["vehicle"].str.lower().to_numpy(),
            "distance": orders["distance"].to_numpy(),
        }
    )


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    log = make_log()
    log.to_csv(DATA / "dispatch.csv", index=False)
    make_checkouts(log).to_csv(DATA / "checkouts.csv", index=False)
    for name in ("dispatch.csv", "checkouts.csv"):
        print(DATA / name)
