"""Writes the logger exports handed out with the kata: ``python tests/overflow-logsumexp/make_data.py``.

data/<site>_<date>.csv  one shift (06:00 to 14:00) of one site's spindle logger, as the logger
                        writes it: a few ``#`` lines naming the sensor, the unit and the start of
                        the shift, then one row per reading (``t_s``: seconds since the start,
                        ``value``: the current in the logger's unit). A row without a value is an
                        instant when the logger was offline; a row it uploaded twice appears twice.

Leeds logs amps every 30 s (two decimals), Porto milliamps every 5 s (whole mA). During a shift
the spindle idles or cuts in spells of about four minutes, and now and then the logger catches
the motor's inrush at the start of a cut. Fixed seeds: running it again rewrites the files byte
for byte.
"""

from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
SHIFT_SECONDS = 8 * 3600
# What each site's logger writes (a row every `interval_s` seconds, in `unit`, with `decimals`),
# and the current (A) its spindle draws when idling and when cutting.
SITES = {
    "leeds": {"interval_s": 30, "unit": "A", "decimals": 2, "idle": 2.0, "cutting": 8.0},
    "porto": {"interval_s": 5, "unit": "mA", "decimals": 0, "idle": 2.4, "cutting": 7.5},
}
SHIFTS = {"2024-03-04": 0, "2024-03-05": 1, "2024-03-06": 2}  # date: seed


def make_shift(site, seed):
    """One shift's readings as the logger uploads them: DataFrame with t_s (int) and value
    (float, in the site's unit; NaN while offline), a retried upload appearing twice."""
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
    value = np.round(amps * (1000.0 if spec["unit"] == "mA" else 1.0), spec["decimals"])
    shift = pd.DataFrame({"t_s": np.arange(n) * spec["interval_s"], "value": value})
    shift.loc[rng.random(n) < 0.01, "value"] = np.nan
    retried = shift.iloc[np.flatnonzero(rng.random(n) < 0.005)]
    return pd.concat([shift, retried]).sort_values("t_s", kind="stable").reset_index(drop=True)


def write_shift(site, date, shift, path):
    """Write a shift in the logger's format: a header of ``#`` lines, then t_s,value rows."""
    spec = SITES[site]
    lines = [
        f"# sensor: {site}-spindle-1",
        f"# unit: {spec['unit']}",
        f"# start: {date} 06:00:00",
        "t_s,value",
    ]
    fmt = f"{{:.{spec['decimals']}f}}"
    for t_s, value in zip(shift["t_s"], shift["value"], strict=True):
        lines.append(f"{t_s},{'' if np.isnan(value) else fmt.format(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


def main():
    DATA.mkdir(exist_ok=True)
    for site in SITES:
        for date, seed in SHIFTS.items():
            write_shift(site, date, make_shift(site, seed), DATA / f"{site}_{date}.csv")


if __name__ == "__main__":
    main()
