"""Discovery assays: the lab's export of one cohort, cleaned into a patients x assays table."""

import numpy as np
import pandas as pd

LOD = 0.5  # the platform's limit of detection, in its intensity units
CANDIDATES = 20  # assays a panel is chosen from; the redundancy check compares every pair


def load_export(path):
    """The lab's export of one cohort, as text: a DataFrame with one row per run of a sample.

    Columns: sample_id, run ("1", or "2" for a re-run), plate, run_date, qc ("pass" or "fail"),
    response ("responder", "non-responder", or "" while still unknown), then one column per assay
    ("A000", "A001", ...) holding an intensity or "<LOD".
    """
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def arm_difference(X, y):
    """Welch's t statistic of each assay between responders (y == 1) and the others, 0 for an
    assay with no spread within either arm: (d,) Series."""
    values, y = np.asarray(X, dtype=float), np.asarray(y)
    a, b = values[y == 1], values[y == 0]
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))  # (d,)
    t = np.where(se > 0, (a.mean(axis=0) - b.mean(axis=0)) / np.where(se > 0, se, 1.0), 0.0)
    return pd.Series(t, index=X.columns)


def load_assays(export):
    """The cohort as X (DataFrame of log2 intensities, patients x assays, indexed by sample_id)
    and y (Series of 0/1, 1 for a responder), one row per patient with a known response.
    """
    runs = export[(export["qc"] == "pass") & (export["response"] != "")]
    runs = runs.sort_values(["sample_id", "run"]).drop_duplicates("sample_id", keep="last")
    runs = runs.set_index("sample_id")
    assays = [c for c in export.columns if c.startswith("A")]
    # A value below the limit of detection is taken as half the limit.
    intensities = runs[assays].replace("<LOD", str(LOD / 2)).to_numpy(dtype=float)
    X = pd.DataFrame(np.log2(intensities), index=runs.index, columns=assays)
    y = (runs["response"] == "responder").astype(int)
    return X, y
