"""The stroke recogniser's loss, probabilities and gradients must agree with each other.

The reference forward pass below is written in the test from the network's own parameters
(tanh hidden layer, then a linear layer giving the class logits): the probabilities must be the
softmax of those logits, the loss their cross-entropy, and backprop the derivative of that loss.
"""

import math

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
)

K = 4


@pytest.fixture(scope="module")
def network(kata):
    return kata("network")


@pytest.fixture(scope="module")
def images(network):
    return network.make_images(n_rows=240, seed=0)


@pytest.fixture(scope="module")
def trained(network, images):
    X, y = images
    return network.TwoLayerNet(X.shape[1], 16, K, seed=0).fit(X[:160], y[:160], epochs=150)


def reference_logits(net, X):
    return np.tanh(X @ net.W1 + net.b1) @ net.W2 + net.b2


def reference_softmax(logits):
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exps / exps.sum(axis=1, keepdims=True)


def test_softmax_rows_are_probabilities(network):
    logits = np.array([[0.0, 0.0, 0.0, 0.0], [2.0, 1.0, 0.0, -1.0], [50.0, 0.0, -50.0, 3.0]])
    assert_close(network.softmax(logits), reference_softmax(logits), "softmax of three rows")


def test_cross_entropy_of_hand_worked_logits(network):
    logits = np.array([[0.0, 0.0, 0.0, 0.0], [math.log(3.0), 0.0, 0.0, 0.0]])
    # Row 1: uniform, -log(1/4). Row 2: p(class 0) = 3 / 6, -log(1/2).
    expected = (math.log(4.0) + math.log(2.0)) / 2
    assert_close(network.cross_entropy(logits, np.array([2, 0])), expected, "cross_entropy")


def test_predicted_probabilities_are_the_softmax_of_the_logits(network, trained, images):
    X, _ = images
    probs = trained.predict_proba(X[160:])
    assert_close(probs.sum(axis=1), np.ones(len(probs)), "row sums of predict_proba", rtol=1e-9)
    expected = reference_softmax(reference_logits(trained, X[160:]))
    assert_close(
        probs[:3], expected[:3], "predict_proba of the first 3 held-out images",
        "the probabilities should be the softmax of the network's logits (the tanh hidden layer "
        "followed by the linear layer); these are far less confident", rtol=1e-7, atol=1e-9,
    )  # fmt: skip


