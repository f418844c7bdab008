"""Writes the billing exports handed out with the kata: ``python tests/boss-churn/make_data.py``.

data/june.csv        June's export of the billing system, one line per record
data/june_audit.csv  the same export as the auditor received it, after a billing bug hit the
                     records of the 100 members who joined last (fees in cents, visits lost)

Fixed seeds: running it again rewrites both files byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
PLANS = ["basic", "family", "plus"]
CLUBS = ["Northgate", "Riverside", "Old Town"]
REPORT_DATE = pd.Timestamp("2024-06-30")
DAYS_PER_MONTH = 30.44


def make_records(n_members=400, seed=0):
    """The export's records, one per line, in member-id order (some sent twice)."""
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
    visits[rng.random(n_members) < 0.1] = np.nan  # the turnstile was down
    visits[rng.random(n_members) < 0.03] = -1.0  # the turnstile logged an error
    case = rng.choice([str.lower, str.upper, str.title], n_members, p=[0.8, 0.1, 0.1])
    pad = rng.choice(["", " ", "  "], (n_members, 2), p=[0.8, 0.15, 0.05])
    extra = np.random.default_rng(seed + 1)  # columns the churn job does not use
    records = pd.DataFrame(
        {
            "member_id": [f"M{i:04d}" for i in range(n_members)],
            "home_club": extra.choice(CLUBS, n_members, p=[0.45, 0.35, 0.2]),
            "plan": [a + f(p) + b for f, p, (a, b) in zip(case, plan, pad, strict=True)],
            "join_date": join.strftime("%Y-%m-%d"),
            "payment": extra.choice(
                ["direct debit", "card", "cash"], n_members, p=[0.7, 0.25, 0.05]
            ),
            "visits_per_month": visits,
            "monthly_fee": fee,
            "churned": churned,
        }
    )
    resent = records.iloc[np.flatnonzero(rng.random(n_members) < 0.04)]
    return pd.concat([records, resent]).sort_values("member_id", kind="stable")


def as_text(records):
    """The records as the billing system writes them: fixed decimals, blanks for missing."""
    out = records.copy()
    out["visits_per_month"] = [f"{v:.1f}" if v == v else "" for v in out["visits_per_month"]]
    out["monthly_fee"] = [f"{v:.2f}" for v in out["monthly_fee"]]
    return out.to_csv(index=False, lineterminator="\n")


def audited(records, n_newest=100):
    """The records after the billing bug: the newest members' fees in cents, visits lost."""
    members = records.drop_duplicates("member_id")
    order = members.sort_values(["join_date", "member_id"], kind="stable")
    hit = records["member_id"].isin(order["member_id"].iloc[-n_newest:])
    out = records.copy()
    out.loc[hit, "monthly_fee"] = out.loc[hit, "monthly_fee"] * 100.0
    out.loc[hit, "visits_per_month"] = np.nan
    return out


def main():
    DATA.mkdir(exist_ok=True)
    june = make_records()
    (DATA / "june.csv").write_text(as_text(june), encoding="utf-8")
    (DATA / "june_audit.csv").write_text(as_text(audited(june)), encoding="utf-8")


if __name__ == "__main__":
    main()
