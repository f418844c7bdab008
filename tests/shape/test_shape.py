"""The house-price regression must learn the same model whichever shape its target arrives in.

fit documents y as (n,) or (n, 1): each target test fits the same numbers in both shapes, or
checks the fit against what the data was generated from; the rest pin down the parts the
pipeline is built from, at n == d and n == 1 too, where shape mistakes hide.
"""

import numpy as np
import pytest
from katakit import (
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    perturb_rows,
    rmse,
)

SEED = 0
TEST_SIZE = 0.25
STEP = 1e-6
# make_houses: price_k = 50 + 2.5 area + 15 bedrooms - 1.2 age - 8 distance + noise (sd 20).
PRICE_PER_UNIT = [2.5, 15.0, -1.2, -8.0]
NOISE_SD = 20.0


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def pipeline_run(pipeline):
    """``pipeline_run()`` is (houses, run_pipeline(houses)), computed once, inside the test that
    first asks, so that an error in the pipeline is reported by a test, not by a fixture."""
    cache = {}

    def get():
        if not cache:
            houses = pipeline.make_houses(n_rows=400, seed=SEED)
            # The defaults are the documented ones: test_size=0.25, seed=0.
            cache["run"] = houses, pipeline.run_pipeline(houses)
        return cache["run"]

    return get


def linear_problem(n, d, seed, noise=0.0):
    """Features that are NOT centred (like raw areas and ages) and an exactly linear target.

    Returns (X of shape (n, d), y of shape (n,), w_true of shape (d,), b_true).
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + rng.uniform(0.5, 1.5, size=d)
    w_true = rng.uniform(1.0, 3.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    b_true = 4.0
    return X, X @ w_true + b_true + noise * rng.normal(size=n), w_true, b_true


def random_point(n, d, seed):
    """A random problem and a random non-zero parameter point, in the shapes gradients documents.

    Returns (X (n, d), y (n, 1), w (d, 1), b).
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, rng.normal(size=(n, 1)), rng.normal(size=(d, 1)), float(rng.normal())


def numerical_gradient(pipeline, X, y, w, b):
    """Central finite differences of mse_loss: (grad_w of w's shape, grad_b)."""
    grad_w = np.empty_like(w)
    for j in range(w.size):
        e = np.zeros_like(w)
        e.flat[j] = STEP
        up, down = pipeline.mse_loss(X, y, w + e, b), pipeline.mse_loss(X, y, w - e, b)
        grad_w.flat[j] = (up - down) / (2 * STEP)
    up, down = pipeline.mse_loss(X, y, w, b + STEP), pipeline.mse_loss(X, y, w, b - STEP)
    return grad_w, (up - down) / (2 * STEP)


def fitted(pipeline, X, y, **kwargs):
    """fit(X, y), with the shapes it promises checked before anything else looks at them."""
    w, b, history = pipeline.fit(X, y, **kwargs)
    d = X.shape[1]
    assert np.shape(w) == (d,), (
        f"fit(X of shape {X.shape}, y of shape {np.shape(y)}) returned weights of shape "
        f"{np.shape(w)}; it promises one weight per feature, shape ({d},)"
    )
    assert np.ndim(b) == 0, f"fit returned a bias of shape {np.shape(b)}; it is a single number"
    return np.asarray(w), float(b), np.asarray(history)


# --- the target's shape --------------------------------------------------------------------


def test_flat_and_column_targets_give_the_same_fit(pipeline):
    X, y, _, _ = linear_problem(40, 3, seed=1, noise=0.5)
    w_flat, b_flat, history_flat = fitted(pipeline, X, y, lr=0.05, epochs=200)
    w_col, b_col, history_col = fitted(pipeline, X, y.reshape(-1, 1), lr=0.05, epochs=200)
    np.testing.assert_allclose(
        w_flat, w_col, rtol=1e-9, atol=1e-9,
        err_msg="fit(X, y) with y of shape (40,) learned different weights from fit(X, y) with "
        "the same 40 prices as a (40, 1) column; fit documents both shapes, so the model "
        "must not depend on which one it was handed",
    )  # fmt: skip
    assert b_flat == pytest.approx(b_col, rel=1e-9, abs=1e-9), (
        f"the bias is {b_flat:.4f} with a (40,) target but {b_col:.4f} with the same target "
        "as a (40, 1) column"
    )
    np.testing.assert_allclose(
        history_flat, history_col, rtol=1e-9,
        err_msg="loss_history differs between a (40,) target and the same target as a (40, 1) "
        "column: the two runs did not minimise the same loss",
    )  # fmt: skip


