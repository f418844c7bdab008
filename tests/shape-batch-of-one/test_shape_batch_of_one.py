"""A recording's activity share must not depend on how it is cut into batches.

activity_share documents the mean class probability over the recording's windows; batching only
bounds memory. The tests compare it with forward() on all windows at once, for recordings whose
last batch holds one window, for batches of one, and for a recording of a single window.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_unchanged

SEED = 0


@pytest.fixture(scope="module")
def network(kata):
    return kata("network")


@pytest.fixture(scope="module")
def params(network):
    X, y = network.make_windows(300, seed=SEED)
    return network.fit(X, y, seed=SEED)


def mean_probability(network, params, windows):
    """The documented result, from one forward pass over every window (channel dropped by hand)."""
    flat = np.asarray(windows)[:, 0, :]  # (n, 16)
    return network.forward(params, flat).mean(axis=0)


def test_forward_gives_a_distribution_per_window(network, params):
    X, _ = network.make_windows(20, seed=5)
    probs = network.forward(params, X)
    assert probs.shape == (20, 3), f"forward(params, X of shape (20, 16)) gave shape {probs.shape}"
    assert_close(probs.sum(axis=1), np.ones(20), "the row sums of forward(params, X)")


def test_network_learns_the_three_activities(network, params):
    X, y = network.make_windows(200, seed=7)
    accuracy = np.mean(network.forward(params, X).argmax(axis=1) == y)
    assert accuracy >= 0.95, (
        f"the trained network labels {accuracy:.3f} of 200 fresh windows correctly; still, "
        "walking and running are easy to tell apart, so nearly all should be"
    )


def test_share_of_a_recording_in_full_batches_is_the_mean_probability(network, params):
    windows = network.device_recording(64, seed=3)  # two full batches of 32
    assert_close(
        network.activity_share(params, windows, batch_size=32),
        mean_probability(network, params, windows),
        "activity_share(params, 64 windows, batch_size=32)",
        rtol=1e-9,
    )


def test_shares_sum_to_one_when_the_last_batch_holds_one_window(network, params):
    windows = network.device_recording(65, seed=3)  # 32 + 32 + 1
    share = network.activity_share(params, windows, batch_size=32)
    assert np.isclose(share.sum(), 1.0, rtol=1e-9), (
        f"activity_share(params, 65 windows, batch_size=32) = {np.round(share, 4)}, which adds "
        f"up to {share.sum():.4f}: the fractions of time in each activity must add up to 1 "
        "(with 64 windows they do)"
    )


@pytest.mark.parametrize("batch_size", [1, 5, 32, 100])
def test_share_does_not_depend_on_the_batch_size(network, params, batch_size):
    windows = network.device_recording(41, seed=4)  # 41 = 8 * 5 + 1 = 32 + 9
    assert_close(
        network.activity_share(params, windows, batch_size=batch_size),
        mean_probability(network, params, windows),
        f"activity_share(params, 41 windows, batch_size={batch_size})",
        "the share of time in each activity changed with the batch size, which should only "
        "bound memory",
        rtol=1e-9,
    )


@pytest.mark.edge
def test_a_recording_of_one_window(network, params):
    windows = network.device_recording(1, seed=6)
    assert_close(
        network.activity_share(params, windows),
        mean_probability(network, params, windows),
        "activity_share(params, a recording of 1 window)",
        "for a single window the share of time is that window's class probabilities",
        rtol=1e-9,
    )


def test_share_does_not_depend_on_the_order_of_the_windows(network, params):
    windows = network.device_recording(33, seed=8)  # 32 + 1
    order = np.random.default_rng(2).permutation(len(windows))
    assert_unchanged(
        network.activity_share(params, windows),
        network.activity_share(params, windows[order]),
        "activity_share(params, 33 windows)",
        "shuffling the windows of a recording changed its share of time per activity",
        rtol=1e-9,
    )


def test_pipeline_reports_a_share_per_activity(network):
    result = network.run_pipeline()
    share = np.asarray(result["share"])
    assert share.shape == (3,), f"run_pipeline()['share'] has shape {share.shape}; one per activity"
    assert np.isclose(share.sum(), 1.0, rtol=1e-9), f"the shares add up to {share.sum():.4f}"
    assert result["dominant_activity"] == network.ACTIVITIES[int(share.argmax())]
