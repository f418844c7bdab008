"""Cross-validation must not depend on the order the inspection table was exported in.

The table arrives sorted by class (passes first, then defects). Every fold must still train on
both classes and be tested on a fair sample of the parts, and the cross-validated accuracy must
be the same whether or not the rows arrive sorted.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_seeded_split,
)

SEED = 0
N_FOLDS = 5


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def bearings(pipeline):
    return pipeline.make_bearings(n_rows=400, defect_rate=0.2, seed=SEED)


@pytest.fixture(scope="module")
def result(pipeline, bearings):
    return pipeline.run_pipeline(bearings, N_FOLDS, SEED)


def labels(pipeline, df):
    return df[pipeline.TARGET].to_numpy()


def test_every_training_fold_holds_both_classes(pipeline, bearings, result):
    y = labels(pipeline, bearings)
    for k, (train_idx, _) in enumerate(result["folds"]):
        classes = sorted(set(y[np.asarray(train_idx, dtype=int)].tolist()))
        both = classes == [0, 1]
        assert both, (
            f"fold {k} trains the stump on rows of class {classes} only: that stump cannot learn "
            "what a defect looks like"
        )


def test_every_test_fold_holds_about_the_overall_defect_rate(pipeline, bearings, result):
    y = labels(pipeline, bearings)
    rates = [y[np.asarray(test_idx, dtype=int)].mean() for _, test_idx in result["folds"]]
    worst = float(max(abs(r - y.mean()) for r in rates))
    assert worst < 0.15, (
        f"the share of defects in the test folds is {np.round(rates, 3).tolist()}, in the whole "
        f"table {y.mean():.3f}"
    )


def test_cv_accuracy_does_not_depend_on_the_row_order(pipeline, bearings, result):
    order = np.random.default_rng(7).permutation(len(bearings))
    shuffled = pipeline.run_pipeline(bearings.iloc[order], N_FOLDS, SEED)
    gap = float(abs(result["cv_accuracy"] - shuffled["cv_accuracy"]))
    assert gap < 0.03, (
        f"cross-validated accuracy is {result['cv_accuracy']:.3f} on the table as exported "
        f"(sorted by class) and {shuffled['cv_accuracy']:.3f} on the same rows shuffled; fold "
        f"accuracies were {np.round(result['fold_accuracies'], 3).tolist()}"
    )


def test_every_row_is_in_exactly_one_test_fold(bearings, result):
    n = len(bearings)
    tests = np.concatenate([np.asarray(t, dtype=int) for _, t in result["folds"]])
    assert np.array_equal(np.sort(tests), np.arange(n)), (
        f"the test folds together hold {len(tests)} positions; expected each of the {n} rows "
        "exactly once"
    )
    for k, (train_idx, test_idx) in enumerate(result["folds"]):
        together = np.sort(np.concatenate([train_idx, test_idx]).astype(int))
        assert np.array_equal(together, np.arange(n)), (
            f"fold {k}: training and test rows together are not every row exactly once"
        )


def test_folds_have_almost_equal_sizes(result):
    sizes = [len(t) for _, t in result["folds"]]
    assert len(sizes) == N_FOLDS and max(sizes) - min(sizes) <= 2, (
        f"run_pipeline with {N_FOLDS} folds gave test folds of sizes {sizes}"
    )


def test_folds_are_reproducible_with_the_same_seed(pipeline, bearings, result):
    again = pipeline.run_pipeline(bearings, N_FOLDS, SEED)
    for k, ((_, first), (_, second)) in enumerate(
        zip(result["folds"], again["folds"], strict=True)
    ):
        assert np.array_equal(np.sort(first), np.sort(second)), (
            f"two runs with seed={SEED} put different rows in test fold {k}: the folds are "
            "not reproducible"
        )
    assert_close(again["fold_accuracies"], result["fold_accuracies"], what="fold accuracies")


def test_cv_accuracy_is_the_mean_of_the_fold_accuracies(result):
    assert_close(result["cv_accuracy"], np.mean(result["fold_accuracies"]), what="cv_accuracy",
                 meaning="the mean of the fold accuracies")  # fmt: skip


def test_stump_separates_data_a_threshold_separates(pipeline):
    X = np.column_stack([np.arange(8.0), [0.3, 0.1, 0.9, 0.4, 0.8, 0.2, 0.7, 0.95]])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    stump = pipeline.fit_stump(X, y)
    got = pipeline.predict_stump(stump, X)
    assert np.array_equal(got, y), (
        f"fit_stump on data whose second feature separates the classes at 0.5 predicts "
        f"{got.tolist()}"
    )


@pytest.mark.parametrize("fold", [0, N_FOLDS - 1])
def test_folds_are_shuffled_seeded_and_reproducible(pipeline, fold):
    assert_seeded_split(lambda seed: pipeline.kfold_indices(400, N_FOLDS, seed)[fold], 400, 80)
    default = pipeline.kfold_indices(400)
    explicit = pipeline.kfold_indices(400, 5, 0)
    same = all(
        np.array_equal(a, c) and np.array_equal(b, d)
        for (a, b), (c, d) in zip(default, explicit, strict=True)
    )
    assert same, "kfold_indices(400) differs from kfold_indices(400, 5, 0), its defaults"


def test_reported_figures_are_each_folds_own_stump(pipeline, bearings, result):
    X = bearings[pipeline.FEATURES].to_numpy(dtype=float)
    y = labels(pipeline, bearings)
    expected_folds = pipeline.kfold_indices(len(y), N_FOLDS, SEED)
    scores = []
    for k, ((train_idx, test_idx), (_, e_test)) in enumerate(
        zip(result["folds"], expected_folds, strict=True)
    ):
        assert np.array_equal(np.sort(test_idx), np.sort(e_test)), (
            f"run_pipeline's fold {k} is not kfold_indices(400, 5, 0)'s fold {k}"
        )
        feature, threshold = pipeline.fit_stump(X[train_idx], y[train_idx])
        pred = (X[test_idx, feature] > threshold).astype(int)
        scores.append(accuracy(y[test_idx], pred))
    assert_close(result["fold_accuracies"], scores, "run_pipeline(...)['fold_accuracies']",
                 "each fold's stump, fitted on its training rows, scored on its test rows",
                 rtol=1e-12)  # fmt: skip
    assert_figures(result, {"cv_accuracy": float(np.mean(scores))}, "run_pipeline(...)")


def fewest_errors(X, y):
    best = len(y)
    for j in range(X.shape[1]):
        for t in np.unique(X[:, j]):
            best = min(best, int(np.sum((X[:, j] > t) != y)))
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stump_makes_the_fewest_training_errors(pipeline, seed):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(40, 3)), 1)
    y = (X[:, seed % 3] + rng.normal(0.0, 0.7, 40) > 0.3).astype(int)
    feature, threshold = pipeline.fit_stump(X, y)
    errors = int(np.sum(pipeline.predict_stump((feature, threshold), X) != y))
    assert errors == fewest_errors(X, y), (
        f"the fitted stump makes {errors} errors on its 40 training rows; the best threshold "
        f"(predicting a defect above it) makes {fewest_errors(X, y)}"
    )


def test_stump_predicts_a_defect_strictly_above_its_threshold(pipeline):
    got = pipeline.predict_stump((1, 2.5), np.array([[9.0, 2.0], [9.0, 2.5], [9.0, 3.0]]))
    assert [int(v) for v in got] == [0, 0, 1], (
        f"a stump on feature 1 at 2.5 gives {[int(v) for v in got]} for 2.0, 2.5 and 3.0; it "
        "predicts a defect above the threshold only"
    )


def test_defaults_are_5_folds_seed_0(pipeline, bearings, result):
    default = pipeline.run_pipeline(bearings)
    assert_close(default["fold_accuracies"], result["fold_accuracies"],
                 "run_pipeline(bearings)['fold_accuracies']",
                 "the defaults n_folds=5, seed=0 give other folds")  # fmt: skip
    X = bearings[pipeline.FEATURES].to_numpy(dtype=float)
    y = labels(pipeline, bearings)
    scores, _ = pipeline.cross_val_accuracy(X, y)
    assert_close(scores, result["fold_accuracies"], "cross_val_accuracy(X, y)",
                 "the defaults n_folds=5, seed=0 give other folds")  # fmt: skip


def test_seed_and_fold_count_are_honoured(pipeline, bearings):
    shuffled = bearings.sample(frac=1.0, random_state=3)
    runs = [pipeline.run_pipeline(shuffled, N_FOLDS, seed) for seed in (0, 1)]
    first = [np.sort(t).tolist() for _, t in runs[0]["folds"]]
    second = [np.sort(t).tolist() for _, t in runs[1]["folds"]]
    assert first != second, "run_pipeline with seed 0 and seed 1 built the same folds"
    X = bearings[pipeline.FEATURES].to_numpy(dtype=float)
    scores, folds = pipeline.cross_val_accuracy(X, labels(pipeline, bearings), 4, 1)
    assert len(scores) == len(folds) == 4, (
        f"cross_val_accuracy(..., n_folds=4) gave {len(scores)} scores and {len(folds)} folds"
    )
    seeded = [
        np.sort(t).tolist()
        for _, t in pipeline.cross_val_accuracy(X, labels(pipeline, bearings), 4, 2)[1]
    ]
    assert [np.sort(t).tolist() for _, t in folds] != seeded, (
        "cross_val_accuracy with seed 1 and seed 2 built the same folds"
    )


def test_run_leaves_the_callers_table_untouched(pipeline, bearings):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, N_FOLDS, SEED), bearings.copy(), what="run_pipeline"
    )
