"""The wine-quality job: a clean export in, an honestly tuned and scored ridge model out.

The cleaning is checked on a hand-written export, the ridge fit against finite differences and
the closed-form minimum of the loss it reports, the tuning against data whose answer is known,
and the whole job for a seeded split, figures recomputed from the returned model, and a fitted
state that the held-out wines never reach.
"""

import copy
import io

import numpy as np
import pandas as pd
import pytest
from katakit import (
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    rmse,
)

SEED = 0
FORCED = (1.0,)  # a single candidate: run_pipeline must use lam=1
TUNED = (0.01, 0.3)  # a correct fit validates best with the second


class Shared:
    """One run of the code under test that several tests read: what it returned, or the error it
    raised, which then fails each test that reads it (a run is made once, in a module fixture,
    and costs thousands of gradient steps)."""

    def __init__(self, call):
        self.value = self.error = None
        try:
            self.value = call()
        except Exception as error:
            self.error, self.traceback = error, error.__traceback__

    def get(self):
        """A deep copy of the value, so that no test changes what another one reads."""
        if self.error is not None:
            raise self.error.with_traceback(self.traceback)
        return copy.deepcopy(self.value)


@pytest.fixture(scope="module")
def cellar(kata):
    return kata("cellar")


@pytest.fixture(scope="module")
def model(kata):
    return kata("model")


@pytest.fixture(scope="module")
def export(cellar):
    return cellar.make_export(120, seed=SEED)


@pytest.fixture(scope="module")
def wines(cellar, export):
    return cellar.add_features(cellar.clean(cellar.load_export(export)))


@pytest.fixture(scope="module")
def forced_run(model, export):
    return Shared(lambda: model.run_pipeline(export, seed=SEED, lams=FORCED))


@pytest.fixture(scope="module")
def forced_run_seed_1(model, export):
    return Shared(lambda: model.run_pipeline(export, seed=1, lams=FORCED))


@pytest.fixture(scope="module")
def tuned_run(model, export):
    return Shared(lambda: model.run_pipeline(export, seed=SEED, lams=TUNED))


@pytest.fixture(scope="module")
def noise_tuning(model, cellar, wines):
    """The wines with a quality that no feature predicts, and cross_validate's scores on them."""

    def tune():
        # Their quality replaced by noise around 5.6: the less the model listens to the
        # features, the better it validates.
        noise = np.random.default_rng(4).normal(0.0, 0.5, len(wines))
        scrambled = wines.assign(**{cellar.TARGET: 5.6 + noise})
        return scrambled, model.cross_validate(scrambled, (0.01, 3.0), k=2, seed=1)

    return Shared(tune)


