"""The spindle monitor must keep reporting sensible regimes on every shift.

The first tests run the monitor over eight shifts; the others pin down each step (the E-step,
the M-step, the starting point, EM's log-likelihood) against the textbook mixture formulas, with
numpy's floating-point warnings turned into errors.
"""

import math

import numpy as np
import pytest
from katakit import assert_close, assert_finite, assert_unchanged, call_strict

# The regimes as a previous shift's fit leaves them: idle near 2 A, cutting near 8 A.
WEIGHTS = np.array([0.4, 0.6])
MEANS = np.array([2.0, 8.0])
VARIANCES = np.array([0.15, 0.3]) ** 2


@pytest.fixture(scope="module")
def mixture(kata):
    return kata("mixture")


@pytest.fixture(scope="module")
def shifts(mixture):
    return [mixture.make_shift(300, seed) for seed in range(8)]


def textbook_terms(x):
    """w_j N(x_i | mean_j, var_j), one Python float at a time: (n, k)."""
    return np.array(
        [[w * math.exp(-((v - m) ** 2) / (2 * s2)) / math.sqrt(2 * math.pi * s2)
          for w, m, s2 in zip(WEIGHTS, MEANS, VARIANCES, strict=True)] for v in x]
    )  # fmt: skip


def best_single_term(x):
    """log of the largest w_j N(x | mean_j, var_j), from the log-density formula: (n,)."""
    logs = np.log(WEIGHTS) - 0.5 * (
        np.log(2 * np.pi * VARIANCES) + (np.asarray(x)[:, None] - MEANS) ** 2 / VARIANCES
    )
    return logs.max(axis=1)


def spiky_shift(shifts):
    """The first shift (after the first) that holds a reading above 20 A."""
    return next(x for x in shifts[1:] if (x > 20).any())


@pytest.mark.edge
def test_every_shift_gets_sensible_regimes(mixture, shifts):
    with np.errstate(all="ignore"):  # judged by the reported numbers
        results = mixture.run_pipeline(shifts)
    assert_finite(results["means"], "run_pipeline(8 shifts)['means']",
                  "the monitor stops reporting where the regimes are")  # fmt: skip
    share = np.asarray(results["cutting_share"])
    assert np.all((share > 0.45) & (share < 0.75)), (
        f"the share of readings labelled cutting per shift is {np.round(share, 3)}; the spindle "
        "cuts about 60% of the time on every shift"
    )


def test_e_step_matches_the_textbook_mixture_on_ordinary_readings(mixture):
    x = np.array([1.8, 2.0, 2.3, 4.5, 5.0, 7.6, 8.0, 8.4])
    terms = textbook_terms(x)
    resp, log_likelihood = mixture.e_step(x, WEIGHTS, MEANS, VARIANCES)
    assert_close(resp, terms / terms.sum(axis=1, keepdims=True), "e_step(...) responsibilities",
                 "each should be w_j N_j / sum_l w_l N_l", rtol=1e-9, atol=1e-12)  # fmt: skip
    expected = math.fsum(math.log(t) for t in terms.sum(axis=1))
    assert_close(log_likelihood, expected, "e_step(...) log-likelihood",
                 "it should be sum_i log sum_j w_j N(x_i | j)", rtol=1e-9)  # fmt: skip


@pytest.mark.edge
def test_responsibilities_sum_to_one_for_any_reading(mixture):
    x = np.array([2.0, 8.0, 25.0, 35.0, 60.0])
    resp, _ = call_strict(mixture.e_step, x, WEIGHTS, MEANS, VARIANCES,
                          what="the responsibilities of five readings under the last shift's regimes")  # fmt: skip
    assert_finite(resp, "the responsibilities of the five readings",
                  "every reading must belong to the regimes in some proportion")  # fmt: skip
    assert_close(resp.sum(axis=1), np.ones(len(x)), "row sums of the responsibilities",
                 "each reading's responsibilities are a probability distribution over regimes")  # fmt: skip


@pytest.mark.edge
def test_every_reading_belongs_to_the_regime_that_explains_it_better(mixture):
    x = np.array([35.0, 60.0])
    resp, _ = call_strict(mixture.e_step, x, WEIGHTS, MEANS, VARIANCES,
                          what="the responsibilities of two readings under the last shift's regimes")  # fmt: skip
    assert_close(resp, [[0.0, 1.0], [0.0, 1.0]], "the responsibilities of the two readings",
                 "the cutting regime explains both far better than idle does", atol=1e-9)  # fmt: skip


@pytest.mark.edge
def test_log_likelihood_of_any_reading_is_finite_and_consistent(mixture):
    x = np.array([35.0])
    _, log_likelihood = call_strict(mixture.e_step, x, WEIGHTS, MEANS, VARIANCES,
                                    what="the log-likelihood of one reading under the last shift's regimes")  # fmt: skip
    assert_finite(log_likelihood, "the log-likelihood of the reading",
                  "a reading the model finds unlikely still has a finite log-density")  # fmt: skip
    low = best_single_term(x)[0]
    assert low - 1e-9 * abs(low) <= log_likelihood <= low + math.log(2) + 1e-9 * abs(low), (
        f"the log-likelihood of the reading is {log_likelihood:.6g}; a mixture's density "
        f"lies between its best weighted component ({low:.6g} in log) and twice that"
    )


def test_em_log_likelihood_never_decreases_on_a_clean_shift(mixture, shifts):
    clean = next(x for x in shifts if x.max() < 12)
    history = mixture.fit_gmm(clean, 2, 30)["history"]
    assert_finite(history, "fit_gmm(a clean shift)['history']")
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[:-1])), (
        f"the EM log-likelihood went down on a clean shift: {np.round(history[:6], 3)}..."
    )


