"""The spindle dashboard, end to end: clean each shift's export, fit the regimes, report them.

The first tests run the dashboard over the shifts handed out in data/ for both sites; the others
pin down each step (reading and cleaning an export, the scale, the starting point, the E-step,
the M-step, the stopping rule, the report) against independent computations, with numpy's
floating-point warnings turned into errors where a correct mixture never produces one.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_finite,
    assert_inputs_untouched,
    assert_unchanged,
    call_strict,
    with_shuffled_index,
)

DATA = Path(__file__).resolve().parent / "data"
SITES = ("leeds", "porto")
DATES = ("2024-03-04", "2024-03-05", "2024-03-06")
# The levels (A) each site's spindle idles and cuts at, from its maker's sheet.
LEVELS = {"leeds": (2.0, 8.0), "porto": (2.4, 7.5)}

# The Porto regimes as the dashboard showed them last month: idle 2.4 A, cutting 7.5 A.
WEIGHTS = np.array([0.55, 0.45])
MEANS = np.array([2.4, 7.5])
VARIANCES = np.array([0.15, 0.6]) ** 2


@pytest.fixture(scope="module")
def readings(kata):
    return kata("readings")


@pytest.fixture(scope="module")
def mixture(kata):
    return kata("mixture")


def export_path(site, shift):
    return DATA / f"{site}_{DATES[shift]}.csv"


def own_loading(path):
    """A logger file read independently: its header and its rows (time, value, unit, ...)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    header = dict(line[2:].split(": ", 1) for line in lines if line.startswith("# "))
    rows = [line.split(",") for line in lines[len(header) + 1 :]]
    start = pd.Timestamp(header["start"])
    return pd.DataFrame(
        {
            "time": [start + pd.Timedelta(seconds=int(t)) for t, _ in rows],
            "sensor": header["sensor"],
            "value": [float(v) if v else np.nan for _, v in rows],
            "unit": header["unit"],
            "status": ["ok" if v else "offline" for _, v in rows],
        }
    )


def own_cleaning(export):
    """Each logged reading once, in amps and in time order, written independently."""
    ok = export[export["status"] == "ok"].drop_duplicates(["sensor", "time"])
    ok = ok.sort_values("time", kind="stable")
    factor = np.where(ok["unit"].to_numpy() == "mA", 1e-3, 1.0)
    return ok["value"].to_numpy(dtype=float) * factor


@pytest.fixture(scope="module")
def week(readings):
    """{site: [readings of each shift handed out, by date]}, in amps."""
    return {
        site: [own_cleaning(own_loading(export_path(site, shift))) for shift in range(len(DATES))]
        for site in SITES
    }


def log_joint(x, weights, means, variances):
    """log(w_j N(x_i | mean_j, var_j)): (n, k)."""
    diff = np.asarray(x, dtype=float)[:, None] - means
    return np.log(weights) - 0.5 * (np.log(2 * np.pi * variances) + diff**2 / variances)


def responsibilities(x, weights, means, variances):
    """w_j N_j / sum_l w_l N_l, computed without leaving log space: (n, k)."""
    logs = log_joint(x, weights, means, variances)
    return np.exp(logs - np.logaddexp.reduce(logs, axis=1, keepdims=True))


def em_step(x, weights, means, variances):
    """One EM step in amps, written independently: the next weights, means and variances."""
    resp = responsibilities(x, weights, means, variances)
    counts = resp.sum(axis=0)
    new_means = resp.T @ x / counts
    new_variances = (resp * (x[:, None] - new_means) ** 2).sum(axis=0) / counts
    return counts / len(x), new_means, new_variances


def fit_quietly(mixture, x, *args, **kwargs):
    with np.errstate(all="ignore"):  # judged by what the fit returns
        return mixture.fit_mixture(x, *args, **kwargs)


# -- the dashboard ------------------------------------------------------------------------------


