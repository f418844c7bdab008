"""The pump classifier's log-loss must stay finite when neighbours vote unanimously.

k-NN probabilities are vote fractions, so exactly 0 and exactly 1 are ordinary. The edge tests
score such probabilities with numpy's floating-point warnings turned into errors; the rest pin
down the loss on ordinary probabilities and the parts of the pipeline that are already right.
"""

import math

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_finite,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
)

SEED = 0
TEST_SIZE = 0.25


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def pumps(pipeline):
    return pipeline.make_vibration(n_rows=300, seed=SEED)


def textbook_log_loss(y, probs):
    """-mean(log p[i, y_i]), one Python float at a time (probabilities strictly above 0)."""
    return -math.fsum(math.log(row[label]) for row, label in zip(probs, y, strict=True)) / len(y)


def test_log_loss_matches_its_definition_on_ordinary_probabilities(pipeline):
    rng = np.random.default_rng(3)
    probs = rng.dirichlet([2.0, 2.0, 2.0], size=40) * 0.97 + 0.01  # (40, 3), every entry >= 0.01
    y = rng.integers(0, 3, 40)
    expected = textbook_log_loss(y, probs)
    assert_close(
        pipeline.log_loss(y, probs), expected, "log_loss(y, 40 ordinary probability rows)",
        "the loss is the mean negative log of the probability given to the true class",
        rtol=1e-3,
    )  # fmt: skip


def test_log_loss_of_an_unlikely_but_possible_label(pipeline):
    probs = np.array([[1e-4, 0.9999 - 1e-8, 1e-8]])
    loss = pipeline.log_loss(np.array([0]), probs)
    assert_close(
        loss, -math.log(1e-4), "log_loss(y=[0], probs=[[1e-4, ~1, 1e-8]])",
        "a true class given probability 1e-4 costs -log(1e-4) = 9.21; a loss far below that "
        "forgives confident mistakes",
        rtol=1e-2,
    )  # fmt: skip


@pytest.mark.edge
def test_log_loss_is_zero_for_certain_right_predictions(pipeline):
    probs = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    what = "log_loss(y=[0, 1, 2], probs=identity)"
    loss = call_strict(pipeline.log_loss, np.array([0, 1, 2]), probs, what=what)
    assert np.isfinite(loss) and abs(loss) < 1e-4, (
        f"{what} returned {loss}: all five neighbours voted for the true class of every pump, "
        "so the loss should be about 0"
    )


@pytest.mark.edge
def test_log_loss_is_large_but_finite_for_a_certain_wrong_prediction(pipeline):
    what = "log_loss(y=[0], probs=[[0, 1, 0]])"
    loss = call_strict(pipeline.log_loss, np.array([0]), np.array([[0.0, 1.0, 0.0]]), what=what)
    assert_finite(loss, what, "one unanimous wrong vote must not make the whole report inf/nan")
    assert loss >= -math.log(1e-6), (
        f"{what} returned {loss:.4g}: the true class got no vote at all, which must cost at "
        f"least as much as a probability of 1e-6 (-log(1e-6) = {-math.log(1e-6):.2f})"
    )


@pytest.mark.edge
def test_log_loss_grows_as_a_wrong_prediction_grows_more_confident(pipeline):
    p_true = [0.5, 0.1, 1e-2, 1e-3, 1e-4, 0.0]
    losses = []
    for p in p_true:
        probs = np.array([[p, 1.0 - p, 0.0]])
        losses.append(call_strict(pipeline.log_loss, np.array([0]), probs,
                                  what=f"log_loss(y=[0], probs=[[{p}, {1 - p}, 0]])"))  # fmt: skip
    assert_finite(losses, "the losses as the true class's probability falls from 0.5 to 0")
    assert np.all(np.diff(losses[:5]) > 0) and losses[5] >= losses[4], (
        f"as the true class's probability falls through {p_true} the loss goes "
        f"{np.round(losses, 3)}: a more confident wrong prediction must never cost less"
    )


def test_knn_probabilities_are_vote_fractions(pipeline, pumps):
    X, y = pumps
    model = pipeline.KNNClassifier(k=5).fit(X[:200], y[:200], 3)
    probs = model.predict_proba(X[200:])
    assert probs.shape == (100, 3), f"predict_proba of 100 pumps returned shape {probs.shape}"
    assert_close(probs.sum(axis=1), np.ones(100), "row sums of predict_proba")
    assert_close(probs * 5, np.round(probs * 5), "predict_proba * k",
                 "with k = 5 every probability is a count of neighbours out of 5")  # fmt: skip


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(300, TEST_SIZE, seed), 300, 75)
    assert_seeded_split(lambda seed: pipeline.train_test_split(50, 0.4, seed), 50, 20)
    default = pipeline.train_test_split(300)
    explicit = pipeline.train_test_split(300, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(300) differs from train_test_split(300, 0.25, 0), its documented defaults"
    )


def vote_fractions(X_train, y_train, X, k, n_classes=3):
    """The k nearest training rows of each row of X, counted per class, one row at a time."""
    out = np.zeros((len(X), n_classes))
    for i, x in enumerate(X):
        nearest = np.argsort(((X_train - x) ** 2).sum(axis=1), kind="stable")[:k]
        out[i] = np.bincount(y_train[nearest], minlength=n_classes) / k
    return out


def test_squared_distances_between_two_sets_of_pumps(pipeline, pumps):
    X, _ = pumps
    A, B = X[:4], X[10:17]
    expected = [[float(np.dot(a - b, a - b)) for b in B] for a in A]
    assert_close(pipeline.squared_distances(A, B), expected, "squared_distances(4 pumps, 7 pumps)",
                 "entry (i, j) should be the squared Euclidean distance between A[i] and B[j]")  # fmt: skip


