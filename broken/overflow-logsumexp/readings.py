"""Spindle current exports from the shop floor: one raw logger table per shift, cleaned to amps."""

import numpy as np
import pandas as pd

SHIFT_SECONDS = 8 * 3600

# What each site's logger writes: a row every `interval_s` seconds, in `unit`; and the current
# (A) its spindle draws when idling and when cutting.
SITES = {
    "leeds": {"interval_s": 30, "unit": "A", "idle": 2.0, "cutting": 8.0},
    "porto": {"interval_s": 5, "unit": "mA", "idle": 2.4, "cutting": 7.5},
}


def make_export(site, seed=0):
    """One shift's raw export from `site`'s logger, as a DataFrame.

    Columns: time (datetime64), sensor (str), value (float, in `unit`), unit (str) and status
    ("ok" or "offline"; an offline row has no value). The logger sometimes uploads a row twice.
    """
    spec = SITES[site]
    rng = np.random.default_rng(seed)
    n = SHIFT_SECONDS // spec["interval_s"]
    # Spells of idling and cutting, four minutes long on average.
    switches = rng.random(n) < spec["interval_s"] / 240
    cutting = np.cumsum(switches) % 2 == 1
    amps = np.where(cutting, rng.normal(spec["cutting"], 0.3, n), rng.normal(spec["idle"], 0.15, n))
    # Now and then the logger catches the motor's inrush at the start of a cut.
    starts = np.flatnonzero(cutting[1:] & ~cutting[:-1]) + 1
    caught = starts[rng.random(len(starts)) < 0.02]
    amps[caught] = spec["cutting"] * rng.uniform(4.0, 5.5, len(caught))
    export = pd.DataFrame(
        {
            "time": pd.Timestamp("2024-03-04 06:00")
            + pd.to_timedelta(np.arange(n) * spec["interval_s"], unit="s"),
            "sensor": f"{site}-spindle-1",
            "value": amps * (1000.0 if spec["unit"] == "mA" else 1.0),
            "unit": spec["unit"],
            "status": "ok",
        }
    )
    offline = rng.random(n) < 0.01
    export.loc[offline, "value"] = np.nan
    export.loc[offline, "status"] = "offline"
    retried = export.iloc[np.flatnonzero(rng.random(n) < 0.005)]
    return pd.concat([export, retried]).sort_values("time", kind="stable").reset_index(drop=True)


def clean_export(export):
    """The shift's readings in amps, in time order: ndarray of shape (n_readings,)."""
    ok = export[export["status"] == "ok"]
    ok = ok.drop_duplicates(subset=["sensor", "time"]).sort_values("time")
    to_amps = ok["unit"].map({"A": 1.0, "mA": 1e-3})
    return (ok["value"] * to_amps).to_numpy(dtype=float)