@pytest.mark.edge
def test_every_shift_of_both_sites_gets_its_regimes(mixture):
    for site in SITES:
        with np.errstate(all="ignore"):  # judged by the table
            table = mixture.week_report(site, str(DATA))
        figures = table[["idle_amps", "idle_sd", "cutting_amps", "cutting_sd"]].to_numpy(float)
        share = table["cutting_share"].to_numpy(dtype=float)
        if list(table.index) != list(DATES):
            raise AssertionError(
                f"week_report({site!r}) reports shifts {list(table.index)}; data/ holds {site}'s "
                f"shifts of {list(DATES)}"
            )
        bad = [
            s
            for s, row, cut, it in zip(
                table.index, figures, share, table["iterations"], strict=True
            )
            if not (np.isfinite(row).all() and 0.3 < cut < 0.7 and it < 200)
        ]
        good = [s for s in table.index if s not in bad]
        if bad:
            first = table.loc[bad[0]]
            raise AssertionError(
                f"week_report({site!r}) gives no usable regimes for shifts {bad} (shift {bad[0]}: "
                f"idle {first['idle_amps']:.3g} A ± {first['idle_sd']:.3g}, cutting "
                f"{first['cutting_amps']:.3g} A ± {first['cutting_sd']:.3g}, cutting share "
                f"{first['cutting_share']:.3g}, {int(first['iterations'])} iterations), while shifts "
                f"{good} of the same site get theirs: the spindle cuts 40-55% of every shift"
            )


@pytest.mark.edge
def test_each_fit_ends_where_one_more_em_step_leaves_it(mixture, week):
    for site in SITES:
        for shift, x in enumerate(week[site]):
            model = fit_quietly(mixture, x)
            what = f"fit_mixture({site} shift {DATES[shift]}, {len(x)} readings)"
            params = (model["weights"], model["means"], model["variances"])
            assert_finite(np.concatenate(params), f"{what} -> weights, means, variances",
                          f"the fit ran {model['iterations']} iterations and gives no regimes "
                          "for this shift")  # fmt: skip
            with np.errstate(under="ignore"):
                _, means, variances = em_step(x, *params)
            assert_close(np.concatenate([means, np.sqrt(variances)]),
                         np.concatenate([model["means"], np.sqrt(model["variances"])]),
                         f"one more EM step from {what}: the levels and spreads (A)",
                         "an EM fit stops where a further step leaves the regimes in place",
                         rtol=2e-3, atol=2e-3)  # fmt: skip


# -- the E-step on a whole week -------------------------------------------------------------------


@pytest.mark.edge
def test_every_reading_of_a_week_gets_regime_probabilities(mixture, week):
    x = np.concatenate(week["porto"])
    model = {"weights": WEIGHTS, "means": MEANS, "variances": VARIANCES}
    what = f"the regime probabilities of Porto's three shifts ({len(x)} readings, last month's regimes)"
    probs = call_strict(mixture.regime_probabilities, model, x, what=what)
    assert_finite(probs, what, "every reading must be given to the regimes in some proportion")
    expected = responsibilities(x, WEIGHTS, MEANS, VARIANCES)
    wrong = ~np.isclose(probs, expected, rtol=1e-9, atol=1e-12).all(axis=1)
    assert not wrong.any(), (
        f"{what}: {int(wrong.sum())} readings get probabilities other than w_j N_j / sum_l w_l "
        f"N_l, e.g. {probs[wrong][0]} instead of {expected[wrong][0]}"
    )


@pytest.mark.edge
def test_the_likelihood_of_a_week_is_the_mixtures(mixture, week):
    x = np.concatenate(week["porto"])
    what = f"the log-likelihood of Porto's three shifts ({len(x)} readings, last month's regimes)"
    _, total = call_strict(mixture.e_step, x, WEIGHTS, MEANS, VARIANCES, what=what)
    assert_finite(total, what,
                  "ordinary shifts have a log-likelihood")  # fmt: skip
    expected = math.fsum(np.logaddexp.reduce(log_joint(x, WEIGHTS, MEANS, VARIANCES), axis=1))
    assert_close(total, expected, what,
                 "it should be sum_i log sum_j w_j N(x_i | j)", rtol=1e-9)  # fmt: skip


