"""The spam filter's labels must be the more probable class.

predict returns 0/1 labels of shape (n,) that agree with predict_proba at probability 0.5, also
for e-mails just either side of the boundary; the reported scores are those of those labels.
The rest pin down the parts the pipeline is built from.
"""

import numpy as np
import pytest
from katakit import EXTREME_LOGITS, assert_close, call_strict

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
        f"spam probability {p_spam[disagree[0]]:.3f} got label {labels[disagree[0]]}; the label "
        "must be the more probable class"
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
    result = pipeline.run_pipeline(df)
    X = df[pipeline.FEATURES].to_numpy(dtype=float)
    y = df[pipeline.TARGET].to_numpy(dtype=int)
    _, test_idx = pipeline.train_test_split(len(df), 0.25, SEED)
    p_spam = result["model"].predict_proba(X[test_idx])[:, 1]
    expected = np.mean(y[test_idx] == (p_spam > 0.5))
    assert_close(
        [result["test_accuracy"], result["test_spam_rate"]],
        [expected, np.mean(p_spam > 0.5)],
        "run_pipeline's held-out accuracy and share of mail flagged as spam",
        "the reported scores are not those of labelling each e-mail with its more probable class",
    )


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
