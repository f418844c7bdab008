"""Taxi trips: repair GPS speed glitches and sign-flipped refunds, then report speed and fares."""

import numpy as np
import pandas as pd

MAX_SPEED_KMH = 150.0
SPEEDING_KMH = 90.0


def make_trips(n_rows=200, seed=0):
    """Synthetic trip log with a few GPS speed glitches and a few fares recorded with a minus sign."""
    rng = np.random.default_rng(seed)
    distance = rng.gamma(2.0, 4.0, n_rows) + 0.5
    duration = distance / rng.uniform(15.0, 110.0, n_rows) * 60.0
    speed = distance / duration * 60.0
    glitch = rng.random(n_rows) < 0.08
    speed[glitch] = rng.uniform(400.0, 2000.0, glitch.sum())
    fare = 3.0 + 1.8 * distance + rng.normal(0.0, 0.5, n_rows)
    flipped = rng.random(n_rows) < 0.06
    fare[flipped] = -fare[flipped]
    return pd.DataFrame(
        {
            "trip_id": np.arange(n_rows),
            "distance_km": distance,
            "duration_min": duration,
            "speed_kmh": speed,
            "fare": fare,
        }
    )


def clean_trips(trips):
    """A cleaned copy of ``trips``; the caller's frame is left as it was.

    A speed above MAX_SPEED_KMH is a GPS glitch: it is replaced by distance over duration.
    A negative fare is a refund export with its sign flipped: it is made positive.
    """
    trips = trips.copy()
    glitch = trips["speed_kmh"] > MAX_SPEED_KMH
    trips.loc[glitch, "speed_kmh"] = (
        trips.loc[glitch, "distance_km"] / trips.loc[glitch, "duration_min"] * 60.0
    )
    flipped = trips["fare"] < 0
    trips.loc[flipped, "fare"] = +trips.loc[flipped, "fare"]
    return trips


def fare_per_km(distance, fare):
    """Slope and intercept of the least-squares line fare = intercept + slope * distance."""
    A = np.column_stack([np.ones_like(distance), distance])  # (n, 2)
    (intercept, slope), *_ = np.linalg.lstsq(A, fare, rcond=None)
    return float(slope), float(intercept)


def summarise(trips):
    """Speed and fare figures of a (cleaned) trip table."""
    speed = trips["speed_kmh"].to_numpy(dtype=float)
    slope, intercept = fare_per_km(
        trips["distance_km"].to_numpy(dtype=float), trips["fare"].to_numpy(dtype=float)
    )
    return {
        "mean_speed_kmh": float(speed.mean()),
        "max_speed_kmh": float(speed.max()),
        "speeding_trips": int((speed > SPEEDING_KMH).sum()),
        "revenue": float(trips["fare"].sum()),
        "fare_per_km": slope,
        "base_fare": intercept,
    }


def run_pipeline(trips):
    """Clean the trip log and summarise it. Returns the cleaned table and the figures."""
    cleaned = clean_trips(trips)
    return {"cleaned": cleaned, **summarise(cleaned)}
