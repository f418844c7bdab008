"""Application scorecard: the validation sample and the points each application scores."""

import numpy as np
import pandas as pd

BASE_POINTS = 300

# characteristic -> (bin edges, points of each bin); a value on an edge falls in the upper bin.
SCORECARD = {
    "age": ([25, 40], [0, 10, 20]),
    "months_at_address": ([12, 48], [0, 10, 20]),
    "utilisation_pct": ([40, 80], [30, 20, 0]),
    "missed_payments_12m": ([1, 3], [40, 20, 0]),
}


def make_sample(n_goods=1600, n_bads=400, seed=0):
    """The validation sample: defaulted accounts of the period and a sample of performing ones.

    Returns a DataFrame of ``n_goods + n_bads`` rows, one per account: ``account_id``, the
    application's characteristics (the keys of SCORECARD), ``bureau_pd`` (the credit bureau's
    probability of default, four decimals as delivered) and ``defaulted`` (1 if the account
    defaulted within 12 months of opening, else 0).
    """
    rng = np.random.default_rng(seed)
    n = 10 * (n_goods + n_bads)  # the period's accounts
    quality = rng.normal(size=n)
    population = pd.DataFrame(
        {
            "account_id": 700_000 + rng.permutation(n),
            "age": np.clip(np.round(42 + 6 * quality + rng.normal(0, 11, n)), 18, 85).astype(int),
            "months_at_address": np.round(rng.gamma(2.0, 18 * np.exp(0.4 * quality))).astype(int),
            "utilisation_pct": np.clip(np.round(55 - 18 * quality + rng.normal(0, 22, n)), 0, 100),
            "missed_payments_12m": rng.poisson(np.exp(-0.6 - 0.9 * quality)),
            "bureau_pd": np.round(1 / (1 + np.exp(2.2 + quality + rng.normal(0, 0.9, n))), 4),
            "defaulted": (rng.random(n) < 1 / (1 + np.exp(2.0 + 1.1 * quality))).astype(int),
        }
    )
    bads = np.flatnonzero(population["defaulted"].to_numpy() == 1)
    goods = np.flatnonzero(population["defaulted"].to_numpy() == 0)
    chosen_goods = np.sort(rng.choice(goods, n_goods, replace=False))
    chosen_bads = np.sort(rng.choice(bads, n_bads, replace=False))
    sample = pd.concat([population.iloc[chosen_goods], population.iloc[chosen_bads]])
    return sample.reset_index(drop=True)


def score_applications(applications):
    """Scorecard points of each application: more points, less risk.

    applications : DataFrame with a numeric column for each characteristic of SCORECARD.
    Returns a Series of integer points with the index of ``applications``.
    """
    points = np.full(len(applications), BASE_POINTS)
    for column, (edges, bin_points) in SCORECARD.items():
        values = applications[column].to_numpy(dtype=float)
        bins = np.digitize(values, edges, right=False)  # (n,) in 0..len(edges)
        points = points + np.asarray(bin_points)[bins]
    return pd.Series(points, index=applications.index, name="points")
