"""The scorecard validation job: points, ranking figures and the cut-off report, end to end.

The AUC is the probability that a random defaulter is ranked riskier than a random
non-defaulter, as scikit-learn's roc_auc_score counts it; the reference below counts the pairs
one by one. Every figure the job reports must be the same figure recomputed from the points it
returns, whatever the row order of the sample. The sample is the file handed out in data/.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_inputs_untouched,
    roc_auc,
    with_shuffled_index,
)

SAMPLE = Path(__file__).resolve().parent / "data" / "validation_sample.csv"
CHARACTERISTICS = ["age", "months_at_address", "utilisation_pct", "missed_payments_12m"]


@pytest.fixture(scope="module")
def scorecard(kata):
    return kata("scorecard")


@pytest.fixture(scope="module")
def evaluation(kata):
    return kata("evaluation")


@pytest.fixture
def sample(scorecard):
    """A fresh sample for each test: a job that writes into its input cannot reach the next."""
    return scorecard.read_sample(SAMPLE)


@pytest.fixture(scope="module")
def another_quarter():
    """Another quarter's 300 applications, scored by a points scorecard: risk is minus the points."""
    rng = np.random.default_rng(3)
    y = (rng.random(300) < 0.25).astype(int)
    points = 300 + 10 * rng.binomial(12, 0.55 - 0.2 * y)
    return y, -points.astype(float)


@pytest.fixture(scope="module")
def pilot():
    """80 applications of a pilot: the pilot score's risk of each."""
    rng = np.random.default_rng(5)
    y = (rng.random(80) < 0.4).astype(int)
    return y, rng.normal(0.0, 1.0, 80) + y


def largest_gap(y, risk):
    """KS: over every threshold t, share of defaulters minus share of others with risk >= t."""
    y, risk = np.asarray(y).astype(bool), np.asarray(risk, dtype=float)
    gaps = [(risk[y] >= t).mean() - (risk[~y] >= t).mean() for t in np.unique(risk)]
    return max(0.0, *gaps)


# -- ranking: the ROC curve, AUC and KS ----------------------------------------------------------


def test_auc_of_another_quarter_is_the_chance_a_defaulter_is_ranked_riskier(
    evaluation, another_quarter
):
    y, risk = another_quarter
    assert_close(
        evaluation.roc_auc(y, risk),
        roc_auc(y, risk),
        what="the AUC of another quarter's 300 scored applications",
        meaning="the probability that a random defaulter is ranked riskier than a random "
        "non-defaulter (as roc_auc_score counts it) is the expected value",
    )


def test_auc_does_not_depend_on_row_order(evaluation, another_quarter):
    y, risk = another_quarter
    as_given = evaluation.roc_auc(y, risk)
    others = []
    for seed in (0, 1, 2):
        order = np.random.default_rng(seed).permutation(len(y))
        others.append(evaluation.roc_auc(y[order], risk[order]))
    assert np.allclose(others, as_given, rtol=1e-12), (
        f"roc_auc of the same 300 applications is {as_given:.6f} as given and "
        f"{', '.join(f'{a:.6f}' for a in others)} in three other row orders: the figure depends "
        "on how the rows are listed, not only on the applications"
    )


def test_each_roc_point_is_what_its_threshold_declines(evaluation, another_quarter):
    y, risk = another_quarter
    fpr, tpr, thresholds = evaluation.roc_curve(y, risk)
    assert len(fpr) == len(tpr) == len(thresholds), "fpr, tpr and thresholds differ in length"
    bad, good = risk[y == 1], risk[y == 0]
    declined_bad = np.array([(bad >= cut).mean() for cut in thresholds[1:]])
    declined_good = np.array([(good >= cut).mean() for cut in thresholds[1:]])
    wrong = ~(np.isclose(tpr[1:], declined_bad) & np.isclose(fpr[1:], declined_good))
    assert not wrong.any(), (
        f"roc_curve(defaulted, risk) of 300 scored applications returns {len(fpr)} points; at "
        f"{int(wrong.sum())} of them (fpr, tpr) is not what declining every application whose "
        "risk is at least the point's threshold gives"
    )
    cuts = np.unique(risk)[::-1]
    assert np.array_equal(thresholds[1:], cuts) and thresholds[0] > cuts[0], (
        f"roc_curve(...) returns the thresholds {thresholds[:6]} ...; the rule 'decline if "
        f"risk >= t' can be drawn at the {len(cuts)} risks {cuts[:5]} ..., strictest first, "
        "after one that declines no one"
    )


