"""The gym churn job, end to end: three problems, one of which shows only once another is gone.

- the newest members are held out, so nothing fitted may depend on them;
- the reported held-out figures must be those of the returned probabilities;
- probabilities and losses must stay finite, and honest, for confident predictions.
The rest pins down the parts that already work: loading and cleaning the export, the split,
the preprocessor, the training loop and the figures the job reports.

The export is the file handed out with the kata (data/june.csv, written by make_data.py); every
variation a test needs is derived from it.
"""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from katakit import (
    EXTREME_LOGITS,
    accuracy,
    assert_close,
    assert_decreasing,
    assert_figures,
    assert_finite,
    assert_inputs_untouched,
    assert_unchanged,
    call_strict,
    precision_recall_f1,
    with_shuffled_index,
)

DATA = Path(__file__).resolve().parent / "data"
N_TEST = 100


@pytest.fixture(scope="module")
def members(kata):
    return kata("members")


@pytest.fixture(scope="module")
def churn(kata):
    return kata("churn")


@pytest.fixture(scope="module")
def export():
    return DATA / "june.csv"


@pytest.fixture(scope="module")
def frame(members, export):
    return members.add_features(members.clean(members.load_export(export)))


@pytest.fixture(scope="module")
def result(churn, export):
    return churn.run_pipeline(export, N_TEST)


def held_out(churn, frame):
    """The held-out members' rows, in the order run_pipeline reports them."""
    _, test_idx = churn.newest_split(frame, N_TEST)
    return frame.iloc[test_idx]


def with_changed_records(members, export, ids):
    """The export after a billing bug hit the members ``ids``: fees in cents, visits lost."""
    records = members.load_export(export)
    hit = records["member_id"].isin(ids)
    records.loc[hit, "monthly_fee"] = records.loc[hit, "monthly_fee"] * 100.0
    records.loc[hit, "visits_per_month"] = np.nan
    return io.StringIO(records.to_csv(index=False, date_format="%Y-%m-%d"))


def labels_of(churn, frame, ids):
    by_id = frame.set_index("member_id")[churn.TARGET]
    return by_id.loc[list(ids)].to_numpy(dtype=float)


# -- problem 1: the held-out members reach what is fitted ----------------------------------------


def test_preprocessor_ignores_the_held_out_members(members, churn, export, frame, result):
    after = churn.run_pipeline(
        with_changed_records(members, export, held_out(churn, frame)["member_id"])
    )
    assert_unchanged(
        result["preprocessor"], after["preprocessor"], "the fitted preprocessor",
        "only the 100 newest members changed, and they are held out",
    )  # fmt: skip


def test_model_ignores_the_held_out_members(members, churn, export, frame, result):
    after = churn.run_pipeline(
        with_changed_records(members, export, held_out(churn, frame)["member_id"])
    )
    assert_unchanged(
        {"weights": result["weights"], "bias": result["bias"]},
        {"weights": after["weights"], "bias": after["bias"]}, "the fitted model",
        "only the 100 newest members changed, and the model is never trained on them",
    )  # fmt: skip


def test_a_members_score_ignores_the_other_held_out_members(members, churn, export, result):
    first, others = result["test_ids"][0], result["test_ids"][1:]
    after = churn.run_pipeline(with_changed_records(members, export, others))
    assert after["test_ids"][0] == first, "the held-out members changed order"
    assert_unchanged(
        result["test_probabilities"][0], after["test_probabilities"][0],
        f"member {first}'s churn probability",
        "only *other* held-out members changed",
    )  # fmt: skip


# -- problem 2: the reported figures disagree with the held-out probabilities --------------------


def report_by_hand(churn, frame, result):
    y = labels_of(churn, frame, result["test_ids"])
    leaving = (np.asarray(result["test_probabilities"]) >= 0.5).astype(float)
    return y, leaving


def test_reported_accuracy_matches_the_test_probabilities(churn, frame, result):
    y, leaving = report_by_hand(churn, frame, result)
    assert_figures(result, {"test_accuracy": accuracy(y, leaving)}, "run_pipeline(export)")


