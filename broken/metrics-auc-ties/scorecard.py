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


def read_sample(path):
    """The validation sample as the warehouse delivers it, one row per account.

    Columns: ``account_id``, ``application_date``, ``channel``, ``income`` (blank where the
    applicant gave none), the application's characteristics (the keys of SCORECARD),
    ``bureau_pd`` (the credit bureau's probability of default) and ``defaulted`` (1 if the
    account defaulted within 12 months of opening, else 0).
    """
    return pd.read_csv(path, parse_dates=["application_date"])


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
