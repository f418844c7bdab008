"""The gait-screening job: its held-out figures must say what a new clinic's users will get.

The tests read the exports in data/ (written by make_data.py), rebuild every figure
independently from them (parsing, features, scaling, the nearest-neighbour vote), compare the
held-out accuracy with the accuracy on users of other exports, and check the split on the walks in
several orders.
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    accuracy,
    assert_close,
    assert_figures,
    assert_inputs_untouched,
    assert_reproducible,
    assert_seeded_split,
    assert_unchanged,
    data_maker,
    with_shuffled_index,
)

SEED = 0
TEST_SIZE = 0.25
HERE = Path(__file__).resolve().parent
STUDY, PILOT = HERE / "data" / "study_export.csv", HERE / "data" / "pilot_export.csv"
RUN = 'run_pipeline(load_export("data/study_export.csv"))'


def read_as_sent(path):
    """An export as the app sent it: every field text, an empty field an empty string."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def other_sites():
    """make_data.py, which draws exports of other sites."""
    return data_maker(__file__)


@pytest.fixture(scope="module")
def sessions(kata):
    return kata("sessions")


@pytest.fixture(scope="module")
def model(kata):
    return kata("model")


@pytest.fixture(scope="module")
def export(sessions):
    return with_shuffled_index(read_as_sent(STUDY))


@pytest.fixture(scope="module")
def pilot(sessions):
    return sessions.gait_features(sessions.clean_sessions(read_as_sent(PILOT)))


@pytest.fixture(scope="module")
def walks(sessions, export):
    return sessions.gait_features(sessions.clean_sessions(export))


@pytest.fixture(scope="module")
def result(model, export):
    return model.run_pipeline(export, TEST_SIZE, SEED)


def number(text, unit=""):
    return float(re.sub(rf"\s*{unit}$", "", str(text).strip())) if unit else float(text)


def expected_walks(export):
    """The walks the export describes, worked out row by row: the latest upload of each
    session, finished (at least 60 steps) and with a stride variability."""
    latest = {}
    for row in export.itertuples(index=False):
        seen = latest.get(row.session_id)
        if seen is None or pd.Timestamp(row.uploaded_at) > pd.Timestamp(seen.uploaded_at):
            latest[row.session_id] = row
    return {
        sid: row
        for sid, row in latest.items()
        if int(row.steps) >= 60 and str(row.stride_cv).strip() != ""
    }


def features_of(row):
    duration, steps = number(row.duration, "s"), float(row.steps)
    distance = number(row.distance, "m")
    return {
        "cadence": 60.0 * steps / duration,
        "step_length": distance / steps,
        "speed": distance / duration,
        "stride_cv": float(row.stride_cv),
        "sway": number(row.sway, "cm"),
    }


def standardised_knn(train, query, features, target, k=5):
    """A k-NN vote in units of the training walks' standard deviations, written out."""
    X_train = train[features].to_numpy(dtype=float)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    Z_train = (X_train - mean) / std
    Z_query = (query[features].to_numpy(dtype=float) - mean) / std
    dist = ((Z_query[:, None, :] - Z_train[None, :, :]) ** 2).sum(axis=2)
    nearest = np.argsort(dist, axis=1, kind="stable")[:, :k]
    votes = train[target].to_numpy(dtype=int)[nearest].mean(axis=1)
    return (votes > 0.5).astype(int)


def users(frame):
    return set(frame["user_id"])


def person_of(export):
    """Who walked each session: the number in the export's user id, however it was typed."""
    number = export["user_id"].map(lambda text: int(re.search(r"\d+", text).group()))
    return dict(zip(export["session_id"], number, strict=True))


def people(frame, person):
    return {person[sid] for sid in frame.index}


# -- loading, cleaning and features -----------------------------------------------------------


def test_load_export_gives_every_upload_as_sent(sessions):
    for path in (STUDY, PILOT):
        sent, loaded = read_as_sent(path), sessions.load_export(path)
        what = f'load_export("data/{path.name}")'
        assert list(loaded.columns) == list(sent.columns) and len(loaded) == len(sent), (
            f"{what} gave {len(loaded)} rows of {list(loaded.columns)}; the file holds "
            f"{len(sent)} uploads of {list(sent.columns)}"
        )
        got, want = loaded.astype(str).to_numpy(), sent.to_numpy()
        differ = np.argwhere(got != want)
        assert not len(differ), (
            f"{what} differs from the file in {len(differ)} fields, e.g. in row {differ[0][0]}, "
            f"column {sent.columns[differ[0][1]]!r}: {got[tuple(differ[0])]!r} where the file "
            f"holds {want[tuple(differ[0])]!r}"
        )


