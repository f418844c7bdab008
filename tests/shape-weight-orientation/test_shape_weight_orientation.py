"""The traffic classifier's weights are stored one row per class, W of shape (k, d).

Each test builds or fits weights in that documented layout and checks what a linear layer must
do with them, for as many features as classes (the flows: 4 and 4) and for other shapes.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_gradient_matches,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    numerical_gradient,
)

SEED = 0
SHAPES = [(4, 4), (6, 3), (2, 5)]  # (n_features, n_classes)
SHAPE_IDS = ["like_the_flows", "more_features", "more_classes"]


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def flows(pipeline):
    return pipeline.make_flows(n_rows=400, seed=SEED)


@pytest.fixture(scope="module")
def flows_run(pipeline, flows):
    """``flows_run()`` is run_pipeline on the flows, computed once, inside the first test that asks."""
    cache = {}

    def get():
        if not cache:
            cache["run"] = pipeline.run_pipeline(*flows, seed=SEED)
        return cache["run"]

    return get


def blobs(n, d, k, seed):
    """Standardised features with one Gaussian cluster per class: (X (n, d), y (n,))."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    X = 3.0 * rng.normal(size=(k, d))[y] + rng.normal(size=(n, d))
    return (X - X.mean(axis=0)) / X.std(axis=0), y


@pytest.mark.parametrize("d, k", SHAPES, ids=SHAPE_IDS)
def test_each_class_is_scored_by_its_own_row_of_weights(pipeline, d, k):
    rng = np.random.default_rng(1)
    X, W, b = rng.normal(size=(3, d)), rng.normal(size=(k, d)), rng.normal(size=k)
    scores = pipeline.class_scores(X, W, b)
    expected = np.array([[X[i] @ W[j] + b[j] for j in range(k)] for i in range(3)])
    assert_close(
        scores, expected, f"class_scores(X of shape (3, {d}), W of shape ({k}, {d}), b)",
        f"the score of class j must be X[i] @ W[j] + b[j], with W[j] the weights of class j "
        f"({d} features, {k} classes)", rtol=1e-9,
    )  # fmt: skip


@pytest.mark.parametrize("d, k", SHAPES, ids=SHAPE_IDS)
def test_gradient_matches_finite_differences(pipeline, d, k):
    X, y = blobs(12, d, k, seed=2)
    Y = np.eye(k)[y]
    rng = np.random.default_rng(3)
    W, b = rng.normal(size=(k, d)), rng.normal(size=k)
    grad_W, _ = pipeline.gradients(X, Y, W, b)
    assert_gradient_matches(
        lambda V: pipeline.loss(X, Y, V, b), grad_W, W,
        f"gradients(...)[0] for {d} features and {k} classes",
    )  # fmt: skip


def test_training_loss_goes_down_on_the_flows(flows_run):
    history = flows_run()["loss_history"]
    assert_decreasing(
        history, "run_pipeline(...)['loss_history']",
        "gradient descent with a small step on a convex loss (softmax regression) must never "
        "increase the training loss", slack=1e-12,
    )  # fmt: skip


def test_flows_are_classified_on_held_out_rows(flows_run):
    result = flows_run()
    assert result["test_accuracy"] >= 0.9, (
        f"run_pipeline's held-out accuracy is {result['test_accuracy']:.3f} (training "
        f"{result['train_accuracy']:.3f}); the four traffic types form well-separated clusters, "
        "so a linear classifier gets nearly all of them, and chance is 0.25"
    )


def test_reordering_the_features_reorders_the_weights(pipeline, flows):
    X, y = flows
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    order = np.array([2, 0, 3, 1])
    W, b, _ = pipeline.fit(X, y, n_classes=4, epochs=50)
    W_reordered, b_reordered, _ = pipeline.fit(X[:, order], y, n_classes=4, epochs=50)
    assert_unchanged(
        W[:, order], W_reordered, "the weights fitted after reordering the 4 feature columns",
        "listing the same features in another order must give each class the same weight per "
        "feature, listed in the new order", rtol=1e-7, atol=1e-9,
    )  # fmt: skip
    assert_unchanged(b, b_reordered, "the fitted bias", "reordering the features moved the bias")


