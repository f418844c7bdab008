"""Leave-one-out evaluation of k-NN must predict every wine from the *other* wines only.

Leave-one-out accuracy is defined by refitting without the held-out row; the tests compare with
that definition, check the chance level on random labels, and pin the parts (distances, voting,
neighbours of new points) that the evaluation is built from. A duplicated wine is a different
sample, so it IS a legitimate neighbour of its twin.
"""

import numpy as np
import pytest
from katakit import accuracy, assert_close, assert_inputs_untouched, with_shuffled_index


@pytest.fixture(scope="module")
def knn(kata):
    return kata("knn")


@pytest.fixture(scope="module")
def wines(knn):
    df = with_shuffled_index(knn.make_wines(n_rows=150, seed=0))
    return df[knn.FEATURES].to_numpy(dtype=float), df[knn.TARGET].to_numpy(dtype=int)


def test_pairwise_distances_of_a_hand_worked_pair(knn):
    A = np.array([[0.0, 0.0], [3.0, 4.0]])
    B = np.array([[0.0, 0.0], [6.0, 8.0], [3.0, 0.0]])
    expected = [[0.0, 10.0, 3.0], [5.0, 5.0, 4.0]]
    assert_close(knn.pairwise_distances(A, B), expected, "pairwise_distances(A (2, 2), B (3, 2))")


@pytest.mark.edge
def test_pairwise_distances_are_per_row_when_n_equals_d(knn):
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    expected = [[np.linalg.norm(a - b) for b in B] for a in A]
    assert_close(
        knn.pairwise_distances(A, B), expected, "pairwise_distances of two (3, 3) arrays",
        "entry [i, j] must be the distance between row i of A and row j of B",
    )  # fmt: skip


def test_neighbours_of_new_wines(knn, wines):
    X, _ = wines
    query = X[:5] + 0.01
    neighbours = knn.kneighbors(X, query, 1)
    assert_close(neighbours[:, 0], np.arange(5), "the nearest training wine to X[:5] + 0.01")


def test_majority_vote_of_a_hand_worked_case(knn):
    y = np.array([0, 1, 1, 2, 2, 2])
    predictions = knn.vote(y, np.array([[0, 1, 2], [3, 4, 0], [0, 1, 3]]))
    assert_close(predictions, [1, 2, 0], "vote over neighbour labels [0 1 1], [2 2 0], [0 1 2]")


def test_a_wine_is_never_its_own_neighbour(knn, wines):
    X, _ = wines
    neighbours = knn.leave_one_out_neighbours(X, 5)  # (150, 5)
    own = np.flatnonzero((neighbours == np.arange(len(X))[:, None]).any(axis=1))
    assert own.size == 0, (
        f"{own.size} of {len(X)} wines appear in their own leave-one-out neighbour list (e.g. "
        f"wine {own[:1].tolist()})"
    )


def test_a_duplicated_wine_is_its_twins_neighbour(knn, wines):
    X, _ = wines
    X = X[:40].copy()
    X[25] = X[7]  # the same analysis submitted twice
    neighbours = knn.leave_one_out_neighbours(X, 1)[:, 0]
    assert (neighbours[7], neighbours[25]) == (25, 7), (
        f"wines 7 and 25 have identical analyses, yet their nearest other wines are "
        f"{neighbours[7]} and {neighbours[25]}; expected each other (distance 0): a twin is "
        "a separate sample and a legitimate neighbour, the held-out wine itself is not"
    )


def test_one_nn_on_random_labels_is_near_chance(knn, wines):
    X, _ = wines
    y_random = np.random.default_rng(1).integers(0, 3, size=len(X))
    accuracy = knn.leave_one_out_accuracy(X, y_random, 1)
    assert accuracy < 0.5, (
        f"leave-one-out accuracy of 1-NN on labels drawn at random is {accuracy:.3f}; with "
        "three random labels nothing can be predicted, so about 1/3 is all any method gets"
    )


@pytest.mark.parametrize("k", [1, 3])
def test_loo_accuracy_matches_refitting_without_each_wine(knn, wines, k):
    X, y = wines
    hits = []
    for i in range(len(X)):
        rest = np.arange(len(X)) != i
        hits.append(knn.predict(X[rest], y[rest], X[i : i + 1], k)[0] == y[i])
    assert_close(
        knn.leave_one_out_accuracy(X, y, k), np.mean(hits),
        f"leave_one_out_accuracy(wines, k={k})",
        "refitting k-NN without each wine in turn and predicting it gives this accuracy",
    )  # fmt: skip


def test_pipeline_picks_k_by_honest_scores(knn):
    df = with_shuffled_index(knn.make_wines(n_rows=150, seed=0))
    report = knn.run_pipeline(df, ks=(1, 3, 5))
    assert report["loo_accuracy"][1] < 1.0, (
        f"the reported leave-one-out accuracy of 1-NN is {report['loo_accuracy'][1]:.3f} on "
        "cultivars that overlap in every measurement"
    )
    best = max(report["loo_accuracy"], key=report["loo_accuracy"].get)
    assert report["best_k"] == best, (
        f"run_pipeline picked k={report['best_k']}; the best leave-one-out accuracy is k={best}'s"
    )


def test_reported_scores_are_leave_one_out_by_refitting(knn):
    df = with_shuffled_index(knn.make_wines(n_rows=60, seed=3))
    X = df[knn.FEATURES].to_numpy(dtype=float)
    y = df[knn.TARGET].to_numpy(dtype=int)
    report = assert_inputs_untouched(knn.run_pipeline, df, what="run_pipeline")
    assert sorted(report["loo_accuracy"]) == [1, 3, 5, 7, 9], (
        f"run_pipeline(df) scored k in {sorted(report['loo_accuracy'])}; its default ks are "
        "1, 3, 5, 7 and 9"
    )
    for k, got in report["loo_accuracy"].items():
        pred = []
        for i in range(len(X)):
            rest = np.arange(len(X)) != i
            dist = np.sqrt(((X[rest] - X[i]) ** 2).sum(axis=1))
            nearest = np.argsort(dist, kind="stable")[:k]
            pred.append(np.bincount(y[rest][nearest], minlength=3).argmax())
        assert_close(
            got,
            accuracy(y, pred),
            f"run_pipeline(df)['loo_accuracy'][{k}]",
            "predicting each wine from the 59 others gives this",
            rtol=1e-12,
        )


@pytest.mark.edge
def test_a_vote_among_one_cultivar_only(knn):
    predictions = knn.vote(np.zeros(4, dtype=int), np.array([[0, 1], [2, 3]]))
    assert [int(p) for p in predictions] == [0, 0], (
        f"vote with every training label 0 gave {[int(p) for p in predictions]}"
    )


def test_scores_ignore_a_common_offset_of_the_analyses(knn):
    df = knn.make_wines(n_rows=90, seed=5)
    shifted = df.copy()
    shifted[knn.FEATURES] = shifted[knn.FEATURES] + 1e8
    before = knn.run_pipeline(df, ks=(1, 3))["loo_accuracy"]
    after = knn.run_pipeline(shifted, ks=(1, 3))["loo_accuracy"]
    assert before == after, (
        f"adding 1e8 to every measurement changed the leave-one-out accuracies from {before} to "
        f"{after}, although no distance between two wines changed"
    )
