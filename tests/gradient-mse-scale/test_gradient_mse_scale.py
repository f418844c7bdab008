"""The energy model must descend the loss it reports, whatever the number of buildings.

Gradients are checked against finite differences of mse_loss at several sample sizes, and one
learning rate must train on 20 and on 2000 rows alike. Either convention for the loss (the mean
squared error, or half of it) passes, as long as the gradient is the gradient of that loss.
"""

import numpy as np
import pytest
from katakit import (
    assert_decreasing,
    assert_figures,
    assert_finite,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    perturb_rows,
    r2,
)


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def problem(n, seed=0):
    """Standardised features and an energy-like target with a large offset: X (n, 3), y (n,)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    X = (X - X.mean(axis=0)) / X.std(axis=0) if n > 1 else X
    y = 140.0 + X @ [30.0, 10.0, -8.0] + 5.0 * rng.normal(size=n)
    return X, y


def least_squares_loss(pipeline, X, y):
    """mse_loss at the exact least-squares fit: the lowest loss any (w, b) can reach."""
    coef = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)[0]
    return pipeline.mse_loss(X, y, coef[:-1], float(coef[-1]))


@pytest.mark.parametrize("n", [1, 20, 400], ids=["n_eq_1", "n_eq_20", "n_eq_400"])
def test_gradient_matches_finite_differences(pipeline, n):
    X, y = problem(n, seed=n)
    point = np.random.default_rng(n).normal(size=4)  # (w0, w1, w2, b)
    grad_w, grad_b = pipeline.gradients(X, y, point[:3], point[3])
    assert_gradient_matches(
        lambda p: pipeline.mse_loss(X, y, p[:3], p[3]), np.append(grad_w, grad_b), point,
        what=f"(grad_w, grad_b) from gradients on {n} rows",
    )  # fmt: skip


def test_loss_is_a_mean_over_rows(pipeline):
    X, y = problem(30, seed=1)
    w, b = np.array([1.0, -2.0, 0.5]), 100.0
    once = pipeline.mse_loss(X, y, w, b)
    twice = pipeline.mse_loss(np.vstack([X, X]), np.concatenate([y, y]), w, b)
    assert twice == pytest.approx(once, rel=1e-12), (
        f"mse_loss is {once:.6g} on 30 rows and {twice:.6g} on the same rows twice: a mean "
        "squared error does not grow with the number of rows"
    )
    ratio = once / np.mean((X @ w + b - y) ** 2)
    assert np.isclose(ratio, 1.0) or np.isclose(ratio, 0.5), (
        f"mse_loss is {ratio:.4g} x the mean squared residual; expected the mean squared error "
        "(or half of it)"
    )


@pytest.mark.parametrize("n", [20, 2000], ids=["n_eq_20", "n_eq_2000"])
def test_one_learning_rate_trains_any_number_of_rows(pipeline, n):
    X, y = problem(n, seed=2)
    w, b, history = pipeline.fit(X, y, lr=0.1, epochs=300)
    assert_finite(history, f"the loss history of fit(X, y, lr=0.1) on {n} rows", "training blew up")
    best = least_squares_loss(pipeline, X, y)
    final = pipeline.mse_loss(X, y, w, b)
    assert final == pytest.approx(best, rel=1e-6), (
        f"fit(X, y, lr=0.1, epochs=300) on {n} standardised rows ends at loss {final:.6g}; the "
        f"least-squares minimum is {best:.6g}: the same step size should work for any n"
    )


def test_loss_history_never_increases(pipeline):
    X, y = problem(300, seed=3)
    _, _, history = pipeline.fit(X, y, lr=0.1, epochs=50)
    assert_decreasing(
        history, "the loss history of fit(X, y, lr=0.1, epochs=50) on 300 rows",
        "gradient descent on a convex quadratic with a modest step can only go down",
    )  # fmt: skip


def test_full_stock_is_fitted_with_the_default_settings(pipeline):
    df = pipeline.make_buildings(400, seed=0)
    result = pipeline.run_pipeline(df)
    assert_finite(result["loss_history"], "run_pipeline's loss history on 400 buildings")
    assert result["test_r2"] > 0.95, (
        f"run_pipeline on 400 buildings gives held-out R^2 = {result['test_r2']:.4g}; the "
        "energy use is linear in the features with little noise, so R^2 should exceed 0.95"
    )


def test_default_training_reaches_the_least_squares_minimum(pipeline):
    df = pipeline.make_buildings(200, seed=4)
    result = pipeline.run_pipeline(df)
    X = df[pipeline.FEATURES].to_numpy(dtype=float)
    y = df[pipeline.TARGET].to_numpy(dtype=float)
    train_idx, test_idx = pipeline.train_test_split(len(df), 0.25, 0)
    X_train, _ = pipeline.standardise(X[train_idx], X[test_idx])
    best = least_squares_loss(pipeline, X_train, y[train_idx])
    final = result["loss_history"][-1]
    assert final == pytest.approx(best, rel=1e-4), (
        f"run_pipeline on 200 buildings stops at training loss {final:.6g} after its default "
        f"training; the least-squares minimum is {best:.6g}: training has not converged"
    )


def test_pilot_of_48_buildings_fits_well(pipeline):
    result = pipeline.run_pipeline(pipeline.make_buildings(48, seed=0))
    assert result["test_r2"] > 0.8, (
        f"run_pipeline on the 48-building pilot gives held-out R^2 = {result['test_r2']:.4g}"
    )


def test_r2_score_of_hand_worked_cases(pipeline):
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert pipeline.r2_score(y, y) == pytest.approx(1.0), "perfect predictions should give 1"
    assert pipeline.r2_score(y, np.full(4, 2.5)) == pytest.approx(0.0), "the mean should give 0"
    assert pipeline.r2_score(y, y[::-1]) == pytest.approx(-3.0), "[4, 3, 2, 1] should give -3"


def test_split_is_a_seeded_shuffled_partition(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(200, 0.25, seed), 200, 50)


@pytest.fixture(scope="module")
def stock(pipeline):
    return pipeline.make_buildings(400, seed=0)


def test_reported_r2_is_that_of_the_returned_model_on_the_held_out_buildings(pipeline, stock):
    result = pipeline.run_pipeline(stock, 0.25, seed=2)
    X = stock[pipeline.FEATURES].to_numpy(dtype=float)
    y = stock[pipeline.TARGET].to_numpy(dtype=float)
    train_idx, test_idx = pipeline.train_test_split(len(stock), 0.25, 2)
    mean, scale = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    predicted = (X[test_idx] - mean) / scale @ result["weights"] + result["bias"]
    assert_figures(result, {"test_r2": r2(y[test_idx], predicted)}, "run_pipeline(seed=2)")


def test_fitted_model_ignores_the_held_out_buildings(pipeline, stock):
    _, test_idx = pipeline.train_test_split(len(stock), 0.25, 0)
    before = pipeline.run_pipeline(stock, 0.25, 0, epochs=40)
    after = pipeline.run_pipeline(perturb_rows(stock, stock.index[test_idx]), 0.25, 0, epochs=40)
    fitted = ("weights", "bias", "loss_history")
    assert_unchanged(
        {k: before[k] for k in fitted}, {k: after[k] for k in fitted}, "run_pipeline",
        "the model changed although only the held-out buildings changed: they reach training",
    )  # fmt: skip


def test_run_pipeline_is_reproducible_and_follows_its_seed(pipeline, stock):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(stock, 0.25, seed, epochs=40)["weights"],
        "the weights run_pipeline(400 buildings, epochs=40) learns",
    )


def test_run_pipeline_and_fit_leave_the_callers_data_untouched(pipeline, stock):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, epochs=10), stock.copy(), what="run_pipeline(df)"
    )
    X, y = problem(30, seed=5)
    assert_inputs_untouched(lambda X, y: pipeline.fit(X, y, epochs=10), X, y, what="fit(X, y)")


def test_loss_history_ends_at_the_loss_of_the_returned_model(pipeline):
    X, y = problem(50, seed=6)
    w, b, history = pipeline.fit(X, y, lr=0.1, epochs=30)
    final = pipeline.mse_loss(X, y, w, b)
    assert float(history[-1]) == pytest.approx(final, rel=1e-12), (
        f"the last entry of fit's loss history is {float(history[-1])!r}, but mse_loss of the "
        f"returned (w, b) is {final!r}: the history does not describe the returned model"
    )


@pytest.mark.edge
def test_standardise_is_accurate_for_a_column_with_a_large_offset(pipeline):
    rng = np.random.default_rng(7)
    X_train = 1e9 + rng.normal(0.0, 1.0, size=(300, 1))  # a meter reading or a timestamp
    Z, _ = pipeline.standardise(X_train, X_train[:3])
    assert float(Z.std()) == pytest.approx(1.0, rel=1e-6), (
        f"a column of values near 1e9 standardises to spread {float(Z.std()):.6f}, not 1: the "
        "standard deviation lost its precision"
    )
