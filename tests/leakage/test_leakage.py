"""The churn pipeline must learn from its training rows only.

Each test changes what a leak-free pipeline must not notice (the held-out rows) and checks
that nothing learned moved; the rest pin down the parts the pipeline is built from and the
figures it reports.
"""

import math

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    with_shuffled_index,
)

SEED = 0
TEST_SIZE = 0.25


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def customers(pipeline):
    # A shuffled, non-default index: a fix that mixes index labels with row positions shows.
    return with_shuffled_index(pipeline.make_customers(n_rows=400, seed=SEED), seed=SEED)


@pytest.fixture(scope="module")
def result(pipeline, customers):
    return pipeline.run_pipeline(customers, TEST_SIZE, SEED)


def held_out_rows(pipeline, df):
    _, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    return df.index[test_idx]


def with_corrupted_rows(df, rows):
    """The same table after a billing-export bug hit ``rows``: cents for dollars, days for months."""
    corrupted = df.copy()
    corrupted.loc[rows, "monthly_charges"] *= 100.0
    corrupted.loc[rows, "tenure_months"] *= 30.0
    return corrupted


def model_probabilities(pipeline, result, df, rows):
    """Churn probabilities of the returned scaler and model for the rows at positions ``rows``."""
    X = df[pipeline.FEATURES].to_numpy(dtype=float)[rows]
    z = result["scaler"].transform(X) @ result["weights"] + result["bias"]
    return 1.0 / (1.0 + np.exp(-z))


def test_model_ignores_test_rows(pipeline, customers, result):
    after = pipeline.run_pipeline(
        with_corrupted_rows(customers, held_out_rows(pipeline, customers)), TEST_SIZE, SEED
    )
    assert_unchanged(
        {"weights": result["weights"], "bias": result["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        what="run_pipeline(...) learned parameters",
        meaning="only the 100 held-out customers changed, and the model is never trained on them",
    )


def test_scaler_ignores_test_rows(pipeline, customers, result):
    corrupted = with_corrupted_rows(customers, held_out_rows(pipeline, customers))
    after = pipeline.run_pipeline(corrupted, TEST_SIZE, SEED)
    assert_unchanged(
        result["scaler"],
        after["scaler"],
        what="the fitted scaler",
        meaning="only the 100 held-out customers changed, and nothing fitted should notice them",
    )


def test_a_test_row_is_scored_independently_of_other_test_rows(pipeline, customers, result):
    rows = held_out_rows(pipeline, customers)
    after = pipeline.run_pipeline(with_corrupted_rows(customers, rows[1:]), TEST_SIZE, SEED)
    assert_unchanged(
        result["test_probabilities"][0],
        after["test_probabilities"][0],
        what="the first held-out customer's churn probability",
        meaning="only *other* held-out customers changed: one customer's score depends on the "
        "rest of the test set",
    )


def leak_free_probabilities(pipeline, customers, ddof):
    """Held-out probabilities of a model whose every fitted step saw the training rows alone."""
    X = customers[pipeline.FEATURES].to_numpy(dtype=float)
    y = customers[pipeline.TARGET].to_numpy(dtype=float)
    train_idx, test_idx = pipeline.train_test_split(len(customers), TEST_SIZE, SEED)
    mean = X[train_idx].mean(axis=0)
    scale = X[train_idx].std(axis=0, ddof=ddof)
    w, b = pipeline.fit_logistic_regression((X[train_idx] - mean) / scale, y[train_idx])
    return pipeline.sigmoid((X[test_idx] - mean) / scale @ w + b)


def test_held_out_scores_match_a_model_that_never_saw_them(pipeline, customers, result):
    # The brief leaves the standard deviation's convention open: population or sample.
    candidates = [leak_free_probabilities(pipeline, customers, ddof) for ddof in (0, 1)]
    got = result["test_probabilities"]
    gaps = [float(np.max(np.abs(got - expected))) for expected in candidates]
    assert min(gaps) < 1e-9, (
        f"the held-out churn probabilities differ by up to {min(gaps):.2g} from those of the "
        "same model trained and standardised on the 300 training customers alone: the reported "
        "score is not a held-out score"
    )


def test_reported_figures_are_the_returned_models_on_the_right_rows(pipeline, customers, result):
    train_idx, test_idx = pipeline.train_test_split(len(customers), TEST_SIZE, SEED)
    y = customers[pipeline.TARGET].to_numpy()
    train_probs = model_probabilities(pipeline, result, customers, train_idx)
    test_probs = model_probabilities(pipeline, result, customers, test_idx)
    assert_close(
        result["test_probabilities"], test_probs, "run_pipeline(...)['test_probabilities']",
        "they are not the returned scaler and model applied to the held-out customers",
        rtol=1e-9,
    )  # fmt: skip
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[train_idx], (train_probs >= 0.5).astype(int)),
            "test_accuracy": accuracy(y[test_idx], (test_probs >= 0.5).astype(int)),
        },
        what="run_pipeline(...)",
    )


