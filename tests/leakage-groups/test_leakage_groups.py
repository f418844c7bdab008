"""The gait-screening score must come from users the model has never met.

The sessions arrive in recording order (each user's rows spread through the table); the split
must keep every user on one side whatever the row order, and the held-out accuracy must equal
that of a model that never saw any session of a held-out user.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_partition, with_shuffled_index

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
    assert not shared, (
        f"run_pipeline on sessions in recording order put {len(shared)} user(s) in both the "
        f"training and the test rows, e.g. {sorted(shared)[:4]}: k-NN finds the same user's other "
        "sessions among the training rows, so the held-out score measures memory of known users"
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
    expected = pipeline.accuracy(
        y[test_idx], pipeline.knn_predict(X[unseen], y[unseen], X[test_idx])
    )
    assert_close(
        result["test_accuracy"],
        expected,
        what="the reported held-out accuracy",
        meaning="a k-NN trained only on users absent from the test rows scores differently on "
        "the same test rows: the reported score is not an estimate for new users",
        rtol=1e-12,
    )


def test_the_same_users_are_held_out_whatever_the_row_order(pipeline, sessions):
    by_user = sessions.sort_values([pipeline.GROUP, "week"])
    held_out = {}
    for name, df in [("recording order", sessions), ("sorted by user", by_user)]:
        _, test_idx = pipeline.group_train_test_split(
            df[pipeline.GROUP].to_numpy(), TEST_SIZE, SEED
        )
        held_out[name] = users_at(pipeline, df, test_idx)
    assert held_out["recording order"] == held_out["sorted by user"], (
        "group_train_test_split with the same seed held out users "
        f"{sorted(held_out['recording order'])} for rows in recording order but "
        f"{sorted(held_out['sorted by user'])} for the same rows sorted by user: which users are "
        "held out depends on how the export happened to order the rows"
    )


def test_split_is_a_partition_of_the_rows(pipeline, sessions):
    train_idx, test_idx = pipeline.group_train_test_split(
        sessions[pipeline.GROUP].to_numpy(), TEST_SIZE, SEED
    )
    assert_partition(train_idx, test_idx, len(sessions))


def test_split_holds_out_whole_users_when_rows_are_sorted_by_user(pipeline, sessions):
    df = sessions.sort_values([pipeline.GROUP, "week"])
    groups = df[pipeline.GROUP].to_numpy()
    train_idx, test_idx = pipeline.group_train_test_split(groups, TEST_SIZE, SEED)
    test_users = set(groups[test_idx])
    assert not test_users & set(groups[train_idx]), "a user is on both sides of the split"
    assert len(test_users) == round(N_USERS * TEST_SIZE), (
        f"the split held out {len(test_users)} of {N_USERS} users; expected "
        f"{round(N_USERS * TEST_SIZE)} (test_size={TEST_SIZE} of the users)"
    )
    assert len(test_idx) == 8 * len(test_users), "a held-out user lost some of their sessions"


def test_split_holds_out_every_session_of_a_held_out_user(pipeline):
    groups = np.array(["b", "a", "c", "a", "b", "d", "c", "d"])
    _, test_idx = pipeline.group_train_test_split(groups, 0.5, seed=2)
    test_idx = sorted(int(i) for i in test_idx)
    for user in sorted(set(groups[test_idx])):
        rows = np.flatnonzero(groups == user).tolist()
        assert set(rows) <= set(test_idx), (
            f"group_train_test_split({groups.tolist()}, 0.5, seed=2) gave test_idx={test_idx}: "
            f"user {str(user)!r} has rows {rows} but only some are held out, so the same user "
            "is on both sides of the split"
        )


def test_knn_votes_with_the_k_nearest_rows(pipeline):
    X_train = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    y_train = np.array([0, 0, 1, 1, 1])
    got = pipeline.knn_predict(X_train, y_train, np.array([[0.4], [10.6], [1.9]]), k=3)
    assert list(got) == [0, 1, 0], (
        f"knn_predict with k=3 gave {list(got)} for queries 0.4, 10.6, 1.9; the three nearest "
        "rows vote 0, 1 and 0"
    )


def test_reported_accuracy_agrees_with_reported_predictions(pipeline, sessions, result):
    y = sessions[pipeline.TARGET].to_numpy()[np.asarray(result["test_idx"], dtype=int)]
    recomputed = np.mean(np.asarray(result["test_predictions"]) == y)
    assert_close(result["test_accuracy"], recomputed, what="test_accuracy")


def test_held_out_users_are_recognised_better_than_chance(pipeline):
    accuracies = [
        pipeline.run_pipeline(pipeline.make_sessions(seed=s), TEST_SIZE, SEED)["test_accuracy"]
        for s in range(1, 4)
    ]
    assert np.mean(accuracies) > 0.6, (
        f"held-out accuracies {np.round(accuracies, 3)} are near chance: the gait features "
        "carry the impairment signal, a working pipeline scores well above 0.5 on new users"
    )