@pytest.mark.parametrize("k", [None, 1, 3])
def test_knn_votes_of_the_k_nearest_pumps(pipeline, pumps, k):
    X, y = pumps
    model = (pipeline.KNNClassifier() if k is None else pipeline.KNNClassifier(k=k)).fit(
        X[:200], y[:200], 3
    )
    label = "KNNClassifier()" if k is None else f"KNNClassifier(k={k})"
    k = k or 5  # the documented default
    assert_close(model.predict_proba(X[200:]), vote_fractions(X[:200], y[:200], X[200:], k),
                 f"{label}.predict_proba(100 pumps)",
                 f"each row should be the class shares among the {k} nearest training pumps")  # fmt: skip
    predicted = model.predict(X[200:])
    assert np.array_equal(predicted, model.predict_proba(X[200:]).argmax(axis=1)), (
        f"{label}.predict disagrees with the class of highest probability on "
        f"{int(np.sum(predicted != model.predict_proba(X[200:]).argmax(axis=1)))} of 100 pumps"
    )


def test_reported_figures_come_from_the_training_pumps_votes(pipeline, pumps):
    X, y = pumps
    with np.errstate(all="ignore"):  # judged by the figures
        result = pipeline.run_pipeline(X, y, 3, 0.3, 4)
    train_idx, test_idx = pipeline.train_test_split(len(y), 0.3, 4)
    probs = vote_fractions(X[train_idx], y[train_idx], X[test_idx], 3)
    assert_figures(
        result,
        {
            "test_probabilities": probs,
            "test_accuracy": accuracy(y[test_idx], probs.argmax(axis=1)),
        },
        "run_pipeline(pumps, k=3, test_size=0.3, seed=4)",
    )
    with np.errstate(all="ignore"):
        recomputed = pipeline.log_loss(y[test_idx], probs)
    assert_unchanged(recomputed, result["test_log_loss"],
                     "run_pipeline(pumps, k=3, test_size=0.3, seed=4)['test_log_loss']",
                     "it is not the log-loss of the held-out pumps' probabilities")  # fmt: skip


def test_defaults_seed_and_test_size_are_honoured(pipeline, pumps):
    X, y = pumps
    with np.errstate(all="ignore"):  # judged by the probabilities
        assert_unchanged(pipeline.run_pipeline(X, y)["test_probabilities"],
                         pipeline.run_pipeline(X, y, 5, 0.25, 0)["test_probabilities"],
                         "run_pipeline(X, y)", "the defaults are not k=5, test_size=0.25, seed=0")  # fmt: skip
        assert_reproducible(lambda seed: pipeline.run_pipeline(X, y, 5, 0.25, seed)["test_probabilities"],
                            "run_pipeline(pumps, seed=...)['test_probabilities']")  # fmt: skip
        n_scored = len(pipeline.run_pipeline(X, y, 5, 0.4, 0)["test_probabilities"])
    assert n_scored == 120, (
        f"run_pipeline(300 pumps, test_size=0.4) scored {n_scored} pumps; 40 % is 120"
    )


def test_a_held_out_pump_is_scored_from_the_training_pumps_alone(pipeline, pumps):
    X, y = pumps
    _, test_idx = pipeline.train_test_split(len(y), TEST_SIZE, SEED)
    X_moved, y_flipped = X.copy(), y.copy()
    X_moved[test_idx[1:]] = X_moved[test_idx[1:]] * 100.0 + 1000.0
    y_flipped[test_idx[1:]] = (y_flipped[test_idx[1:]] + 1) % 3
    with np.errstate(all="ignore"):  # judged by the probabilities
        before = pipeline.run_pipeline(X, y)["test_probabilities"][0]
        after = pipeline.run_pipeline(X_moved, y_flipped)["test_probabilities"][0]
    assert_unchanged(before, after, "the first held-out pump's probabilities",
                     "they moved when only the other held-out pumps changed")  # fmt: skip


def test_run_pipeline_leaves_the_callers_arrays_alone(pipeline, pumps):
    X, y = pumps
    with np.errstate(all="ignore"):  # judged by the arrays
        assert_inputs_untouched(pipeline.run_pipeline, X, y, what="run_pipeline(X, y)")


def test_held_out_accuracy(pipeline, pumps):
    X, y = pumps
    with np.errstate(all="ignore"):  # judged by the accuracy alone
        acc = pipeline.run_pipeline(X, y, 5, TEST_SIZE, SEED)["test_accuracy"]
    assert acc >= 0.85, f"held-out accuracy is {acc:.3f}; the pump conditions are well separated"


@pytest.mark.edge
def test_pipeline_reports_a_finite_held_out_log_loss(pipeline, pumps):
    X, y = pumps
    results = call_strict(pipeline.run_pipeline, X, y, 5, TEST_SIZE, SEED,
                          what="run_pipeline(300 pumps)")  # fmt: skip
    loss = results["test_log_loss"]
    assert_finite(loss, "run_pipeline(...)['test_log_loss']",
                  "one pump whose five neighbours all voted for another class spoils the report")  # fmt: skip
    _, test_idx = pipeline.train_test_split(len(y), TEST_SIZE, SEED)
    assert_close(loss, pipeline.log_loss(y[test_idx], results["test_probabilities"]),
                 "the reported held-out log-loss", "it should score the held-out probabilities")  # fmt: skip
