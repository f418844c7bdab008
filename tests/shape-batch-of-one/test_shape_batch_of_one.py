"""The wristband job, end to end: raw windows, the network, the app's live shares, the nightly report.

Every share the app shows and every figure the nightly report gives is recomputed independently
from the trained network. However the phone happened to sync a day, the
app must show what the nightly report says.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
)

SEED = 0
# (name, windows in the day, app opens per hour, seed) of the users support followed.
USERS = [
    ("A", 400, 2.0, 1),
    ("B", 400, 10.0, 2),
    ("C", 500, 5.0, 5),
    ("D", 600, 30.0, 3),
]


@pytest.fixture(scope="module")
def network(kata):
    return kata("network")


@pytest.fixture(scope="module")
def params(network):
    lab, y = network.make_windows(300, seed=SEED)
    return network.fit(network.prepare(lab), y, seed=SEED)


def by_hand(network, windows):
    """Network input computed without prepare: each window in g, minus its own mean."""
    g = np.asarray(windows, dtype=float).reshape(len(windows), network.WINDOW) / 256.0
    return g - g.mean(axis=1, keepdims=True)


def scored(network, params, windows):
    """Class probabilities of every window: (n, 3)."""
    return network.forward(params, by_hand(network, windows))


def live(network, params, requests):
    app = network.LiveShares(params)
    for request in requests:
        app.update(request)
    return app.shares()


def fmt(shares):
    return "/".join(f"{v:.4f}" for v in shares)


# -- the windows and the network -----------------------------------------------------------------


def test_prepare_gives_each_window_in_g_without_gravity(network):
    raw, _ = network.make_windows(7, seed=4)
    X = assert_inputs_untouched(network.prepare, raw, what="prepare(raw windows)")
    assert_close(X, by_hand(network, raw), "prepare(7 raw windows of shape (7, 1, 16))")
    assert_close(
        network.prepare(raw[:, 0, :]), by_hand(network, raw), "prepare(the same windows as (7, 16))"
    )


@pytest.mark.edge
def test_prepare_rejects_windows_of_another_length(network):
    for shape in [(4, 1, 20), (4, 12), (4, 2, 16)]:
        with pytest.raises(ValueError):
            network.prepare(np.zeros(shape, dtype=np.int16))


def test_forward_gives_a_distribution_per_window(network, params):
    X = by_hand(network, network.make_windows(20, seed=5)[0])
    probs = network.forward(params, X)
    assert probs.shape == (20, 3), f"forward(params, X of shape (20, 16)) gave shape {probs.shape}"
    assert_close(probs.sum(axis=1), np.ones(20), "the row sums of forward(params, X)")


def test_forward_is_the_two_layer_network(network, params):
    X = by_hand(network, network.make_windows(12, seed=8)[0])
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    logits = hidden @ params["W2"] + params["b2"]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert_close(
        network.forward(params, X), expected, "forward(params, 12 windows)",
        "the probabilities are not those of the trained two-layer network", rtol=1e-9,
    )  # fmt: skip


def test_network_learns_the_three_activities(network, params):
    raw, y = network.make_windows(200, seed=7)
    accuracy = np.mean(network.forward(params, by_hand(network, raw)).argmax(axis=1) == y)
    assert accuracy >= 0.95, (
        f"the trained network labels {accuracy:.3f} of 200 fresh lab windows correctly; still, "
        "walking and running are easy to tell apart, so nearly all should be"
    )


@pytest.mark.edge
def test_forward_is_finite_for_windows_that_saturate_the_network(network, params):
    loud = 1e4 * by_hand(network, network.make_windows(4, seed=11)[0])  # a sensor glitch
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
    raw, y = network.make_windows(40, seed=12)
    X = by_hand(network, raw)
    start = network.fit(X, y, epochs=0, seed=3)
    for steps in (1, 2):
        expected = start
        for _ in range(steps):
            expected = reference_step(expected, X, y, lr=0.5)
        got = network.fit(X, y, lr=0.5, epochs=steps, seed=3)
        for name in ("W1", "b1", "W2", "b2"):
            assert_close(
                got[name], expected[name], f"{name} after {steps} step(s) of fit(lr=0.5)",
                "fit does not take gradient-descent steps on the mean cross-entropy",
                rtol=1e-10, atol=1e-12,
            )  # fmt: skip
    assert_inputs_untouched(lambda X, y: network.fit(X, y, epochs=3), X, y, what="fit(X, y)")


# -- a user's day --------------------------------------------------------------------------------


def test_the_synced_requests_are_the_day_in_order(network):
    for _, n_windows, opens, seed in USERS:
        recording, requests = network.make_day(n_windows, opens, seed)
        assert recording.shape == (n_windows, 1, network.WINDOW)
        assert np.array_equal(np.concatenate(requests), recording), (
            "the requests do not hold the day's windows in order"
        )
        assert max(len(r) for r in requests) <= 30, "a request holds more than 30 windows"


def test_nightly_report_gives_the_figures_of_its_windows(network, params):
    recording, _ = network.make_day(300, 5.0, seed=7)
    report = assert_inputs_untouched(
        network.nightly_report, params, recording, what="nightly_report(params, recording)"
    )
    probs = scored(network, params, recording)
    shares = probs.mean(axis=0)
    assert_figures(
        report,
        {"shares": shares, "minutes": np.bincount(probs.argmax(axis=1), minlength=3) / 2},
        "nightly_report(params, a day of 300 windows)",
        rtol=1e-9,
    )
    still = recording[scored(network, params, recording).argmax(axis=1) == 0]
    quiet = network.nightly_report(params, still)
    assert_close(quiet["minutes"], [len(still) / 2, 0.0, 0.0], "the minutes of a day spent still")
    assert report["dominant"] == network.ACTIVITIES[int(shares.argmax())], (
        f"the nightly report names {report['dominant']!r} the dominant activity, but the largest "
        f"share is {network.ACTIVITIES[int(shares.argmax())]!r}"
    )


def test_the_app_shows_the_mean_probability_of_the_windows_synced_in_bulk(network, params):
    recording, _ = network.make_day(120, 0.0, seed=4)
    for size in (30, 12, 9):
        requests = [recording[i : i + size] for i in range(0, 120, size)]
        assert_close(
            live(network, params, requests), scored(network, params, recording).mean(axis=0),
            f"the app's shares after 120 windows synced {size} at a time",
            "the app does not show the mean class probability of the windows it scored",
            rtol=1e-9,
        )  # fmt: skip


def test_the_app_agrees_with_the_nightly_report(network, params):
    for name, n_windows, opens, seed in USERS:
        recording, requests = network.make_day(n_windows, opens, seed)
        shown = live(network, params, requests)
        nightly = network.nightly_report(params, recording)["shares"]
        assert np.allclose(shown, nightly, rtol=1e-9, atol=1e-12), (
            f"user {name}'s day ({n_windows} windows, {len(requests)} syncs): the app showed "
            f"still/walking/running {fmt(shown)}, the nightly report {fmt(nightly)}"
        )
    for n_windows in (31, 1):
        recording, requests = network.make_day(n_windows, 0.0, seed=9)
        expected = scored(network, params, recording).mean(axis=0)
        report = network.nightly_report(params, recording)
        assert_close(
            report["shares"], expected, f"the nightly shares of a day of {n_windows} window(s)",
            rtol=1e-9,
        )  # fmt: skip
        assert_close(
            live(network, params, requests), expected,
            f"the app's shares for a day of {n_windows} window(s)", rtol=1e-9,
        )  # fmt: skip


def test_the_app_does_not_depend_on_how_the_day_is_synced(network, params):
    recording, _ = network.make_day(120, 0.0, seed=6)
    once = live(network, params, [recording])
    rng = np.random.default_rng(3)
    for _ in range(6):
        cuts = np.sort(rng.choice(np.arange(1, 120), size=rng.integers(10, 40), replace=False))
        requests = np.split(recording, cuts)
        shown = live(network, params, requests)
        assert np.allclose(shown, once, rtol=1e-9, atol=1e-12), (
            f"the same 120 windows synced in {len(requests)} requests: the app shows "
            f"still/walking/running {fmt(shown)}; synced in one request, {fmt(once)}"
        )
    singles = live(network, params, np.split(recording, 120))
    assert_close(singles, once, "the app's shares with a sync after every window", rtol=1e-9)


def test_run_pipeline_reports_the_figures_of_its_network(network):
    result = network.run_pipeline(n_lab=150, n_windows=200, opens_per_hour=0.0, seed=2)
    lab, y = network.make_windows(150, 2)
    recording, requests = network.make_day(200, 0.0, 3)
    shares = scored(network, result["params"], recording).mean(axis=0)
    accuracy = np.mean(network.forward(result["params"], by_hand(network, lab)).argmax(1) == y)
    assert_figures(
        result,
        {"lab_accuracy": accuracy, "requests": len(requests), "live": shares},
        "run_pipeline(n_lab=150, n_windows=200, seed=2)",
        rtol=1e-9,
    )
    assert_close(result["nightly"]["shares"], shares, "the nightly shares of run_pipeline")
    trained = network.fit(by_hand(network, lab), y, seed=2)
    for name in ("W1", "b1", "W2", "b2"):
        assert_close(result["params"][name], trained[name], f"run_pipeline(seed=2)'s {name}")


def test_run_pipeline_is_reproducible_and_follows_its_seed(network):
    assert_reproducible(
        lambda seed: network.run_pipeline(n_lab=60, n_windows=40, seed=seed)["params"],
        "the network run_pipeline(n_lab=60) trains",
    )
