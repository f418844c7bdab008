"""Mini-batch SGD must converge to the least-squares solution, whatever the order of the rows.

On noise-free data every row can be fitted exactly, so SGD (whatever order it visits the rows
in) must reach the exact solution; on noisy prices it must land near np.linalg.lstsq's.
"""

import numpy as np
import pytest
from katakit import assert_close, design

SEED = 0


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def least_squares(X, y):
    """(w, b) minimising the mean squared error, from np.linalg.lstsq."""
    coef, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)
    return coef[:-1], coef[-1]


def test_sgd_fits_noise_free_data_exactly(pipeline):
    X, y, w_true, b_true = design(120, 4, seed=1)
    w, b, _ = pipeline.fit_sgd(X, y, lr=0.02, epochs=150, batch_size=16, seed=SEED)
    assert_close(
        np.append(w, b), np.append(w_true, b_true),
        "fit_sgd(X (120, 4), y = X @ w_true + b_true exactly) -> (w, b)",
        "every row of this data lies on one plane, so SGD must find that plane exactly; "
        "the model learned a different relation between the rows and their targets",
        rtol=1e-6, atol=1e-6,
    )  # fmt: skip


def test_sgd_lands_near_the_least_squares_solution(pipeline):
    X, y = pipeline.make_products(n_rows=160, seed=2)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    w, b, _ = pipeline.fit_sgd(X, y, lr=0.01, epochs=80, batch_size=16, seed=SEED)
    w_ls, b_ls = least_squares(X, y)
    assert_close(
        np.append(w, b), np.append(w_ls, b_ls),
        "fit_sgd on 160 standardised products -> (w, b)",
        "np.linalg.lstsq gives the minimum of the same mean squared error; SGD with a small "
        "step should end within about 1 of it",
        rtol=0.0, atol=1.0,
    )  # fmt: skip


def test_training_loss_falls_to_the_noise_level(pipeline):
    X, y = pipeline.make_products(n_rows=160, seed=3, noise=4.0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    _, _, history = pipeline.fit_sgd(X, y, lr=0.01, epochs=80, batch_size=16, seed=SEED)
    w_ls, b_ls = least_squares(X, y)
    best = pipeline.mse(X, y, w_ls, b_ls)
    assert history[-1] <= 1.1 * best, (
        f"fit_sgd's training MSE went from {history[0]:.1f} after epoch 1 to {history[-1]:.1f} "
        f"after epoch 80; the least-squares minimum is {best:.1f}: training stalls far above "
        "what a linear model can reach on these rows"
    )


def test_result_does_not_depend_on_the_order_of_the_rows(pipeline):
    X, y, _, _ = design(100, 3, seed=4)
    order = np.random.default_rng(5).permutation(len(X))
    w1, b1, _ = pipeline.fit_sgd(X, y, lr=0.02, epochs=150, seed=SEED)
    w2, b2, _ = pipeline.fit_sgd(X[order], y[order], lr=0.02, epochs=150, seed=SEED)
    assert_close(
        np.append(w2, b2), np.append(w1, b1),
        "fit_sgd on the same 100 (row, target) pairs listed in another order",
        "the pairs are the same, so the fitted model must be the same", rtol=1e-6, atol=1e-6,
    )  # fmt: skip


def test_held_out_prices_are_predicted_to_the_noise_level(pipeline):
    X, y = pipeline.make_products(n_rows=300, seed=SEED)
    result = pipeline.run_pipeline(X, y, seed=SEED)
    assert result["test_rmse"] <= 6.0, (
        f"held-out RMSE is {result['test_rmse']:.2f} (training {result['train_rmse']:.2f}); "
        "prices are linear in the features plus noise of sd 4, so it should be about 4"
    )


def test_history_has_one_loss_per_epoch(pipeline):
    X, y, _, _ = design(30, 2, seed=6)
    w, b, history = pipeline.fit_sgd(X, y, epochs=7, seed=SEED)
    assert (np.shape(w), np.ndim(b), np.shape(history)) == ((2,), 0, (7,))
    assert history[-1] == pytest.approx(pipeline.mse(X, y, w, b), rel=1e-9)


@pytest.mark.edge
def test_a_single_row_is_fitted_exactly(pipeline):
    X, y, _, _ = design(1, 3, seed=7)
    w, b, _ = pipeline.fit_sgd(X, y, lr=0.05, epochs=200, seed=SEED)
    assert X[0] @ w + b == pytest.approx(y[0], abs=1e-8), (
        "fit_sgd on a single row should fit it exactly (a plane through one point)"
    )