def test_fit_recovers_the_generating_weights(pipeline):
    X, y, w_true, b_true = linear_problem(60, 3, seed=2, noise=0.01)
    w, b, _ = fitted(pipeline, X, y, lr=0.05, epochs=2000)
    np.testing.assert_allclose(
        w, w_true, atol=0.02,
        err_msg=f"fit(X of shape (60, 3), y of shape (60,)) on data generated as "
        f"X @ {np.round(w_true, 3)} + {b_true} (plus tiny noise) did not recover those weights",
    )  # fmt: skip
    assert b == pytest.approx(b_true, abs=0.02), (
        f"fit recovered a bias of {b:.4f}; the data was generated with {b_true}"
    )


def test_loss_history_equals_the_mse_of_the_returned_model(pipeline):
    X, y, _, _ = linear_problem(30, 2, seed=3, noise=1.0)
    w, b, history = fitted(pipeline, X, y, lr=0.05, epochs=300)
    predictions = pipeline.predict(X, w, b)
    assert np.shape(predictions) == (30,), (
        f"predict(X of shape (30, 2), w, b) returned shape {np.shape(predictions)}; one price per row"
    )
    own_mse = float(np.mean((predictions - y) ** 2))
    assert abs(float(history[-1]) - own_mse) <= 1e-12 * own_mse, (
        f"fit(X, y of shape (30,)) reports a final training loss of {float(history[-1]):.12g}, but the "
        f"mean squared error of the model it returned, on the same rows, is {own_mse:.12g}: the "
        "loss being minimised is not the error of the model's predictions"
    )


def test_first_step_follows_the_finite_difference_gradient(pipeline):
    X, y, _, _ = linear_problem(25, 3, seed=4, noise=0.3)
    lr = 0.01
    w1, b1, _ = fitted(pipeline, X, y, lr=lr, epochs=1)
    grad_w, grad_b = numerical_gradient(pipeline, X, y.reshape(-1, 1), np.zeros((3, 1)), 0.0)
    np.testing.assert_allclose(
        w1, -lr * grad_w[:, 0], rtol=1e-5, atol=1e-8,
        err_msg="one step of fit(X, y of shape (25,), lr=0.01) from zero did not move the "
        "weights by -lr times the finite-difference gradient of the mean squared error: "
        "training does not descend the loss of these 25 prices",
    )  # fmt: skip
    assert b1 == pytest.approx(-lr * grad_b, rel=1e-5), (
        f"one step of fit moved the bias to {b1:.6f}; -lr times the finite-difference "
        f"gradient of the mean squared error gives {-lr * grad_b:.6f}"
    )


@pytest.mark.edge
def test_fit_interpolates_when_there_are_as_many_rows_as_features(pipeline):
    # n == d: an orthogonal design, so gradient descent converges fast and exactly.
    n = 4
    Q, _ = np.linalg.qr(np.random.default_rng(5).normal(size=(n, n)))
    X = 2.0 * Q + 1.0
    y = np.array([310.0, 95.0, 180.0, 240.0])
    w, b, _ = fitted(pipeline, X, y, lr=0.02, epochs=3000)
    predictions = pipeline.predict(X, w, b)
    np.testing.assert_allclose(
        predictions, y, atol=1e-4,
        err_msg="with as many houses as features (n == d == 4) a linear model can fit every "
        "price exactly, but the fitted model's predictions on its own training rows miss them",
    )  # fmt: skip


@pytest.mark.edge
def test_fit_on_a_single_row_predicts_that_row(pipeline):
    X = np.array([[1.2, -0.4, 0.7]])
    for y in (np.array([3.0]), np.array([[3.0]])):
        w, b, _ = fitted(pipeline, X, y)
        prediction = pipeline.predict(X, w, b)
        assert np.shape(prediction) == (1,), (
            f"predict on one row returned shape {np.shape(prediction)}; expected (1,)"
        )
        assert prediction[0] == pytest.approx(3.0, abs=1e-6), (
            f"fit on a single house priced 3.0 (target of shape {y.shape}) predicts "
            f"{prediction[0]:.6f} for that same house"
        )


@pytest.mark.parametrize(
    "bad_y",
    [np.ones(11), np.ones(1), np.ones((10, 2))],
    ids=["eleven_prices_for_ten_rows", "one_price_for_ten_rows", "two_columns"],
)
def test_fit_rejects_a_target_without_one_value_per_row(pipeline, bad_y):
    X = np.random.default_rng(6).normal(size=(10, 3))
    with pytest.raises(ValueError):
        pipeline.fit(X, bad_y, epochs=5)
        pytest.fail(
            f"fit(X of shape (10, 3), y of shape {bad_y.shape}) trained without complaint; a "
            "target that is not one price per row must be refused, not broadcast"
        )


