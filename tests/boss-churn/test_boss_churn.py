"""The gym churn pipeline, end to end: three independent problems, each with its own tests.

- held-out rows must not influence anything fitted (preprocessor, model, other rows' scores);
- the reported held-out metrics must be those of the held-out probabilities and labels;
- the probability and loss functions must stay finite for confident predictions.
The last group pins down the parts that already work.
"""

import numpy as np
import pytest
from katakit import (
    EXTREME_LOGITS,
    assert_close,
    assert_decreasing,
    assert_finite,
    assert_partition,
    assert_unchanged,
    call_strict,
    perturb_rows,
    with_shuffled_index,
)

SEED = 0
TEST_SIZE = 0.25


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def members(pipeline):
    return with_shuffled_index(pipeline.make_members(n_rows=400, seed=SEED), seed=11)


@pytest.fixture(scope="module")
def result(pipeline, members):
    return pipeline.run_pipeline(members, TEST_SIZE, SEED)


def held_out_labels(pipeline, members):
    _, test_idx = pipeline.train_test_split(len(members), TEST_SIZE, SEED)
    return members.index[test_idx], members[pipeline.TARGET].to_numpy(dtype=float)[test_idx]


def with_corrupted_test_rows(pipeline, members, rows):
    """Fees in cents, months in days, and every visit count missing, for ``rows`` only."""
    out = perturb_rows(members, rows, ["monthly_fee", "months_member"], factor=100.0, shift=0.0)
    out.loc[rows, "visits_per_month"] = np.nan
    return out


# -- problem 1: held-out rows reach what is fitted ------------------------------------------------


def test_preprocessor_ignores_test_rows(pipeline, members, result):
    rows, _ = held_out_labels(pipeline, members)
    after = pipeline.run_pipeline(
        with_corrupted_test_rows(pipeline, members, rows), TEST_SIZE, SEED
    )
    assert_unchanged(
        result["preprocessor"], after["preprocessor"], "the fitted preprocessor",
        "its imputation and scaling statistics moved when only held-out members changed",
    )  # fmt: skip


def test_model_ignores_test_rows(pipeline, members, result):
    rows, _ = held_out_labels(pipeline, members)
    after = pipeline.run_pipeline(
        with_corrupted_test_rows(pipeline, members, rows), TEST_SIZE, SEED
    )
    assert_unchanged(
        {"weights": result["weights"], "bias": result["bias"]},
        {"weights": after["weights"], "bias": after["bias"]}, "the fitted model",
        "a model trained on the training members changed when only held-out members changed",
    )  # fmt: skip


def test_a_members_score_ignores_the_other_test_members(pipeline, members, result):
    rows, _ = held_out_labels(pipeline, members)
    after = pipeline.run_pipeline(
        with_corrupted_test_rows(pipeline, members, rows[1:]), TEST_SIZE, SEED
    )
    assert_unchanged(
        result["test_probabilities"][0], after["test_probabilities"][0],
        "the first held-out member's churn probability",
        "it changed although only *other* held-out members changed",
    )  # fmt: skip


# -- problem 2: reported metrics disagree with the held-out predictions -------------------------


def test_reported_accuracy_matches_the_test_probabilities(pipeline, members, result):
    _, y_test = held_out_labels(pipeline, members)
    expected = np.mean((result["test_probabilities"] >= 0.5) == y_test)
    assert_close(
        result["test_accuracy"], expected, "reported test_accuracy",
        "thresholding the reported test probabilities at 0.5 and comparing them with the "
        "held-out labels gives another accuracy",
    )  # fmt: skip


def test_reported_recall_matches_the_test_probabilities(pipeline, members, result):
    _, y_test = held_out_labels(pipeline, members)
    churners = y_test == 1
    expected = np.mean(result["test_probabilities"][churners] >= 0.5)
    assert 0.0 <= result["test_recall"] <= 1.0 and np.isclose(result["test_recall"], expected), (
        f"reported test_recall is {result['test_recall']:.4g}; of the {int(churners.sum())} "
        f"held-out churners, {expected:.2%} have a probability of at least 0.5"
    )