def test_reported_recall_matches_the_test_probabilities(churn, frame, result):
    y, leaving = report_by_hand(churn, frame, result)
    _, caught, _ = precision_recall_f1(y, leaving)
    assert_figures(result, {"test_recall": caught}, "run_pipeline(export)")


def test_reported_log_loss_matches_the_test_probabilities(churn, frame, result):
    y, _ = report_by_hand(churn, frame, result)
    expected = churn.log_loss(y, np.asarray(result["test_probabilities"]))
    assert_figures(result, {"test_log_loss": expected}, "run_pipeline(export)", rtol=1e-9)


# -- problem 3: confident predictions break the probabilities and the loss ------------------------


@pytest.mark.edge
def test_sigmoid_is_finite_for_logits_of_1000(churn):
    p = call_strict(churn.sigmoid, EXTREME_LOGITS, what="sigmoid(logits of -1000 ... 1000)")
    assert_close(p[[0, 4, 8]], [0.0, 0.5, 1.0], "sigmoid of -1000, 0 and 1000", atol=1e-12)
    assert np.all(np.diff(p) >= 0), (
        f"sigmoid is not increasing over {EXTREME_LOGITS.tolist()}: {p.tolist()}"
    )


@pytest.mark.edge
def test_log_loss_is_finite_for_probabilities_of_0_and_1(churn):
    y = np.array([1.0, 0.0, 1.0, 0.0])
    right = call_strict(churn.log_loss, y, np.array([1.0, 0.0, 1.0, 0.0]), what="log_loss(right)")
    wrong = call_strict(churn.log_loss, y, np.array([0.0, 1.0, 1.0, 0.0]), what="log_loss(wrong)")
    assert_finite([right, wrong], "log_loss of certain predictions")
    assert right < 1e-6, f"log_loss of certain, correct predictions is {right:.3g}, not about 0"
    assert wrong > 8.0, (
        f"log_loss with two certain, wrong predictions out of four is {wrong:.3g}: hardly more "
        "than a coin flip's 0.69"
    )


@pytest.mark.edge
def test_training_on_separable_members_keeps_a_finite_loss(churn):
    rng = np.random.default_rng(3)
    X = np.column_stack([np.r_[rng.uniform(20, 60, 30), rng.uniform(-60, -20, 30)], np.ones(60)])
    y = np.r_[np.ones(30), np.zeros(30)]
    _, _, history = call_strict(
        churn.fit_logistic_regression, X, y, lr=0.5, epochs=50,
        what="fit_logistic_regression on perfectly separable, unscaled members",
    )  # fmt: skip
    assert_decreasing(history, "the training loss", "training stopped improving a perfect fit")
    assert history[-1] < 1e-3, f"the final training loss is {history[-1]:.3g}, not about 0"


def test_the_job_stays_finite_on_this_months_export(churn, export):
    result = call_strict(churn.run_pipeline, export, what="run_pipeline(this month's export)")
    for key in ("weights", "bias", "test_probabilities", "test_log_loss"):
        assert_finite(result[key], f"run_pipeline(export)[{key!r}]")


# -- loading and cleaning the export ----------------------------------------------------------------

HAND_WRITTEN = """member_id,plan,join_date,visits_per_month,monthly_fee,churned
M0001, Basic ,2023-01-15,4.5,25.0,0
M0002,PLUS,2022-03-01,-1,45.5,1
M0002,PLUS,2022-03-01,-1,45.5,1
M0003,family,2024-05-31,,60.0,0
M0004,basic,2021-07-04,0,22.5,1
"""


