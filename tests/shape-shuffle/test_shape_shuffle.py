"""Mini-batch SGD must converge to the least-squares solution, whatever the order of the rows.

On noise-free data every row can be fitted exactly, so SGD (whatever order it visits the rows
in) must reach the exact solution; on noisy prices it must land near np.linalg.lstsq's.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    design,
    numerical_gradient,
    rmse,
)

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


def test_fit_sgd_leaves_the_callers_arrays_alone(pipeline):
    X, y, _, _ = design(50, 3, seed=8)
    assert_inputs_untouched(lambda X, y: pipeline.fit_sgd(X, y, epochs=3, seed=SEED), X, y,
                            what="fit_sgd(X, y)")  # fmt: skip


def test_a_full_batch_epoch_is_one_gradient_step(pipeline):
    X, y, _, _ = design(40, 3, seed=9)
    y = y + 50.0  # far from 0 on average: the bias has work to do
    w, b, _ = pipeline.fit_sgd(X, y, lr=0.1, epochs=1, batch_size=40, seed=SEED)
    grad = numerical_gradient(lambda p: pipeline_mse(X, y, p[:3], p[3]), np.zeros(4))
    assert_close(np.append(w, b), -0.1 * grad,
                 "fit_sgd(40 rows, lr=0.1, epochs=1, batch_size=40) -> (w, b)",
                 "one batch holding every row should take one gradient step on the mean squared "
                 "error from (0, 0)", rtol=1e-6, atol=1e-8)  # fmt: skip


def pipeline_mse(X, y, w, b):
    return float(np.mean((X @ w + b - y) ** 2))


def test_mse_is_the_mean_squared_error(pipeline):
    X, y, w, b = design(25, 3, seed=10, noise=1.0)
    assert_close(pipeline.mse(X, y, w * 0.9, b + 1.0), pipeline_mse(X, y, w * 0.9, b + 1.0),
                 "mse(X, y, w, b)", "the mean of the squared residuals", rtol=1e-12)  # fmt: skip


def test_history_records_the_loss_after_each_epoch(pipeline):
    X, y, _, _ = design(48, 3, seed=11, noise=0.5)
    _, _, history = pipeline.fit_sgd(X, y, lr=0.01, epochs=5, batch_size=8, seed=3)
    after = [pipeline_mse(X, y, *pipeline.fit_sgd(X, y, lr=0.01, epochs=e, batch_size=8,
                                                  seed=3)[:2]) for e in range(1, 6)]  # fmt: skip
    assert_close(history, after, "fit_sgd(..., epochs=5)'s history",
                 "history[e] should be the training MSE of the model after epoch e", rtol=1e-9)  # fmt: skip


def test_seed_and_defaults_of_fit_sgd_are_honoured(pipeline):
    X, y, _, _ = design(64, 3, seed=12, noise=1.0)
    assert_reproducible(lambda seed: pipeline.fit_sgd(X, y, epochs=2, seed=seed)[:2],
                        "fit_sgd(X, y, epochs=2, seed=...)")  # fmt: skip
    assert_unchanged(pipeline.fit_sgd(X, y),
                     pipeline.fit_sgd(X, y, lr=0.02, epochs=60, batch_size=16, seed=0),
                     "fit_sgd(X, y)", "the defaults are not lr=0.02, epochs=60, batch_size=16, seed=0")  # fmt: skip


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(300, 0.25, seed), 300, 75)
    default = pipeline.train_test_split(300)
    explicit = pipeline.train_test_split(300, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(300) differs from train_test_split(300, 0.25, 0), its documented defaults"
    )


def test_reported_figures_come_from_the_returned_model(pipeline):
    X, y = pipeline.make_products(n_rows=300, seed=SEED)
    result = pipeline.run_pipeline(X, y, 0.3, 4)
    train_idx, test_idx = pipeline.train_test_split(len(y), 0.3, 4)
    mean, scale = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    w, b = np.asarray(result["weights"]), result["bias"]

    def predict(rows):
        return (X[rows] - mean) / scale @ w + b

    assert_figures(
        result,
        {
            "price_per_unit": w / scale,
            "train_rmse": rmse(y[train_idx], predict(train_idx)),
            "test_rmse": rmse(y[test_idx], predict(test_idx)),
        },
        "run_pipeline(products, test_size=0.3, seed=4)",
        rtol=1e-9,
    )
    refit = pipeline.fit_sgd((X[train_idx] - mean) / scale, y[train_idx], seed=4)
    assert_unchanged(refit, (result["weights"], result["bias"], result["loss_history"]),
                     "the returned weights, bias and loss history",
                     "they are not fit_sgd's on the standardised training rows with the run's seed")  # fmt: skip


def test_defaults_seed_and_test_size_of_run_pipeline(pipeline):
    X, y = pipeline.make_products(n_rows=200, seed=1)
    assert_unchanged(pipeline.run_pipeline(X, y), pipeline.run_pipeline(X, y, 0.25, 0),
                     "run_pipeline(X, y)", "the defaults are not test_size=0.25, seed=0")  # fmt: skip
    assert_reproducible(lambda seed: pipeline.run_pipeline(X, y, 0.25, seed)["weights"],
                        "run_pipeline(products, seed=...)['weights']")  # fmt: skip
    short = pipeline.run_pipeline(X, y, 0.4, 0)
    train_idx, test_idx = pipeline.train_test_split(200, 0.4, 0)
    mean, scale = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    expected = rmse(y[test_idx], (X[test_idx] - mean) / scale @ short["weights"] + short["bias"])
    assert_close(short["test_rmse"], expected, "run_pipeline(200 products, test_size=0.4)['test_rmse']",
                 "it is not the error on the 80 rows a 40 % split holds out", rtol=1e-9)  # fmt: skip


def test_nothing_fitted_depends_on_the_held_out_products(pipeline):
    X, y = pipeline.make_products(n_rows=300, seed=SEED)
    _, test_idx = pipeline.train_test_split(300, 0.25, SEED)
    X_moved, y_moved = X.copy(), y.copy()
    X_moved[test_idx] = X_moved[test_idx] * 100.0 + 1000.0
    y_moved[test_idx] = -y_moved[test_idx]
    before, after = pipeline.run_pipeline(X, y), pipeline.run_pipeline(X_moved, y_moved)
    for name in ("weights", "bias", "price_per_unit", "loss_history", "train_rmse"):
        assert_unchanged(before[name], after[name], name,
                         "it moved when only the held-out products changed")  # fmt: skip


def test_run_pipeline_leaves_the_callers_arrays_alone(pipeline):
    X, y = pipeline.make_products(n_rows=100, seed=SEED)
    assert_inputs_untouched(pipeline.run_pipeline, X, y, what="run_pipeline(X, y)")


def test_predictions_do_not_depend_on_where_a_feature_is_measured_from(pipeline):
    X, y = pipeline.make_products(n_rows=200, seed=12)
    shifted = X.copy()
    shifted[:, 2] += 1e7  # log reviews counted from another origin
    before, after = pipeline.run_pipeline(X, y), pipeline.run_pipeline(shifted, y)
    assert_close(after["test_rmse"], before["test_rmse"],
                 "held-out RMSE after adding 1e7 to one feature",
                 "standardising removes any constant offset, so nothing should change",
                 rtol=1e-5)  # fmt: skip
