"""A recording's activity share must be the mean class probability of its windows.

The tests compare activity_share with forward() on all windows at once, for several recordings
and settings.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_unchanged,
)

SEED = 0


@pytest.fixture(scope="module")
def network(kata):
    return kata("network")


@pytest.fixture(scope="module")
def params(network):
    X, y = network.make_windows(300, seed=SEED)
    return network.fit(X, y, seed=SEED)


def mean_probability(network, params, windows):
    """The documented result, from one forward pass over every window."""
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


def test_shares_of_every_day_add_up_to_one(network, params):
    for n in (50, 64, 65, 97, 130):
        share = network.activity_share(params, network.device_recording(n, seed=3), batch_size=32)
        assert np.isclose(share.sum(), 1.0, rtol=1e-9), (
            f"activity_share(params, {n} windows, batch_size=32) = {np.round(share, 4).tolist()}, "
            f"which adds up to {share.sum():.4f}: the fractions of time in each activity must "
            "add up to 1"
        )


def test_share_does_not_depend_on_the_batch_size(network, params):
    windows = network.device_recording(41, seed=4)
    for batch_size in (100, 32, 8, 5, 1):
        assert_close(
            network.activity_share(params, windows, batch_size=batch_size),
            mean_probability(network, params, windows),
            f"activity_share(params, 41 windows, batch_size={batch_size})",
            "the share of time in each activity changed with the batch size, which should only "
            "bound memory",
            rtol=1e-9,
        )


@pytest.mark.edge
def test_share_of_the_shortest_recording(network, params):
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


def test_run_pipeline_reports_the_figures_of_its_network(network):
    result = network.run_pipeline(n_train=120, n_recording=70, seed=2)
    X, y = network.make_windows(120, 2)
    windows = network.device_recording(70, 3)
    share = mean_probability(network, result["params"], windows)
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y, network.forward(result["params"], X).argmax(axis=1)),
            "share": share,
        },
        "run_pipeline(n_train=120, n_recording=70, seed=2)",
        rtol=1e-9,
    )
    assert result["dominant_activity"] == network.ACTIVITIES[int(np.argmax(share))], (
        f"run_pipeline names {result['dominant_activity']!r} the dominant activity, but the "
        f"largest share is {network.ACTIVITIES[int(np.argmax(share))]!r}"
    )


def test_run_pipeline_is_reproducible_and_follows_its_seed(network):
    assert_reproducible(
        lambda seed: network.run_pipeline(n_train=60, n_recording=10, seed=seed)["params"],
        "the network run_pipeline(n_train=60) trains",
    )


def test_activity_share_and_fit_leave_the_callers_arrays_untouched(network, params):
    windows = network.device_recording(9, seed=9)
    assert_inputs_untouched(
        lambda w: network.activity_share(params, w, batch_size=4), windows,
        what="activity_share(params, windows)",
    )  # fmt: skip
    X, y = network.make_windows(30, seed=9)
    assert_inputs_untouched(lambda X, y: network.fit(X, y, epochs=3), X, y, what="fit(X, y)")


def test_pipeline_reports_a_share_per_activity(network):
    result = network.run_pipeline()
    share = np.asarray(result["share"])
    assert share.shape == (3,), f"run_pipeline()['share'] has shape {share.shape}; one per activity"
    assert np.isclose(share.sum(), 1.0, rtol=1e-9), f"the shares add up to {share.sum():.4f}"
    assert result["dominant_activity"] == network.ACTIVITIES[int(share.argmax())]


@pytest.mark.edge
def test_forward_is_finite_for_windows_that_saturate_the_network(network, params):
    loud = 1e4 * network.make_windows(4, seed=11)[0]  # a sensor glitch: huge readings
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        probs = network.forward(params, loud)
    assert np.all(np.isfinite(probs)), f"forward on glitched windows gave {probs}"
    assert_close(probs.sum(axis=1), np.ones(4), "the row sums of forward on glitched windows")


def reference_step(params, X, y, lr):
    """One gradient step on the mean cross-entropy of the two-layer ReLU network, by hand."""
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    logits = hidden @ params["W2"] + params["b2"]
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    d_logits = (probs - np.eye(3)[y]) / len(y)
    d_hidden = d_logits @ params["W2"].T * (hidden > 0)
    grads = {
        "W1": X.T @ d_hidden,
        "b1": d_hidden.sum(axis=0),
        "W2": hidden.T @ d_logits,
        "b2": d_logits.sum(axis=0),
    }
    return {name: params[name] - lr * grads[name] for name in params}


def test_fit_descends_the_cross_entropy_step_by_step(network):
    X, y = network.make_windows(40, seed=12)
    start = network.fit(X, y, epochs=0, seed=3)
    for steps in (1, 2):
        expected = start
        for _ in range(steps):
            expected = reference_step(expected, X, y, lr=0.2)
        got = network.fit(X, y, lr=0.2, epochs=steps, seed=3)
        for name in ("W1", "b1", "W2", "b2"):
            assert_close(
                got[name], expected[name], f"{name} after {steps} step(s) of fit(lr=0.2)",
                "fit does not take gradient-descent steps on the mean cross-entropy",
                rtol=1e-10, atol=1e-12,
            )  # fmt: skip
