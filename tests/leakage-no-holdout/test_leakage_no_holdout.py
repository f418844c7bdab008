"""The ticket-triage score must come from tickets the model was not fitted on.

A held-out prediction may depend on the training tickets only: relabelling or corrupting the
held-out tickets must not move it, and the reported accuracy must equal that of a model fitted
on the training rows alone.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_partition, assert_unchanged, perturb_rows

SEED = 0
TEST_SIZE = 0.25


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def tickets(pipeline):
    return pipeline.make_tickets(n_rows=300, seed=SEED)


@pytest.fixture(scope="module")
def result(pipeline, tickets):
    return pipeline.run_pipeline(tickets, TEST_SIZE, SEED)


def held_out_labels(pipeline, df):
    _, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    return df.index[test_idx]


def test_held_out_predictions_ignore_held_out_labels(pipeline, tickets, result):
    relabelled = tickets.copy()
    rows = held_out_labels(pipeline, tickets)
    relabelled.loc[rows, pipeline.TARGET] = 1 - relabelled.loc[rows, pipeline.TARGET]
    after = pipeline.run_pipeline(relabelled, TEST_SIZE, SEED)
    changed = int(np.sum(np.asarray(after["test_predictions"]) != result["test_predictions"]))
    assert changed == 0, (
        f"flipping the labels of the {len(rows)} held-out tickets changed {changed} of the "
        "predictions for those same tickets: the model answers with labels it should never "
        "have seen, so the reported test accuracy is a training accuracy"
    )


def test_fitted_model_ignores_held_out_tickets(pipeline, tickets, result):
    corrupted = perturb_rows(tickets, held_out_labels(pipeline, tickets), pipeline.FEATURES)
    after = pipeline.run_pipeline(corrupted, TEST_SIZE, SEED)
    assert_unchanged(
        result["model"],
        after["model"],
        what="the fitted model",
        meaning="only the held-out tickets changed, yet what the model stores moved: it was "
        "fitted on the tickets it is scored on",
    )


def test_held_out_accuracy_matches_a_model_that_never_saw_them(pipeline, tickets, result):
    X = tickets[pipeline.FEATURES].to_numpy(dtype=float)
    y = tickets[pipeline.TARGET].to_numpy(dtype=int)
    train_idx, test_idx = pipeline.train_test_split(len(tickets), TEST_SIZE, SEED)
    model = pipeline.NearestNeighbour().fit(X[train_idx], y[train_idx])
    expected = pipeline.accuracy(y[test_idx], model.predict(X[test_idx]))
    assert_close(
        result["test_accuracy"],
        expected,
        what="run_pipeline's test_accuracy",
        meaning="a model fitted on the 225 training tickets alone scores this on the 75 "
        "held-out tickets; the reported number is not a held-out score",
        rtol=1e-12,
    )


def test_reported_accuracy_is_scored_on_the_held_out_tickets(pipeline, tickets, result):
    _, test_idx = pipeline.train_test_split(len(tickets), TEST_SIZE, SEED)
    y_test = tickets[pipeline.TARGET].to_numpy()[test_idx]
    pred = np.asarray(result["test_predictions"])
    assert pred.shape == y_test.shape, (
        f"test_predictions has shape {pred.shape}; the split holds out {len(y_test)} tickets"
    )
    assert_close(result["test_accuracy"], np.mean(pred == y_test), what="test_accuracy")


def test_split_partitions_the_tickets(pipeline):
    train_idx, test_idx = pipeline.train_test_split(300, 0.25, seed=4)
    assert_partition(train_idx, test_idx, 300, n_test=75)


def test_nearest_neighbour_reproduces_its_own_training_labels(pipeline):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 2, 30)
    got = pipeline.NearestNeighbour().fit(X, y).predict(X)
    assert np.array_equal(got, y), (
        "a 1-NN asked about its own training rows must return their labels (distance 0)"
    )


def test_nearest_neighbour_answers_with_the_closest_row(pipeline):
    X = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    model = pipeline.NearestNeighbour().fit(X, np.array([0, 1, 2]))
    got = model.predict(np.array([[4.0, 1.0], [1.0, 3.5], [0.5, 0.5]]))
    assert list(got) == [1, 2, 0], (
        f"NearestNeighbour.predict gave {list(got)} for points next to rows 1, 2 and 0"
    )


def test_held_out_accuracy_beats_the_majority_class(pipeline, tickets, result):
    _, test_idx = pipeline.train_test_split(len(tickets), TEST_SIZE, SEED)
    y_test = tickets[pipeline.TARGET].to_numpy()[test_idx]
    majority = max(y_test.mean(), 1 - y_test.mean())
    assert result["test_accuracy"] > majority + 0.05, (
        f"held-out accuracy {result['test_accuracy']:.3f} is no better than always answering "
        f"the majority class ({majority:.3f})"
    )
