"""The loan-default model must descend the log-loss it reports.

The gradient is checked against finite differences of log_loss, training against the loss it
claims to minimise, and the held-out score against the majority-class baseline; the rest pin
down the parts the pipeline is built from, including logits far beyond exp's range.
"""

import math

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
)

SEED = 0
TEST_SIZE = 0.25
STEP = 1e-6
EXTREME = {"over": "raise", "divide": "raise", "invalid": "raise"}


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def loans(pipeline):
    return pipeline.make_loans(n_rows=600, seed=SEED)


@pytest.fixture(scope="module")
def result(pipeline, loans):
    return pipeline.run_pipeline(loans, TEST_SIZE, SEED)


def random_point(n, d, seed):
    """A random problem and a random non-zero parameter point: (X, y, w, b)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (rng.random(n) < 0.5).astype(float)
    y[0] = 1.0  # at least one positive, so n == 1 is not the trivial y == 0 case
    return X, y, rng.normal(size=d), float(rng.normal())


def overlapping_classes(seed=4):
    """A small standardised problem no line separates: its log-loss has a unique finite minimum."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(40, 3))
    y = (rng.random(40) < 1.0 / (1.0 + np.exp(-(X @ [1.5, -1.0, 0.5] + 0.3)))).astype(float)
    # The first five points again with the opposite label: the classes overlap for certain.
    X = np.vstack([X, X[:5]])
    y = np.concatenate([y, 1.0 - y[:5]])
    return (X - X.mean(axis=0)) / X.std(axis=0), y


def numerical_gradient(pipeline, X, y, w, b):
    """Central finite differences of log_loss: (grad_w, grad_b)."""
    grad_w = np.empty_like(w)
    for j in range(len(w)):
        e = np.zeros_like(w)
        e[j] = STEP
        up, down = pipeline.log_loss(X, y, w + e, b), pipeline.log_loss(X, y, w - e, b)
        grad_w[j] = (up - down) / (2 * STEP)
    grad_b = (pipeline.log_loss(X, y, w, b + STEP) - pipeline.log_loss(X, y, w, b - STEP)) / (
        2 * STEP
    )
    return grad_w, grad_b


SHAPES = pytest.mark.parametrize(
    "n, d", [(30, 4), (4, 4), (1, 3)], ids=["n_gt_d", "n_eq_d", "n_eq_1"]
)


@SHAPES
def test_weight_gradient_matches_finite_differences(pipeline, n, d):
    X, y, w, b = random_point(n, d, seed=n + d)
    grad_w, _ = pipeline.gradients(X, y, w, b)
    assert_gradient_matches(
        lambda v: pipeline.log_loss(X, y, v, b), grad_w, w,
        f"grad_w of gradients(X of shape {X.shape}, y, w, b) at a random point",
        rtol=1e-5, atol=1e-7,
    )  # fmt: skip


@SHAPES
def test_bias_gradient_matches_finite_differences(pipeline, n, d):
    X, y, w, b = random_point(n, d, seed=n + d)
    _, grad_b = pipeline.gradients(X, y, w, b)
    assert np.ndim(grad_b) == 0, (
        f"gradients returned grad_b of shape {np.shape(grad_b)}; the bias is a single number"
    )
    assert_gradient_matches(
        lambda v: pipeline.log_loss(X, y, w, float(v)), float(grad_b), np.array(b),
        f"grad_b of gradients(X of shape {X.shape}, y, w, b) at a random point",
        rtol=1e-5, atol=1e-7,
    )  # fmt: skip


def test_loss_history_decreases_monotonically(pipeline):
    X, y = overlapping_classes()
    _, _, history = pipeline.fit(X, y, lr=0.5, epochs=100)
    history = np.asarray(history)
    rises = int(np.sum(np.diff(history) > 1e-12))
    assert rises == 0, (
        f"fit(X, y, lr=0.5, epochs=100) on a small convex problem: the loss went UP at "
        f"{rises} of 99 steps, from {history[0]:.4f} after step 1 to {history[-1]:.4f} "
        "after step 100; gradient descent on the log-loss with this step size can only go down"
    )
    assert history[0] < math.log(2), (
        f"the loss after the first step is {history[0]:.4f}, not below log(2) = 0.6931, the "
        "loss of the all-zero starting model: the first step made the model worse"
    )


@pytest.mark.edge
def test_fit_converges_to_the_minimum_of_log_loss(pipeline):
    X, y = overlapping_classes()
    w, b, _ = pipeline.fit(X, y, lr=0.5, epochs=1000)
    slope_w, slope_b = numerical_gradient(pipeline, X, y, np.asarray(w, dtype=float), float(b))
    slope = float(np.linalg.norm(np.append(slope_w, slope_b)))
    assert slope < 1e-5, (
        f"after fit(X, y, lr=0.5, epochs=1000) on a small convex problem, log_loss still has "
        f"slope {slope:.3g} at the returned (w, b) (measured by finite differences): training "
        "did not converge to the minimum of the loss"
    )


