"""The house-price regression must give the least-squares fit, whatever the rank of its design.

With a duplicated column (area in m² and ft²), a full set of neighbourhood indicators beside the
intercept, a constant column, or fewer rows than parameters, many weight vectors fit equally
well, yet the fitted values are unique: residuals orthogonal to every column, predictions that
do not change when a redundant column is added. The rest pin down the parts the pipeline is
built from.
"""

import numpy as np
import pytest
from katakit import (
    SHAPE_CASES,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    design,
    perturb_rows,
    rmse,
)

SEED = 0


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def houses(pipeline):
    df = pipeline.make_houses(n_rows=160, seed=SEED)
    return pipeline.design_matrix(df), df[pipeline.TARGET].to_numpy(dtype=float)


def fitted_values(pipeline, X, y):
    w, b = pipeline.fit_linear_regression(X, y)
    assert np.shape(w) == (X.shape[1],), (
        f"fit_linear_regression(X of shape {X.shape}) returned weights of shape {np.shape(w)}"
    )
    return np.asarray(pipeline.predict(X, w, b), dtype=float)


def assert_least_squares(pipeline, X, y, what):
    """Residuals of a least-squares fit are orthogonal to the intercept and every column."""
    residuals = y - fitted_values(pipeline, X, y)
    A = np.column_stack([np.ones(len(X)), X])
    scale = np.linalg.norm(A, axis=0) * max(np.linalg.norm(y), 1.0)
    worst = float(np.max(np.abs(A.T @ residuals) / scale))
    assert worst < 1e-5, (
        f"{what}: the residuals are not orthogonal to the columns of the design (largest "
        f"normalised inner product {worst:.3g}; training RMSE {np.sqrt(np.mean(residuals**2)):.4g})"
        ": the fit is not the least-squares fit, another choice of weights fits the training "
        "rows better"
    )


def assert_same_predictions(full, reduced, what, y):
    worst = int(np.argmax(np.abs(full - reduced)))
    same = bool(np.allclose(full, reduced, rtol=1e-5, atol=1e-5 * np.abs(y).max()))
    assert same, (
        f"{what} differ from the fit without the redundant column: row {worst} gets "
        f"{full[worst]:.6g} instead of {reduced[worst]:.6g} (training RMSE "
        f"{np.sqrt(np.mean((y - full) ** 2)):.4g} instead of {np.sqrt(np.mean((y - reduced) ** 2)):.4g})"
        ": a column that repeats information the other columns already hold changes nothing "
        "about the best fit, so the fitted values must not change"
    )


def test_full_rank_design_recovers_the_true_weights(pipeline):
    X, y, w_true, b_true = design(40, 3, seed=1)
    w, b = pipeline.fit_linear_regression(X, y)
    assert_close(np.append(w, b), np.append(w_true, b_true), "weights and bias on exact data")


def test_area_in_two_units_does_not_change_predictions(pipeline, houses):
    X, y = houses
    assert_same_predictions(
        fitted_values(pipeline, X[:, [0, 1, 2, 3, 4]], y),
        fitted_values(pipeline, X[:, [0, 2, 3, 4]], y),
        "fitted prices with area in m² and ft²",
        y,
    )


def test_every_neighbourhood_indicator_beside_the_intercept(pipeline, houses):
    X, y = houses
    assert_same_predictions(
        fitted_values(pipeline, X[:, [0, 2, 3, 4, 5]], y),
        fitted_values(pipeline, X[:, [0, 2, 3, 4]], y),
        "fitted prices with all three neighbourhood indicators and an intercept",
        y,
    )


def test_collinear_house_design_gets_the_least_squares_fit(pipeline, houses):
    assert_least_squares(pipeline, *houses, "fit on the house design (m², ft², rooms, 3 areas)")


@pytest.mark.parametrize("n, d", SHAPE_CASES, ids=[f"n{n}_d{d}" for n, d in SHAPE_CASES])
def test_least_squares_at_every_shape(pipeline, n, d):
    X, y, _, _ = design(n, d, seed=2, noise=0.5)
    assert_least_squares(pipeline, X, y, f"fit on X of shape {(n, d)}")


@pytest.mark.edge
def test_constant_column_is_absorbed_by_the_intercept(pipeline):
    X, y, _, _ = design(30, 2, seed=4, noise=0.3)
    with_constant = np.column_stack([X, np.full(30, 3.0)])
    assert_same_predictions(
        fitted_values(pipeline, with_constant, y),
        fitted_values(pipeline, X, y),
        "fitted values with a constant column (every home has 3 floors)",
        y,
    )


