"""The loan-default pipeline must stay finite however far a logit is from zero.

The edge tests feed logits of +-1000, unscaled dollar amounts and outlier rows with numpy's
floating-point warnings turned into errors (underflow to 0 stays allowed: it is harmless);
the rest pin down the parts the pipeline is built from on ordinary, well-scaled inputs.
"""

import math
from contextlib import contextmanager

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    log_loss,
)

SEED = 0
TEST_SIZE = 0.25
# The coefficients make_applications draws its labels from, per dollar / year / late payment.
TRUE_EFFECTS = np.array([-4e-5, 1e-4, -0.03, 0.8])


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def applications(pipeline):
    return pipeline.make_applications(n_rows=500, seed=SEED)


@contextmanager
def strict_floats(call):
    """Overflow, division by zero and invalid operations raise instead of warning."""
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        try:
            yield
        except FloatingPointError as error:
            raise AssertionError(
                f"{call} hit a floating-point error ({error}): numpy normally only warns here "
                "and carries inf or nan on into probabilities, losses and reports"
            ) from error


def reference_sigmoid(z):
    """The textbook 1 / (1 + e^-z), one Python float at a time (for |z| well below 700)."""
    z = np.asarray(z, dtype=float)
    return np.array([1.0 / (1.0 + math.exp(-v)) for v in z.ravel()]).reshape(z.shape)


def features_and_labels(pipeline, df):
    return df[pipeline.FEATURES].to_numpy(dtype=float), df[pipeline.TARGET].to_numpy(dtype=float)


def standardised(pipeline, df):
    X, y = features_and_labels(pipeline, df)
    return pipeline.StandardScaler().fit(X).transform(X), y


def with_amounts_in_cents(pipeline, df):
    """Two held-out applications exported in cents: one income, one loan amount, 100x too big."""
    _, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    corrupted = df.copy()
    corrupted.loc[df.index[test_idx[0]], "income"] *= 100.0
    corrupted.loc[df.index[test_idx[1]], "loan_amount"] *= 100.0
    return corrupted


@pytest.mark.edge
def test_sigmoid_is_finite_for_logits_of_1000(pipeline):
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    with strict_floats("sigmoid([-1000, -50, 0, 50, 1000])"):
        p = pipeline.sigmoid(z)
    assert np.shape(p) == (5,), f"sigmoid of 5 logits returned shape {np.shape(p)}"
    np.testing.assert_allclose(
        p, [0.0, 0.0, 0.5, 1.0, 1.0], rtol=0, atol=1e-12,
        err_msg="sigmoid([-1000, -50, 0, 50, 1000]) should be [0, ~0, 0.5, ~1, 1]",
    )  # fmt: skip


@pytest.mark.edge
def test_sigmoid_of_z_and_minus_z_sum_to_one(pipeline):
    z = np.linspace(-1000.0, 1000.0, 401)
    with strict_floats("sigmoid(z) + sigmoid(-z) for z from -1000 to 1000"):
        total = pipeline.sigmoid(z) + pipeline.sigmoid(-z)
    np.testing.assert_allclose(
        total, 1.0, rtol=0, atol=1e-12,
        err_msg="P(default) + P(no default) should be 1 for every logit, however large",
    )  # fmt: skip


@pytest.mark.edge
def test_sigmoid_is_increasing_over_the_whole_logit_range(pipeline):
    z = np.concatenate([[-1e4, -1000.0, -745.0, -710.0], np.linspace(-700, 700, 281), [1e4]])
    with strict_floats("sigmoid(z) for z from -10000 to 10000"):
        p = pipeline.sigmoid(z)
    assert np.all((p >= 0.0) & (p <= 1.0)), "sigmoid returned values outside [0, 1]"
    assert np.all(np.diff(p) >= 0), (
        "sigmoid decreases somewhere between -10000 and 10000: a larger logit must never mean "
        "a smaller probability"
    )