def test_cleaning_keeps_one_row_per_finished_walk(sessions, export):
    cleaned = sessions.clean_sessions(export)
    expected = expected_walks(export)
    assert cleaned.index.is_unique, "clean_sessions gave two rows for the same session_id"
    missing, extra = set(expected) - set(cleaned.index), set(cleaned.index) - set(expected)
    assert not missing and not extra, (
        f"clean_sessions kept {len(cleaned)} walks; the export holds {len(expected)} finished "
        f"walks with a stride variability ({len(missing)} of them missing, e.g. "
        f"{sorted(missing)[:3]}; {len(extra)} others kept, e.g. {sorted(extra)[:3]})"
    )


def test_cleaning_keeps_the_values_of_the_latest_upload(sessions, export):
    expected = expected_walks(export)
    for name, frame in {"the export": export, "the export, rows reversed": export[::-1]}.items():
        cleaned = sessions.clean_sessions(frame)
        steps = cleaned["steps"].astype(float)
        wrong = [sid for sid, row in expected.items() if steps.get(sid) != float(row.steps)]
        assert not wrong, (
            f"on {name}, clean_sessions gave {len(wrong)} walk(s) a step count other than "
            f"the one of their latest upload, e.g. {wrong[0]}: "
            f"{steps.get(wrong[0])} instead of {expected[wrong[0]].steps}"
        )


def test_cleaning_parses_units_and_diagnosis(sessions, export):
    cleaned = sessions.clean_sessions(export)
    expected = expected_walks(export)
    for sid in sorted(expected)[:40]:
        row, got = expected[sid], cleaned.loc[sid]
        want = {
            "duration_s": number(row.duration, "s"),
            "distance_m": number(row.distance, "m"),
            "stride_cv": float(row.stride_cv),
            "sway_cm": number(row.sway, "cm"),
            sessions.TARGET: int(row.diagnosis.strip().lower() == "impaired"),
        }
        for column, value in want.items():
            assert np.isclose(got[column], value), (
                f"walk {sid} (exported as {row._asdict()}) has {column} = {got[column]!r} after "
                f"clean_sessions; the export says {value!r}"
            )


def test_cleaning_keeps_a_walk_of_exactly_min_steps(sessions, export):
    few = export.drop_duplicates("session_id").head(4).copy()
    few["steps"] = [str(sessions.MIN_STEPS - 1), str(sessions.MIN_STEPS), "61", "400"]
    few["stride_cv"] = "3.10"
    kept = sorted(sessions.clean_sessions(few)["steps"].astype(int))
    assert kept == [sessions.MIN_STEPS, 61, 400], (
        f"walks of {sessions.MIN_STEPS - 1}, {sessions.MIN_STEPS}, 61 and 400 steps went into "
        f"clean_sessions and walks of {kept} steps came out; only walks with fewer than "
        f"MIN_STEPS = {sessions.MIN_STEPS} steps are stopped walks"
    )


def test_features_describe_each_walk(sessions, export, walks):
    expected = expected_walks(export)
    assert list(walks.index) == list(sessions.clean_sessions(export).index), (
        "gait_features does not give one row per walk of clean_sessions, in its order"
    )
    for sid in sorted(expected)[::7]:
        for feature, value in features_of(expected[sid]).items():
            assert_close(
                walks.loc[sid, feature],
                value,
                f"gait_features(...).loc[{sid!r}, {feature!r}]",
                "the gait of this walk, from its duration, steps, distance, stride variability "
                "and sway in the export",
                rtol=1e-9,
            )
    assert list(walks[sessions.TARGET]) == list(sessions.clean_sessions(export)[sessions.TARGET])


def test_the_job_leaves_the_export_untouched(model, export):
    assert_inputs_untouched(
        lambda df: model.run_pipeline(df, TEST_SIZE, SEED), export.copy(), what="run_pipeline"
    )


# -- the split ----------------------------------------------------------------------------------


def test_held_out_walkers_have_no_training_walk(result, export):
    person = person_of(export)
    shared = people(result["train"], person) & people(result["test"], person)
    walked = sum(person[sid] in shared for sid in result["test"].index)
    assert walked == 0, (
        f"{RUN} scored {len(result['test'])} held-out walks; "
        f"{walked} of them were walked by people who also walked some of the "
        f"{len(result['train'])} training walks"
    )


