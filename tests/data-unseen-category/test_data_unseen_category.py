"""A delivery must be encoded and priced the same whatever batch it arrives in.

The model is fitted once on the training deliveries; the tests then score test batches of
different make-up (all of them, one at a time, without one region, with a region never seen in
training) and check that each delivery gets the same features and the same prediction.
"""

import numpy as np
import pandas as pd
import pytest
from katakit import assert_close, assert_unchanged, with_shuffled_index


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def frames(pipeline):
    df = with_shuffled_index(pipeline.make_deliveries(n_rows=300, seed=0), seed=1)
    return df.iloc[:200], df.iloc[200:]


@pytest.fixture(scope="module")
def model(pipeline, frames):
    return pipeline.fit_model(frames[0])


def test_each_training_delivery_gets_one_indicator_per_categorical_column(pipeline, frames, model):
    encoded = model[0].transform(frames[0])
    n_categories = frames[0]["region"].nunique() + frames[0]["vehicle"].nunique()
    assert encoded.shape == (200, n_categories), (
        f"encoding 200 training deliveries gave shape {encoded.shape}; expected (200, "
        f"{n_categories}): one column per region and per vehicle seen in training"
    )
    assert_close(encoded.sum(axis=1), np.full(200, 2.0), "indicators set per training row")


def test_the_model_predicts_held_out_deliveries_to_within_a_few_minutes(pipeline, frames):
    result = pipeline.run_pipeline(*frames)
    assert result["test_mae"] < 3.0, (
        f"held-out mean absolute error is {result['test_mae']:.2f} minutes; the data "
        "(noise of 2 minutes) supports well under 3"
    )


def test_a_delivery_is_encoded_the_same_alone_as_in_its_batch(pipeline, frames, model):
    encoder = model[0]
    test = frames[1]
    batch = encoder.transform(test)
    for i in range(10):
        alone = encoder.transform(test.iloc[[i]])
        assert_unchanged(
            batch[i], alone[0], f"the encoding of test delivery {i} ({test.iloc[i]['region']}, "
            f"{test.iloc[i]['vehicle']})",
            "a delivery's features depend on which other deliveries are in the batch",
        )  # fmt: skip


def test_a_delivery_is_predicted_the_same_alone_as_in_its_batch(pipeline, frames, model):
    test = frames[1]
    batch = pipeline.predict(*model, test)
    alone = np.array([pipeline.predict(*model, test.iloc[[i]])[0] for i in range(len(test))])
    assert_unchanged(
        batch,
        alone,
        "predicted minutes for each test delivery scored on its own",
        "the same order gets a different delivery time when it is scored in a batch of one",
    )


def test_a_batch_without_one_region_is_predicted_like_the_full_batch(pipeline, frames, model):
    test = frames[1]
    full = pipeline.predict(*model, test)
    for region in sorted(test["region"].unique()):
        kept = (test["region"] != region).to_numpy()
        part = pipeline.predict(*model, test[kept])
        assert_unchanged(
            full[kept],
            part,
            f"predictions for a test batch with no deliveries to {region!r}",
            "leaving one region out of the batch changes the predictions for the others",
        )


def test_held_out_error_stays_small_on_a_batch_without_one_region(pipeline, frames):
    train, test = frames
    result = pipeline.run_pipeline(train, test[test["region"] != "centre"])
    assert result["test_mae"] < 3.0, (
        f"held-out mean absolute error on test deliveries outside 'centre' is "
        f"{result['test_mae']:.2f} minutes; on the full test set it is under 3: the model is "
        "fed the wrong features when a region is missing from the batch"
    )


@pytest.mark.edge
def test_an_unseen_region_loses_only_its_region_indicator(pipeline, frames, model):
    encoder = model[0]
    known = frames[1].iloc[[0]].copy()
    unseen = known.copy()
    unseen["region"] = "harbour"
    before, after = encoder.transform(known)[0], encoder.transform(unseen)[0]
    assert after.shape == before.shape, (
        f"a delivery to the unseen region 'harbour' is encoded with {after.shape[0]} columns; "
        f"the model was trained on {before.shape[0]}"
    )
    assert np.all(after <= before), (
        f"the delivery to the unseen region 'harbour' is encoded as {after}, the same delivery to "
        f"{known.iloc[0]['region']!r} as {before}: the unseen region switches on an indicator "
        "of some other category"
    )
    assert before.sum() - after.sum() == 1.0, (
        f"the delivery to 'harbour' has {after.sum():g} indicators set, the same delivery to "
        f"{known.iloc[0]['region']!r} has {before.sum():g}: an unseen region should set no region "
        "indicator and keep the vehicle's"
    )


@pytest.mark.edge
def test_an_unseen_region_in_the_batch_leaves_the_other_deliveries_alone(pipeline, frames, model):
    test = frames[1]
    odd = test.iloc[[0]].copy()
    odd["region"] = "harbour"
    odd.index = [-1]
    batch = test.iloc[1:]
    before = pipeline.predict(*model, batch)
    after = pipeline.predict(*model, pd.concat([batch, odd]))
    assert np.isfinite(after[-1]), "the delivery to an unseen region got a non-finite prediction"
    assert_unchanged(
        before,
        after[:-1],
        "predictions for the other test deliveries",
        "adding one delivery to an unseen region changes the predictions for everyone else",
    )


def test_shuffling_the_batch_shuffles_the_predictions(pipeline, frames, model):
    test = frames[1]
    order = np.random.default_rng(3).permutation(len(test))
    assert_unchanged(
        pipeline.predict(*model, test)[order], pipeline.predict(*model, test.iloc[order]),
        "predictions for the shuffled test batch",
        "a delivery's prediction depends on its position in the batch",
    )  # fmt: skip
