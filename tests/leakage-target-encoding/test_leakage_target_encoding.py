"""Held-out click predictions must come from what the training impressions alone say.

A held-out impression stands in for tomorrow's: whether it is clicked is unknown when it is
scored, so neither its own label nor the labels of other held-out rows may move its score.
"""

import numpy as np
import pytest
from katakit import (
    assert_close,
    assert_finite,
    assert_partition,
    assert_unchanged,
    with_shuffled_index,
)

SEED = 0
TEST_SIZE = 0.25
LEAK = "the score of an impression depends on whether it was clicked, which is unknown when it is served"


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def clicks(pipeline):
    return with_shuffled_index(pipeline.make_clicks(n_rows=400, seed=SEED))


def held_out_labels(pipeline, df):
    _, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    return df.index[test_idx]


def flipped(pipeline, df, rows):
    """The same log with the click label of ``rows`` (index labels) flipped."""
    out = df.copy()
    out.loc[rows, pipeline.TARGET] = 1 - out.loc[rows, pipeline.TARGET]
    return out


def run(pipeline, df):
    return pipeline.run_pipeline(df, TEST_SIZE, SEED)


def test_held_out_score_ignores_its_own_label(pipeline, clicks):
    rows = held_out_labels(pipeline, clicks)
    before = run(pipeline, clicks)["test_scores"]
    after = run(pipeline, flipped(pipeline, clicks, rows[:1]))["test_scores"]
    assert_unchanged(
        before[0],
        after[0],
        what=f"the score of held-out impression {rows[0]} after flipping only its own click label",
        meaning=LEAK,
    )


def test_held_out_score_ignores_other_held_out_labels(pipeline, clicks):
    rows = held_out_labels(pipeline, clicks)
    before = run(pipeline, clicks)["test_scores"]
    after = run(pipeline, flipped(pipeline, clicks, rows[1:]))["test_scores"]
    assert_unchanged(
        before[0],
        after[0],
        what=f"the score of held-out impression {rows[0]} after flipping the labels of the "
        "*other* held-out impressions",
        meaning="one held-out score depends on the outcomes of the rest of the test set",
    )


def test_random_labels_score_near_chance(pipeline):
    # A designed experiment: clicks drawn by coin flip, independent of publisher and slot.
    scores = []
    for seed in range(3):
        df = with_shuffled_index(pipeline.make_clicks(n_rows=400, seed=seed), seed=seed)
        df[pipeline.TARGET] = np.random.default_rng(100 + seed).integers(0, 2, len(df))
        scores.append(run(pipeline, df)["test_accuracy"])
    assert np.mean(scores) < 0.62, (
        f"with coin-flip click labels that nothing can predict, run_pipeline reports held-out "
        f"accuracies {np.round(scores, 3)} (mean {np.mean(scores):.3f}); an honest held-out "
        "score is near 0.5: the held-out score is inflated by information about the held-out labels"
    )


def test_model_ignores_held_out_rows(pipeline, clicks):
    rows = held_out_labels(pipeline, clicks)
    before = run(pipeline, clicks)
    after = run(pipeline, flipped(pipeline, clicks, rows))
    assert_unchanged(
        {"weights": before["weights"], "bias": before["bias"]},
        {"weights": after["weights"], "bias": after["bias"]},
        what="run_pipeline(...) fitted parameters",
        meaning="the model changed although only held-out labels changed",
    )


def test_real_publishers_carry_signal(pipeline):
    df = with_shuffled_index(pipeline.make_clicks(n_rows=500, n_publishers=20, seed=4))
    result = run(pipeline, df)
    assert result["test_accuracy"] > 0.6, (
        f"on 20 publishers with 25 impressions each, held-out accuracy is "
        f"{result['test_accuracy']:.3f}; publishers' click rates differ enough for well above 0.6"
    )


@pytest.mark.edge
def test_unseen_publisher_gets_the_training_click_rate(pipeline):
    encoder = pipeline.TargetEncoder(smoothing=2.0).fit(["a", "a", "b", "b"], [1, 1, 0, 1])
    encoded = encoder.transform(["zzz"])
    assert_close(
        encoded,
        [0.75],
        what="TargetEncoder().fit(['a','a','b','b'], [1,1,0,1]).transform(['zzz'])",
        meaning="a publisher never seen in training should get the overall training click rate",
    )


def test_encoder_shrinks_small_publishers_towards_the_prior(pipeline):
    cats = ["a"] * 9 + ["b"]
    y = [1] * 9 + [0]
    a, b = pipeline.TargetEncoder(smoothing=2.0).fit(cats, y).transform(["a", "b"])
    assert 0.0 < b < 0.9 < a < 1.0 and 0.9 - b > a - 0.9, (
        f"encoded rates a={a:.3f} (9 of 9 clicked), b={b:.3f} (0 of 1 clicked), prior 0.9: a "
        "publisher with few impressions should be pulled towards the prior, a big one much less"
    )


@pytest.mark.edge
def test_held_out_publishers_absent_from_training_are_scored(pipeline, clicks):
    df = clicks.copy()
    rows = held_out_labels(pipeline, df)
    df.loc[rows[:10], pipeline.CATEGORY] = [f"new-{k}" for k in range(10)]
    result = run(pipeline, df)
    assert_finite(result["test_scores"], what="run_pipeline(...)['test_scores']")
    assert len(result["test_scores"]) == 100, "expected a score for each of the 100 held-out rows"


def test_split_partitions_rows(pipeline):
    train_idx, test_idx = pipeline.train_test_split(200, 0.25, seed=3)
    assert_partition(train_idx, test_idx, n_rows=200, n_test=50)