def test_a_split_of_the_walks_in_any_order_keeps_each_user_on_one_side(model, walks, pilot):
    rng = np.random.default_rng(3)
    orders = {
        "the walks of the cleaned export": walks,
        "the same walks, rows shuffled": walks.iloc[rng.permutation(len(walks))],
        "the same walks, rows reversed": walks.iloc[::-1],
        "the walks of the pilot's export": pilot,
    }
    for name, frame in orders.items():
        train, test = model.split_walks(frame, TEST_SIZE, SEED)
        n_users = frame["user_id"].nunique()
        assert sorted(train.index.append(test.index)) == sorted(frame.index), (
            f"on {name}, the training and held-out walks are not the {len(frame)} walks, each once"
        )
        shared = users(train) & users(test)
        assert not shared, (
            f"on {name} ({len(frame)} walks of {n_users} users, test_size={TEST_SIZE}), "
            f"{len(shared)} users have walks both among the training and the held-out walks, "
            f"e.g. {sorted(shared)[:3]}"
        )
        assert len(users(test)) == round(n_users * TEST_SIZE), (
            f"on {name}, the held-out walks belong to {len(users(test))} of {n_users} users; "
            f"test_size={TEST_SIZE} of them is {round(n_users * TEST_SIZE)}"
        )


def test_the_split_is_seeded_shuffled_and_reproducible(model, walks):
    by_user = walks.sort_values(["user_id", "cadence"])

    def positions(seed):
        train, test = model.split_walks(by_user, TEST_SIZE, seed)
        return by_user.index.get_indexer(train.index), by_user.index.get_indexer(test.index)

    assert_seeded_split(positions, len(walks))
    default = model.split_walks(by_user)
    explicit = model.split_walks(by_user, 0.25, 0)
    assert all(a.index.equals(b.index) for a, b in zip(default, explicit, strict=True)), (
        "split_walks(walks) differs from split_walks(walks, 0.25, 0)"
    )
    train, test = model.split_walks(by_user, TEST_SIZE, SEED)
    n_users = by_user["user_id"].nunique()
    assert len(users(test)) == round(n_users * TEST_SIZE) and not users(train) & users(test), (
        f"split_walks on {len(walks)} walks of {n_users} user ids, listed id by id, held out "
        f"walks of {len(users(test))} ids, {len(users(train) & users(test))} of them also "
        "among the training walks"
    )


# -- the held-out figures -------------------------------------------------------------------------


def test_held_out_accuracy_is_what_people_absent_from_training_get(sessions, result, walks, export):
    test, person = result["test"], person_of(export)
    held = people(test, person)
    unseen = walks[[person[sid] not in held for sid in walks.index]]
    pred = standardised_knn(unseen, test, sessions.FEATURES, sessions.TARGET)
    assert_close(
        result["test_accuracy"],
        accuracy(test[sessions.TARGET], pred),
        f"{RUN}['test_accuracy']",
        f"the same {len(test)} held-out walks, classified from the {len(unseen)} walks of the "
        "people who walked none of them, score this",
        rtol=1e-12,
    )


def test_held_out_accuracy_matches_the_accuracy_on_new_users(model, sessions):
    make_export = other_sites().make_export
    held_out, new = [], []
    for site in range(1, 9):
        export = make_export(n_users=60, seed=site)
        others = sessions.gait_features(
            sessions.clean_sessions(make_export(n_users=60, seed=100 + site))
        )
        for seed in range(4):
            result = model.run_pipeline(export, TEST_SIZE, seed)
            held_out.append(result["test_accuracy"])
            new.append(accuracy(others[sessions.TARGET], model.predict(result["model"], others)))
    gap = float(np.mean(held_out) - np.mean(new))
    assert abs(gap) < 0.07, (
        f"over 8 exports of 60 users and 4 seeds each, run_pipeline reports a mean held-out "
        f"accuracy of {np.mean(held_out):.3f}; the same fitted models classify the walks of "
        f"another export's users with a mean accuracy of {np.mean(new):.3f}"
    )


def test_new_users_are_screened_better_than_chance(model, sessions, walks, pilot):
    full = model.fit_model(walks)
    pred = model.predict(full, pilot)
    scores = model.screening_scores(pilot[sessions.TARGET], pred)
    assert accuracy(pilot[sessions.TARGET], pred) > 0.7 and min(scores.values()) > 0.55, (
        f"a model fitted on all walks of the study's export screens the pilot's users with "
        f"{scores}; the gait features separate impaired from typical walkers far better"
    )


