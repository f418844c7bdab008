"""Online shop: enrich orders with each customer's current region, report revenue per region."""

import numpy as np
import pandas as pd

REGIONS = ["north", "south", "east", "west"]


def make_customers(n_customers=60, seed=0):
    """Address history: one row per (customer, address); customers who moved have several rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for customer_id in range(n_customers):
        n_addresses = rng.choice([1, 2, 3], p=[0.55, 0.3, 0.15])
        days = np.sort(rng.choice(np.arange(0, 900), n_addresses, replace=False))
        for day in days:
            rows.append(
                {
                    "customer_id": customer_id,
                    "valid_from": pd.Timestamp("2022-01-01") + pd.Timedelta(days=int(day)),
                    "region": rng.choice(REGIONS),
                }
            )
    return pd.DataFrame(rows)


def make_orders(n_orders=300, n_customers=60, seed=1):
    """One row per order: order id, customer id and amount."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "order_id": np.arange(10_000, 10_000 + n_orders),
            "customer_id": rng.integers(0, n_customers, n_orders),
            "amount": np.round(rng.gamma(2.0, 30.0, n_orders), 2),
        }
    )


def current_addresses(customers):
    """The latest address record of each customer: one row per customer_id."""
    latest = customers.sort_values("valid_from").drop_duplicates("customer_id", keep="last")
    return latest[["customer_id", "region"]]


def enrich_orders(orders, customers):
    """Each order with its customer's current region ("unknown" for a customer not on file)."""
    enriched = orders.merge(
        current_addresses(customers), on="customer_id", how="left", validate="many_to_one"
    )
    enriched["region"] = enriched["region"].fillna("unknown")
    return enriched


def revenue_by_region(enriched):
    """Total order amount per region, largest first."""
    return enriched.groupby("region")["amount"].mean().sort_values(ascending=False)


def run_pipeline(orders, customers):
    """Enrich the orders and report revenue. Returns the enriched table and the figures."""
    enriched = enrich_orders(orders, customers)
    return {
        "enriched": enriched,
        "revenue_by_region": revenue_by_region(enriched),
        "revenue_total": float(enriched["amount"].sum()),
        "n_orders": len(enriched),
        "mean_order_value": float(enriched["amount"].mean()),
        "customers_by_region": current_addresses(customers)["region"].value_counts(),
    }
