"""Label propagation must turn a few known labels into a probability for every image.

label_scores documents F[i, c] as the probability that a random walk from image i first reaches
a labelled image of class c. The hand-built graphs below are small enough to work that out on
paper.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_unchanged,
)

SEED = 0


@pytest.fixture(scope="module")
def propagation(kata):
    return kata("propagation")


@pytest.fixture(scope="module")
def glyphs(propagation):
    X, y = propagation.make_glyphs(seed=SEED)
    labels = np.full(len(y), -1)
    labelled = propagation.choose_labelled(y, per_class=2, seed=SEED)
    labels[labelled] = y[labelled]
    return X, y, labels


def graph(n, edges):
    """A symmetric affinity matrix from {(i, j): weight}."""
    W = np.zeros((n, n))
    for (i, j), weight in edges.items():
        W[i, j] = W[j, i] = weight
    return W


def test_scores_of_every_image_sum_to_one(propagation, glyphs):
    X, y, _ = glyphs
    scores = propagation.run_pipeline(X, y, seed=SEED)["scores"]
    totals = scores.sum(axis=1)
    worst = int(np.argmax(np.abs(totals - 1.0)))
    assert np.allclose(totals, 1.0, rtol=1e-9, atol=1e-9), (
        f"run_pipeline's scores for image {worst} add up to {totals[worst]:.4f} over the 3 "
        f"classes (scores {np.round(scores[worst], 4)}); a probability of reaching each class "
        "must add up to 1 over the classes"
    )


def test_an_image_between_two_classes_leans_to_its_stronger_link(propagation):
    # 0 (class 0) --1.0-- 2 (unknown) --3.0-- 1 (class 1): a walk from 2 goes right 3 times in 4.
    W = graph(3, {(0, 2): 1.0, (2, 1): 3.0})
    scores = propagation.label_scores(W, np.array([0, 1, -1]), 2)
    assert_close(
        scores[2], [0.25, 0.75], "label_scores(...)[2] for an unlabelled image linked to a "
        "class-0 image with affinity 1 and to a class-1 image with affinity 3",
        "it is linked three times as strongly to class 1 as to class 0, and its scores do not say so",
    )  # fmt: skip


@pytest.mark.edge
def test_a_single_unlabelled_image_takes_the_weighted_vote_of_its_neighbours(propagation):
    # One unknown image (3) linked to three labelled ones: classes 0, 1, 1 with affinities 1, 2, 5.
    W = graph(4, {(3, 0): 1.0, (3, 1): 2.0, (3, 2): 5.0})
    scores = propagation.label_scores(W, np.array([0, 1, 1, -1]), 2)
    assert_close(
        scores[3], [1 / 8, 7 / 8], "label_scores(...)[3] for one unlabelled image linked to "
        "labelled images of classes 0, 1, 1 with affinities 1, 2, 5",
        "7 of its 8 units of affinity lead to class 1, and its scores do not say so",
    )  # fmt: skip


def test_unlabelled_scores_are_the_average_of_their_neighbours(propagation, glyphs):
    X, _, labels = glyphs
    W = propagation.rbf_affinity(X[::4])
    scores = propagation.label_scores(W, labels[::4], 3)
    for i in np.flatnonzero(labels[::4] < 0):
        neighbour_average = (W[i] @ scores) / W[i].sum()
        assert_close(
            scores[i], neighbour_average, f"the scores of unlabelled image {i}",
            "propagated scores must equal the affinity-weighted average of the neighbours' "
            "scores (the harmonic property), but here they do not",
            rtol=1e-7, atol=1e-9,
        )  # fmt: skip


def test_links_between_labelled_images_do_not_change_unlabelled_scores(propagation, glyphs):
    X, _, labels = glyphs
    W = propagation.rbf_affinity(X)
    known = np.flatnonzero(labels >= 0)
    extra = W.copy()
    extra[np.ix_(known, known)] += 5.0  # labelled images become much more similar to each other
    np.fill_diagonal(extra, 0.0)
    hidden = labels < 0
    assert_unchanged(
        propagation.label_scores(W, labels, 3)[hidden],
        propagation.label_scores(extra, labels, 3)[hidden],
        "the unlabelled images' scores",
        "only the affinities AMONG labelled images changed, and a walk stops at the first "
        "labelled image it reaches, so no unlabelled image's scores should move",
        rtol=1e-7, atol=1e-9,
    )  # fmt: skip


def test_labelled_images_keep_their_labels(propagation):
    W = graph(4, {(0, 2): 1.0, (2, 3): 1.0, (3, 1): 2.0})
    scores = propagation.label_scores(W, np.array([0, 1, -1, -1]), 2)
    assert_close(scores[:2], np.eye(2), "label_scores(...) for the two labelled images")


def test_scaling_every_affinity_changes_nothing(propagation, glyphs):
    X, _, labels = glyphs
    W = propagation.rbf_affinity(X)
    assert_unchanged(
        propagation.label_scores(W, labels, 3), propagation.label_scores(7.0 * W, labels, 3),
        "label_scores", "multiplying every affinity by 7 changed the propagated scores",
        rtol=1e-7, atol=1e-9,
    )  # fmt: skip


def test_scores_follow_the_images_when_they_are_reordered(propagation, glyphs):
    X, _, labels = glyphs
    order = np.random.default_rng(1).permutation(len(X))
    before = propagation.label_scores(propagation.rbf_affinity(X), labels, 3)
    after = propagation.label_scores(propagation.rbf_affinity(X[order]), labels[order], 3)
    assert_unchanged(
        before[order], after, "label_scores",
        "shuffling the images changed the scores an image receives", rtol=1e-7, atol=1e-9,
    )  # fmt: skip


def test_hidden_glyphs_are_labelled_correctly(propagation, glyphs):
    X, y, _ = glyphs
    result = propagation.run_pipeline(X, y, seed=SEED)
    assert result["hidden_accuracy"] >= 0.95, (
        f"run_pipeline labelled {result['hidden_accuracy']:.3f} of the hidden glyphs correctly "
        "from 2 labels per class; the three glyph shapes are far apart, so nearly all should be"
    )


def test_labelled_images_are_chosen_per_class_and_by_seed(propagation):
    y = np.repeat([0, 1, 2], [50, 30, 20])
    chosen = propagation.choose_labelled(y, per_class=3, seed=4)
    assert np.array_equal(np.bincount(y[chosen], minlength=3), [3, 3, 3]), (
        f"choose_labelled(per_class=3) chose {np.bincount(y[chosen], minlength=3).tolist()} "
        "images of the three classes"
    )
    small = np.repeat([0, 1, 2], [3, 4, 3])
    for seed in range(5):
        picked = propagation.choose_labelled(small, per_class=3, seed=seed)
        assert len(np.unique(picked)) == 9, (
            f"choose_labelled(per_class=3, seed={seed}) chose an image twice: {picked.tolist()}"
        )
    assert_reproducible(
        lambda seed: np.sort(propagation.choose_labelled(y, 3, seed)),
        "choose_labelled(per_class=3)",
    )
    firsts = np.concatenate([np.flatnonzero(y == c)[:3] for c in range(3)])
    assert not all(
        np.array_equal(np.sort(propagation.choose_labelled(y, 3, s)), firsts) for s in range(3)
    ), "choose_labelled always picks the first images of each class: the choice is not random"


def test_run_pipeline_reports_the_figures_of_its_scores(propagation):
    # Blurred glyphs, so that some hidden ones are labelled wrongly.
    X, y = propagation.make_glyphs(noise=(0.6, 0.6, 0.6), seed=3)
    result = propagation.run_pipeline(X, y, per_class=3, seed=5)
    labelled = propagation.choose_labelled(y, 3, 5)
    assert np.array_equal(np.sort(result["labelled"]), np.sort(labelled)), (
        "run_pipeline(seed=5) reports labelled images other than choose_labelled(y, 3, 5)"
    )
    labels = np.full(len(y), -1)
    labels[labelled] = y[labelled]
    scores = propagation.label_scores(propagation.rbf_affinity(X), labels, 3)
    hidden = labels < 0
    predictions = np.argmax(scores, axis=1)
    assert_figures(
        result,
        {
            "scores": scores,
            "predictions": predictions,
            "hidden_accuracy": accuracy(y[hidden], predictions[hidden]),
        },
        "run_pipeline(per_class=3, seed=5)",
    )


def test_rbf_affinity_is_a_gaussian_of_the_distance(propagation):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    W = propagation.rbf_affinity(X, bandwidth=0.5)
    d2 = np.array([[0, 1, 4], [1, 0, 5], [4, 5, 0]], dtype=float)
    expected = np.exp(-d2 / 0.5) * (1 - np.eye(3))
    assert_close(W, expected, "rbf_affinity of three points with bandwidth 0.5", rtol=1e-12)


def test_run_pipeline_leaves_the_callers_arrays_untouched(propagation, glyphs):
    X, y, _ = glyphs
    assert_inputs_untouched(
        lambda X, y: propagation.run_pipeline(X, y), X.copy(), y.copy(), what="run_pipeline(X, y)"
    )
