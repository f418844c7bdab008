"""Enriching orders with customer data must neither add nor lose orders or revenue.

The customer table is an address history: customers who moved have several rows. The tests
check that enrichment keeps one row per order, preserves every amount, gives each order its
customer's latest region, and that the revenue report adds up to the orders it came from.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import assert_close, assert_figures, with_shuffled_index


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def customers(pipeline):
    return with_shuffled_index(pipeline.make_customers(n_customers=60, seed=0), seed=3)


@pytest.fixture(scope="module")
def orders(pipeline):
    return with_shuffled_index(pipeline.make_orders(n_orders=300, n_customers=60, seed=1), seed=4)


def latest_region(customers):
    """The brief's rule, written independently: the region of each customer's latest record."""
    latest = {}
    for row in customers.itertuples():
        if row.customer_id not in latest or row.valid_from > latest[row.customer_id][0]:
            latest[row.customer_id] = (row.valid_from, row.region)
    return {customer: region for customer, (_, region) in latest.items()}


def plain(series):
    """A Series as a dict of plain str -> rounded float, for readable messages."""
    return {str(key): round(float(value), 2) for key, value in series.items()}


def test_enrichment_keeps_one_row_per_order(pipeline, orders, customers):
    enriched = pipeline.enrich_orders(orders, customers)
    repeated = enriched["order_id"].value_counts()
    assert len(enriched) == len(orders) and repeated.max() == 1, (
        f"enrich_orders turned {len(orders)} orders into {len(enriched)} rows; order "
        f"{repeated.index[0]} appears {repeated.iloc[0]} times: adding customer data "
        "multiplies orders"
    )


def test_enrichment_preserves_total_revenue(pipeline, orders, customers):
    result = pipeline.run_pipeline(orders, customers)
    assert_close(
        result["revenue_total"], orders["amount"].sum(), "reported total revenue",
        "revenue is counted more than once for some orders", rtol=1e-9,
    )  # fmt: skip
    assert result["n_orders"] == len(orders), (
        f"the report counts {result['n_orders']} orders; the shop received {len(orders)}"
    )


def test_each_order_gets_its_customers_latest_region(pipeline, orders, customers):
    enriched = pipeline.enrich_orders(orders, customers)
    expected = latest_region(customers)
    wrong = enriched[enriched["region"] != enriched["customer_id"].map(expected)]
    assert wrong.empty, (
        f"{len(wrong)} enriched rows carry a region other than their customer's latest "
        f"address, e.g. order {wrong['order_id'].iloc[0] if len(wrong) else ''} "
        f"(customer {wrong['customer_id'].iloc[0] if len(wrong) else ''}) in "
        f"{str(wrong['region'].iloc[0]) if len(wrong) else ''!r}: orders are credited to old addresses"
    )


def test_revenue_per_region_adds_up_to_the_orders(pipeline, orders, customers):
    expected = orders.groupby(orders["customer_id"].map(latest_region(customers)))["amount"].sum()
    reported = pipeline.run_pipeline(orders, customers)["revenue_by_region"]
    assert_close(
        reported.reindex(expected.index).to_numpy(), expected.to_numpy(),
        f"revenue per region {plain(reported)}",
        f"the orders of each region's current customers add up to {plain(expected)}",
        rtol=1e-9,
    )  # fmt: skip


def test_orders_of_customers_who_never_moved_are_enriched(pipeline, orders, customers):
    counts = customers["customer_id"].value_counts()
    settled = counts[counts == 1].index
    enriched = pipeline.enrich_orders(orders, customers)
    mine = enriched[enriched["customer_id"].isin(settled)].sort_values("order_id")
    theirs = orders[orders["customer_id"].isin(settled)].sort_values("order_id")
    assert_close(mine["amount"].to_numpy(), theirs["amount"].to_numpy(), "their amounts")
    regions = customers[customers["customer_id"].isin(settled)].set_index("customer_id")["region"]
    assert (mine["region"].to_numpy() == theirs["customer_id"].map(regions).to_numpy()).all(), (
        "orders of customers with a single address did not get that address's region"
    )


def test_the_report_does_not_depend_on_row_order(pipeline, orders, customers):
    first = pipeline.run_pipeline(orders, customers)["revenue_by_region"]
    again = pipeline.run_pipeline(orders.iloc[::-1], customers.iloc[::-1])["revenue_by_region"]
    assert_close(
        again.reindex(first.index).to_numpy(), first.to_numpy(),
        "revenue per region with both tables in reverse row order",
        "the report depends on the order in which rows happen to be stored", rtol=1e-9,
    )  # fmt: skip


def test_enrichment_leaves_its_inputs_untouched(pipeline, orders, customers):
    given_orders, given_customers = orders.copy(), customers.copy()
    pipeline.run_pipeline(given_orders, given_customers)
    pd.testing.assert_frame_equal(given_orders, orders, obj="the orders table")
    pd.testing.assert_frame_equal(given_customers, customers, obj="the customer table")


@pytest.mark.edge
def test_an_order_from_a_customer_not_on_file_is_kept_as_unknown(pipeline, orders, customers):
    stranger = orders.iloc[[0]].assign(order_id=99_999, customer_id=12_345)
    enriched = pipeline.enrich_orders(pd.concat([orders, stranger]), customers)
    row = enriched[enriched["order_id"] == 99_999]
    assert len(row) == 1 and row["region"].iloc[0] == "unknown", (
        f"an order from customer 12345 (not in the customer table) came back as {len(row)} "
        f"row(s) with region {list(row['region'])}; expected one row in region 'unknown'"
    )


@pytest.mark.edge
def test_one_order_counts_once_in_its_customers_current_region(pipeline):
    history = pd.DataFrame(
        {
            "customer_id": [7, 7, 8, 7],
            "valid_from": pd.to_datetime(["2024-05-01", "2023-01-01", "2023-02-01", "2023-09-01"]),
            "region": ["east", "north", "west", "south"],
        },
        index=[30, 10, 40, 20],
    )
    orders = pd.DataFrame({"order_id": [1], "customer_id": [7], "amount": [50.0]}, index=[5])
    result = pipeline.run_pipeline(orders, history)
    assert plain(result["revenue_by_region"]) == {"east": 50.0}, (
        f"one order of 50.00 from a customer who moved north -> south -> east gave revenue "
        f"{plain(result['revenue_by_region'])}; expected {{'east': 50.0}}"
    )
    assert np.isclose(result["revenue_total"], 50.0) and result["n_orders"] == 1, (
        f"one order of 50.00 (and a customer without orders) is reported as "
        f"{result['n_orders']} order(s) worth {result['revenue_total']:.2f}"
    )


def test_every_reported_figure_adds_up_to_the_orders(pipeline, orders, customers):
    result = pipeline.run_pipeline(orders, customers)
    current = pd.Series(latest_region(customers))
    assert_figures(
        result,
        {
            "n_orders": len(orders),
            "revenue_total": orders["amount"].sum(),
            "mean_order_value": orders["amount"].mean(),
        },
        "run_pipeline(orders, customers)",
        rtol=1e-9,
    )
    by_region = current.value_counts()
    reported = result["customers_by_region"]
    assert plain(reported.sort_index()) == plain(by_region.sort_index()), (
        f"customers_by_region is {plain(reported)}; the customers' current addresses give "
        f"{plain(by_region)}"
    )
    revenue = result["revenue_by_region"].to_numpy()
    assert np.all(np.diff(revenue) <= 0), (
        f"revenue_by_region is not listed largest first: {plain(result['revenue_by_region'])}"
    )
    enriched = result["enriched"].sort_values("order_id")
    assert_close(
        enriched["amount"].to_numpy(), orders.sort_values("order_id")["amount"].to_numpy(),
        "the enriched orders' amounts (by order id)", "an order's amount changed on the way",
    )  # fmt: skip