def test_defaults_hold_out_a_quarter_with_seed_0(pipeline, customers, result):
    default = pipeline.run_pipeline(customers)
    assert len(default["test_probabilities"]) == 100, (
        f"run_pipeline(customers) scored {len(default['test_probabilities'])} customers; its "
        "default test_size of 0.25 holds out 100 of 400"
    )
    assert_unchanged(
        result["test_probabilities"], default["test_probabilities"],
        what="run_pipeline(customers)['test_probabilities']",
        meaning="the defaults (test_size=0.25, seed=0) give a different run from passing them",
    )  # fmt: skip


def test_split_is_shuffled_seeded_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(400, 0.25, seed), 400, 100)
    assert_seeded_split(lambda seed: pipeline.train_test_split(10, 0.3, seed), 10, 3)


def test_run_depends_on_its_seed_and_only_on_it(pipeline, customers):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(customers, TEST_SIZE, seed)["test_probabilities"],
        what="run_pipeline(customers, 0.25, seed)['test_probabilities']",
    )


def test_run_leaves_the_callers_table_untouched(pipeline, customers):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED), customers.copy(),
        what="run_pipeline",
    )  # fmt: skip


def unit_spread(Z, rtol):
    """Every column has standard deviation 1, by the population or the sample convention."""
    return any(np.allclose(Z.std(axis=0, ddof=ddof), 1.0, rtol=rtol) for ddof in (0, 1))


def test_scaler_standardises_the_columns_it_was_fitted_on(pipeline):
    rng = np.random.default_rng(1)
    X = rng.normal([5.0, -300.0, 0.01], [2.0, 50.0, 0.001], size=(500, 3))
    Z = pipeline.StandardScaler().fit(X).transform(X)
    assert_close(Z.mean(axis=0), np.zeros(3), "means of the standardised columns", atol=1e-10)
    assert unit_spread(Z, rtol=1e-10), (
        f"standardised training columns have standard deviations {Z.std(axis=0).tolist()}; "
        "a standardised column has spread 1 (population or sample convention)"
    )


def test_scaler_applies_training_statistics_to_new_rows(pipeline):
    X = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0], [7.0, 40.0]])
    scaler = pipeline.StandardScaler().fit(X)
    new = np.array([[4.0, 25.0], [11.0, 0.0]])
    got = scaler.transform(new)
    candidates = [(new - X.mean(axis=0)) / X.std(axis=0, ddof=ddof) for ddof in (0, 1)]
    assert any(np.allclose(got, c, rtol=1e-12) for c in candidates), (
        f"StandardScaler fitted on 4 rows standardises two new rows to {got.tolist()}; the "
        f"fitted mean and spread give {candidates[0].tolist()} (population convention)"
    )


@pytest.mark.edge
def test_scaler_keeps_a_constant_column_finite(pipeline):
    X = np.column_stack([np.full(20, 7.0), np.arange(20.0)])
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        scaler = pipeline.StandardScaler().fit(X)
        Z = scaler.transform(X)
        new = scaler.transform(np.array([[8.0, 5.0]]))
    assert np.all(np.isfinite(Z)), "a constant feature column turned into NaN or inf"
    assert_close(Z[:, 0], np.zeros(20), "a constant column after standardising")
    assert_close(
        new[0, 0], 1.0, "a new value 8 in a column that was constant at 7",
        "the scaler's own comment promises that a constant column is left centred and unscaled",
    )  # fmt: skip


def test_logistic_regression_recovers_the_direction_of_each_effect(pipeline):
    result = pipeline.run_pipeline(pipeline.make_customers(n_rows=4000, seed=5), TEST_SIZE, SEED)
    signs = np.sign(result["weights"])
    # make_customers: churn falls with tenure and data use, rises with charges and support calls.
    assert list(signs) == [-1, 1, 1, -1], (
        f"fitted weights {np.round(result['weights'], 3).tolist()} do not match the direction "
        "of the effects that generated the data (tenure -, charges +, calls +, data -)"
    )
    assert result["test_accuracy"] > 0.7, (
        f"held-out accuracy is {result['test_accuracy']:.3f}; the data supports well above 0.7"
    )


