"""The optimisers must do what momentum and Adam are defined to do, step after step.

Hand-worked steps (the first and the second), closed forms on a constant gradient (a geometric
series for momentum, a step of exactly lr for Adam), convergence on an elongated quadratic bowl,
and the delivery-time regression they train.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_gradient_matches, assert_inputs_untouched


@pytest.fixture(scope="module")
def optimisers(kata):
    return kata("optimisers")


def run_steps(optimiser, params, grads_of, steps):
    """Apply `steps` steps; grads_of(params) gives each step's gradients. Returns the path."""
    path = [{k: np.array(v, dtype=float) for k, v in params.items()}]
    for _ in range(steps):
        optimiser.step(params, grads_of(params))
        path.append({k: np.array(v, dtype=float) for k, v in params.items()})
    return path


def test_momentum_step_by_hand(optimisers):
    params = {"w": np.array([1.0, -2.0]), "b": np.array([0.5])}
    optimisers.Momentum(lr=0.1, momentum=0.9).step(
        params, {"w": np.array([2.0, 4.0]), "b": np.array([-1.0])}
    )
    assert_close(params["w"], [0.8, -2.4], "w after one Momentum(lr=0.1) step with gradient (2, 4)")
    assert_close(params["b"], [0.6], "b after one Momentum(lr=0.1) step with gradient -1")


def test_momentum_velocity_accumulates_on_a_constant_gradient(optimisers):
    g = {"w": np.array([1.0, -2.0, 0.5]), "b": np.array([3.0])}
    params = {"w": np.zeros(3), "b": np.zeros(1)}
    path = run_steps(optimisers.Momentum(lr=0.1, momentum=0.9), params, lambda p: g, 5)
    for k in range(1, 6):
        # velocity after j steps is g (1 - 0.9^j) / (1 - 0.9); the moves add up.
        factor = sum((1 - 0.9**j) / (1 - 0.9) for j in range(1, k + 1))
        for name in ("w", "b"):
            assert_close(
                path[k][name], -0.1 * factor * g[name],
                f"{name} after {k} Momentum(lr=0.1, momentum=0.9) steps on a constant gradient",
                "the heavy ball does not speed up on a constant slope",
                rtol=1e-12,
            )  # fmt: skip


def test_a_new_optimiser_starts_from_rest(optimisers):
    g = {"w": np.array([1.0, 1.0])}
    first = optimisers.Momentum(lr=0.1)
    run_steps(first, {"w": np.zeros(2)}, lambda p: g, 10)
    params = {"w": np.zeros(2)}
    optimisers.Momentum(lr=0.1).step(params, g)
    assert_close(
        params["w"], [-0.1, -0.1], "the first step of a new Momentum optimiser",
        "a new optimiser must not inherit velocity from another optimiser",
    )  # fmt: skip


def test_adam_step_size_is_lr_whatever_the_gradient_scale(optimisers):
    params = {"w": np.array([1.0, 1.0, 1.0, 1.0])}
    optimisers.Adam(lr=0.01).step(params, {"w": np.array([1e-3, -1.0, 1e3, -50.0])})
    assert_close(
        params["w"], 1.0 - 0.01 * np.array([1.0, -1.0, 1.0, -1.0]),
        "w after one Adam(lr=0.01) step with gradients (1e-3, -1, 1e3, -50)",
        "Adam's bias-corrected first step is lr * sign(gradient), whatever its size",
        rtol=1e-5,
    )  # fmt: skip


def test_adam_steps_by_hand(optimisers):
    params = {"x": np.array([0.0])}
    gradients = iter([{"x": np.array([1.0])}, {"x": np.array([-1.0])}])
    path = run_steps(optimisers.Adam(lr=0.01), params, lambda p: next(gradients), 2)
    # m2 = 0.9 * 0.1 - 0.1 = -0.01, v2 = 0.999 * 0.001 + 0.001 = 0.001999;
    # m_hat = -0.01 / 0.19, v_hat = 0.001999 / 0.001999 = 1: the second step is +0.01 * 0.01 / 0.19.
    expected = -0.01 + 0.01 * 0.01 / 0.19
    assert_close(
        path[2]["x"], [expected], "x after Adam(lr=0.01) steps with gradients +1 then -1",
        "Adam's second step is not the one its definition gives for these two gradients",
        rtol=1e-6,
    )  # fmt: skip


def test_adam_moves_by_lr_at_every_step_on_a_constant_gradient(optimisers):
    params = {"x": np.array([0.0, 0.0])}
    path = run_steps(optimisers.Adam(lr=0.01), params, lambda p: {"x": np.array([2.0, -0.5])}, 6)
    moves = np.array([path[k + 1]["x"] - path[k]["x"] for k in range(6)])  # (6, 2)
    assert_close(
        moves, np.tile([-0.01, 0.01], (6, 1)), "Adam(lr=0.01)'s six moves on a constant gradient",
        "on a constant gradient Adam should move each parameter by exactly lr at every step",
        rtol=1e-5,
    )  # fmt: skip


