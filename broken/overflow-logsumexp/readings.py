"""Spindle current exports from the shop floor: one logger file per shift, cleaned to amps."""

import pandas as pd


def load_export(path):
    """One shift's logger export, as a DataFrame.

    The file starts with ``# key: value`` lines (sensor, unit, start of the shift), then a
    ``t_s,value`` table: seconds since the start and the reading in the logger's unit. Columns:
    time (datetime64), sensor (str), value (float, in `unit`), unit (str) and status ("ok" or
    "offline"; an offline row has no value). A row the logger uploaded twice is kept twice.
    """
    header = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.startswith("#"):
                break
            key, _, value = line[1:].partition(":")
            header[key.strip()] = value.strip()
    table = pd.read_csv(path, comment="#", dtype={"t_s": "int64", "value": "float64"})
    return pd.DataFrame(
        {
            "time": pd.Timestamp(header["start"]) + pd.to_timedelta(table["t_s"], unit="s"),
            "sensor": header["sensor"],
            "value": table["value"],
            "unit": header["unit"],
            "status": table["value"].isna().map({False: "ok", True: "offline"}),
        }
    )


def clean_export(export):
    """The shift's readings in amps, in time order: ndarray of shape (n_readings,)."""
    ok = export[export["status"] == "ok"]
    ok = ok.drop_duplicates(subset=["sensor", "time"]).sort_values("time")
    to_amps = ok["unit"].map({"A": 1.0, "mA": 1e-3})
    return (ok["value"] * to_amps).to_numpy(dtype=float)
