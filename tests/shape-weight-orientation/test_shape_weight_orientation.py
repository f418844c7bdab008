"""The traffic classifier's weights are stored one row per class, W of shape (k, d).

Each test builds or fits weights in that documented layout and checks what a linear layer must
do with them, for as many features as classes (the flows: 4 and 4) and for other shapes.
"""

import numpy as np
import pytest
from katakit import assert_close, assert_decreasing, assert_gradient_matches, assert_unchanged

SEED = 0
SHAPES = [(4, 4), (6, 3), (2, 5)]  # (n_features, n_classes)


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


@pytest.mark.parametrize("d, k", SHAPES, ids=lambda v: str(v))
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


@pytest.mark.parametrize("d, k", SHAPES, ids=lambda v: str(v))
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


def test_split_holds_every_flow_once(pipeline):
    train_idx, test_idx = pipeline.train_test_split(400, 0.25, SEED)
    assert len(test_idx) == 100
    assert np.array_equal(np.sort(np.concatenate([train_idx, test_idx])), np.arange(400))
