"""The reported test MSE must be an untouched held-out score.

Changing only the test cells must move neither the stopping epoch nor the returned network, and
the reported test MSE must be that of the network the pipeline returns.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_partition,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    perturb_rows,
    with_shuffled_index,
)

SEED = 0
EPOCHS = 150


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def cells(pipeline):
    return with_shuffled_index(pipeline.make_batteries(n_rows=160, seed=SEED))


@pytest.fixture(scope="module")
def result(pipeline, cells):
    return pipeline.run_pipeline(cells, SEED, EPOCHS)


def split(pipeline, df):
    return pipeline.three_way_split(len(df), seed=SEED)


def arrays(pipeline, df):
    return df[pipeline.FEATURES].to_numpy(dtype=float), df[pipeline.TARGET].to_numpy(dtype=float)


@pytest.mark.parametrize("factor, shift", [(100.0, 1000.0), (-1.0, 0.0)])
def test_stopping_epoch_ignores_the_test_cells(pipeline, cells, result, factor, shift):
    test_rows = cells.index[split(pipeline, cells)[2]]
    changed = perturb_rows(cells, test_rows, [pipeline.TARGET], factor, shift)
    after = pipeline.run_pipeline(changed, SEED, EPOCHS)
    assert after["best_epoch"] == result["best_epoch"], (
        f"training stopped at epoch {result['best_epoch']}, and at epoch {after['best_epoch']} "
        f"after only the test cells' capacity fade changed (x{factor:g} {shift:+g})"
    )


def test_trained_network_ignores_the_test_cells(pipeline, cells, result):
    test_rows = cells.index[split(pipeline, cells)[2]]
    after = pipeline.run_pipeline(perturb_rows(cells, test_rows), SEED, EPOCHS)
    assert_unchanged(
        result["params"],
        after["params"],
        what="the returned network",
        meaning="only the 40 test cells changed, and the network is never trained on them",
    )


def test_test_mse_matches_a_network_that_never_saw_the_test_cells(pipeline, cells, result):
    X, y = arrays(pipeline, cells)
    train_idx, val_idx, test_idx = split(pipeline, cells)
    monitored = [(X[train_idx], y[train_idx]), (X[val_idx], y[val_idx])]
    params, _, best_epoch = pipeline.train_mlp(X[train_idx], y[train_idx], monitored, EPOCHS)
    expected = pipeline.mse(y[test_idx], pipeline.forward(params, X[test_idx]))
    assert_close(
        result["test_mse"],
        expected,
        what="run_pipeline's test_mse",
        meaning=f"the same network stopped on the validation cells (epoch {best_epoch}) scores "
        "this on the test cells",
    )


def test_returned_network_is_the_best_monitored_epoch(pipeline, cells):
    X, y = arrays(pipeline, cells)
    train_idx, val_idx, _ = split(pipeline, cells)
    monitored = [(X[train_idx], y[train_idx]), (X[val_idx], y[val_idx])]
    params, history, best_epoch = pipeline.train_mlp(X[train_idx], y[train_idx], monitored, 120)
    val_mse = pipeline.mse(y[val_idx], pipeline.forward(params, X[val_idx]))
    assert_close(
        val_mse, history[:, -1].min(), what="validation MSE of the returned network", rtol=1e-9
    )
    assert history[best_epoch, -1] == history[:, -1].min(), (
        f"train_mlp reports epoch {best_epoch} as the best, with validation MSE "
        f"{history[best_epoch, -1]:.4f}; the lowest is {history[:, -1].min():.4f}"
    )


def test_training_loss_decreases_every_epoch(pipeline, cells):
    X, y = arrays(pipeline, cells)
    train_idx = split(pipeline, cells)[0]
    _, history, _ = pipeline.train_mlp(
        X[train_idx], y[train_idx], [(X[train_idx], y[train_idx])], 100
    )
    assert_decreasing(
        history[:, 0], "the training MSE", "full-batch gradient descent with a small step"
    )


def test_gradients_match_finite_differences(pipeline):
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(7, 3)), rng.normal(size=7)
    params = pipeline.init_params(3, hidden=4, seed=1)
    params["b1"] = rng.normal(size=4)
    params["b2"] = 0.3
    grads = pipeline.mse_gradients(params, X, y)
    for name in ("W1", "b1", "W2", "b2"):

        def loss(value, name=name):
            return pipeline.mse(y, pipeline.forward({**params, name: value}, X))

        assert_gradient_matches(loss, grads[name], params[name], what=f"mse_gradients[{name!r}]")


def test_three_way_split_is_shuffled_seeded_and_reproducible(pipeline):
    train_idx, val_idx, test_idx = pipeline.three_way_split(160, seed=5)
    together = np.sort(np.concatenate([train_idx, val_idx, test_idx]))
    assert np.array_equal(together, np.arange(160)), (
        "the training, validation and test rows together are not each of the 160 rows once"
    )
    assert (len(train_idx), len(val_idx), len(test_idx)) == (80, 40, 40), (
        f"three_way_split(160) gave sizes {len(train_idx)}, {len(val_idx)}, {len(test_idx)}; "
        "its defaults hold out a quarter for validation and a quarter for testing"
    )

    def split_off(which):
        def split(seed):
            parts = pipeline.three_way_split(160, 0.25, 0.25, seed)
            rest = [p for i, p in enumerate(parts) if i != which]
            return np.concatenate(rest), parts[which]

        return split

    assert_seeded_split(split_off(2), 160, 40)
    assert_seeded_split(split_off(1), 160, 40)
    default = pipeline.three_way_split(160)
    explicit = pipeline.three_way_split(160, 0.25, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "three_way_split(160) differs from three_way_split(160, 0.25, 0.25, 0), its defaults"
    )
    train_idx, val_idx, test_idx = pipeline.three_way_split(100, 0.1, 0.3, 1)
    assert (len(val_idx), len(test_idx)) == (10, 30), (
        f"three_way_split(100, val_size=0.1, test_size=0.3) gave {len(val_idx)} validation and "
        f"{len(test_idx)} test rows"
    )
    assert_partition(np.concatenate([train_idx, val_idx]), test_idx, 100, 30)


@pytest.mark.parametrize("seed", [0, 1])
def test_returned_network_is_the_one_stopped_on_the_validation_cells(pipeline, cells, seed):
    result = pipeline.run_pipeline(cells, seed, EPOCHS)
    X, y = arrays(pipeline, cells)
    train_idx, val_idx, _ = pipeline.three_way_split(len(cells), seed=seed)
    params, _, best_epoch = pipeline.train_mlp(
        X[train_idx], y[train_idx], [(X[val_idx], y[val_idx])], EPOCHS, seed=seed
    )
    assert result["best_epoch"] == best_epoch, (
        f"run_pipeline kept epoch {result['best_epoch']}; the validation cells' lowest MSE "
        f"is at epoch {best_epoch}"
    )
    assert_unchanged(params, result["params"], "run_pipeline(...)['params']",
                     "the network trained on the training cells and stopped on the validation "
                     "cells is a different one")  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1])
def test_reported_figures_are_the_returned_network_on_the_right_cells(pipeline, cells, seed):
    result = pipeline.run_pipeline(cells, seed, EPOCHS)
    X, y = arrays(pipeline, cells)
    _, val_idx, test_idx = pipeline.three_way_split(len(cells), seed=seed)

    def mse(idx):
        return float(np.mean((y[idx] - pipeline.forward(result["params"], X[idx])) ** 2))

    assert_figures(result, {"val_mse": mse(val_idx), "test_mse": mse(test_idx)},
                   "run_pipeline(...)", rtol=1e-9)  # fmt: skip
    history = np.asarray(result["history"])
    assert history.shape[0] == EPOCHS, (
        f"history has {history.shape[0]} rows for {EPOCHS} epochs of training"
    )


def test_defaults_are_seed_0_and_300_epochs(pipeline, cells):
    default = pipeline.run_pipeline(cells)
    assert np.asarray(default["history"]).shape[0] == 300, (
        f"run_pipeline(cells) trained for {np.asarray(default['history']).shape[0]} epochs; "
        "its default is 300"
    )
    assert_unchanged(
        pipeline.run_pipeline(cells, 0, 300)["params"], default["params"],
        "run_pipeline(cells)['params']", "the defaults seed=0, epochs=300 give another network",
    )  # fmt: skip


def test_training_defaults_are_300_epochs_16_hidden_units(pipeline, cells):
    X, y = arrays(pipeline, cells)
    params, history, _ = pipeline.train_mlp(X[:40], y[:40], [(X[:40], y[:40])])
    assert np.asarray(history).shape[0] == 300 and params["W1"].shape == (8, 16), (
        f"train_mlp with its defaults ran {np.asarray(history).shape[0]} epochs with "
        f"{params['W1'].shape[1]} hidden units; the defaults are 300 and 16"
    )
    again, _, _ = pipeline.train_mlp(X[:40], y[:40], [(X[:40], y[:40])], 5, seed=0)
    other, _, _ = pipeline.train_mlp(X[:40], y[:40], [(X[:40], y[:40])], 5, seed=1)
    assert not np.allclose(again["W1"], other["W1"]), (
        "train_mlp with seed 0 and seed 1 starts from the same weights: the seed changes nothing"
    )


def test_run_depends_on_its_seed_and_only_on_it(pipeline, cells):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(cells, seed, 20)["test_mse"],
        what="run_pipeline(cells, seed, 20)['test_mse']",
    )


def test_run_leaves_the_callers_table_untouched(pipeline, cells):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, SEED, 20), cells.copy(), what="run_pipeline"
    )


def test_init_params_scales_weights_by_fan_in(pipeline):
    params = pipeline.init_params(400, hidden=300, seed=3)
    assert params["W1"].shape == (400, 300) and np.shape(params["W2"]) == (300,), (
        f"init_params(400, 300) gave W1 {params['W1'].shape} and W2 {np.shape(params['W2'])}"
    )
    for name, fan_in in (("W1", 400), ("W2", 300)):
        std = float(np.std(params[name]))
        assert (
            abs(std * np.sqrt(fan_in) - 1.0) < 0.1 and abs(float(np.mean(params[name]))) < 0.01
        ), (
            f"{name} has standard deviation {std:.4f} and mean {float(np.mean(params[name])):.4f}; "
            f"its docstring promises 1 / sqrt({fan_in}) = {1 / np.sqrt(fan_in):.4f} around 0"
        )
    assert not np.any(params["b1"]) and params["b2"] == 0.0, "the biases do not start at zero"
    assert params["b1"].shape == (300,), f"b1 has shape {params['b1'].shape} for 300 hidden units"
    assert np.shape(pipeline.init_params(8)["W1"]) == (8, 16), "the default width is 16"
    assert_reproducible(lambda seed: pipeline.init_params(8, 16, seed)["W1"], "init_params W1")
    assert_unchanged(pipeline.init_params(8), pipeline.init_params(8, 16, 0), "init_params(8)",
                     "the defaults hidden=16, seed=0 give other weights")  # fmt: skip


def test_one_epoch_is_one_gradient_step(pipeline):
    rng = np.random.default_rng(6)
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    start = pipeline.init_params(3, hidden=5, seed=2)
    grads = pipeline.mse_gradients(start, X, y)
    params, _, best = pipeline.train_mlp(X, y, [(X, y)], 1, lr=0.05, hidden=5, seed=2)
    expected = {name: start[name] - 0.05 * grads[name] for name in start}
    assert best == 0, f"after one epoch train_mlp reports epoch {best} as the best"
    assert_unchanged(expected, params, "train_mlp(..., epochs=1, lr=0.05)",
                     "one epoch of full-batch gradient descent moves each parameter by "
                     "-lr times its gradient from the seeded start")  # fmt: skip


@pytest.mark.edge
def test_a_set_that_only_gets_worse_keeps_the_first_epoch(pipeline):
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(50, 3)), rng.normal(size=50)
    # Monitoring the opposite targets: every step on (X, y) makes the monitored MSE worse.
    _, history, best = pipeline.train_mlp(X, y, [(X, -3.0 * y)], 30, lr=0.1, hidden=4)
    assert best == int(np.argmin(history[:, -1])) == 0, (
        f"the monitored MSE is lowest after epoch {int(np.argmin(history[:, -1]))}, but "
        f"train_mlp kept epoch {best}"
    )
    _, history, best = pipeline.train_mlp(X, y, [(X, y)], 10, lr=0.0, hidden=4)
    assert best == 0, (
        f"with lr=0 every epoch has the same MSE; train_mlp kept epoch {best}, its docstring "
        "promises the first"
    )


def test_reported_test_mse_is_the_returned_network_on_the_test_cells(pipeline, cells, result):
    X, y = arrays(pipeline, cells)
    test_idx = split(pipeline, cells)[2]
    expected = pipeline.mse(y[test_idx], pipeline.forward(result["params"], X[test_idx]))
    assert_close(result["test_mse"], expected, what="test_mse")