def test_sigmoid_matches_the_logistic_function_on_ordinary_logits(pipeline):
    z = np.array([[-8.0, -1.5, 0.0], [0.25, 3.0, 8.0]])
    p = pipeline.sigmoid(z)
    assert np.shape(p) == (2, 3), f"sigmoid of a (2, 3) array returned shape {np.shape(p)}"
    np.testing.assert_allclose(
        p, 1.0 / (1.0 + np.exp(-z)), rtol=1e-12,
        err_msg="sigmoid differs from 1 / (1 + e^-z) on logits between -8 and 8",
    )  # fmt: skip


def test_sigmoid_keeps_small_probabilities_accurate(pipeline):
    z = np.array([-300.0, -100.0, -40.0, -20.0])
    np.testing.assert_allclose(
        pipeline.sigmoid(z), reference_sigmoid(z), rtol=1e-9,
        err_msg="sigmoid of very negative logits should be tiny but accurate (about e^z), "
        "not rounded to 0 or to a wrong power of ten",
    )  # fmt: skip


def test_log_loss_matches_its_definition_on_ordinary_logits(pipeline):
    rng = np.random.default_rng(3)
    z = rng.uniform(-8.0, 8.0, 50)
    y = (rng.random(50) < 0.5).astype(float)
    p = 1.0 / (1.0 + np.exp(-z))
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    loss = pipeline.log_loss(y, z)
    assert loss == pytest.approx(expected, rel=1e-9), (
        f"log_loss on 50 logits between -8 and 8 returned {loss:.6f}; the mean negative "
        f"log-likelihood of the labels is {expected:.6f}"
    )


@pytest.mark.edge
def test_log_loss_is_near_zero_for_confident_right_predictions(pipeline):
    y = np.array([1.0, 0.0])
    with strict_floats("log_loss(y=[1, 0], logits=[1000, -1000])"):
        loss = pipeline.log_loss(y, np.array([1000.0, -1000.0]))
    assert np.isfinite(loss) and 0.0 <= loss < 1e-6, (
        f"log_loss(y=[1, 0], logits=[1000, -1000]) returned {loss}: both predictions are right "
        "and certain, so the loss should be about 0"
    )


@pytest.mark.edge
def test_log_loss_is_large_but_finite_for_confident_wrong_predictions(pipeline):
    y = np.array([0.0, 1.0])
    with strict_floats("log_loss(y=[0, 1], logits=[1000, -1000])"):
        loss = pipeline.log_loss(y, np.array([1000.0, -1000.0]))
        moderate = pipeline.log_loss(y, np.array([10.0, -10.0]))
    assert np.isfinite(loss), (
        f"log_loss(y=[0, 1], logits=[1000, -1000]) returned {loss}: one wrong application "
        "makes the whole loss unusable"
    )
    assert moderate - 1e-9 <= loss <= 1000.0 + 1e-6, (
        f"log_loss(y=[0, 1], logits=[1000, -1000]) returned {loss:.4g}; a certain and wrong "
        f"prediction costs about 1000 and at least as much as logits of +-10 ({moderate:.4g})"
    )


@pytest.mark.edge
def test_log_loss_grows_as_a_wrong_prediction_grows_more_confident(pipeline):
    logits = [0.0, 5.0, 10.0, 20.0, 40.0, 100.0, 1000.0]
    with strict_floats(f"log_loss(y=[0], logits=[z]) for z in {logits}"):
        losses = [pipeline.log_loss(np.array([0.0]), np.array([z])) for z in logits]
        mirrored = [pipeline.log_loss(np.array([1.0]), np.array([-z])) for z in logits]
    for label, values in (("0", losses), ("1", mirrored)):
        assert np.all(np.isfinite(values)), (
            f"log_loss of one application labelled {label} returned {values} as the "
            "prediction grew more certainly wrong"
        )
        assert np.all(np.diff(values) >= 0), (
            f"log_loss of one application labelled {label} went {np.round(values, 3)} as the "
            "prediction grew more certainly wrong: the loss must never fall"
        )
    assert losses[0] == pytest.approx(np.log(2.0)), (
        f"log_loss(y=[0], logits=[0]) returned {losses[0]}; a 50/50 prediction costs log 2"
    )


