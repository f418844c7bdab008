"""The part-inspection network must use all of its hidden units.

The hidden units must differ from the start and after training, runs must be reproducible from a
seed, and the network must solve an XOR, which no single unit can. The rest pin down
backpropagation and the pipeline around it.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_decreasing,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    perturb_rows,
)

SEED = 0


@pytest.fixture(scope="module")
def network(kata):
    return kata("network")


@pytest.fixture(scope="module")
def parts(network):
    df = network.make_parts(n_rows=160, seed=SEED)
    return df[network.FEATURES].to_numpy(dtype=float), df[network.TARGET].to_numpy(dtype=float)


@pytest.fixture(scope="module")
def trained(network, parts):
    return network.train(*parts, n_hidden=8, seed=SEED)


def distinct_columns(W, decimals=6):
    return len({tuple(col) for col in np.round(np.asarray(W), decimals).T})


def test_initial_hidden_units_differ(network):
    params = network.init_params(2, 8, np.random.default_rng(SEED))
    n = distinct_columns(params["W1"])
    assert n == 8, (
        f"init_params(2, 8, rng) gave the 8 hidden units only {n} different incoming weight "
        "vector(s)"
    )


def test_initialisation_is_reproducible_with_a_seed(network):
    first = network.init_params(2, 8, np.random.default_rng(7))
    again = network.init_params(2, 8, np.random.default_rng(7))
    for name in first:
        assert np.array_equal(first[name], again[name]), (
            f"init_params with the same seed gave a different {name}: runs cannot be reproduced"
        )


def test_initialisation_depends_on_the_seed(network):
    a = network.init_params(2, 8, np.random.default_rng(1))["W1"]
    b = network.init_params(2, 8, np.random.default_rng(2))["W1"]
    assert not np.allclose(a, b), (
        "init_params with seeds 1 and 2 gave the same W1: the initial weights ignore the random "
        "generator, so every run starts from the same point"
    )


def test_hidden_units_differ_after_training(trained):
    params, _ = trained
    n = distinct_columns(params["W1"], decimals=4)
    assert n == 8, (
        f"after training, the 8 hidden units have only {n} different incoming weight vector(s): "
        "the network behaves like a network with that many hidden units"
    )


def test_network_solves_xor(network, parts, trained):
    X, y = parts
    params, _ = trained
    acc = network.accuracy(y, network.predict(params, X))
    assert acc > 0.95, (
        f"training accuracy on the XOR-shaped parts is {acc:.3f}; a single straight line (one hidden "
        "unit) gets about three of the four clusters right (about 0.75); two or more units that "
        "differ get about 1"
    )


def test_held_out_parts_are_classified(network):
    result = network.run_pipeline(network.make_parts(n_rows=200, seed=SEED))
    assert result["test_accuracy"] > 0.9, (
        f"held-out accuracy {result['test_accuracy']:.3f} on XOR-shaped parts: the network has "
        "not learned a boundary that needs two or more hidden units"
    )


@pytest.mark.parametrize("n", [1, 12])
def test_gradients_match_finite_differences(network, n):
    rng = np.random.default_rng(n)
    X, y = rng.normal(size=(n, 2)), (rng.random(n) < 0.5).astype(float)
    params = {
        "W1": rng.normal(size=(2, 4)),
        "b1": rng.normal(size=4),
        "W2": rng.normal(size=4),
        "b2": float(rng.normal()),
    }
    _, grads = network.loss_and_grads(params, X, y)
    for name, value in params.items():

        def loss_at(v, name=name):
            return network.loss_and_grads({**params, name: v}, X, y)[0]

        assert_gradient_matches(loss_at, grads[name], np.asarray(value), f"the gradient of {name}")


def test_loss_decreases_during_training(trained):
    _, history = trained
    assert_decreasing(history[:200], "the training loss over the first 200 epochs", slack=1e-9)


def test_predict_returns_one_label_per_row(network, trained):
    labels = np.asarray(network.predict(trained[0], np.zeros((5, 2))))
    assert labels.shape == (5,) and set(np.unique(labels)) <= {0, 1}


@pytest.fixture(scope="module")
def table(network):
    return network.make_parts(n_rows=200, seed=SEED)


def test_split_is_a_seeded_shuffled_partition(network):
    assert_seeded_split(lambda seed: network.train_test_split(200, 0.25, seed), 200, 50)


def test_reported_accuracies_are_those_of_the_returned_network(network, table):
    result = network.run_pipeline(table, 0.25, seed=2)
    X = table[network.FEATURES].to_numpy(dtype=float)
    y = table[network.TARGET].to_numpy()
    train_idx, test_idx = network.train_test_split(len(table), 0.25, 2)
    p = result["params"]
    labels = (np.tanh(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"] > 0).astype(int)
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[train_idx], labels[train_idx]),
            "test_accuracy": accuracy(y[test_idx], labels[test_idx]),
        },
        "run_pipeline(200 parts, seed=2)",
    )
    assert len(result["loss_history"]) == 800, (
        f"run_pipeline recorded {len(result['loss_history'])} losses; the brief promises 800 epochs"
    )


def test_the_network_ignores_the_held_out_parts(network, table):
    _, test_idx = network.train_test_split(len(table), 0.25, SEED)
    before = network.run_pipeline(table, 0.25, SEED)
    after = network.run_pipeline(
        perturb_rows(table, table.index[test_idx], network.FEATURES), 0.25, SEED
    )
    assert_unchanged(
        before["params"], after["params"], "run_pipeline's params",
        "the network changed although only the held-out parts changed: they reach training",
    )  # fmt: skip


def test_run_pipeline_is_reproducible_and_follows_its_seed(network, table):
    assert_reproducible(
        lambda seed: network.run_pipeline(table, 0.25, seed)["params"],
        "the network run_pipeline returns",
    )


def test_train_leaves_the_callers_arrays_untouched(network, parts):
    X, y = parts
    assert_inputs_untouched(
        lambda X, y: network.train(X, y, epochs=3), X.copy(), y.copy(), what="train(X, y)"
    )


def test_a_part_at_exactly_one_half_is_not_called_defective(network):
    params = {"W1": np.zeros((2, 3)), "b1": np.zeros(3), "W2": np.zeros(3), "b2": 0.0}
    labels = network.predict(params, np.ones((4, 2)))
    assert np.array_equal(labels, [0, 0, 0, 0]), (
        f"a network whose defect probability is exactly 0.5 labels parts {labels.tolist()}; "
        "predict documents 1 only where the probability is above one half"
    )


@pytest.mark.edge
def test_loss_and_gradients_are_finite_for_logits_of_1000(network):
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    params = {
        "W1": np.array([[10.0], [0.0]]),
        "b1": np.zeros(1),
        "W2": np.array([1000.0]),
        "b2": 0.0,
    }
    # tanh(+-10) is +-1 to 8 digits: logits of about +1000 and -1000, both labels wrong.
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, grads = network.loss_and_grads(params, X, np.array([0.0, 1.0]))
    assert loss == pytest.approx(1000.0, rel=1e-3), (
        f"the loss is {loss} for two parts given logits of about +-1000 on the wrong side; "
        "each is wrong by about 1000 nats"
    )
    assert_gradient_matches(
        lambda b: network.loss_and_grads({**params, "b2": float(b)}, X, np.array([0.0, 1.0]))[0],
        grads["b2"], np.array(0.0), "the gradient of b2 at logits of about +-1000",
    )  # fmt: skip
