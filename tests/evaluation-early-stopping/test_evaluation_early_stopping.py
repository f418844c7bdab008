"""Early stopping must be decided without the test set.

The stopping epoch and the returned network are fitted quantities: changing only the held-out
test cells must not move them, and the reported test MSE must be that of a network whose
training (stopping included) never saw the test rows.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_decreasing,
    assert_gradient_matches,
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
        f"after only the test cells' capacity fade changed (x{factor:g} {shift:+g}): the test "
        "set decides when training stops, so the reported test MSE is optimistic"
    )


def test_trained_network_ignores_the_test_cells(pipeline, cells, result):
    test_rows = cells.index[split(pipeline, cells)[2]]
    after = pipeline.run_pipeline(perturb_rows(cells, test_rows), SEED, EPOCHS)
    assert_unchanged(
        result["params"],
        after["params"],
        what="the returned network",
        meaning="only the test cells changed, yet the trained weights moved: information from "
        "the test set reaches training",
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
        "this on the test cells; the reported number is not an untouched held-out score",
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
    assert history[best_epoch, -1] == history[:, -1].min(), "best_epoch is not the best epoch"


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
    grads = pipeline.mse_gradients(params, X, y)
    for name in ("W1", "b1", "W2"):

        def loss(value, name=name):
            return pipeline.mse(y, pipeline.forward({**params, name: value}, X))

        assert_gradient_matches(loss, grads[name], params[name], what=f"mse_gradients[{name!r}]")


def test_three_way_split_partitions_the_rows(pipeline):
    train_idx, val_idx, test_idx = pipeline.three_way_split(160, seed=5)
    together = np.sort(np.concatenate([train_idx, val_idx, test_idx]))
    assert np.array_equal(together, np.arange(160)), "the three sets are not a partition"
    assert (len(train_idx), len(val_idx), len(test_idx)) == (80, 40, 40), (
        f"three_way_split(160) gave sizes {len(train_idx)}, {len(val_idx)}, {len(test_idx)}"
    )


def test_reported_test_mse_is_the_returned_network_on_the_test_cells(pipeline, cells, result):
    X, y = arrays(pipeline, cells)
    test_idx = split(pipeline, cells)[2]
    expected = pipeline.mse(y[test_idx], pipeline.forward(result["params"], X[test_idx]))
    assert_close(result["test_mse"], expected, what="test_mse")
