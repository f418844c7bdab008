"""Writes the validation sample handed out with the kata: ``python tests/metrics-auc-ties/make_data.py``.

data/validation_sample.csv  the quarter's validation sample as the warehouse delivers it: every
defaulted account of the period's sample and a random sample of the performing ones, one row per
account, in order of application date.

Columns: ``account_id``, ``application_date``, ``channel`` (as typed by the branch systems),
``income`` (annual, blank where the applicant gave none), the scorecard's characteristics
(``age``, ``months_at_address``, ``utilisation_pct``, ``missed_payments_12m``), ``bureau_pd``
(the credit bureau's probability of default, four decimals as delivered) and ``defaulted`` (1 if
the account defaulted within 12 months of opening). Fixed seeds: running it again rewrites the
file byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
COLUMNS = [
    "account_id",
    "application_date",
    "channel",
    "income",
    "age",
    "months_at_address",
    "utilisation_pct",
    "missed_payments_12m",
    "bureau_pd",
    "defaulted",
]
CHANNELS = ["branch", "Branch", "online", "Online", "ONLINE", "broker"]


def make_sample(n_goods=1600, n_bads=400, seed=0):
    """The validation sample: defaulted accounts of the period and a sample of performing ones."""
    rng = np.random.default_rng(seed)
    n = 10 * (n_goods + n_bads)  # the period's accounts
    quality = rng.normal(size=n)
    population = pd.DataFrame(
        {
            "account_id": 700_000 + rng.permutation(n),
            "age": np.clip(np.round(42 + 6 * quality + rng.normal(0, 11, n)), 18, 85).astype(int),
            "months_at_address": np.round(rng.gamma(2.0, 18 * np.exp(0.4 * quality))).astype(int),
            "utilisation_pct": np.clip(
                np.round(55 - 18 * quality + rng.normal(0, 22, n)), 0, 100
            ).astype(int),
            "missed_payments_12m": rng.poisson(np.exp(-0.6 - 0.9 * quality)),
            "bureau_pd": np.round(1 / (1 + np.exp(2.2 + quality + rng.normal(0, 0.9, n))), 4),
            "defaulted": (rng.random(n) < 1 / (1 + np.exp(2.0 + 1.1 * quality))).astype(int),
        }
    )
    bads = np.flatnonzero(population["defaulted"].to_numpy() == 1)
    goods = np.flatnonzero(population["defaulted"].to_numpy() == 0)
    chosen_goods = rng.choice(goods, n_goods, replace=False)
    chosen_bads = rng.choice(bads, n_bads, replace=False)
    # What the warehouse adds to each application: drawn apart, so the sample stays the same.
    extra = np.random.default_rng([seed, 1])
    income = np.round(np.exp(10.3 + 0.25 * quality + extra.normal(0, 0.45, n)), -2)
    details = pd.DataFrame(
        {
            "application_date": pd.Timestamp("2023-01-02")
            + pd.to_timedelta(extra.integers(0, 90, n), "D"),
            "channel": extra.choice(CHANNELS, n, p=[0.3, 0.05, 0.3, 0.08, 0.02, 0.25]),
            "income": pd.array(np.where(extra.random(n) < 0.04, np.nan, income)).astype("Int64"),
        }
    )
    population = pd.concat([population, details], axis=1)[COLUMNS]
    sample = population.iloc[np.sort(np.r_[chosen_goods, chosen_bads])]
    sample = sample.sort_values(["application_date", "account_id"], kind="stable")
    return sample.reset_index(drop=True)


def write(seed=0):
    path = DATA / "validation_sample.csv"
    make_sample(seed=seed).to_csv(path, index=False, float_format="%.4f", date_format="%Y-%m-%d")
    return path


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    print(write())
