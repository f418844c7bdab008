"""Discovery assays: the lab's export of one cohort, cleaned into a patients x assays table."""

import numpy as np
import pandas as pd

LOD = 0.5  # the platform's limit of detection, in its intensity units
CANDIDATES = 20  # assays a panel is chosen from; the redundancy check compares every pair


def make_export(n_patients=100, n_assays=800, n_informative=4, effect=0.9, seed=0, assays=None):
    """The lab's export for one cohort: a DataFrame of strings, one row per run of a sample.

    Columns: sample_id, run ("1", or "2" for a re-run), qc ("pass" or "fail"), response
    ("responder", "non-responder", or "" while still unknown), then one column per assay
    ("A000", "A001", ...) holding an intensity or "<LOD". Only the first `n_informative` assays
    differ between responders and non-responders. `assays` keeps only those assay columns, as a
    targeted kit measures only its own panel.
    """
    rng = np.random.default_rng(seed)
    names = [f"A{j:03d}" for j in range(n_assays)]
    levels = np.random.default_rng(12345).uniform(0.0, 8.0, n_assays)  # the same in every cohort
    spread = np.random.default_rng(54321).uniform(0.5, 1.5, n_assays)
    responder = rng.random(n_patients) < 0.4
    log2 = levels + spread * rng.normal(size=(n_patients, n_assays))  # (n, d)
    log2[:, :n_informative] += effect * spread[:n_informative] * responder[:, None]
    ids = [f"S{seed:02d}-{i:04d}" for i in range(n_patients)]
    # Some samples were run twice; the second run measures the same sample with fresh noise.
    rerun = np.flatnonzero(rng.random(n_patients) < 0.08)
    log2 = np.vstack([log2, log2[rerun] + 0.2 * rng.normal(size=(len(rerun), n_assays))])
    rows = np.r_[np.arange(n_patients), rerun]
    values = np.where(2.0**log2 < LOD, "<LOD", np.char.mod("%.4f", 2.0**log2))
    export = pd.DataFrame(values, columns=names)
    labels = np.where(responder, "responder", "non-responder")[rows]
    labels[rng.random(len(rows)) < 0.03] = ""
    export.insert(0, "sample_id", [ids[i] for i in rows])
    export.insert(1, "run", np.where(np.arange(len(rows)) < n_patients, "1", "2"))
    export.insert(2, "qc", np.where(rng.random(len(rows)) < 0.05, "fail", "pass"))
    export.insert(3, "response", labels)
    if assays is not None:
        export = export[["sample_id", "run", "qc", "response", *assays]]
    return export.sample(frac=1.0, random_state=seed).reset_index(drop=True)


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
