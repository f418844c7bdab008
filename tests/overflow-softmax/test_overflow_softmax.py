"""The stripe detector must turn any logits into probabilities, however large the logits.

The edge tests feed logits of +-1000 and raw 0-255 intensities with numpy's floating-point
warnings turned into errors (underflow to 0 stays allowed: it is harmless); the rest pin down
softmax on ordinary logits and the parts of the pipeline that are already right.
"""

import math

import numpy as np
import pytest
from katakit import (
    EXTREME_LOGITS,
    accuracy,
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_finite,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    numerical_gradient,
)

SEED = 0
TEST_SIZE = 0.25


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def patches(pipeline):
    return pipeline.make_patches(n_rows=300, seed=SEED)


@pytest.fixture(scope="module")
def results(pipeline, patches):
    X, y = patches
    with np.errstate(all="ignore"):  # the tests below judge the results, not the warnings
        return pipeline.run_pipeline(X, y, TEST_SIZE, SEED)


def textbook_softmax(logits):
    """e^z_j / sum_i e^z_i, one Python float at a time (for |z| well below 700)."""
    rows = []
    for row in np.asarray(logits, dtype=float):
        exps = [math.exp(v) for v in row]
        rows.append([e / math.fsum(exps) for e in exps])
    return np.array(rows)


def extreme_rows():
    """Rows of logits from -1000 to 1000: each EXTREME_LOGITS rotated so the max moves."""
    return np.array([np.roll(EXTREME_LOGITS, shift) for shift in range(len(EXTREME_LOGITS))])


def test_softmax_matches_the_textbook_formula_on_ordinary_logits(pipeline):
    logits = np.array([[2.0, 1.0, 0.1], [-3.0, 0.0, 3.0], [300.0, 0.0, -300.0], [5.0, 5.0, 5.0]])
    assert_close(
        pipeline.softmax(logits), textbook_softmax(logits), "softmax(ordinary logits)",
        "probabilities differ from e^z / sum(e^z) on logits that a float64 handles easily",
        rtol=1e-9, atol=1e-300,
    )  # fmt: skip


@pytest.mark.parametrize("shape", [(1, 3), (3, 3), (4, 3), (6, 2)])
def test_softmax_keeps_the_shape_of_its_input(pipeline, shape):
    logits = np.random.default_rng(1).normal(size=shape)
    probs = pipeline.softmax(logits)
    assert np.shape(probs) == shape, f"softmax of logits {shape} returned shape {np.shape(probs)}"
    assert_close(probs.sum(axis=1), np.ones(shape[0]), f"row sums of softmax(logits {shape})")


@pytest.mark.edge
def test_softmax_is_finite_for_logits_of_1000(pipeline):
    probs = call_strict(
        pipeline.softmax, extreme_rows(), what="softmax(rows of logits -1000..1000)"
    )
    assert_finite(
        probs, "softmax(rows of logits -1000..1000)", "a probability cannot be inf or nan"
    )


@pytest.mark.edge
def test_softmax_rows_sum_to_one_for_extreme_logits(pipeline):
    logits = np.vstack([extreme_rows(), -extreme_rows(), np.full((1, 9), 1000.0)])
    probs = call_strict(pipeline.softmax, logits, what="softmax(logits of +-1000)")
    assert_close(
        probs.sum(axis=1), np.ones(len(logits)), "row sums of softmax(logits of +-1000)",
        "the probabilities of the classes of one image must add up to 1", rtol=0, atol=1e-12,
    )  # fmt: skip


@pytest.mark.edge
def test_softmax_puts_all_the_mass_on_a_logit_far_above_the_rest(pipeline):
    probs = call_strict(pipeline.softmax, EXTREME_LOGITS[None, :], what="softmax([EXTREME_LOGITS])")
    expected = np.zeros(len(EXTREME_LOGITS))
    expected[-1] = 1.0
    assert_close(probs[0], expected, "softmax([-1000, -745, ..., 745, 1000])",
                 "the class with logit 1000 is e^255 times likelier than the next one",
                 rtol=0, atol=1e-12)  # fmt: skip
    tied = np.array([[1000.0, 1000.0, -1000.0, 0.0]])
    probs = call_strict(pipeline.softmax, tied, what="softmax([[1000, 1000, -1000, 0]])")
    assert_close(probs[0], [0.5, 0.5, 0.0, 0.0], "softmax([1000, 1000, -1000, 0])",
                 "two classes tied far above the rest share the probability", atol=1e-12)  # fmt: skip