def test_a_hand_written_export_is_loaded_and_cleaned(members):
    records = members.load_export(io.StringIO(HAND_WRITTEN))
    cleaned = assert_inputs_untouched(members.clean, records, what="clean")
    assert list(cleaned["member_id"]) == ["M0001", "M0002", "M0003", "M0004"], (
        f"cleaning kept the members {list(cleaned['member_id'])}; the export holds M0001, M0002 "
        "(sent twice), M0003 and M0004"
    )
    assert list(cleaned.columns) == list(records.columns), (
        f"cleaning turned the columns {list(records.columns)} into {list(cleaned.columns)}"
    )
    assert list(cleaned["plan"]) == ["basic", "plus", "family", "basic"], (
        f"plans after cleaning: {list(cleaned['plan'])}"
    )
    visits = cleaned["visits_per_month"].to_numpy(dtype=float)
    assert visits[0] == 4.5 and np.isnan(visits[1:3]).all() and visits[3] == 0.0, (
        f"visit counts after cleaning: {visits.tolist()}; a logged -1 and a blank are missing, "
        "and a member who did not come at all has 0 visits"
    )
    assert list(cleaned.index) == [0, 1, 2, 3], f"the cleaned index is {list(cleaned.index)}"
    assert cleaned["monthly_fee"].tolist() == [25.0, 45.5, 60.0, 22.5], (
        f"fees after cleaning: {cleaned['monthly_fee'].tolist()}"
    )
    assert pd.api.types.is_datetime64_any_dtype(cleaned["join_date"]), "join dates are not dates"


def test_months_member_counts_from_the_report_date(members):
    cleaned = members.clean(members.load_export(io.StringIO(HAND_WRITTEN)))
    with_months = assert_inputs_untouched(members.add_features, cleaned, what="add_features")
    days = (members.REPORT_DATE - cleaned["join_date"]).dt.days.to_numpy()
    assert_close(
        with_months["months_member"].to_numpy(), days / 30.44,
        "months_member of members who joined 2023-01-15, 2022-03-01, 2024-05-31 and 2021-07-04",
        "days between joining and the report date, 30.44 to a month", rtol=1e-12,
    )  # fmt: skip
    later = members.add_features(cleaned, pd.Timestamp("2024-07-30"))
    assert_close(
        later["months_member"].to_numpy() - with_months["months_member"].to_numpy(),
        np.full(4, 30 / 30.44), "months added by a report 30 days later", rtol=1e-12,
    )  # fmt: skip


def test_this_months_export_has_one_clean_row_per_member(members, frame, result):
    assert len(frame) == 400 and frame["member_id"].is_unique, (
        f"the cleaned export has {len(frame)} rows for {frame['member_id'].nunique()} members"
    )
    assert set(frame["plan"]) == set(members.PLANS), f"plans: {sorted(set(frame['plan']))}"
    assert result["members"] == 400, f"run_pipeline reports {result['members']} members"


# -- the split -----------------------------------------------------------------------------------------


def test_the_newest_members_are_held_out_whatever_the_row_order(churn, frame):
    train_idx, test_idx = churn.newest_split(frame, N_TEST)
    together = np.sort(np.concatenate([train_idx, test_idx]))
    assert len(test_idx) == N_TEST and np.array_equal(together, np.arange(len(frame))), (
        f"newest_split held out {len(test_idx)} of {len(frame)} members and kept "
        f"{len(train_idx)}; the two together are not every member once"
    )
    dates = frame["join_date"].to_numpy()
    assert dates[test_idx].min() >= dates[train_idx].max(), (
        "a held-out member joined before a member the model is trained on"
    )
    shuffled = with_shuffled_index(frame, seed=5)
    _, again = churn.newest_split(shuffled, N_TEST)
    same = set(shuffled["member_id"].to_numpy()[again]) == set(
        frame["member_id"].to_numpy()[test_idx]
    )
    assert same, "the same members in another row order hold out other members"
    assert len(churn.newest_split(frame)[1]) == 100, "newest_split's default holds out 100"
    assert len(churn.newest_split(frame, 7)[1]) == 7, (
        "newest_split(frame, 7) held out another number"
    )


