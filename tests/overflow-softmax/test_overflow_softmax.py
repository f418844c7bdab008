"""The stripe detector must turn any logits into probabilities, however large the logits.

The edge tests feed logits of +-1000 and raw 0-255 intensities with numpy's floating-point
warnings turned into errors (underflow to 0 stays allowed: it is harmless); the rest pin down
softmax on ordinary logits and the parts of the pipeline that are already right.
"""

import math

import numpy as np
import pytest
from katakit import EXTREME_LOGITS, assert_close, assert_finite, assert_partition, call_strict

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


def test_split_is_a_partition(pipeline):
    train_idx, test_idx = pipeline.train_test_split(300, TEST_SIZE, SEED)
    assert_partition(train_idx, test_idx, 300, n_test=75)


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
