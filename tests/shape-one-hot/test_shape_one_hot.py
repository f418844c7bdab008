"""Labels are codes, not positions: any sorted set of codes must encode, train and decode.

The review pipeline is used with star ratings 1..5, with a 0..4 scale, and with sparse category
codes. Each test checks what one-hot labels must be (one column per label, a single 1 per row,
a faithful round trip) or that the model does not care how its labels are spelled.
"""

import numpy as np
import pytest
from katakit import assert_close

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