@pytest.mark.edge
def test_softmax_is_unchanged_when_a_constant_is_added_to_a_row(pipeline):
    logits = np.array([[2.0, 1.0, 0.0], [0.5, -0.5, 3.0], [-1.0, 4.0, 0.0]])
    shifts = np.array([[1000.0], [-1000.0], [800.0]])
    expected = textbook_softmax(logits)
    shifted = call_strict(pipeline.softmax, logits + shifts, what="softmax(logits + row constant)")
    assert_close(
        shifted, expected, "softmax of logits shifted by +1000, -1000 and +800 per row",
        "e^(z+c) / sum e^(z+c) is e^z / sum e^z: the same image must get the same probabilities",
        rtol=1e-9,
    )  # fmt: skip


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(300, TEST_SIZE, seed), 300, 75)
    default = pipeline.train_test_split(300)
    explicit = pipeline.train_test_split(300, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(300) differs from train_test_split(300, 0.25, 0), its documented defaults"
    )


def small_problem():
    """30 rows, 4 features, 3 classes of very different sizes (the bias has work to do)."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 4))
    y = np.array([0] * 18 + [1] * 9 + [2] * 3)
    return X, y


def cross_entropy(X, y, W, b):
    logits = X @ W + b
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return float(-np.mean(log_probs[np.arange(len(y)), y]))


def test_one_training_step_follows_the_gradient_of_the_cross_entropy(pipeline):
    X, y = small_problem()
    W, b = pipeline.fit_softmax_regression(X, y, 3, lr=0.05, epochs=1)
    params = np.zeros(4 * 3 + 3)
    grad = numerical_gradient(lambda p: cross_entropy(X, y, p[:12].reshape(4, 3), p[12:]), params)
    assert_close(np.asarray(W), -0.05 * grad[:12].reshape(4, 3),
                 "the weights after one step of fit_softmax_regression(lr=0.05) from zero",
                 "a step of gradient descent on the mean cross-entropy gives other weights",
                 rtol=1e-5, atol=1e-9)  # fmt: skip
    assert_close(np.asarray(b), -0.05 * grad[12:],
                 "the bias after one step of fit_softmax_regression(lr=0.05) from zero",
                 "classes of 18, 9 and 3 rows should pull the bias apart at the first step",
                 rtol=1e-5, atol=1e-9)  # fmt: skip


def test_three_epochs_are_three_gradient_steps_in_double_precision(pipeline):
    X, y = small_problem()
    Y = np.eye(3)[y]
    W, b = np.zeros((4, 3)), np.zeros(3)
    for _ in range(3):
        logits = X @ W + b
        exps = np.exp(logits - logits.max(axis=1, keepdims=True))
        error = exps / exps.sum(axis=1, keepdims=True) - Y
        W, b = W - 0.05 * X.T @ error / len(X), b - 0.05 * error.mean(axis=0)
    fitted = pipeline.fit_softmax_regression(X, y, 3, lr=0.05, epochs=3)
    assert_close(np.concatenate([np.ravel(fitted[0]), np.ravel(fitted[1])]),
                 np.concatenate([W.ravel(), b]),
                 "the weights and bias after fit_softmax_regression(lr=0.05, epochs=3)",
                 "three steps of gradient descent on the mean cross-entropy, in double "
                 "precision, end elsewhere", rtol=1e-10, atol=1e-14)  # fmt: skip


def test_predict_picks_the_most_probable_class(pipeline):
    X = np.random.default_rng(9).normal(size=(6, 2))
    W = np.array([[0.1, 0.0, -0.1], [0.0, 0.1, 0.0]])
    b = np.array([0.0, 3.0, -1.0])  # the bias decides: class 1 for every row
    predicted = pipeline.predict(X, W, b)
    expected = np.argmax(X @ W + b, axis=1)
    assert np.array_equal(predicted, expected), (
        f"predict(X, W, b) gave {np.asarray(predicted).tolist()}; the classes of highest "
        f"probability are {expected.tolist()}"
    )


def test_training_lowers_the_cross_entropy_every_epoch(pipeline):
    X, y = small_problem()
    losses = [cross_entropy(X, y, *pipeline.fit_softmax_regression(X, y, 3, lr=0.5, epochs=e))
              for e in range(0, 30, 3)]  # fmt: skip
    assert_decreasing(losses, "the training cross-entropy after 0, 3, ..., 27 epochs",
                      "gradient descent should lower the loss it descends")  # fmt: skip
    default = pipeline.fit_softmax_regression(X, y, 3)
    assert_unchanged(default, pipeline.fit_softmax_regression(X, y, 3, lr=0.05, epochs=100),
                     "fit_softmax_regression(X, y, 3)",
                     "the defaults are not lr=0.05, epochs=100")  # fmt: skip


def test_reported_figures_come_from_the_returned_model(pipeline, patches):
    X, y = patches
    X = X / 255.0  # intensities as fractions: these figures do not depend on the scale
    result = pipeline.run_pipeline(X, y, 0.3, 4)
    train_idx, test_idx = pipeline.train_test_split(len(y), 0.3, 4)
    W, b = result["weights"], result["bias"]

    def probabilities(rows):
        logits = X[rows] @ W + b
        exps = np.exp(logits - logits.max(axis=1, keepdims=True))
        return exps / exps.sum(axis=1, keepdims=True)

    probs = probabilities(test_idx)
    assert_figures(
        result,
        {
            "test_probabilities": probs,
            "test_accuracy": accuracy(y[test_idx], probs.argmax(axis=1)),
            "train_accuracy": accuracy(y[train_idx], probabilities(train_idx).argmax(axis=1)),
        },
        "run_pipeline(patches, test_size=0.3, seed=4)",
        rtol=1e-9,
    )
    refit = pipeline.fit_softmax_regression(X[train_idx], y[train_idx], 3)
    assert_unchanged(refit, (W, b), "the returned weights and bias",
                     "they are not the model fitted on the training patches")  # fmt: skip


def test_defaults_and_seed_are_honoured(pipeline, patches):
    X, y = patches
    X = X / 255.0  # intensities as fractions: the split does not depend on the scale
    assert_unchanged(pipeline.run_pipeline(X, y), pipeline.run_pipeline(X, y, 0.25, 0),
                     "run_pipeline(X, y)", "the defaults are not test_size=0.25, seed=0")  # fmt: skip
    assert_reproducible(lambda seed: pipeline.run_pipeline(X, y, 0.25, seed)["weights"],
                        "run_pipeline(patches, seed=...)['weights']")  # fmt: skip
    n_scored = len(pipeline.run_pipeline(X, y, 0.4, 0)["test_probabilities"])
    assert n_scored == 120, (
        f"run_pipeline(300 patches, test_size=0.4) scored {n_scored}; 40 % is 120"
    )


def test_run_pipeline_leaves_the_callers_arrays_alone(pipeline, patches):
    X, y = patches
    with np.errstate(all="ignore"):  # judged by the arrays
        assert_inputs_untouched(
            pipeline.run_pipeline, X.copy(), y.copy(), what="run_pipeline(X, y)"
        )


def test_patches_are_raw_intensities(patches):
    X, y = patches
    assert X.shape == (300, 25) and y.shape == (300,)
    assert X.min() >= 0.0 and X.max() <= 255.0 and X.max() > 200.0


@pytest.mark.edge
def test_training_on_raw_intensities_stays_finite(pipeline, patches):
    X, y = patches
    W, b = call_strict(pipeline.fit_softmax_regression, X, y, 3,
                       what="fit_softmax_regression(raw 0-255 patches)")  # fmt: skip
    assert_finite(W, "the weights fitted on raw 0-255 intensities",
                  "training diverged into inf/nan instead of learning the strokes")  # fmt: skip
    assert_finite(b, "the bias fitted on raw 0-255 intensities")


def test_held_out_probabilities_are_probabilities(results):
    probs = results["test_probabilities"]
    assert_finite(probs, "run_pipeline(...)['test_probabilities']")
    assert np.all((probs >= 0.0) & (probs <= 1.0)), "held-out probabilities fall outside [0, 1]"
    assert_close(probs.sum(axis=1), np.ones(len(probs)), "row sums of the held-out probabilities",
                 "each patch's class probabilities must add up to 1")  # fmt: skip


def test_held_out_accuracy_on_raw_intensities(results):
    acc = results["test_accuracy"]
    assert acc >= 0.9, (
        f"held-out accuracy is {acc:.3f} on patches whose strokes a linear model separates "
        "(chance is 0.33): the fitted model does not tell the strokes apart"
    )