def test_a_tie_on_the_join_date_goes_by_member_id(churn):
    frame = pd.DataFrame(
        {
            "member_id": ["M3", "M1", "M2", "M0"],
            "join_date": pd.to_datetime(["2024-01-02", "2024-01-02", "2024-01-01", "2024-01-02"]),
        }
    )
    _, test_idx = churn.newest_split(frame, 2)
    assert sorted(frame["member_id"].to_numpy()[test_idx]) == ["M1", "M3"], (
        f"of three members who joined on 2024-01-02, newest_split(.., 2) held out "
        f"{sorted(frame['member_id'].to_numpy()[test_idx])}; the highest member ids go first"
    )


# -- the preprocessor and the model -------------------------------------------------------------------


def a_few_members():
    return pd.DataFrame(
        {
            "plan": ["basic", "plus", "basic", "family"],
            "visits_per_month": [2.0, np.nan, 3.0, 10.0],
            "months_member": [12.0, 24.0, 36.0, 48.0],
            "monthly_fee": [25.0, 45.0, 25.0, 60.0],
        }
    )


def test_preprocessor_imputes_standardises_and_encodes(churn):
    frame = a_few_members()
    prep = churn.Preprocessor().fit(frame)
    X = prep.transform(frame)
    filled = frame[churn.NUMERIC].fillna({"visits_per_month": 3.0}).to_numpy(dtype=float)
    candidates = [(filled - filled.mean(axis=0)) / filled.std(axis=0, ddof=ddof) for ddof in (0, 1)]
    assert X.shape == (4, 6), f"Preprocessor features have shape {X.shape}; expected (4, 6)"
    assert any(np.allclose(X[:, :3], c, rtol=1e-12) for c in candidates), (
        f"the standardised columns are {np.round(X[:, :3], 4).tolist()}; the median (3) fills "
        "the missing visit count and each column is centred and scaled by its own spread"
    )
    assert X[:, 3:].tolist() == [[1, 0, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0]], (
        f"the plan columns (basic, family, plus) are {X[:, 3:].tolist()}"
    )
    new = pd.DataFrame(
        {"plan": ["gold"], "visits_per_month": [np.nan], "months_member": [30.0],
         "monthly_fee": [40.0]}
    )  # fmt: skip
    row = prep.transform(new)[0]
    assert row[3:].tolist() == [0.0, 0.0, 0.0], f"an unknown plan is encoded as {row[3:].tolist()}"
    assert abs(row[0] - X[1, 0]) < 1e-12, "a missing visit count is not filled with the median"


@pytest.mark.edge
def test_a_column_far_from_zero_is_standardised_accurately(churn):
    rng = np.random.default_rng(2)
    frame = a_few_members().iloc[[0, 1, 2, 3] * 50].reset_index(drop=True)
    frame["monthly_fee"] = 1e9 + rng.normal(0.0, 1.0, len(frame))  # fees in a tiny currency unit
    X = churn.Preprocessor().fit(frame).transform(frame)
    spreads = [float(X[:, 2].std(ddof=ddof)) for ddof in (0, 1)]
    assert min(abs(s - 1.0) for s in spreads) < 1e-6, (
        f"a fee column around 1e9 standardises to spread {spreads[0]:.6f}, not 1"
    )


@pytest.mark.edge
def test_a_column_that_does_not_vary_is_centred_only(churn):
    frame = a_few_members().assign(monthly_fee=30.0)
    prep = call_strict(churn.Preprocessor().fit, frame, what="Preprocessor().fit")
    X = call_strict(prep.transform, frame, what="Preprocessor.transform")
    assert_close(X[:, 2], np.zeros(4), "a fee column that is 30 for every member, standardised")
    row = call_strict(prep.transform, frame.assign(monthly_fee=31.0).iloc[:1], what="transform")
    assert_close(row[0, 2], 1.0, "a fee of 31 against a column that was always 30",
                 "a column that does not vary is only centred")  # fmt: skip


