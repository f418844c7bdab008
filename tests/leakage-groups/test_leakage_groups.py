"""The gait-screening score must estimate how the model does on users it has never met.

The tests compare the split and the held-out accuracy with what a model that never saw any
session of a held-out user gives, on several copies of the export.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    with_shuffled_index,
)

SEED = 0
TEST_SIZE = 0.25
N_USERS = 30


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def sessions(pipeline):
    return with_shuffled_index(pipeline.make_sessions(n_users=N_USERS, weeks=8, seed=SEED))


@pytest.fixture(scope="module")
def result(pipeline, sessions):
    return pipeline.run_pipeline(sessions, TEST_SIZE, SEED)


def users_at(pipeline, df, positions):
    return set(df[pipeline.GROUP].to_numpy()[np.asarray(positions, dtype=int)])


def test_no_user_is_in_both_train_and_test(pipeline, sessions, result):
    shared = users_at(pipeline, sessions, result["train_idx"]) & users_at(
        pipeline, sessions, result["test_idx"]
    )
    n_shared = len(shared)
    assert n_shared == 0, (
        f"run_pipeline put {n_shared} user(s) in both the training and the test rows, e.g. "
        f"{sorted(shared)[:4]}: the held-out score is not a score on users the model never met"
    )


def test_held_out_accuracy_matches_a_model_that_never_met_the_test_users(
    pipeline, sessions, result
):
    X = sessions[pipeline.FEATURES].to_numpy(dtype=float)
    y = sessions[pipeline.TARGET].to_numpy(dtype=int)
    groups = sessions[pipeline.GROUP].to_numpy()
    test_idx = np.asarray(result["test_idx"], dtype=int)
    # Train only on rows whose user never appears among the test rows.
    unseen = np.flatnonzero(~np.isin(groups, groups[test_idx]))
    expected = accuracy(y[test_idx], pipeline.knn_predict(X[unseen], y[unseen], X[test_idx]))
    assert_close(
        result["test_accuracy"],
        expected,
        what="the reported held-out accuracy",
        meaning="a k-NN trained only on users absent from the test rows scores this on the "
        "same test rows",
        rtol=1e-12,
    )


def test_the_same_users_are_held_out_for_every_copy_of_the_export(pipeline, sessions):
    copies = {
        "the tests' copy": sessions,
        "a second copy": sessions.sort_values([pipeline.GROUP, "week"]),
        "a third copy": sessions.sort_values(["week", pipeline.GROUP]),
    }
    held_out = {}
    for name, df in copies.items():
        _, test_idx = pipeline.group_train_test_split(
            df[pipeline.GROUP].to_numpy(), TEST_SIZE, SEED
        )
        held_out[name] = sorted(users_at(pipeline, df, test_idx))
    first = held_out["the tests' copy"]
    for name, users in held_out.items():
        assert users == first, (
            f"group_train_test_split with the same seed held out users {first} from one copy "
            f"of the 240 sessions and {users} from {name} of the same export"
        )


def test_split_holds_out_the_requested_share_of_users(pipeline, sessions):
    df = sessions.sort_values([pipeline.GROUP, "week"])
    groups = df[pipeline.GROUP].to_numpy()
    train_idx, test_idx = pipeline.group_train_test_split(groups, TEST_SIZE, SEED)
    test_users = set(groups[test_idx])
    assert not test_users & set(groups[train_idx]), "a user is on both sides of the split"
    assert len(test_users) == round(N_USERS * TEST_SIZE), (
        f"the split held out {len(test_users)} of {N_USERS} users; test_size={TEST_SIZE} of "
        f"the users is {round(N_USERS * TEST_SIZE)}"
    )
    assert len(test_idx) == 8 * len(test_users), (
        f"the split held out {len(test_idx)} sessions of {len(test_users)} users who walked "
        "8 times each"
    )


def test_split_holds_out_every_session_of_a_held_out_user(pipeline):
    groups = np.array(["b", "a", "c", "a", "b", "d", "c", "d"])
    _, test_idx = pipeline.group_train_test_split(groups, 0.5, seed=2)
    test_idx = sorted(int(i) for i in test_idx)
    for user in sorted(set(groups[test_idx])):
        rows = np.flatnonzero(groups == user).tolist()
        assert set(rows) <= set(test_idx), (
            f"group_train_test_split({groups.tolist()}, 0.5, seed=2) gave test_idx={test_idx}: "
            f"user {str(user)!r} has rows {rows} but only some of them are held out"
        )


def test_split_is_shuffled_seeded_and_reproducible(pipeline, sessions):
    groups = sessions.sort_values([pipeline.GROUP, "week"])[pipeline.GROUP].to_numpy()
    assert_seeded_split(
        lambda seed: pipeline.group_train_test_split(groups, TEST_SIZE, seed), 240, 64
    )
    default = pipeline.group_train_test_split(groups)
    explicit = pipeline.group_train_test_split(groups, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "group_train_test_split(groups) differs from group_train_test_split(groups, 0.25, 0): "
        "its documented defaults are test_size=0.25 and seed=0"
    )


def test_reported_figures_are_the_models_on_the_held_out_rows(pipeline, sessions, result):
    X = sessions[pipeline.FEATURES].to_numpy(dtype=float)
    y = sessions[pipeline.TARGET].to_numpy(dtype=int)
    train_idx, test_idx = (np.asarray(result[key], dtype=int) for key in ("train_idx", "test_idx"))
    expected_train, expected_test = pipeline.group_train_test_split(
        sessions[pipeline.GROUP].to_numpy(), TEST_SIZE, SEED
    )
    assert np.array_equal(np.sort(test_idx), np.sort(expected_test)) and np.array_equal(
        np.sort(train_idx), np.sort(expected_train)
    ), "run_pipeline's train_idx/test_idx are not the split group_train_test_split draws"
    pred = pipeline.knn_predict(X[train_idx], y[train_idx], X[test_idx], k=5)
    got = np.asarray(result["test_predictions"])
    assert np.array_equal(got, pred), (
        f"test_predictions disagree on {int(np.sum(got != pred))} of {len(pred)} held-out "
        "sessions with a 5-NN vote of the training rows"
    )
    assert_figures(result, {"test_accuracy": accuracy(y[test_idx], pred)}, "run_pipeline(...)")


def test_k_is_the_number_of_neighbours_that_vote(pipeline, sessions):
    result = pipeline.run_pipeline(sessions, TEST_SIZE, SEED, k=1)
    X = sessions[pipeline.FEATURES].to_numpy(dtype=float)
    y = sessions[pipeline.TARGET].to_numpy(dtype=int)
    train_idx, test_idx = (np.asarray(result[key], dtype=int) for key in ("train_idx", "test_idx"))
    nearest = np.argmin(
        ((X[test_idx][:, None, :] - X[train_idx][None, :, :]) ** 2).sum(axis=2), axis=1
    )
    got = np.asarray(result["test_predictions"])
    assert np.array_equal(got, y[train_idx][nearest]), (
        f"run_pipeline(..., k=1) disagrees with the label of the nearest training session on "
        f"{int(np.sum(got != y[train_idx][nearest]))} held-out sessions"
    )


def test_defaults_are_a_quarter_seed_0_and_5_neighbours(pipeline, sessions, result):
    default = pipeline.run_pipeline(sessions)
    for key in ("test_idx", "test_predictions"):
        assert np.array_equal(np.asarray(default[key]), np.asarray(result[key])), (
            f"run_pipeline(sessions)[{key!r}] differs from run_pipeline(sessions, 0.25, 0, k=5)"
        )


def test_run_depends_on_its_seed_and_only_on_it(pipeline, sessions):
    assert_reproducible(
        lambda seed: np.sort(pipeline.run_pipeline(sessions, TEST_SIZE, seed)["test_idx"]),
        what="run_pipeline(sessions, 0.25, seed)['test_idx']",
    )


def test_run_leaves_the_callers_table_untouched(pipeline, sessions):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED), sessions.copy(),
        what="run_pipeline",
    )  # fmt: skip


def test_knn_votes_with_the_k_nearest_rows(pipeline):
    X_train = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    y_train = np.array([0, 0, 1, 1, 1])
    got = pipeline.knn_predict(X_train, y_train, np.array([[0.4], [10.6], [1.9]]), k=3)
    assert [int(v) for v in got] == [0, 1, 0], (
        f"knn_predict with k=3 gave {[int(v) for v in got]} for queries 0.4, 10.6, 1.9; the "
        "three nearest rows vote 0, 1 and 0"
    )


def test_knn_measures_straight_line_distance(pipeline):
    # From the origin, (2, 2) is nearer than (3, 0) in a straight line (2.83 < 3), farther in
    # steps along the axes (4 > 3); (-2.7, 0) is nearer than both.
    X_train = np.array([[3.0, 0.0], [2.0, 2.0], [-2.7, 0.0]])
    got = pipeline.knn_predict(X_train, np.array([0, 1, 0]), np.zeros((1, 2)), k=1)
    assert int(got[0]) == 0, "the nearest of (3, 0), (2, 2), (-2.7, 0) to the origin is (-2.7, 0)"
    got = pipeline.knn_predict(X_train[:2], np.array([0, 1]), np.zeros((1, 2)), k=1)
    assert int(got[0]) == 1, (
        "knn_predict answered with the label of (3, 0) for a query at the origin, but (2, 2) "
        "is nearer in Euclidean distance (2.83 against 3)"
    )


def test_predictions_ignore_a_common_shift_of_the_features(pipeline, sessions, result):
    shifted = sessions.copy()
    shifted[pipeline.FEATURES] = shifted[pipeline.FEATURES] + 1e8
    after = pipeline.run_pipeline(shifted, TEST_SIZE, SEED)
    changed = int(np.sum(np.asarray(after["test_predictions"]) != result["test_predictions"]))
    assert changed == 0, (
        f"adding 1e8 to every gait feature changed {changed} held-out predictions, although "
        "no distance between two sessions changed"
    )


def test_held_out_users_are_recognised_better_than_chance(pipeline):
    accuracies = [
        pipeline.run_pipeline(pipeline.make_sessions(seed=s), TEST_SIZE, SEED)["test_accuracy"]
        for s in range(1, 4)
    ]
    mean = float(np.mean(accuracies))
    assert mean > 0.6, (
        f"held-out accuracies {np.round(accuracies, 3).tolist()} are near chance (mean "
        f"{mean:.3f}); the gait features carry the impairment signal"
    )