def test_a_model_with_more_features_than_classes_learns(pipeline):
    X, y = blobs(120, 6, 3, seed=4)
    W, b, _ = pipeline.fit(X, y, n_classes=3)
    assert W.shape == (3, 6), f"fit on 6 features and 3 classes returned W of shape {W.shape}"
    accuracy = np.mean(pipeline.predict(X, W, b) == y)
    assert accuracy >= 0.95, f"training accuracy on 3 separated clusters is {accuracy:.3f}"


def test_fit_returns_one_row_of_weights_per_class(pipeline, flows):
    X, y = flows
    W, b, history = pipeline.fit(X[:50], y[:50], n_classes=4, epochs=3)
    assert (W.shape, np.shape(b), np.shape(history)) == ((4, 4), (4,), (3,)), (
        f"fit returned W {W.shape}, b {np.shape(b)}, history {np.shape(history)}; "
        "expected (4, 4), (4,), (3,)"
    )


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(400, 0.25, seed), 400, 100)
    default = pipeline.train_test_split(400)
    explicit = pipeline.train_test_split(400, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(400) differs from train_test_split(400, 0.25, 0), its documented defaults"
    )


def textbook_loss(X, Y, W, b):
    logits = X @ W.T + b
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return float(-np.mean(np.sum(Y * log_probs, axis=1)))


def test_loss_and_softmax_are_the_textbook_ones(pipeline):
    X, y = blobs(15, 3, 4, seed=5)
    Y = np.eye(4)[y]
    rng = np.random.default_rng(6)
    W, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    assert_close(pipeline.loss(X, Y, W, b), textbook_loss(X, Y, W, b), "loss(X, Y, W, b)",
                 "the mean cross-entropy of the model with W[j] the weights of class j",
                 rtol=1e-10)  # fmt: skip
    confident = call_strict(pipeline.loss, X, Y, 400.0 * W, b, what="loss(X, Y, 400 W, b)")
    assert_close(confident, textbook_loss(X, Y, 400.0 * W, b), "loss(X, Y, 400 W, b)",
                 "the cross-entropy of a very confident model is large but finite", rtol=1e-10)  # fmt: skip
    logits = np.array([[1000.0, 0.0, -1000.0, 5.0], [1.0, 2.0, 3.0, 4.0]])
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert_close(pipeline.softmax(logits), exps / exps.sum(axis=1, keepdims=True),
                 "softmax(two rows of logits)", rtol=1e-12, atol=1e-300)  # fmt: skip


def test_bias_gradient_matches_finite_differences(pipeline):
    X, y = blobs(20, 3, 4, seed=7)
    y[:12] = 0  # one class far more common: the bias has work to do
    Y = np.eye(4)[y]
    W, b = np.random.default_rng(8).normal(size=(4, 3)), np.zeros(4)
    _, grad_b = pipeline.gradients(X, Y, W, b)
    assert_gradient_matches(lambda c: pipeline.loss(X, Y, W, c), grad_b, b,
                            "gradients(...)[1], the bias gradient")  # fmt: skip


def test_three_steps_of_fit_are_three_gradient_steps(pipeline):
    X, y = blobs(20, 3, 4, seed=9)
    y[:12] = 0
    Y = np.eye(4)[y]
    W, b = np.zeros((4, 3)), np.zeros(4)
    losses = []
    for _ in range(3):
        grad = numerical_gradient(lambda p: textbook_loss(X, Y, p[:12].reshape(4, 3), p[12:]),
                                  np.append(W.ravel(), b))  # fmt: skip
        W, b = W - 0.5 * grad[:12].reshape(4, 3), b - 0.5 * grad[12:]
        losses.append(textbook_loss(X, Y, W, b))
    fitted_W, fitted_b, history = pipeline.fit(X, y, 4, lr=0.5, epochs=3)
    assert_close(np.append(np.ravel(fitted_W), fitted_b), np.append(W.ravel(), b),
                 "fit(X, y, 4, lr=0.5, epochs=3) -> (W, b)",
                 "three steps of gradient descent on the mean cross-entropy end elsewhere",
                 rtol=1e-6, atol=1e-8)  # fmt: skip
    assert_close(history, losses, "fit(...)'s loss history",
                 "history[i] should be the training loss after step i + 1", rtol=1e-6)  # fmt: skip
    assert_unchanged(pipeline.fit(X, y, 4), pipeline.fit(X, y, 4, lr=0.5, epochs=300),
                     "fit(X, y, 4)", "the defaults are not lr=0.5, epochs=300")  # fmt: skip


