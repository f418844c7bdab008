"""Precision and recall of a spam filter: hand-worked counts, identities, and the empty cases.

Precision is the share of flagged emails that really are spam; recall is the share of real spam
that got flagged. The brief's rule for a ratio with nothing to count (a filter that flags
nothing, an inbox without spam) is 0.0, returned without any division by zero.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    call_strict,
    precision_recall_f1,
    with_shuffled_index,
)

# Ten emails: 3 spam caught, 2 spam missed, 1 ham flagged, 4 ham passed.
Y_TRUE = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
Y_PRED = np.array([1, 1, 1, 0, 0, 1, 0, 0, 0, 0])


@pytest.fixture(scope="module")
def metrics(kata):
    return kata("metrics")


@pytest.fixture(scope="module")
def emails(metrics):
    return with_shuffled_index(metrics.make_emails(n_rows=300, seed=0))


def random_labels(seed, n=200):
    rng = np.random.default_rng(seed)
    return (rng.random(n) < 0.3).astype(int), (rng.random(n) < 0.4).astype(int)


def test_confusion_matrix_of_a_hand_worked_filter(metrics):
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    assert_close(cm, [[4, 1], [2, 3]], "confusion_matrix of 3 caught, 2 missed, 1 false alarm")


def test_precision_and_recall_of_a_hand_worked_filter(metrics):
    precision, recall = metrics.precision_recall(Y_TRUE, Y_PRED)
    assert_close(
        [precision, recall], [0.75, 0.6],
        "(precision, recall) for 3 spam caught, 2 spam missed and 1 ham flagged",
        "of the 4 flagged emails 3 are spam (precision 3/4), and of the 5 spam emails 3 were "
        "caught (recall 3/5)",
    )  # fmt: skip


def test_precision_is_the_share_of_flagged_emails_that_are_spam(metrics):
    seed = 1
    y_true, y_pred = random_labels(seed)
    precision, _ = metrics.precision_recall(y_true, y_pred)
    expected = y_true[y_pred == 1].mean()
    assert_close(
        precision, expected, f"precision on 200 random emails (seed {seed})",
        f"of the {int(y_pred.sum())} flagged emails {int(y_true[y_pred == 1].sum())} are spam",
    )  # fmt: skip


def test_recall_is_the_share_of_spam_that_was_flagged(metrics):
    seed = 2
    y_true, y_pred = random_labels(seed)
    _, recall = metrics.precision_recall(y_true, y_pred)
    expected = y_pred[y_true == 1].mean()
    assert_close(
        recall, expected, f"recall on 200 random emails (seed {seed})",
        f"of the {int(y_true.sum())} spam emails {int(y_pred[y_true == 1].sum())} were flagged",
    )  # fmt: skip


def test_swapping_truth_and_prediction_swaps_precision_and_recall(metrics):
    y_true, y_pred = random_labels(3)
    precision, recall = metrics.precision_recall(y_true, y_pred)
    swapped = metrics.precision_recall(y_pred, y_true)
    assert_close(swapped, (recall, precision), "precision_recall(y_pred, y_true)")


def test_flagging_every_email_has_recall_one(metrics):
    y_true, _ = random_labels(4)
    precision, recall = metrics.precision_recall(y_true, np.ones_like(y_true))
    assert_close(
        [precision, recall], [y_true.mean(), 1.0],
        "(precision, recall) of a filter that flags all 200 emails",
        "flagging everything catches every spam (recall 1) and is right only as often as spam "
        f"occurs ({y_true.mean():.3f})",
    )  # fmt: skip


def test_perfect_filter_scores_one_and_one(metrics):
    y_true, _ = random_labels(5)
    assert_close(metrics.precision_recall(y_true, y_true), (1.0, 1.0), "a perfect filter")


def test_recall_never_rises_as_the_threshold_rises(metrics, emails):
    thresholds = [0.0, 1.0, 2.0, 3.0, 4.0]
    recalls = [metrics.run_pipeline(emails, t)["recall"] for t in thresholds]
    flagged = [metrics.run_pipeline(emails, t)["n_flagged"] for t in thresholds]
    assert flagged == sorted(flagged, reverse=True), f"emails flagged per threshold: {flagged}"
    assert np.all(np.diff(recalls) <= 1e-12), (
        f"recall at thresholds {thresholds} is {np.round(recalls, 4).tolist()}: a stricter "
        "threshold flags fewer emails, so it can only catch fewer spam, yet recall went up"
    )


@pytest.mark.edge
def test_filter_that_flags_nothing_has_precision_and_recall_zero(metrics, emails):
    report = call_strict(
        metrics.run_pipeline, emails, 100.0, what="run_pipeline(emails, threshold=100)"
    )
    assert report["n_flagged"] == 0, "no email scores 100, so nothing should be flagged"
    assert_close(
        [report["precision"], report["recall"]], [0.0, 0.0],
        "(precision, recall) of a filter that flags no email",
        "the brief's rule for a ratio with nothing to count is 0.0; no spam was caught",
    )  # fmt: skip


@pytest.mark.edge
def test_inbox_without_spam_and_filter_without_flags(metrics):
    y = np.zeros(20, dtype=int)
    result = call_strict(metrics.precision_recall, y, y, what="precision_recall(20 ham, 0 flags)")
    assert_close(
        result, (0.0, 0.0), "(precision, recall) with no spam and no flags",
        "the brief's rule for a ratio with nothing to count is 0.0",
    )  # fmt: skip


def test_spam_score_is_the_hand_tuned_rule(metrics, emails):
    by_hand = emails[metrics.FEATURES].to_numpy(dtype=float) @ np.array([0.6, 0.8, 1.0, -2.0])
    assert_close(
        metrics.spam_score(emails), by_hand, "spam_score of the 300 emails",
        "0.6 per link, 0.8 per shouting word, 1.0 for an unsubscribe link, -2.0 for a known "
        "sender",
    )  # fmt: skip


@pytest.mark.parametrize("threshold", [0.5, 2.0, 3.4])
def test_report_matches_the_flags_it_describes(metrics, emails, threshold):
    report = assert_inputs_untouched(
        metrics.run_pipeline, emails, threshold, what=f"run_pipeline(emails, {threshold})"
    )
    y_true = emails[metrics.TARGET].to_numpy()
    flags = (metrics.spam_score(emails) >= threshold).astype(int)
    precision, recall, _ = precision_recall_f1(y_true, flags)
    tn, fp = int(np.sum((y_true == 0) & (flags == 0))), int(np.sum((y_true == 0) & (flags == 1)))
    fn, tp = int(np.sum((y_true == 1) & (flags == 0))), int(np.sum((y_true == 1) & (flags == 1)))
    assert_figures(
        report,
        {
            "confusion_matrix": [[tn, fp], [fn, tp]],
            "n_flagged": int(flags.sum()),
            "precision": precision,
            "recall": recall,
        },
        f"run_pipeline(emails, threshold={threshold})",
        rtol=1e-12,
    )


def test_an_email_scoring_exactly_the_threshold_is_flagged(metrics, emails):
    scores = metrics.spam_score(emails)
    threshold = float(np.sort(scores)[-40])
    report = metrics.run_pipeline(emails, threshold)
    at_least = int(np.sum(scores >= threshold))
    assert report["n_flagged"] == at_least, (
        f"with threshold {threshold:g}, {at_least} emails score at least the threshold but "
        f"{report['n_flagged']} were flagged"
    )


@pytest.mark.edge
def test_a_single_flag_and_a_single_spam_are_counted(metrics):
    y_true = np.array([1, 0, 0, 0, 0])
    assert_close(
        metrics.precision_recall(y_true, y_true), (1.0, 1.0),
        "(precision, recall) of 5 emails, 1 spam, flagged alone",
        "the one flagged email is the one spam",
    )  # fmt: skip


def test_default_threshold_is_two(metrics, emails):
    assert_close(
        metrics.run_pipeline(emails)["precision"], metrics.run_pipeline(emails, 2.0)["precision"],
        "run_pipeline(emails) without a threshold", "the documented default threshold is 2.0",
    )  # fmt: skip


def test_confusion_matrix_holds_whole_counts(metrics):
    cm = np.asarray(metrics.confusion_matrix(Y_TRUE, Y_PRED))
    assert cm.dtype.kind in "iu", f"confusion_matrix returned counts of dtype {cm.dtype}"