def test_loss_is_the_cross_entropy_of_the_logits(network, images):
    X, y = images
    net = network.TwoLayerNet(X.shape[1], 16, K, seed=1)
    net.W2 *= 5.0  # confident predictions, so that squashing the logits shows
    log_probs = np.log(reference_softmax(reference_logits(net, X[:40])))
    expected = -np.mean(log_probs[np.arange(40), y[:40]])
    assert_close(
        net.loss(X[:40], y[:40]), expected, "net.loss on 40 images",
        "the reported loss is not the cross-entropy of the network's predictions",
        rtol=1e-7,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2"])
def test_backprop_matches_finite_differences_of_the_loss(network, images, name):
    X, y = images
    X, y = X[:6], y[:6]
    net = network.TwoLayerNet(X.shape[1], 5, K, seed=2)
    net.W2 *= 3.0
    analytic = net.gradients(X, y)[name]
    original = getattr(net, name).copy()

    def loss_at(value):
        getattr(net, name)[...] = value
        try:
            return net.loss(X, y)
        finally:
            getattr(net, name)[...] = original

    assert_gradient_matches(loss_at, analytic, original, f"gradients(X, y)['{name}']")


def test_training_drives_the_loss_well_below_chance(network, trained):
    history = trained.loss_history_
    final = history[-1]
    assert final < 0.25 * math.log(K), (
        f"after 150 epochs on 160 separable images the training loss is {final:.4f} "
        f"(it started at {history[0]:.4f}; guessing uniformly gives log 4 = {math.log(K):.4f}): "
        "training stalls far above what this network can reach"
    )


def test_network_recognises_held_out_strokes(network, trained, images):
    X, y = images
    accuracy = np.mean(trained.predict(X[160:]) == y[160:])
    assert accuracy >= 0.75, f"held-out accuracy is {accuracy:.3f} after training; expected >= 0.75"


def test_predict_is_the_most_probable_class(network, trained, images):
    X, _ = images
    assert_close(
        trained.predict(X[:20]), np.argmax(trained.predict_proba(X[:20]), axis=1), "predict"
    )


def test_split_is_a_seeded_shuffled_partition(network):
    assert_seeded_split(lambda seed: network.train_test_split(200, 0.25, seed), 200, 50)


def test_reported_figures_are_those_of_the_returned_model(network):
    report = network.run_pipeline(n_rows=240, seed=3, epochs=20)
    X, y = network.make_images(240, 3)
    train_idx, test_idx = network.train_test_split(240, 0.25, 3)
    net = report["model"]
    logits = reference_logits(net, X)
    log_probs = np.log(reference_softmax(logits[train_idx]))
    assert_figures(
        report,
        {
            "train_loss": -np.mean(log_probs[np.arange(len(train_idx)), y[train_idx]]),
            "test_accuracy": accuracy(y[test_idx], np.argmax(logits[test_idx], axis=1)),
        },
        "run_pipeline(seed=3, epochs=20)",
    )
    assert len(report["loss_history"]) == 20, (
        f"run_pipeline(epochs=20) recorded {len(report['loss_history'])} losses"
    )


def test_the_model_is_trained_on_the_training_rows_only(network):
    report = network.run_pipeline(n_rows=120, seed=4, n_hidden=8, epochs=15)
    X, y = network.make_images(120, 4)
    train_idx, _ = network.train_test_split(120, 0.25, 4)
    alone = network.TwoLayerNet(X.shape[1], 8, K, seed=4).fit(X[train_idx], y[train_idx], epochs=15)
    params = ("W1", "b1", "W2", "b2")
    assert_unchanged(
        {name: getattr(report["model"], name) for name in params},
        {name: getattr(alone, name) for name in params},
        "run_pipeline's model",
        "it is not the network fit on the 90 training images alone",
    )


def test_run_pipeline_is_reproducible_and_follows_its_seed(network):
    assert_reproducible(
        lambda seed: network.run_pipeline(n_rows=80, seed=seed, n_hidden=4, epochs=3)["model"].W1,
        "the first-layer weights run_pipeline(epochs=3) returns",
    )


def test_fit_leaves_the_callers_arrays_untouched(network, images):
    X, y = images
    net = network.TwoLayerNet(X.shape[1], 4, K, seed=5)
    assert_inputs_untouched(
        lambda X, y: net.fit(X, y, epochs=3), X[:30].copy(), y[:30].copy(), what="fit(X, y)"
    )


@pytest.mark.edge
def test_softmax_and_cross_entropy_are_finite_for_logits_of_1000(network):
    logits = np.array([[1000.0, 0.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0, 0.0]])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        probs = network.softmax(logits)
        loss = network.cross_entropy(logits, np.array([2, 3]))
    assert_close(probs, reference_softmax(logits), "softmax of logits of +-1000", atol=1e-300)
    expected = (2000.0 + 1000.0 + math.log1p(math.exp(-1.0))) / 2
    assert loss == pytest.approx(expected, rel=1e-9), (
        f"cross_entropy is {loss} for two images given logits of 1000 on a wrong class (the right "
        f"ones get -1000 and 0); the model is wrong by about 2000 and 1000 nats: {expected:.4f}"
    )


def test_fit_takes_plain_gradient_steps(network, images):
    X, y = images
    net = network.TwoLayerNet(X.shape[1], 5, K, seed=6)
    start = {name: getattr(net, name).copy() for name in ("W1", "b1", "W2", "b2")}
    grads = net.gradients(X[:30], y[:30])
    net.fit(X[:30], y[:30], lr=0.5, epochs=1)
    for name, value in start.items():
        assert_close(
            getattr(net, name), value - 0.5 * grads[name], f"{name} after one fit step",
            "fit(lr=0.5) should move every parameter by -0.5 times its gradient", rtol=1e-12,
        )  # fmt: skip
