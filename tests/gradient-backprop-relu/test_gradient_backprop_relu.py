"""The sensor-calibration network must backpropagate the gradient of the loss it reports.

Every parameter of every Dense layer is checked against finite differences of mse_loss, for
networks with one and with two hidden layers, at points where many ReLU units are switched off.
The layers' own forward and backward rules and the training run are pinned down too.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_reproducible,
    assert_unchanged,
    perturb_rows,
    r2,
    rmse,
)


@pytest.fixture(scope="module")
def network(kata):
    return kata("network")


def dense_layers(network, layers):
    return [layer for layer in layers if isinstance(layer, network.Dense)]


def small_problem(n=12, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=n)


ARCHITECTURES = pytest.mark.parametrize(
    "hidden",
    [(6,), (6, 6), (6, 4), (6, 6, 6)],
    ids=["widths_6", "widths_6_6", "widths_6_4", "widths_6_6_6"],
)


@ARCHITECTURES
def test_every_parameter_gradient_matches_finite_differences(network, hidden):
    X, y = small_problem(seed=len(hidden))
    layers = network.build_network(4, hidden, seed=3)
    for layer in dense_layers(network, layers):
        layer.b = np.random.default_rng(7).normal(0.0, 0.5, layer.b.shape)
    off = float(np.mean(layers[0].forward(X) <= 0))
    assert 0.2 < off < 0.8, f"{off:.0%} of first-layer units are off; the check needs a mix"
    network.backward(layers, X, y)
    for i, layer in enumerate(dense_layers(network, layers)):
        for name in ("W", "b"):
            value = getattr(layer, name).copy()

            def loss(param, layer=layer, name=name):
                setattr(layer, name, param)
                return network.mse_loss(layers, X, y)

            analytic = getattr(layer, f"grad_{name}").copy()
            try:
                assert_gradient_matches(
                    loss, analytic, value,
                    what=f"grad_{name} of Dense layer {i} (of {len(hidden) + 1}) in a network "
                    f"with hidden widths {hidden}",
                )  # fmt: skip
            finally:
                setattr(layer, name, value)


def test_relu_layer_passes_gradient_only_where_the_input_was_positive(network):
    relu = network.ReLU()
    z = np.array([[-2.0, 0.5], [3.0, -0.1]])
    assert_close(relu.forward(z), [[0.0, 0.5], [3.0, 0.0]], "ReLU().forward(z)")
    grad = relu.backward(np.array([[10.0, 20.0], [30.0, 40.0]]))
    assert_close(grad, [[0.0, 20.0], [30.0, 0.0]], "ReLU().backward after forward(z)")


def test_dense_layer_backward_by_hand(network):
    layer = network.Dense(2, 1, np.random.default_rng(0))
    layer.W, layer.b = np.array([[2.0], [-1.0]]), np.array([0.5])
    out = layer.forward(np.array([[1.0, 3.0], [0.0, 1.0]]))
    assert_close(out, [[-0.5], [-0.5]], "Dense.forward with W = [2, -1], b = 0.5")
    grad_in = layer.backward(np.array([[1.0], [2.0]]))
    assert_close(layer.grad_W, [[1.0], [5.0]], "Dense.grad_W = X.T @ grad_out")
    assert_close(layer.grad_b, [3.0], "Dense.grad_b = grad_out summed over rows")
    assert_close(grad_in, [[2.0, -1.0], [4.0, -2.0]], "Dense.backward's input gradient")


def test_backward_returns_the_loss_it_differentiates(network):
    X, y = small_problem(seed=5)
    layers = network.build_network(4, (6, 6), seed=1)
    assert network.backward(layers, X, y) == pytest.approx(network.mse_loss(layers, X, y)), (
        "backward(layers, X, y) returned a loss different from mse_loss(layers, X, y)"
    )


@pytest.mark.parametrize("n", [1, 7])
def test_predict_gives_one_value_per_row(network, n):
    layers = network.build_network(4, (6, 6), seed=0)
    out = network.predict(layers, np.ones((n, 4)))
    assert np.shape(out) == (n,), f"predict on {n} row(s) returned shape {np.shape(out)}"


def test_loss_decreases_with_a_small_step(network):
    X, y = small_problem(n=40, seed=6)
    layers = network.build_network(4, (8, 8), seed=2)
    history = network.fit(layers, X, y, lr=0.01, epochs=40)
    assert_decreasing(history, "the loss history of fit(lr=0.01, epochs=40)")


def test_two_hidden_layers_calibrate_the_sensor(network):
    result = network.run_pipeline(network.make_readings(300, seed=0), hidden=(16, 16))
    assert result["test_r2"] > 0.88, (
        f"run_pipeline with hidden widths (16, 16): held-out R^2 = {result['test_r2']:.4f}, "
        f"RMSE {result['test_rmse']:.3f} ppb; the same data give R^2 = 0.90 with a single hidden "
        "layer of 16, and a deeper network trained correctly does at least as well"
    )


@pytest.fixture(scope="module")
def readings(network):
    return network.make_readings(300, seed=0)


def parameters(network, layers):
    return [(layer.W, layer.b) for layer in dense_layers(network, layers)]


def test_reported_error_is_that_of_the_returned_network(network, readings):
    result = network.run_pipeline(readings, hidden=(6,), epochs=60)  # the last 75 hours held out
    X = readings[network.FEATURES].to_numpy(dtype=float)
    y = readings[network.TARGET].to_numpy(dtype=float)
    mean, scale = X[:-75].mean(axis=0), X[:-75].std(axis=0)
    out = (X[-75:] - mean) / scale
    for layer in result["layers"]:
        out = out @ layer.W + layer.b if isinstance(layer, network.Dense) else np.maximum(out, 0)
    predicted = y[:-75].mean() + y[:-75].std() * out[:, 0]
    assert_figures(
        result,
        {"test_rmse": rmse(y[-75:], predicted), "test_r2": r2(y[-75:], predicted)},
        "run_pipeline(300 readings)",
    )


def test_fitted_network_ignores_the_held_out_hours(network, readings):
    before = network.run_pipeline(readings, hidden=(6,), epochs=30)
    after = network.run_pipeline(
        perturb_rows(readings, readings.index[-75:]), hidden=(6,), epochs=30
    )
    assert_unchanged(
        {"parameters": parameters(network, before["layers"]), "loss": before["loss_history"]},
        {"parameters": parameters(network, after["layers"]), "loss": after["loss_history"]},
        "run_pipeline",
        "the network changed although only the 75 held-out hours changed: they reach training",
    )


def test_run_pipeline_defaults_train_400_steps_and_follow_the_seed(network, readings):
    assert np.shape(network.run_pipeline(readings)["loss_history"]) == (400,), (
        "run_pipeline with its defaults does not record the 400 training steps the brief promises"
    )
    assert_reproducible(
        lambda seed: network.run_pipeline(readings, hidden=(6,), seed=seed, epochs=5)["test_rmse"],
        "the held-out RMSE of run_pipeline(hidden=(6,), epochs=5)",
    )


def test_run_pipeline_leaves_the_callers_table_untouched(network, readings):
    assert_inputs_untouched(
        lambda df: network.run_pipeline(df, hidden=(6,), epochs=3), readings.copy(),
        what="run_pipeline(readings)",
    )  # fmt: skip


def test_fit_takes_plain_gradient_steps_and_records_the_loss_before_each(network):
    X, y = small_problem(n=20, seed=8)
    layers = network.build_network(4, (5,), seed=4)
    start = [(layer.W.copy(), layer.b.copy()) for layer in dense_layers(network, layers)]
    first_loss = network.mse_loss(layers, X, y)
    network.backward(layers, X, y)
    grads = [(layer.grad_W.copy(), layer.grad_b.copy()) for layer in dense_layers(network, layers)]
    history = network.fit(layers, X, y, lr=0.05, epochs=1)
    assert float(history[0]) == pytest.approx(first_loss, rel=1e-12), (
        f"fit's first recorded loss is {float(history[0])!r}; the loss of the starting network "
        f"is {first_loss!r}"
    )
    for i, (layer, (W, b), (gW, gb)) in enumerate(
        zip(dense_layers(network, layers), start, grads, strict=True)
    ):
        assert_close(layer.W, W - 0.05 * gW, f"Dense layer {i}'s W after one fit step", rtol=1e-12)
        assert_close(layer.b, b - 0.05 * gb, f"Dense layer {i}'s b after one fit step", rtol=1e-12)


def test_shifting_a_feature_or_the_target_by_a_constant_changes_nothing(network, readings):
    before = network.run_pipeline(readings, hidden=(6,), epochs=30)
    shifted = readings.assign(
        no2_we_mv=readings["no2_we_mv"] + 1e7,  # voltages logged against another zero
        no2_ppb=readings["no2_ppb"] + 1e8,
    )
    after = network.run_pipeline(shifted, hidden=(6,), epochs=30)
    for key in ("test_rmse", "test_r2"):
        assert after[key] == pytest.approx(before[key], rel=1e-6), (
            f"run_pipeline's {key} went from {before[key]:.6f} to {after[key]:.6f} when a "
            "voltage and the reference were logged against another zero: standardising should "
            "remove any constant offset"
        )