@pytest.mark.edge
def test_fit_rejects_an_empty_training_set(pipeline):
    with pytest.raises(ValueError):
        pipeline.fit(np.empty((0, 3)), np.empty(0), epochs=5)
        pytest.fail("fit on 0 rows returned a model; with no data there is nothing to fit")


# --- the loss and its gradient -------------------------------------------------------------

SHAPES = pytest.mark.parametrize(
    "n, d", [(30, 4), (4, 4), (1, 3)], ids=["n_gt_d", "n_eq_d", "n_eq_1"]
)


@SHAPES
def test_gradient_matches_finite_differences(pipeline, n, d):
    X, y, w, b = random_point(n, d, seed=10 * n + d)
    grad_w, grad_b = pipeline.gradients(X, y, w, b)
    assert np.shape(grad_w) == (d, 1), (
        f"gradients(X {X.shape}, y {y.shape}, w {w.shape}, b) returned grad_w of shape "
        f"{np.shape(grad_w)}; it must have the shape of w"
    )
    expected_w, expected_b = numerical_gradient(pipeline, X, y, w, b)
    np.testing.assert_allclose(
        grad_w, expected_w, rtol=1e-5, atol=1e-7,
        err_msg=f"gradients(X of shape {X.shape}, ...) disagrees with central finite "
        "differences of mse_loss at a random point",
    )  # fmt: skip
    assert float(grad_b) == pytest.approx(expected_b, rel=1e-5, abs=1e-7), (
        f"gradients returned grad_b = {float(grad_b):.6f}; finite differences of mse_loss in b "
        f"give {expected_b:.6f}"
    )


def test_mse_loss_matches_the_definition(pipeline):
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    w = np.array([[2.0], [-1.0]])
    y = np.array([[1.0], [0.0], [3.0]])
    # predictions 2.5, -0.5, 1.5: errors 1.5, -0.5, -1.5
    assert pipeline.mse_loss(X, y, w, 0.5) == pytest.approx(4.75 / 3), (
        "mse_loss on three hand-checked rows does not give the mean of the squared errors, 4.75/3"
    )


def test_loss_decreases_monotonically(pipeline):
    X, y, _, _ = linear_problem(50, 3, seed=7, noise=2.0)
    _, _, history = fitted(pipeline, X, y, lr=0.05, epochs=150)
    assert np.shape(history) == (150,), f"loss_history has shape {np.shape(history)}, not (150,)"
    rises = np.flatnonzero(np.diff(history) > 1e-9 * history[:-1])
    assert rises.size == 0, (
        f"fit(X, y, lr=0.05, epochs=150) on a small least-squares problem: the loss went UP at "
        f"{rises.size} of 149 steps; gradient descent with this step size can only go down"
    )
    assert history[-1] < 0.5 * history[0], (
        f"the loss only went from {history[0]:.3f} to {history[-1]:.3f} in 150 steps"
    )


# --- the pipeline --------------------------------------------------------------------------


def test_pipeline_recovers_the_price_of_each_feature(pipeline_run):
    _, result = pipeline_run()
    w = np.asarray(result["weights"])
    assert w.shape == (4,), f"run_pipeline returned weights of shape {w.shape}, not (4,)"
    per_unit = w / result["scale"]
    np.testing.assert_allclose(
        per_unit, PRICE_PER_UNIT, rtol=0.15,
        err_msg=f"run_pipeline's weights, converted back to price per m2 / bedroom / year / km, "
        f"are {np.round(per_unit, 3)}; the houses were priced with {PRICE_PER_UNIT}",
    )  # fmt: skip


def test_held_out_rmse_is_near_the_noise_level(pipeline_run):
    houses, result = pipeline_run()
    spread = float(houses["price_k"].std())
    assert 0.7 * NOISE_SD < result["test_rmse"] < 1.3 * NOISE_SD, (
        f"run_pipeline reports a held-out RMSE of {result['test_rmse']:.1f}k; prices vary by "
        f"{spread:.1f}k and the noise the model cannot explain is {NOISE_SD:.0f}k: the model "
        "explains far less of the price than a linear model of these features can"
    )