def test_loss_history_ends_at_the_loss_of_the_returned_model(pipeline):
    X, y = overlapping_classes()
    w, b, history = pipeline.fit(X, y, lr=0.3, epochs=25)
    assert np.shape(history) == (25,), (
        f"fit(..., epochs=25) returned a loss history of shape {np.shape(history)}; "
        "expected one loss per step, shape (25,)"
    )
    final = pipeline.log_loss(X, y, w, b)
    assert float(history[-1]) == pytest.approx(final, rel=1e-9), (
        f"the last entry of the loss history is {history[-1]:.6f} but log_loss of the returned "
        f"(w, b) is {final:.6f}: the history does not describe the model that was returned"
    )


def test_log_loss_matches_the_textbook_formula(pipeline):
    X, y, w, b = random_point(50, 3, seed=11)
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    got = pipeline.log_loss(X, y, w, b)
    assert got == pytest.approx(expected, rel=1e-9), (
        f"log_loss at a random point is {got:.6f}; -mean(y log p + (1 - y) log(1 - p)) is "
        f"{expected:.6f}"
    )
    at_zero = pipeline.log_loss(X, y, np.zeros(3), 0.0)
    assert at_zero == pytest.approx(math.log(2), rel=1e-12), (
        f"log_loss of the all-zero model (p = 0.5 everywhere) is {at_zero:.6f}, not log(2)"
    )


@pytest.mark.edge
def test_log_loss_is_finite_for_logits_of_1000(pipeline):
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    w = np.array([1000.0])  # logits +1000, -1000, +1000, -1000
    right = np.array([1.0, 0.0, 1.0, 0.0])
    with np.errstate(**EXTREME):
        confident_and_right = pipeline.log_loss(X, right, w, 0.0)
        confident_and_wrong = pipeline.log_loss(X, 1.0 - right, w, 0.0)
    assert math.isfinite(confident_and_right) and math.isfinite(confident_and_wrong), (
        f"log_loss with logits of +-1000 gave {confident_and_right} (every label right) and "
        f"{confident_and_wrong} (every label wrong); both must be finite numbers"
    )
    assert 0.0 <= confident_and_right < 1e-6, (
        f"log_loss is {confident_and_right} for a model that is certain and right on every row; "
        "it should be (almost) 0"
    )
    assert confident_and_wrong > 10.0, (
        f"log_loss is only {confident_and_wrong} for a model that is certain and wrong on every "
        "row; it should be very large"
    )


@pytest.mark.edge
def test_gradient_is_finite_and_right_for_logits_of_1000(pipeline):
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])  # first two certain and right, last two certain and wrong
    with np.errstate(**EXTREME):
        grad_w, grad_b = pipeline.gradients(X, y, np.array([1000.0]), 0.0)
    np.testing.assert_allclose(
        np.append(grad_w, grad_b), [0.5, 0.0], atol=1e-12,
        err_msg="gradients at logits of +-1000 (two rows certain and right, two certain and "
        "wrong): the mean log-loss rises at rate 0.5 per unit of w there, and not with b",
    )  # fmt: skip


@pytest.mark.edge
def test_sigmoid_is_finite_for_logits_of_1000(pipeline):
    z = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])
    with np.errstate(**EXTREME):
        p = pipeline.sigmoid(z)
    np.testing.assert_allclose(
        p, 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700))), rtol=1e-12, atol=1e-300,
        err_msg=f"sigmoid{tuple(z)} is not the logistic function 1 / (1 + exp(-z))",
    )  # fmt: skip
    np.testing.assert_allclose(
        p + p[::-1], 1.0, rtol=1e-12,
        err_msg="sigmoid(z) + sigmoid(-z) should be 1",
    )  # fmt: skip


def test_predict_proba_gives_the_probability_of_default(pipeline):
    X = np.array([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])
    w, b = np.array([0.5, -1.0]), 0.25
    probs = pipeline.predict_proba(X, w, b)
    np.testing.assert_allclose(
        probs, 1.0 / (1.0 + np.exp(-np.array([-1.25, 1.25, 1.25]))), rtol=1e-12,
        err_msg="predict_proba(X, w, b) is not sigmoid(X @ w + b)",
    )  # fmt: skip


