"""One word must be evidence, never a verdict: P(positive) stays strictly between 0 and 1.

The edge tests score reviews with numpy's floating-point errors raised; the rest pin down the
parts the pipeline is built from.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_finite,
    assert_partition,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
)

GLOWING = ["love", "great", "excellent", "perfect", "happy", "recommend", "great", "love"]


@pytest.fixture(scope="module")
def sentiment(kata):
    return kata("sentiment")


@pytest.fixture(scope="module")
def data(sentiment):
    return sentiment.make_reviews(300, seed=0)


@pytest.fixture(scope="module")
def model(sentiment, data):
    reviews, labels = data
    with np.errstate(divide="ignore"):  # the tests judge what the fitted model says
        return sentiment.NaiveBayesSentiment().fit(reviews, labels)


def p_positive(model, review, what=None):
    what = what or f"predict_proba([{review}])"
    probs = call_strict(model.predict_proba, [review], what=what)
    assert np.shape(probs) == (1,), f"{what} returned shape {np.shape(probs)}; expected (1,)"
    return float(probs[0])


def test_a_review_of_words_seen_in_both_classes_leans_the_right_way(model):
    p = p_positive(model, ["the", "phone", "great", "love", "battery"])
    assert 0.5 < p < 1.0, f"P(positive | 'the phone great love battery') is {p}"
    q = p_positive(model, ["the", "phone", "broken", "poor", "battery"])
    assert 0.0 < q < 0.5, f"P(positive | 'the phone broken poor battery') is {q}"


@pytest.mark.edge
def test_a_glowing_review_that_mentions_a_refund_is_positive(model):
    review = [*GLOWING, "refund"]
    p = p_positive(model, review, "predict_proba([eight glowing words + 'refund'])")
    assert 0.5 < p < 1.0, (
        f"P(positive) of a review with eight glowing words and 'refund' is {p}: 'refund' never "
        "appeared in a positive training review, and that alone decided the review"
    )


@pytest.mark.edge
def test_a_word_seen_only_in_negative_reviews_is_evidence_not_a_verdict(model):
    p = p_positive(model, ["the", "phone", "refund"])
    assert 0.0 < p < 0.3, (
        f"P(positive | 'the phone refund') is {p}: 'refund' is strong evidence for negative "
        "(it appears only in negative reviews), but evidence, not certainty"
    )


@pytest.mark.edge
def test_more_glowing_words_raise_the_probability(model):
    ps = [p_positive(model, ["the", "phone", "refund", *["love"] * k]) for k in range(5)]
    assert_finite(ps, "P(positive) as 'love' is added 0-4 times to 'the phone refund'")
    assert np.all(np.diff(ps) > 0) and ps[0] > 0.0 and ps[-1] < 1.0, (
        f"adding 'love' 0, 1, 2, 3, 4 times to 'the phone refund' gives P(positive) "
        f"{np.round(ps, 4)}: each extra positive word must raise it"
    )


@pytest.mark.edge
def test_a_review_with_words_unseen_in_each_class_gets_a_probability(model):
    review = ["the", "phone", "flawless", "refund"]
    p = p_positive(model, review)
    assert 0.0 < p < 1.0, (
        f"P(positive | {review}) is {p}: 'flawless' was never in a negative review and "
        "'refund' never in a positive one; the review is ambiguous, not impossible"
    )


def test_a_word_seen_in_no_review_changes_little(model):
    with np.errstate(all="ignore"):  # judged by the change
        before, after = model.predict_proba(
            [[*GLOWING[:3], "phone"], [*GLOWING[:3], "phone", "zeppelin"]]
        )
    assert abs(after - before) < 0.05, (
        f"adding the never-seen word 'zeppelin' moved P(positive) from {before:.4f} to {after:.4f}"
    )


def test_split_is_a_partition(sentiment):
    train_idx, test_idx = sentiment.train_test_split(300, 0.25, 0)
    assert_partition(train_idx, test_idx, 300, n_test=75)


def test_held_out_accuracy(sentiment, data):
    with np.errstate(all="ignore"):  # judged by the accuracy
        acc = sentiment.run_pipeline(*data)["test_accuracy"]
    assert acc >= 0.9, f"held-out accuracy is {acc:.3f}; the reviews are easy to tell apart"


@pytest.mark.edge
def test_held_out_probabilities_are_never_certain(sentiment, data):
    with np.errstate(all="ignore"):  # judged by the probabilities
        probs = np.asarray(sentiment.run_pipeline(*data)["test_probabilities"])
    certain = int(np.sum((probs <= 0.0) | (probs >= 1.0) | ~np.isfinite(probs)))
    assert certain == 0, (
        f"{certain} of {len(probs)} held-out reviews got P(positive) of exactly 0 or 1 (or nan): "
        "a few short reviews cannot make the model certain"
    )


def test_split_is_seeded_shuffled_and_reproducible(sentiment):
    assert_seeded_split(lambda seed: sentiment.train_test_split(300, 0.25, seed), 300, 75)


def test_word_probabilities_of_each_class_sum_to_one(model):
    totals = np.exp(np.asarray(model.word_log_probs_, dtype=float)).sum(axis=0)
    assert_close(
        totals, [1.0, 1.0], "the sum of P(word | class) over the vocabulary, for each class",
        "the word probabilities of a class do not describe a single draw of a word",
    )  # fmt: skip


def test_an_empty_review_gets_the_share_of_positive_training_reviews(sentiment):
    reviews = [["great"]] * 30 + [["poor"]] * 10
    labels = np.array([1] * 30 + [0] * 10)
    with np.errstate(divide="ignore"):
        model = sentiment.NaiveBayesSentiment().fit(reviews, labels)
    assert_close(
        p_positive(model, []), 0.75, "P(positive) of an empty review after 30 positive and 10 "
        "negative training reviews", "with no words to go on, the model forgets how common "
        "positive reviews are",
    )  # fmt: skip


def test_report_is_that_of_the_returned_model(sentiment, data):
    reviews, labels = data
    with np.errstate(all="ignore"):  # judged by the figures
        result = sentiment.run_pipeline(reviews, labels)
        _, test_idx = sentiment.train_test_split(len(labels), 0.25, 0)
        probs = result["model"].predict_proba([reviews[i] for i in test_idx])
    assert_unchanged(
        probs, result["test_probabilities"], "run_pipeline(...)['test_probabilities']",
        "the reported probabilities are not the returned model's on the held-out reviews",
    )  # fmt: skip
    assert_figures(
        result, {"test_accuracy": accuracy(labels[test_idx], (probs > 0.5).astype(int))},
        "run_pipeline(reviews, labels)", rtol=1e-12,
    )  # fmt: skip


def test_model_ignores_the_held_out_reviews(sentiment, data):
    reviews, labels = data
    _, test_idx = sentiment.train_test_split(len(labels), 0.25, 0)
    flipped = labels.copy()
    flipped[test_idx] = 1 - flipped[test_idx]
    changed = [list(r) for r in reviews]
    for i in test_idx:
        changed[i] = changed[i] + ["waste", "superb", "sku999"]
    with np.errstate(all="ignore"):
        before = sentiment.run_pipeline(reviews, labels)["model"]
        after = sentiment.run_pipeline(changed, flipped)["model"]
    assert before.vocabulary_ == after.vocabulary_, (
        "the vocabulary changed with the held-out reviews"
    )
    assert_unchanged(
        before, after, "the fitted model",
        "the model changed when only the held-out reviews changed",
    )  # fmt: skip


def test_seed_chooses_the_held_out_reviews(sentiment, data):
    with np.errstate(all="ignore"):
        assert_reproducible(
            lambda seed: sentiment.run_pipeline(*data, seed=seed)["test_probabilities"],
            "the held-out probabilities",
        )


@pytest.mark.edge
def test_a_very_long_rant_gets_a_finite_probability(model):
    rant = ["refund", "broken", "waste", "poor"] * 120
    p = p_positive(model, rant, what="predict_proba of a 480-word rant")
    assert 0.0 <= p < 1e-6, f"P(positive) of a 480-word rant is {p}"


def test_split_defaults_hold_out_a_quarter_with_seed_zero(sentiment):
    default = sentiment.train_test_split(300)
    explicit = sentiment.train_test_split(300, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(300) differs from train_test_split(300, 0.25, 0), its documented defaults"
    )
