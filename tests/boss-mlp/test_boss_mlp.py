"""The glyph network, end to end: three problems, each with its own tests.

- backpropagation must give the gradient of the loss the network reports;
- softmax and cross-entropy must stay finite for confident logits;
- training must run until the validation accuracy stops improving, and return the best epoch.
The last group pins down the rest of the pipeline: the split, the model chosen on validation
rows alone, the reported scores, reproducibility.
"""

import numpy as np
import pytest
from katakit import (
    EXTREME_LOGITS,
    accuracy,
    assert_close,
    assert_figures,
    assert_finite,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_partition,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
)


@pytest.fixture(scope="module")
def net(kata):
    return kata("network")


@pytest.fixture(scope="module")
def glyphs(net):
    return net.make_glyphs(n_rows=400, seed=0)


@pytest.fixture(scope="module")
def result(net, glyphs):
    return net.run_pipeline(*glyphs, seed=0)


@pytest.fixture(scope="module")
def small_problem(net):
    """A tiny network and batch where some hidden units are active and some are not."""
    rng = np.random.default_rng(4)
    X = rng.normal(size=(8, 5))
    y = rng.integers(0, 3, 8)
    params = net.init_params(5, 4, 3, seed=1)
    params["b1"] = np.array([0.5, -0.5, 0.1, -0.1])
    return params, X, y


def check_gradient(net, small_problem, name):
    params, X, y = small_problem
    _, grads = net.loss_and_grads(params, X, y)

    def loss_at(value):
        return net.loss_and_grads({**params, name: value}, X, y)[0]

    assert_gradient_matches(loss_at, grads[name], params[name], what=f"the gradient of {name}")


# -- problem 1: the gradient of the first layer ---------------------------------------------------


def test_first_layer_weight_gradient_matches_finite_differences(net, small_problem):
    check_gradient(net, small_problem, "W1")


def test_first_layer_bias_gradient_matches_finite_differences(net, small_problem):
    check_gradient(net, small_problem, "b1")


def test_the_network_learns_to_read_the_glyphs(result):
    assert result["val_accuracy"] >= 0.87, (
        f"the chosen model reads {result['val_accuracy']:.3f} of the validation glyphs and "
        f"{result['test_accuracy']:.3f} of the test glyphs correctly after "
        f"{len(result['history']['loss'])} epochs; a person reads nearly all of them, and this "
        "network, trained properly, about nine in ten"
    )


# -- problem 2: softmax and cross-entropy overflow ---------------------------------------------


@pytest.mark.edge
def test_softmax_is_finite_for_logits_of_1000(net):
    logits = np.vstack([EXTREME_LOGITS[:3], EXTREME_LOGITS[-3:], [-1000.0, -1000.0, -1000.0]])
    probs = call_strict(net.softmax, logits, what="softmax of logits of +-1000")
    assert_finite(probs, "softmax of logits of +-1000")
    assert_close(probs.sum(axis=1), np.ones(3), "row sums of softmax", rtol=1e-9)
    assert_close(probs[1], [0.0, 0.0, 1.0], "softmax([50, 745, 1000])", atol=1e-12)
    assert_close(probs[2], np.full(3, 1 / 3), "softmax([-1000, -1000, -1000])", rtol=1e-9)


@pytest.mark.edge
def test_cross_entropy_is_finite_for_confident_logits(net):
    logits = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]])
    right = call_strict(net.cross_entropy, logits, np.array([0, 1]), what="cross_entropy(right)")
    wrong = call_strict(net.cross_entropy, logits, np.array([2, 0]), what="cross_entropy(wrong)")
    assert_finite([right, wrong], "cross-entropy of confident logits")
    assert right < 1e-6, f"cross-entropy of confident, correct logits is {right:.3g}; expected ~0"
    assert wrong > 15.0, (
        f"cross-entropy of logits 1000 apart from the right class is {wrong:.3g}; a confident, "
        "wrong prediction should cost far more than a uniform guess (1.10)"
    )
    ordinary = net.cross_entropy(np.array([[2.0, 1.0, 0.0]]), np.array([1]))
    assert_close(ordinary, -np.log(np.exp(1.0) / np.exp([2.0, 1.0, 0.0]).sum()), "ordinary loss")


@pytest.mark.edge
def test_a_training_step_on_confident_logits_stays_finite(net, small_problem):
    params, X, y = small_problem
    loud = {**params, "W2": params["W2"] * 1000.0}
    loss, grads = call_strict(net.loss_and_grads, loud, X, y, what="loss_and_grads(W2 x 1000)")
    assert_finite(loss, "the loss with second-layer weights x 1000")
    for name, grad in grads.items():
        assert_finite(grad, f"the gradient of {name} with second-layer weights x 1000")


# -- problem 3: when training stops -----------------------------------------------------------


def stops_where_patience_says(history, patience, epochs):
    """Training ends after `patience` epochs in a row without a better validation accuracy."""
    ran = len(history["loss"])
    best = history["best_epoch"]
    return ran == epochs or ran == best + patience + 1