def test_gradient_matches_finite_differences(pipeline):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 3))
    y = (rng.random(30) < 0.4).astype(float)
    w, b = rng.normal(scale=0.8, size=3), 0.3
    grad_w, grad_b = pipeline.gradient(X, y, w, b)
    h = 1e-6
    numeric_w = np.array(
        [
            (pipeline.log_loss(y, X @ (w + h * e) + b) - pipeline.log_loss(y, X @ (w - h * e) + b))
            / (2 * h)
            for e in np.eye(3)
        ]
    )
    numeric_b = (pipeline.log_loss(y, X @ w + b + h) - pipeline.log_loss(y, X @ w + b - h)) / (
        2 * h
    )
    np.testing.assert_allclose(
        grad_w, numeric_w, rtol=1e-5, atol=1e-8,
        err_msg="gradient(X, y, w, b)[0] disagrees with central finite differences of log_loss",
    )  # fmt: skip
    assert grad_b == pytest.approx(numeric_b, rel=1e-5, abs=1e-8), (
        f"the bias gradient is {grad_b:.6f}; central finite differences of log_loss give "
        f"{numeric_b:.6f}"
    )


def test_training_loss_starts_at_log_2_and_decreases_every_epoch(pipeline, applications):
    X, y = standardised(pipeline, applications)
    _, _, history = pipeline.fit_logistic_regression(X, y, lr=0.5, epochs=50)
    assert len(history) == 50, f"fit_logistic_regression(epochs=50) recorded {len(history)} losses"
    assert history[0] == pytest.approx(np.log(2.0)), (
        f"the first recorded loss is {history[0]:.6f}; an untrained model (all weights 0) "
        "predicts 50/50 and has log-loss log 2 = 0.693147"
    )
    assert np.all(np.diff(history) < 0), (
        f"the training loss rose during gradient descent on standardised data: "
        f"{np.round(history[:8], 5)} ..."
    )


def test_three_epochs_are_three_gradient_steps(pipeline):
    rng = np.random.default_rng(8)
    X = rng.normal(size=(40, 3))
    y = (rng.random(40) < 0.8).astype(float)  # mostly defaults: the bias has work to do
    w, b = np.zeros(3), 0.0
    for _ in range(3):
        error = reference_sigmoid(X @ w + b) - y
        w, b = w - 0.5 * X.T @ error / len(y), b - 0.5 * error.mean()
    fitted_w, fitted_b, _ = pipeline.fit_logistic_regression(X, y, lr=0.5, epochs=3)
    np.testing.assert_allclose(
        np.append(fitted_w, fitted_b), np.append(w, b), rtol=1e-12, atol=1e-15,
        err_msg="fit_logistic_regression(lr=0.5, epochs=3) from zero ends elsewhere than three "
        "steps of gradient descent on the mean log-loss, computed in double precision",
    )  # fmt: skip


def test_training_reaches_the_minimum_of_the_loss(pipeline, applications):
    X, y = standardised(pipeline, applications)
    w, b, _ = pipeline.fit_logistic_regression(X, y)
    error = reference_sigmoid(X @ w + b) - y
    slope = np.abs(np.append(X.T @ error / len(y), error.mean())).max()
    assert slope < 1e-6, (
        f"after training, the log-loss still slopes by {slope:.2e} in some direction: "
        "gradient descent did not reach the minimum"
    )


@pytest.mark.edge
def test_loss_history_is_finite_when_fitting_on_dollar_amounts(pipeline, applications):
    X, y = features_and_labels(pipeline, applications)  # unscaled: incomes of 50,000 dollars
    with strict_floats("fit_logistic_regression on unscaled dollar amounts"):
        w, b, history = pipeline.fit_logistic_regression(X, y, lr=0.5, epochs=10)
    assert len(history) == 10, f"fit_logistic_regression(epochs=10) recorded {len(history)} losses"
    assert np.all(np.isfinite(history)), (
        f"fit_logistic_regression on unscaled dollar amounts recorded the losses "
        f"{np.round(history, 3)}: the training log is useless even though the weights update"
    )
    assert np.all(np.isfinite(w)) and np.isfinite(b), "the weights became inf or nan"