def test_standardise_uses_the_training_rows_statistics(pipeline, flows):
    X, _ = flows
    X_train, X_other = X[:300], X[300:]
    Z_train, Z_other = pipeline.standardise(X_train, X_other)
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    assert_close(Z_train, (X_train - mean) / scale, "standardise(...)[0]", rtol=1e-12)
    assert_close(Z_other, (X_other - mean) / scale, "standardise(...)[1]",
                 "the other rows are scaled by the training rows' means and deviations",
                 rtol=1e-12)  # fmt: skip


def test_standardise_copes_with_an_offset_column(pipeline):
    rng = np.random.default_rng(12)
    X = np.column_stack([rng.normal(0, 1, 200), 1e7 + rng.normal(0, 3.0, 200)])
    Z, _ = pipeline.standardise(X, X[:5])
    assert_close(Z.std(axis=0), np.ones(2), "the spread of standardise(a column near 1e7)",
                 "standardised columns have spread 1 wherever their values sit", rtol=1e-6)  # fmt: skip


def test_reported_figures_come_from_the_returned_model(pipeline):
    X, y = blobs(200, 3, 4, seed=10)
    X = X * [2.0, 5.0, 0.5] + [10.0, -3.0, 100.0]
    result = pipeline.run_pipeline(X, y, 0.3, 4)
    train_idx, test_idx = pipeline.train_test_split(200, 0.3, 4)
    mean, scale = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    W, b = np.asarray(result["weights"]), np.asarray(result["bias"])

    def predicted(rows):
        return ((X[rows] - mean) / scale @ W.T + b).argmax(axis=1)

    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[train_idx], predicted(train_idx)),
            "test_accuracy": accuracy(y[test_idx], predicted(test_idx)),
        },
        "run_pipeline(200 flows of 3 features, test_size=0.3, seed=4)",
    )
    refit = pipeline.fit((X[train_idx] - mean) / scale, y[train_idx], 4)
    assert_unchanged(refit, (W, b, result["loss_history"]), "the returned weights, bias and history",
                     "they are not fit's on the standardised training rows")  # fmt: skip


def test_defaults_seed_and_held_out_rows(pipeline):
    X, y = blobs(160, 3, 4, seed=11)
    assert_unchanged(pipeline.run_pipeline(X, y), pipeline.run_pipeline(X, y, 0.25, 0),
                     "run_pipeline(X, y)", "the defaults are not test_size=0.25, seed=0")  # fmt: skip
    assert_reproducible(lambda seed: pipeline.run_pipeline(X, y, 0.25, seed)["weights"],
                        "run_pipeline(flows, seed=...)['weights']")  # fmt: skip
    _, test_idx = pipeline.train_test_split(160, 0.25, 0)
    X_moved, y_moved = X.copy(), y.copy()
    X_moved[test_idx] = X_moved[test_idx] * 100.0 + 1000.0
    y_moved[test_idx] = (y_moved[test_idx] + 1) % 4
    before, after = pipeline.run_pipeline(X, y), pipeline.run_pipeline(X_moved, y_moved)
    for name in ("weights", "bias", "loss_history", "train_accuracy"):
        assert_unchanged(before[name], after[name], name,
                         "it moved when only the held-out flows changed")  # fmt: skip
    assert_inputs_untouched(pipeline.run_pipeline, X, y, what="run_pipeline(X, y)")
