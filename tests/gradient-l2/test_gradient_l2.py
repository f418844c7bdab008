"""The ridge wine model must descend the penalised loss it reports.

ridge_gradient is checked against finite differences of ridge_loss (which penalises the weights,
not the intercept); training must reach that loss's minimum; the penalty must shrink the weights
and leave the intercept where the data put it.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_decreasing, assert_gradient_matches, numerical_gradient


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def problem(n=120, d=4, seed=0, centred=True):
    """Features (centred if asked), with an intercept column, and a quality-like target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if centred:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = 5.6 + X @ rng.normal(0.0, 0.3, d) + 0.4 * rng.normal(size=n)
    return np.column_stack([np.ones(n), X]), y


@pytest.mark.parametrize("lam", [0.0, 0.5, 10.0], ids=["lam_0", "lam_0.5", "lam_10"])
def test_gradient_matches_finite_differences_of_ridge_loss(pipeline, lam):
    X1, y = problem(40, 3, seed=1, centred=False)
    theta = np.random.default_rng(2).normal(size=4) + np.array([5.0, 0.0, 0.0, 0.0])
    assert_gradient_matches(
        lambda t: pipeline.ridge_loss(X1, y, t, lam),
        pipeline.ridge_gradient(X1, y, theta.copy(), lam), theta,
        what=f"ridge_gradient(X1, y, theta, lam={lam})",
    )  # fmt: skip


def test_fit_reaches_the_minimum_of_ridge_loss(pipeline):
    X1, y = problem(seed=3)
    theta, _ = pipeline.fit(X1, y, lam=0.5, lr=0.1, epochs=500)
    slope = numerical_gradient(lambda t: pipeline.ridge_loss(X1, y, t, 0.5), np.asarray(theta))
    assert np.linalg.norm(slope) < 1e-6, (
        f"after fit(X1, y, lam=0.5), ridge_loss still slopes at rate {np.round(slope, 4)} "
        f"(finite differences) at the returned theta = {np.round(theta, 4)}: training stopped "
        "somewhere other than the minimum of the loss it reports"
    )


def test_intercept_is_unaffected_by_lam_on_centred_data(pipeline):
    X1, y = problem(seed=4)
    for lam in (0.0, 1.0, 10.0):
        theta, _ = pipeline.fit(X1, y, lam=lam, lr=0.1, epochs=500)
        assert_close(
            theta[0], y.mean(), f"the intercept fitted with lam={lam} on centred features",
            "with centred features the penalised fit's intercept is the mean quality, whatever "
            "lam is: the baseline prediction shrinks as lam grows",
            rtol=1e-6,
        )  # fmt: skip


def test_large_lam_shrinks_the_weights_toward_zero(pipeline):
    X1, y = problem(seed=5)
    free, _ = pipeline.fit(X1, y, lam=0.0, lr=0.1, epochs=500)
    shrunk, _ = pipeline.fit(X1, y, lam=10.0, lr=0.1, epochs=500)
    ratio = np.linalg.norm(shrunk[1:]) / np.linalg.norm(free[1:])
    assert ratio < 0.15, (
        f"with lam=10 the weights' norm is {ratio:.3f} x the unpenalised norm; a strong L2 "
        "penalty should shrink them close to 0 (about 1/11 here)"
    )


def test_ridge_loss_penalises_the_weights_only(pipeline):
    X1, y = problem(30, 3, seed=6, centred=False)
    theta = np.array([5.0, 0.2, -0.4, 0.1])
    extra = pipeline.ridge_loss(X1, y, theta, 2.0) - pipeline.ridge_loss(X1, y, theta, 0.0)
    assert extra == pytest.approx(0.5 * 2.0 * np.sum(theta[1:] ** 2), rel=1e-9), (
        f"ridge_loss with lam=2 exceeds the unpenalised loss by {extra:.6g}; the penalty "
        "lam / 2 * ||w||^2 on the weights (theta[1:]) is 0.21, the intercept is not penalised"
    )


def test_loss_history_decreases_monotonically(pipeline):
    X1, y = problem(seed=7, centred=False)
    _, history = pipeline.fit(X1, y, lam=1.0, lr=0.05, epochs=80)
    assert_decreasing(
        history, "the loss history of fit(X1, y, lam=1, lr=0.05, epochs=80)",
        "gradient descent on a convex loss with a small step can only go down",
    )  # fmt: skip


def test_held_out_predictions_are_centred_on_the_typical_quality(pipeline):
    df = pipeline.make_wines(400, seed=0)
    result = pipeline.run_pipeline(df, lam=0.1)
    mean_quality = df[pipeline.TARGET].mean()
    assert abs(result["test_mean_prediction"] - mean_quality) < 0.15, (
        f"run_pipeline(lam=0.1) predicts a mean quality of {result['test_mean_prediction']:.3f} "
        f"for the held-out wines; the wines average {mean_quality:.3f}: the predictions are "
        "shifted as a whole"
    )
    assert result["test_rmse"] < 0.5, (
        f"held-out RMSE is {result['test_rmse']:.3f}; the tasting noise is 0.4"
    )


def test_add_intercept_prepends_a_column_of_ones(pipeline):
    X = np.arange(6.0).reshape(3, 2)
    assert_close(pipeline.add_intercept(X), [[1, 0, 1], [1, 2, 3], [1, 4, 5]], "add_intercept")