def test_logistic_regression_recovers_the_effects_that_generated_the_data(pipeline):
    df = pipeline.make_applications(n_rows=4000, seed=SEED)
    X, y = features_and_labels(pipeline, df)
    scaler = pipeline.StandardScaler().fit(X)
    w, _, _ = pipeline.fit_logistic_regression(scaler.transform(X), y)
    per_unit = w / scaler.scale_
    np.testing.assert_allclose(
        per_unit, TRUE_EFFECTS, rtol=0.2,
        err_msg="the fitted effects per dollar / year / late payment are far from those that "
        "generated 4000 applications (income -4e-5, loan +1e-4, age -0.03, late payments +0.8)",
    )  # fmt: skip


@pytest.mark.edge
def test_pipeline_metrics_are_finite_when_held_out_amounts_are_in_cents(pipeline, applications):
    corrupted = with_amounts_in_cents(pipeline, applications)
    with strict_floats("run_pipeline on applications with two held-out amounts in cents"):
        result = pipeline.run_pipeline(corrupted, TEST_SIZE, SEED)
    assert np.isfinite(result["test_log_loss"]), (
        f"run_pipeline reported test_log_loss = {result['test_log_loss']} after two held-out "
        "applications had amounts 100x too large; their predictions are merely very confident"
    )
    probs = result["test_probabilities"]
    assert np.all((probs >= 0) & (probs <= 1)), "test probabilities fall outside [0, 1]"
    assert np.all(np.isfinite(result["loss_history"])), "the training loss history holds inf/nan"


def test_outliers_in_held_out_rows_do_not_move_the_model(pipeline, applications):
    before = pipeline.run_pipeline(applications, TEST_SIZE, SEED)
    with np.errstate(all="ignore"):
        after = pipeline.run_pipeline(
            with_amounts_in_cents(pipeline, applications), TEST_SIZE, SEED
        )
    np.testing.assert_allclose(
        after["weights"], before["weights"], rtol=1e-9, atol=1e-12,
        err_msg="run_pipeline learned different weights after only two held-out rows changed: "
        "information from the test set reaches training",
    )  # fmt: skip


def test_held_out_probabilities_come_from_the_model_fitted_on_training_rows(pipeline, applications):
    X, y = features_and_labels(pipeline, applications)
    train_idx, test_idx = pipeline.train_test_split(len(applications), TEST_SIZE, SEED)
    scaler = pipeline.StandardScaler().fit(X[train_idx])
    w, b, _ = pipeline.fit_logistic_regression(scaler.transform(X[train_idx]), y[train_idx])
    expected = reference_sigmoid(scaler.transform(X[test_idx]) @ w + b)

    result = pipeline.run_pipeline(applications, TEST_SIZE, SEED)
    np.testing.assert_allclose(
        result["weights"], w, rtol=1e-9, atol=1e-12,
        err_msg="run_pipeline's weights differ from a model fitted on the standardised "
        "training rows",
    )  # fmt: skip
    assert result["bias"] == pytest.approx(b, rel=1e-9, abs=1e-12), (
        f"run_pipeline's bias is {result['bias']:.6f}; the model fitted on the training rows "
        f"has {b:.6f}"
    )
    np.testing.assert_allclose(
        result["test_probabilities"], expected, rtol=1e-9, atol=1e-12,
        err_msg="the held-out default probabilities differ from those of the fitted model applied "
        "to the held-out rows, standardised with the training rows' statistics",
    )  # fmt: skip


def test_run_pipeline_holds_out_a_quarter_by_default(pipeline, applications):
    result = pipeline.run_pipeline(applications)
    assert len(result["test_probabilities"]) == 125, (
        f"run_pipeline on 500 applications scored {len(result['test_probabilities'])} held-out "
        "rows; the default holds out a quarter (125)"
    )