def bowl(p):
    """An elongated quadratic bowl 0.5 * (x^2 + 100 y^2): its gradient."""
    return {"x": np.array([1.0, 100.0]) * p["x"]}


@pytest.mark.parametrize(
    "make, steps",
    [(lambda o: o.Momentum(lr=0.01, momentum=0.9), 300), (lambda o: o.Adam(lr=0.05), 500)],
    ids=["momentum", "adam"],
)
def test_optimiser_converges_on_an_elongated_bowl(optimisers, make, steps):
    params = {"x": np.array([1.0, 1.0])}
    run_steps(make(optimisers), params, bowl, steps)
    assert np.max(np.abs(params["x"])) < 1e-4, (
        f"after {steps} steps on 0.5 * (x^2 + 100 y^2) from (1, 1) the optimiser is at "
        f"{params['x']}; it should be within 1e-4 of the minimum (0, 0)"
    )


def test_momentum_fits_the_delivery_regression(optimisers):
    X, y = optimisers.make_deliveries(200, seed=0)
    params, _ = optimisers.fit_linear(X, y, optimisers.Momentum(lr=0.01), epochs=400)
    best = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    assert_close(
        np.concatenate([params["w"], params["b"]]), best,
        "(w, b) after 400 Momentum(lr=0.01) epochs on the delivery times",
        "training stopped short of the least-squares fit", rtol=1e-3,
    )  # fmt: skip


def test_mse_gradients_match_finite_differences(optimisers):
    X, y = optimisers.make_deliveries(30, seed=2)
    params = {"w": np.array([2.0, 1.0]), "b": np.array([3.0])}
    _, grads = optimisers.mse_gradients(params, X, y)
    for name in ("w", "b"):
        assert_gradient_matches(
            lambda v, name=name: optimisers.mse_gradients({**params, name: v}, X, y)[0],
            grads[name], params[name], what=f"mse_gradients' {name!r}",
        )  # fmt: skip


def test_fit_linear_records_the_loss_before_each_step_and_leaves_the_data_alone(optimisers):
    X, y = optimisers.make_deliveries(50, seed=3)
    _, history = assert_inputs_untouched(
        lambda X, y: optimisers.fit_linear(X, y, optimisers.Momentum(lr=0.01), epochs=7), X, y,
        what="fit_linear(X, y, Momentum(lr=0.01), epochs=7)",
    )  # fmt: skip
    assert np.shape(history) == (7,), f"fit_linear(epochs=7) recorded {np.shape(history)} losses"
    assert_close(
        history[0], 0.5 * np.mean(y**2), "the first recorded loss of fit_linear",
        "training starts from w = 0, b = 0, whose loss is half the mean squared target",
        rtol=1e-12,
    )  # fmt: skip


def test_momentum_keeps_a_separate_velocity_for_each_optimiser_and_parameter(optimisers):
    first, second = optimisers.Momentum(lr=0.1), optimisers.Momentum(lr=0.1)
    p1, p2 = {"w": np.zeros(2), "b": np.zeros(1)}, {"w": np.zeros(2), "b": np.zeros(1)}
    for _ in range(3):
        first.step(p1, {"w": np.array([1.0, 1.0]), "b": np.array([-1.0])})
        second.step(p2, {"w": np.array([-1.0, 0.0]), "b": np.array([2.0])})
    # three steps on a constant gradient g move by -0.1 * (1 + 1.9 + 2.71) * g
    assert_close(p1["w"], [-0.561, -0.561], "w of the first optimiser after three steps")
    assert_close(p1["b"], [0.561], "b of the first optimiser after three steps")
    assert_close(p2["w"], [0.561, 0.0], "w of the second optimiser after three steps")
    assert_close(p2["b"], [-1.122], "b of the second optimiser after three steps")


def test_fit_linear_takes_the_optimisers_step_from_zero(optimisers):
    X, y = optimisers.make_deliveries(40, seed=4)
    params, _ = optimisers.fit_linear(X, y, optimisers.Momentum(lr=0.01, momentum=0.0), epochs=1)
    # From zero the residual is -y: one plain step moves w by 0.01 * X.T y / n and b by 0.01 * mean(y).
    assert_close(params["w"], 0.01 * X.T @ y / len(y), "w after one fit_linear step", rtol=1e-12)
    assert_close(params["b"], [0.01 * y.mean()], "b after one fit_linear step", rtol=1e-12)


@pytest.mark.edge
def test_adam_leaves_a_parameter_with_zero_gradient_where_it_is(optimisers):
    params = {"w": np.array([0.5, 0.5])}
    adam = optimisers.Adam(lr=0.1)
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        for _ in range(3):
            adam.step(params, {"w": np.array([0.0, 1.0])})
    assert params["w"][0] == 0.5 and np.isfinite(params["w"]).all(), (
        f"after three Adam steps in which the first parameter's gradient was 0 it is "
        f"{params['w'][0]}: a parameter the loss does not depend on should not move"
    )
