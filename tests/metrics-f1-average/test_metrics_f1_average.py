"""Macro and micro F1 of a 4-queue ticket router with imbalanced queues.

Macro F1 is the plain mean of the per-queue F1 scores, so a rare queue counts as much as a common
one; micro F1 pools every ticket's outcome, and for single-label routing equals accuracy. The
per-queue F1 reference below is written out in the test from its definition.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    call_strict,
    with_shuffled_index,
)

K = 4
# Eight tickets, hand-worked: billing 3/3 right; technical 1 of 2 (other went to billing);
# account 1 of 2 (other went to technical); legal never predicted (its one ticket went to account).
Y_TRUE = np.array([0, 0, 0, 1, 1, 2, 2, 3])
Y_PRED = np.array([0, 0, 0, 1, 0, 2, 1, 2])
# per-queue F1 = 2tp / (2tp + fp + fn): billing 6/7, technical 2/4, account 2/4, legal 0/1.
HAND_F1 = np.array([6 / 7, 0.5, 0.5, 0.0])


@pytest.fixture(scope="module")
def metrics(kata):
    return kata("metrics")


@pytest.fixture(scope="module")
def tickets(metrics):
    return with_shuffled_index(metrics.make_tickets(n_rows=400, seed=0))


def reference_per_class_f1(y_true, y_pred, k):
    """Per-queue F1 from its definition, one queue at a time (0.0 for a queue with no tickets)."""
    scores = []
    for c in range(k):
        tp = np.sum((y_true == c) & (y_pred == c))
        wrong = np.sum((y_true == c) != (y_pred == c))  # fp + fn
        scores.append(2 * tp / (2 * tp + wrong) if 2 * tp + wrong else 0.0)
    return np.array(scores)


def imbalanced_labels(seed, n=300):
    rng = np.random.default_rng(seed)
    y_true = rng.choice(K, size=n, p=[0.6, 0.25, 0.1, 0.05])
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.choice(K, size=n, p=[0.7, 0.2, 0.1, 0.0]))
    return y_true, y_pred


def test_macro_f1_of_a_hand_worked_router(metrics):
    macro = metrics.f1_score(Y_TRUE, Y_PRED, K, average="macro")
    assert_close(
        macro, HAND_F1.mean(), "f1_score(8 hand-worked tickets, average='macro')",
        f"the per-queue F1 scores are {np.round(HAND_F1, 4).tolist()}, worked by hand; the "
        "value returned is the F1 of all eight tickets pooled (micro F1)",
    )  # fmt: skip


def test_micro_f1_of_a_hand_worked_router(metrics):
    micro = metrics.f1_score(Y_TRUE, Y_PRED, K, average="micro")
    assert_close(micro, 5 / 8, "f1_score(8 hand-worked tickets, average='micro')")


@pytest.mark.parametrize("seed", [1, 2])
def test_macro_f1_is_the_mean_of_per_queue_f1(metrics, seed):
    y_true, y_pred = imbalanced_labels(seed)
    per_queue = reference_per_class_f1(y_true, y_pred, K)
    assert_close(
        metrics.f1_score(y_true, y_pred, K, average="macro"), per_queue.mean(),
        f"macro F1 of 300 imbalanced tickets (seed {seed})",
        f"the four queues' F1 scores are {np.round(per_queue, 4).tolist()}, but the macro F1 "
        "reported does not follow them",
    )  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2])
def test_micro_f1_equals_accuracy_for_single_label_routing(metrics, seed):
    y_true, y_pred = imbalanced_labels(seed)
    assert_close(
        metrics.f1_score(y_true, y_pred, K, average="micro"), np.mean(y_true == y_pred),
        f"micro F1 of 300 tickets (seed {seed})",
        "pooled over queues, every wrong ticket is one false positive and one false negative, "
        "so micro F1 is the share of tickets routed right",
    )  # fmt: skip


@pytest.mark.parametrize("average", ["macro", "micro"])
def test_a_perfect_router_scores_one(metrics, average):
    y_true, _ = imbalanced_labels(3)
    assert_close(metrics.f1_score(y_true, y_true, K, average=average), 1.0, f"{average} F1")


def test_macro_f1_does_not_depend_on_queue_numbering(metrics):
    y_true, y_pred = imbalanced_labels(4)
    relabel = np.array([2, 0, 3, 1])
    assert_close(
        metrics.f1_score(relabel[y_true], relabel[y_pred], K, average="macro"),
        metrics.f1_score(y_true, y_pred, K, average="macro"),
        "macro F1 after renumbering the queues", "a queue's number carries no meaning",
    )  # fmt: skip


@pytest.mark.edge
def test_a_queue_the_router_never_predicts_scores_zero(metrics):
    y_true, y_pred = imbalanced_labels(5)
    y_pred = np.where(y_pred == 3, 0, y_pred)  # the router never sends anything to "legal"
    per_queue = reference_per_class_f1(y_true, y_pred, K)
    macro = call_strict(
        metrics.f1_score, y_true, y_pred, K, average="macro",
        what="f1_score(..., average='macro') for a router that never predicts 'legal'",
    )  # fmt: skip
    assert_close(
        macro, per_queue.mean(), "macro F1 of a router that never predicts 'legal'",
        f"'legal' has {int(np.sum(y_true == 3))} tickets and none is caught, yet macro F1 does "
        "not drop",
    )  # fmt: skip


def test_router_sends_a_ticket_to_its_most_mentioned_queue(metrics):
    counts = np.array([[0, 3, 1, 0], [2, 2, 0, 1], [0, 0, 0, 4], [1, 0, 5, 5], [0, 0, 0, 0]])
    frame = with_shuffled_index(
        pd.DataFrame(counts.astype(float), columns=metrics.FEATURES), seed=2
    )
    by_hand = np.argmax(frame[metrics.FEATURES].to_numpy(), axis=1)  # ties: the first queue
    assert_close(
        metrics.route(frame), by_hand, "route of five hand-made tickets",
        "a ticket goes to the queue whose keywords it mentions most, ties to the earlier queue",
    )  # fmt: skip


def test_router_report_shows_the_rare_queues_lagging(metrics, tickets):
    report = assert_inputs_untouched(metrics.run_pipeline, tickets, what="run_pipeline(tickets)")
    y_true = tickets[metrics.TARGET].to_numpy(dtype=int)
    y_pred = np.argmax(tickets[metrics.FEATURES].to_numpy(dtype=float), axis=1)
    per_queue = reference_per_class_f1(y_true, y_pred, K)
    assert_figures(
        report,
        {"accuracy": accuracy(y_true, y_pred), "micro_f1": accuracy(y_true, y_pred)},
        "run_pipeline(tickets)",
        rtol=1e-12,
    )
    assert_close(
        report["macro_f1"], per_queue.mean(), "run_pipeline(...)['macro_f1'] on 400 tickets",
        f"the queues' F1 scores are {np.round(per_queue, 4).tolist()}: the rare 'account' and "
        "'legal' queues are routed worse than 'billing', which the report does not show",
    )  # fmt: skip


def test_unknown_average_is_refused(metrics):
    with pytest.raises(ValueError, match="weighted-ish"):
        metrics.f1_score(Y_TRUE, Y_PRED, K, average="weighted-ish")


@pytest.mark.edge
def test_queues_absent_from_labels_and_predictions_score_zero_without_dividing(metrics):
    y = np.array([0, 0, 1, 0])
    macro = call_strict(
        metrics.f1_score, y, y, K, average="macro",
        what="f1_score of 4 tickets in 2 of 4 queues, all right, average='macro'",
    )  # fmt: skip
    assert_close(
        macro, 0.5, "macro F1 of a perfect router on a batch holding 2 of the 4 queues",
        "two queues score 1 and the two queues with no tickets and no predictions score 0",
    )  # fmt: skip


def test_macro_is_the_default_average(metrics):
    y_true, y_pred = imbalanced_labels(6)
    assert_close(
        metrics.f1_score(y_true, y_pred, K), metrics.f1_score(y_true, y_pred, K, average="macro"),
        "f1_score(y_true, y_pred, 4) without an average", "the documented default is macro",
    )  # fmt: skip