def test_reported_figures_are_the_models_on_the_held_out_walks(model, sessions, result, walks):
    train, test = result["train"], result["test"]
    assert sorted(train.index.append(test.index)) == sorted(walks.index), (
        "run_pipeline's training and held-out walks are not the walks of the export, each once"
    )
    pred = standardised_knn(train, test, sessions.FEATURES, sessions.TARGET)
    got = np.asarray(result["test_predictions"])
    assert np.array_equal(got, pred), (
        f"test_predictions disagree on {int(np.sum(got != pred))} of {len(pred)} held-out walks "
        "with a 5-nearest-neighbour vote of the training walks in standardised units"
    )
    y = test[sessions.TARGET].to_numpy()
    fitted = standardised_knn(train, train, sessions.FEATURES, sessions.TARGET)
    assert_figures(
        result,
        {
            "train_accuracy": accuracy(train[sessions.TARGET], fitted),
            "test_accuracy": accuracy(y, pred),
            "test_sensitivity": float(np.mean(pred[y == 1] == 1)),
            "test_specificity": float(np.mean(pred[y == 0] == 0)),
        },
        RUN,
    )
    assert np.array_equal(model.predict(result["model"], test), got), (
        "predict(report['model'], report['test']) differs from report['test_predictions']"
    )


def test_screening_scores_count_each_class(model):
    y_true = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    got = model.screening_scores(y_true, y_pred)
    want = {"accuracy": 0.6, "sensitivity": 1 / 3, "specificity": 5 / 7}
    assert all(np.isclose(got[key], value) for key, value in want.items()), (
        f"screening_scores({y_true}, {y_pred}) gave {got}; 1 of 3 impaired walks was found, "
        "5 of 7 typical walks were cleared, 6 of 10 are right"
    )