@pytest.mark.parametrize("n", [5, 1], ids=["n_eq_5", "n_eq_1"])
def test_predict_returns_0_1_labels_of_shape_n(pipeline, n):
    X = np.linspace(-2.0, 2.0, n).reshape(n, 1) if n > 1 else np.array([[0.0]])
    labels = pipeline.predict(X, np.array([1.0]), 0.0)
    assert np.shape(labels) == (n,), (
        f"predict on {n} row(s) returned shape {np.shape(labels)}; expected ({n},)"
    )
    assert np.asarray(labels).dtype.kind in "iu", (
        f"predict returned dtype {np.asarray(labels).dtype}; labels are integers 0 and 1"
    )
    expected = [0, 0, 1, 1, 1] if n > 1 else [1]  # probability 0.5 counts as default
    np.testing.assert_array_equal(
        labels, expected,
        err_msg=f"predict for logits {X.ravel()} should label rows with probability >= 0.5 as 1",
    )  # fmt: skip


def test_held_out_accuracy_beats_the_majority_class_baseline(pipeline, loans, result):
    y = loans[pipeline.TARGET].to_numpy()
    train_idx, test_idx = pipeline.train_test_split(len(loans), TEST_SIZE, SEED)
    majority = int(y[train_idx].mean() >= 0.5)
    baseline = float(np.mean(y[test_idx] == majority))
    assert result["test_accuracy"] > baseline + 0.05, (
        f"run_pipeline reports held-out accuracy {result['test_accuracy']:.3f}, while always "
        f"predicting the majority class scores {baseline:.3f}: the trained model is no better "
        "than (or worse than) not looking at the features at all"
    )


def test_weights_recover_the_direction_of_each_effect(pipeline):
    result = pipeline.run_pipeline(pipeline.make_loans(n_rows=4000, seed=5), TEST_SIZE, SEED)
    signs = np.sign(result["weights"])
    # make_loans: default falls with income and credit age, rises with debt and late payments.
    assert list(signs) == [-1, 1, -1, 1], (
        f"fitted weights {np.round(result['weights'], 3)} do not match the direction of the "
        "effects that generated the data (income -, debt-to-income +, credit age -, late +)"
    )


def test_reported_figures_are_those_of_the_returned_model(pipeline, loans, result):
    y = loans[pipeline.TARGET].to_numpy()
    X = loans[pipeline.FEATURES].to_numpy(dtype=float)
    train_idx, test_idx = pipeline.train_test_split(len(loans), TEST_SIZE, SEED)
    X_train = pipeline.standardise(X[train_idx], result["mean"], result["scale"])
    X_test = pipeline.standardise(X[test_idx], result["mean"], result["scale"])
    w, b = result["weights"], result["bias"]
    probs = 1.0 / (1.0 + np.exp(-(X_test @ w + b)))
    assert_figures(
        result,
        {
            "test_probabilities": probs,
            "test_accuracy": accuracy(y[test_idx], (probs >= 0.5).astype(int)),
            "train_accuracy": accuracy(y[train_idx], (X_train @ w + b >= 0).astype(int)),
        },
        "run_pipeline(600 loans)",
    )


def test_run_pipeline_reports_the_loss_history_of_its_model(pipeline, loans):
    train_idx, _ = pipeline.train_test_split(len(loans), TEST_SIZE, seed=3)
    result = pipeline.run_pipeline(loans, TEST_SIZE, seed=3, lr=0.2, epochs=40)
    history = result["loss_history"]
    assert np.shape(history) == (40,), (
        f"run_pipeline(..., epochs=40) returned a loss history of shape {np.shape(history)}; "
        "expected one loss per training step, shape (40,)"
    )
    X_train = loans.iloc[train_idx][pipeline.FEATURES].to_numpy(dtype=float)
    X_train = pipeline.standardise(X_train, result["mean"], result["scale"])
    y_train = loans[pipeline.TARGET].to_numpy(dtype=float)[train_idx]
    final = pipeline.log_loss(X_train, y_train, result["weights"], result["bias"])
    assert float(history[-1]) == pytest.approx(final, rel=1e-9), (
        f"run_pipeline(seed=3) reports a final training loss of {history[-1]:.6f}, but the "
        f"returned model's log_loss on the seed-3 training rows is {final:.6f}: the history "
        "belongs to a different model or a different split"
    )


def test_model_ignores_test_rows(pipeline, loans, result):
    _, test_idx = pipeline.train_test_split(len(loans), TEST_SIZE, SEED)
    corrupted = loans.copy()
    corrupted.loc[loans.index[test_idx], "income_k"] *= 1000.0  # dollars, not thousands
    after = pipeline.run_pipeline(corrupted, TEST_SIZE, SEED)
    for key in ("mean", "scale", "weights", "bias"):
        np.testing.assert_allclose(
            after[key], result[key], rtol=1e-9, atol=1e-12,
            err_msg=f"run_pipeline's {key!r} changed when only the held-out rows changed: "
            "information from the test set reaches training",
        )  # fmt: skip


def test_split_is_a_seeded_shuffled_partition(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(200, 0.25, seed), 200, 50)


def test_run_pipeline_is_reproducible_and_follows_its_seed(pipeline, loans):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(loans, TEST_SIZE, seed, epochs=50)["weights"],
        "the weights run_pipeline(600 loans, epochs=50) learns",
    )