@pytest.mark.edge
def test_em_never_lowers_the_likelihood_of_a_shift(mixture, week):
    for shift, x in enumerate(week["porto"]):
        what = f"fitting porto shift {DATES[shift]} for 15 iterations with tol=0"
        history = call_strict(mixture.fit_mixture, x, 2, 0.0, 15, what=what)["history"]
        assert_finite(history, f"{what}: ['history']",
                      "EM's mean log-likelihood must be a number at every iteration")  # fmt: skip
        assert np.all(np.diff(history) >= -1e-9), (
            f"{what}: the mean log-likelihood went down: {np.round(history[:6], 4)}...; "
            "an EM step never does that"
        )


# -- each step against the textbook ---------------------------------------------------------------


def test_e_step_matches_the_textbook_mixture_on_ordinary_readings(mixture):
    x = np.array([1.8, 2.4, 2.6, 4.5, 5.0, 7.1, 7.5, 8.4])
    terms = np.array(
        [[w * math.exp(-((v - m) ** 2) / (2 * s2)) / math.sqrt(2 * math.pi * s2)
          for w, m, s2 in zip(WEIGHTS, MEANS, VARIANCES, strict=True)] for v in x]
    )  # fmt: skip
    resp, total = mixture.e_step(x, WEIGHTS, MEANS, VARIANCES)
    assert_close(resp, terms / terms.sum(axis=1, keepdims=True), "e_step(...) responsibilities",
                 "each should be w_j N_j / sum_l w_l N_l", rtol=1e-9, atol=1e-12)  # fmt: skip
    assert_close(total, math.fsum(math.log(t) for t in terms.sum(axis=1)),
                 "e_step(...) log-likelihood", "it should be sum_i log sum_j w_j N(x_i | j)",
                 rtol=1e-9)  # fmt: skip


def test_m_step_gives_the_weighted_statistics_and_keeps_the_floor(mixture):
    rng = np.random.default_rng(5)
    z = rng.normal(0.0, 1.0, 40)
    resp = rng.dirichlet([1.0, 1.0, 1.0], size=40)
    weights, means, variances = mixture.m_step(z, resp)
    counts = resp.sum(axis=0)
    expected_means = (resp * z[:, None]).sum(axis=0) / counts
    expected_vars = (resp * (z[:, None] - expected_means) ** 2).sum(axis=0) / counts
    assert_close(np.concatenate([weights, means, variances]),
                 np.concatenate([counts / 40, expected_means, expected_vars]),
                 "m_step(z, responsibilities) -> weights, means, variances",
                 "each is the responsibility-weighted share, mean and variance", rtol=1e-10)  # fmt: skip
    same = np.r_[np.full(5, 0.7), np.linspace(-2.0, 2.0, 5)]
    resp = np.c_[np.r_[np.ones(5), np.zeros(5)], np.r_[np.zeros(5), np.ones(5)]]
    _, _, variances = mixture.m_step(same, resp, min_variance=1e-4)
    assert_close(variances, [1e-4, 2.0], "m_step(five equal readings and five spread ones, "
                 "min_variance=1e-4) variances",
                 "a component on identical readings gets the floor, the other its variance")  # fmt: skip


def test_initial_parameters_come_from_the_quantiles(mixture):
    z = np.random.default_rng(6).normal(0.0, 2.0, 101)
    weights, means, variances = mixture.initial_parameters(z, 3)
    assert_close(np.concatenate([weights, means, variances]),
                 np.concatenate([np.full(3, 1.0 / 3.0), np.quantile(z, [1 / 6, 0.5, 5 / 6]),
                                 np.full(3, np.var(z) / 3)]),
                 "initial_parameters(z, 3)",
                 "equal weights, means at the 1/6, 1/2 and 5/6 quantiles, and var(z) / 3 as "
                 "every variance", rtol=1e-12)  # fmt: skip