def test_auc_matches_the_pair_count_of_a_pilot_score(evaluation, pilot):
    y, risk = pilot
    assert_close(evaluation.roc_auc(y, risk), roc_auc(y, risk), what="roc_auc(y, risk)")


def test_reversing_the_risk_gives_one_minus_auc(evaluation, pilot):
    y, risk = pilot
    assert_close(
        evaluation.roc_auc(y, -risk),
        1.0 - evaluation.roc_auc(y, risk),
        what="roc_auc(y, -risk)",
        meaning="reversing the score must reverse the ordering of every pair",
    )


def test_hand_worked_auc(evaluation):
    # Pairs (bad, good): (0.35, 0.1) right, (0.35, 0.4) wrong, (0.8, 0.1) right, (0.8, 0.4) right.
    auc = evaluation.roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert_close(auc, 0.75, what="roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])")
    perfect = evaluation.roc_auc([0, 0, 0, 1, 1], [0.01, 0.02, 0.03, 0.5, 0.9])
    assert_close(perfect, 1.0, what="roc_auc when every defaulter is riskier than every other")


def test_roc_curve_runs_from_origin_to_corner(evaluation, pilot):
    y, risk = pilot
    fpr, tpr, thresholds = evaluation.roc_curve(y, risk)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0), (
        f"the ROC curve runs from ({fpr[0]}, {tpr[0]}) to ({fpr[-1]}, {tpr[-1]}); "
        "expected (0, 0) to (1, 1)"
    )
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0), "the ROC curve goes back"
    assert thresholds[0] == np.inf and np.all(np.diff(thresholds) < 0), (
        f"the thresholds {thresholds[:5]} ... do not run from inf down, strictest first"
    )


def test_ks_is_the_largest_gap_between_the_declined_shares(evaluation, pilot):
    y, risk = pilot
    assert_close(
        evaluation.ks_statistic(y, risk),
        largest_gap(y, risk),
        what="ks_statistic(y, risk)",
        meaning="the largest gap, over thresholds, between the share of defaulters and the "
        "share of others declined is the expected value",
    )


@pytest.mark.edge
@pytest.mark.parametrize("labels", [[0, 0, 0, 0], [1, 1, 1, 1]])
def test_a_sample_with_one_class_is_refused(evaluation, labels):
    with pytest.raises(ValueError):
        evaluation.roc_auc(labels, [0.1, 0.2, 0.3, 0.4])


# -- the scorecard and the cut-off ---------------------------------------------------------------


def test_points_of_hand_worked_applications(scorecard):
    applications = pd.DataFrame(
        {
            "age": [40, 24, 70],
            "months_at_address": [11, 48, 12],
            "utilisation_pct": [80, 39, 40],
            "missed_payments_12m": [1, 0, 5],
        },
        index=[17, 3, 9],
    )
    points = scorecard.score_applications(applications)
    # 300 base points; a value on a bin edge scores the upper bin.
    expected = pd.Series([340, 390, 350], index=[17, 3, 9])
    assert list(points.index) == [17, 3, 9], f"the points carry the index {list(points.index)}"
    assert points.dtype.kind in "iu", f"score_applications returns points of dtype {points.dtype}"
    assert_close(points.to_numpy(dtype=float), expected.to_numpy(dtype=float), "score_applications")


def test_an_applications_points_do_not_depend_on_the_other_rows(scorecard, sample):
    shuffled = with_shuffled_index(sample.head(40), seed=2)
    together = scorecard.score_applications(shuffled)
    alone = [scorecard.score_applications(shuffled.iloc[[i]]).iloc[0] for i in range(40)]
    assert list(together.index) == list(shuffled.index), "the points lost the sample's index"
    assert_close(
        together.to_numpy(dtype=float),
        np.asarray(alone, dtype=float),
        what="score_applications of 40 applications together",
        meaning="each application scored on its own gets other points",
    )


