"""Same data, same seed, same zones: k-means must be reproducible from its ``seed`` alone.

The tests reseed NumPy's *global* generator between calls (as other code in a process may) to
show whether anything in the clustering draws from it; the global state is restored afterwards.
"""

import numpy as np
import pytest
from katakit import assert_decreasing, assert_unchanged

SEED = 0
K = 6


@pytest.fixture(scope="module")
def kmeans(kata):
    return kata("kmeans")


@pytest.fixture(autouse=True)
def restore_global_random_state():
    state = np.random.get_state()
    yield
    np.random.set_state(state)


@pytest.fixture(scope="module")
def dropoffs(kmeans):
    return kmeans.make_dropoffs(n_rows=300, seed=SEED)


def run_after_global_seed(kmeans, df, global_seed, **kwargs):
    np.random.seed(global_seed)  # what some other library in the same process might do
    return kmeans.run_pipeline(df, K, SEED, **kwargs)


def test_same_seed_gives_the_same_zones_whatever_the_global_random_state(kmeans, dropoffs):
    first = run_after_global_seed(kmeans, dropoffs, 1)
    second = run_after_global_seed(kmeans, dropoffs, 2)
    assert_unchanged(
        first,
        second,
        what=f"run_pipeline(dropoffs, k={K}, seed={SEED})",
        meaning="two runs with the same seed gave different delivery zones; the only "
        "difference between them was NumPy's global random state, which the clustering "
        "should not depend on",
    )


def test_kmeans_leaves_the_global_random_state_alone(kmeans, dropoffs):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    position = np.random.get_state()[2]
    kmeans.kmeans(dropoffs[kmeans.FEATURES].to_numpy(dtype=float), K, n_init=2, seed=SEED)
    after = np.random.get_state()
    untouched = bool(np.array_equal(after[1], before) and after[2] == position)
    assert untouched, (
        "kmeans(X, k, seed=0) changed NumPy's global random state: it draws from (or reseeds) "
        "the global generator, so its result depends on, and changes, what other code in the "
        "process does with np.random"
    )


def test_different_seeds_start_from_different_centres(kmeans, dropoffs):
    X = dropoffs[kmeans.FEATURES].to_numpy(dtype=float)
    starts = set()
    for seed in range(5):
        np.random.seed(0)
        centres = kmeans.kmeans_plus_plus(X, K, np.random.default_rng(seed))
        starts.add(tuple(np.round(centres.ravel(), 9)))
    assert len(starts) >= 4, (
        f"kmeans_plus_plus with five different seeds gave only {len(starts)} different sets "
        "of initial centres: the seed does not drive the initialisation"
    )


def test_initial_centres_are_distinct_data_points(kmeans, dropoffs):
    X = dropoffs[kmeans.FEATURES].to_numpy(dtype=float)
    centres = kmeans.kmeans_plus_plus(X, K, np.random.default_rng(3))
    assert centres.shape == (K, 2), f"kmeans_plus_plus returned shape {centres.shape}"
    rows = {tuple(c) for c in centres}
    assert len(rows) == K and rows <= {tuple(x) for x in X}, (
        "k-means++ must start from k distinct data points"
    )


def test_inertia_never_increases_during_lloyd_iterations(kmeans, dropoffs):
    X = dropoffs[kmeans.FEATURES].to_numpy(dtype=float)
    _, _, history = kmeans.lloyd(X, X[:K].copy())
    assert_decreasing(history, "the inertia of Lloyd's iterations", slack=1e-9)


def test_every_point_belongs_to_its_nearest_centre(kmeans, dropoffs):
    result = run_after_global_seed(kmeans, dropoffs, 0)
    X = dropoffs[kmeans.FEATURES].to_numpy(dtype=float)
    d2 = ((X[:, None, :] - result["centres"][None, :, :]) ** 2).sum(axis=2)
    assert np.array_equal(result["labels"], d2.argmin(axis=1)), (
        "some drop-offs are assigned to a zone whose centre is not the nearest"
    )
    assert result["inertia"] == pytest.approx(d2.min(axis=1).sum(), rel=1e-9)


def test_well_separated_districts_are_recovered(kmeans):
    rng = np.random.default_rng(4)
    corners = np.array([[0.0, 0.0], [0.0, 50.0], [50.0, 0.0]])
    X = np.repeat(corners, 20, axis=0) + rng.normal(0.0, 1.0, size=(60, 2))
    _, labels, _ = kmeans.kmeans(X, 3, n_init=2, seed=SEED)
    groups = {tuple(np.unique(labels[i : i + 20])) for i in (0, 20, 40)}
    assert len(groups) == 3 and all(len(g) == 1 for g in groups), (
        "k-means did not put each of three far-apart districts in a zone of its own"
    )
