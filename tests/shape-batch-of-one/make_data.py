"""Writes the files handed out with the kata: ``python tests/shape-batch-of-one/make_data.py``.

data/lab_windows.csv   the lab recordings the network is trained on: one 16-sample window per row
                       (raw sensor counts s00..s15), with the subject, the session and the
                       activity the subject was asked to do.
data/day_<user>.csv    one user's day as the phone received it from the wristband: one window per
                       row, in order, with its start time, the time the phone synced it, the
                       battery level, the firmware and the heart rate (blank when the band had no
                       contact). The phone syncs every 30 windows and whenever the user opens the
                       app. User 1042 is the team's own test day; the others are the users whose
                       complaints support collected.

Fixed seeds: running it again rewrites the files byte for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
ACTIVITIES = ["still", "walking", "running"]
WINDOW = 16  # samples per window
COUNTS_PER_G = 256.0
SAMPLES = [f"s{i:02d}" for i in range(WINDOW)]
# user: (windows in the day, app opens per hour, seed, start of the day, firmware)
USERS = {
    "1042": (400, 2.0, 1, "2024-05-13 07:10:00", "2.4.1"),
    "2207": (480, 20.0, 3, "2024-05-14 06:42:30", "2.4.1"),
    "3315": (480, 20.0, 2, "2024-05-14 08:05:00", "2.3.9"),
    "4581": (480, 20.0, 4, "2024-05-15 06:58:00", "2.4.1"),
}


def make_windows(n_windows, seed=0):
    """Labelled windows as the wristband records them: raw counts (n, 16), labels (n,)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(ACTIVITIES), n_windows)
    t = np.arange(WINDOW)
    amplitude = np.array([0.05, 0.5, 1.2])[y][:, None]  # (n, 1), in g
    cycles = np.array([1.0, 2.0, 4.0])[y][:, None]
    phase = rng.uniform(0.0, 2.0 * np.pi, (n_windows, 1))
    g = 1.0 + amplitude * np.sin(2.0 * np.pi * cycles * t / WINDOW + phase)  # (n, 16)
    g += rng.normal(0.0, 0.1, g.shape)
    return np.round(g * COUNTS_PER_G).astype(np.int16), y


def make_lab(n_windows=300, seed=0):
    """The lab file: twelve subjects, a few sessions each, the activity each was asked to do."""
    raw, y = make_windows(n_windows, seed)
    rng = np.random.default_rng([seed, 1])
    subject = np.sort(rng.integers(1, 13, n_windows))
    frame = pd.DataFrame(
        {
            "window_id": np.arange(1, n_windows + 1),
            "subject": [f"S{s:02d}" for s in subject],
            "session": rng.integers(1, 4, n_windows),
            "activity": np.array(ACTIVITIES)[y],
        }
    )
    return pd.concat([frame, pd.DataFrame(raw, columns=SAMPLES)], axis=1)


def make_day(n_windows, opens_per_hour, seed, start, firmware):
    """One user's day as synced to the phone: a window per row, the sync it arrived in."""
    rng = np.random.default_rng(seed)
    p = rng.dirichlet([2.0, 2.0, 2.0])
    y = rng.choice(len(ACTIVITIES), n_windows, p=p)
    recording, _ = make_windows(n_windows, seed + 1)
    lab, lab_y = make_windows(4 * n_windows, seed + 2)
    for k in range(len(ACTIVITIES)):  # windows of the day's activities
        recording[y == k] = lab[lab_y == k][: np.sum(y == k)]
    opens = rng.random(n_windows) < opens_per_hour / 120.0  # 120 windows an hour
    ends = [i for i in range(n_windows - 1) if opens[i] or (i + 1) % 30 == 0] + [n_windows - 1]
    extra = np.random.default_rng([seed, 7])
    # The band is taken off to charge once: a gap of 40 to 90 minutes in the day.
    off = int(extra.integers(n_windows // 3, 2 * n_windows // 3))
    seconds = 30 * np.arange(n_windows) + np.where(np.arange(n_windows) >= off, 60 * 65, 0)
    began = pd.Timestamp(start) + pd.to_timedelta(seconds, "s")
    synced = np.empty(n_windows, dtype=object)
    first, at = 0, began[0]
    for end in ends:  # a sync comes after its last window ends, and after the sync before it
        at = max(
            at + pd.Timedelta(seconds=3),
            began[end] + pd.Timedelta(seconds=30 + int(extra.integers(2, 50))),
        )
        synced[first : end + 1] = at.strftime("%H:%M:%S")
        first = end + 1
    i = np.arange(n_windows)
    battery = np.where(i >= off, 100.0 - 0.02 * (i - off), 78.0 - 0.02 * i)
    heart = np.round(np.array([62.0, 98.0, 148.0])[y] + extra.normal(0.0, 6.0, n_windows))
    heart = np.where(extra.random(n_windows) < 0.05, np.nan, heart)
    frame = pd.DataFrame(
        {
            "began": began.strftime("%H:%M:%S"),
            "synced": synced,
            "battery_pct": np.round(battery).astype(int),
            "firmware": firmware,
            "heart_rate": heart,
        }
    )
    return pd.concat([frame, pd.DataFrame(recording, columns=SAMPLES)], axis=1)


if __name__ == "__main__":
    DATA.mkdir(exist_ok=True)
    make_lab().to_csv(DATA / "lab_windows.csv", index=False)
    print(DATA / "lab_windows.csv")
    for user, (n_windows, opens, seed, start, firmware) in USERS.items():
        path = DATA / f"day_{user}.csv"
        make_day(n_windows, opens, seed, start, firmware).to_csv(
            path, index=False, float_format="%.0f"
        )
        print(path)
