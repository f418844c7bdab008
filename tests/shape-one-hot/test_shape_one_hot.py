"""Labels are codes, not positions: any sorted set of codes must encode, train and decode.

The review pipeline is used with star ratings 1..5, with a 0..4 scale, and with sparse category
codes. Each test checks what one-hot labels must be (one column per label, a single 1 per row,
a faithful round trip) or that the model does not care how its labels are spelled.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    call_strict,
    numerical_gradient,
)

SEED = 0
CODES = {
    "stars_1_to_5": [1, 2, 3, 4, 5],
    "scale_0_to_4": [0, 1, 2, 3, 4],
    "category_codes": [2, 3, 5, 7, 9],
}


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def reviews(pipeline):
    return pipeline.make_reviews(n_rows=400, seed=SEED)


@pytest.fixture(scope="module")
def stars_run(pipeline, reviews):
    """``stars_run()`` is run_pipeline on the star ratings, computed once, inside a test."""
    cache = {}

    def get():
        if not cache:
            cache["run"] = pipeline.run_pipeline(*reviews, seed=SEED)
        return cache["run"]

    return get


def recoded(ratings, codes):
    """The same reviews with rating r spelled as codes[r - 1]."""
    return np.asarray(codes)[ratings - 1]


@pytest.mark.parametrize("codes", CODES.values(), ids=CODES.keys())
def test_one_column_per_label(pipeline, codes):
    y = np.array(codes * 3)
    Y = pipeline.OneHotLabels().fit(y).transform(y)
    assert Y.shape == (15, 5), (
        f"OneHotLabels().fit(y).transform(y) for labels {codes} gave shape {Y.shape}; "
        "5 distinct labels need exactly 5 columns, one per label"
    )


@pytest.mark.parametrize("codes", CODES.values(), ids=CODES.keys())
def test_every_row_holds_a_single_one(pipeline, codes):
    y = np.array(codes[::-1] * 2)
    Y = pipeline.OneHotLabels().fit(y).transform(y)
    assert_close(Y.sum(axis=1), np.ones(len(y)), f"the row sums of the one-hot rows of {codes}")
    assert set(np.unique(Y)) <= {0.0, 1.0}, f"one-hot rows hold values {np.unique(Y)}"


@pytest.mark.parametrize("codes", CODES.values(), ids=CODES.keys())
def test_labels_survive_a_round_trip(pipeline, codes):
    y = np.array(codes * 2)
    labels = pipeline.OneHotLabels().fit(y)
    back = labels.inverse_transform(labels.transform(y).argmax(axis=1))
    assert np.array_equal(back, y), (
        f"encoding the labels {y.tolist()} and decoding the position of each row's 1 gave "
        f"{np.asarray(back).tolist()}: two labels share a column, or a column decodes to "
        "another label"
    )


def test_star_ratings_are_predicted_well(stars_run):
    result = stars_run()
    assert result["test_accuracy"] >= 0.85, (
        f"held-out accuracy on star ratings is {result['test_accuracy']:.3f}; the review "
        "features separate the five ratings well"
    )


@pytest.mark.parametrize("codes", list(CODES.values())[1:], ids=list(CODES)[1:])
def test_spelling_the_labels_differently_changes_nothing(pipeline, reviews, stars_run, codes):
    X, ratings = reviews
    stars = stars_run()
    other = pipeline.run_pipeline(X, recoded(ratings, codes), seed=SEED)
    expected = recoded(np.asarray(stars["test_predictions"]), codes)
    agree = np.mean(np.asarray(other["test_predictions"]) == expected)
    assert agree == 1.0, (
        f"the same 400 reviews with ratings 1..5 spelled as {codes}: held-out accuracy is "
        f"{other['test_accuracy']:.3f} (with 1..5: {stars['test_accuracy']:.3f}) and only "
        f"{agree:.0%} of the held-out predictions are the same rating; renaming the labels "
        "must not change what the model learns"
    )


@pytest.mark.edge
def test_a_rating_nobody_gave_gets_no_column(pipeline, reviews):
    X, ratings = reviews
    keep = ratings != 3  # nobody gave three stars
    result = pipeline.run_pipeline(X[keep], ratings[keep], seed=SEED)
    probabilities = np.asarray(result["test_probabilities"])
    assert probabilities.shape[1] == 4, (
        f"with ratings 1, 2, 4 and 5 only, run_pipeline returned {probabilities.shape[1]} "
        "probability columns; the model can only learn the 4 labels it saw, one column each"
    )
    assert set(np.unique(result["test_predictions"])) <= {1, 2, 4, 5}


@pytest.mark.parametrize("codes", CODES.values(), ids=CODES.keys())
def test_a_batch_with_some_of_the_labels_keeps_their_columns(pipeline, codes):
    labels = pipeline.OneHotLabels().fit(np.array(codes * 2))
    batch = np.array([codes[4], codes[2], codes[4]])
    Y = labels.transform(batch)
    assert np.shape(Y) == (3, 5), (
        f"transform({batch.tolist()}) after fitting on {codes} gave shape {np.shape(Y)}; every "
        "batch is encoded with one column for each of the 5 fitted labels"
    )
    back = labels.inverse_transform(np.asarray(Y).argmax(axis=1))
    assert np.array_equal(back, batch), (
        f"transform({batch.tolist()}) after fitting on {codes} decodes as "
        f"{np.asarray(back).tolist()}: a batch that holds only some of the labels is encoded "
        "in other columns than the full set"
    )
    assert np.array_equal(labels.classes_, codes), (
        f"classes_ is {np.asarray(labels.classes_).tolist()} after fitting on {codes} in any order"
    )


def test_split_is_seeded_shuffled_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(400, 0.25, seed), 400, 100)
    default = pipeline.train_test_split(400)
    explicit = pipeline.train_test_split(400, 0.25, 0)
    assert all(np.array_equal(a, b) for a, b in zip(default, explicit, strict=True)), (
        "train_test_split(400) differs from train_test_split(400, 0.25, 0), its documented defaults"
    )


def cross_entropy(X, Y, W, b):
    logits = X @ W + b
    top = logits.max(axis=1, keepdims=True)
    log_probs = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
    return float(-np.mean(np.sum(Y * log_probs, axis=1)))


def small_problem():
    """30 rows, 4 features, 3 classes of 18, 9 and 3 rows (the bias has work to do)."""
    X = np.random.default_rng(7).normal(size=(30, 4))
    Y = np.eye(3)[[0] * 18 + [1] * 9 + [2] * 3]
    return X, Y


def test_one_training_step_follows_the_gradient_of_the_cross_entropy(pipeline):
    X, Y = small_problem()
    W, b = pipeline.fit_softmax_regression(X, Y, lr=0.5, epochs=1)
    grad = numerical_gradient(
        lambda p: cross_entropy(X, Y, p[:12].reshape(4, 3), p[12:]), np.zeros(15)
    )
    assert_close(np.concatenate([np.ravel(W), np.ravel(b)]), -0.5 * grad,
                 "the weights and bias after one step of fit_softmax_regression(lr=0.5) from 0",
                 "a step of gradient descent on the mean cross-entropy gives other parameters",
                 rtol=1e-5, atol=1e-9)  # fmt: skip


def test_three_epochs_are_three_gradient_steps_in_double_precision(pipeline):
    X, Y = small_problem()
    W, b = np.zeros((4, 3)), np.zeros(3)
    for _ in range(3):
        logits = X @ W + b
        exps = np.exp(logits - logits.max(axis=1, keepdims=True))
        error = exps / exps.sum(axis=1, keepdims=True) - Y
        W, b = W - 0.5 * X.T @ error / len(X), b - 0.5 * error.mean(axis=0)
    fitted = pipeline.fit_softmax_regression(X, Y, lr=0.5, epochs=3)
    assert_close(np.concatenate([np.ravel(fitted[0]), np.ravel(fitted[1])]),
                 np.concatenate([W.ravel(), b]),
                 "the weights and bias after fit_softmax_regression(lr=0.5, epochs=3)",
                 "three steps of gradient descent on the mean cross-entropy, in double "
                 "precision, end elsewhere", rtol=1e-10, atol=1e-14)  # fmt: skip


def test_the_model_knows_only_the_labels_of_its_training_reviews(pipeline, reviews):
    X, y = reviews
    _, test_idx = pipeline.train_test_split(len(y), 0.25, SEED)
    y = y.copy()
    y[test_idx[:5]] = 6  # a sixth rating, given only by held-out reviewers
    result = pipeline.run_pipeline(X, y)
    assert np.asarray(result["classes"]).tolist() == [1, 2, 3, 4, 5], (
        f"with a rating of 6 only among the held-out reviews, the model's classes are "
        f"{np.asarray(result['classes']).tolist()}: it knows a label no training review has"
    )


def test_predictions_do_not_depend_on_where_a_feature_is_measured_from(pipeline, reviews):
    X, y = reviews
    shifted = X.copy()
    shifted[:, 2] += 1e7  # log length measured from another origin
    before = pipeline.run_pipeline(X, y)["test_probabilities"]
    after = pipeline.run_pipeline(shifted, y)["test_probabilities"]
    assert_close(after, before, "held-out probabilities after adding 1e7 to one feature",
                 "standardising removes any constant offset, so nothing should change",
                 rtol=1e-5, atol=1e-7)  # fmt: skip


def test_training_lowers_the_cross_entropy_every_epoch(pipeline):
    X, Y = small_problem()
    losses = [cross_entropy(X, Y, *pipeline.fit_softmax_regression(X, Y, epochs=e))
              for e in range(0, 40, 4)]  # fmt: skip
    assert_decreasing(losses, "the training cross-entropy after 0, 4, ..., 36 epochs",
                      "gradient descent should lower the loss it descends")  # fmt: skip
    assert_unchanged(pipeline.fit_softmax_regression(X, Y),
                     pipeline.fit_softmax_regression(X, Y, lr=0.5, epochs=300),
                     "fit_softmax_regression(X, Y)", "the defaults are not lr=0.5, epochs=300")  # fmt: skip


def test_softmax_is_the_normalised_exponential(pipeline):
    logits = np.array([[2.0, 1.0, 0.1], [-3.0, 0.0, 3.0], [1000.0, 0.0, -1000.0]])
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert_close(call_strict(pipeline.softmax, logits, what="softmax(logits up to 1000)"),
                 exps / exps.sum(axis=1, keepdims=True),
                 "softmax(three rows of logits)", "e^z / sum(e^z) row by row", rtol=1e-12,
                 atol=1e-300)  # fmt: skip


def test_reported_figures_come_from_the_model_of_the_training_reviews(pipeline, reviews):
    X, y = reviews
    result = pipeline.run_pipeline(X, y, 0.3, 4)
    train_idx, test_idx = pipeline.train_test_split(len(y), 0.3, 4)
    mean, scale = X[train_idx].mean(axis=0), X[train_idx].std(axis=0)
    classes = np.unique(y[train_idx])
    Y_train = (y[train_idx][:, None] == classes[None, :]).astype(float)
    W, b = pipeline.fit_softmax_regression((X[train_idx] - mean) / scale, Y_train)
    logits = (X[test_idx] - mean) / scale @ W + b
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = exps / exps.sum(axis=1, keepdims=True)
    predictions = classes[probs.argmax(axis=1)]
    assert_figures(
        result,
        {
            "classes": classes,
            "test_probabilities": probs,
            "test_predictions": predictions,
            "test_accuracy": accuracy(y[test_idx], predictions),
        },
        "run_pipeline(reviews, test_size=0.3, seed=4)",
        rtol=1e-9,
    )


def test_defaults_and_seed_are_honoured(pipeline, reviews, stars_run):
    X, y = reviews
    assert_unchanged(pipeline.run_pipeline(X, y), stars_run(), "run_pipeline(X, y)",
                     "the defaults are not test_size=0.25, seed=0")  # fmt: skip
    assert_reproducible(lambda seed: pipeline.run_pipeline(X, y, 0.25, seed)["test_probabilities"],
                        "run_pipeline(reviews, seed=...)['test_probabilities']")  # fmt: skip
    n_scored = len(pipeline.run_pipeline(X, y, 0.4, 0)["test_predictions"])
    assert n_scored == 160, (
        f"run_pipeline(400 reviews, test_size=0.4) scored {n_scored}; 40 % is 160"
    )


def test_a_held_out_review_is_scored_from_the_training_reviews_alone(pipeline, reviews):
    X, y = reviews
    _, test_idx = pipeline.train_test_split(len(y), 0.25, SEED)
    X_moved, y_moved = X.copy(), y.copy()
    X_moved[test_idx[1:]] = X_moved[test_idx[1:]] * 100.0 + 1000.0
    y_moved[test_idx[1:]] = 6 - y_moved[test_idx[1:]]
    before = pipeline.run_pipeline(X, y)["test_probabilities"][0]
    after = pipeline.run_pipeline(X_moved, y_moved)["test_probabilities"][0]
    assert_unchanged(before, after, "the first held-out review's probabilities",
                     "they moved when only the other held-out reviews changed")  # fmt: skip


def test_run_pipeline_leaves_the_callers_arrays_alone(pipeline, reviews):
    X, y = reviews
    assert_inputs_untouched(pipeline.run_pipeline, X.copy(), y.copy(), what="run_pipeline(X, y)")
