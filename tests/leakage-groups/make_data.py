"""Writes the gait app's exports handed out with the kata: ``python tests/leakage-groups/make_data.py``.

data/study_export.csv  the study's export: 80 people, 5 to 10 walks each, one row per upload
data/pilot_export.csv  the pilot clinic's export: 40 other people of the same population

Every value is text as the app sends it. Fixed seeds: running it again rewrites both files byte
for byte. The tests import ``make_export`` from here for exports of other sites.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
FILES = {"study_export.csv": (80, 0), "pilot_export.csv": (40, 7)}  # name: (n_users, seed)
VERSIONS = ["4.2.0", "4.2.1", "4.3.0"]


def make_export(n_users=80, seed=0):
    """The app's export: one row per upload, every value a string as the app sends it.

    Each user walks 5 to 10 times with a wrist sensor. A walk (``session_id``) is uploaded when
    it ends, and again if the first upload came from an offline phone (the later upload holds
    the final values); walks stopped after a few steps are uploaded too. ``diagnosis`` is the
    clinic's assessment of the user, as typed by its staff.
    """
    rng = np.random.default_rng(seed)
    impaired = rng.random(n_users) < 0.4  # (n_users,)
    cadence = rng.normal(108.0, 8.0, n_users) - 7.5 * impaired  # steps per minute
    step = rng.normal(0.70, 0.07, n_users) - 0.06 * impaired  # metres
    cv = rng.normal(3.0, 0.8, n_users) + 1.0 * impaired  # stride variability, %
    sway = rng.normal(2.0, 0.5, n_users) + 0.5 * impaired  # cm
    user = np.repeat(np.arange(n_users), rng.integers(5, 11, n_users))  # (n,)
    n = len(user)
    duration = np.where(rng.random(n) < 0.05, rng.uniform(8, 30, n), rng.uniform(120, 600, n))
    steps = np.round((cadence[user] + rng.normal(0.0, 2.0, n)) * duration / 60.0)
    distance = steps * (step[user] + rng.normal(0.0, 0.015, n))
    started = pd.Timestamp("2024-04-01") + pd.to_timedelta(rng.uniform(0, 60 * 24 * 60, n), "min")
    uploaded = started + pd.to_timedelta(duration + rng.uniform(5, 60, n), "s")
    label = np.where(impaired, "impaired", "typical")[user]
    # Walks at a clinic visit are registered on the clinic's tablet, the others by the phone.
    at_clinic = rng.random(n) < 0.5
    account = [f"U{u:04d}" for u in user]
    wristband = [rng.choice([f"U-{u}", f"u-{u}", f"U-{u} "]) for u in user]
    export = pd.DataFrame(
        {
            "session_id": [f"S{i:05d}" for i in rng.permutation(n)],
            "user_id": np.where(at_clinic, wristband, account),
            "uploaded_at": uploaded.strftime("%Y-%m-%d %H:%M:%S"),
            "started_at": started.strftime("%Y-%m-%d %H:%M:%S"),
            "duration": [f"{d:.1f} s" for d in duration],
            "steps": steps.astype(int).astype(str),
            "distance": [f"{d:.1f} m" for d in distance],
            "stride_cv": [f"{c:.2f}" for c in np.abs(cv[user] + rng.normal(0.0, 0.25, n))],
            "sway": [f"{s:.2f} cm" for s in sway[user] + rng.normal(0.0, 0.12, n)],
            "diagnosis": [rng.choice([d, d.title(), d.upper(), f"{d} "]) for d in label],
        }
    )
    export.loc[rng.random(n) < 0.03, "stride_cv"] = ""  # the sensor lost the stride rhythm
    # Fields the job does not read, from a stream of their own: the app's version (an update
    # rolled out in May, some phones never took it), the wrist worn, the phone's battery.
    other = np.random.default_rng([seed, 1])
    version = np.where(started < pd.Timestamp("2024-05-06"), 1, 2)
    version = np.where(other.random(n) < 0.1, version - 1, version)
    export.insert(2, "app_version", np.array(VERSIONS)[version])
    wrist = np.where(other.random(n_users) < 0.8, "left", "right")[user]
    export["wrist"] = np.where(other.random(n) < 0.04, "", wrist)
    export["battery"] = [f"{b}%" for b in other.integers(8, 101, n)]
    # An offline upload: sent with the phone's step count before the watch synced.
    offline = export[rng.random(n) < 0.06].copy()
    offline["uploaded_at"] = (
        pd.to_datetime(offline["uploaded_at"]) - pd.Timedelta(minutes=1)
    ).dt.strftime("%Y-%m-%d %H:%M:%S")
    offline["steps"] = (offline["steps"].astype(int) // 2).astype(str)
    export = pd.concat([export, offline])
    return export.sort_values("uploaded_at", kind="stable").reset_index(drop=True)


def main():
    DATA.mkdir(exist_ok=True)
    for name, (n_users, seed) in FILES.items():
        make_export(n_users, seed).to_csv(DATA / name, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
