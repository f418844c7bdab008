"""The weekly segmentation job, end to end: the table, the scaler, k-means and the profiles.

The weekly tables are the rows of data/loyalty_weeks.csv (written by make_data.py), read here.

Every figure the job exports is recomputed independently from the returned segments. Any fit is
accepted whose centres stay finite, whose inertia never rises from one step to the next, and which
splits the customers into as many segments as asked (each holding customers) whenever the table
allows it, after any number of update steps.
"""

import copy
import functools
from pathlib import Path

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
    assert_unchanged,
    with_shuffled_index,
)

EXPORT = Path(__file__).resolve().parent / "data" / "loyalty_weeks.csv"
CENTRES = np.array([[10.0, 10.0], [20.0, 10.0], [10.0, 20.0]])
WEEKS = range(1, 21)
# A sample of other seeds and segment counts on weeks 1-3: (week, segments, seed).
OTHER_FITS = [(1, 6, 3), (1, 8, 3), (2, 3, 2), (2, 12, 3), (3, 4, 3), (3, 12, 1)]

# The weekly tables, the weekly exports and the fits on the three groups are seeded and only read,
# so each is computed once per implementation under test (the caches are keyed by its module) and
# every test gets its own copy. The test that first asks computes it, so an error in the kata's
# code fails that test, never a fixture.


@functools.cache
def _weeks():
    return pd.read_csv(EXPORT)


@functools.cache
def _table(number):
    weeks = _weeks()
    return weeks[weeks["week"] == number]


@functools.cache
def _export(kmeans, number):
    return kmeans.run_pipeline(_table(number).copy(), 5, 0)


@functools.cache
def _blobs():
    rng = np.random.default_rng(0)
    return np.repeat(CENTRES, 30, axis=0) + rng.normal(0.0, 1.0, size=(90, 2))


@functools.cache
def _blob_fit(kmeans, n_clusters, seed):
    return kmeans.KMeans(n_clusters=n_clusters, seed=seed).fit(_blobs().copy())


@pytest.fixture(scope="module")
def kmeans(kata):
    return kata("kmeans")


@pytest.fixture(scope="module")
def blobs():
    """Three tight, well-separated groups of 30 customers, far from the origin."""
    return _blobs().copy()


def week(kmeans, number):
    """The rows of week ``number`` in data/loyalty_weeks.csv."""
    return _table(number).copy()


def weekly_export(kmeans, number):
    """run_pipeline(week(number), 5, 0)."""
    return copy.deepcopy(_export(kmeans, number))


def blob_fit(kmeans, n_clusters, seed):
    """KMeans(n_clusters=n_clusters, seed=seed).fit(blobs)."""
    return copy.deepcopy(_blob_fit(kmeans, n_clusters, seed))


def standardised(kmeans, df):
    X = df[kmeans.FEATURES].to_numpy(dtype=float)
    return (X - X.mean(axis=0)) / X.std(axis=0)


def sizes_of(model, k):
    return np.bincount(model.labels_, minlength=k)


def assert_sound_fit(model, X, k, what, used=None):
    """Every segment holds customers, the centres are finite, the inertia never rises."""
    used = k if used is None else used
    sizes = sizes_of(model, k)
    assert np.count_nonzero(sizes) == used, (
        f"{what} ended with customers per segment {sizes.tolist()}: {np.count_nonzero(sizes)} "
        f"of the {k} segments hold customers; the analysts expect {used}"
    )
    assert_finite(model.cluster_centers_, f"the centres after {what}")
    assert_decreasing(
        model.inertia_history_, f"inertia_history_ of {what}",
        "a step of Lloyd's algorithm made the segments looser", slack=1e-9,
    )  # fmt: skip
    assert_close(
        model.inertia_, float(((X - model.cluster_centers_[model.labels_]) ** 2).sum()),
        f"inertia_ of {what}", "it is not the spread of the returned segments", rtol=1e-9,
    )  # fmt: skip


# -- the table and the scaler --------------------------------------------------------------------


