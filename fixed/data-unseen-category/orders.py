"""The courier's delivery log: exported as text by the dispatch system, parsed and cleaned."""

import numpy as np
import pandas as pd

NUMERIC = ["distance_km"]
CATEGORICAL = ["region", "vehicle"]
TARGET = "minutes"


def load_log(path):
    """The dispatch system's export (a CSV file or an open file): one row per record, every
    value a string as dispatchers typed it, an empty string where nothing was typed."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


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