def test_training_runs_until_validation_accuracy_stops_improving(net, glyphs, result):
    history = result["history"]
    ran, best = len(history["loss"]), history["best_epoch"]
    assert stops_where_patience_says(history, 15, 300), (
        f"training ran {ran} epochs; its best validation accuracy came at epoch {best}, so with "
        f"patience 15 it should have run {best + 16} epochs: it stopped while the validation "
        "accuracy could still improve"
    )


def test_patience_counts_epochs_without_improvement_in_a_row(net, glyphs):
    X, y = glyphs
    train_idx, val_idx, _ = net.train_val_test_split(len(y), seed=1)
    for patience in (3, 8):
        _, history = net.train_network(
            X[train_idx],
            y[train_idx],
            X[val_idx],
            y[val_idx],
            epochs=120,
            patience=patience,
            seed=1,
        )
        accs = np.asarray(history["val_accuracy"])
        ran, best = len(accs), history["best_epoch"]
        assert best == int(np.argmax(accs)), (
            f"best_epoch is {best} but the validation accuracy first peaks at epoch "
            f"{int(np.argmax(accs))}"
        )
        assert stops_where_patience_says(history, patience, 120), (
            f"with patience {patience} training stopped at epoch {ran - 1}, its best being epoch "
            f"{best}; with that patience it should have run {best + patience + 1} epochs"
        )


# -- the parts that work --------------------------------------------------------------------------


def test_split_partitions_the_rows(net):
    train_idx, val_idx, test_idx = net.train_val_test_split(400, seed=0)
    assert len(val_idx) == 80 and len(test_idx) == 80, "expected 80 validation and 80 test rows"
    assert_partition(np.r_[train_idx, val_idx], test_idx, 400)
    assert not np.intersect1d(train_idx, val_idx).size, "rows shared by training and validation"
    for pick in (lambda s: s[1], lambda s: s[2]):
        assert_seeded_split(
            lambda seed, pick=pick: (
                np.setdiff1d(np.arange(400), pick(net.train_val_test_split(400, seed))),
                pick(net.train_val_test_split(400, seed)),
            ),
            400,
            80,
        )


def test_reported_scores_are_those_of_the_chosen_model(net, glyphs, result):
    X, y = glyphs
    _, val_idx, test_idx = net.train_val_test_split(len(y), seed=0)
    p = result["params"]
    logits = np.maximum(X @ p["W1"] + p["b1"], 0.0) @ p["W2"] + p["b2"]
    assert_figures(
        result,
        {
            "val_accuracy": accuracy(y[val_idx], logits[val_idx].argmax(axis=1)),
            "test_accuracy": accuracy(y[test_idx], logits[test_idx].argmax(axis=1)),
        },
        "run_pipeline(400 glyphs)",
    )


def test_run_pipeline_is_reproducible_and_leaves_the_data_untouched(net, glyphs):
    X, y = glyphs
    assert_reproducible(
        lambda seed: net.run_pipeline(X, y, seed=seed)["params"], "the model run_pipeline returns"
    )
    assert_inputs_untouched(
        lambda X, y: net.run_pipeline(X, y, seed=0), X.copy(), y.copy(), what="run_pipeline(X, y)"
    )


def test_the_chosen_model_ignores_the_test_labels(net, glyphs, result):
    X, y = glyphs
    _, _, test_idx = net.train_val_test_split(len(y), seed=0)
    relabelled = y.copy()
    relabelled[test_idx] = (y[test_idx] + 1) % len(net.CLASSES)
    after = net.run_pipeline(X, relabelled, seed=0)
    assert after["history"]["best_epoch"] == result["history"]["best_epoch"], (
        f"the early-stopping epoch moved from {result['history']['best_epoch']} to "
        f"{after['history']['best_epoch']} when only the test labels changed: the test rows "
        "take part in choosing the model"
    )
    assert_unchanged(
        result["params"], after["params"], "the chosen parameters",
        "they changed when only the test labels changed",
    )  # fmt: skip


def test_the_chosen_parameters_are_those_of_the_best_epoch(net, glyphs, result):
    X, y = glyphs
    train_idx, val_idx, _ = net.train_val_test_split(len(y), seed=0)
    best = result["history"]["best_epoch"]
    params, _ = net.train_network(
        X[train_idx], y[train_idx], X[val_idx], y[val_idx], epochs=best + 1, seed=0
    )
    assert_unchanged(
        params, result["params"], f"the parameters after epoch {best}, the best epoch",
        "the model returned is not the one trained on the training rows and stopped at the "
        "epoch of best validation accuracy",
    )  # fmt: skip


def test_second_layer_gradients_match_finite_differences(net, small_problem):
    check_gradient(net, small_problem, "W2")
    check_gradient(net, small_problem, "b2")


def test_reported_test_accuracy_is_that_of_the_chosen_model(net, glyphs, result):
    X, y = glyphs
    _, _, test_idx = net.train_val_test_split(len(y), seed=0)
    expected = np.mean(net.predict(result["params"], X[test_idx]) == y[test_idx])
    assert_close(result["test_accuracy"], expected, "reported test_accuracy")


def test_predictions_are_class_indices(net, glyphs, result):
    X, _ = glyphs
    pred = net.predict(result["params"], X[:5])
    assert pred.shape == (5,) and set(pred.tolist()) <= {0, 1, 2}, f"predict gave {pred}"
