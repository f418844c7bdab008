"""k-means must stay finite and keep using every segment when a cluster loses all its customers.

A cluster empties when two starting centres coincide (duplicated customers), when a centre starts
far from every customer, or when k is close to the number of customers. Any strategy for an empty
cluster is accepted as long as the centres stay finite, the inertia never increases, and (the
brief's rule) every segment ends with at least one customer whenever there are at least k
distinct customers.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_decreasing, assert_finite, call_strict, with_shuffled_index

CENTRES = np.array([[10.0, 10.0], [20.0, 10.0], [10.0, 20.0]])


@pytest.fixture(scope="module")
def kmeans(kata):
    return kata("kmeans")


@pytest.fixture(scope="module")
def blobs():
    """Three tight, well-separated groups of 30 customers, far from the origin."""
    rng = np.random.default_rng(0)
    return np.repeat(CENTRES, 30, axis=0) + rng.normal(0.0, 1.0, size=(90, 2))


def fit(kmeans, X, k, init=None, what=""):
    model = kmeans.KMeans(n_clusters=k, seed=0)
    return call_strict(model.fit, X, init=init, what=what or f"KMeans(n_clusters={k}).fit(X)")


def assert_every_segment_used(model, k, what):
    sizes = np.bincount(model.labels_, minlength=k)
    assert_finite(model.cluster_centers_, f"the centres after {what}")
    assert np.all(sizes > 0), (
        f"after {what} the segment sizes are {sizes.tolist()}: a segment ended with no customer "
        "although there are enough distinct customers for every one, so a centre was wasted"
    )


def test_separates_three_well_separated_segments(kmeans, blobs):
    model = fit(kmeans, blobs, 3)
    truth = np.repeat(np.arange(3), 30)
    pairs = {(t, p) for t, p in zip(truth, model.labels_, strict=True)}
    assert len(pairs) == 3, f"true group -> segment pairs found: {sorted(pairs)}"


def test_inertia_never_increases_on_ordinary_data(kmeans, blobs):
    for seed in range(3):
        model = kmeans.KMeans(n_clusters=4, seed=seed).fit(blobs)
        assert_decreasing(model.inertia_history_, f"inertia_history_ (seed {seed})", slack=1e-9)


def test_every_centre_is_the_mean_of_its_customers(kmeans, blobs):
    model = fit(kmeans, blobs, 3)
    for j in range(3):
        members = blobs[model.labels_ == j]
        assert_close(model.cluster_centers_[j], members.mean(axis=0), f"centre {j}")


@pytest.mark.edge
def test_k_equals_n_with_distinct_customers_gives_zero_inertia(kmeans, blobs):
    model = fit(kmeans, blobs[:5], 5)
    assert_close(model.inertia_, 0.0, "inertia_ with one segment per customer", atol=1e-9)


@pytest.mark.edge
def test_duplicate_starting_centres_stay_finite(kmeans, blobs):
    init = blobs[[0, 0, 40]]  # two centres start on the same customer
    model = fit(kmeans, blobs, 3, init, "fit(X, init=two identical starting centres)")
    assert_finite(
        model.cluster_centers_, "cluster_centers_ after starting two centres on one customer",
        "one of the two identical centres won no customer (ties go to the lower index) and its "
        "centre became undefined, which then spread",
    )  # fmt: skip


def test_duplicate_starting_centres_end_with_every_segment_used(kmeans, blobs):
    model = kmeans.KMeans(n_clusters=3, seed=0).fit(blobs, init=blobs[[0, 0, 40]])
    assert_every_segment_used(model, 3, "starting two centres on the same customer")


def test_far_away_starting_centre_is_not_wasted(kmeans, blobs):
    init = np.vstack([[1000.0, 1000.0], blobs[[0, 40]]])  # no customer is nearest to centre 0
    model = fit(kmeans, blobs, 3, init, "fit(X, init=one centre far from every customer)")
    assert_every_segment_used(model, 3, "starting one centre far from every customer")


def test_inertia_never_increases_when_a_segment_empties(kmeans, blobs):
    model = kmeans.KMeans(n_clusters=3, seed=0).fit(blobs, init=blobs[[0, 0, 40]])
    assert_decreasing(
        model.inertia_history_, "inertia_history_ after a segment emptied",
        "each Lloyd step may only lower the within-segment squared distance", slack=1e-9,
    )  # fmt: skip


@pytest.mark.edge
def test_k_equals_n_with_duplicate_customers(kmeans):
    X = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 1.0], [1.0, 2.0], [2.0, 2.0], [5.0, 5.0]])
    model = fit(kmeans, X, 6, what="KMeans(n_clusters=6).fit(6 customers, two identical)")
    assert_finite(model.cluster_centers_, "cluster_centers_ with k == n and a duplicated customer")
    assert_close(
        model.inertia_, 0.0, "inertia_ with k == n and a duplicated customer",
        "every distinct customer can have a centre of its own", atol=1e-9,
    )  # fmt: skip


def test_k_close_to_the_number_of_distinct_customers_uses_every_segment(kmeans):
    X = np.array(
        [[1.0, 1.0], [1.0, 1.0], [2.0, 1.0], [1.0, 2.0], [2.0, 2.0], [5.0, 5.0], [5.0, 6.0]]
    )
    model = call_strict(kmeans.KMeans(n_clusters=5).fit, X, init=X[:5], what="fit(7 rows, k=5)")
    assert_every_segment_used(model, 5, "k = 5 on 6 distinct customers, starting from X[:5]")


def test_loyalty_table_in_four_segments(kmeans):
    df = with_shuffled_index(kmeans.make_customers(n_rows=150, seed=0))
    report = call_strict(kmeans.run_pipeline, df, 4, 3, what="run_pipeline(customers, 4, seed=3)")
    assert_finite(report["centres"], "the four segment centres")
    assert report["sizes"].sum() == 150 and np.all(report["sizes"] > 0), (
        f"segment sizes {report['sizes'].tolist()}: every one of 150 customers belongs to one "
        "of four non-empty segments"
    )
