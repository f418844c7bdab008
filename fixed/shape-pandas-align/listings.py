"""The letting agency's CRM export, parsed and cleaned into one typed row per listing."""

import pandas as pd

FEATURES = ["area_m2", "rooms", "floor", "distance_km"]
TARGET = "rent"


def load_export(path):
    """The CRM's export (a CSV file or an open file): one row per advert under the CRM's
    ``row_key``, every value a string as the CRM writes it, an empty string where it wrote none.

    A flat advertised more than once has one row per advert, and only its latest advert
    (``listed_on``) is current. Returns a DataFrame.
    """
    export = pd.read_csv(path, dtype=str, keep_default_na=False)
    return export.set_index(export.pop("row_key").astype(int))


def parse_export(export):
    """Typed columns: the listing id, the advert's date, the features and the rent as numbers.

    A value the CRM left empty or wrote as ``n/a`` becomes NaN; "ground" is floor 0.
    """
    parsed = pd.DataFrame(index=export.index)
    parsed["listing_id"] = export["listing_id"].astype(int)
    parsed["listed_on"] = pd.to_datetime(export["listed_on"])
    parsed["area_m2"] = pd.to_numeric(export["area"].str.removesuffix(" m²"), errors="coerce")
    parsed["rooms"] = pd.to_numeric(export["rooms"], errors="coerce")
    parsed["floor"] = pd.to_numeric(export["floor"].replace("ground", "0"), errors="coerce")
    parsed["distance_km"] = pd.to_numeric(export["distance_km"], errors="coerce")
    parsed[TARGET] = pd.to_numeric(export["rent"].str.removeprefix("€"), errors="coerce")
    return parsed


def current_adverts(parsed):
    """One row per listing: its latest advert, listings in id order."""
    by_date = parsed.sort_values(["listing_id", "listed_on"])
    return by_date.drop_duplicates("listing_id", keep="last")


def clean_listings(export):
    """The export as one typed row per listing (its current advert)."""
    return current_adverts(parse_export(export))