def test_run_pipeline_leaves_the_callers_table_untouched(pipeline, loans):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED, epochs=20), loans.copy(),
        what="run_pipeline(loans)",
    )  # fmt: skip


def test_fit_leaves_the_callers_arrays_untouched(pipeline):
    X, y = overlapping_classes()
    assert_inputs_untouched(
        lambda X, y: pipeline.fit(X, y, lr=0.5, epochs=20), X, y, what="fit(X, y)"
    )


def test_run_pipeline_defaults_hold_out_a_quarter_and_train_300_steps(pipeline, loans, result):
    default = pipeline.run_pipeline(loans)
    assert np.shape(default["test_probabilities"]) == (150,), (
        f"run_pipeline(600 loans) with its defaults scored {np.shape(default['test_probabilities'])} "
        "held-out loans; the brief promises 150"
    )
    assert np.shape(default["loss_history"]) == (300,), (
        f"run_pipeline with its defaults recorded {np.shape(default['loss_history'])} losses; "
        "the brief promises 300 steps"
    )
    assert np.array_equal(default["test_probabilities"], result["test_probabilities"]), (
        "run_pipeline(loans) with its defaults does not give the same model as "
        "run_pipeline(loans, 0.25, 0): a default seed or split size changed"
    )


@pytest.mark.edge
def test_fit_finds_the_intercept_of_imbalanced_classes(pipeline):
    # Features that carry no information and 85 % positives: the best model is w = 0 and
    # the bias whose sigmoid is the positive rate, log(0.85 / 0.15).
    X = np.array([[1.0], [-1.0]] * 20)
    y = np.repeat(np.where(np.arange(20) < 17, 1.0, 0.0), 2)  # each pair (1, -1) shares a label
    _, b, _ = pipeline.fit(X, y, lr=0.5, epochs=2000)
    rate = float(y.mean())
    assert float(b) == pytest.approx(math.log(rate / (1 - rate)), abs=1e-3), (
        f"fit on 40 loans of which {rate:.0%} default, with a feature that says nothing, "
        f"returns bias {float(b):.4f} and predicts a default rate of "
        f"{0.5 * (1 + math.tanh(float(b) / 2)):.3f} for every loan; the data say {rate:.3f}"
    )


def test_make_loans_gives_a_reproducible_plausible_loan_book(pipeline):
    loans = pipeline.make_loans(n_rows=500, seed=2)
    assert list(loans.columns) == [*pipeline.FEATURES, pipeline.TARGET] and len(loans) == 500, (
        f"make_loans(500) returned columns {list(loans.columns)} and {len(loans)} rows"
    )
    assert loans.equals(pipeline.make_loans(n_rows=500, seed=2)), (
        "make_loans with the same seed returned a different table"
    )
    rate = loans[pipeline.TARGET].mean()
    assert set(loans[pipeline.TARGET].unique()) == {0, 1} and 0.2 < rate < 0.5, (
        f"the default label takes values {sorted(loans[pipeline.TARGET].unique())} with rate "
        f"{rate:.3f}; expected 0/1 labels with about a third defaulting"
    )
    assert np.all(loans[pipeline.FEATURES].std() > 0), (
        f"a feature does not vary across loans: std {loans[pipeline.FEATURES].std().to_dict()}"
    )
    assert loans["debt_to_income"].between(0, 1).all() and (loans["income_k"] > 0).all(), (
        "debt-to-income ratios outside [0, 1] or non-positive incomes"
    )


def test_standardised_training_columns_have_mean_0_and_std_1(pipeline):
    rng = np.random.default_rng(1)
    # The third column sits far from zero, as a raw timestamp or an account number would.
    X = rng.normal([50.0, 0.3, 1e6], [20.0, 0.1, 1.0], size=(300, 3))
    mean, scale = pipeline.fit_standardiser(X)
    Z = pipeline.standardise(X, mean, scale)
    np.testing.assert_allclose(
        Z.mean(axis=0), 0.0, atol=1e-10, err_msg="standardised training columns do not have mean 0"
    )
    np.testing.assert_allclose(
        Z.std(axis=0), 1.0, rtol=1e-8,
        err_msg="standardised training columns do not have standard deviation 1",
    )  # fmt: skip


@pytest.mark.edge
def test_standardiser_keeps_a_constant_column_finite(pipeline):
    X = np.column_stack([np.full(20, 7.0), np.arange(20.0)])
    with np.errstate(**EXTREME):
        Z = pipeline.standardise(X, *pipeline.fit_standardiser(X))
    assert np.all(np.isfinite(Z)), "a constant feature column became NaN or inf after standardising"
    np.testing.assert_allclose(Z[:, 0], 0.0, err_msg="a constant column should standardise to 0")
