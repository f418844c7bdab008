"""The bearing-fault network must backpropagate the gradient of the log-loss it reports.

Every parameter's gradient is checked against finite differences of log_loss at random points;
training must lower the loss at every small step and solve XOR; the reported accuracies must be
those of the returned network.
"""

import math

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_finite,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_reproducible,
    assert_unchanged,
)

PARAMS = ["W1", "b1", "W2", "b2"]


@pytest.fixture(scope="module")
def network(kata):
    return kata("network")


def point(scale, seed=0, n=20, d=2, h=5):
    """Inputs, labels and a parameter point whose weights have the given scale."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, (n, d))
    y = (rng.random(n) < 0.5).astype(float)
    params = {
        "W1": scale * rng.normal(size=(d, h)),
        "b1": scale * rng.normal(size=h),
        "W2": scale * rng.normal(size=h),
        "b2": float(scale * rng.normal()),
    }
    return X, y, params


def check(network, X, y, params, name, what):
    grads = network.gradients(params, X, y)

    def loss(value):
        return network.log_loss({**params, name: value}, X, y)

    value = np.asarray(params[name], dtype=float)
    assert_gradient_matches(loss, grads[name], value, what=what)


@pytest.mark.parametrize("name", PARAMS)
def test_gradient_matches_finite_differences(network, name):
    # Near initialisation and at weights of the size training reaches.
    for scale, seed, where in ((0.01, 1, "near initialisation"), (1.5, 2, "mid-training")):
        X, y, params = point(scale=scale, seed=seed)
        if scale > 1:
            z1 = X @ params["W1"] + params["b1"]
            assert np.mean(np.abs(z1) > 1.0) > 0.3, "the second point is not where training goes"
        check(network, X, y, params, name, f"gradients(...)[{name!r}] at weights met {where}")


def test_loss_decreases_at_every_small_step(network):
    X, y = network.make_bearings(60, seed=3)
    _, history = network.fit(X, y, n_hidden=6, lr=0.3, epochs=150, seed=3)
    assert_decreasing(
        history, "the loss history of fit(lr=0.3, epochs=150) on 60 shafts",
        "each small gradient step should lower the log-loss",
    )  # fmt: skip


def test_network_solves_xor(network):
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    X, y = np.repeat(corners, 5, axis=0), np.repeat([0.0, 1.0, 1.0, 0.0], 5)
    params, history = network.fit(X, y, n_hidden=4, lr=1.0, epochs=400, seed=1)
    assert_finite(history, "the loss history of fit on the four XOR corners")
    labels = (network.predict_proba(params, corners) >= 0.5).astype(float)
    assert np.array_equal(labels, [0, 1, 1, 0]) and history[-1] < 0.1, (
        f"after fit on the four XOR corners the network labels them {labels} with final loss "
        f"{history[-1]:.4g}; a two-layer network should get [0, 1, 1, 0] with a loss near 0"
    )


def test_held_out_fault_detection(network):
    result = network.run_pipeline(seed=0)
    assert result["test_accuracy"] >= 0.8, (
        f"run_pipeline: held-out accuracy {result['test_accuracy']:.3f}, training accuracy "
        f"{result['train_accuracy']:.3f}, final loss {result['loss_history'][-1]:.4g}; the "
        "faults are an XOR of the two bearings, which this network separates to about 0.9"
    )


def test_log_loss_of_hand_worked_cases(network):
    X, y, params = point(scale=0.0, seed=4)
    assert network.log_loss(params, X, y) == pytest.approx(math.log(2), rel=1e-12), (
        "with every parameter 0 the network says 0.5 everywhere: the log-loss should be log(2)"
    )
    X, y, params = point(scale=1.0, seed=5)
    p = network.predict_proba(params, X)
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    got = network.log_loss(params, X, y)
    assert got == pytest.approx(expected, rel=1e-9), f"log_loss {got:.6f}, formula {expected:.6f}"


def test_predict_proba_is_the_sigmoid_of_the_logits(network):
    X, _, params = point(scale=1.0, seed=6)
    logits = network.forward(params, X)["logits"]
    assert_close(
        network.predict_proba(params, X), 1.0 / (1.0 + np.exp(-logits)),
        "predict_proba", "probabilities should be sigmoid(logits)", rtol=1e-12,
    )  # fmt: skip


def test_forward_caches_hidden_values_of_the_right_shape(network):
    X, _, params = point(scale=1.0, seed=7, n=9, h=5)
    cache = network.forward(params, X)
    assert np.shape(cache["z1"]) == (9, 5) and np.shape(cache["logits"]) == (9,), (
        f"forward on 9 rows with 5 hidden units gave z1 {np.shape(cache['z1'])} and logits "
        f"{np.shape(cache['logits'])}; expected (9, 5) and (9,)"
    )
    assert_close(cache["a1"], np.tanh(cache["z1"]), "forward's a1", "a1 should be tanh(z1)")


def test_reported_accuracies_are_those_of_the_returned_network(network):
    result = network.run_pipeline(n_rows=120, n_test=30, epochs=60, seed=4)
    X, y = network.make_bearings(120, 4)
    params = result["params"]
    hidden = np.tanh(X @ params["W1"] + params["b1"])
    labels = (hidden @ params["W2"] + params["b2"] >= 0).astype(float)
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[:-30], labels[:-30]),
            "test_accuracy": accuracy(y[-30:], labels[-30:]),
        },
        "run_pipeline(n_rows=120, n_test=30)",
    )


def test_the_network_is_trained_on_the_training_shafts_only(network):
    result = network.run_pipeline(n_rows=120, n_test=30, epochs=40, seed=5)
    X, y = network.make_bearings(120, 5)
    params, history = network.fit(X[:-30], y[:-30], 8, 1.0, 40, seed=5)
    assert_unchanged(
        {"params": result["params"], "loss": result["loss_history"]},
        {"params": params, "loss": history},
        "run_pipeline",
        "the returned network is not the one fit trains on the first 90 shafts alone",
    )


def test_run_pipeline_is_reproducible_and_follows_its_seed(network):
    assert_reproducible(
        lambda seed: network.run_pipeline(n_rows=80, n_test=20, epochs=5, seed=seed)["params"],
        "the network run_pipeline(epochs=5) returns",
    )
    assert np.shape(network.run_pipeline()["loss_history"]) == (500,), (
        "run_pipeline with its defaults does not record the 500 steps the brief promises"
    )


def test_fit_leaves_the_callers_arrays_untouched(network):
    X, y = network.make_bearings(40, seed=6)
    assert_inputs_untouched(lambda X, y: network.fit(X, y, epochs=5), X, y, what="fit(X, y)")


def test_loss_history_ends_at_the_loss_of_the_returned_network(network):
    X, y = network.make_bearings(40, seed=7)
    params, history = network.fit(X, y, n_hidden=4, lr=0.5, epochs=15, seed=7)
    final = network.log_loss(params, X, y)
    assert float(history[-1]) == pytest.approx(final, rel=1e-12), (
        f"the last entry of fit's loss history is {float(history[-1])!r}, but log_loss of the "
        f"returned network is {final!r}: the history does not describe the returned network"
    )


@pytest.mark.edge
def test_probabilities_and_loss_are_finite_for_logits_of_1000(network):
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    params = {
        "W1": np.array([[10.0], [0.0]]),
        "b1": np.zeros(1),
        "W2": np.array([1000.0]),
        "b2": 0.0,
    }
    # tanh(+-10) is +-1 to 8 digits: logits of about +1000 and -1000.
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        probs = network.predict_proba(params, X)
        right = network.log_loss(params, X, np.array([1.0, 0.0]))
        wrong = network.log_loss(params, X, np.array([0.0, 1.0]))
    assert_close(probs, [1.0, 0.0], "predict_proba at logits of about +-1000", atol=1e-12)
    assert 0.0 <= right < 1e-6 and wrong == pytest.approx(1000.0, rel=1e-3), (
        f"log_loss at logits of about +-1000 is {right} when every label is right and {wrong} "
        "when every label is wrong; expected about 0 and about 1000"
    )
