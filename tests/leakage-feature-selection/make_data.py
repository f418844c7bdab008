"""Writes the lab's exports handed out with the kata: ``python tests/leakage-feature-selection/make_data.py``.

data/discovery.csv   the discovery cohort: one row per run of a sample, every candidate assay
data/validation.csv  the validation cohort, measured on a targeted kit: the 20 assays that
                     separate the discovery cohort's arms most, panel included

Fixed seeds: running it again rewrites both files byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
LOD = 0.5  # the platform's limit of detection, in its intensity units
N_ASSAYS = 150
KIT = 20  # assays on the targeted kit
PLATES = ["P07", "P08", "P09", "P11"]


def make_export(n_patients, n_assays=N_ASSAYS, n_informative=4, effect=0.9, seed=0, prefix="DX"):
    """One cohort's export as text, one row per run of a sample (re-runs, failed QC, pending
    responses and values below the limit of detection included)."""
    rng = np.random.default_rng(seed)
    names = [f"A{j:03d}" for j in range(n_assays)]
    levels = np.random.default_rng(12345).uniform(0.0, 8.0, n_assays)  # the same in every cohort
    spread = np.random.default_rng(54321).uniform(0.5, 1.5, n_assays)
    levels[[17, 62, 118]] = [-3.5, -1.2, -6.0]  # three assays that barely reach the platform
    responder = rng.random(n_patients) < 0.4
    log2 = levels + spread * rng.normal(size=(n_patients, n_assays))  # (n, d)
    informative = [23, 71, 96, 130][:n_informative]  # the assays that track the response
    log2[:, informative] += effect * spread[informative] * responder[:, None]
    ids = [f"{prefix}-{i:04d}" for i in rng.choice(9000, n_patients, replace=False) + 1000]
    # Some samples were run twice; the second run measures the same sample with fresh noise.
    rerun = np.flatnonzero(rng.random(n_patients) < 0.08)
    log2 = np.vstack([log2, log2[rerun] + 0.2 * rng.normal(size=(len(rerun), n_assays))])
    rows = np.r_[np.arange(n_patients), rerun]
    values = np.where(2.0**log2 < LOD, "<LOD", np.char.mod("%.3f", 2.0**log2))
    export = pd.DataFrame(values, columns=names)
    labels = np.where(responder, "responder", "non-responder")[rows]
    labels[rng.random(len(rows)) < 0.03] = ""
    plate = rng.integers(0, len(PLATES), len(rows))
    days = rng.integers(0, 60, len(rows)) + np.where(np.arange(len(rows)) < n_patients, 0, 21)
    dates = (np.datetime64("2025-03-03") + days).astype(str)
    export.insert(0, "sample_id", [ids[i] for i in rows])
    export.insert(1, "run", np.where(np.arange(len(rows)) < n_patients, "1", "2"))
    export.insert(2, "plate", np.array(PLATES)[plate])
    export.insert(3, "run_date", dates)
    export.insert(4, "qc", np.where(rng.random(len(rows)) < 0.05, "fail", "pass"))
    export.insert(5, "response", labels)
    order = rng.permutation(len(export))
    return export.iloc[order].reset_index(drop=True)


def separation(export):
    """|Welch's t| of each assay between the arms, over each patient's last passing run."""
    runs = export[(export["qc"] == "pass") & (export["response"] != "")]
    runs = runs.sort_values(["sample_id", "run"]).drop_duplicates("sample_id", keep="last")
    assays = [c for c in export.columns if c.startswith("A")]
    X = np.log2(runs[assays].replace("<LOD", str(LOD / 2)).to_numpy(dtype=float))
    y = (runs["response"] == "responder").to_numpy()
    a, b = X[y], X[~y]
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    t = np.abs(a.mean(axis=0) - b.mean(axis=0)) / np.where(se > 0, se, np.inf)
    return pd.Series(t, index=assays)


def main():
    DATA.mkdir(exist_ok=True)
    discovery = make_export(100, seed=0, prefix="DX")
    kit = sorted(separation(discovery).nlargest(KIT).index)
    validation = make_export(150, seed=9, prefix="VC")
    validation = validation[[c for c in validation.columns if not c.startswith("A")] + kit]
    for name, export in (("discovery.csv", discovery), ("validation.csv", validation)):
        export.to_csv(DATA / name, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
