"""Gym membership export: the billing system's CSV, loaded and cleaned into one row per member."""

import io

import numpy as np
import pandas as pd

PLANS = ["basic", "family", "plus"]
TARGET = "churned"
REPORT_DATE = pd.Timestamp("2024-06-30")
DAYS_PER_MONTH = 30.44


def make_export(n_members=400, seed=0):
    """The billing system's CSV export, as text: one line per record, in member-id order.

    Plan names are typed in any case and spacing, a visit count is blank when the turnstile was
    down and -1 when it logged an error, and some records were sent twice. The newest member
    signed up at the front desk, where the fee was keyed in cents.
    """
    rng = np.random.default_rng(seed)
    first, last = pd.Timestamp("2019-01-01"), pd.Timestamp("2024-05-31")
    join = first + pd.to_timedelta(rng.integers(0, (last - first).days, n_members), unit="D")
    plan = rng.choice(PLANS, n_members, p=[0.5, 0.2, 0.3])
    fee = pd.Series({"basic": 25.0, "family": 60.0, "plus": 45.0})[plan].to_numpy()
    fee = np.round(fee + rng.normal(0.0, 5.0, n_members), 2)
    visits = np.round(rng.gamma(2.0, 3.0, n_members), 1)
    months = (REPORT_DATE - join).days.to_numpy() / DAYS_PER_MONTH
    logit = 1.5 - 0.35 * visits - 0.05 * months + 0.04 * (fee - 40.0)
    churned = (rng.random(n_members) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    newest = int(np.argmax(join.to_numpy()))
    join = join.where(np.arange(n_members) != newest, last)
    plan[newest], fee[newest], churned[newest] = "family", 6000.0, 0
    visits[rng.random(n_members) < 0.1] = np.nan
    visits[rng.random(n_members) < 0.03] = -1.0
    case = rng.choice([str.lower, str.upper, str.title], n_members, p=[0.8, 0.1, 0.1])
    pad = rng.choice(["", " ", "  "], (n_members, 2), p=[0.8, 0.15, 0.05])
    records = pd.DataFrame(
        {
            "member_id": [f"M{i:04d}" for i in range(n_members)],
            "plan": [a + f(p) + b for f, p, (a, b) in zip(case, plan, pad, strict=True)],
            "join_date": join.strftime("%Y-%m-%d"),
            "visits_per_month": visits,
            "monthly_fee": fee,
            TARGET: churned,
        }
    )
    resent = records.iloc[np.flatnonzero(rng.random(n_members) < 0.04)]
    return pd.concat([records, resent]).sort_values("member_id", kind="stable").to_csv(index=False)


def load_export(text):
    """The export as a frame: join dates parsed, numbers as floats, blanks as NaN."""
    return pd.read_csv(io.StringIO(text), parse_dates=["join_date"], dtype={"member_id": str})


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
