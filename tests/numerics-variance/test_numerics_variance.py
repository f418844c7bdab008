"""The streaming scaler must learn the same spread whatever the clock's origin.

Unix-epoch timestamps are about 1.7e9 seconds while a test run spans 40 seconds. The edge tests
stream such columns batch by batch with numpy's floating-point warnings turned into errors and
compare with a two-pass computation; sample or population spread (ddof 1 or 0) both count.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_finite, call_strict, with_shuffled_index

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
    scaler = call_strict(streamed, pipeline, X, what="StreamingScaler.partial_fit(epoch rows)")
    assert_spread_matches_two_pass(scaler.scale_, X, "scale_ of [timestamp, load, ambient]")


@pytest.mark.edge
@pytest.mark.parametrize("offset", [1e9, 3e9])
def test_spread_at_any_clock_offset_matches_two_pass(pipeline, offset):
    seconds = np.sort(np.random.default_rng(2).uniform(0.0, 40.0, 300))
    X = (offset + seconds)[:, None]
    what = f"partial_fit(timestamps {offset:.3g} + 0..40 s)"
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


@pytest.mark.edge
def test_held_out_error_with_epoch_timestamps(pipeline):
    df = log_at(pipeline, EPOCH)
    results = call_strict(
        pipeline.run_pipeline, df, what="run_pipeline(a log with epoch timestamps)"
    )
    error = results["test_rmse"]
    assert np.isfinite(error) and error < 0.8, (
        f"held-out RMSE is {error}; the sensor noise is 0.5 deg C and a linear model fits the rest"
    )


def test_predictions_do_not_depend_on_the_clock_origin(pipeline):
    with np.errstate(all="ignore"):  # judged by the predictions
        relative = pipeline.run_pipeline(log_at(pipeline, 0.0))["test_predictions"]
        epoch = pipeline.run_pipeline(log_at(pipeline, EPOCH))["test_predictions"]
    if not np.allclose(epoch, relative, rtol=1e-6):
        raise AssertionError(
            f"with timestamps in unix-epoch seconds the first test predictions are {epoch[:3]}; "
            f"with seconds since the start they are {relative[:3]}: only the clock's origin "
            "changed, so the predictions should not"
        )