def test_reported_log_loss_agrees_with_reported_probabilities(pipeline, applications):
    result = pipeline.run_pipeline(applications, TEST_SIZE, SEED)
    _, test_idx = pipeline.train_test_split(len(applications), TEST_SIZE, SEED)
    y_test = applications[pipeline.TARGET].to_numpy(dtype=float)[test_idx]
    p = result["test_probabilities"]
    recomputed = -np.mean(y_test * np.log(p) + (1 - y_test) * np.log(1 - p))
    assert result["test_log_loss"] == pytest.approx(recomputed, rel=1e-6), (
        f"test_log_loss is {result['test_log_loss']:.6f} but the log-loss of the reported "
        f"test_probabilities is {recomputed:.6f}"
    )


def test_reported_accuracy_agrees_with_reported_probabilities(pipeline, applications):
    result = pipeline.run_pipeline(applications, TEST_SIZE, SEED)
    _, test_idx = pipeline.train_test_split(len(applications), TEST_SIZE, SEED)
    y_test = applications[pipeline.TARGET].to_numpy()[test_idx]
    recomputed = np.mean((result["test_probabilities"] >= 0.5) == y_test)
    assert result["test_accuracy"] == pytest.approx(recomputed), (
        f"test_accuracy is {result['test_accuracy']:.3f} but thresholding test_probabilities "
        f"at 0.5 gives {recomputed:.3f}"
    )


def test_held_out_scores_beat_guessing(pipeline, applications):
    result = pipeline.run_pipeline(applications, TEST_SIZE, SEED)
    assert result["test_accuracy"] > 0.68, (
        f"held-out accuracy is {result['test_accuracy']:.3f}; the data supports about 0.73 "
        "(always predicting 'no default' gives 0.56)"
    )
    assert result["test_log_loss"] < 0.62, (
        f"held-out log-loss is {result['test_log_loss']:.3f}; the data supports about 0.57 "
        "(a 50/50 guess gives 0.693)"
    )


def test_applications_are_reproducible_and_plausible(pipeline):
    df = pipeline.make_applications(n_rows=2000, seed=1)
    assert list(df.columns) == [*pipeline.FEATURES, pipeline.TARGET], (
        f"make_applications returned columns {list(df.columns)}"
    )
    assert len(df) == 2000, f"make_applications(n_rows=2000) returned {len(df)} rows"
    assert df.equals(pipeline.make_applications(n_rows=2000, seed=1)), (
        "make_applications with the same seed returned different tables"
    )
    assert not df.equals(pipeline.make_applications(n_rows=2000, seed=2)), (
        "make_applications with different seeds returned the same table"
    )
    assert 45_000 < df["income"].median() < 65_000, "median income is far from 55,000 dollars"
    assert 12_000 < df["loan_amount"].median() < 17_000, "median loan is far from 15,000 dollars"
    assert 21 <= df["age"].min() < 22 and 69 < df["age"].max() <= 70, (
        f"ages span {df['age'].min():.1f} to {df['age'].max():.1f}; applicants are 21 to 70"
    )
    assert set(df[pipeline.TARGET].unique()) == {0, 1}, "labels are not 0/1"
    assert 0.3 < df[pipeline.TARGET].mean() < 0.6, (
        f"the default rate is {df[pipeline.TARGET].mean():.3f}; expected about 0.44"
    )


def test_split_partitions_rows_in_the_requested_proportion(pipeline):
    train_idx, test_idx = pipeline.train_test_split(200, 0.25, seed=3)
    assert len(test_idx) == 50 and len(train_idx) == 150, (
        f"train_test_split(200, 0.25) gave {len(train_idx)} training and {len(test_idx)} test rows; "
        "expected 150 and 50"
    )
    together = np.sort(np.concatenate([train_idx, test_idx]))
    assert np.array_equal(together, np.arange(200)), (
        "train and test indices together are not each row exactly once: rows are lost or shared"
    )
    assert not np.array_equal(np.sort(test_idx), np.arange(50)), (
        "train_test_split held out the first 50 rows: the split is not shuffled"
    )
    again, _ = pipeline.train_test_split(200, 0.25, seed=3)
    assert np.array_equal(again, train_idx), "train_test_split with the same seed split differently"