def test_reported_test_rmse_matches_its_predictions(pipeline, pipeline_run):
    houses, result = pipeline_run()
    _, test_idx = pipeline.train_test_split(len(houses), TEST_SIZE, SEED)
    predictions = np.asarray(result["test_predictions"])
    assert predictions.shape == (len(test_idx),), (
        f"test_predictions has shape {predictions.shape}; one price per held-out house, "
        f"({len(test_idx)},)"
    )
    y_test = houses["price_k"].to_numpy()[test_idx]
    recomputed = float(np.sqrt(np.mean((predictions - y_test) ** 2)))
    assert result["test_rmse"] == pytest.approx(recomputed, rel=1e-9), (
        f"test_rmse is {result['test_rmse']:.4f} but the RMSE of test_predictions against the "
        f"held-out prices is {recomputed:.4f}"
    )


def test_train_rmse_is_the_root_of_the_final_training_loss(pipeline_run):
    _, result = pipeline_run()
    root = float(np.sqrt(result["loss_history"][-1]))
    assert result["train_rmse"] == pytest.approx(root, rel=1e-6), (
        f"train_rmse is {result['train_rmse']:.4f} but the final training loss is "
        f"{result['loss_history'][-1]:.4f} (root {root:.4f}): the reported training error is "
        "not the error of the trained model on its training rows"
    )


@pytest.mark.edge
def test_predict_on_one_house_returns_one_price(pipeline, pipeline_run):
    houses, result = pipeline_run()
    _, test_idx = pipeline.train_test_split(len(houses), TEST_SIZE, SEED)
    row = houses[pipeline.FEATURES].to_numpy(dtype=float)[test_idx[:1]]
    one = pipeline.predict(
        pipeline.standardise(row, result["mean"], result["scale"]),
        result["weights"],
        result["bias"],
    )
    assert np.shape(one) == (1,), f"predict on one house returned shape {np.shape(one)}, not (1,)"
    assert one[0] == pytest.approx(result["test_predictions"][0], rel=1e-9), (
        f"predict on the first held-out house alone gives {one[0]:.3f}k, but run_pipeline "
        f"predicted {result['test_predictions'][0]:.3f}k for it among the others"
    )


def test_split_partitions_rows_in_the_requested_proportion(pipeline):
    train_idx, test_idx = pipeline.train_test_split(200, 0.25, seed=3)
    assert len(test_idx) == 50 and len(train_idx) == 150, (
        f"train_test_split(200, 0.25) gave {len(train_idx)} training and {len(test_idx)} test "
        "rows; expected 150 and 50"
    )
    _, default_test_idx = pipeline.train_test_split(200)
    assert len(default_test_idx) == 50, (
        f"train_test_split(200) held out {len(default_test_idx)} rows; by default it holds out a "
        "quarter, 50"
    )
    together = np.sort(np.concatenate([train_idx, test_idx]))
    assert np.array_equal(together, np.arange(200)), (
        "train and test indices together are not each row exactly once: rows are lost or shared"
    )


def test_standardiser_gives_mean_0_and_std_1(pipeline):
    # Living area, bedrooms, a narrow column, and a plot number in the ten millions.
    X = np.random.default_rng(8).normal(
        [120.0, 3.0, 40.0, 1e7], [35.0, 1.4, 0.5, 3.0], size=(300, 4)
    )
    mean, scale = pipeline.fit_standardiser(X)
    Z = pipeline.standardise(X, mean, scale)
    np.testing.assert_allclose(
        Z.mean(axis=0), 0.0, atol=1e-7, err_msg="standardised columns do not have mean 0"
    )
    np.testing.assert_allclose(
        Z.std(axis=0), 1.0, rtol=1e-10, err_msg="standardised columns do not have std 1"
    )


@pytest.mark.edge
def test_standardiser_keeps_a_constant_column_finite(pipeline):
    X = np.column_stack([np.full(20, 3.0), np.arange(20.0)])
    with np.errstate(divide="raise", invalid="raise", over="raise"):
        Z = pipeline.standardise(X, *pipeline.fit_standardiser(X))
    np.testing.assert_allclose(
        Z[:, 0], 0.0, err_msg="a constant column (every house has 3 bedrooms) should become zeros"
    )


def test_rmse_matches_the_definition(pipeline):
    got = pipeline.rmse(np.array([1.0, 2.0, 3.0]), np.array([1.0, 4.0, 2.0]))
    assert got == pytest.approx(np.sqrt(5.0 / 3.0)), (
        f"rmse([1, 2, 3], [1, 4, 2]) = {got}; the root of the mean squared error is sqrt(5/3)"
    )


def test_make_houses_is_seeded_and_complete(pipeline):
    a, b = pipeline.make_houses(50, seed=1), pipeline.make_houses(50, seed=1)
    assert list(a.columns) == [*pipeline.FEATURES, pipeline.TARGET]
    assert len(a) == 50 and not a.isna().any().any()
    assert a.equals(b), "make_houses(50, seed=1) gave different tables on two calls"
    assert set(a["bedrooms"].unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}


