"""The risk flag is raised at admission, so it may use only what is known at admission.

Known at admission: age, systolic_bp, creatinine, prior_admissions, emergency.
Known only at discharge, after the outcome: days_in_hospital, discharge_destination.
"""

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
    with_shuffled_index,
)

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
        "later discharged changed",
    )


def test_model_ignores_discharge_records(pipeline, visits):
    before = run(pipeline, visits)
    after = run(pipeline, with_other_discharges(visits, visits.index))
    assert_unchanged(
        {"weights": before["weights"], "bias": before["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        what="run_pipeline(...) fitted parameters",
        meaning="the model changed when only the discharge records changed, which are written "
        "after the outcome",
    )


def test_uninformative_admissions_score_near_chance(pipeline):
    scores = []
    for seed in range(3):
        df = with_shuffled_index(pipeline.make_visits(n_rows=400, seed=seed, signal=0.0))
        scores.append(run(pipeline, df)["test_accuracy"])
    mean = float(np.mean(scores))
    assert mean < 0.62, (
        f"on admissions whose admission data say nothing about the outcome (signal=0), the "
        f"held-out accuracy is {np.round(scores, 3).tolist()} (mean {mean:.3f}); a model "
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


def test_split_is_shuffled_seeded_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(400, 0.25, seed), 400, 100)
    assert_seeded_split(lambda seed: pipeline.train_test_split(10, 0.3, seed), 10, 3)
    assert_unchanged(
        pipeline.train_test_split(400), pipeline.train_test_split(400, 0.25, 0),
        "train_test_split(400)", "the documented defaults test_size=0.25, seed=0 split otherwise",
    )  # fmt: skip


def test_frail_flags_the_elderly_and_the_frequently_admitted(pipeline):
    # The ward's rule (see the brief): aged 80 or more, or 3 or more admissions in the past year.
    patients = pipeline.make_visits(n_rows=6, seed=4)
    patients["age"] = [79.9, 80.0, 45.0, 45.0, 85.0, 30.0]
    patients["prior_admissions"] = [0.0, 0.0, 2.0, 3.0, 5.0, 1.0]
    X = pipeline.build_features(patients)
    assert X.shape == (6, 6), f"build_features gave shape {X.shape} for 6 patients; expected (6, 6)"
    assert_close(
        X[:, :5], patients[pipeline.FEATURES[:5]].to_numpy(dtype=float),
        "the first five model inputs", "they are the five admission columns, unchanged",
        rtol=1e-12,
    )  # fmt: skip
    assert [float(v) for v in X[:, 5]] == [0.0, 1.0, 0.0, 1.0, 1.0, 0.0], (
        f"frail is {[float(v) for v in X[:, 5]]} for ages 79.9, 80, 45, 45, 85, 30 with 0, 0, "
        "2, 3, 5, 1 admissions in the past year; the ward's rule gives [0, 1, 0, 1, 1, 0]"
    )


def closed_form(X, y, alpha):
    t = 2.0 * y - 1.0
    Xc = X - X.mean(axis=0)
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ (t - t.mean()))
    return w, float(t.mean() - X.mean(axis=0) @ w)


@pytest.mark.parametrize("alpha", [None, 40.0])
def test_ridge_classifier_is_ridge_on_plus_minus_one_targets(pipeline, alpha):
    rng = np.random.default_rng(6)
    X = rng.normal([60.0, 130.0], [10.0, 15.0], size=(50, 2))  # off-centre, like the admissions
    y = (rng.random(50) < 0.8).astype(float)  # mostly positive: the intercept matters
    if alpha is None:
        w, b = pipeline.fit_ridge_classifier(X, y)
    else:
        w, b = pipeline.fit_ridge_classifier(X, y, alpha=alpha)
    expected_w, expected_b = closed_form(X, y, 1.0 if alpha is None else alpha)
    label = "fit_ridge_classifier(X, y" + ("" if alpha is None else f", alpha={alpha:g}") + ")"
    assert_close(
        w,
        expected_w,
        f"{label} weights",
        "ridge on targets -1/+1 with penalty alpha (default 1.0)",
        rtol=1e-8,
    )
    assert_close(b, expected_b, f"{label} intercept", "the intercept is not penalised", rtol=1e-8)


def test_reported_figures_are_the_returned_models_on_the_right_rows(pipeline, visits):
    result = run(pipeline, visits)
    train_idx, test_idx = pipeline.train_test_split(len(visits), TEST_SIZE, SEED)
    X = np.asarray(
        pipeline.build_features(visits), dtype=float
    )  # its own inputs, whatever they are
    y = visits[pipeline.TARGET].to_numpy()
    w, b = closed_form(X[train_idx], y[train_idx].astype(float), 1.0)
    assert_close(
        result["weights"],
        w,
        "run_pipeline(...)['weights']",
        "the ridge classifier of the 300 training admissions",
        rtol=1e-7,
    )
    assert_close(result["bias"], b, "run_pipeline(...)['bias']", rtol=1e-7)
    scores = X[test_idx] @ result["weights"] + result["bias"]
    assert_close(
        result["test_scores"],
        scores,
        "run_pipeline(...)['test_scores']",
        "they are not the returned model's scores of the held-out admissions",
        rtol=1e-9,
    )
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[train_idx], (X[train_idx] @ w + b > 0).astype(int)),
            "test_accuracy": accuracy(y[test_idx], (scores > 0).astype(int)),
        },
        what="run_pipeline(...)",
    )


def test_defaults_hold_out_a_quarter_with_seed_0(pipeline, visits):
    assert_unchanged(
        run(pipeline, visits), pipeline.run_pipeline(visits), what="run_pipeline(visits)",
        meaning="the defaults (test_size=0.25, seed=0) give a different run from passing them",
    )  # fmt: skip
    result = pipeline.run_pipeline(visits, 0.1, SEED)
    assert len(result["test_scores"]) == 40, (
        f"run_pipeline(visits, test_size=0.1) scored {len(result['test_scores'])} of 400 "
        "admissions; a tenth is 40"
    )


def test_run_depends_on_its_seed_and_only_on_it(pipeline, visits):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(visits, TEST_SIZE, seed)["weights"],
        what="run_pipeline(visits, 0.25, seed)['weights']",
    )


def test_run_leaves_the_callers_table_untouched(pipeline, visits):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED), visits.copy(), what="run_pipeline"
    )


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