def test_standardise_gives_the_median_and_the_interquartile_range(mixture):
    x = np.random.default_rng(7).gamma(2.0, 3.0, 99)
    assert_close(mixture.standardise(x),
                 [np.median(x), np.quantile(x, 0.75) - np.quantile(x, 0.25)],
                 "standardise(x) -> centre, scale", "the median and the interquartile range")  # fmt: skip


def test_a_fit_does_not_depend_on_the_unit_or_the_order_of_the_readings(mixture, week):
    x = week["leeds"][1]
    model = fit_quietly(mixture, x)
    in_milliamps = fit_quietly(mixture, 1000.0 * x)
    assert_close(np.concatenate([in_milliamps["means"], in_milliamps["variances"]]),
                 np.concatenate([1000.0 * model["means"], 1e6 * model["variances"]]),
                 "fit_mixture(the same shift in mA) -> means, variances",
                 "the regimes are the same current in another unit", rtol=1e-6)  # fmt: skip
    order = np.random.default_rng(8).permutation(len(x))
    shuffled = fit_quietly(mixture, x[order])
    assert_close(np.concatenate([shuffled["means"], shuffled["variances"]]),
                 np.concatenate([model["means"], model["variances"]]),
                 "fit_mixture(the same readings in another order) -> means, variances",
                 "a mixture does not depend on the order of the readings", rtol=1e-6)  # fmt: skip


def test_the_fit_stops_by_its_rule_and_records_each_iteration(mixture, week):
    x = week["leeds"][0]
    centre, scale = mixture.standardise(x)
    z = (x - centre) / scale
    _, first = mixture.e_step(z, *mixture.initial_parameters(z, 2))
    model = fit_quietly(mixture, x, max_iter=3)
    assert model["iterations"] == len(model["history"]) == 3, (
        f"fit_mixture(max_iter=3) reports {model['iterations']} iterations and "
        f"{len(model['history'])} log-likelihoods; expected 3 of each"
    )
    assert_close(model["history"][0], first / len(z), "fit_mixture(...)['history'][0]",
                 "the first entry is the mean log-likelihood at the starting point", rtol=1e-12)  # fmt: skip
    loose = fit_quietly(mixture, x, tol=1e9)
    assert loose["iterations"] == 2, (
        f"fit_mixture(tol=1e9) ran {loose['iterations']} iterations; any change is below that "
        "tolerance, so it stops at the first comparison"
    )
    model = fit_quietly(mixture, x)
    history = model["history"]
    assert model["iterations"] < 200 and abs(history[-1] - history[-2]) < 1e-6, (
        f"fit_mixture(x) stopped after {model['iterations']} iterations with a last change of "
        f"{abs(history[-1] - history[-2]):.3g} in the mean log-likelihood; its tol is 1e-6"
    )
    assert all(abs(history[i + 1] - history[i]) >= 1e-6 for i in range(len(history) - 2)), (
        f"fit_mixture(x) ran past a change below tol=1e-6: {np.round(history, 8)}"
    )


def test_each_shift_of_a_steady_spindle_gets_its_true_regimes(mixture, week):
    for site, shift in (("leeds", 0), ("porto", 2)):
        model = fit_quietly(mixture, week[site][shift])
        order = np.argsort(model["means"])
        assert_close(np.concatenate([model["means"][order], np.sqrt(model["variances"][order])]),
                     [*LEVELS[site], 0.15, 0.3],
                     f"fit_mixture({site} shift {DATES[shift]}) levels and spreads (A)",
                     "the spindle idles and cuts at its site's levels", atol=0.05)  # fmt: skip


# -- the report -----------------------------------------------------------------------------------