def test_make_houses_follows_its_generating_formula(pipeline):
    houses = pipeline.make_houses(100_000, seed=2)
    X = houses[pipeline.FEATURES].to_numpy()
    noise = houses["price_k"].to_numpy() - 50.0 - X @ PRICE_PER_UNIT
    assert abs(noise.mean()) < 0.3 and abs(noise.std() - NOISE_SD) < 0.3, (
        f"make_houses prices minus the formula leave noise of mean {noise.mean():.2f} and sd "
        f"{noise.std():.2f}; expected mean 0 and sd {NOISE_SD}"
    )
    corr = [abs(np.corrcoef(noise, column)[0, 1]) for column in X.T]
    assert max(corr) < 0.02, f"the noise is correlated with the features: |corr| = {corr}"
    # area ~ N(120, 35), bedrooms 1..5, age ~ U(0, 80), distance ~ Gamma(2, 4): mean 8, sd 5.66
    np.testing.assert_allclose(
        [X[:, 0].mean(), X[:, 0].std(), X[:, 3].mean(), X[:, 3].std()],
        [120.0, 35.0, 8.0, np.sqrt(32.0)],
        atol=0.4,
        err_msg="the area or distance columns do not follow their documented distributions",
    )
    assert set(np.unique(X[:, 1])) == {1.0, 2.0, 3.0, 4.0, 5.0}, "bedrooms are not 1 to 5"
    assert 0.0 <= X[:, 2].min() < 0.1 and 79.9 < X[:, 2].max() <= 80.0, "ages are not 0 to 80"


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(400, TEST_SIZE, seed), 400, 100)
    default = pipeline.train_test_split(400)
    explicit = pipeline.train_test_split(400, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(400) differs from train_test_split(400, 0.25, 0), its documented defaults"
    )


def test_reported_figures_come_from_the_returned_model(pipeline):
    houses = pipeline.make_houses(n_rows=200, seed=3)
    result = pipeline.run_pipeline(houses, 0.3, 4, lr=0.05, epochs=200)
    X = houses[pipeline.FEATURES].to_numpy(dtype=float)
    y = houses[pipeline.TARGET].to_numpy(dtype=float)
    train_idx, test_idx = pipeline.train_test_split(len(houses), 0.3, 4)
    mean, scale = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    w, b = np.asarray(result["weights"]), result["bias"]
    predictions = (X[test_idx] - mean) / scale @ w + b
    assert_figures(
        result,
        {
            "mean": mean,
            "scale": scale,
            "test_predictions": predictions,
            "test_rmse": rmse(y[test_idx], predictions),
            "train_rmse": rmse(y[train_idx], (X[train_idx] - mean) / scale @ w + b),
        },
        "run_pipeline(200 houses, test_size=0.3, seed=4, lr=0.05, epochs=200)",
        rtol=1e-9,
    )
    refit = pipeline.fit((X[train_idx] - mean) / scale, y[train_idx], 0.05, 200)
    assert_unchanged(refit, (w, b, result["loss_history"]), "the returned weights, bias and history",
                     "they are not fit's on the standardised training rows with lr=0.05, epochs=200")  # fmt: skip


def test_seed_is_honoured(pipeline):
    houses = pipeline.make_houses(n_rows=120, seed=5)
    assert_reproducible(lambda seed: pipeline.run_pipeline(houses, 0.25, seed, epochs=50)["test_rmse"],
                        "run_pipeline(houses, seed=...)['test_rmse']")  # fmt: skip


def test_nothing_fitted_depends_on_the_held_out_houses(pipeline):
    houses = pipeline.make_houses(n_rows=200, seed=6)
    _, test_idx = pipeline.train_test_split(200, TEST_SIZE, SEED)
    before = pipeline.run_pipeline(houses, epochs=100)
    after = pipeline.run_pipeline(perturb_rows(houses, houses.index[test_idx]), epochs=100)
    for name in ("mean", "scale", "weights", "bias", "loss_history", "train_rmse"):
        assert_unchanged(before[name], after[name], name,
                         "it moved when only the held-out houses changed")  # fmt: skip


def test_run_pipeline_leaves_the_callers_table_alone(pipeline):
    houses = pipeline.make_houses(n_rows=80, seed=7)
    assert_inputs_untouched(lambda df: pipeline.run_pipeline(df, epochs=20), houses,
                            what="run_pipeline(houses)")  # fmt: skip
