"""The spam filter's labels must be the more probable class.

predict returns 0/1 labels of shape (n,) that agree with predict_proba at probability 0.5, also
for e-mails just either side of the boundary; the reported scores are those of those labels.
The rest pin down the parts the pipeline is built from.
"""

import numpy as np
import pytest
from katakit import (
    EXTREME_LOGITS,
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    perturb_rows,
)

SEED = 0


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def emails(pipeline):
    df = pipeline.make_emails(n_rows=400, seed=SEED)
    return df[pipeline.FEATURES].to_numpy(dtype=float), df[pipeline.TARGET].to_numpy(dtype=int)


@pytest.fixture(scope="module")
def model(pipeline, emails):
    return pipeline.LogisticRegression().fit(*emails)


def with_weights(pipeline, coef, intercept):
    """A model with hand-set parameters (as if fitted)."""
    model = pipeline.LogisticRegression()
    model.coef_, model.intercept_ = np.asarray(coef, dtype=float), float(intercept)
    return model


def test_predict_returns_one_label_per_row(model, emails):
    labels = np.asarray(model.predict(emails[0]))
    assert labels.shape == (len(emails[0]),), (
        f"predict on {len(emails[0])} e-mails returned shape {labels.shape}; expected one label each"
    )
    assert set(np.unique(labels)) <= {0, 1}, (
        f"predict returned values {np.unique(labels)[:6]}; labels are 0 (not spam) or 1 (spam)"
    )


def test_predict_proba_rows_are_probabilities(model, emails):
    probs = model.predict_proba(emails[0])
    assert probs.shape == (len(emails[0]), 2)
    assert np.all((probs >= 0) & (probs <= 1)) and np.allclose(probs.sum(axis=1), 1.0)


def test_predict_agrees_with_predict_proba(model, emails):
    labels = np.asarray(model.predict(emails[0]))
    p_spam = model.predict_proba(emails[0])[:, 1]
    disagree = np.flatnonzero(labels != (p_spam > 0.5))
    disagree = disagree[np.abs(p_spam[disagree] - 0.5) > 1e-12]  # an exact tie may go either way
    assert len(disagree) == 0, (
        f"predict disagrees with predict_proba on {len(disagree)} of {len(labels)} e-mails: e.g. "
        f"spam probability {p_spam[disagree[0]]:.3f} got label {labels[disagree[0]]}"
    )


@pytest.mark.parametrize("logit", [-2.0, -0.3, -0.01, 0.01, 0.3, 0.49, 2.0])
def test_hand_worked_labels_near_the_boundary(pipeline, logit):
    # One feature with weight 1 and no intercept: the logit is the feature itself.
    model = with_weights(pipeline, [1.0], 0.0)
    label = int(np.asarray(model.predict(np.array([[logit]])))[0])
    p_spam = 1.0 / (1.0 + np.exp(-logit))
    expected = int(p_spam > 0.5)
    assert label == expected, (
        f"an e-mail with logit {logit} (spam probability {p_spam:.3f}) got label {label}; "
        f"the more probable class is {expected}"
    )


def test_reported_scores_are_those_of_the_probabilities(pipeline):
    df = pipeline.make_emails(n_rows=400, seed=SEED)
    result = assert_inputs_untouched(pipeline.run_pipeline, df, what="run_pipeline(emails)")
    X = df[pipeline.FEATURES].to_numpy(dtype=float)
    y = df[pipeline.TARGET].to_numpy(dtype=int)
    train_idx, test_idx = pipeline.train_test_split(len(df), 0.25, SEED)
    more_probable = (result["model"].predict_proba(X)[:, 1] > 0.5).astype(int)
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[train_idx], more_probable[train_idx]),
            "test_accuracy": accuracy(y[test_idx], more_probable[test_idx]),
            "test_spam_rate": float(more_probable[test_idx].mean()),
        },
        "run_pipeline(emails)",
        rtol=1e-12,
    )


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(400, 0.25, seed), 400, 100)


