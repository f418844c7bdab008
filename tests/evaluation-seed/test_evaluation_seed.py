"""The nightly delivery zones: same drop-offs and same seed, same zones.

The tests run the clustering the way the nightly job does, next to the rest of the job;
whatever a test changes is put back afterwards.
"""

import numpy as np
import pytest
from katakit import (
    assert_decreasing,
    assert_inputs_untouched,
    assert_reproducible,
    assert_unchanged,
)

SEED = 0
K = 6


@pytest.fixture(scope="module")
def kmeans(kata):
    return kata("kmeans")


@pytest.fixture(autouse=True)
def restore_global_random_state():
    state = np.random.get_state()
    np.random.seed(2024)  # every test starts from the same state, whatever ran before it
    yield
    np.random.set_state(state)


@pytest.fixture(scope="module")
def dropoffs(kmeans):
    return kmeans.make_dropoffs(n_rows=300, seed=SEED)


def run_after_global_seed(kmeans, df, global_seed, **kwargs):
    np.random.seed(global_seed)  # what some other library in the same process might do
    return kmeans.run_pipeline(df, K, SEED, **kwargs)


def test_same_seed_gives_the_same_zones_run_after_run(kmeans, dropoffs):
    first = run_after_global_seed(kmeans, dropoffs, 1)
    second = run_after_global_seed(kmeans, dropoffs, 2)
    assert_unchanged(
        first,
        second,
        what=f"run_pipeline(dropoffs, k={K}, seed={SEED})",
        meaning=f"two runs with the same data and seed={SEED} gave different delivery zones",
    )


