"""The fraud score must come from real, untouched held-out transactions.

The held-out set keeps the data's own fraud rate, shares no row with training, does not depend
on the oversampling seed, and changing it leaves the fitted stump alone.
"""

from collections import Counter

import numpy as np
import pytest
from katakit import (
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    perturb_rows,
    precision_recall_f1,
    with_shuffled_index,
)

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
    shared = len(
        rows_as_tuples(pipeline, result["test_rows"])
        & rows_as_tuples(pipeline, result["train_rows"])
    )
    assert shared == 0, (
        f"{shared} held-out transaction(s) are exact copies of training rows, although the "
        "600 transactions of the data are all distinct"
    )


def test_held_out_fraud_rate_is_the_data_s_own(pipeline, transactions, result):
    overall = float(transactions[pipeline.TARGET].mean())
    held_out = float(result["test_rows"][pipeline.TARGET].mean())
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
        meaning="only the held-out transactions changed, and the stump is never fitted on them",
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


def test_held_out_rows_are_the_rows_the_split_holds_out(pipeline, transactions, result):
    _, test_idx = pipeline.train_test_split(len(transactions), TEST_SIZE, SEED)
    expected = transactions.iloc[test_idx]
    got = result["test_rows"]
    same = set(got.index) == set(expected.index) and len(got) == len(expected)
    assert same, (
        f"run_pipeline scored {len(got)} rows; train_test_split(600, 0.25, 0) holds out "
        f"{len(expected)} transactions, and {len(set(got.index) ^ set(expected.index))} "
        "index labels differ between the two"
    )
    assert got.loc[expected.index].equals(expected), (
        "the held-out rows differ from the transactions of the data with the same index labels"
    )


def test_training_rows_are_the_other_transactions_plus_fraud_copies(pipeline, transactions, result):
    train_idx, _ = pipeline.train_test_split(len(transactions), TEST_SIZE, SEED)
    train = result["train_rows"]
    originals = transactions.iloc[train_idx]
    missing = len(set(originals.index) - set(train.index))
    assert missing == 0, f"{missing} training transaction(s) are missing from train_rows"
    strangers = len(set(train.index) - set(originals.index))
    assert strangers == 0, (
        f"train_rows holds {strangers} index label(s) that are not training transactions"
    )
    assert train.loc[~train.index.duplicated()].sort_index().equals(originals.sort_index()), (
        "train_rows changed the values of training transactions"
    )


def test_reported_figures_are_the_returned_stumps_on_the_held_out_rows(pipeline, result):
    test_rows, train_rows = result["test_rows"], result["train_rows"]
    refit = pipeline.fit_stump(
        train_rows[pipeline.FEATURES].to_numpy(dtype=float), train_rows[pipeline.TARGET].to_numpy()
    )
    assert {k: refit[k] for k in ("feature", "polarity")} == {
        k: result["stump"][k] for k in ("feature", "polarity")
    } and refit["threshold"] == pytest.approx(result["stump"]["threshold"], rel=1e-12), (
        f"the returned stump {result['stump']} is not the one fit_stump gives on train_rows "
        f"({refit})"
    )
    X = test_rows[pipeline.FEATURES].to_numpy(dtype=float)
    stump = result["stump"]
    pred = (stump["polarity"] * (X[:, stump["feature"]] - stump["threshold"]) > 0).astype(int)
    got = np.asarray(result["test_predictions"])
    assert np.array_equal(got, pred), (
        f"test_predictions disagree with the returned stump on {int(np.sum(got != pred))} of "
        f"{len(pred)} held-out transactions"
    )
    precision, recall, _ = precision_recall_f1(test_rows[pipeline.TARGET].to_numpy(), pred)
    assert_figures(result, {"precision": precision, "recall": recall}, "run_pipeline(...)")


def test_defaults_hold_out_a_quarter_with_seeds_0_and_1(pipeline, transactions, result):
    default = pipeline.run_pipeline(transactions)
    assert sorted(default["test_rows"].index) == sorted(result["test_rows"].index) and sorted(
        default["train_rows"].index
    ) == sorted(result["train_rows"].index), (
        "run_pipeline(transactions) differs from run_pipeline(transactions, 0.25, 0, "
        "oversample_seed=1): those are its documented defaults"
    )


def test_split_is_shuffled_seeded_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(600, 0.25, seed), 600, 150)
    assert_seeded_split(lambda seed: pipeline.train_test_split(10, 0.3, seed), 10, 3)
    assert_unchanged(
        pipeline.train_test_split(600), pipeline.train_test_split(600, 0.25, 0),
        "train_test_split(600)", "the documented defaults test_size=0.25, seed=0 split otherwise",
    )  # fmt: skip


def test_run_depends_on_its_seeds_and_only_on_them(pipeline, transactions):
    assert_reproducible(
        lambda seed: np.sort(
            pipeline.run_pipeline(transactions, TEST_SIZE, seed)["test_rows"].index
        ),
        what="the held-out index labels of run_pipeline(transactions, 0.25, seed)",
    )
    assert_reproducible(
        lambda seed: np.sort(
            pipeline.run_pipeline(transactions, TEST_SIZE, SEED, oversample_seed=seed)[
                "train_rows"
            ].index
        ),
        what="the training index labels of run_pipeline(..., oversample_seed=seed)",
    )


