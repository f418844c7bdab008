"""The ticket router must send every thread to the queue its words favour.

The first tests route production threads end to end; the others pin the posteriors down against
an independent naive Bayes computation, with numpy's floating-point errors raised, and check the
split, the fitted frequencies and every figure run_pipeline reports.
"""

import math

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
    call_strict,
)


@pytest.fixture(scope="module")
def nb(kata):
    return kata("naive_bayes")


@pytest.fixture(scope="module")
def training(nb):
    return nb.make_tickets(180, seed=0)


@pytest.fixture(scope="module")
def model(nb, training):
    X, y = training
    return nb.MultinomialNB(alpha=1.0).fit(X, y)


def reference_log_joint(training, X):
    """log P(queue) + sum_w count_w log P(w | queue), with add-one word frequencies: (n, k)."""
    X_train, y_train = training
    k = int(y_train.max()) + 1
    prior = np.bincount(y_train, minlength=k) / len(y_train)
    counts = np.stack([X_train[y_train == c].sum(axis=0) for c in range(k)]) + 1.0
    word_probs = counts / counts.sum(axis=1, keepdims=True)
    return np.log(prior) + X @ np.log(word_probs).T


def textbook_posterior(training, X):
    """P(queue) prod_w P(w | queue)^count_w, normalised, in Python floats (short threads only)."""
    joint = np.array([[math.exp(v) for v in row] for row in reference_log_joint(training, X)])
    return joint / joint.sum(axis=1, keepdims=True)


def test_short_threads_are_routed_well(nb):
    X, y = nb.make_tickets(240, seed=0, min_words=20, max_words=40)
    acc = nb.run_pipeline(X, y)["test_accuracy"]
    assert acc >= 0.8, f"held-out accuracy on the prototype's threads of 20-40 words is {acc:.3f}"


def test_production_threads_are_routed_well(nb):
    X, y = nb.make_tickets(240, seed=0)
    with np.errstate(all="ignore"):  # judged by the accuracy
        results = nb.run_pipeline(X, y)
    acc = results["test_accuracy"]
    routed = np.bincount(results["test_predictions"], minlength=3)
    assert acc >= 0.95, (
        f"held-out accuracy on production threads (make_tickets(240, seed=0)) is {acc:.3f} "
        f"(threads routed per queue: {routed.tolist()}); the queues' vocabularies differ "
        "clearly, so routing should be near perfect"
    )


def test_posteriors_match_the_textbook_formula_on_short_threads(nb, training, model):
    X, _ = nb.make_tickets(20, seed=5, min_words=10, max_words=30)
    assert_close(model.predict_proba(X), textbook_posterior(training, X),
                 "predict_proba(threads of 10-30 words)",
                 "P(queue | words) should be prior x product of word probabilities, normalised",
                 rtol=1e-9, atol=1e-12)  # fmt: skip


@pytest.mark.edge
def test_posteriors_are_probabilities_for_every_thread(nb, model):
    X, _ = nb.make_tickets(30, seed=6, min_words=200, max_words=600)
    probs = call_strict(model.predict_proba, X, what="predict_proba(30 production threads)")
    assert_finite(probs, "predict_proba(30 production threads)",
                  "every thread gets a queue probability")  # fmt: skip
    assert np.all((probs >= 0) & (probs <= 1)), "posteriors fall outside [0, 1]"
    assert_close(probs.sum(axis=1), np.ones(len(X)), "row sums of predict_proba(production threads)",
                 "each thread's queue probabilities must add up to 1")  # fmt: skip


@pytest.mark.edge
@pytest.mark.parametrize("words", [(150, 300), (4000, 5000)], ids=["some", "many"])
def test_threads_go_to_the_queue_their_log_likelihoods_favour(nb, training, model, words):
    X, _ = nb.make_tickets(30, seed=7, min_words=words[0], max_words=words[1])
    what = f"predict_proba(30 threads of make_tickets(min_words={words[0]}, max_words={words[1]}))"
    probs = call_strict(model.predict_proba, X, what=what)
    expected = np.argsort(-reference_log_joint(training, X), axis=1, kind="stable")
    got = np.argsort(-np.asarray(probs), axis=1, kind="stable")
    bad = np.flatnonzero(got[:, 0] != expected[:, 0])
    assert len(bad) == 0, (
        f"{what} puts the wrong queue first for {len(bad)} of {len(X)} threads (e.g. thread "
        f"{bad[0]}: probabilities {probs[bad[0]]}, while its naive Bayes posteriors rank the queues "
        f"{expected[bad[0]]}): the most likely queue must win for every thread"
    )