def problem(n=120, d=4, seed=0, centred=True, noise=0.4):
    """Features (centred if asked) with an intercept column, and a quality-like target."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if centred:
        X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = 5.6 + X @ rng.normal(0.0, 0.3, d) + noise * rng.normal(size=n)
    return np.column_stack([np.ones(n), X]), y


def ridge_minimum(X1, y, lam):
    """The exact minimiser of half the MSE plus lam / 2 * ||theta[1:]||^2."""
    n, p = X1.shape
    penalty = lam * np.eye(p)
    penalty[0, 0] = 0.0
    return np.linalg.solve(X1.T @ X1 / n + penalty, X1.T @ y / n)


# -- the ridge model ---------------------------------------------------------------------------


@pytest.mark.parametrize("lam", [0.0, 0.5, 10.0], ids=["lam_0", "lam_0.5", "lam_10"])
def test_gradient_matches_finite_differences_of_ridge_loss(model, lam):
    X1, y = problem(40, 3, seed=1, centred=False)
    theta = np.random.default_rng(2).normal(size=4) + np.array([5.0, 0.0, 0.0, 0.0])
    assert_gradient_matches(
        lambda t: model.ridge_loss(X1, y, t, lam),
        model.ridge_gradient(X1, y, theta.copy(), lam), theta,
        what=f"ridge_gradient(X1, y, theta, lam={lam})",
    )  # fmt: skip


@pytest.mark.parametrize("lam", [0.0, 0.3, 3.0], ids=["lam_0", "lam_0.3", "lam_3"])
def test_fit_ridge_reaches_the_minimum_of_ridge_loss(model, lam):
    X1, y = problem(seed=3, centred=False)
    theta, _ = model.fit_ridge(X1, y, lam=lam, lr=0.1, epochs=600)
    best = ridge_minimum(X1, y, lam)
    assert_close(
        theta, best, f"theta from fit_ridge(lam={lam}, epochs=600)",
        f"training stopped away from the minimum of ridge_loss (loss {model.ridge_loss(X1, y, theta, lam):.6f} "
        f"against {model.ridge_loss(X1, y, best, lam):.6f} at the minimum)",
        rtol=1e-6, atol=1e-6,
    )  # fmt: skip


def test_ridge_loss_penalises_the_weights_only(model):
    X1, y = problem(30, 3, seed=6, centred=False)
    theta = np.array([5.0, 0.2, -0.4, 0.1])
    extra = model.ridge_loss(X1, y, theta, 2.0) - model.ridge_loss(X1, y, theta, 0.0)
    assert_close(
        extra, 0.5 * 2.0 * np.sum(theta[1:] ** 2), "ridge_loss(lam=2) - ridge_loss(lam=0)",
        "the documented penalty is lam / 2 * ||w||^2 on the weights theta[1:]", rtol=1e-9,
    )  # fmt: skip
    X1, y = problem(30, 3, seed=7, centred=False)
    theta = np.array([1.0, -2.0, 0.5, 3.0])
    residual = X1 @ theta - y
    assert_close(
        model.ridge_loss(X1, y, theta, 0.0), 0.5 * np.mean(residual**2), "ridge_loss(lam=0)",
        "without a penalty the loss is half the mean squared error", rtol=1e-12,
    )  # fmt: skip


def test_loss_history_decreases_and_ends_at_the_returned_model(model):
    X1, y = problem(seed=8, centred=False)
    theta, history = model.fit_ridge(X1, y, lam=1.0, lr=0.05, epochs=80)
    assert_decreasing(
        history, "the loss history of fit_ridge(lam=1, lr=0.05, epochs=80)",
        "gradient descent on a convex loss with a small step can only go down",
    )  # fmt: skip
    assert_close(
        history[-1], model.ridge_loss(X1, y, theta, 1.0), "the last entry of the loss history",
        "the history does not describe the returned model", rtol=1e-12,
    )  # fmt: skip


def test_a_stronger_penalty_shrinks_the_weights_toward_zero(model):
    X1, y = problem(seed=5)
    free, _ = model.fit_ridge(X1, y, lam=0.0, epochs=200)
    shrunk, _ = model.fit_ridge(X1, y, lam=10.0, epochs=200)
    ratio = np.linalg.norm(shrunk[1:]) / np.linalg.norm(free[1:])
    assert ratio < 0.15, (
        f"with lam=10 the weights' norm is {ratio:.3f} of the unpenalised norm; a strong L2 "
        "penalty shrinks standardised weights close to 0"
    )


# -- tuning ---------------------------------------------------------------------------------------


def test_k_folds_partition_the_rows_into_seeded_validation_folds(model):
    folds = model.k_folds(53, k=5, seed=3)
    assert len(folds) == 5, f"k_folds(53, k=5) gave {len(folds)} folds"
    held = np.concatenate([val for _, val in folds])
    assert np.array_equal(np.sort(held), np.arange(53)), (
        "the validation folds of k_folds(53, k=5) do not hold every row exactly once"
    )
    for train_idx, val_idx in folds:
        assert np.array_equal(np.sort(np.concatenate([train_idx, val_idx])), np.arange(53)), (
            "a fold's training and validation rows are not a partition of the rows"
        )
    assert_seeded_split(lambda seed: model.k_folds(53, 5, seed)[0], 53)


def test_tuning_prefers_a_strong_penalty_when_no_feature_carries_signal(noise_tuning):
    _, cv = noise_tuning.get()
    assert cv[1] < cv[0], (
        f"on wines whose quality is pure noise, cross_validate gives validation RMSE "
        f"{cv[0]:.3f} for lam=0.01 and {cv[1]:.3f} for lam=3: the penalty that ignores the "
        "features should validate better, and it validates worse"
    )


def test_a_forced_penalty_keeps_predictions_centred_on_the_quality(forced_run):
    result = forced_run.get()
    assert abs(result["test_mean_error"]) < 0.3, (
        f"with lam=1 the held-out predictions differ from the panel's scores by "
        f"{result['test_mean_error']:+.3f} on average, on a quality scale whose scores spread by "
        "less than 1"
    )


def test_run_pipeline_chooses_the_penalty_with_the_best_validation_score(tuned_run):
    result = tuned_run.get()
    best = TUNED[int(np.argmin(result["cv_rmse"]))]
    assert result["lam"] == best, (
        f"run_pipeline chose lam={result['lam']} while its own validation scores "
        f"{np.round(result['cv_rmse'], 4).tolist()} favour lam={best}"
    )


def test_cross_validation_scores_are_the_mean_validation_rmse_of_the_folds(
    model, cellar, noise_tuning
):
    train, scores = noise_tuning.get()
    y = train[cellar.TARGET].to_numpy(dtype=float)
    for i, lam in enumerate((0.01, 3.0)):
        per_fold = []
        for train_idx, val_idx in model.k_folds(len(train), 2, 1):
            X_train, X_val, _, _ = model.prepare(train.iloc[train_idx], train.iloc[val_idx])
            theta, _ = model.fit_ridge(X_train, y[train_idx], lam)
            per_fold.append(rmse(y[val_idx], X_val @ theta))
        assert float(scores[i]) == pytest.approx(float(np.mean(per_fold)), rel=1e-12), (
            f"cross_validate reports {float(scores[i])!r} for lam={lam}; the mean validation RMSE "
            f"of its two folds is {float(np.mean(per_fold))!r}"
        )


# -- cleaning -----------------------------------------------------------------------------------


EXPORT = """wine_id,analysed_on,fixed_acidity,volatile_acidity,citric_acid,residual_sugar,chlorides,free_sulfur_dioxide,total_sulfur_dioxide,density,ph,sulphates,alcohol,quality
W2,2024-09-20,7.0,0.50,0.30,2.0,0.080,10.0,30.0,0.9960,3.30,0.60,11.00 %vol,6.0
W1,2024-09-03,8.0,1.40,0.10,1.0,0.090,12.0,36.0,0.9970,3.40,0.70,10.00 %vol,5.0
W3,2024-09-10,9.0,0.40,,3.0,0.070,8.0,32.0,0.9965,3.20,0.65,12.50 %vol,
W1,2024-09-23,8.0,0.60,0.10,1.0,0.090,12.0,36.0,0.9970,3.40,0.70,10.00 %vol,5.0
W4,2024-09-11,6.5,0.55,,2.5,0.100,15.0,45.0,0.9950,3.35,0.55,9.50 %vol,4.0
"""


def test_clean_keeps_the_latest_analysis_of_each_tasted_wine(cellar):
    raw = cellar.load_export(EXPORT)
    wines = assert_inputs_untouched(cellar.clean, raw, what="clean(raw)")
    assert sorted(wines.index) == ["W1", "W2", "W4"], (
        f"clean kept wines {sorted(wines.index)}; the export holds W1 (analysed twice), W2, W4 "
        "and W3, which the panel has not tasted"
    )
    assert wines.loc["W1", "volatile_acidity"] == pytest.approx(0.60), (
        f"clean kept W1's volatile acidity {wines.loc['W1', 'volatile_acidity']}; its latest "
        "analysis (2024-09-23) says 0.60"
    )
    assert_close(
        wines.loc[["W1", "W2", "W4"], "alcohol"], [10.0, 11.0, 9.5], "the cleaned alcohol column",
        "alcohol should be the number of %vol",
    )  # fmt: skip


def test_derived_features_follow_their_definitions(cellar):
    wines = cellar.add_features(cellar.clean(cellar.load_export(EXPORT)))
    w2 = wines.loc["W2"]
    assert_close(
        [w2["bound_sulfur_dioxide"], w2["log_chlorides"], w2["sugar_per_alcohol"]],
        [20.0, np.log(0.08), 2.0 / 11.0], "W2's derived features",
        "bound SO2 is total minus free, then the log of chlorides and sugar per %vol of alcohol",
    )  # fmt: skip


def test_imputation_fills_gaps_with_training_medians(cellar):
    wines = cellar.add_features(cellar.clean(cellar.load_export(EXPORT)))
    medians = cellar.fit_imputer(wines.loc[["W1", "W2"]])
    assert medians["citric_acid"] == pytest.approx(0.2), (
        f"the fill value for citric acid from W1 and W2 (0.10 and 0.30) is {medians['citric_acid']}"
    )
    X = cellar.impute(wines.loc[["W4"]], medians)
    assert X.shape == (1, len(cellar.FEATURES)) and np.all(np.isfinite(X)), (
        f"impute gave {X} for a wine with a gap"
    )
    assert X[0, cellar.FEATURES.index("citric_acid")] == pytest.approx(0.2), (
        "W4's missing citric acid was not filled with the training median"
    )


def test_the_export_parses_into_every_wine_once(cellar, export, wines):
    raw = cellar.load_export(export)
    assert raw["wine_id"].nunique() == 120 and len(raw) > 120, (
        f"the export of 120 wines holds {len(raw)} analyses of {raw['wine_id'].nunique()} wines"
    )
    assert wines.index.is_unique and set(cellar.FEATURES) <= set(wines.columns), (
        "the cleaned table repeats a wine or lacks a feature"
    )
    assert wines[cellar.TARGET].notna().all() and len(wines) < 120, (
        "the cleaned table keeps wines without a panel score"
    )


# -- the whole job --------------------------------------------------------------------------------


def test_split_is_a_seeded_shuffled_partition(model):
    assert_seeded_split(lambda seed: model.train_test_split(200, 0.25, seed), 200, 50)


def test_reported_figures_are_those_of_the_returned_model(model, cellar, wines, forced_run_seed_1):
    result = forced_run_seed_1.get()
    _, test_idx = model.train_test_split(len(wines), 0.25, 1)
    held_out = wines.iloc[test_idx]
    X = result["scaler"].transform(cellar.impute(held_out, result["medians"]))
    predictions = result["intercept"] + X @ result["weights"]
    y = held_out[cellar.TARGET].to_numpy(dtype=float)
    assert_figures(
        result,
        {
            "n_wines": len(wines),
            "test_rmse": rmse(y, predictions),
            "test_mean_error": float(np.mean(predictions - y)),
        },
        "run_pipeline(seed=1, lams=(1.0,))",
    )


def test_nothing_fitted_depends_on_the_held_out_wines(model, cellar, export, wines, tuned_run):
    _, test_idx = model.train_test_split(len(wines), 0.25, SEED)
    raw = cellar.load_export(export)
    held_out = raw["wine_id"].isin(wines.index[test_idx])
    changed = raw.copy()
    for column in ("fixed_acidity", "chlorides", "ph"):
        changed.loc[held_out, column] = changed.loc[held_out, column] * 3.0 + 1.0
    changed.loc[held_out, cellar.TARGET] = 8.0
    before = tuned_run.get()
    after = model.run_pipeline(changed.to_csv(index=False), seed=SEED, lams=TUNED)
    fitted = ("cv_rmse", "medians", "scaler", "intercept", "weights", "lam")
    assert_unchanged(
        {k: before[k] for k in fitted}, {k: after[k] for k in fitted}, "run_pipeline",
        "the tuned and fitted model changed although only the held-out wines changed",
    )  # fmt: skip


def test_run_pipeline_is_reproducible_and_follows_its_seed(
    model, export, forced_run, forced_run_seed_1
):
    # The first run is this test's own, so the repeat (read from a fixture) is a separate call.
    runs = {
        SEED: [lambda: model.run_pipeline(export, seed=SEED, lams=FORCED), forced_run.get],
        1: [forced_run_seed_1.get],
    }
    assert_reproducible(
        lambda seed: runs[seed].pop(0)()["weights"],
        "the weights run_pipeline(lams=(1.0,)) fits",
        seeds=(SEED, 1),
    )


@pytest.mark.edge
def test_standardiser_keeps_a_constant_column_and_a_large_offset_accurate(model):
    rng = np.random.default_rng(9)
    constants = np.column_stack([np.full(50, 0.9967), np.full(50, -0.9967), np.zeros(50)])
    X = np.column_stack([constants, 1e9 + rng.normal(0.0, 1.0, 50)])
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        Z = model.Standardiser().fit(X).transform(X)
    assert np.all(np.isfinite(Z)) and np.allclose(Z[:, :3], 0.0), (
        f"constant columns of 0.9967, -0.9967 and 0 standardise to spreads "
        f"{np.round(Z[:, :3].std(axis=0), 3).tolist()}, not to zeros"
    )
    assert_close(Z[:, 3].std(), 1.0, "the spread of a standardised column near 1e9", rtol=1e-6)


def test_load_export_reads_dates_and_numbers(cellar):
    raw = cellar.load_export(EXPORT)
    assert pd.api.types.is_datetime64_any_dtype(raw["analysed_on"]), (
        f"analysed_on was read as {raw['analysed_on'].dtype}, not as dates"
    )
    assert len(raw) == len(pd.read_csv(io.StringIO(EXPORT))), "load_export lost or added rows"
