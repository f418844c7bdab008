"""The wristband job, end to end: raw windows, the network, the app's live shares, the nightly report.

Every share the app shows and every figure the nightly report gives is recomputed independently
from the trained network. However the phone happened to sync a day, the
app must show what the nightly report says. The lab windows and the users' days are the files
handed out in data/.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
)

SEED = 0
DATA = Path(__file__).resolve().parent / "data"
LAB = DATA / "lab_windows.csv"
USERS = ["1042", "2207", "3315", "4581"]  # the team's test day, then the users support followed
SAMPLES = [f"s{i:02d}" for i in range(16)]


def read_windows(frame):
    """The raw counts of a file's windows, as the band sends them: (n, 1, 16)."""
    return frame[SAMPLES].to_numpy(dtype=np.int16)[:, None, :]


@pytest.fixture(scope="module")
def lab():
    frame = pd.read_csv(LAB)
    y = frame["activity"].map({"still": 0, "walking": 1, "running": 2}).to_numpy()
    return read_windows(frame), y


@pytest.fixture(scope="module")
def days():
    """Each user's recording (n, 1, 16) and the requests the phone synced it in, in order."""
    out = {}
    for user in USERS:
        frame = pd.read_csv(DATA / f"day_{user}.csv", dtype={"synced": str})
        recording = read_windows(frame)
        starts = [
            i for i in range(len(frame)) if i == 0 or frame["synced"][i] != frame["synced"][i - 1]
        ]
        ends = [*starts[1:], len(frame)]
        out[user] = recording, [recording[a:b] for a, b in zip(starts, ends, strict=True)]
    return out


@pytest.fixture(scope="module")
def network(kata):
    return kata("network")


@pytest.fixture(scope="module")
def params(network, lab):
    return network.fit(by_hand(network, lab[0]), lab[1], seed=SEED)


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


def test_the_files_are_read_as_the_band_sent_them(network, lab, days):
    windows, y = network.load_lab(LAB)
    assert np.array_equal(np.asarray(windows), lab[0]), (
        f"load_lab('data/lab_windows.csv') gave windows of shape {np.shape(windows)} that are not "
        f"the file's raw counts, shape {lab[0].shape}"
    )
    assert np.array_equal(np.asarray(y), lab[1]), (
        "load_lab('data/lab_windows.csv') does not label each window with its own activity"
    )
    for user in USERS:
        recording, requests = network.load_day(DATA / f"day_{user}.csv")
        expected, syncs = days[user]
        assert np.array_equal(np.asarray(recording), expected), (
            f"load_day('data/day_{user}.csv') gave a recording of shape {np.shape(recording)} that "
            f"is not the file's windows in order, shape {expected.shape}"
        )
        sizes = [len(r) for r in requests]
        assert sizes == [len(s) for s in syncs] and all(
            np.array_equal(r, s) for r, s in zip(requests, syncs, strict=True)
        ), (
            f"load_day('data/day_{user}.csv') gave {len(requests)} requests; the phone synced "
            f"the day in {len(syncs)}"
        )


def test_prepare_gives_each_window_in_g_without_gravity(network, lab):
    raw = lab[0][:7]
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


def test_forward_gives_a_distribution_per_window(network, params, lab):
    X = by_hand(network, lab[0][20:40])
    probs = network.forward(params, X)
    assert probs.shape == (20, 3), f"forward(params, X of shape (20, 16)) gave shape {probs.shape}"
    assert_close(probs.sum(axis=1), np.ones(20), "the row sums of forward(params, X)")


def test_forward_is_the_two_layer_network(network, params, lab):
    X = by_hand(network, lab[0][40:52])
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    logits = hidden @ params["W2"] + params["b2"]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    assert_close(
        network.forward(params, X), expected, "forward(params, 12 windows)",
        "the probabilities are not those of the trained two-layer network", rtol=1e-9,
    )  # fmt: skip