def test_a_report_holds_the_fitted_regimes_and_their_labels(mixture, week):
    for site, shift in (("leeds", 0), ("porto", 2)):
        x = week[site][shift]
        report = mixture.site_report(x)
        model = fit_quietly(mixture, x)
        idle, cutting = np.argsort(model["means"])
        labels = responsibilities(x, model["weights"], model["means"], model["variances"])
        expected = {
            "readings": len(x),
            "iterations": model["iterations"],
            "idle_amps": model["means"][idle],
            "idle_sd": np.sqrt(model["variances"][idle]),
            "cutting_amps": model["means"][cutting],
            "cutting_sd": np.sqrt(model["variances"][cutting]),
            "cutting_share": np.mean(labels.argmax(axis=1) == cutting),
        }
        for name, value in expected.items():
            assert_close(report[name], value,
                         f"site_report({site} shift {DATES[shift]})[{name!r}]",
                         "it differs from the same figure recomputed from fit_mixture on the "
                         "shift's readings", rtol=1e-9)  # fmt: skip


def test_the_week_table_has_one_report_per_shift(readings, mixture, tmp_path):
    for shift in (2, 0):  # another site's file, and the shifts out of order, in the folder
        (tmp_path / f"leeds_{DATES[shift]}.csv").write_bytes(
            export_path("leeds", shift).read_bytes()
        )
    (tmp_path / f"porto_{DATES[1]}.csv").write_bytes(export_path("porto", 1).read_bytes())
    with np.errstate(all="ignore"):  # judged by the table
        table = mixture.week_report("leeds", str(tmp_path))
    expected = [DATES[0], DATES[2]]
    assert list(table.index) == expected, (
        f"week_report('leeds') on a folder holding leeds' shifts of {DATES[2]} and {DATES[0]} "
        f"and one porto shift has rows {list(table.index)}; expected {expected}"
    )
    for shift in (0, 2):
        report = mixture.site_report(readings.clean_export(readings.load_export(
            export_path("leeds", shift))))  # fmt: skip
        assert_unchanged(dict(table.loc[DATES[shift]]), report,
                         f"week_report('leeds') row {DATES[shift]}",
                         "it differs from site_report of that shift's cleaned export")  # fmt: skip


def test_regime_probabilities_of_a_single_reading(mixture):
    model = {"weights": WEIGHTS, "means": MEANS, "variances": VARIANCES}
    probs = mixture.regime_probabilities(model, np.array([5.0]))
    expected = responsibilities(np.array([5.0]), WEIGHTS, MEANS, VARIANCES)
    assert_close(probs, expected, "regime_probabilities(model, one reading of 5 A)",
                 "one reading gets one row of probabilities over the two regimes", rtol=1e-9)  # fmt: skip


# -- the exports ------------------------------------------------------------------------------------


def test_cleaning_keeps_each_logged_reading_once_in_amps_and_in_time_order(readings):
    for site in SITES:
        export = own_loading(export_path(site, 1))
        expected = own_cleaning(export)
        what = f"clean_export({site} shift {DATES[1]})"
        cleaned = assert_inputs_untouched(readings.clean_export, export, what=what)
        assert_close(cleaned, expected, what,
                     "each reading with status ok, once, in amps, in time order")  # fmt: skip
        shuffled = with_shuffled_index(export, seed=4)
        assert_close(readings.clean_export(shuffled), expected,
                     f"{what[:-1]}, rows in another order and index)",
                     "the readings do not depend on the order of the export's rows")  # fmt: skip


@pytest.mark.parametrize("site", SITES)
def test_an_export_is_read_as_the_logger_wrote_it(readings, site):
    for shift in range(len(DATES)):
        path = export_path(site, shift)
        expected = own_loading(path)
        export = readings.load_export(path)
        what = f"load_export(data/{path.name})"
        assert len(export) == len(expected), (
            f"{what} has {len(export)} rows; the file holds {len(expected)} readings, each row "
            "the logger uploaded kept"
        )
        for column in expected.columns:
            got = export[column].reset_index(drop=True)
            pd.testing.assert_series_equal(got, expected[column], check_dtype=False,
                                           check_names=False,
                                           obj=f"{what}[{column!r}]")  # fmt: skip
        assert pd.api.types.is_datetime64_any_dtype(export["time"]), (
            f"{what}['time'] has dtype {export['time'].dtype}; expected datetimes"
        )
