"""The risk flag is raised at admission, so it may use only what is known at admission.

Known at admission: age, systolic_bp, creatinine, prior_admissions, emergency.
Known only at discharge, after the outcome: days_in_hospital, discharge_destination.
"""

import numpy as np
import pytest
from katakit import assert_finite, assert_partition, assert_unchanged, with_shuffled_index

SEED = 0
TEST_SIZE = 0.25
DISCHARGE = ["days_in_hospital", "discharge_destination"]


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def visits(pipeline):
    return with_shuffled_index(pipeline.make_visits(n_rows=400, seed=SEED))


def held_out_labels(pipeline, df):
    _, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    return df.index[test_idx]


def with_other_discharges(df, rows):
    """The same admissions, as if ``rows`` had been discharged home after a one-day stay."""
    out = df.copy()
    out.loc[rows, "days_in_hospital"] = 1.0
    out.loc[rows, "discharge_destination"] = "home"
    return out


def run(pipeline, df):
    return pipeline.run_pipeline(df, TEST_SIZE, SEED)


def test_held_out_scores_ignore_discharge_records(pipeline, visits):
    rows = held_out_labels(pipeline, visits)
    before = run(pipeline, visits)["test_scores"]
    after = run(pipeline, with_other_discharges(visits, rows))["test_scores"]
    assert_unchanged(
        before,
        after,
        what="run_pipeline(...)['test_scores'] (risk scores of the held-out admissions)",
        meaning="a risk score raised at admission changed when only how the patient was "
        "later discharged changed: the model uses information recorded after the outcome",
    )


def test_model_ignores_discharge_records(pipeline, visits):
    before = run(pipeline, visits)
    after = run(pipeline, with_other_discharges(visits, visits.index))
    assert_unchanged(
        {"weights": before["weights"], "bias": before["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        what="run_pipeline(...) fitted parameters",
        meaning="the model changed when only the discharge records changed: it learns from "
        "information recorded after the outcome",
    )


def test_uninformative_admissions_score_near_chance(pipeline):
    scores = []
    for seed in range(3):
        df = with_shuffled_index(pipeline.make_visits(n_rows=400, seed=seed, signal=0.0))
        scores.append(run(pipeline, df)["test_accuracy"])
    assert np.mean(scores) < 0.62, (
        f"on admissions whose admission data say nothing about the outcome (signal=0), the "
        f"held-out accuracy is {np.round(scores, 3)} (mean {np.mean(scores):.3f}); a model "
        "that only knows what is known at admission can do no better than about 0.5"
    )


def test_held_out_score_ignores_its_own_label(pipeline, visits):
    row = held_out_labels(pipeline, visits)[0]
    flipped = visits.copy()
    flipped.loc[row, pipeline.TARGET] = 1 - flipped.loc[row, pipeline.TARGET]
    assert_unchanged(
        run(pipeline, visits)["test_scores"][0],
        run(pipeline, flipped)["test_scores"][0],
        what=f"the risk score of held-out admission {row} after flipping only its outcome",
        meaning="the score of a patient depends on the outcome it is meant to predict",
    )


def test_admission_data_carry_signal(pipeline):
    df = with_shuffled_index(pipeline.make_visits(n_rows=400, seed=1, signal=1.0))
    result = run(pipeline, df)
    assert result["test_accuracy"] > 0.65, (
        f"held-out accuracy is {result['test_accuracy']:.3f}; age, creatinine, prior "
        "admissions and emergency admission support well above 0.65"
    )


def test_scores_are_finite_and_one_per_held_out_admission(pipeline, visits):
    result = run(pipeline, visits)
    assert_finite(result["test_scores"], what="run_pipeline(...)['test_scores']")
    assert len(result["test_scores"]) == 100, (
        f"got {len(result['test_scores'])} scores for 100 held-out admissions"
    )


def test_split_partitions_rows(pipeline):
    train_idx, test_idx = pipeline.train_test_split(200, 0.25, seed=3)
    assert_partition(train_idx, test_idx, n_rows=200, n_test=50)


def test_ridge_classifier_separates_separable_data(pipeline):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(float)
    X[:, 0] += np.where(y == 1, 1.0, -1.0)  # a clear margin
    w, b = pipeline.fit_ridge_classifier(X, y, alpha=1e-6)
    predicted = (X @ w + b > 0).astype(float)
    assert np.array_equal(predicted, y), (
        f"fit_ridge_classifier misclassified {int(np.sum(predicted != y))} of 60 points of "
        "linearly separable data with a wide margin"
    )