def test_load_week_gives_that_weeks_customers(kmeans):
    for number in (1, 7, 20):
        got = kmeans.load_week(EXPORT, number)
        want = week(kmeans, number)
        what = f'load_week("data/loyalty_weeks.csv", {number})'
        assert list(got.columns) == list(want.columns) and len(got) == len(want), (
            f"{what} gave {len(got)} rows of {list(got.columns)}; the export holds "
            f"{len(want)} rows of {list(want.columns)} for week {number}"
        )
        same = got.reset_index(drop=True).equals(want.reset_index(drop=True))
        assert same and got["customer_id"].is_unique, (
            f"{what} is not the export's rows of week {number}, one per customer"
        )


def test_scaler_standardises_each_column(kmeans):
    X = week(kmeans, 3)[kmeans.FEATURES].to_numpy(dtype=float)
    scaler = assert_inputs_untouched(kmeans.Scaler().fit, X, what="Scaler().fit(X)")
    Z = scaler.transform(X)
    assert_close(Z.mean(axis=0), [0.0, 0.0], "column means after scaling", atol=1e-9)
    assert_close(Z.std(axis=0), [1.0, 1.0], "column standard deviations after scaling")
    narrow = np.column_stack([X[:, 0], 0.01 * X[:, 1]])  # a column that varies by less than 1
    assert_close(
        kmeans.Scaler().fit(narrow).transform(narrow).std(axis=0), [1.0, 1.0],
        "column standard deviations after scaling a narrow column",
    )  # fmt: skip


@pytest.mark.edge
def test_scaler_keeps_a_constant_column_finite(kmeans):
    X = np.column_stack([np.arange(6.0), np.full(6, 4.0)])
    scaler = kmeans.Scaler().fit(X)
    Z = scaler.transform(X)
    assert_finite(Z, "a constant basket band after scaling")
    assert_close(Z[:, 1], np.zeros(6), "a constant column after scaling")


# -- k-means on ordinary data --------------------------------------------------------------------


def test_separates_three_well_separated_groups(kmeans, blobs):
    model = blob_fit(kmeans, 3, 0)
    truth = np.repeat(np.arange(3), 30)
    pairs = {(t, p) for t, p in zip(truth, model.labels_, strict=True)}
    assert len(pairs) == 3, f"true group -> segment pairs found: {sorted(pairs)}"
    assert_sound_fit(model, blobs, 3, "KMeans(3).fit(three groups)")


def test_every_centre_is_the_mean_of_its_customers(kmeans, blobs):
    for seed in range(3):
        model = blob_fit(kmeans, 4, seed)
        for j in range(4):
            members = blobs[model.labels_ == j]
            assert_close(model.cluster_centers_[j], members.mean(axis=0), f"centre {j}")
        nearest = np.argmin(((blobs[:, None] - model.cluster_centers_[None]) ** 2).sum(2), 1)
        assert np.array_equal(nearest, model.labels_), "a customer is not in its nearest segment"


def test_inertia_never_increases_on_ordinary_data(kmeans, blobs):
    for seed in range(4):
        model = blob_fit(kmeans, 4, seed)
        assert_sound_fit(model, blobs, 4, f"KMeans(4, seed={seed}).fit(three groups)")


def test_seed_chooses_the_start(kmeans):
    X = standardised(kmeans, week(kmeans, 3))
    assert_reproducible(
        lambda seed: kmeans.KMeans(n_clusters=3, max_iter=1, seed=seed).fit(X).cluster_centers_,
        "the centres after one step from a seeded random start",
    )


