"""k-means must stay finite and keep using every segment, whatever the start and the data.

Any way of getting there is accepted as long as the centres stay finite, the inertia never
increases, and (the brief's rule) every segment ends with at least one customer whenever there
are at least k distinct customers, after any number of update steps.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_finite,
    assert_inputs_untouched,
    assert_reproducible,
    call_strict,
    with_shuffled_index,
)

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
def test_centres_stay_finite_from_a_hand_picked_start(kmeans, blobs):
    init = blobs[[0, 0, 40]]  # two centres start on the same customer
    model = fit(kmeans, blobs, 3, init, "fit(X, init=a hand-picked start)")
    assert_finite(
        model.cluster_centers_, "cluster_centers_ after a hand-picked start",
        "a segment centre is no longer a place on the map",
    )  # fmt: skip


def test_every_segment_is_used_from_a_hand_picked_start(kmeans, blobs):
    model = kmeans.KMeans(n_clusters=3, seed=0).fit(blobs, init=blobs[[0, 0, 40]])
    assert_every_segment_used(model, 3, "a hand-picked start")


def test_every_segment_is_used_from_a_distant_start(kmeans, blobs):
    init = np.vstack([[1000.0, 1000.0], blobs[[0, 40]]])  # no customer is nearest to centre 0
    model = fit(kmeans, blobs, 3, init, "fit(X, init=another hand-picked start)")
    assert_every_segment_used(model, 3, "another hand-picked start")


def test_inertia_never_increases_from_a_hand_picked_start(kmeans, blobs):
    model = kmeans.KMeans(n_clusters=3, seed=0).fit(blobs, init=blobs[[0, 0, 40]])
    assert_decreasing(
        model.inertia_history_, "inertia_history_ after a hand-picked start",
        "a Lloyd step made the segments looser", slack=1e-9,
    )  # fmt: skip


@pytest.mark.edge
def test_one_segment_per_record_gives_zero_inertia(kmeans):
    X = np.array([[1.0, 1.0], [1.0, 1.0], [2.0, 1.0], [1.0, 2.0], [2.0, 2.0], [5.0, 5.0]])
    model = fit(kmeans, X, 6, what="KMeans(n_clusters=6).fit(6 customers)")
    assert_finite(model.cluster_centers_, "cluster_centers_ with as many segments as customers")
    assert_close(
        model.inertia_, 0.0, "inertia_ with as many segments as customers",
        "every distinct customer can have a centre of its own", atol=1e-9,
    )  # fmt: skip


def test_every_segment_is_used_when_segments_nearly_outnumber_records(kmeans):
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


@pytest.mark.parametrize("k", range(2, 12))
def test_every_segment_is_used_after_a_single_step(kmeans, k):
    X = kmeans.make_customers(n_rows=150, seed=0)[kmeans.FEATURES].to_numpy(dtype=float)
    for start in (0, 70):
        init = np.repeat(X[start : start + 1], k, axis=0)
        model = call_strict(
            kmeans.KMeans(n_clusters=k, max_iter=1).fit, X, init=init,
            what=f"KMeans(n_clusters={k}, max_iter=1).fit(loyalty table, hand-picked start no. {start})",
        )  # fmt: skip
        assert_every_segment_used(
            model, k, f"one update step with {k} segments from hand-picked start no. {start}"
        )


@pytest.mark.parametrize("k", [9, 10, 11, 12])
def test_every_segment_is_used_for_many_segments(kmeans, k):
    X = kmeans.make_customers(n_rows=150, seed=0)[kmeans.FEATURES].to_numpy(dtype=float)
    for seed in range(6):
        model = call_strict(
            kmeans.KMeans(n_clusters=k, seed=seed).fit, X,
            what=f"KMeans(n_clusters={k}, seed={seed}).fit(loyalty table)",
        )  # fmt: skip
        assert_every_segment_used(model, k, f"{k} segments with seed {seed}")


def test_report_is_that_of_the_fitted_segments(kmeans):
    df = with_shuffled_index(kmeans.make_customers(n_rows=150, seed=0))
    report = assert_inputs_untouched(kmeans.run_pipeline, df, 3, 0, what="run_pipeline(customers)")
    X = df[kmeans.FEATURES].to_numpy(dtype=float)
    centres = report["centres"][kmeans.FEATURES].to_numpy(dtype=float)
    nearest = np.argmin(((X[:, None] - centres[None]) ** 2).sum(axis=2), axis=1)
    assert_figures(
        report,
        {
            "sizes": np.bincount(nearest, minlength=3),
            "inertia": float(((X - centres[nearest]) ** 2).sum()),
        },
        "run_pipeline(customers, 3, 0)",
        rtol=1e-9,
    )
    for j in range(3):
        assert_close(centres[j], X[nearest == j].mean(axis=0), f"the centre of segment {j}")


def test_seed_chooses_the_start(kmeans):
    X = kmeans.make_customers(n_rows=150, seed=0)[kmeans.FEATURES].to_numpy(dtype=float)
    assert_reproducible(
        lambda seed: kmeans.KMeans(n_clusters=3, max_iter=1, seed=seed).fit(X).cluster_centers_,
        "the centres after one step from a seeded random start",
    )


@pytest.mark.parametrize(
    "extra, init",
    [
        ([-5.0, -5.0], [[0.0, 0.0], [0.0, 0.0], [10.0, 10.0]]),
        ([1.0, 0.0], [[0.0, 0.0], [10.0, 10.0], [100.0, 100.0]]),
    ],
    ids=["a-record-on-the-far-side", "a-record-next-door"],
)
def test_the_one_record_no_centre_sits_on_wins_a_segment(kmeans, extra, init):
    X = np.array([[0.0, 0.0]] * 3 + [extra] + [[10.0, 10.0]] * 3)
    model = call_strict(
        kmeans.KMeans(n_clusters=3, max_iter=1).fit, X, init=np.array(init),
        what=f"KMeans(3, max_iter=1).fit(3 x (0, 0), {extra}, 3 x (10, 10), init={init})",
    )  # fmt: skip
    assert_every_segment_used(model, 3, f"one step on three records, one of them {extra}")


def test_update_leaves_the_centres_it_is_given_untouched(kmeans, blobs):
    centres = blobs[[0, 0, 40]].copy()
    labels = kmeans.assign(blobs, centres)
    assert_inputs_untouched(
        kmeans.update_centroids, blobs, labels, centres, what="update_centroids(X, labels, centres)"
    )


def test_iterations_are_counted_and_capped(kmeans, blobs):
    for max_iter in (1, 2, 100):
        model = kmeans.KMeans(n_clusters=4, max_iter=max_iter, seed=1).fit(blobs)
        assert (
            model.n_iter_ == len(model.inertia_history_) - 1 and 1 <= model.n_iter_ <= max_iter
        ), (
            f"with max_iter={max_iter}, n_iter_ is {model.n_iter_} after "
            f"{len(model.inertia_history_) - 1} update steps"
        )
    quick = kmeans.KMeans(n_clusters=3, seed=0).fit(blobs)
    assert quick.n_iter_ < 20, f"three well-separated groups took {quick.n_iter_} steps"


def test_a_start_given_in_whole_numbers_is_averaged_exactly(kmeans, blobs):
    whole = kmeans.KMeans(n_clusters=3).fit(blobs, init=np.array([[10, 10], [20, 10], [10, 20]]))
    assert_finite(whole.cluster_centers_, "centres from an integer start")
    for j in range(3):
        assert_close(
            whole.cluster_centers_[j], blobs[whole.labels_ == j].mean(axis=0),
            f"centre {j} fitted from a start given in whole numbers",
            "the centres are rounded to whole numbers on the way",
        )  # fmt: skip


def test_k_distinct_records_get_k_segments_from_any_seed(kmeans):
    X = np.array([[1.0, 1.0], [4.0, 2.0], [2.0, 5.0], [6.0, 6.0], [0.0, 3.0]])
    for seed in range(8):
        model = kmeans.KMeans(n_clusters=5, seed=seed, max_iter=1).fit(X)
        assert_close(model.inertia_, 0.0, f"inertia_ of 5 records in 5 segments (seed {seed})")


def test_pipeline_defaults_seed_and_sizes(kmeans):
    df = kmeans.make_customers(n_rows=150, seed=0)
    report = kmeans.run_pipeline(df)
    assert len(report["sizes"]) == 3 and report["model"].n_clusters == 3, (
        "the default is 3 segments"
    )
    assert_reproducible(
        lambda seed: kmeans.run_pipeline(df, 3, seed)["centres"], "the segment centres",
        seeds=(0, 1),
    )  # fmt: skip
    two = pd.DataFrame({kmeans.FEATURES[0]: [1.0, 1.0, 5.0], kmeans.FEATURES[1]: [2.0, 2.0, 2.0]})
    sizes = kmeans.run_pipeline(two, 3, 0)["sizes"]
    assert len(sizes) == 3 and sizes.sum() == 3, f"sizes of 3 segments on 2 records: {sizes}"
