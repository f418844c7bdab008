"""The fraud score must come from real, untouched held-out transactions.

Oversampling may only ever add copies to the training rows: the held-out set keeps the data's
own fraud rate, shares no row with training, does not depend on the oversampling seed, and
changing it leaves the fitted stump alone.
"""

from collections import Counter

import numpy as np
import pytest
from katakit import assert_close, assert_unchanged, perturb_rows, with_shuffled_index

SEED = 0
TEST_SIZE = 0.25


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def transactions(pipeline):
    return with_shuffled_index(pipeline.make_transactions(n_rows=600, seed=SEED))


@pytest.fixture(scope="module")
def result(pipeline, transactions):
    return pipeline.run_pipeline(transactions, TEST_SIZE, SEED, oversample_seed=1)


def rows_as_tuples(pipeline, frame):
    return set(map(tuple, frame[pipeline.FEATURES].to_numpy(dtype=float)))


def test_no_held_out_transaction_is_a_copy_of_a_training_one(pipeline, result):
    shared = rows_as_tuples(pipeline, result["test_rows"]) & rows_as_tuples(
        pipeline, result["train_rows"]
    )
    assert len(shared) == 0, (
        f"{len(shared)} held-out transaction(s) are exact copies of training rows (the data "
        "itself has no duplicates): the model is scored on rows it was fitted on"
    )


def test_held_out_fraud_rate_is_the_data_s_own(pipeline, transactions, result):
    overall = transactions[pipeline.TARGET].mean()
    held_out = result["test_rows"][pipeline.TARGET].mean()
    assert 0 < held_out < overall + 0.1, (
        f"{held_out:.1%} of the held-out transactions are fraud, but {overall:.1%} of the data "
        "is: precision and recall measured on this set say nothing about production traffic"
    )


def test_held_out_rows_are_distinct_original_transactions(pipeline, transactions, result):
    test_rows = result["test_rows"]
    repeated = int(test_rows.index.duplicated().sum())
    assert repeated == 0, (
        f"{repeated} held-out row(s) appear more than once: the held-out set contains "
        "synthetic copies"
    )
    assert set(test_rows.index) <= set(transactions.index), "held-out rows are not from the data"


def test_held_out_set_does_not_depend_on_the_oversampling_seed(pipeline, transactions, result):
    other = pipeline.run_pipeline(transactions, TEST_SIZE, SEED, oversample_seed=2)
    before, after = Counter(result["test_rows"].index), Counter(other["test_rows"].index)
    differ = sum(((before - after) + (after - before)).values())
    assert differ == 0, (
        f"with oversample_seed=1 and 2 (same split seed) the held-out sets differ in {differ} "
        "rows: which transactions are held out depends on the synthetic copies"
    )


def test_fitted_stump_ignores_held_out_transactions(pipeline, transactions, result):
    held_out = result["test_rows"].index.unique()
    changed = perturb_rows(transactions, held_out, pipeline.FEATURES, factor=-3.0, shift=5.0)
    after = pipeline.run_pipeline(changed, TEST_SIZE, SEED, oversample_seed=1)
    keys = ("feature", "threshold", "polarity")
    assert_unchanged(
        {k: result["stump"][k] for k in keys},
        {k: after["stump"][k] for k in keys},
        what="the fitted stump",
        meaning="only the held-out transactions changed, yet the stump moved: it was fitted "
        "on (copies of) rows it is scored on",
    )


def test_training_rows_are_balanced(pipeline, result):
    share = result["train_rows"][pipeline.TARGET].mean()
    assert share == pytest.approx(0.5, abs=0.02), (
        f"{share:.1%} of the rows the stump was fitted on are fraud; oversampling should "
        "balance them at 50%"
    )


def test_oversampling_keeps_every_row_and_copies_only_the_minority(pipeline, transactions):
    balanced = pipeline.random_oversample(transactions, seed=3)
    counts = balanced[pipeline.TARGET].value_counts()
    assert counts[0] == counts[1] == (transactions[pipeline.TARGET] == 0).sum(), (
        f"random_oversample gave class counts {counts.to_dict()}"
    )
    assert set(transactions.index) <= set(balanced.index), "an original row went missing"
    copies = balanced.index[balanced.index.duplicated()]
    assert (transactions.loc[copies, pipeline.TARGET] == 1).all(), "a non-fraud row was copied"


def test_stump_splits_a_separable_feature_exactly(pipeline):
    X = np.column_stack([np.arange(10.0), np.array([5, 1, 4, 2, 3, 9, 8, 6, 7, 0.0])])
    y = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 0])
    stump = pipeline.fit_stump(X, y)
    got = pipeline.predict_stump(stump, X)
    assert np.array_equal(got, y), f"fit_stump on a separable feature predicts {got}, not {y}"


def test_reported_scores_agree_with_reported_predictions(pipeline, result):
    y = result["test_rows"][pipeline.TARGET].to_numpy()
    pred = np.asarray(result["test_predictions"])
    true_pos = np.sum((pred == 1) & (y == 1))
    assert_close(result["recall"], true_pos / max(y.sum(), 1), what="recall")
    assert_close(result["precision"], true_pos / max(pred.sum(), 1), what="precision")