def test_a_cold_start_recovers_the_regimes(mixture, shifts):
    model = mixture.fit_gmm(shifts[1], 2, 30)
    assert_close(np.sort(model["means"]), MEANS, "fit_gmm(shift 1) means",
                 "the two regimes sit near 2 A and 8 A", atol=0.1)  # fmt: skip


@pytest.mark.edge
def test_em_log_likelihood_never_decreases_from_a_warm_start(mixture, shifts):
    what = "fit_gmm(a later shift, start=the last shift's regimes)"
    x = spiky_shift(shifts)
    model = call_strict(mixture.fit_gmm, x, 2, 30, (WEIGHTS, MEANS, VARIANCES), what=what)
    history = model["history"]
    assert_finite(
        history, f"{what}['history']", "EM's log-likelihood must be a number at every step"
    )
    assert np.all(np.diff(history) >= -1e-9 * np.abs(history[:-1])), (
        f"the EM log-likelihood went down: {np.round(history[:6], 3)}...; EM never does that"
    )


@pytest.mark.edge
def test_a_warm_start_recovers_the_regimes(mixture, shifts):
    x = spiky_shift(shifts)
    with np.errstate(all="ignore"):  # judged by the fitted means
        model = mixture.fit_gmm(x, 2, 30, (WEIGHTS, MEANS, VARIANCES))
    assert_close(np.sort(model["means"]), MEANS, "the regime means fitted on a later shift from the last shift's regimes",
                 "the spindle still idles near 2 A and cuts near 8 A", atol=0.3)  # fmt: skip


def test_the_monitor_reports_each_shifts_own_fit(mixture, shifts):
    clean = [x for x in shifts if x.max() < 12][:4]
    results = mixture.run_pipeline(clean, 2, 20)
    start, means, stds, shares = None, [], [], []
    for x in clean:
        model = mixture.fit_gmm(x, 2, 20, start)
        start = (model["weights"], model["means"], model["variances"])
        resp, _ = mixture.e_step(x, *start)
        means.append(model["means"])
        stds.append(np.sqrt(model["variances"]))
        shares.append(float(np.mean(resp.argmax(axis=1) == np.argmax(model["means"]))))
    for name, expected in (("means", means), ("stds", stds), ("cutting_share", shares)):
        assert_unchanged(results[name], np.array(expected), f"run_pipeline(4 shifts, 2, 20)[{name!r}]",
                         "it differs from fitting each shift in turn from the previous shift's "
                         "regimes and labelling its readings by responsibility")  # fmt: skip
    assert_unchanged(mixture.run_pipeline(clean), mixture.run_pipeline(clean, 2, 30),
                     "run_pipeline(shifts)", "the defaults are not n_components=2, n_iter=30")  # fmt: skip


def test_the_monitor_leaves_the_shifts_alone(mixture, shifts):
    clean = [x.copy() for x in shifts if x.max() < 12][:3]
    copies = [x.copy() for x in clean]
    mixture.run_pipeline(clean)
    for i, (before, after) in enumerate(zip(copies, clean, strict=True)):
        assert np.array_equal(before, after), f"run_pipeline changed the readings of shift {i}"


def test_m_step_gives_the_weighted_statistics(mixture):
    rng = np.random.default_rng(5)
    x = rng.normal(5.0, 3.0, 40)
    resp = rng.dirichlet([1.0, 1.0, 1.0], size=40)
    weights, means, variances = mixture.m_step(x, resp)
    counts = resp.sum(axis=0)
    expected_means = (resp * x[:, None]).sum(axis=0) / counts
    expected_vars = (resp * (x[:, None] - expected_means) ** 2).sum(axis=0) / counts
    assert_close(np.concatenate([weights, means, variances]),
                 np.concatenate([counts / 40, expected_means, expected_vars]),
                 "m_step(x, responsibilities) -> weights, means, variances",
                 "each is the responsibility-weighted share, mean and variance", rtol=1e-10)  # fmt: skip


def test_initial_parameters_come_from_the_quantiles(mixture):
    x = np.random.default_rng(6).normal(5.0, 2.0, 101)
    weights, means, variances = mixture.initial_parameters(x, 3)
    spread = (np.quantile(x, 0.75) - np.quantile(x, 0.25)) / 3
    assert_close(np.concatenate([weights, means, variances]),
                 np.concatenate([np.full(3, 1.0 / 3.0), np.quantile(x, [1 / 6, 0.5, 5 / 6]),
                                 np.full(3, spread**2)]),
                 "initial_parameters(x, 3)",
                 "equal weights, means at the 1/6, 1/2 and 5/6 quantiles, and the "
                 "interquartile range / 3, squared, as every variance", rtol=1e-12)  # fmt: skip


def test_em_records_the_log_likelihood_before_each_m_step(mixture, shifts):
    x = shifts[1]
    model = mixture.fit_gmm(x, 2, 5, (WEIGHTS, MEANS, VARIANCES))
    assert len(model["history"]) == 5, f"fit_gmm(n_iter=5) recorded {len(model['history'])} values"
    _, first = mixture.e_step(x, WEIGHTS, MEANS, VARIANCES)
    assert_close(model["history"][0], first, "fit_gmm(...)['history'][0]",
                 "the first entry is the log-likelihood at the starting point", rtol=1e-12)  # fmt: skip
    assert len(mixture.fit_gmm(x)["history"]) == 30, (
        "fit_gmm(x) does not run its documented 30 iterations"
    )
