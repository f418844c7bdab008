"""Wine cooperative: the lab's CSV export of analysed wines, cleaned into one row per tasted wine."""

import io

import numpy as np
import pandas as pd

CHEMISTRY = [
    "fixed_acidity",
    "volatile_acidity",
    "citric_acid",
    "residual_sugar",
    "chlorides",
    "free_sulfur_dioxide",
    "total_sulfur_dioxide",
    "density",
    "ph",
    "sulphates",
    "alcohol",
]
DERIVED = ["bound_sulfur_dioxide", "log_chlorides", "sugar_per_alcohol"]
FEATURES = CHEMISTRY + DERIVED
TARGET = "quality"


def make_export(n_wines=120, seed=0):
    """The lab's export as CSV text: re-analysed wines appear twice, some cells are blank,
    alcohol carries its unit, and wines the panel has not tasted yet have no quality."""
    rng = np.random.default_rng(seed)
    alcohol = rng.normal(10.4, 1.0, n_wines)
    wines = pd.DataFrame(
        {
            "wine_id": [f"W{i:04d}" for i in range(n_wines)],
            "fixed_acidity": rng.normal(8.3, 1.7, n_wines),
            "volatile_acidity": rng.gamma(9.0, 0.06, n_wines),
            "citric_acid": rng.uniform(0.0, 0.7, n_wines),
            "residual_sugar": rng.gamma(3.0, 0.8, n_wines),
            "chlorides": rng.gamma(8.0, 0.011, n_wines),
            "free_sulfur_dioxide": rng.gamma(3.0, 5.0, n_wines),
            "density": 0.9967 - 0.0008 * (alcohol - 10.4) + rng.normal(0.0, 0.0005, n_wines),
            "ph": rng.normal(3.31, 0.15, n_wines),
            "sulphates": 0.5 + 0.03 * (alcohol - 10.4) + rng.gamma(6.0, 0.025, n_wines),
            "alcohol": alcohol,
        }
    )
    wines["total_sulfur_dioxide"] = wines["free_sulfur_dioxide"] * rng.uniform(2.0, 4.0, n_wines)
    score = (
        5.6
        + 0.35 * (alcohol - 10.4)
        - 1.2 * (wines["volatile_acidity"] - 0.54)
        + 1.5 * (wines["sulphates"] - 0.65)
        - 2.0 * (wines["chlorides"] - 0.088)
        + rng.normal(0.0, 0.5, n_wines)
    )
    wines[TARGET] = np.clip(np.round(score), 3, 8)
    wines["analysed_on"] = pd.Timestamp("2024-09-01") + pd.to_timedelta(
        rng.integers(0, 60, n_wines), unit="D"
    )
    # Re-analysed wines: an earlier analysis with a contaminated sample, superseded later.
    again = wines.sample(frac=0.15, random_state=int(rng.integers(1 << 31)))
    earlier = again.assign(
        analysed_on=again["analysed_on"] - pd.Timedelta(days=20),
        volatile_acidity=again["volatile_acidity"] + 0.8,
    )
    export = pd.concat([wines, earlier], ignore_index=True)
    for column in ("residual_sugar", "citric_acid", "ph"):
        export.loc[rng.random(len(export)) < 0.06, column] = np.nan
    export.loc[rng.random(len(export)) < 0.08, TARGET] = np.nan
    export["alcohol"] = export["alcohol"].map(lambda v: f"{v:.2f} %vol")
    export = export.sample(frac=1.0, random_state=int(rng.integers(1 << 31)))
    return export[["wine_id", "analysed_on", *CHEMISTRY, TARGET]].to_csv(index=False)


def load_export(text):
    """The export as a DataFrame, one row per analysis."""
    return pd.read_csv(io.StringIO(text), parse_dates=["analysed_on"])


def clean(raw):
    """One row per tasted wine, indexed by wine_id: its latest analysis, numeric columns only."""
    latest = raw.sort_values("analysed_on").drop_duplicates("wine_id", keep="last")
    latest = latest.assign(alcohol=latest["alcohol"].str.removesuffix(" %vol").astype(float))
    tasted = latest.dropna(subset=[TARGET])
    return tasted.set_index("wine_id").sort_index()[[*CHEMISTRY, TARGET]]


def add_features(wines):
    """The derived features the cooperative's oenologist asked for."""
    return wines.assign(
        bound_sulfur_dioxide=wines["total_sulfur_dioxide"] - wines["free_sulfur_dioxide"],
        log_chlorides=np.log(wines["chlorides"]),
        sugar_per_alcohol=wines["residual_sugar"] / wines["alcohol"],
    )


def fit_imputer(train):
    """The fill value of each feature: its median over the training wines."""
    return train[FEATURES].median()


def impute(wines, medians):
    """The features with every gap filled by its training median: (n, d) array."""
    return wines[FEATURES].fillna(medians).to_numpy(dtype=float)