def test_kmeans_leaves_other_code_s_random_numbers_alone(kmeans, dropoffs):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    position = np.random.get_state()[2]
    kmeans.kmeans(dropoffs[kmeans.FEATURES].to_numpy(dtype=float), K, n_init=2, seed=SEED)
    after = np.random.get_state()
    untouched = bool(np.array_equal(after[1], before) and after[2] == position)
    assert untouched, (
        "after kmeans(X, k, seed=0), the rest of the job draws other random numbers than "
        "it draws when the clustering is skipped"
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
        f"kmeans_plus_plus gave {len(rows)} distinct centres for k={K}, "
        f"{len(rows - {tuple(x) for x in X})} of them not a drop-off"
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
    assert result["inertia"] == pytest.approx(d2.min(axis=1).sum(), rel=1e-9), (
        f"the reported inertia {result['inertia']:.4f} is not the sum of squared distances to "
        f"the nearest centres ({float(d2.min(axis=1).sum()):.4f})"
    )
    sizes = np.bincount(result["labels"], minlength=K)
    assert np.array_equal(np.asarray(result["zone_sizes"]), sizes), (
        f"zone_sizes is {np.asarray(result['zone_sizes']).tolist()}; the labels give "
        f"{sizes.tolist()}"
    )
    for j in range(K):
        if sizes[j]:
            mean = X[result["labels"] == j].mean(axis=0)
            assert np.allclose(result["centres"][j], mean, rtol=1e-9), (
                f"the centre of zone {j} is {np.round(result['centres'][j], 4).tolist()}, not the "
                f"mean {np.round(mean, 4).tolist()} of its {int(sizes[j])} drop-offs"
            )


def test_well_separated_districts_are_recovered(kmeans):
    rng = np.random.default_rng(4)
    corners = np.array([[0.0, 0.0], [0.0, 50.0], [50.0, 0.0]])
    X = np.repeat(corners, 20, axis=0) + rng.normal(0.0, 1.0, size=(60, 2))
    _, labels, _ = kmeans.kmeans(X, 3, n_init=2, seed=SEED)
    groups = {tuple(np.unique(labels[i : i + 20])) for i in (0, 20, 40)}
    assert len(groups) == 3 and all(len(g) == 1 for g in groups), (
        "k-means did not put each of three far-apart districts in a zone of its own"
    )


@pytest.mark.parametrize("seed", range(12))
def test_k_means_plus_plus_never_picks_a_chosen_point_twice(kmeans, seed):
    # Three points, three centres: once a point is chosen its squared distance is 0, so the
    # next draw can only land on a point not chosen yet.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [10.0, 0.0]])
    centres = kmeans.kmeans_plus_plus(X, 3, np.random.default_rng(seed))
    chosen = sorted(tuple(float(v) for v in c) for c in centres)
    assert chosen == [(0.0, 0.0), (1.0, 0.0), (10.0, 0.0)], (
        f"kmeans_plus_plus on three points with k=3 (seed {seed}) chose {chosen}"
    )


def test_k_means_plus_plus_favours_far_points(kmeans):
    # From a first centre at 0 or 1, the point at 100 is ~10,000 times likelier than the other.
    X = np.array([[0.0], [1.0], [100.0]])
    far = 0
    for seed in range(40):
        centres = kmeans.kmeans_plus_plus(X, 2, np.random.default_rng(seed))
        far += int(100.0 in centres[:, 0])
    assert far >= 38, (
        f"the point at 100 was among the two initial centres in {far} of 40 seeds; drawn with "
        "probability proportional to squared distance it nearly always is"
    )


def test_weighted_pick_draws_in_proportion_to_the_weights(kmeans):
    rng = np.random.default_rng(5)
    picks = [kmeans.weighted_pick(np.array([1.0, 0.0, 3.0]), rng) for _ in range(4000)]
    counts = np.bincount(picks, minlength=3)
    assert counts[1] == 0 and abs(counts[2] / 4000 - 0.75) < 0.03, (
        f"weighted_pick([1, 0, 3]) drew the three indices {counts.tolist()} times in 4000 "
        "draws; in proportion to the weights that is about 1000, 0 and 3000"
    )


def test_lloyd_stops_when_the_labels_stop_changing(kmeans):
    rng = np.random.default_rng(4)
    corners = np.array([[0.0, 0.0], [0.0, 50.0], [50.0, 0.0]])
    X = np.repeat(corners, 20, axis=0) + rng.normal(0.0, 1.0, size=(60, 2))
    _, _, history = kmeans.lloyd(X, X[[0, 20, 40]].copy())
    assert len(history) <= 5, (
        f"Lloyd's iterations ran {len(history) - 1} updates on three far-apart districts whose "
        "labels are right from the start; they stop once the labels stop changing"
    )
    _, _, history = kmeans.lloyd(X, X[[0, 1, 2]].copy(), max_iter=1)
    assert len(history) <= 2, (
        f"lloyd(..., max_iter=1) recorded {len(history)} inertias: more than one update"
    )


@pytest.mark.edge
def test_a_zone_that_attracts_no_drop_off_keeps_its_centre(kmeans):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    start = np.array([[0.5, 0.5], [100.0, 100.0]])
    with np.errstate(all="raise"):
        centres, labels, _ = kmeans.lloyd(X, start.copy())
    assert np.allclose(centres, start) and not np.any(labels == 1), (
        f"a centre at (100, 100) that no drop-off is near moved to {centres[1].tolist()}"
    )


def test_max_iter_reaches_the_restarts(kmeans, dropoffs):
    X = dropoffs[kmeans.FEATURES].to_numpy(dtype=float)
    centres, _, _ = kmeans.kmeans(X, K, n_init=1, seed=SEED, max_iter=0)
    rows = {tuple(x) for x in X}
    moved = sum(tuple(c) not in rows for c in centres)
    assert moved == 0, (
        f"kmeans(..., max_iter=0) returned {moved} centres that are not drop-offs: with no "
        "update allowed the k-means++ starting points are returned"
    )


@pytest.mark.parametrize("seed", range(2))
def test_kmeans_keeps_the_best_of_its_restarts(kmeans, dropoffs, seed):
    # The restarts draw their starting centres one after the other from default_rng(seed).
    X = dropoffs[kmeans.FEATURES].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    finals = [kmeans.lloyd(X, kmeans.kmeans_plus_plus(X, K, rng))[2][-1] for _ in range(6)]
    _, _, inertia = kmeans.kmeans(X, K, n_init=6, seed=seed)
    assert inertia == pytest.approx(min(finals), rel=1e-12), (
        f"kmeans(X, {K}, n_init=6, seed={seed}) kept a clustering with inertia {inertia:.4f}; "
        f"its six restarts end at {np.round(finals, 4).tolist()}"
    )


def test_zone_sizes_count_every_zone_even_an_empty_one(kmeans, monkeypatch):
    # Starting centres where the last zone ends up with no drop-off at all.
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    starts = np.array([[0.5, 0.5], [0.6, 0.6], [100.0, 100.0]])
    monkeypatch.setattr(kmeans, "kmeans_plus_plus", lambda X, k, rng: starts.copy())
    df = kmeans.make_dropoffs(n_rows=4, seed=0)
    df[kmeans.FEATURES] = X
    result = kmeans.run_pipeline(df, k=3, seed=0, n_init=1)
    sizes = np.asarray(result["zone_sizes"])
    assert sizes.shape == (3,) and sizes[2] == 0 and sizes.sum() == 4, (
        f"zone_sizes is {sizes.tolist()} for 3 zones, the last of which has no drop-off"
    )


def test_defaults_are_6_zones_seed_0_and_4_restarts(kmeans, dropoffs, monkeypatch):
    calls = []
    lloyd = kmeans.lloyd

    def counting(X, centres, max_iter=None, *args):
        calls.append(max_iter)
        return lloyd(X, centres) if max_iter is None else lloyd(X, centres, max_iter, *args)

    monkeypatch.setattr(kmeans, "lloyd", counting)
    kmeans.run_pipeline(dropoffs)
    assert len(calls) == 4, f"run_pipeline(dropoffs) ran {len(calls)} restarts; the default is 4"
    calls.clear()
    kmeans.kmeans(dropoffs[kmeans.FEATURES].to_numpy(dtype=float), 6)
    assert len(calls) == 4 and all(m in (None, 100) for m in calls), (
        f"kmeans(X, 6) ran {len(calls)} restarts with max_iter {calls}; the defaults are 4 and 100"
    )
    monkeypatch.undo()
    default = kmeans.run_pipeline(dropoffs)
    assert len(default["centres"]) == 6, (
        f"run_pipeline(dropoffs) made {len(default['centres'])} zones"
    )
    assert_unchanged(
        kmeans.run_pipeline(dropoffs, 6, 0, 4), default, "run_pipeline(dropoffs)",
        "the defaults k=6, seed=0, n_init=4 give other zones",
    )  # fmt: skip
    X = dropoffs[kmeans.FEATURES].to_numpy(dtype=float)
    assert_unchanged(
        kmeans.kmeans(X, 6, 4, 0, 100), kmeans.kmeans(X, 6), "kmeans(X, 6)",
        "the defaults n_init=4, seed=0, max_iter=100 give other zones",
    )  # fmt: skip


def test_run_depends_on_its_seed(kmeans, dropoffs):
    assert_reproducible(
        lambda seed: kmeans.run_pipeline(dropoffs, K, seed)["centres"],
        what=f"run_pipeline(dropoffs, k={K}, seed)['centres']",
    )


def test_run_leaves_the_callers_table_untouched(kmeans, dropoffs):
    assert_inputs_untouched(
        lambda df: kmeans.run_pipeline(df, K, SEED), dropoffs.copy(), what="run_pipeline"
    )


def test_kmeans_compares_restarts_by_their_final_inertia(kmeans, dropoffs, monkeypatch):
    # Three restarts whose inertias fall at different speeds: the second ends lowest.
    histories = iter([[2.0, 1.9], [9.0, 3.0, 1.0], [1.5, 1.4, 1.2]])

    def fake_lloyd(X, centres, max_iter=100):
        history = next(histories)
        return np.full((K, 2), history[-1]), np.zeros(len(X), dtype=int), history

    monkeypatch.setattr(kmeans, "lloyd", fake_lloyd)
    X = dropoffs[kmeans.FEATURES].to_numpy(dtype=float)
    centres, _, inertia = kmeans.kmeans(X, K, n_init=3, seed=SEED)
    assert inertia == 1.0 and np.all(centres == 1.0), (
        f"three restarts ended at inertias 1.9, 1.0 and 1.2; kmeans kept the one ending at "
        f"{inertia:g}"
    )