def test_cutoff_report_by_hand(evaluation):
    y = np.array([1, 0, 0, 1, 0, 0, 0, 1])
    points = np.array([330, 380, 370, 370, 400, 350, 390, 360])
    report = evaluation.cutoff_report(y, points, 370)
    # Approved (>= 370): 380, 370, 370, 400, 390 -> 5 of 8, one defaulter; 2 of 3 declined.
    expected = {"approval_rate": 5 / 8, "bad_rate_approved": 1 / 5, "bads_declined": 2 / 3}
    for name, value in expected.items():
        assert_close(report[name], value, what=f"cutoff_report(...)[{name!r}] at 370 points")


@pytest.mark.edge
def test_a_cutoff_above_every_application_approves_no_one(evaluation):
    y = np.array([1, 0, 0, 1, 0])
    report = evaluation.cutoff_report(y, np.array([330, 380, 370, 370, 400]), 500)
    expected = {"approval_rate": 0.0, "bad_rate_approved": 0.0, "bads_declined": 1.0}
    for name, value in expected.items():
        assert_close(report[name], value, what=f"cutoff_report(...)[{name!r}] at 500 points")


def test_read_sample_gives_every_account_of_the_file(scorecard):
    raw = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    sample = scorecard.read_sample(SAMPLE)
    assert list(sample.columns) == list(raw.columns), (
        f"read_sample gives the columns {list(sample.columns)}; the file has {list(raw.columns)}"
    )
    assert len(sample) == len(raw), f"read_sample gives {len(sample)} rows; the file has {len(raw)}"
    for column in [*CHARACTERISTICS, "account_id", "bureau_pd", "defaulted"]:
        assert_close(
            sample[column].to_numpy(dtype=float),
            raw[column].astype(float).to_numpy(),
            what=f"read_sample(...)[{column!r}]",
            meaning="the values of the file, row by row",
        )
    assert sample["account_id"].is_unique, "an account appears twice in the sample"
    assert set(sample["defaulted"].unique()) == {0, 1}, (
        f"defaulted holds {sorted(sample['defaulted'].unique())}"
    )


# -- the job ---------------------------------------------------------------------------------


def test_reported_figures_are_those_of_the_returned_points(scorecard, evaluation, sample):
    shuffled = with_shuffled_index(sample, seed=4)
    report = assert_inputs_untouched(
        evaluation.run_validation, shuffled, what="run_validation(sample)"
    )
    scored = report["scored"]
    assert list(scored.index) == list(shuffled.index), "the scored sample lost the sample's rows"
    assert scored[shuffled.columns].equals(shuffled), (
        "run_validation(...)['scored'] without its points is not the sample"
    )
    assert_close(
        scored["points"].to_numpy(dtype=float),
        scorecard.score_applications(shuffled).to_numpy(dtype=float),
        what="run_validation(...)['scored']['points']",
    )
    y = shuffled["defaulted"].to_numpy()
    points = scored["points"].to_numpy(dtype=float)
    for model, risk in (("scorecard", -points), ("bureau", shuffled["bureau_pd"].to_numpy())):
        auc = roc_auc(y, risk)
        expected = {"auc": auc, "gini": 2 * auc - 1, "ks": largest_gap(y, risk)}
        for name, value in expected.items():
            assert_close(
                report[model][name],
                value,
                what=f"run_validation(sample)[{model!r}][{name!r}] on the {len(y)} accounts",
                meaning="recomputed from the same accounts and the points the job returns, the "
                "figure is different",
            )
    approved = points >= 370
    expected_cutoff = {
        "approval_rate": approved.mean(),
        "bad_rate_approved": y[approved].mean(),
        "bads_declined": y[~approved].sum() / y.sum(),
    }
    for name, value in expected_cutoff.items():
        assert_close(report["cutoff"][name], value, what=f"run_validation(...)['cutoff'][{name!r}]")


def test_report_does_not_depend_on_the_order_of_the_sample(evaluation, sample):
    as_drawn = evaluation.run_validation(sample)
    for seed in (1, 2):
        reordered = evaluation.run_validation(with_shuffled_index(sample, seed=seed))
        for model in ("scorecard", "bureau"):
            for name in ("auc", "ks"):
                before, after = as_drawn[model][name], reordered[model][name]
                assert np.isclose(before, after, rtol=1e-12), (
                    f"run_validation(...)[{model!r}][{name!r}] is {before:.6f} on the sample as "
                    f"delivered and {after:.6f} on the same {len(sample)} accounts listed in "
                    "another order"
                )
