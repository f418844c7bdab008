"""Held-out click predictions: what the pipeline reports for tomorrow's impressions.

A held-out impression stands in for tomorrow's: whether it is clicked is unknown when it is
scored, so neither its own label nor the labels of other held-out rows may move its score.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_finite,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
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
    mean = float(np.mean(scores))
    assert mean < 0.62, (
        f"with coin-flip click labels that nothing can predict, run_pipeline reports held-out "
        f"accuracies {np.round(scores, 3).tolist()} (mean {mean:.3f}); nothing can beat about "
        "0.5 on such labels"
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
    result = run(pipeline, with_new_publishers(pipeline, clicks))
    assert_finite(result["test_scores"], what="run_pipeline(...)['test_scores']")
    assert len(result["test_scores"]) == 100, "expected a score for each of the 100 held-out rows"


def with_new_publishers(pipeline, df, n=10):
    """The same log, with ``n`` held-out impressions from publishers no training row has."""
    out = df.copy()
    rows = held_out_labels(pipeline, out)
    out.loc[rows[:n], pipeline.CATEGORY] = [f"new-{k}" for k in range(n)]
    return out


def test_held_out_scores_ignore_every_held_out_label(pipeline, clicks):
    df = with_new_publishers(pipeline, clicks)
    before = run(pipeline, df)["test_scores"]
    after = run(pipeline, flipped(pipeline, df, held_out_labels(pipeline, df)))["test_scores"]
    assert_unchanged(
        before, after, what="the scores of the 100 held-out impressions (10 of them from "
        "publishers with no training impression)",
        meaning="only the held-out click labels were flipped: " + LEAK,
    )  # fmt: skip


def training_features(pipeline, df, rows, train_rows, smoothing=2.0):
    """Click rate (TargetEncoder fitted on ``train_rows``) and ad slot of the rows ``rows``."""
    train = df.iloc[train_rows]
    encoder = pipeline.TargetEncoder(smoothing).fit(
        train[pipeline.CATEGORY], train[pipeline.TARGET]
    )
    frame = df.iloc[rows]
    rate = encoder.transform(frame[pipeline.CATEGORY])
    return np.column_stack([rate, frame["ad_slot"].to_numpy(dtype=float)])


def closed_form_ridge(X, y, alpha=1.0):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + alpha * np.eye(X.shape[1]), Xc.T @ yc)
    return w, float(y.mean() - X.mean(axis=0) @ w)


@pytest.mark.parametrize("smoothing", [2.0, 25.0])
def test_model_is_the_ridge_of_the_training_impressions(pipeline, clicks, smoothing):
    result = pipeline.run_pipeline(clicks, TEST_SIZE, SEED, smoothing=smoothing)
    train_idx, test_idx = pipeline.train_test_split(len(clicks), TEST_SIZE, SEED)
    X_train = training_features(pipeline, clicks, train_idx, train_idx, smoothing)
    y = clicks[pipeline.TARGET].to_numpy()
    w, b = closed_form_ridge(X_train, y[train_idx].astype(float))
    assert_close(
        result["weights"],
        w,
        f"run_pipeline(..., smoothing={smoothing:g})['weights']",
        "the ridge (alpha 1) of the training impressions' click rates and slots",
        rtol=1e-7,
    )
    assert_close(
        result["bias"], b, f"run_pipeline(..., smoothing={smoothing:g})['bias']", rtol=1e-7
    )
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(y[train_idx], (X_train @ w + b >= 0.5).astype(int)),
            "test_accuracy": accuracy(
                y[test_idx], (np.asarray(result["test_scores"]) >= 0.5).astype(int)
            ),
        },
        what="run_pipeline(...)",
    )


def test_held_out_scores_use_what_training_says_of_each_publisher(pipeline, clicks):
    df = with_new_publishers(pipeline, clicks)
    result = run(pipeline, df)
    train_idx, test_idx = pipeline.train_test_split(len(df), TEST_SIZE, SEED)
    X_test = training_features(pipeline, df, test_idx, train_idx)
    expected = X_test @ result["weights"] + result["bias"]
    got = np.asarray(result["test_scores"], dtype=float)
    off = int(np.sum(~np.isclose(got, expected, rtol=1e-9, atol=1e-12)))
    assert off == 0, (
        f"{off} of the 100 held-out scores differ from what the returned weights and bias "
        "give these impressions when they are served"
    )


def test_split_is_shuffled_seeded_and_reproducible(pipeline):
    assert_seeded_split(lambda seed: pipeline.train_test_split(400, 0.25, seed), 400, 100)
    assert_seeded_split(lambda seed: pipeline.train_test_split(10, 0.3, seed), 10, 3)
    assert_unchanged(
        pipeline.train_test_split(400), pipeline.train_test_split(400, 0.25, 0),
        "train_test_split(400)", "the documented defaults test_size=0.25, seed=0 split otherwise",
    )  # fmt: skip


def test_defaults_hold_out_a_quarter_with_seed_0_and_smoothing_2(pipeline, clicks):
    assert_unchanged(
        run(pipeline, clicks), pipeline.run_pipeline(clicks), what="run_pipeline(clicks)",
        meaning="the defaults (test_size=0.25, seed=0, smoothing=2.0) give a different run "
        "from passing them",
    )  # fmt: skip
    result = pipeline.run_pipeline(clicks, 0.1, SEED)
    assert len(result["test_scores"]) == 40, (
        f"run_pipeline(clicks, test_size=0.1) scored {len(result['test_scores'])} of 400 "
        "impressions; a tenth is 40"
    )


def test_run_depends_on_its_seed_and_only_on_it(pipeline, clicks):
    assert_reproducible(
        lambda seed: pipeline.run_pipeline(clicks, TEST_SIZE, seed)["weights"],
        what="run_pipeline(clicks, 0.25, seed)['weights']",
    )


def test_run_leaves_the_callers_table_untouched(pipeline, clicks):
    assert_inputs_untouched(
        lambda df: pipeline.run_pipeline(df, TEST_SIZE, SEED), clicks.copy(), what="run_pipeline"
    )


def test_encoder_smooths_with_the_documented_formula(pipeline):
    cats = ["a", "a", "a", "b", "c", "c"]
    y = [1, 1, 0, 0, 1, 1]
    prior = 4 / 6
    for smoothing in (None, 5.0):
        encoder = (
            pipeline.TargetEncoder() if smoothing is None else pipeline.TargetEncoder(smoothing)
        )
        m = 2.0 if smoothing is None else smoothing
        got = encoder.fit(cats, y).transform(["a", "b", "c", "new"])
        expected = [(2 + m * prior) / (3 + m), (0 + m * prior) / (1 + m),
                    (2 + m * prior) / (2 + m), prior]  # fmt: skip
        assert_close(
            got,
            expected,
            f"TargetEncoder(smoothing={m:g}) rates of a, b, c and a new publisher",
            "(clicks + m * prior) / (impressions + m), and the prior for a publisher never seen",
            rtol=1e-12,
        )
