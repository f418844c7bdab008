"""The home-valuation regression must converge on features in their raw units.

Gradient descent with the documented learning rate must reach the least-squares fit on raw
listing features (ft² in the thousands, rooms 1-5), keep a finite, decreasing loss under strict
floating point, and predict new homes given in raw units; whatever it learns about the scale
of the features comes from the rows it was fitted on. The rest pin down the parts the pipeline
is built from.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    design,
    rmse,
)

SEED = 0


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def homes(pipeline):
    df = pipeline.make_homes(n_rows=200, seed=SEED)
    return df[pipeline.FEATURES].to_numpy(dtype=float), df[pipeline.TARGET].to_numpy(dtype=float)


def raw_scale_exact(n=120, seed=5):
    """Raw-unit features (area, rooms, age) and a price that is exactly linear in them."""
    rng = np.random.default_rng(seed)
    X = np.column_stack(
        [rng.uniform(500, 3000, n), rng.integers(1, 6, n), rng.uniform(0, 80, n)]
    ).astype(float)
    return X, X @ [0.15, 8.0, -1.1] + 40.0


def fit_strict(pipeline, X, y, **kwargs):
    model = pipeline.LinearRegressionGD(**kwargs)
    return call_strict(
        model.fit, X, y, what=f"LinearRegressionGD({kwargs}).fit(X of shape {X.shape})"
    )


def test_loss_history_is_finite_and_decreasing_on_raw_features(pipeline, homes):
    model = fit_strict(pipeline, *homes)
    assert_decreasing(
        model.loss_history_,
        "the training MSE per epoch",
        "gradient descent with the default learning rate should go downhill at every step",
    )


def test_converges_to_the_least_squares_fit_on_raw_features(pipeline, homes):
    X, y = homes
    model = fit_strict(pipeline, X, y)
    residuals = y - model.predict(X)
    A = np.column_stack([np.ones(len(X)), X])
    worst = float(np.max(np.abs(A.T @ residuals) / (np.linalg.norm(A, axis=0) * np.linalg.norm(y))))
    assert worst < 1e-5, (
        f"after {model.epochs} epochs the residuals are not orthogonal to the features (largest "
        f"normalised inner product {worst:.3g}, training RMSE {np.sqrt(np.mean(residuals**2)):.4g}):"
        " gradient descent has not reached the least-squares fit"
    )


def test_predicts_new_homes_given_in_raw_units(pipeline):
    X, y = raw_scale_exact()
    model = fit_strict(pipeline, X[:90], y[:90])
    assert_close(
        model.predict(X[90:]),
        y[90:],
        "predictions for 30 new homes (prices exactly linear in the features)",
        "a model fitted on raw features must predict raw features",
        rtol=1e-3,
        atol=1e-2,
    )


def test_unit_scale_features_converge(pipeline):
    X, y, _, _ = design(60, 3, seed=6)
    model = fit_strict(pipeline, X, y)
    assert_close(
        model.predict(X), y, "fitted values on standard-normal features", rtol=1e-2, atol=5e-2
    )


def test_a_prediction_does_not_depend_on_the_other_rows_predicted(pipeline):
    X, y = raw_scale_exact()
    model = pipeline.LinearRegressionGD().fit(X[:90], y[:90])
    together = model.predict(X[90:])
    alone = np.array([model.predict(X[i : i + 1])[0] for i in range(90, 120)])
    assert_unchanged(
        together,
        alone,
        "predictions for 30 new homes, in one batch vs one at a time",
        "a home's predicted price depends on which other homes are predicted with it",
    )


def test_pipeline_ignores_held_out_rows(pipeline):
    df = pipeline.make_homes(n_rows=200, seed=SEED)
    _, test_idx = pipeline.train_test_split(len(df), 0.25, SEED)
    changed = df.copy()
    changed.iloc[test_idx, :4] = changed.iloc[test_idx, :4] * 10.0 + 100.0
    before = pipeline.run_pipeline(df)
    after = pipeline.run_pipeline(changed)
    assert_unchanged(
        before["train_rmse"],
        after["train_rmse"],
        "run_pipeline's training RMSE",
        "changing only the held-out homes changed the fit: information from them reaches training",
    )


@pytest.mark.edge
def test_constant_feature_is_harmless(pipeline):
    X, y, _, _ = design(50, 2, seed=7)
    floors = np.column_stack([X, np.ones(50)])  # every home has one floor
    model = fit_strict(pipeline, floors, y)
    assert_close(
        model.predict(floors), y, "fitted values with a constant column", rtol=1e-2, atol=1e-2
    )


def test_pipeline_errors_match_the_noise_in_prices(pipeline):
    result = call_strict(pipeline.run_pipeline, pipeline.make_homes(n_rows=240, seed=SEED))
    assert result["train_rmse"] < 14 and result["test_rmse"] < 15, (
        f"run_pipeline reports RMSE {result['train_rmse']:.4g}k (train) and "
        f"{result['test_rmse']:.4g}k (held out); prices are linear plus noise of sd 12k"
    )


def test_rmse_of_hand_worked_errors(pipeline):
    got = pipeline.rmse(np.array([1.0, 2.0, 3.0, 4.0]), np.array([2.0, 2.0, 1.0, 4.0]))
    assert_close(got, np.sqrt(5 / 4), "rmse([1, 2, 3, 4], [2, 2, 1, 4])")


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(240, 0.25, seed), 240, 60)
    default = pipeline.train_test_split(240)
    explicit = pipeline.train_test_split(240, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(240) differs from train_test_split(240, 0.25, 0), its documented defaults"
    )


def unit_scale(seed=8):
    """Standard-normal features and a price far from 0 on average (the intercept matters)."""
    X, y, _, _ = design(80, 3, seed=seed, noise=0.5)
    return X, y + 200.0


def test_run_pipeline_reports_its_models_errors(pipeline):
    df = pipeline.make_homes(n_rows=200, seed=3)
    with np.errstate(all="ignore"):  # judged by the figures
        result = pipeline.run_pipeline(df, 0.3, 4, lr=0.05, epochs=300)
    X = df[pipeline.FEATURES].to_numpy(dtype=float)
    y = df[pipeline.TARGET].to_numpy(dtype=float)
    train_idx, test_idx = pipeline.train_test_split(200, 0.3, 4)
    model = result["model"]
    assert (model.lr, model.epochs, len(model.loss_history_)) == (0.05, 300, 300), (
        f"run_pipeline(lr=0.05, epochs=300) returned a model with lr={model.lr}, "
        f"epochs={model.epochs} and {len(model.loss_history_)} recorded losses"
    )
    with np.errstate(all="ignore"):
        expected = {
            "train_rmse": rmse(y[train_idx], model.predict(X[train_idx])),
            "test_rmse": rmse(y[test_idx], model.predict(X[test_idx])),
        }
    assert_unchanged(expected, {k: result[k] for k in expected},
                     "run_pipeline(homes, test_size=0.3, seed=4)",
                     "a reported error is not the returned model's error on the right homes")  # fmt: skip


def test_figures_on_unit_scale_features(pipeline):
    X, y = unit_scale()
    df = pipeline.make_homes(n_rows=80, seed=9)
    df[pipeline.FEATURES[:3]] = X
    df[pipeline.FEATURES[3]] = 0.0
    df[pipeline.TARGET] = y
    result = pipeline.run_pipeline(df, 0.25, 2)
    train_idx, test_idx = pipeline.train_test_split(80, 0.25, 2)
    model = result["model"]
    Xf = df[pipeline.FEATURES].to_numpy(dtype=float)
    assert_figures(
        result,
        {
            "train_rmse": rmse(y[train_idx], model.predict(Xf[train_idx])),
            "test_rmse": rmse(y[test_idx], model.predict(Xf[test_idx])),
        },
        "run_pipeline(homes on a unit scale)",
        rtol=1e-9,
    )
    assert result["train_rmse"] < 0.7, (
        f"on standard-normal features with a price of about 200 plus noise of sd 0.5, the "
        f"training RMSE is {result['train_rmse']:.3f}: the intercept is not learned"
    )


def test_defaults_seed_and_inputs(pipeline):
    df = pipeline.make_homes(n_rows=120, seed=11)
    with np.errstate(all="ignore"):  # judged by the results
        default = pipeline.run_pipeline(df)
        explicit = pipeline.run_pipeline(df, 0.25, 0, 0.1, 1000)
        assert_unchanged({k: default[k] for k in ("train_rmse", "test_rmse")},
                         {k: explicit[k] for k in ("train_rmse", "test_rmse")}, "run_pipeline(homes)",
                         "the defaults are not test_size=0.25, seed=0, lr=0.1, epochs=1000")  # fmt: skip
        model = pipeline.LinearRegressionGD()
        assert (model.lr, model.epochs) == (0.1, 1000), (
            f"LinearRegressionGD() has lr={model.lr}, epochs={model.epochs}; documented 0.1 and 1000"
        )
        assert_reproducible(lambda seed: pipeline.run_pipeline(df, 0.25, seed, epochs=20)["test_rmse"],
                            "run_pipeline(homes, seed=...)['test_rmse']")  # fmt: skip
        assert_inputs_untouched(pipeline.run_pipeline, df, what="run_pipeline(homes)")
        X = df[pipeline.FEATURES].to_numpy(dtype=float)
        y = df[pipeline.TARGET].to_numpy(dtype=float)
        assert_inputs_untouched(pipeline.LinearRegressionGD(epochs=5).fit, X, y,
                                what="LinearRegressionGD().fit(X, y)")  # fmt: skip


@pytest.mark.edge
def test_a_listing_timestamp_among_the_features_still_converges(pipeline):
    rng = np.random.default_rng(13)
    listed = 1.7e9 + rng.uniform(0.0, 40.0, 150)  # unix seconds, one 40-second batch upload
    X = np.column_stack([rng.uniform(500, 3000, 150), listed])
    y = 0.15 * X[:, 0] + 0.5 * (listed - 1.7e9) + 40.0
    model = fit_strict(pipeline, X, y)
    assert_close(model.predict(X), y, "fitted prices with a listing timestamp among the features",
                 "prices exactly linear in area and listing time are fitted exactly",
                 rtol=1e-6, atol=1e-4)  # fmt: skip


def test_noise_free_prices_are_fitted_to_double_precision(pipeline):
    X, y = raw_scale_exact(n=80, seed=14)
    model = fit_strict(pipeline, X, y)
    assert_close(model.predict(X), y, "fitted prices on exactly linear listings",
                 "after 1000 epochs on well-conditioned, exactly linear data the fit is exact to "
                 "about 1e-10", rtol=1e-10, atol=1e-8)  # fmt: skip
