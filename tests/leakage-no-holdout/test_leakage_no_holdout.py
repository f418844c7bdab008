"""The ticket-triage score must come from tickets the model was not fitted on.

A held-out prediction may depend on the training tickets only: relabelling or corrupting the
held-out tickets must not move it, and the reported accuracy must equal that of a model fitted
on the training rows alone.
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
    assert_unchanged,
    perturb_rows,
)

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
        "predictions for those same tickets: a held-out prediction follows the very label it "
        "is scored against"
    )


def test_fitted_model_ignores_held_out_tickets(pipeline, tickets, result):
    corrupted = perturb_rows(tickets, held_out_labels(pipeline, tickets), pipeline.FEATURES)
    after = pipeline.run_pipeline(corrupted, TEST_SIZE, SEED)
    assert_unchanged(
        result["model"],
        after["model"],
        what="the fitted model",
        meaning="only the 75 held-out tickets changed, yet what the fitted model stores moved",
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


def test_reported_figures_are_the_returned_models_on_the_held_out_tickets(
    pipeline, tickets, result
):
    train_idx, test_idx = pipeline.train_test_split(len(tickets), TEST_SIZE, SEED)
    for key, expected in (("train_idx", train_idx), ("test_idx", test_idx)):
        assert np.array_equal(np.asarray(result[key]), expected), (
            f"run_pipeline(...)[{key!r}] is not the split train_test_split(300, 0.25, 0) draws"
        )
    X = tickets[pipeline.FEATURES].to_numpy(dtype=float)
    y = tickets[pipeline.TARGET].to_numpy()
    pred = result["model"].predict(X[test_idx])
    assert np.array_equal(np.asarray(result["test_predictions"]), pred), (
        "test_predictions are not the returned model's predictions for the test_idx tickets"
    )
    assert_figures(result, {"test_accuracy": accuracy(y[test_idx], pred)}, "run_pipeline(...)")


def test_defaults_hold_out_a_quarter_with_seed_0(pipeline, tickets, result):
    default = pipeline.run_pipeline(tickets)
    assert np.array_equal(np.asarray(default["test_idx"]), np.asarray(result["test_idx"])), (
        f"run_pipeline(tickets) held out {len(default['test_idx'])} other tickets than "
        "run_pipeline(tickets, 0.25, 0): the defaults are test_size=0.25 and seed=0"
    )


def test_split_is_shuffled_seeded_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(300, 0.25, seed), 300, 75)
    assert_seeded_split(lambda seed: pipeline.train_test_split(10, 0.3, seed), 10, 3)


def test_run_depends_on_its_seed_and_only_on_it(pipeline, tickets):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(tickets, TEST_SIZE, seed)["test_idx"],
        what="run_pipeline(tickets, 0.25, seed)['test_idx']",
    )


def test_run_leaves_the_callers_table_untouched(pipeline, tickets):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED), tickets.copy(), what="run_pipeline"
    )


def test_nearest_neighbour_reproduces_its_own_training_labels(pipeline):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(30, 4)), rng.integers(0, 2, 30)
    got = pipeline.NearestNeighbour().fit(X, y).predict(X)
    assert np.array_equal(got, y), (
        f"a 1-NN asked about its own 30 training rows returned {int(np.sum(got != y))} labels "
        "other than theirs, although each row is at distance 0 from itself"
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


def test_nearest_neighbour_resolves_close_rows_on_a_large_offset(pipeline):
    # Coordinates around 1e8 (a timestamp, an account number): 0.9 and 1.1 apart still differ.
    X = np.array([[1e8, 0.0], [1e8 + 2.0, 0.0]])
    model = pipeline.NearestNeighbour().fit(X, np.array([0, 1]))
    got = model.predict(np.array([[1e8 + 0.9, 0.0], [1e8 + 1.1, 0.0]]))
    assert list(got) == [0, 1], (
        f"NearestNeighbour.predict gave {list(got)} for points 0.9 and 1.1 away from rows at "
        "1e8 and 1e8 + 2: distances lose their precision on a large offset"
    )


def test_predictions_ignore_a_common_shift_of_every_feature(pipeline, tickets, result):
    # Distances do not change when every feature moves by the same amount (an id-like offset).
    shifted = tickets.copy()
    shifted[pipeline.FEATURES] = shifted[pipeline.FEATURES] + 1e6
    after = pipeline.run_pipeline(shifted, TEST_SIZE, SEED)
    changed = int(np.sum(np.asarray(after["test_predictions"]) != result["test_predictions"]))
    assert changed == 0, (
        f"adding 1e6 to every feature changed {changed} of the 75 held-out predictions, "
        "although no distance between two tickets changed"
    )


def test_split_defaults_hold_out_a_quarter_with_seed_0(pipeline):
    assert_unchanged(
        pipeline.train_test_split(300), pipeline.train_test_split(300, 0.25, 0),
        "train_test_split(300)", "the documented defaults test_size=0.25, seed=0 split otherwise",
    )  # fmt: skip