def test_screening_scores_of_a_single_class_are_nan_without_warning(model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = model.screening_scores([0, 0, 0], [0, 1, 0])
    assert np.isclose(got["accuracy"], 2 / 3) and np.isclose(got["specificity"], 2 / 3), got
    assert np.isnan(got["sensitivity"]), (
        f"screening_scores([0, 0, 0], [0, 1, 0]) gave {got}: with no impaired walk there is no "
        "share of impaired walks found"
    )


def test_nothing_fitted_moves_when_only_held_out_walks_change(model, export, result):
    held = set(result["test"].index)
    changed = export.copy()
    rows = changed["session_id"].isin(held)
    changed.loc[rows, "distance"] = [
        f"{3 * number(d, 'm'):.1f} m" for d in changed.loc[rows, "distance"]
    ]
    changed.loc[rows, "sway"] = [f"{number(s, 'cm') + 4:.2f} cm" for s in changed.loc[rows, "sway"]]
    after = model.run_pipeline(changed, TEST_SIZE, SEED)
    assert set(after["test"].index) == held, (
        "changing held-out walks changed which walks are held out"
    )
    probe = result["train"].iloc[::5]
    assert_unchanged(
        model.predict(result["model"], probe),
        model.predict(after["model"], probe),
        "the predictions for training walks",
        "the export differs only in the distance and sway of held-out walks",
    )
    assert_unchanged(
        result["model"],
        after["model"],
        "run_pipeline(...)['model']",
        "the export differs only in the distance and sway of held-out walks",
    )


def test_predictions_do_not_depend_on_the_units_of_a_feature(model, sessions, result):
    train, test = result["train"], result["test"]
    rescaled = {}
    for name, frame in (("train", train), ("test", test)):
        frame = frame.copy()
        frame["sway"] = frame["sway"] * 10.0  # millimetres
        frame["cadence"] = frame["cadence"] / 60.0  # steps per second
        rescaled[name] = frame
    before = model.predict(model.fit_model(train), test)
    after = model.predict(model.fit_model(rescaled["train"]), rescaled["test"])
    changed = int(np.sum(before != after))
    assert changed == 0, (
        f"sway in millimetres and cadence in steps per second changed {changed} of {len(test)} "
        "predictions, although no walk's gait changed"
    )


def test_k_is_the_number_of_neighbours_that_vote(model, sessions, export):
    for k in (1, 9):
        report = model.run_pipeline(export, TEST_SIZE, SEED, k=k)
        pred = standardised_knn(
            report["train"], report["test"], sessions.FEATURES, sessions.TARGET, k
        )
        got = np.asarray(report["test_predictions"])
        assert np.array_equal(got, pred), (
            f"run_pipeline(..., k={k}) disagrees on {int(np.sum(got != pred))} held-out walks "
            f"with a vote of the {k} nearest training walks"
        )


def test_defaults_are_a_quarter_seed_0_and_5_neighbours(model, export, result):
    default = model.run_pipeline(export)
    assert default["test"].index.equals(result["test"].index) and np.array_equal(
        default["test_predictions"], result["test_predictions"]
    ), "run_pipeline(export) differs from run_pipeline(export, 0.25, 0, k=5)"


def test_the_run_depends_on_its_seed_and_only_on_it(model, export, walks):
    assert_reproducible(
        lambda seed: np.sort(
            walks.index.get_indexer(model.run_pipeline(export, TEST_SIZE, seed)["test"].index)
        ),
        what="the held-out walks of run_pipeline(export, 0.25, seed)",
    )


# -- the pieces -------------------------------------------------------------------------------------


def test_standardiser_centres_and_scales_and_keeps_a_constant_column_finite(model):
    X = np.array([[1.0, 5.0, 100.0], [3.0, 5.0, 300.0], [5.0, 5.0, 200.0], [7.0, 5.0, 400.0]])
    scaler = model.Standardiser().fit(X)
    Z = scaler.transform(X)
    assert np.all(np.isfinite(Z)), f"Standardiser turned a constant column into {Z[:, 1]}"
    assert np.allclose(Z.mean(axis=0), 0.0) and np.allclose(Z[:, 1], 0.0), (
        f"the standardised columns have means {Z.mean(axis=0)}"
    )
    ratio = Z[:, [0, 2]].std(axis=0)
    assert np.isclose(ratio[0], ratio[1]) and 0.8 < ratio[0] < 1.2, (
        f"the standardised columns have standard deviations {ratio}"
    )
    offset = X + np.array([1e9, 0.0, 1e9])  # readings far from zero, e.g. timestamps
    Z_offset = model.Standardiser().fit(offset).transform(offset)
    assert np.allclose(Z_offset, Z, atol=1e-6), (
        f"columns 1e9 + [1, 3, 5, 7] and 1e9 + [100, 300, 200, 400] were standardised to "
        f"{Z_offset[:, [0, 2]].T.round(4).tolist()}; the same columns without the 1e9 give "
        f"{Z[:, [0, 2]].T.round(4).tolist()}"
    )
    new = scaler.transform(np.array([[9.0, 5.0, 0.0]]))
    want = np.array([5.0 / np.std([1, 3, 5, 7]), 0.0, -250.0 / np.std([100, 300, 200, 400])])
    assert np.allclose(new, want * ratio[0]), (
        f"Standardiser().fit(X).transform([[9, 5, 0]]) gave {new}; X's columns have means 4, 5, 250"
    )


def test_knn_votes_with_the_k_nearest_rows(model):
    X_train = np.array([[0.0], [1.0], [2.0], [10.0], [11.0]])
    knn = model.NearestNeighbours(k=3).fit(X_train, np.array([0, 0, 1, 1, 1]))
    got = [int(v) for v in knn.predict(np.array([[0.4], [10.6], [1.9]]))]
    assert got == [0, 1, 0], (
        f"NearestNeighbours(k=3) gave {got} for queries 0.4, 10.6, 1.9; the three nearest "
        "rows vote 0, 1 and 0"
    )


def test_knn_gives_a_tied_vote_to_0(model):
    X_train = np.array([[0.0], [1.0], [5.0], [6.0]])
    knn = model.NearestNeighbours(k=2).fit(X_train, np.array([0, 1, 1, 0]))
    got = [int(v) for v in knn.predict(np.array([[0.4], [5.6], [0.6]]))]
    assert got == [0, 0, 0], (
        f"NearestNeighbours(k=2) gave {got} for queries 0.4, 5.6 and 0.6, whose two nearest "
        "rows vote 0 and 1: a tied vote gives 0"
    )


def test_knn_measures_straight_line_distance(model):
    # From the origin, (2, 2) is nearer than (3, 0) in a straight line (2.83 < 3), farther in
    # steps along the axes (4 > 3).
    knn = model.NearestNeighbours(k=1).fit(np.array([[3.0, 0.0], [2.0, 2.0]]), np.array([0, 1]))
    got = int(knn.predict(np.zeros((1, 2)))[0])
    assert got == 1, (
        "NearestNeighbours(k=1) answered with the label of (3, 0) for a query at the origin, "
        "but (2, 2) is nearer in Euclidean distance (2.83 against 3)"
    )
