"""A frozen sensor must not take the greenhouse model down, and the rest of the pipeline must hold.

The edge tests standardise and fit with a sensor that never moves under numpy's strict floating
point (division by zero and invalid operations raise); the others check the scaler on ordinary,
narrow and offset columns, the ridge fit against its own objective, the split, and every figure
run_pipeline reports against the same figure recomputed from the returned model.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_finite,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    perturb_rows,
    rmse,
    with_shuffled_index,
)

STUCK = 41.5  # the humidity sensor froze at this reading
KEYS = {"scaler", "weights", "intercept", "test_predictions", "test_rmse"}


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def readings(pipeline, stuck=None, seed=0):
    return with_shuffled_index(pipeline.make_readings(300, seed, stuck), seed=seed)


def features(pipeline, df):
    return df[pipeline.FEATURES].to_numpy(dtype=float)


def humidity(pipeline):
    return pipeline.FEATURES.index("humidity_pct")


def assert_standardised(Z, what):
    assert_close(Z.mean(axis=0), np.zeros(Z.shape[1]), f"column means of {what}", atol=1e-7)
    spread = Z.std(axis=0)
    n = len(Z)
    # Population or sample standard deviation: either convention is a standardisation.
    if not np.all((spread > np.sqrt((n - 1) / n) - 1e-9) & (spread < 1 + 1e-9)):
        raise AssertionError(
            f"column standard deviations of {what} are "
            f"{[round(float(s), 6) for s in spread]}; each should be 1"
        )


def test_scaler_standardises_ordinary_columns(pipeline):
    X = features(pipeline, readings(pipeline))
    assert_standardised(pipeline.StandardScaler().fit(X).transform(X), "transform(readings)")


def test_scaler_standardises_narrow_and_offset_columns(pipeline):
    rng = np.random.default_rng(5)
    # A pressure in bar (spread 0.004), a voltage (spread 0.3), an odometer near 1e7 km.
    X = np.column_stack([
        rng.normal(1.013, 0.004, 200), rng.normal(12.0, 0.3, 200), 1e7 + rng.normal(0, 3, 200)
    ])  # fmt: skip
    assert_standardised(pipeline.StandardScaler().fit(X).transform(X), "narrow and offset columns")


def test_transform_is_undone_by_the_fitted_mean_and_scale(pipeline):
    X = features(pipeline, readings(pipeline))
    scaler = pipeline.StandardScaler().fit(X)
    X_new = features(pipeline, readings(pipeline, seed=2))
    restored = scaler.transform(X_new) * scaler.scale_ + scaler.mean_
    assert_close(restored, X_new, "transform(new readings) * scale_ + mean_",
                 "a standardised reading does not map back to the reading it came from: a higher "
                 "reading must give a higher standardised value, by (x - mean_) / scale_",
                 rtol=1e-9)  # fmt: skip
    assert_close(scaler.mean_, X.mean(axis=0), "the fitted mean_", rtol=1e-12)


@pytest.mark.edge
@pytest.mark.parametrize("value", [STUCK, 0.0])
def test_a_stuck_sensor_standardises_to_zeros(pipeline, value):
    X = features(pipeline, readings(pipeline, stuck=value))
    what = f"transform(readings with humidity stuck at {value})"
    Z = call_strict(lambda: pipeline.StandardScaler().fit(X).transform(X), what=what)
    assert_finite(Z, what, "one frozen sensor must not turn its features into nan")
    assert_close(Z[:, humidity(pipeline)], np.zeros(len(X)), f"the humidity column of {what}",
                 "a column that never moves is at its mean on every row", atol=1e-12)  # fmt: skip


def test_a_stuck_sensor_leaves_the_other_columns_alone(pipeline):
    X = features(pipeline, readings(pipeline, stuck=STUCK))
    others = [i for i in range(X.shape[1]) if i != humidity(pipeline)]
    with np.errstate(all="ignore"):  # judged by the other columns
        Z = pipeline.StandardScaler().fit(X).transform(X)
    assert_standardised(Z[:, others], "the working sensors' columns")


def test_a_stuck_sensor_keeps_its_reading_as_mean(pipeline):
    X = features(pipeline, readings(pipeline, stuck=STUCK))
    mean = pipeline.StandardScaler().fit(X).mean_[humidity(pipeline)]
    assert mean == pytest.approx(STUCK), (
        f"the stuck sensor's mean_ is {float(mean)}; it read {STUCK}"
    )


@pytest.mark.edge
def test_readings_after_the_sensor_is_repaired_transform_finitely(pipeline):
    X_stuck = features(pipeline, readings(pipeline, stuck=STUCK))
    X_new = features(pipeline, readings(pipeline, seed=1))
    what = "transform(new readings) with a scaler fitted while humidity was stuck"
    Z = call_strict(lambda: pipeline.StandardScaler().fit(X_stuck).transform(X_new), what=what)
    assert_finite(Z, what, "once the sensor is repaired, its readings must not break the model")
    column = humidity(pipeline)
    distance = np.abs(X_new[:, column] - STUCK)
    size = np.abs(Z[:, column])
    if np.any(size > distance * (1 + 1e-9)):
        worst = int(np.argmax(size - distance))
        raise AssertionError(
            f"{what}: a repaired humidity reading of {X_new[worst, column]:.2f} % standardises to "
            f"{float(Z[worst, column]):.4g}, larger than its distance from the stuck reading "
            f"({distance[worst]:.2f}): repaired readings become huge features"
        )


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(300, 0.25, seed), 300, n_test=75)
    assert_seeded_split(lambda seed: pipeline.train_test_split(40, 0.4, seed), 40, n_test=16)
    default = pipeline.train_test_split(300)
    explicit = pipeline.train_test_split(300, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(300) differs from train_test_split(300, 0.25, 0), its documented defaults"
    )


def held_out(pipeline, df, test_size=0.25, seed=0):
    _, test_idx = pipeline.train_test_split(len(df), test_size, seed)
    return df.index[test_idx]


def test_reported_figures_come_from_the_returned_model(pipeline):
    df = readings(pipeline)
    result = pipeline.run_pipeline(df, 0.3, 4)
    assert set(result) == KEYS, (
        f"run_pipeline returned the keys {sorted(result)}; expected {sorted(KEYS)}"
    )
    test = df.loc[held_out(pipeline, df, 0.3, 4)]
    scaler = result["scaler"]
    standardised = (features(pipeline, test) - scaler.mean_) / scaler.scale_
    predictions = standardised @ result["weights"] + result["intercept"]
    assert_figures(
        result,
        {"test_predictions": predictions, "test_rmse": rmse(test[pipeline.TARGET], predictions)},
        "run_pipeline(readings, test_size=0.3, seed=4)",
        rtol=1e-10,
    )


def test_fitted_model_is_the_ridge_fit_of_the_training_hours(pipeline):
    df = readings(pipeline)
    result = pipeline.run_pipeline(df, 0.3, 4)
    train_idx, _ = pipeline.train_test_split(len(df), 0.3, 4)
    X_train = features(pipeline, df.iloc[train_idx])
    y_train = df[pipeline.TARGET].to_numpy(dtype=float)[train_idx]
    scaler = result["scaler"]
    assert_close(scaler.mean_, X_train.mean(axis=0), "the fitted scaler's mean_",
                 "it is not the mean of the training hours", rtol=1e-12)  # fmt: skip
    spreads = [X_train.std(axis=0, ddof=ddof) for ddof in (0, 1)]
    assert any(np.allclose(scaler.scale_, s, rtol=1e-12) for s in spreads), (
        f"the fitted scaler's scale_ is {np.round(scaler.scale_, 6).tolist()}; the training "
        f"hours' standard deviations are {np.round(spreads[0], 6).tolist()}"
    )
    Z = (X_train - scaler.mean_) / scaler.scale_
    slope = ridge_optimality(Z, y_train, np.asarray(result["weights"]), result["intercept"], 1.0)
    assert np.max(np.abs(slope)) < 1e-7, (
        "the returned weights and intercept are not the ridge fit (alpha 1) of the standardised "
        f"training hours: the penalised squared error still slopes by {float(np.max(np.abs(slope))):.3g}"
    )


def test_defaults_are_the_documented_ones(pipeline):
    df = readings(pipeline)
    assert_unchanged(pipeline.run_pipeline(df), pipeline.run_pipeline(df, 0.25, 0),
                     "run_pipeline(readings)",
                     "the defaults are not test_size=0.25, seed=0")  # fmt: skip


def test_seed_and_test_size_are_honoured(pipeline):
    df = readings(pipeline)
    assert_reproducible(lambda seed: pipeline.run_pipeline(df, 0.25, seed)["test_rmse"],
                        "run_pipeline(readings, seed=...)['test_rmse']")  # fmt: skip
    n_predicted = len(pipeline.run_pipeline(df, 0.4, 0)["test_predictions"])
    assert n_predicted == 120, (
        f"run_pipeline(300 hours, test_size=0.4) scored {n_predicted} held-out hours; 40 % is 120"
    )


def test_nothing_fitted_depends_on_the_held_out_hours(pipeline):
    df = readings(pipeline)
    before = pipeline.run_pipeline(df)
    after = pipeline.run_pipeline(perturb_rows(df, held_out(pipeline, df)))
    for name in ("weights", "intercept"):
        assert_unchanged(before[name], after[name], name,
                         "it moved when only the held-out hours changed")  # fmt: skip
    assert_unchanged(before["scaler"], after["scaler"], "the scaler",
                     "it moved when only the held-out hours changed")  # fmt: skip


def test_run_pipeline_leaves_the_callers_table_alone(pipeline):
    df = readings(pipeline, stuck=STUCK)
    with np.errstate(all="ignore"):  # judged by the table
        assert_inputs_untouched(pipeline.run_pipeline, df, what="run_pipeline(readings)")


def ridge_optimality(X, y, w, b, alpha):
    """The slope of the ridge objective ||X w + b - y||^2 + alpha ||w||^2 at (w, b)."""
    residual = X @ w + b - y
    return np.append(X.T @ residual + alpha * w, residual.sum())


@pytest.mark.parametrize("alpha", [None, 0.3, 25.0])
def test_ridge_minimises_its_objective(pipeline, alpha):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = 80.0 + X @ [3.0, -2.0, 0.5, 0.0] + rng.normal(0.0, 1.0, 60)  # far from 0 on average
    w, b = pipeline.fit_ridge(X, y) if alpha is None else pipeline.fit_ridge(X, y, alpha)
    slope = ridge_optimality(X, y, np.asarray(w), b, 1.0 if alpha is None else alpha)
    assert np.max(np.abs(slope)) < 1e-8, (
        f"fit_ridge(X, y{'' if alpha is None else f', alpha={alpha}'}) returned a point where "
        f"the penalised squared error still slopes by up to {float(np.max(np.abs(slope))):.3g} "
        f"(weights {np.round(np.asarray(w), 4).tolist()}, intercept {float(b):.4f}): it is not "
        "the ridge fit with an unpenalised intercept"
    )


def test_held_out_error_with_working_sensors(pipeline):
    error = pipeline.run_pipeline(readings(pipeline))["test_rmse"]
    assert error < 3.0, f"held-out RMSE is {error:.3f} kWh; the noise is 2 kWh"


@pytest.mark.edge
def test_predictions_are_finite_with_a_stuck_sensor(pipeline):
    results = call_strict(pipeline.run_pipeline, readings(pipeline, stuck=STUCK),
                          what="run_pipeline(readings with humidity stuck)")  # fmt: skip
    assert_finite(results["test_predictions"], "the held-out predictions",
                  "one frozen sensor must not blank out every prediction")  # fmt: skip
    assert_finite(results["weights"], "the ridge weights")


def test_held_out_error_with_a_stuck_sensor(pipeline):
    with np.errstate(all="ignore"):  # judged by the error
        error = pipeline.run_pipeline(readings(pipeline, stuck=STUCK))["test_rmse"]
    assert error < 3.0, (
        f"held-out RMSE with humidity stuck is {float(error)} kWh; the four working sensors "
        "explain nearly all of the heating energy (noise 2 kWh)"
    )