def test_scaler_standardises_the_columns_it_was_fitted_on(pipeline):
    rng = np.random.default_rng(1)
    # Dollars, years, and a reading with a large offset and a spread below 1.
    X = rng.normal([55_000.0, 16_000.0, 45.0, 1e7], [17_000.0, 8_000.0, 14.0, 0.5], size=(500, 4))
    Z = pipeline.StandardScaler().fit(X).transform(X)
    np.testing.assert_allclose(
        Z.mean(axis=0), 0.0, atol=1e-6, err_msg="standardised training columns do not have mean 0"
    )
    np.testing.assert_allclose(
        Z.std(axis=0), 1.0, rtol=1e-10,
        err_msg="standardised training columns do not have standard deviation 1",
    )  # fmt: skip


@pytest.mark.edge
def test_scaler_keeps_a_constant_column_finite(pipeline):
    X = np.column_stack([np.full(20, 7.0), np.arange(20.0)])
    with strict_floats("StandardScaler().fit(X).transform(X) with a constant column"):
        Z = pipeline.StandardScaler().fit(X).transform(X)
    np.testing.assert_allclose(
        Z[:, 0], 0.0, err_msg="a constant column should standardise to zeros"
    )


def test_fitted_probabilities_average_to_the_default_rate(pipeline):
    # With an intercept, the log-loss minimum makes the mean predicted probability equal the
    # mean label: a model whose intercept never moves cannot reach it on unbalanced data.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 3))
    y = (rng.random(300) < 0.85).astype(float)
    w, b, _ = pipeline.fit_logistic_regression(X, y)
    mean_prob = float(np.mean(pipeline.sigmoid(X @ w + b)))
    assert mean_prob == pytest.approx(y.mean(), abs=0.01), (
        f"on a loan book where {y.mean():.0%} default, the fitted model's mean default "
        f"probability is {mean_prob:.3f}: the model cannot learn the overall default rate"
    )


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(500, TEST_SIZE, seed), 500, 125)
    default = pipeline.train_test_split(500)
    explicit = pipeline.train_test_split(500, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(500) differs from train_test_split(500, 0.25, 0), its documented defaults"
    )


def test_reported_figures_come_from_the_returned_model(pipeline, applications):
    result = pipeline.run_pipeline(applications, 0.3, 4)
    X, y = features_and_labels(pipeline, applications)
    train_idx, test_idx = pipeline.train_test_split(len(applications), 0.3, 4)
    mean, spread = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    probs = reference_sigmoid((X[test_idx] - mean) / spread @ result["weights"] + result["bias"])
    assert_figures(
        result,
        {
            "test_probabilities": probs,
            "test_log_loss": log_loss(y[test_idx], probs),
            "test_accuracy": accuracy(y[test_idx], probs >= 0.5),
        },
        "run_pipeline(applications, test_size=0.3, seed=4)",
        rtol=1e-9,
    )
    assert len(result["loss_history"]) == 300, (
        f"loss_history holds {len(result['loss_history'])} losses; training runs 300 epochs"
    )


def test_defaults_and_seed_are_honoured(pipeline, applications):
    assert_unchanged(pipeline.run_pipeline(applications),
                     pipeline.run_pipeline(applications, 0.25, 0), "run_pipeline(applications)",
                     "the defaults are not test_size=0.25, seed=0")  # fmt: skip
    assert_reproducible(lambda seed: pipeline.run_pipeline(applications, 0.25, seed)["weights"],
                        "run_pipeline(applications, seed=...)['weights']")  # fmt: skip
    n_scored = len(pipeline.run_pipeline(applications, 0.4, 0)["test_probabilities"])
    assert n_scored == 200, (
        f"run_pipeline(500 applications, test_size=0.4) scored {n_scored}; 40 % is 200"
    )


def test_run_pipeline_leaves_the_callers_table_alone(pipeline, applications):
    with np.errstate(all="ignore"):  # judged by the table
        assert_inputs_untouched(pipeline.run_pipeline, applications.copy(),
                                what="run_pipeline(applications)")  # fmt: skip