def test_reported_log_loss_matches_the_test_probabilities(pipeline, members, result):
    _, y_test = held_out_labels(pipeline, members)
    p = result["test_probabilities"]
    expected = -np.mean(y_test * np.log(p) + (1 - y_test) * np.log(1 - p))
    assert_close(
        result["test_log_loss"], expected, "reported test_log_loss",
        "the cross-entropy of the reported test probabilities and held-out labels differs",
        rtol=1e-6,
    )  # fmt: skip


# -- problem 3: probabilities and losses blow up for confident predictions ------------------------


@pytest.mark.edge
def test_sigmoid_is_finite_for_logits_of_1000(pipeline):
    p = call_strict(pipeline.sigmoid, EXTREME_LOGITS, what="sigmoid(logits of -1000 ... 1000)")
    assert_close(p[[0, 4, 8]], [0.0, 0.5, 1.0], "sigmoid of -1000, 0 and 1000", atol=1e-12)
    assert np.all(np.diff(p) >= 0), f"sigmoid is not increasing over {EXTREME_LOGITS}: {p}"


@pytest.mark.edge
def test_log_loss_is_finite_for_probabilities_of_0_and_1(pipeline):
    y = np.array([1.0, 0.0, 1.0, 0.0])
    right = call_strict(
        pipeline.log_loss, y, np.array([1.0, 0.0, 1.0, 0.0]), what="log_loss(right)"
    )
    wrong = call_strict(
        pipeline.log_loss, y, np.array([0.0, 1.0, 1.0, 0.0]), what="log_loss(wrong)"
    )
    assert_finite([right, wrong], "log_loss of certain predictions")
    assert right < 1e-6, f"log_loss of certain, correct predictions is {right:.3g}; expected ~0"
    assert wrong > 8.0, (
        f"log_loss with two certain, wrong predictions out of four is {wrong:.3g}; it should be "
        "a large penalty, far above that of a coin flip (0.69)"
    )
    ordinary = pipeline.log_loss(np.array([1.0, 0.0]), np.array([0.9, 0.2]))
    assert_close(ordinary, -(np.log(0.9) + np.log(0.8)) / 2, "log_loss([1, 0], [0.9, 0.2])")


@pytest.mark.edge
def test_training_on_separable_members_keeps_a_finite_loss(pipeline):
    rng = np.random.default_rng(3)
    X = np.column_stack([np.r_[rng.uniform(20, 60, 30), rng.uniform(-60, -20, 30)], np.ones(60)])
    y = np.r_[np.ones(30), np.zeros(30)]
    _, _, history = call_strict(
        pipeline.fit_logistic_regression, X, y, lr=0.5, epochs=50,
        what="fit_logistic_regression on perfectly separable, unscaled members",
    )  # fmt: skip
    assert_decreasing(history, "the training loss", "training stops improving a perfect fit")
    assert history[-1] < 1e-3, f"the final training loss is {history[-1]:.3g}; expected ~0"


# -- the parts that work --------------------------------------------------------------------------


def test_split_partitions_the_members(pipeline):
    train_idx, test_idx = pipeline.train_test_split(400, TEST_SIZE, SEED)
    assert_partition(train_idx, test_idx, 400, n_test=100)


def test_cleaning_normalises_plans_and_drops_impossible_visits(pipeline, members):
    cleaned = pipeline.clean(members)
    assert set(cleaned["plan"]) == set(pipeline.PLANS), (
        f"plans after cleaning: {set(cleaned['plan'])}"
    )
    assert not (cleaned["visits_per_month"] < 0).any(), "negative visit counts survive cleaning"
    assert list(cleaned.index) == list(members.index), "cleaning changed the rows"


def test_preprocessor_output_is_complete(pipeline, members):
    cleaned = pipeline.clean(members)
    X = pipeline.Preprocessor().fit(cleaned).transform(cleaned)
    assert X.shape == (400, len(pipeline.NUMERIC) + len(pipeline.PLANS)), f"features: {X.shape}"
    assert_finite(X, "the preprocessed features", "missing visit counts were not filled in")
    assert_close(X[:, :3].mean(axis=0), np.zeros(3), "means of the scaled columns", atol=1e-9)


def test_training_loss_decreases_and_the_model_separates_churners(pipeline, members, result):
    assert_decreasing(result["loss_history"], "the training loss")
    _, y_test = held_out_labels(pipeline, members)
    share = np.mean((result["test_probabilities"] >= 0.5) == y_test)
    assert share > 0.75, f"only {share:.2f} of held-out members are classified right"
