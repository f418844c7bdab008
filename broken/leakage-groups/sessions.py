"""The gait app's export of walks: parsed, cleaned, and turned into per-walk gait features."""

import pandas as pd

FEATURES = ["cadence", "step_length", "speed", "stride_cv", "sway"]
TARGET = "impaired"
MIN_STEPS = 60


def load_export(path):
    """The app's export as sent: one row per upload, every field the text the app sent.

    ``path`` is a CSV file with a header row; empty fields stay empty strings.
    """
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def clean_sessions(export):
    """One row per walk, indexed by session_id.

    Columns: user_id, started_at, duration_s, steps, distance_m, stride_cv, sway_cm and
    ``impaired`` (1 or 0). Walks with fewer than MIN_STEPS steps or without a stride
    variability are dropped.
    """
    walks = pd.DataFrame(index=export.index)
    walks["session_id"] = export["session_id"]
    walks["user_id"] = export["user_id"].str.strip().str.upper().str.replace("-", "")
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
