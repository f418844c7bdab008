"""The biomarker screen, end to end: read the lab's exports, choose a panel, fit, cross-validate.

The first tests are designed experiments on the whole job (responses nothing can predict, a fold
whose held-out patients change); the others check the reading and cleaning, each fitted step and
every reported figure against independent computations.

The exports are the files handed out with the kata (data/discovery.csv, data/validation.csv,
written by make_data.py); every variation a test needs is derived from them.
"""

import copy
import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_inputs_untouched,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    with_shuffled_index,
)

DATA = Path(__file__).resolve().parent / "data"
K = 10
N_FOLDS = 5


@pytest.fixture(scope="module")
def assay(kata):
    return kata("assay")


@pytest.fixture(scope="module")
def screen(kata):
    return kata("screen")


@pytest.fixture(scope="module")
def export(assay):
    return assay.load_export(DATA / "discovery.csv")


@pytest.fixture(scope="module")
def cohort(assay, export):
    return assay.load_assays(export)


def shuffled_responses(export, seed):
    rng = np.random.default_rng(seed)
    return export.assign(response=rng.permutation(export["response"].to_numpy()))


def held_out_ids(screen, cohort, fold=0):
    _, y = cohort
    _, test = screen.kfold_indices(len(y), N_FOLDS, 0)[fold]
    return list(y.index[test])


_SCREENS = {}


def screened(screen, export):
    """screen.run_screen(export), run once per implementation and export; each caller gets its
    own deep copy, so no test sees what another changed.

    Called inside a test, never a fixture: an error of the code under test fails that test.
    Only a test that also calls run_screen itself may use it: the mutation campaign runs a
    mutant on the tests whose own calls reached the changed line in a reference run.
    """
    key = (screen, id(export))
    if key not in _SCREENS:
        _SCREENS[key] = (export, screen.run_screen(export))  # holding the export keeps its id
    return copy.deepcopy(_SCREENS[key][1])


def fold_model(screen, export, fold=0):
    return screen.run_screen(export)["fold_models"][fold]