@pytest.mark.edge
def test_doubling_the_evidence_keeps_the_decision(nb, model):
    X, _ = nb.make_tickets(30, seed=8, min_words=100, max_words=150)
    once = call_strict(model.predict_proba, X, what="predict_proba(threads of 100-150 words)")
    twice = call_strict(model.predict_proba, 2 * X, what="predict_proba(each thread pasted twice)")
    assert np.array_equal(np.argmax(twice, axis=1), np.argmax(once, axis=1)), (
        f"pasting each thread twice changed the winning queue for "
        f"{int(np.sum(np.argmax(twice, axis=1) != np.argmax(once, axis=1)))} of 30 threads: "
        "the same words twice are the same evidence, only stronger"
    )
    assert np.all(twice.max(axis=1) >= once.max(axis=1) - 1e-12), (
        "pasting a thread twice made its winning queue less probable"
    )


def test_split_is_seeded_shuffled_and_reproducible(nb):
    assert_seeded_split(lambda seed: nb.train_test_split(240, 0.25, seed), 240, 60)
    default = nb.train_test_split(240)
    explicit = nb.train_test_split(240, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(240) differs from train_test_split(240, 0.25, 0), its documented defaults"
    )


@pytest.mark.parametrize("alpha", [None, 0.5])
def test_fit_learns_the_smoothed_frequencies(nb, alpha):
    X, y = nb.make_tickets(90, seed=3, min_words=20, max_words=40)
    y = np.where(np.arange(90) < 60, 0, y)  # queue 0 twice as common: the prior matters
    model = (nb.MultinomialNB() if alpha is None else nb.MultinomialNB(alpha=alpha)).fit(X, y)
    a = 1.0 if alpha is None else alpha
    counts = np.stack([X[y == c].sum(axis=0) for c in range(3)]) + a
    assert_close(model.class_prior_, np.bincount(y, minlength=3) / 90, "class_prior_",
                 "the share of training threads in each queue", rtol=1e-12)  # fmt: skip
    assert_close(model.word_probs_, counts / counts.sum(axis=1, keepdims=True), "word_probs_",
                 f"each queue's word counts plus {a}, normalised", rtol=1e-12)  # fmt: skip


def test_predict_routes_to_the_most_probable_queue(nb, training, model):
    X, _ = nb.make_tickets(20, seed=9, min_words=10, max_words=30)
    assert np.array_equal(model.predict(X), np.argmax(reference_log_joint(training, X), axis=1)), (
        "predict(threads) differs from the queue of highest posterior probability"
    )


def test_reported_figures_come_from_the_training_threads(nb):
    X, y = nb.make_tickets(120, seed=4, min_words=20, max_words=40)
    result = nb.run_pipeline(X, y, 0.3, 4)
    train_idx, test_idx = nb.train_test_split(120, 0.3, 4)
    probs = textbook_posterior((X[train_idx], y[train_idx]), X[test_idx])
    assert_figures(
        result,
        {
            "test_probabilities": probs,
            "test_predictions": probs.argmax(axis=1),
            "test_accuracy": accuracy(y[test_idx], probs.argmax(axis=1)),
        },
        "run_pipeline(120 threads, test_size=0.3, seed=4)",
        rtol=1e-9,
    )


def test_defaults_seed_and_held_out_threads(nb):
    X, y = nb.make_tickets(120, seed=5, min_words=20, max_words=40)
    assert_unchanged(nb.run_pipeline(X, y), nb.run_pipeline(X, y, 0.25, 0), "run_pipeline(X, y)",
                     "the defaults are not test_size=0.25, seed=0")  # fmt: skip
    assert_reproducible(lambda seed: nb.run_pipeline(X, y, 0.25, seed)["test_probabilities"],
                        "run_pipeline(threads, seed=...)['test_probabilities']")  # fmt: skip
    _, test_idx = nb.train_test_split(120, 0.25, 0)
    X_moved, y_moved = X.copy(), y.copy()
    X_moved[test_idx[1:]] *= 2.0
    y_moved[test_idx[1:]] = (y_moved[test_idx[1:]] + 1) % 3
    before = nb.run_pipeline(X, y)["test_probabilities"][0]
    after = nb.run_pipeline(X_moved, y_moved)["test_probabilities"][0]
    assert_unchanged(before, after, "the first held-out thread's probabilities",
                     "they moved when only the other held-out threads changed")  # fmt: skip
    assert_inputs_untouched(nb.run_pipeline, X, y, what="run_pipeline(X, y)")
