"""Gym membership export: the billing system's CSV, loaded and cleaned into one row per member."""

import pandas as pd

PLANS = ["basic", "family", "plus"]  # the plans the gym sells
TARGET = "churned"
REPORT_DATE = pd.Timestamp("2024-06-30")
DAYS_PER_MONTH = 30.44


def load_export(source):
    """The billing system's CSV export (a path or an open file), one row per record: join dates
    parsed, numbers as floats, blanks as NaN."""
    return pd.read_csv(source, parse_dates=["join_date"], dtype={"member_id": str})


def clean(records):
    """One row per member: re-sent records dropped, plan names normalised, negative visit
    counts (logging errors) made missing. Rows keep the export's order; the index is reset."""
    out = records.drop_duplicates().copy()
    out["plan"] = out["plan"].str.strip().str.lower()
    out["visits_per_month"] = out["visits_per_month"].where(out["visits_per_month"] >= 0)
    return out.reset_index(drop=True)


def add_features(members, report_date=REPORT_DATE):
    """``months_member``: how long each member has been with the gym on the report date."""
    out = members.copy()
    out["months_member"] = (report_date - out["join_date"]).dt.days / DAYS_PER_MONTH
    return out
