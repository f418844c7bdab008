"""The bench's model must predict every logged run.

The first tests run the whole pipeline on this week's logs; the others check each step: the
streamed statistics against a two-pass computation (sample or population spread, ddof 1 or 0,
both count) under numpy's strict floating point, the time split, the least-squares fit, and
every figure run_pipeline reports against the same figure recomputed from the returned model.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_finite,
    assert_inputs_untouched,
    assert_unchanged,
    call_strict,
    rmse,
    with_shuffled_index,
)

EPOCH = 1_700_000_000.0


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


def log_at(pipeline, start, seed=1):
    return with_shuffled_index(pipeline.make_log(400, seed, start), seed=seed)


def streamed(pipeline, X, batch_size=50):
    scaler = pipeline.StreamingScaler()
    for start in range(0, len(X), batch_size):
        scaler.partial_fit(X[start : start + batch_size])
    return scaler


def assert_spread_matches_two_pass(scale, X, what):
    scale = np.asarray(scale, dtype=float)
    assert_finite(scale, what, "a column that varies has a finite, positive spread")
    population, sample = X.std(axis=0, ddof=0), X.std(axis=0, ddof=1)
    if not (np.allclose(scale, population, rtol=1e-6) or np.allclose(scale, sample, rtol=1e-6)):
        raise AssertionError(
            f"{what} is {np.array2string(scale, precision=8)}; the standard deviation of the "
            f"same rows, computed in two passes, is {np.array2string(population, precision=8)}"
            " (ddof=0): the streamed spread is wrong"
        )


def epoch_training_rows(pipeline, seed=1):
    train, _ = pipeline.chronological_split(log_at(pipeline, EPOCH, seed))
    return train[pipeline.FEATURES].to_numpy(dtype=float)


@pytest.mark.edge
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_every_run_of_the_week_is_predicted(pipeline, seed):
    df = with_shuffled_index(pipeline.make_log(400, seed), seed=seed)
    what = f"run_pipeline(make_log(400, seed={seed}))"
    results = call_strict(pipeline.run_pipeline, df, what=what)
    error = results["test_rmse"]
    assert np.isfinite(error) and error < 0.8, (
        f"{what}: held-out RMSE is {float(error)}; the sensor noise is 0.5 deg C and a linear "
        "model fits the rest"
    )


def test_predictions_do_not_depend_on_the_clock_origin(pipeline):
    with np.errstate(all="ignore"):  # judged by the predictions
        relative = pipeline.run_pipeline(log_at(pipeline, 0.0))["test_predictions"]
        epoch = pipeline.run_pipeline(log_at(pipeline, EPOCH))["test_predictions"]
    if not np.allclose(epoch, relative, rtol=1e-6):
        raise AssertionError(
            f"Tuesday's run as this week's bench logs it gives the held-out predictions "
            f"{np.round(epoch[:3], 4).tolist()}; the same run as last month's bench logged it, "
            f"{np.round(relative[:3], 4).tolist()}: the motor did exactly the same"
        )


def test_scaler_matches_two_pass_statistics_on_small_numbers(pipeline):
    X = np.random.default_rng(0).normal([5.0, -3.0, 0.0], [2.0, 0.1, 10.0], size=(300, 3))
    scaler = streamed(pipeline, X)
    assert_close(scaler.mean_, X.mean(axis=0), "StreamingScaler mean_", rtol=1e-9)
    assert_spread_matches_two_pass(scaler.scale_, X, "StreamingScaler scale_")


@pytest.mark.parametrize("batch_size", [1, 7, 300])
def test_batch_size_does_not_change_the_statistics(pipeline, batch_size):
    X = np.random.default_rng(1).normal(20.0, 3.0, size=(300, 2))
    one, many = streamed(pipeline, X, 50), streamed(pipeline, X, batch_size)
    what = f"scale_ streamed in batches of {batch_size}"
    assert_close(many.mean_, one.mean_, f"mean_ streamed in batches of {batch_size}", rtol=1e-9)
    assert_close(many.scale_, one.scale_, what, "the batches are only how rows arrive", rtol=1e-9)


@pytest.mark.edge
def test_spread_of_epoch_timestamps_matches_two_pass(pipeline):
    X = epoch_training_rows(pipeline)
    scaler = call_strict(
        streamed,
        pipeline,
        X,
        what="a StreamingScaler fed Tuesday's training rows, 50 at a time",
    )
    assert_spread_matches_two_pass(scaler.scale_, X, "scale_ of [timestamp, load, ambient]")


@pytest.mark.edge
@pytest.mark.parametrize("offset", [1e9, 3e9])
def test_spread_at_any_clock_offset_matches_two_pass(pipeline, offset):
    seconds = np.sort(np.random.default_rng(2).uniform(0.0, 40.0, 300))
    X = (offset + seconds)[:, None]
    what = f"a StreamingScaler fed timestamps {offset:.3g} + 0..40 s"
    scaler = call_strict(streamed, pipeline, X, what=what)
    assert_spread_matches_two_pass(scaler.scale_, X, f"the spread learned by {what}")


@pytest.mark.edge
def test_statistics_follow_a_shift_of_the_clock(pipeline):
    clock = np.array([EPOCH, 0.0, 0.0])
    X = epoch_training_rows(pipeline) - clock  # seconds since the start
    near, far = streamed(pipeline, X), call_strict(streamed, pipeline, X + clock)
    assert_close(far.mean_ - clock, near.mean_, "mean_ with the clock moved by 1.7e9 s",
                 "moving every timestamp by the same amount moves the mean by exactly that",
                 rtol=1e-9, atol=1e-6)  # fmt: skip
    assert_close(far.scale_, near.scale_, "scale_ with the clock moved by 1.7e9 s",
                 "moving every timestamp by the same amount leaves their spread alone", rtol=1e-6)  # fmt: skip


@pytest.mark.edge
def test_standardised_training_timestamps_have_unit_spread(pipeline):
    X = epoch_training_rows(pipeline)
    with np.errstate(all="ignore"):  # judged by the standardised values
        Z = streamed(pipeline, X).transform(X)
    assert_finite(Z, "transform(epoch training rows)", "standardised features feed the model")
    spread = Z.std(axis=0)
    n = len(X)
    assert np.all((spread > np.sqrt((n - 1) / n) - 1e-6) & (spread < 1 + 1e-6)), (
        f"the standardised training columns have standard deviations {spread}; each should be 1"
    )


def test_split_is_chronological(pipeline):
    df = log_at(pipeline, EPOCH)
    train, test = pipeline.chronological_split(df)
    assert (len(train), len(test)) == (300, 100)
    assert train["timestamp"].max() < test["timestamp"].min(), "test rows must come after training"


def test_split_is_chronological_and_honours_test_size(pipeline):
    df = log_at(pipeline, 0.0, seed=4)
    train, test = pipeline.chronological_split(df, 0.4)
    assert (len(train), len(test)) == (240, 160), (
        f"chronological_split(400 rows, 0.4) gave {len(train)} and {len(test)} rows; expected 240 and 160"
    )
    assert set(train.index) | set(test.index) == set(df.index), "the split loses or repeats rows"
    assert train["timestamp"].max() < test["timestamp"].min(), "test rows must come after training"
    default = pipeline.chronological_split(df)
    assert len(default[1]) == 100, (
        f"chronological_split(400 rows) holds out {len(default[1])}; a quarter is 100"
    )


def test_reported_figures_come_from_the_returned_model(pipeline):
    df = log_at(pipeline, 0.0, seed=5)
    result = pipeline.run_pipeline(df, batch_size=30, test_size=0.3)
    ordered = df.sort_values("timestamp")
    train, test = ordered.iloc[:280], ordered.iloc[280:]
    X_train = train[pipeline.FEATURES].to_numpy(dtype=float)
    X_test = test[pipeline.FEATURES].to_numpy(dtype=float)
    scaler = result["scaler"]
    assert_close(scaler.mean_, X_train.mean(axis=0), "the fitted scaler's mean_",
                 "it is not the mean of the 280 training rows", rtol=1e-9)  # fmt: skip
    assert_spread_matches_two_pass(scaler.scale_, X_train, "the fitted scaler's scale_")
    predictions = (X_test - scaler.mean_) / scaler.scale_ @ result["weights"] + result["bias"]
    assert_figures(
        result,
        {"test_predictions": predictions, "test_rmse": rmse(test[pipeline.TARGET], predictions)},
        "run_pipeline(log, batch_size=30, test_size=0.3)",
        rtol=1e-9,
    )
    Z = (X_train - scaler.mean_) / scaler.scale_
    A = np.column_stack([Z, np.ones(len(Z))])
    residual = A @ np.append(result["weights"], result["bias"]) - train[pipeline.TARGET].to_numpy()
    slope = float(np.abs(A.T @ residual).max() / len(Z))
    assert slope < 1e-8, (
        f"the squared error of the returned model on its training rows still slopes by "
        f"{slope:.3g}: weights and bias are not the least-squares fit of the training rows"
    )


def test_least_squares_fit_with_an_intercept(pipeline):
    rng = np.random.default_rng(6)
    X = rng.normal(size=(50, 3))
    y = 60.0 + X @ [2.0, -1.0, 0.5] + rng.normal(0.0, 0.1, 50)  # far from 0 on average
    w, b = pipeline.fit_linear_regression(X, y)
    coef, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(50)]), y, rcond=None)
    assert_close(np.append(w, b), coef, "fit_linear_regression(X, y) -> (w, b)",
                 "the least-squares weights and intercept", rtol=1e-9)  # fmt: skip


def test_nothing_fitted_depends_on_the_held_out_rows(pipeline):
    df = log_at(pipeline, 0.0, seed=7)
    late = df.sort_values("timestamp").index[300:]
    changed = df.copy()
    changed.loc[late, ["load_kw", "ambient_c", pipeline.TARGET]] *= 100.0
    before, after = pipeline.run_pipeline(df), pipeline.run_pipeline(changed)
    for name in ("weights", "bias"):
        assert_unchanged(before[name], after[name], name,
                         "it moved when only the held-out (latest) rows changed")  # fmt: skip
    assert_unchanged(before["scaler"], after["scaler"], "the scaler",
                     "it moved when only the held-out (latest) rows changed")  # fmt: skip


def test_run_pipeline_leaves_the_log_alone(pipeline):
    df = log_at(pipeline, 0.0, seed=8)
    assert_inputs_untouched(pipeline.run_pipeline, df, what="run_pipeline(log)")
    assert_unchanged(pipeline.run_pipeline(df), pipeline.run_pipeline(df, 50, 0.25),
                     "run_pipeline(log)", "the defaults are not batch_size=50, test_size=0.25")  # fmt: skip
