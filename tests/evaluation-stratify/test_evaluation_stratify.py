"""Cross-validation must not depend on the order the inspection table was exported in.

The table arrives sorted by class (passes first, then defects). Every fold must still train on
both classes and be tested on a fair sample of the parts, and the cross-validated accuracy must
be the same whether or not the rows arrive sorted.
"""

import numpy as np
import pytest
from katakit import assert_close

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
        assert classes == [0, 1], (
            f"fold {k} trains the stump on rows of class {classes} only (the table is exported "
            "passes first, then defects): that stump cannot learn what a defect looks like"
        )


def test_every_test_fold_holds_about_the_overall_defect_rate(pipeline, bearings, result):
    y = labels(pipeline, bearings)
    rates = [y[np.asarray(test_idx, dtype=int)].mean() for _, test_idx in result["folds"]]
    assert max(abs(r - y.mean()) for r in rates) < 0.15, (
        f"the share of defects in the test folds is {np.round(rates, 3)}, in the whole table "
        f"{y.mean():.3f}: "
        "each fold is scored on a slice of the export rather than a sample of the parts"
    )


def test_cv_accuracy_does_not_depend_on_the_row_order(pipeline, bearings, result):
    order = np.random.default_rng(7).permutation(len(bearings))
    shuffled = pipeline.run_pipeline(bearings.iloc[order], N_FOLDS, SEED)
    assert abs(result["cv_accuracy"] - shuffled["cv_accuracy"]) < 0.03, (
        f"cross-validated accuracy is {result['cv_accuracy']:.3f} on the table as exported "
        f"(sorted by class) and {shuffled['cv_accuracy']:.3f} on the same rows shuffled; fold "
        f"accuracies were {np.round(result['fold_accuracies'], 3)}: the estimate depends on "
        "the export order"
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
    assert_close(result["cv_accuracy"], np.mean(result["fold_accuracies"]), what="cv_accuracy")


def test_stump_separates_data_a_threshold_separates(pipeline):
    X = np.column_stack([np.arange(8.0), [0.3, 0.1, 0.9, 0.4, 0.8, 0.2, 0.7, 0.95]])
    y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
    stump = pipeline.fit_stump(X, y)
    got = pipeline.predict_stump(stump, X)
    assert np.array_equal(got, y), (
        f"fit_stump on data whose second feature separates the classes at 0.5 predicts {got}"
    )