def reference_t(X, y):
    """Welch's t of each column between y == 1 and y == 0, written out: (d,)."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    a, b = X[y == 1], X[y == 0]
    se = np.sqrt(a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b))
    return np.where(se > 0, (a.mean(axis=0) - b.mean(axis=0)) / np.where(se > 0, se, 1), 0.0)


def reference_auc(y, scores):
    """Share of (responder, non-responder) pairs the scores order correctly, ties one half."""
    y, scores = np.asarray(y), np.asarray(scores, dtype=float)
    pos, neg = scores[y == 1], scores[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


# -- designed experiments on the whole job -------------------------------------------------------


def test_shuffled_responses_cross_validate_near_chance(screen, export):
    aucs = [screen.run_screen(shuffled_responses(export, s))["cv_auc"] for s in (1, 2, 3, 4)]
    mean = float(np.mean(aucs))
    assert mean < 0.6, (
        "the discovery export with its response column shuffled across rows (four shuffles) "
        f"cross-validates at AUCs {np.round(aucs, 3).tolist()} (mean {mean:.3f}); no assay can "
        "predict shuffled responses, so a screen judged on patients it has not seen scores "
        "about 0.5"
    )


def compare_fold_models(before, after, change):
    meaning = "what a fold learns must come from its training patients alone"
    if list(before.panel_) != list(after.panel_):
        raise AssertionError(
            f"run_screen's cross-validation fold 0 fitted the panel {list(before.panel_)}; after "
            f"only {change} changed, it fitted {list(after.panel_)}: {meaning}"
        )
    assert_unchanged(
        [before.scaler_.mean_, before.scaler_.scale_, before.model_.coef_],
        [after.scaler_.mean_, after.scaler_.scale_, after.model_.coef_],
        f"fold 0's [scaler mean, scaler scale, coefficients] after only {change} changed",
        meaning,
        rtol=1e-8,
        atol=1e-10,
    )


def test_a_folds_model_ignores_its_held_out_responses(assay, screen, export, cohort):
    ids = held_out_ids(screen, cohort)
    flipped = export.copy()
    rows = flipped["sample_id"].isin(ids)
    flipped.loc[rows, "response"] = flipped.loc[rows, "response"].map(
        {"responder": "non-responder", "non-responder": "responder"}
    )
    before = screened(screen, export)["fold_models"][0]
    after = fold_model(screen, flipped)
    compare_fold_models(
        before, after, f"the recorded responses of its {len(ids)} held-out patients"
    )


def test_a_folds_model_ignores_its_held_out_assay_values(assay, screen, export, cohort):
    ids = held_out_ids(screen, cohort)
    changed = export.copy()
    rows = changed["sample_id"].isin(ids).to_numpy()
    columns = [c for c in export.columns if c.startswith("A")]
    values = changed.loc[rows, columns].replace("<LOD", "0.1").to_numpy(dtype=float)
    changed.loc[rows, columns] = np.char.mod("%.4f", values * 50.0 + 7.0)
    before = screened(screen, export)["fold_models"][0]
    after = fold_model(screen, changed)
    compare_fold_models(before, after, f"the assay values of its {len(ids)} held-out patients")


# -- the cleaning ----------------------------------------------------------------------------------


def small_export():
    return pd.DataFrame(
        {
            "sample_id": ["S-3", "S-1", "S-2", "S-1", "S-4", "S-5", "S-2", "S-6"],
            "run": ["1", "1", "1", "2", "1", "1", "2", "1"],
            "qc": ["pass", "pass", "pass", "pass", "fail", "pass", "fail", "pass"],
            "response": [
                "responder",
                "non-responder",
                "responder",
                "non-responder",
                "responder",
                "",
                "responder",
                "non-responder",
            ],
            "A000": ["4.0", "1.0", "<LOD", "2.0", "8.0", "1.0", "16.0", "0.5"],
            "A001": ["0.5", "8.0", "2.0", "32.0", "1.0", "1.0", "1.0", "4.0"],
            "A002": ["2.0", "2.0", "1.0", "4.0", "1.0", "1.0", "1.0", "8.0"],
        }
    )


def test_cleaning_keeps_the_last_passing_run_of_each_patient_with_a_response(assay):
    export = small_export()
    X, y = assert_inputs_untouched(assay.load_assays, export, what="load_assays(export)")
    half = np.log2(assay.LOD / 2)
    expected = pd.DataFrame(
        {
            "A000": [1.0, half, 2.0, -1.0],
            "A001": [5.0, 1.0, -1.0, 2.0],
            "A002": [2.0, 0.0, 1.0, 3.0],
        },
        index=pd.Index(["S-1", "S-2", "S-3", "S-6"], name="sample_id"),
    )
    assert list(X.index) == list(expected.index), (
        f"load_assays kept patients {list(X.index)}; expected {list(expected.index)} (S-4 failed "
        "QC, S-5 has no response yet; S-1 was re-run, S-2's re-run failed QC)"
    )
    assert sorted(X.columns) == list(expected.columns), (
        f"load_assays kept assays {sorted(X.columns)}; expected {list(expected.columns)}"
    )
    assert_close(X[expected.columns], expected, "load_assays(export) log2 intensities",
                 "each patient's last run that passed QC, log2, '<LOD' as half the limit")  # fmt: skip
    assert_close(y.loc[expected.index], [0, 1, 1, 0], "load_assays(export) responses",
                 "1 for a responder, 0 for a non-responder")  # fmt: skip
    again, _ = assay.load_assays(with_shuffled_index(export, seed=3))
    assert_close(again.loc[X.index, X.columns], X, "load_assays(the same export, rows shuffled)",
                 "the table does not depend on the order of the export's rows")  # fmt: skip


def test_arm_difference_is_welchs_t(assay):
    rng = np.random.default_rng(4)
    X = pd.DataFrame(rng.normal(size=(30, 4)), columns=list("abcd"))
    y = pd.Series((np.arange(30) % 3 == 0).astype(int))
    X["d"] = np.where(y == 1, 3.0, 5.0)  # no spread within either arm
    t = call_strict(
        assay.arm_difference, X, y, what="arm_difference(X, y), one assay constant in each arm"
    )
    assert_close(t, reference_t(X, y), "arm_difference(X, y)",
                 "Welch's t per assay, and 0 for an assay with no spread", rtol=1e-10)  # fmt: skip


def read_rows(name):
    with open(DATA / name, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def test_the_export_reads_every_run_as_recorded(assay):
    rows = read_rows("discovery.csv")
    export = assay.load_export(DATA / "discovery.csv")
    assert list(export.columns) == list(rows[0]), (
        f"load_export('data/discovery.csv') has columns {list(export.columns)[:8]}...; the file's "
        f"header starts {list(rows[0])[:8]}"
    )
    assert len(export) == len(rows), (
        f"load_export('data/discovery.csv') returned {len(export)} runs; the file holds {len(rows)}"
    )
    for i in (0, 1, len(rows) - 1):
        got = [str(v) for v in export.iloc[i].tolist()]
        assert got == list(rows[i].values()), (
            f"run {i} of load_export('data/discovery.csv') reads {got[:8]}...; the file says "
            f"{list(rows[i].values())[:8]}..."
        )
    kept = {}
    for row in sorted(rows, key=lambda r: (r["sample_id"], r["run"])):
        if row["qc"] == "pass" and row["response"] in ("responder", "non-responder"):
            kept[row["sample_id"]] = row
    X, y = assay.load_assays(export)
    assert sorted(X.index) == sorted(kept), (
        f"the discovery export cleans to {len(X)} patients; {len(kept)} patients have a run that "
        "passed QC and a known response"
    )
    responders = sorted(i for i, row in kept.items() if row["response"] == "responder")
    assert sorted(y.index[y.to_numpy() == 1]) == responders, (
        f"the discovery export cleans to {int(y.sum())} responders; the file records "
        f"{len(responders)} patients as responders (on their last passing run)"
    )


# -- the steps of a fold ---------------------------------------------------------------------------


def test_folds_are_a_seeded_shuffled_partition(screen):
    assert_seeded_split(lambda seed: screen.kfold_indices(87, N_FOLDS, seed)[0], 87)
    folds = screen.kfold_indices(87, N_FOLDS, 0)
    held = np.sort(np.concatenate([test for _, test in folds]))
    assert np.array_equal(held, np.arange(87)), "the test folds do not cover every patient once"
    for train, test in folds:
        assert not np.intersect1d(train, test).size, "a patient is in a fold's train and test rows"
        assert len(train) + len(test) == 87, "a fold's train and test rows miss some patients"


def reference_panel(assay, X, y, k, max_corr=0.8):
    t = np.abs(reference_t(X, y))
    order = np.argsort(-t, kind="stable")[: assay.CANDIDATES]
    values = X.to_numpy(dtype=float)
    chosen = []
    for j in order:
        r = [abs(np.corrcoef(values[:, j], values[:, i])[0, 1]) for i in chosen]
        if all(v <= max_corr for v in r):
            chosen.append(j)
        if len(chosen) == k:
            break
    return [X.columns[j] for j in chosen]


def test_the_panel_is_the_strongest_non_redundant_candidates(assay, screen):
    rng = np.random.default_rng(5)
    y = pd.Series((rng.random(60) < 0.5).astype(int))
    X = pd.DataFrame(rng.normal(size=(60, 40)), columns=[f"A{j:03d}" for j in range(40)])
    X["A001"] += 1.5 * y
    X["A002"] = X["A001"] + 0.05 * rng.normal(size=60)  # a near copy of A001
    X["A003"] += 1.0 * y
    panel = screen.select_panel(X, y, 5)
    expected = reference_panel(assay, X, y, 5)
    assert list(panel) == expected, (
        f"select_panel(X, y, 5) chose {list(panel)}; the five assays that separate the arms best "
        f"among the {assay.CANDIDATES} candidates, skipping near copies, are {expected}"
    )
    k = assay.CANDIDATES
    panel = screen.select_panel(X, y, k)
    expected = reference_panel(assay, X, y, k)
    assert list(panel) == expected, (
        f"select_panel(X, y, {k}) chose {len(panel)} assays {list(panel)}; among the {k} "
        f"candidates that separate the arms best, the ones that are no near copy are {expected}"
    )


def test_the_scaler_uses_the_rows_it_is_fitted_on(screen):
    X = np.array([[1e8 + 1.0, 5.0], [1e8 + 3.0, 5.0], [1e8 + 5.0, 5.0]])
    scaler = screen.Standardiser().fit(X)
    assert_close(scaler.transform(np.array([[1e8 + 3.0, 5.0], [1e8 + 7.0, 6.0]])),
                 [[0.0, 0.0], [4.0 / np.std([1.0, 3.0, 5.0]), 1.0]],
                 "Standardiser().fit(X).transform(...)",
                 "centred on the fitted mean, divided by the fitted std (1 for a constant)")  # fmt: skip


def test_ridge_logistic_solves_its_penalised_problem(screen):
    rng = np.random.default_rng(6)
    Z = rng.normal(size=(80, 3))
    y = (rng.random(80) < 1 / (1 + np.exp(-(2.0 + Z @ [1.0, -1.0, 0.0])))).astype(int)
    model = screen.RidgeLogistic(alpha=2.0).fit(Z, y)
    p = 1 / (1 + np.exp(-(model.intercept_ + Z @ model.coef_)))
    grad = np.r_[np.sum(p - y), Z.T @ (p - y) + 2.0 * model.coef_]
    assert_close(grad, np.zeros(4), "the penalised log-loss gradient at RidgeLogistic's fit",
                 "the fit is not the minimum of the log-loss plus alpha/2 |w|^2", atol=1e-6)  # fmt: skip
    strong = screen.RidgeLogistic(alpha=500.0).fit(Z, y)
    p = 1 / (1 + np.exp(-(strong.intercept_ + Z @ strong.coef_)))
    grad = np.r_[np.sum(p - y), Z.T @ (p - y) + 500.0 * strong.coef_]
    assert_close(grad, np.zeros(4), "the penalised log-loss gradient at RidgeLogistic(alpha=500)'s "
                 "fit", "the fit is not the minimum of the log-loss plus alpha/2 |w|^2", atol=1e-6)  # fmt: skip
    assert model.intercept_ > 1.0, (
        f"RidgeLogistic fitted an intercept of {model.intercept_:.3f} to responses that are 1 "
        f"for {y.mean():.0%} of the rows"
    )
    assert_close(model.decision_function(Z[:4]), model.intercept_ + Z[:4] @ model.coef_,
                 "RidgeLogistic.decision_function", "log-odds are intercept + Z @ coef")  # fmt: skip


def test_roc_auc_counts_ordered_pairs_with_ties_as_half(screen):
    y = np.array([1, 0, 1, 0, 0, 1, 0, 1])
    scores = np.array([0.9, 0.9, 0.3, 0.1, 0.5, 0.5, 0.2, 0.8])
    assert_close(screen.roc_auc(y, scores), reference_auc(y, scores), "roc_auc(y, scores)",
                 "the share of responder/non-responder pairs ordered correctly")  # fmt: skip


# -- the reported figures ------------------------------------------------------------------------


def test_each_folds_scores_come_from_its_own_model(screen, cohort):
    X, y = cohort
    cv = screen.cross_validate(X, y, screen.PanelModel(K), N_FOLDS, 0)
    assert [list(t) for _, t in cv["folds"]] == [
        list(t) for _, t in screen.kfold_indices(len(y), N_FOLDS, 0)
    ], "cross_validate does not use kfold_indices(n, n_folds, seed)"
    for f, ((train, test), model) in enumerate(zip(cv["folds"], cv["models"], strict=True)):
        expected_panel = screen.select_panel(X.iloc[train], y.iloc[train], K)
        assert list(model.panel_) == list(expected_panel), (
            f"fold {f}'s model uses panel {list(model.panel_)}; select_panel on the fold's "
            f"training patients gives {list(expected_panel)}"
        )
        assert_close(cv["scores"].iloc[test], model.decision_function(X.iloc[test]),
                     f"cross_validate scores of fold {f}'s held-out patients",
                     "they are not the fold's model applied to its held-out patients",
                     rtol=1e-12)  # fmt: skip
        assert_close(cv["fold_aucs"][f], reference_auc(y.iloc[test], cv["scores"].iloc[test]),
                     f"fold_aucs[{f}]", "the AUC of the fold's held-out scores")  # fmt: skip
    assert list(cv["scores"].index) == list(y.index), "the scores are not indexed like y"
    assert_close(cv["cv_auc"], reference_auc(y, cv["scores"]), "cv_auc",
                 "the AUC of every out-of-fold score together")  # fmt: skip


def test_the_report_holds_the_panel_fitted_on_every_patient(assay, screen, export, cohort):
    X, y = cohort
    report = screened(screen, export)
    assert report["patients"] == len(y), f"run_screen reports {report['patients']} patients"
    folds = screen.kfold_indices(len(y), N_FOLDS, 0)
    assert len(report["fold_models"]) == N_FOLDS, (
        f"run_screen reports {len(report['fold_models'])} fold models for {N_FOLDS} folds"
    )
    scores = np.full(len(y), np.nan)
    for f, ((_, test), model) in enumerate(zip(folds, report["fold_models"], strict=True)):
        scores[test] = model.decision_function(X.iloc[test])
        assert_close(report["fold_aucs"][f], reference_auc(y.iloc[test], scores[test]),
                     f"run_screen(export)['fold_aucs'][{f}]",
                     "the AUC of the fold's model on its held-out patients")  # fmt: skip
    assert_close(report["cv_auc"], reference_auc(y, scores), "run_screen(export)['cv_auc']",
                 "the AUC of every held-out score of the fold models together")  # fmt: skip
    t = pd.Series(np.abs(reference_t(X, y)), index=X.columns)
    top = report["top_assays"]
    assert list(top.index) == list(t.sort_values(ascending=False).index[: assay.CANDIDATES]), (
        f"run_screen reports the top assays {list(top.index)[:5]}...; the {assay.CANDIDATES} "
        f"assays with the largest |t| on every patient start {list(t.nlargest(5).index)}"
    )
    assert_close(top, t[top.index], "run_screen(export)['top_assays']",
                 "|Welch's t| of each assay between the arms, on every patient")  # fmt: skip
    expected = screen.select_panel(X, y, K)
    assert list(report["panel"]) == list(expected), (
        f"run_screen reports the panel {list(report['panel'])}; chosen on every patient it is "
        f"{list(expected)}"
    )
    other = screen.run_screen(export, seed=1)
    assert not np.allclose(other["fold_aucs"], report["fold_aucs"]), (
        "run_screen(seed=1) gives the same fold AUCs as seed 0: the seed changes nothing"
    )
    fixed = screen.run_screen(export, panel=["A003", "A001"])
    assert list(fixed["panel"]) == ["A003", "A001"] and all(
        list(m.panel_) == ["A003", "A001"] for m in fixed["fold_models"]
    ), (
        f"run_screen(export, panel=['A003', 'A001']) fitted the panel {list(fixed['panel'])} "
        f"and, in its folds, {[list(m.panel_) for m in fixed['fold_models']]}"
    )


def test_validation_scores_the_new_cohort_with_the_fitted_panel(assay, screen, export):
    model = screen.run_screen(export)["model"]
    kit = assay.load_export(DATA / "validation.csv")
    missing = [a for a in model.panel_ if a not in kit.columns]
    assert not missing, (
        f"run_screen's model uses the panel {list(model.panel_)}; the validation kit does not "
        f"measure {missing} (it measures the discovery cohort's {assay.CANDIDATES} assays that "
        "separate the arms most)"
    )
    X, y = assay.load_assays(kit)
    auc = screen.validate(model, kit)
    assert_close(auc, reference_auc(y, model.decision_function(X)), "validate(model, kit)",
                 "the AUC of the fitted model's log-odds on the new cohort")  # fmt: skip
    assert auc > 0.65, (
        f"the panel fitted on the discovery cohort scores AUC {auc:.3f} on the "
        f"{len(y)} validation patients with a known response; four of its assays carry real signal"
    )
