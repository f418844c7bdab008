"""ROC-AUC is the share of (defaulter, non-defaulter) pairs that the score orders correctly.

A tied pair counts one half. The bureau rounds its scores to 2 decimals, so ties are common, and
the row order of an export must never change the result.
"""

import numpy as np
import pytest
from katakit import assert_close, with_shuffled_index


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def rounded():
    """120 applicants, scores on a grid of 0.05: many ties between defaulters and others."""
    rng = np.random.default_rng(3)
    y = (rng.random(120) < 0.3).astype(int)
    scores = np.round((0.25 + 0.2 * y + rng.normal(0.0, 0.15, 120)) * 20) / 20
    return y, scores


def pair_count_auc(y, scores):
    """Brute force: over all (positive, negative) pairs, 1 if ordered right, 1/2 if tied."""
    pos, neg = scores[y == 1], scores[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_auc_counts_tied_pairs_as_half(pipeline, rounded):
    y, scores = rounded
    assert_close(
        pipeline.roc_auc(y, scores),
        pair_count_auc(y, scores),
        what="roc_auc on scores with ties",
        meaning="the AUC should be the share of (defaulter, non-defaulter) pairs ranked "
        "correctly, each tied pair counting 1/2",
    )


def test_auc_does_not_depend_on_row_order(pipeline, rounded):
    y, scores = rounded
    defaulters_first = np.lexsort((-y, scores))
    defaulters_last = np.lexsort((y, scores))
    first = pipeline.roc_auc(y[defaulters_first], scores[defaulters_first])
    last = pipeline.roc_auc(y[defaulters_last], scores[defaulters_last])
    assert_close(
        first,
        last,
        what="roc_auc of the same applicants listed with defaulters first within each score",
        meaning="listing them with defaulters last gives another AUC: the result depends on "
        "the order of the rows, not only on the scores",
    )


@pytest.mark.edge
def test_all_scores_tied_gives_one_half(pipeline):
    y = np.array([1, 1, 0, 0, 0])
    auc = pipeline.roc_auc(y, np.full(5, 0.2))
    assert_close(
        auc,
        0.5,
        what="roc_auc when every applicant has the score 0.2",
        meaning="a score that ranks no one above anyone carries no information: AUC 0.5",
    )


def test_roc_curve_has_one_point_per_distinct_score(pipeline, rounded):
    y, scores = rounded
    fpr, tpr, _ = pipeline.roc_curve(y, scores)
    cuts = np.unique(scores)[::-1]  # flag if score >= cut, strictest first
    expected_tpr = np.r_[0.0, [(scores[y == 1] >= c).mean() for c in cuts]]
    expected_fpr = np.r_[0.0, [(scores[y == 0] >= c).mean() for c in cuts]]
    assert len(fpr) == len(cuts) + 1, (
        f"roc_curve returned {len(fpr)} points for {len(cuts)} distinct scores; a threshold "
        "cannot separate applicants with the same score, so there are "
        f"{len(cuts) + 1} points (with the origin)"
    )
    assert_close(tpr, expected_tpr, what="roc_curve(...) true-positive rates")
    assert_close(fpr, expected_fpr, what="roc_curve(...) false-positive rates")


def test_report_does_not_depend_on_the_export_order(pipeline):
    df = pipeline.make_applications(n_rows=400, seed=0)
    by_outcome = df.sort_values(["risk_score", "defaulted"], ascending=[True, False])
    before = pipeline.run_pipeline(with_shuffled_index(df))
    after = pipeline.run_pipeline(by_outcome)
    assert_close(
        after["auc"],
        before["auc"],
        what="run_pipeline(...)['auc'] on the export sorted by score and outcome",
        meaning="the same applications in another row order got another AUC",
    )


def test_auc_without_ties_matches_pair_count(pipeline):
    rng = np.random.default_rng(5)
    y = (rng.random(80) < 0.4).astype(int)
    scores = rng.normal(0.0, 1.0, 80) + y
    assert_close(pipeline.roc_auc(y, scores), pair_count_auc(y, scores), what="roc_auc")


def test_reversing_the_score_gives_one_minus_auc(pipeline):
    rng = np.random.default_rng(6)
    y = (rng.random(80) < 0.4).astype(int)
    scores = rng.normal(0.0, 1.0, 80) + y
    assert_close(
        pipeline.roc_auc(y, -scores),
        1.0 - pipeline.roc_auc(y, scores),
        what="roc_auc(y, -scores)",
        meaning="flipping the score must flip every pair's ordering",
    )


def test_hand_worked_example(pipeline):
    # Pairs (pos, neg): (0.35, 0.1) right, (0.35, 0.4) wrong, (0.8, 0.1) right, (0.8, 0.4) right.
    auc = pipeline.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert_close(auc, 0.75, what="roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])")


def test_perfect_ranking_scores_one(pipeline):
    auc = pipeline.roc_auc([0, 0, 0, 1, 1], [0.01, 0.02, 0.03, 0.5, 0.9])
    assert_close(auc, 1.0, what="roc_auc when every defaulter outscores every non-defaulter")


def test_roc_curve_runs_from_origin_to_corner(pipeline):
    rng = np.random.default_rng(7)
    y = (rng.random(50) < 0.5).astype(int)
    fpr, tpr, _ = pipeline.roc_curve(y, rng.random(50))
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0), (
        f"the ROC curve runs from ({fpr[0]}, {tpr[0]}) to ({fpr[-1]}, {tpr[-1]}); "
        "expected (0, 0) to (1, 1)"
    )
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0), "the ROC curve goes back"