def test_network_learns_the_three_activities(network, lab):
    X, y = by_hand(network, lab[0]), lab[1]
    params = network.fit(X[:200], y[:200], seed=SEED)
    accuracy = np.mean(network.forward(params, X[200:]).argmax(axis=1) == y[200:])
    assert accuracy >= 0.95, (
        f"trained on the first 200 lab windows, the network labels {accuracy:.3f} of the other "
        f"{len(y) - 200} correctly; still, "
        "walking and running are easy to tell apart, so nearly all should be"
    )


@pytest.mark.edge
def test_forward_is_finite_for_windows_that_saturate_the_network(network, params, lab):
    loud = 1e4 * by_hand(network, lab[0][60:64])  # a sensor glitch
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


def test_fit_descends_the_cross_entropy_step_by_step(network, lab):
    X, y = by_hand(network, lab[0][100:140]), lab[1][100:140]
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


def test_nightly_report_gives_the_figures_of_its_windows(network, params, days):
    recording = days["1042"][0][:300]
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


def test_the_app_shows_the_mean_probability_of_the_windows_synced_in_bulk(network, params, days):
    recording = days["1042"][0][200:320]
    for size in (30, 12, 9):
        requests = [recording[i : i + size] for i in range(0, 120, size)]
        assert_close(
            live(network, params, requests), scored(network, params, recording).mean(axis=0),
            f"the app's shares after 120 windows synced {size} at a time",
            "the app does not show the mean class probability of the windows it scored",
            rtol=1e-9,
        )  # fmt: skip


def test_the_app_agrees_with_the_nightly_report(network, params, days):
    for user in USERS:
        recording, requests = days[user]
        shown = live(network, params, requests)
        nightly = network.nightly_report(params, recording)["shares"]
        assert np.allclose(shown, nightly, rtol=1e-9, atol=1e-12), (
            f"user {user}'s day ({len(recording)} windows): the app showed still/walking/running "
            f"{fmt(shown)}, the nightly report {fmt(nightly)}"
        )
    for n_windows in (31, 1):  # the band taken off early
        recording = days["1042"][0][:n_windows]
        requests = np.split(recording, range(30, n_windows, 30))
        expected = scored(network, params, recording).mean(axis=0)
        report = network.nightly_report(params, recording)
        assert_close(report["shares"], expected, "the nightly shares of a day cut short", rtol=1e-9)
        assert_close(
            live(network, params, requests), expected, "the app's shares for a day cut short",
            rtol=1e-9,
        )  # fmt: skip


def test_the_app_does_not_depend_on_how_the_day_is_synced(network, params, days):
    recording = days["1042"][0][:120]
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
    again = live(network, params, np.split(recording, 120))
    assert_close(again, once, "the app's shares for the same 120 windows synced another way",
                 rtol=1e-9)  # fmt: skip


def test_run_pipeline_reports_the_figures_of_its_network(network, lab, days):
    result = network.run_pipeline(LAB, DATA / "day_1042.csv", seed=2)
    recording, requests = days["1042"]
    shares = scored(network, result["params"], recording).mean(axis=0)
    raw, y = lab
    accuracy = np.mean(network.forward(result["params"], by_hand(network, raw)).argmax(1) == y)
    assert_figures(
        result,
        {"lab_accuracy": accuracy, "requests": len(requests), "live": shares},
        "run_pipeline('data/lab_windows.csv', 'data/day_1042.csv', seed=2)",
        rtol=1e-9,
    )
    assert_close(result["nightly"]["shares"], shares, "the nightly shares of run_pipeline")
    trained = network.fit(by_hand(network, raw), y, seed=2)
    for name in ("W1", "b1", "W2", "b2"):
        assert_close(result["params"][name], trained[name], f"run_pipeline(seed=2)'s {name}")


def test_run_pipeline_is_reproducible_and_follows_its_seed(network):
    assert_reproducible(
        lambda seed: network.run_pipeline(LAB, DATA / "day_1042.csv", seed=seed)["params"],
        "the network run_pipeline trains",
    )
