"""The courier's delivery log: exported as text by the dispatch system, parsed and cleaned."""

import numpy as np
import pandas as pd

REGIONS = ["centre", "east", "north", "south", "west"]
VEHICLES = ["bike", "car", "van"]
NUMERIC = ["distance_km"]
CATEGORICAL = ["region", "vehicle"]
TARGET = "minutes"
# What the synthetic delivery times are made of: a base time, minutes per km, and an effect of
# each region and each vehicle.
REGION_MINUTES = {
    "centre": 0.0,
    "east": 6.0,
    "north": 12.0,
    "south": -4.0,
    "west": 20.0,
}
VEHICLE_MINUTES = {"bike": -3.0, "car": 5.0, "van": 10.0}


def make_log(n_rows=400, seed=0, first_order=1000):
    """The dispatch system's export: one row per record, every value a string as dispatchers
    typed it. A cancelled delivery has no time. A record sent again later (``sent_at``)
    corrects the earlier one: a time typed wrong, or a time that was still missing."""
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
    log = pd.DataFrame(
        {
            "order_id": (first_order + np.arange(n_rows)).astype(str),
            "sent_at": sent_at.strftime("%Y-%m-%d %H:%M"),
            "region": typed_region,
            "vehicle": [rng.choice([v, v.title()]) for v in vehicle],
            "distance": [f"{d:.2f} km" for d in distance],
            TARGET: [f"{m:.1f}" for m in minutes],
        }
    )
    log.loc[rng.random(n_rows) < 0.04, TARGET] = ""  # cancelled
    corrected = log[rng.random(n_rows) < 0.06].copy()
    corrected["sent_at"] = (
        pd.to_datetime(corrected["sent_at"]) + pd.Timedelta(hours=2)
    ).dt.strftime("%Y-%m-%d %H:%M")
    # The first record of a corrected delivery had its time typed wrong, or not yet typed.
    slips = [
        f"{float(m) + rng.choice([-1, 1]) * rng.uniform(15, 40):.1f}" if m else ""
        for m in corrected[TARGET]
    ]
    first = corrected.assign(sent_at=log.loc[corrected.index, "sent_at"], **{TARGET: slips})
    first.loc[rng.random(len(first)) < 0.3, TARGET] = ""
    log = pd.concat([log.drop(index=corrected.index), first, corrected])
    return log.iloc[rng.permutation(len(log))].reset_index(drop=True)


def parse_log(log):
    """Typed columns: order id, region and vehicle in lower case, distance in km, and the
    minutes the delivery took (NaN where the log has none, as in a request for a quote)."""
    parsed = pd.DataFrame(index=log.index)
    parsed["order_id"] = log["order_id"].astype(int)
    if "sent_at" in log:
        parsed["sent_at"] = pd.to_datetime(log["sent_at"])
    for col in CATEGORICAL:
        parsed[col] = log[col].str.strip().str.lower()
    parsed["distance_km"] = pd.to_numeric(log["distance"].str.removesuffix(" km"))
    parsed[TARGET] = pd.to_numeric(log[TARGET], errors="coerce") if TARGET in log else np.nan
    return parsed


def latest_records(parsed):
    """The latest record (by sent_at) of each order."""
    return parsed.sort_values("sent_at", kind="stable").drop_duplicates("order_id", keep="last")


def log_summary(log):
    """Records in the log, distinct deliveries, cancelled deliveries (by their latest record)
    and records corrected later."""
    parsed = parse_log(log)
    deliveries = latest_records(parsed)
    return {
        "records": len(parsed),
        "deliveries": len(deliveries),
        "cancelled": int(deliveries[TARGET].isna().sum()),
        "corrected": len(parsed) - len(deliveries),
    }


def clean_deliveries(log):
    """One row per completed delivery, in order-id order."""
    deliveries = latest_records(parse_log(log))
    return deliveries.dropna(subset=[TARGET]).sort_values("order_id")


def split_deliveries(deliveries, test_size=0.25, seed=0):
    """Shuffled, seeded split of the rows: (train, test) frames."""
    order = np.random.default_rng(seed).permutation(len(deliveries))
    n_test = round(len(deliveries) * test_size)
    return deliveries.iloc[order[n_test:]], deliveries.iloc[order[:n_test]]