def test_oversampling_is_seeded(pipeline, transactions):
    assert_reproducible(
        lambda seed: np.sort(pipeline.random_oversample(transactions, seed=seed).index),
        what="random_oversample(transactions, seed).index",
    )
    default = np.sort(pipeline.random_oversample(transactions).index)
    explicit = np.sort(pipeline.random_oversample(transactions, seed=0).index)
    assert np.array_equal(default, explicit), (
        "random_oversample(transactions) differs from random_oversample(transactions, seed=0)"
    )


def test_run_leaves_the_callers_table_untouched(pipeline, transactions):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED), transactions.copy(),
        what="run_pipeline",
    )  # fmt: skip


def fewest_errors(X, y):
    """The fewest training errors any single threshold on any feature can make, by brute force."""
    best = len(y)
    for j in range(X.shape[1]):
        values = np.unique(X[:, j])
        for t in (values[:-1] + values[1:]) / 2:
            above = X[:, j] > t
            best = min(best, int(np.sum(above != y)), int(np.sum(above == y)))
    return best


@pytest.mark.parametrize("seed, sign", [(1, 1.0), (2, -1.0), (3, 1.0), (4, -1.0)])
def test_stump_makes_the_fewest_training_errors(pipeline, seed, sign):
    rng = np.random.default_rng(seed)
    X = np.round(rng.normal(size=(40, 3)), 1)  # rounded: repeated values, as after oversampling
    X = np.vstack([X, X[:6]])
    # Fraud above a cut on one feature, or below it.
    y = (sign * X[:, seed % 3] + rng.normal(0.0, 0.8, 46) > 0.2).astype(int)
    stump = pipeline.fit_stump(X, y)
    pred = pipeline.predict_stump(stump, X)
    errors = int(np.sum(pred != y))
    best = fewest_errors(X, y)
    assert errors == best, (
        f"the fitted stump makes {errors} errors on its 46 training rows, where the best "
        f"single threshold makes {best}"
    )
    assert stump["errors"] == errors, (
        f"the stump reports {stump['errors']} training errors but makes {errors}"
    )


@pytest.mark.parametrize("polarity, expected", [(-1, [1, 0, 0]), (1, [0, 0, 1])])
def test_stump_predicts_fraud_strictly_beyond_its_threshold(pipeline, polarity, expected):
    stump = {"feature": 1, "threshold": 2.5, "polarity": polarity}
    X = np.array([[0.0, 2.0], [0.0, 2.5], [0.0, 3.0]])
    got = call_strict(pipeline.predict_stump, stump, X, what="predict_stump")
    assert [int(v) for v in got] == expected, (
        f"a stump with polarity {polarity} and threshold 2.5 on feature 1 gives "
        f"{[int(v) for v in got]} for values 2.0, 2.5 and 3.0; its documented rule flags "
        f"{polarity} * (x - 2.5) > 0, that is {expected}"
    )


def test_predictions_ignore_a_common_shift_of_the_features(pipeline, transactions, result):
    # A feature on an offset scale (seconds since an epoch, an account number) shifts every
    # value and every threshold alike.
    shifted = transactions.copy()
    shifted[pipeline.FEATURES] = shifted[pipeline.FEATURES] + 1e8
    after = pipeline.run_pipeline(shifted, TEST_SIZE, SEED)
    changed = int(np.sum(np.asarray(after["test_predictions"]) != result["test_predictions"]))
    assert changed == 0, (
        f"adding 1e8 to every feature changed {changed} of the {len(result['test_predictions'])} "
        "held-out predictions, although no transaction moved relative to another"
    )


def test_precision_and_recall_of_a_hand_worked_case(pipeline):
    got = pipeline.precision_recall([1, 0, 1, 1, 0, 0], [1, 0, 0, 0, 0, 0])
    assert got == pytest.approx((1.0, 1 / 3)), (
        f"one flagged transaction, a fraud, out of three frauds: precision 1 and recall 1/3; "
        f"precision_recall gives {got}"
    )
    got = pipeline.precision_recall([1, 0, 0], [1, 1, 0])
    assert got == pytest.approx((0.5, 1.0)), (
        f"two flagged transactions, one of them the only fraud: precision 0.5 and recall 1; "
        f"precision_recall gives {got}"
    )


@pytest.mark.edge
def test_precision_and_recall_are_0_without_flags_or_frauds(pipeline):
    assert pipeline.precision_recall([1, 0, 1], [0, 0, 0]) == (0.0, 0.0), (
        "with nothing flagged, precision is documented as 0 (not a division by zero)"
    )
    assert pipeline.precision_recall([0, 0, 0], [1, 0, 0]) == (0.0, 0.0), (
        "with no fraud at all, recall is documented as 0 (not a division by zero)"
    )