@pytest.mark.edge
def test_sigmoid_is_finite_for_logits_of_1000(pipeline):
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = pipeline.sigmoid(z)
    assert_close(p[[0, 2, 4]], [0.0, 0.5, 1.0], "sigmoid of -1000, 0 and 1000", atol=1e-12)
    assert np.all(np.diff(p) >= 0), f"sigmoid{tuple(z.tolist())} = {p.tolist()} is not increasing"


def test_sigmoid_matches_its_definition(pipeline):
    z = np.linspace(-8.0, 8.0, 33)
    expected = np.array([1.0 / (1.0 + math.exp(-v)) for v in z])
    assert_close(pipeline.sigmoid(z), expected, "sigmoid on logits between -8 and 8", rtol=1e-12)
    ints = np.arange(-3, 4)
    assert_close(
        pipeline.sigmoid(ints), [1.0 / (1.0 + math.exp(-v)) for v in ints.tolist()],
        "sigmoid of the integer logits -3..3", rtol=1e-12,
    )  # fmt: skip


@pytest.mark.edge
def test_scaler_is_accurate_for_a_column_with_a_large_offset(pipeline):
    rng = np.random.default_rng(2)
    X = 1e9 + rng.normal(0.0, 1.0, size=(400, 1))
    Z = pipeline.StandardScaler().fit(X).transform(X)
    assert unit_spread(Z, rtol=1e-6), (
        f"a column of timestamp-like values around 1e9 standardises to spread {float(Z.std()):.6f}, "
        "not 1"
    )


def log_loss_slope(X, y, w, b):
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    return np.append(X.T @ (p - y) / len(y), np.mean(p - y))


@pytest.mark.edge
def test_logistic_regression_converges_to_the_minimum_of_the_log_loss(pipeline):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(200, 2))
    # Mostly positive labels: the bias has real work to do.
    y = (rng.random(200) < 1.0 / (1.0 + np.exp(-(X @ [1.0, -2.0] + 1.5)))).astype(float)
    w, b = pipeline.fit_logistic_regression(X, y, lr=0.5, epochs=3000)
    slope = log_loss_slope(X, y, w, b)
    assert np.max(np.abs(slope)) < 1e-4, (
        f"after 3000 steps the log-loss still slopes by {np.round(slope, 5).tolist()} at the "
        f"fitted weights {np.round(w, 3).tolist()} and bias {b:.3f}: training does not reach "
        "the minimum"
    )


def test_pipeline_model_fits_the_training_churn_rate(pipeline):
    # A table where four in five customers churn: the intercept carries most of the fit.
    df = pipeline.make_customers(n_rows=400, seed=3)
    df[pipeline.TARGET] = (np.arange(400) % 5 != 0).astype(int)
    result = pipeline.run_pipeline(df, TEST_SIZE, SEED)
    train_idx, _ = pipeline.train_test_split(400, TEST_SIZE, SEED)
    probs = model_probabilities(pipeline, result, df, train_idx)
    rate = float(df[pipeline.TARGET].to_numpy()[train_idx].mean())
    assert abs(float(probs.mean()) - rate) < 1e-3, (
        f"the returned model's mean churn probability on its training customers is "
        f"{float(probs.mean()):.4f} while {rate:.4f} of them churned: at the minimum of the "
        "log-loss the two agree"
    )


def test_split_defaults_hold_out_a_quarter_with_seed_0(pipeline):
    assert_unchanged(
        pipeline.train_test_split(400), pipeline.train_test_split(400, 0.25, 0),
        "train_test_split(400)", "the documented defaults test_size=0.25, seed=0 split otherwise",
    )  # fmt: skip


def test_logistic_regression_takes_exactly_the_gradient_steps_it_is_given(pipeline):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(30, 3))
    y = (rng.random(30) < 0.7).astype(float)
    w, b = np.zeros(3), 0.0
    for _ in range(5):  # batch gradient descent on the mean log-loss, from zero
        error = 1.0 / (1.0 + np.exp(-(X @ w + b))) - y
        w, b = w - 0.3 * X.T @ error / 30, b - 0.3 * error.mean()
    got_w, got_b = pipeline.fit_logistic_regression(X, y, lr=0.3, epochs=5)
    assert_close(got_w, w, "fit_logistic_regression(X, y, lr=0.3, epochs=5) weights",
                 "five steps of batch gradient descent on the mean log-loss from zero weights",
                 rtol=1e-12)  # fmt: skip
    assert_close(got_b, b, "fit_logistic_regression(X, y, lr=0.3, epochs=5) bias",
                 "five steps of batch gradient descent from a zero bias", rtol=1e-12)  # fmt: skip