def test_random_start_is_k_rows_of_the_table(kmeans):
    X = standardised(kmeans, week(kmeans, 3))
    for seed in range(5):
        start = kmeans.initial_centres(X, 6, np.random.default_rng(seed))
        rows = [np.flatnonzero((c == X).all(axis=1)) for c in start]
        assert start.shape == (6, 2) and all(len(r) for r in rows), (
            f"initial_centres(X, 6, seed {seed}) returned centres that are not rows of X"
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
    quick = blob_fit(kmeans, 3, 0)
    assert quick.n_iter_ < 20, f"three well-separated groups took {quick.n_iter_} steps"
    again = kmeans.KMeans(n_clusters=3).fit(blobs, init=quick.cluster_centers_)
    assert again.n_iter_ == 1, f"a fit started from its own answer took {again.n_iter_} steps"


def test_a_start_given_in_whole_numbers_is_averaged_exactly(kmeans, blobs):
    whole = kmeans.KMeans(n_clusters=3).fit(blobs, init=np.array([[10, 10], [20, 10], [10, 20]]))
    for j in range(3):
        assert_close(
            whole.cluster_centers_[j], blobs[whole.labels_ == j].mean(axis=0),
            f"centre {j} fitted from a start given in whole numbers",
            "the centres are rounded to whole numbers on the way",
        )  # fmt: skip


@pytest.mark.edge
def test_one_segment_per_customer_gives_zero_inertia(kmeans):
    X = np.array([[1.0, 1.0], [4.0, 2.0], [2.0, 5.0], [6.0, 6.0], [0.0, 3.0]])
    for seed in range(8):
        model = kmeans.KMeans(n_clusters=5, seed=seed, max_iter=1).fit(X)
        assert_close(model.inertia_, 0.0, f"inertia_ of 5 customers in 5 segments (seed {seed})")


def test_update_leaves_its_inputs_untouched(kmeans, blobs):
    labels = np.repeat(np.arange(3), 30)
    centres = assert_inputs_untouched(
        kmeans.update_centres, blobs, labels, 3, what="update_centres(X, labels, 3)"
    )
    assert_close(centres, [blobs[labels == j].mean(axis=0) for j in range(3)], "the centres")


# -- the weekly job ------------------------------------------------------------------------------


def test_profiles_are_those_of_the_exported_segments(kmeans):
    df = with_shuffled_index(week(kmeans, 3))
    report = assert_inputs_untouched(kmeans.run_pipeline, df, 5, 0, what="run_pipeline(week 3)")
    segments = report["segments"]
    assert segments.index.equals(df.index), "segments is not indexed like the week's table"
    profiles = report["profiles"]
    assert list(profiles.columns) == ["customers", "share", *kmeans.FEATURES], (
        f"the profiles' columns are {list(profiles.columns)}"
    )
    assert profiles.index.name == "segment" and segments.name == "segment", (
        "the export does not name its segment column 'segment'"
    )
    X = df[kmeans.FEATURES].to_numpy(dtype=float)
    for segment, row in profiles.iterrows():
        members = (segments == segment).to_numpy()
        assert_figures(
            row.to_dict(),
            {
                "customers": members.sum(),
                "share": members.mean(),
                **dict(zip(kmeans.FEATURES, X[members].mean(axis=0), strict=True)),
            },
            f"the profile of segment {segment}",
            rtol=1e-9,
        )
    assert profiles["customers"].sum() == len(df), "the profiles do not cover every customer"
    assert profiles["customers"].is_monotonic_decreasing, "the profiles are not largest first"


def test_model_is_fitted_on_standardised_features(kmeans):
    df = with_shuffled_index(week(kmeans, 4))
    report = kmeans.run_pipeline(df, 5, 0)
    X = df[kmeans.FEATURES].to_numpy(dtype=float)
    assert_close(report["scaler"].mean_, X.mean(axis=0), "the scaler's column means")
    Z = standardised(kmeans, df)
    model = report["model"]
    assert_sound_fit(model, Z, 5, "run_pipeline(week 4)")
    assert np.array_equal(report["segments"].to_numpy(), model.labels_), (
        "the exported segments are not the model's labels"
    )
    unscaled = kmeans.KMeans(n_clusters=5, seed=0).fit(X)
    assert not np.allclose(unscaled.inertia_, model.inertia_), (
        "the job gives the same fit on the raw and on the standardised table"
    )


def test_the_export_does_not_depend_on_the_index_labels(kmeans):
    df = week(kmeans, 5)
    relabelled = df.copy()
    relabelled.index = with_shuffled_index(df).index
    plain, again = weekly_export(kmeans, 5), kmeans.run_pipeline(relabelled, 5, 0)
    assert_unchanged(
        plain["profiles"], again["profiles"], "the profiles",
        "the same rows in the same order gave another export under other index labels",
    )  # fmt: skip
    assert np.array_equal(plain["segments"].to_numpy(), again["segments"].to_numpy()), (
        "the same rows in the same order got other segments under other index labels"
    )


def test_weekly_job_over_twenty_weeks(kmeans):
    for number in WEEKS:
        profiles = weekly_export(kmeans, number)["profiles"]
        assert len(profiles) == 5 and (profiles["customers"] > 0).all(), (
            f"the export of week {number} (of weeks 1-20) lists fewer than the 5 segments asked "
            f"for: customers per segment {profiles['customers'].tolist()}"
            + (f"; weeks 1-{number - 1} list five" if number > 1 else "")
        )


def test_other_seeds_and_segment_counts(kmeans):
    for number, k, seed in OTHER_FITS:
        Z = standardised(kmeans, week(kmeans, number))
        sizes = sizes_of(kmeans.KMeans(n_clusters=k, seed=seed).fit(Z), k)
        assert np.count_nonzero(sizes) == k, (
            f"KMeans(n_clusters={k}, seed={seed}).fit(week {number}) ends with fewer segments "
            f"holding customers than asked for: customers per segment {sizes.tolist()}"
        )
    for number in (1, 2):
        Z = standardised(kmeans, week(kmeans, number))
        for k in (5, 12):
            model = kmeans.KMeans(n_clusters=k, seed=0).fit(Z)
            assert_sound_fit(model, Z, k, f"KMeans({k}, seed=0).fit(week {number})")


def test_starts_given_by_hand(kmeans, blobs):
    Z = standardised(kmeans, week(kmeans, 3))
    far = np.vstack([[1000.0, 1000.0], blobs[[0, 40]]])
    few = np.array(
        [[1.0, 1.0], [1.0, 1.0], [2.0, 1.0], [1.0, 2.0], [2.0, 2.0], [5.0, 5.0], [5.0, 6.0]]
    )
    lone = np.array([[0.0, 0.0]] * 3 + [[-5.0, -5.0]] + [[10.0, 10.0]] * 3)
    near = np.array([[0.0, 0.0]] * 3 + [[1.0, 0.0]] + [[10.0, 10.0]] * 3)
    cases = [  # (name, X, init, segments that can hold customers)
        ("A", blobs, far, 3),
        ("B", blobs, blobs[[0, 0, 40]], 3),
        ("C", few, few[:5], 5),
        ("D", few, few[[0] * 6], 6),
        ("E", lone, np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 10.0]]), 3),
        ("F", near, np.array([[0.0, 0.0], [10.0, 10.0], [100.0, 100.0]]), 3),
        ("G", few[:3], few[:3], 2),
        ("H", few[[0, 1, 5]], few[[0, 0, 0]], 2),
    ]
    cases += [
        (f"J{k}", Z, np.repeat(Z[start : start + 1], k, axis=0), k)
        for k in (2, 5, 11)
        for start in (0, 70)
    ]
    for name, X, init, used in cases:
        k = len(init)
        model = kmeans.KMeans(n_clusters=k).fit(X, init=init)
        assert_sound_fit(model, X, k, f"KMeans(n_clusters={k}).fit(X, init=start {name})", used)


def test_pipeline_defaults(kmeans):
    df = week(kmeans, 6)
    report = kmeans.run_pipeline(df)
    assert report["model"].n_clusters == 5 and len(report["profiles"]) == 5, (
        "the job's default is 5 segments"
    )
    assert_unchanged(
        report["profiles"], weekly_export(kmeans, 6)["profiles"], "run_pipeline(week 6)",
        "the job's defaults are not 5 segments and seed 0",
    )  # fmt: skip
    model = kmeans.KMeans()
    assert (model.n_clusters, model.max_iter, model.seed) == (5, 100, 0), (
        "KMeans() does not default to 5 segments, 100 steps and seed 0"
    )
    assert_reproducible(
        lambda seed: kmeans.run_pipeline(df, 3, seed)["model"].cluster_centers_,
        "the segment centres",
        seeds=(0, 2),
    )
    two = pd.DataFrame(
        {"customer_id": [1, 2, 3], kmeans.FEATURES[0]: [1.0, 1.0, 5.0], kmeans.FEATURES[1]: 2.0}
    )
    profiles = kmeans.run_pipeline(two, 3, 0)["profiles"]
    assert profiles["customers"].sum() == 3, f"profiles of 3 segments on 2 records: {profiles}"
