"""The texture classifier must descend the cross-entropy it reports.

Gradients are checked against finite differences of cross_entropy for W and b at several batch
sizes (n == d among them); training must lower the loss at every step and reach its minimum.
"""

import math

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_unchanged,
    call_strict,
    numerical_gradient,
)


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def random_point(n, seed, d=16, k=3):
    """Random patches, labels and a random parameter point: (X, labels, W, b)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0.5, 0.8, size=(n, d))
    labels = rng.integers(0, k, n)
    return X, labels, 0.3 * rng.normal(size=(d, k)), 0.3 * rng.normal(size=k)


def training_set(pipeline, n=180, seed=1):
    images, labels = pipeline.make_patches(n, seed=seed)
    return images.reshape(n, -1), labels


SIZES = pytest.mark.parametrize("n", [40, 16, 1], ids=["n_eq_40", "n_eq_d", "n_eq_1"])


@SIZES
def test_weight_gradient_matches_finite_differences(pipeline, n):
    X, labels, W, b = random_point(n, seed=n)
    grad_W, _ = pipeline.gradients(X, labels, W, b)
    assert_gradient_matches(
        lambda W_: pipeline.cross_entropy(X, labels, W_, b), grad_W, W,
        what=f"grad_W from gradients on {n} patches (W of shape {W.shape})",
    )  # fmt: skip


@SIZES
def test_bias_gradient_matches_finite_differences(pipeline, n):
    X, labels, W, b = random_point(n, seed=n)
    _, grad_b = pipeline.gradients(X, labels, W, b)
    assert_gradient_matches(
        lambda b_: pipeline.cross_entropy(X, labels, W, b_), grad_b, b,
        what=f"grad_b from gradients on {n} patches",
    )  # fmt: skip


def test_loss_history_decreases_monotonically(pipeline):
    X, labels = training_set(pipeline)
    _, _, history = pipeline.fit(X, labels, 3, lr=0.5, epochs=60)
    assert history[0] < math.log(3), (
        f"fit(lr=0.5) on 180 patches: the loss after the first step is {history[0]:.4f}, above "
        "log(3) = 1.0986, the loss of the all-zero starting model: the first step made it worse"
    )
    assert_decreasing(
        history, "the loss history of fit(X, labels, 3, lr=0.5, epochs=60) on 180 patches",
        "gradient descent on the convex cross-entropy with this step size can only go down",
    )  # fmt: skip


def test_fit_converges_to_the_minimum_of_cross_entropy(pipeline):
    X, labels = training_set(pipeline)  # overlapping classes: the minimum is finite
    W, b, _ = pipeline.fit(X, labels, 3, lr=0.5, epochs=1000)
    params = np.concatenate([np.ravel(W), b])

    def loss(p):
        return pipeline.cross_entropy(X, labels, p[:48].reshape(16, 3), p[48:])

    slope = np.linalg.norm(numerical_gradient(loss, params))
    assert slope < 1e-3, (
        f"after fit(lr=0.5, epochs=1000) on 180 patches, cross_entropy still slopes at rate "
        f"{slope:.3g} (finite differences) at the returned (W, b): training did not settle "
        "at the minimum of the loss it reports"
    )


def test_held_out_accuracy_on_240_patches(pipeline):
    images, labels = pipeline.make_patches(240, seed=0)
    result = pipeline.run_pipeline(images, labels, n_test=60)
    # A converged linear classifier gets 0.86 of its training patches and 0.80 of the held-out
    # ones right on these noisy textures.
    assert result["train_accuracy"] > 0.83 and result["test_accuracy"] > 0.77, (
        f"run_pipeline on 240 patches: training accuracy {result['train_accuracy']:.3f}, "
        f"held-out accuracy {result['test_accuracy']:.3f}; a linear classifier trained to the "
        "minimum of its loss reaches about 0.86 and 0.80 on these noisy textures"
    )


def test_cross_entropy_of_hand_worked_cases(pipeline):
    X = np.zeros((4, 16))
    labels = np.array([0, 1, 2, 2])
    uniform = pipeline.cross_entropy(X, labels, np.zeros((16, 3)), np.zeros(3))
    assert uniform == pytest.approx(math.log(3), rel=1e-12), (
        f"cross_entropy with every logit 0 is {uniform:.6f}; three equally likely classes "
        "give log(3) = 1.098612"
    )
    b = np.array([2.0, 0.0, -1.0])
    expected = np.mean(np.log(np.exp(b).sum()) - b[labels])
    got = pipeline.cross_entropy(X, labels, np.zeros((16, 3)), b)
    assert got == pytest.approx(expected, rel=1e-12), (
        f"cross_entropy with logits (2, 0, -1) on every row is {got:.6f}; expected {expected:.6f}"
    )


def test_softmax_rows_are_probabilities(pipeline):
    logits = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-5.0, 10.0, 2.0]])
    probs = pipeline.softmax(logits)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1)[:, None]
    assert_close(probs, expected, "softmax of three rows of logits", rtol=1e-12)


def test_one_hot_marks_each_label(pipeline):
    assert_close(pipeline.one_hot(np.array([2, 0, 1]), 3), np.eye(3)[[2, 0, 1]], "one_hot")


def test_patches_are_balanced_and_reproducible(pipeline):
    images, labels = pipeline.make_patches(300, seed=5)
    assert images.shape == (300, 4, 4) and labels.shape == (300,), (
        f"make_patches(300) gave images {images.shape} and labels {labels.shape}"
    )
    counts = np.bincount(labels, minlength=3)
    assert counts.min() > 70, f"class counts {counts} are far from balanced"
    again, _ = pipeline.make_patches(300, seed=5)
    assert np.array_equal(images, again), "make_patches with the same seed gave other images"


@pytest.fixture(scope="module")
def patches(pipeline):
    return pipeline.make_patches(240, seed=0)


def test_reported_accuracies_are_those_of_the_returned_model(pipeline, patches):
    images, labels = patches
    result = pipeline.run_pipeline(images, labels)  # defaults: the last 60 patches held out
    X = images.reshape(240, -1)
    scores = X @ result["weights"] + result["bias"]
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(labels[:-60], np.argmax(scores[:-60], axis=1)),
            "test_accuracy": accuracy(labels[-60:], np.argmax(scores[-60:], axis=1)),
        },
        "run_pipeline(240 patches)",
    )
    assert np.shape(result["loss_history"]) == (150,), (
        f"run_pipeline with its defaults recorded {np.shape(result['loss_history'])} losses; "
        "the brief promises 150 steps"
    )


def test_fitted_model_ignores_the_held_out_patches(pipeline, patches):
    images, labels = patches
    before = pipeline.run_pipeline(images, labels, n_test=60, epochs=30)
    changed_images, changed_labels = images.copy(), labels.copy()
    changed_images[-60:] = 5.0 * changed_images[-60:] + 3.0
    changed_labels[-60:] = (changed_labels[-60:] + 1) % 3
    after = pipeline.run_pipeline(changed_images, changed_labels, n_test=60, epochs=30)
    fitted = ("weights", "bias", "loss_history", "train_accuracy")
    assert_unchanged(
        {k: before[k] for k in fitted}, {k: after[k] for k in fitted}, "run_pipeline",
        "the model changed although only the 60 held-out patches changed: they reach training",
    )  # fmt: skip


def test_run_pipeline_leaves_the_callers_arrays_untouched(pipeline, patches):
    images, labels = patches
    assert_inputs_untouched(
        lambda im, lab: pipeline.run_pipeline(im, lab, epochs=5), images.copy(), labels.copy(),
        what="run_pipeline(images, labels)",
    )  # fmt: skip


@pytest.mark.edge
def test_fit_learns_the_class_frequencies_of_imbalanced_labels(pipeline):
    # Patches that carry no information and labels 70 % / 20 % / 10 %: the best model
    # predicts the class frequencies for every patch.
    X = np.zeros((50, 16))
    labels = np.repeat([0, 1, 2], [35, 10, 5])
    W, b, _ = pipeline.fit(X, labels, 3, lr=0.5, epochs=3000)
    probs = pipeline.softmax((X @ W + b)[:1])[0]
    assert_close(
        probs, [0.7, 0.2, 0.1], "the class probabilities fit gives an uninformative patch",
        "with nothing to go on, the model should predict how often each class occurs",
        atol=1e-3,
    )  # fmt: skip


def test_loss_history_ends_at_the_loss_of_the_returned_model(pipeline):
    X, labels = training_set(pipeline, n=40, seed=2)
    W, b, history = pipeline.fit(X, labels, 3, lr=0.1, epochs=20)
    final = pipeline.cross_entropy(X, labels, W, b)
    assert float(history[-1]) == pytest.approx(final, rel=1e-12), (
        f"the last entry of fit's loss history is {float(history[-1])!r}, but cross_entropy of "
        f"the returned (W, b) is {final!r}: the history does not describe the returned model"
    )


@pytest.mark.edge
def test_softmax_and_cross_entropy_are_finite_for_logits_of_1000(pipeline):
    logits = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 999.0, 1000.0]])
    probs = call_strict(pipeline.softmax, logits, what="softmax of logits of +-1000")
    assert_close(
        probs, [[1.0, 0.0, 0.0], [0.0, np.exp(-1.0) / (1 + np.exp(-1.0)), 1 / (1 + np.exp(-1.0))]],
        "softmax of logits of +-1000", rtol=1e-12, atol=1e-300,
    )  # fmt: skip
    X = np.eye(3)
    W = np.diag([1000.0, 1000.0, 1000.0])
    loss = call_strict(
        pipeline.cross_entropy, X, np.array([1, 2, 0]), W, np.zeros(3),
        what="cross_entropy of three patches, each given logit 1000 for a wrong class",
    )  # fmt: skip
    assert loss == pytest.approx(1000.0, rel=1e-9), (
        f"cross_entropy is {loss} when every patch puts logit 1000 on a wrong class and 0 on "
        "the right one; the model is wrong by 1000 nats per patch"
    )