def test_model_ignores_the_held_out_emails(pipeline):
    df = pipeline.make_emails(n_rows=400, seed=SEED)
    _, test_idx = pipeline.train_test_split(len(df), 0.25, SEED)
    changed = perturb_rows(df, df.index[test_idx], columns=pipeline.FEATURES)
    changed.loc[df.index[test_idx], pipeline.TARGET] = 1 - df[pipeline.TARGET].iloc[test_idx]
    before, after = pipeline.run_pipeline(df), pipeline.run_pipeline(changed)
    assert_unchanged(
        before["model"], after["model"], "run_pipeline(emails)['model']",
        "the fitted filter changed when only the held-out e-mails changed",
    )  # fmt: skip
    assert_close(after["train_accuracy"], before["train_accuracy"], "training accuracy")


def test_seed_chooses_the_held_out_emails(pipeline):
    df = pipeline.make_emails(n_rows=400, seed=SEED)
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(df, seed=seed)["model"].coef_, "the fitted weights"
    )


def test_first_step_of_gradient_descent_on_the_mean_log_loss(pipeline, emails):
    X, y = emails
    model = pipeline.LogisticRegression(lr=0.2, epochs=1).fit(X, y)
    # From zero weights every probability is 1/2: one step moves by -lr times the mean gradient.
    error = 0.5 - y
    assert_close(
        model.coef_, -0.2 * X.T @ error / len(y), "coef_ after one step from zero weights",
        "the first update does not go down the mean log-loss", rtol=1e-10,
    )  # fmt: skip
    assert_close(
        model.intercept_, -0.2 * error.mean(), "intercept_ after one step from zero weights",
        "the first update does not go down the mean log-loss", rtol=1e-10,
    )  # fmt: skip


def test_intercept_learns_the_spam_rate_of_uninformative_mail(pipeline):
    X = np.zeros((100, 2))
    y = (np.arange(100) < 80).astype(int)  # 80 % spam, no feature says anything
    model = pipeline.LogisticRegression().fit(X, y)
    assert_close(
        model.predict_proba(X)[:, 1], np.full(100, 0.8),
        "spam probability after fitting 80 spam and 20 ham e-mails with no informative feature",
        "the filter does not learn how common spam is", rtol=1e-4,
    )  # fmt: skip
    assert list(np.unique(model.predict(X))) == [1], "the more probable class here is spam"


def test_accuracy_of_hand_worked_labels(pipeline):
    got = pipeline.accuracy(np.array([1, 0, 1, 1]), np.array([1, 1, 1, 0]))
    assert_close(got, 0.5, "accuracy([1, 0, 1, 1], [1, 1, 1, 0])")


@pytest.mark.edge
def test_probabilities_finite_for_extreme_logits(pipeline):
    model = with_weights(pipeline, [1.0], 0.0)
    probs = call_strict(model.predict_proba, EXTREME_LOGITS[:, None], what="predict_proba")
    assert_close(probs[[0, -1], 1], [0.0, 1.0], "spam probability at logits -1000 and 1000")
    labels = np.asarray(model.predict(EXTREME_LOGITS[:, None]))
    assert list(labels) == [0, 0, 0, 0, labels[4], 1, 1, 1, 1]


def test_training_improves_on_the_majority_class(pipeline, model, emails):
    X, y = emails
    acc = pipeline.accuracy(y, (model.predict_proba(X)[:, 1] > 0.5).astype(int))
    assert acc > max(y.mean(), 1 - y.mean()) + 0.1, f"training accuracy {acc:.3f} is near chance"


def test_spam_probability_is_the_logistic_function_of_the_logit(pipeline):
    logits = np.array([-6.0, -2.5, -1.0, -0.2, 0.0, 0.2, 1.0, 2.5, 6.0])
    model = with_weights(pipeline, [1.0], 0.0)
    assert_close(
        model.predict_proba(logits[:, None])[:, 1], 1.0 / (1.0 + np.exp(-logits)),
        "spam probability at logits -6 to 6", "the probabilities are not 1 / (1 + e^-logit)",
        rtol=1e-12,
    )  # fmt: skip


def test_labels_are_whole_numbers(model, emails):
    labels = np.asarray(model.predict(emails[0]))
    assert labels.dtype.kind in "iu", f"predict returned labels of dtype {labels.dtype}"


def test_split_defaults_hold_out_a_quarter_with_seed_zero(pipeline):
    default = pipeline.train_test_split(400)
    explicit = pipeline.train_test_split(400, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(400) differs from train_test_split(400, 0.25, 0), its documented defaults"
    )
