"""The gait app's export of walks: parsed, cleaned, and turned into per-walk gait features."""

import numpy as np
import pandas as pd

FEATURES = ["cadence", "step_length", "speed", "stride_cv", "sway"]
TARGET = "impaired"
MIN_STEPS = 60


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
    # An offline upload: sent with the phone's step count before the watch synced.
    offline = export[rng.random(n) < 0.06].copy()
    offline["uploaded_at"] = (
        pd.to_datetime(offline["uploaded_at"]) - pd.Timedelta(minutes=1)
    ).dt.strftime("%Y-%m-%d %H:%M:%S")
    offline["steps"] = (offline["steps"].astype(int) // 2).astype(str)
    export = pd.concat([export, offline])
    return export.sort_values("uploaded_at", kind="stable").reset_index(drop=True)


def clean_sessions(export):
    """One row per walk, indexed by session_id.

    Columns: user_id, started_at, duration_s, steps, distance_m, stride_cv, sway_cm and
    ``impaired`` (1 or 0). Walks with fewer than MIN_STEPS steps or without a stride
    variability are dropped.
    """
    walks = pd.DataFrame(index=export.index)
    walks["session_id"] = export["session_id"]
    number = export["user_id"].str.extract(r"(\d+)", expand=False).astype(int)
    walks["user_id"] = "U" + number.map("{:04d}".format)
    walks["uploaded_at"] = pd.to_datetime(export["uploaded_at"])
    walks["started_at"] = pd.to_datetime(export["started_at"])
    walks["duration_s"] = pd.to_numeric(export["duration"].str.removesuffix(" s"))
    walks["steps"] = pd.to_numeric(export["steps"])
    walks["distance_m"] = pd.to_numeric(export["distance"].str.removesuffix(" m"))
    walks["stride_cv"] = pd.to_numeric(export["stride_cv"], errors="coerce")
    walks["sway_cm"] = pd.to_numeric(export["sway"].str.removesuffix(" cm"))
    walks[TARGET] = (export["diagnosis"].str.strip().str.lower() == "impaired").astype(int)
    walks = walks.sort_values("uploaded_at", kind="stable").drop_duplicates(
        "session_id", keep="last"
    )
    walks = walks[(walks["steps"] >= MIN_STEPS) & walks["stride_cv"].notna()]
    return walks.drop(columns="uploaded_at").set_index("session_id")


def gait_features(walks):
    """The gait features of each walk: a DataFrame with user_id, FEATURES and TARGET.

    cadence in steps per minute, step_length in metres, speed in metres per second, stride_cv
    in %, sway in cm; one row per row of ``walks``, same index.
    """
    minutes = walks["duration_s"] / 60.0
    return pd.DataFrame(
        {
            "user_id": walks["user_id"],
            "cadence": walks["steps"] / minutes,
            "step_length": walks["distance_m"] / walks["steps"],
            "speed": walks["distance_m"] / walks["duration_s"],
            "stride_cv": walks["stride_cv"],
            "sway": walks["sway_cm"],
            TARGET: walks[TARGET],
        },
        index=walks.index,
    )