def test_gradient_descent_takes_the_steps_it_is_given(churn):
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(30, 3)), (rng.random(30) < 0.3).astype(float)
    w, b = np.zeros(3), 0.0
    losses = []
    for _ in range(5):
        p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        w, b = w - 0.3 * X.T @ (p - y) / 30, b - 0.3 * np.mean(p - y)
    got_w, got_b, history = churn.fit_logistic_regression(X, y, lr=0.3, epochs=5)
    assert_close(got_w, w, "fit_logistic_regression(X, y, lr=0.3, epochs=5) weights",
                 "five steps of batch gradient descent on the mean log-loss from zero",
                 rtol=1e-12)  # fmt: skip
    assert_close(got_b, b, "its bias", "five steps from a zero bias", rtol=1e-12)
    assert_close(history, losses, "its loss history", "the loss before each of the five steps",
                 rtol=1e-12)  # fmt: skip


def test_the_model_fits_the_training_leaving_rate(churn, frame, result):
    train_idx, _ = churn.newest_split(frame, N_TEST)
    train = frame.iloc[train_idx]
    z = result["preprocessor"].transform(train) @ result["weights"] + result["bias"]
    mean_p = float(np.mean(1.0 / (1.0 + np.exp(-z))))
    rate = float(train[churn.TARGET].mean())
    assert abs(mean_p - rate) < 2e-3, (
        f"the model's mean churn probability on its training members is {mean_p:.4f} while "
        f"{rate:.4f} of them left: at the minimum of the log-loss the two agree"
    )
    assert len(result["loss_history"]) == 300, (
        f"training ran {len(result['loss_history'])} steps; fit_logistic_regression's default is 300"
    )
    assert_decreasing(result["loss_history"], "the training loss")


def test_sigmoid_and_log_loss_on_ordinary_values(churn):
    z = np.linspace(-8.0, 8.0, 33)
    assert_close(churn.sigmoid(z), 1.0 / (1.0 + np.exp(-z)), "sigmoid on -8 ... 8", rtol=1e-12)
    got = churn.log_loss(np.array([1.0, 0.0, 1.0]), np.array([0.9, 0.2, 0.6]))
    assert_close(got, -(np.log(0.9) + np.log(0.8) + np.log(0.6)) / 3,
                 "log_loss([1, 0, 1], [0.9, 0.2, 0.6])", rtol=1e-12)  # fmt: skip


def test_accuracy_and_recall_of_a_hand_worked_case(churn):
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    pred = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    assert churn.accuracy(y, pred) == pytest.approx(0.6), "3 of 5 right is accuracy 0.6"
    assert churn.recall(y, pred) == pytest.approx(2 / 3), "2 of 3 leavers caught is recall 2/3"
    assert churn.recall(np.zeros(3), np.ones(3)) == 0.0, "recall with nobody leaving is 0"


# -- what run_pipeline reports ------------------------------------------------------------------------


def test_reported_probabilities_are_the_returned_model_on_the_newest_members(churn, frame, result):
    test = held_out(churn, frame)
    assert list(result["test_ids"]) == list(test["member_id"]), (
        "test_ids are not the 100 newest members in the split's order"
    )
    assert result["test_ids"][-1] == test["member_id"].iloc[-1], (
        "test_ids[-1] is not the last held-out member: test_ids is not indexed by position"
    )
    z = result["preprocessor"].transform(test) @ result["weights"] + result["bias"]
    expected = np.exp(-np.logaddexp(0.0, -z))
    assert_close(result["test_probabilities"], expected, "run_pipeline(export)['test_probabilities']",
                 "the returned preprocessor and model applied to the held-out members",
                 rtol=1e-9, atol=1e-15)  # fmt: skip


def test_n_test_and_repeated_runs(churn, export, result):
    smaller = churn.run_pipeline(export, 40)
    assert len(smaller["test_ids"]) == 40, (
        f"run_pipeline(export, 40) held out {len(smaller['test_ids'])} members"
    )
    again = churn.run_pipeline(export)
    assert_unchanged(
        {k: result[k] for k in ("weights", "bias", "test_probabilities")},
        {k: again[k] for k in ("weights", "bias", "test_probabilities")},
        "run_pipeline(export) run twice", "the same export gave another model",
    )  # fmt: skip