def test_pipeline_errors_match_the_noise_in_prices(pipeline):
    result = pipeline.run_pipeline(pipeline.make_houses(n_rows=200, seed=SEED))
    assert result["train_rmse"] < 18 and result["test_rmse"] < 18, (
        f"run_pipeline reports RMSE {result['train_rmse']:.4g}k (train) and "
        f"{result['test_rmse']:.4g}k (held out); prices are a linear rule plus noise of sd 15k, "
        "so a least-squares fit errs by about 15k"
    )


def test_rmse_of_hand_worked_errors(pipeline):
    got = pipeline.rmse(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 4.0]))
    assert_close(got, np.sqrt(5 / 4), "rmse([1, 2, 3, 4], [2, 2, 1, 4])")


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(200, 0.25, seed), 200, 50)
    default = pipeline.train_test_split(200)
    explicit = pipeline.train_test_split(200, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(200) differs from train_test_split(200, 0.25, 0), its documented defaults"
    )


def test_design_matrix_holds_the_numbers_and_one_indicator_per_neighbourhood(pipeline):
    df = pipeline.make_houses(n_rows=30, seed=4)
    X = pipeline.design_matrix(df)
    expected = np.column_stack([
        df[pipeline.NUMERIC].to_numpy(dtype=float),
        *[(df["neighbourhood"] == n).to_numpy(dtype=float) for n in pipeline.NEIGHBOURHOODS],
    ])  # fmt: skip
    assert_close(X, expected, "design_matrix(30 homes)",
                 "area in m², area in ft², rooms, then a 0/1 column per neighbourhood")  # fmt: skip


def test_predict_is_the_linear_model(pipeline):
    X, _, w, b = design(7, 3, seed=5)
    assert_close(pipeline.predict(X, w, b), X @ w + b, "predict(X, w, b)", rtol=1e-12)


def homes_with_one_area(pipeline, n_rows=120, seed=6):
    """Homes whose design has full rank, so that every fit has one answer: the ft² column is
    replaced by an unrelated reading, and one home in eight lies outside the listed
    neighbourhoods (no indicator of its own)."""
    df = pipeline.make_houses(n_rows=n_rows, seed=seed)
    df["area_ft2"] = np.random.default_rng(seed).normal(0.0, 1.0, n_rows)  # an unrelated column
    df.loc[df.index[::8], "neighbourhood"] = "outskirts"
    return df


def test_reported_figures_come_from_the_returned_model(pipeline):
    df = homes_with_one_area(pipeline)
    result = pipeline.run_pipeline(df, 0.3, 4)
    X, y = pipeline.design_matrix(df), df[pipeline.TARGET].to_numpy(dtype=float)
    train_idx, test_idx = pipeline.train_test_split(len(df), 0.3, 4)
    w, b = np.asarray(result["weights"]), result["bias"]
    assert_figures(
        result,
        {
            "train_rmse": rmse(y[train_idx], X[train_idx] @ w + b),
            "test_rmse": rmse(y[test_idx], X[test_idx] @ w + b),
        },
        "run_pipeline(homes, test_size=0.3, seed=4)",
        rtol=1e-9,
    )


def test_defaults_seed_and_held_out_homes(pipeline):
    df = homes_with_one_area(pipeline, seed=7)
    assert_unchanged(pipeline.run_pipeline(df), pipeline.run_pipeline(df, 0.25, 0),
                     "run_pipeline(homes)", "the defaults are not test_size=0.25, seed=0")  # fmt: skip
    assert_reproducible(lambda seed: pipeline.run_pipeline(df, 0.25, seed)["test_rmse"],
                        "run_pipeline(homes, seed=...)['test_rmse']")  # fmt: skip
    _, test_idx = pipeline.train_test_split(len(df), 0.25, 0)
    before = pipeline.run_pipeline(df)
    after = pipeline.run_pipeline(perturb_rows(df, df.index[test_idx]))
    for name in ("weights", "bias", "train_rmse"):
        assert_unchanged(before[name], after[name], name,
                         "it moved when only the held-out homes changed")  # fmt: skip
    assert_inputs_untouched(pipeline.run_pipeline, df, what="run_pipeline(homes)")
