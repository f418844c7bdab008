"""The router's report: accuracy and recalls on batches of new tickets.

The classifier is fitted on the training tickets; the tests score several batches of new
tickets and compare the reported figures with the predicted team names.
"""

import numpy as np
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_unchanged,
    perturb_rows,
    with_shuffled_index,
)


@pytest.fixture(scope="module")
def pipeline(kata):
    return kata("pipeline")


@pytest.fixture(scope="module")
def frames(pipeline):
    df = with_shuffled_index(pipeline.make_tickets(n_rows=240, seed=0), seed=6)
    return df.iloc[:160], df.iloc[160:]


def decoded_accuracy(result, test):
    return float(np.mean(np.asarray(result["predictions"]) == test["team"].to_numpy()))


def test_encoder_round_trips_labels(pipeline):
    labels = ["bugs", "billing", "product", "bugs", "accounts"]
    encoder = pipeline.LabelEncoder().fit(labels)
    codes = encoder.transform(labels)
    assert sorted(set(codes.tolist())) == [0, 1, 2, 3], f"codes of 4 labels are {codes}"
    assert list(encoder.inverse_transform(codes)) == labels, (
        f"decoding the codes of {labels} gave {list(encoder.inverse_transform(codes))}"
    )


def test_predictions_are_team_names_seen_in_training(pipeline, frames):
    train, test = frames
    result = pipeline.run_pipeline(train, test)
    assert len(result["predictions"]) == len(test)
    assert set(result["predictions"]) <= set(train["team"]), (
        f"predictions include {set(result['predictions']) - set(train['team'])}, which are not teams"
    )
    assert decoded_accuracy(result, test) > 0.9, "the classifier routes under 90% of tickets right"


def test_reported_accuracy_agrees_with_the_predicted_teams(pipeline, frames):
    train, test = frames
    result = pipeline.run_pipeline(train, test)
    assert_close(
        result["test_accuracy"], decoded_accuracy(result, test), "test_accuracy",
        "the reported accuracy is not the share of tickets whose predicted team is their team",
    )  # fmt: skip


def test_reported_accuracy_describes_the_predicted_teams_on_every_batch(pipeline, frames):
    train, test = frames
    for team in sorted(test["team"].unique()):
        part = test[test["team"] != team]
        result = pipeline.run_pipeline(train, part)
        assert_close(
            result["test_accuracy"], decoded_accuracy(result, part),
            f"test_accuracy on a batch of {len(part)} tickets",
            "the predicted team names are right for this share of the tickets, but the reported "
            "accuracy says otherwise",
        )  # fmt: skip


def test_recalls_describe_the_predicted_teams_on_every_batch(pipeline, frames):
    train, test = frames
    part = test[test["team"] != "accounts"]
    result = pipeline.run_pipeline(train, part)
    predicted, actual = np.asarray(result["predictions"]), part["team"].to_numpy()
    expected = {t: float(np.mean(predicted[actual == t] == t)) for t in sorted(set(actual))}
    assert sorted(result["recall_by_team"]) == sorted(expected), (
        f"recall is reported for teams {sorted(result['recall_by_team'])}; the batch holds "
        f"tickets of {sorted(expected)}"
    )
    for team, recall in expected.items():
        assert_close(
            result["recall_by_team"][team], recall, f"recall of {team!r} on a batch of {len(part)}",
            "the recalls do not describe the predicted teams",
        )  # fmt: skip


def test_a_single_ticket_is_scored_by_its_predicted_team(pipeline, frames):
    train, test = frames
    for i in range(12):
        one = test.iloc[[i]]
        result = pipeline.run_pipeline(train, one)
        right = decoded_accuracy(result, one)
        assert result["test_accuracy"] == right, (
            f"a {one['team'].iloc[0]!r} ticket routed to {str(result['predictions'][0])!r} "
            f"is reported with accuracy {result['test_accuracy']:g}"
        )


def test_the_model_does_not_depend_on_test_labels(pipeline, frames):
    train, test = frames
    relabelled = test.assign(team=np.where(test["team"] == "bugs", "billing", test["team"]))
    first = pipeline.run_pipeline(train, test)
    second = pipeline.run_pipeline(train, relabelled)
    assert list(first["predictions"]) == list(second["predictions"]), (
        "the predicted teams changed when only the test labels changed"
    )


@pytest.mark.edge
def test_an_unseen_team_in_the_test_set_is_reported(pipeline, frames):
    train, test = frames
    odd = test.assign(team=np.where(np.arange(len(test)) == 0, "legal", test["team"]))
    try:
        result = pipeline.run_pipeline(train, odd)
    except ValueError as error:
        assert "legal" in str(error), (
            f"the ValueError for a ticket of the unknown team 'legal' does not name it: {error}"
        )
        return
    raise AssertionError(
        f"run_pipeline scored a test set holding team 'legal', which training never saw, "
        f"and reported accuracy {result['test_accuracy']:.3f} without a word about it"
    )


def test_fitted_parts_ignore_the_test_batch(pipeline, frames):
    train, test = frames
    before = assert_inputs_untouched(pipeline.run_pipeline, train, test, what="run_pipeline")
    changed = perturb_rows(test, test.index, columns=pipeline.KEYWORDS)
    after = pipeline.run_pipeline(train, changed)
    assert_unchanged(
        before["centroids"], after["centroids"], "run_pipeline(...)['centroids']",
        "the fitted classifier changed when only the test tickets changed",
    )  # fmt: skip
    assert list(before["encoder"].classes_) == list(after["encoder"].classes_)


def test_centroids_are_the_mean_ticket_of_each_training_team(pipeline, frames):
    train, test = frames
    result = pipeline.run_pipeline(train, test)
    classes = [str(c) for c in result["encoder"].classes_]
    assert classes == sorted(train["team"].unique()), f"the encoder knows the teams {classes}"
    means = train.groupby("team")[pipeline.KEYWORDS].mean().loc[classes].to_numpy()
    assert_close(
        result["centroids"], means, "run_pipeline(...)['centroids']",
        "a team's centre is not the mean keyword count of its training tickets",
    )  # fmt: skip


def test_predictions_and_scores_are_those_of_the_nearest_centre(pipeline, frames):
    train, test = frames
    result = pipeline.run_pipeline(train, test)
    classes = np.asarray(result["encoder"].classes_)
    X = test[pipeline.KEYWORDS].to_numpy(dtype=float)
    distances = ((X[:, None, :] - result["centroids"][None, :, :]) ** 2).sum(axis=2)
    nearest = classes[np.argmin(distances, axis=1)]
    assert list(result["predictions"]) == list(nearest), (
        f"{int(np.sum(np.asarray(result['predictions']) != nearest))} of {len(test)} tickets were "
        "not routed to the team whose centre is nearest"
    )
    actual = test["team"].to_numpy()
    recalls = {t: accuracy(nearest[actual == t], t) for t in sorted(set(actual))}
    assert_figures(
        {"test_accuracy": result["test_accuracy"], **result["recall_by_team"]},
        {"test_accuracy": accuracy(actual, nearest), **recalls},
        "run_pipeline(train, test)",
        rtol=1e-12,
    )
