"""ROC-AUC is the share of (defaulter, non-defaulter) pairs that the score orders correctly.

They are counted as scikit-learn's roc_auc_score counts them; the reference below counts the pairs
one by one.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_inputs_untouched, roc_auc, with_shuffled_index


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def graded():
    """120 applicants graded by a coarse score (steps of 0.05)."""
    rng = np.random.default_rng(3)
    y = (rng.random(120) < 0.3).astype(int)
    scores = np.round((0.25 + 0.2 * y + rng.normal(0.0, 0.15, 120)) * 20) / 20
    return y, scores


def pair_count_auc(y, scores):
    """Brute force: over all (positive, negative) pairs, 1 if ordered right, 1/2 if tied."""
    pos, neg = scores[y == 1], scores[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return wins / (len(pos) * len(neg))


def test_auc_is_the_share_of_pairs_ranked_right_on_a_coarse_score(pipeline, graded):
    y, scores = graded
    assert_close(
        pipeline.roc_auc(y, scores),
        pair_count_auc(y, scores),
        what="roc_auc of 120 graded applicants",
        meaning="counting the (defaulter, non-defaulter) pairs one by one gives another value",
    )


def test_auc_does_not_depend_on_row_order(pipeline, graded):
    y, scores = graded
    defaulters_first = np.lexsort((-y, scores))
    defaulters_last = np.lexsort((y, scores))
    first = pipeline.roc_auc(y[defaulters_first], scores[defaulters_first])
    last = pipeline.roc_auc(y[defaulters_last], scores[defaulters_last])
    as_given = pipeline.roc_auc(y, scores)
    assert np.isclose(first, last, rtol=1e-12) and np.isclose(first, as_given, rtol=1e-12), (
        f"roc_auc of the same 120 applicants in three row orders is {as_given:.6f}, "
        f"{first:.6f} and {last:.6f}: the result depends on the order of the rows, not only "
        "on the scores"
    )


@pytest.mark.edge
@pytest.mark.parametrize("order", [[1, 1, 0, 0, 0], [0, 0, 0, 1, 1]])
def test_a_score_that_says_the_same_for_everyone_gives_one_half(pipeline, order):
    auc = pipeline.roc_auc(np.array(order), np.full(5, 0.2))
    assert_close(
        auc,
        0.5,
        what=f"roc_auc({order}, [0.2] * 5)",
        meaning="a score that ranks no one above anyone carries no information",
    )


def test_roc_curve_points_are_those_of_flag_if_score_at_least_t(pipeline, graded):
    y, scores = graded
    fpr, tpr, thresholds = pipeline.roc_curve(y, scores)
    cuts = np.unique(scores)[::-1]  # flag if score >= cut, strictest first
    expected_tpr = np.r_[0.0, [(scores[y == 1] >= c).mean() for c in cuts]]
    expected_fpr = np.r_[0.0, [(scores[y == 0] >= c).mean() for c in cuts]]
    assert len(fpr) == len(cuts) + 1, (
        f"roc_curve returned {len(fpr)} points for 120 applicants; the ROC curve of the rule "
        f"'flag if score >= t' on their scores has {len(cuts) + 1}"
    )
    assert_close(thresholds[1:], cuts, what="roc_curve(...) thresholds after the first")
    assert thresholds[0] > cuts[0], f"the first threshold {thresholds[0]} flags someone"
    assert_close(tpr, expected_tpr, what="roc_curve(...) true-positive rates")
    assert_close(fpr, expected_fpr, what="roc_curve(...) false-positive rates")


def test_report_does_not_depend_on_the_export_order(pipeline):
    df = pipeline.make_applications(n_rows=400, seed=0)
    by_outcome = df.sort_values(["risk_score", "defaulted"], ascending=[True, False])
    before = pipeline.run_pipeline(with_shuffled_index(df))
    after = pipeline.run_pipeline(by_outcome)
    assert np.isclose(after["auc"], before["auc"], rtol=1e-12), (
        f"run_pipeline(...)['auc'] is {before['auc']:.6f} on one copy of the export and "
        f"{after['auc']:.6f} on the same 400 applications in another row order"
    )


def test_report_matches_a_pair_count_overall_and_per_region(pipeline):
    df = with_shuffled_index(pipeline.make_applications(n_rows=400, seed=0), seed=4)
    report = assert_inputs_untouched(pipeline.run_pipeline, df, what="run_pipeline(applications)")
    assert_close(
        report["auc"], roc_auc(df["defaulted"], df["risk_score"]),
        "run_pipeline(...)['auc']", "counting the pairs one by one gives another value",
    )  # fmt: skip
    assert sorted(report["auc_by_region"]) == sorted(df["region"].unique()), (
        f"auc_by_region covers {sorted(report['auc_by_region'])}"
    )
    for region, group in df.groupby("region"):
        assert_close(
            report["auc_by_region"][region], roc_auc(group["defaulted"], group["risk_score"]),
            f"run_pipeline(...)['auc_by_region'][{region!r}]",
            "counting the region's pairs one by one gives another value",
        )  # fmt: skip


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
