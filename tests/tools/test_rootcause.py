"""Scoring the root cause a learner states: classes, concepts matched by meaning, communication."""

import pytest

from tools.core import catalog, exercise
from tools.practice import rootcause
from tools.practice.rootcause import Statement

# Root causes written the way learners write them: plain words, their own spelling and symbols.
# Each names the concepts listed beside it; together they must earn at least 80 % of those.
PARAPHRASES = [
    (
        "boss-mlp",
        "The ReLU backward pass used h1 >= 0, so the mask was all ones and gradient flowed "
        "through units that were switched off; a finite-difference check on W1 showed it. "
        "Softmax took exp of the raw logits, which overflows at 1000: subtracting the row max "
        "first (log-sum-exp) fixes it. Early stopping never reset its patience counter, so it "
        "stopped after 15 bad epochs in total instead of 15 epochs without improvement in a row; "
        "that bug hid the effect of fixing the gradient.",
        [
            "relu derivative in backpropagation",
            "gradient checking with finite differences",
            "log-sum-exp / stable softmax",
            "early stopping patience counts epochs without improvement in a row",
            "one bug can hide the effect of fixing another",
        ],
    ),
    (
        "boss-mlp",
        "Three bugs: relu gradient wrong, softmax not numerically stable (use logsumexp), and "
        "the early-stopping patience counter was never reset after an improvement.",
        [
            "relu derivative in backpropagation",
            "log-sum-exp / stable softmax",
            "early stopping patience counts epochs without improvement in a row",
        ],
    ),
    (
        "boss-churn",
        "The preprocessor was fitted on all members before the split, so held-out rows leaked "
        "into the medians and scales. y was an (n, 1) column, broadcast into an n x n grid "
        "against the predictions, which made the metrics nonsense (recall 18). The sigmoid "
        "overflowed in exp and log_loss took log(0).",
        [
            "fit preprocessing on training rows only",
            "column-vector targets broadcast to an n x n matrix",
            "numerically stable sigmoid",
            "log(0) in the cross-entropy",
            "metrics must agree with the predictions they summarise",
        ],
    ),
    (
        "boss-churn",
        "Leakage from fitting the scaler before splitting; a column vector of labels broadcasting "
        "in the metrics; and an unstable sigmoid with no clipping of probabilities in the log loss.",
        [
            "fit preprocessing on training rows only",
            "column-vector targets broadcast to an n x n matrix",
            "numerically stable sigmoid",
            "log(0) in the cross-entropy",
        ],
    ),
    (
        "overflow-logsumexp",
        "For outliers far from every component the densities underflow to zero, the "
        "responsibilities become 0/0 and the NaN spreads through the M step. Computing them with "
        "the logsumexp trick (subtract the maximum log density) keeps them summing to one.",
        [
            "exp underflows to 0 below about -745",
            "log-sum-exp trick",
            "outliers far from every mixture component",
            "responsibilities must sum to 1",
            "nan propagates through the m-step",
        ],
    ),
    (
        "numerics-underflow",
        "Multiplying hundreds of word probabilities underflowed to 0.0 for long threads, so every "
        "class got 0/0 = NaN and argmax returned queue 0. Summing log probabilities instead, and "
        "normalising with log-sum-exp, stays in log space.",
        [
            "floating-point underflow",
            "product of many probabilities",
            "work in log space",
            "0 / 0 is nan and argmax of nan is 0",
            "normalising log-probabilities without leaving log space",
        ],
    ),
    (
        "nn-double-softmax",
        "The network applied softmax and then the loss applied softmax again, so the loss, "
        "which expects logits, saw squashed probabilities; training plateaued near log 4.",
        [
            "loss functions that take logits",
            "softmax applied twice",
            "bounded inputs squash the output distribution",
            "loss plateau near log k",
        ],
    ),
    (
        "shape-keepdims",
        "The row sums lost their axis without keepdims=True, so broadcasting divided each column "
        "instead of each row and the transition matrix rows no longer summed to 1.",
        [
            "row-stochastic transition matrix",
            "broadcasting aligns trailing axes",
            "keepdims on reductions",
        ],
    ),
    (
        "numerics-variance",
        "The streaming variance used the one-pass formula mean of squares minus square of the "
        "mean; with epoch timestamps around 1.7e9 the two terms cancel catastrophically in "
        "float64. Welford's update, or shifting the data first, keeps the precision.",
        [
            "catastrophic cancellation",
            "one-pass variance e[x^2] - e[x]^2",
            "variance is invariant to a shift of the data",
            "welford or chan's streaming variance",
        ],
    ),
    (
        "naive-bayes-smoothing",
        "A word never seen in positive reviews got a probability of zero, and log(0) vetoed the "
        "whole class; add-one (Laplace) smoothing of the counts fixes it.",
        [
            "zero-frequency problem",
            "laplace (additive) smoothing",
            "log(0) vetoes a class",
        ],
    ),
    (
        "gradient-two-layer",
        "Backprop multiplied by the derivative of tanh computed from the wrong cached value: it "
        "should be 1 - tanh(z)^2 using the activation. The gradient check only passed at tiny "
        "weights, where tanh is nearly linear.",
        [
            "chain rule through the activation",
            "tanh derivative is 1 - tanh(z)^2",
            "cache the right tensor for backward",
            "gradient check away from the linear regime",
        ],
    ),
]


def _found(slug, text):
    kata = catalog.load(slug)
    return kata, rootcause.concepts_found(kata.concepts, text, kata.concept_aliases)


def test_paraphrased_root_causes_earn_at_least_80_percent_of_the_concepts_they_name():
    named = earned = 0
    for slug, text, concepts in PARAPHRASES:
        kata, found = _found(slug, text)
        assert set(concepts) <= set(kata.concepts), f"{slug}: the test names an unknown concept"
        named += len(concepts)
        earned += len(set(found) & set(concepts))
        assert len(set(found) & set(concepts)) >= 0.6 * len(concepts), (slug, text, found)
    assert earned >= 0.8 * named, f"{earned} of {named} concepts earned"


def test_a_root_cause_about_something_else_earns_few_concepts():
    unrelated = (
        "The learning rate was too high, so the optimiser diverged after a few epochs; lowering "
        "it made training converge."
    )
    for slug in ("boss-mlp", "boss-churn", "naive-bayes-smoothing", "shape-keepdims"):
        _kata, found = _found(slug, unrelated)
        assert len(found) <= 1, (slug, found)


@pytest.mark.parametrize(
    ("concept", "said"),
    [
        ("log-sum-exp / stable softmax", "I used the log sum exp trick"),
        ("log-sum-exp / stable softmax", "switched to logsumexp"),
        ("log(0) in the cross-entropy", "log_loss took log(0)"),
        (
            "column-vector targets broadcast to an n x n matrix",
            "the (n, 1) column was broadcast into an n x n grid",
        ),
    ],
)
def test_the_wordings_the_literal_matcher_missed_now_earn_their_concept(concept, said):
    assert rootcause.concepts_found([concept], said) == [concept]


def test_spelling_inflection_and_symbols_do_not_matter():
    for said in (
        "standardization statistics leaked",
        "Standardisation-statistics leaking",
        "the STANDARDISED statistic was leaking",
    ):
        assert rootcause.concepts_found(["standardisation statistics"], said), said
    assert rootcause.stem("broadcasting") == rootcause.stem("broadcasted") == "broadcast"
    assert rootcause.stem("matrices") == rootcause.stem("matrix")
    assert rootcause.stem("biases") == rootcause.stem("bias")


def test_any_class_of_a_boss_earns_the_class_credit_and_several_may_be_named():
    boss = exercise.of_kata(catalog.load("boss-mlp"))
    assert set(boss.classes) == {"evaluation", "gradient", "numerics"}
    one = Statement("gradient", "the relu gradient was wrong")
    score, basis = rootcause.understanding(one, boss.classes, ())
    assert score == pytest.approx(1.0) and "class right" in basis
    several = Statement("leakage, shape, overflow", "x")
    assert several.classes == ("leakage", "shape", "overflow")
    classes, unknown = rootcause.parse_classes("leakage, shape, overflow")
    assert classes == ("leakage", "shape", "numerics") and unknown == []
    churn = exercise.of_kata(catalog.load("boss-churn"))
    credit, basis = rootcause.understanding(Statement(classes, "x"), churn.classes, ())
    assert credit == pytest.approx(1.0), basis


def test_naming_every_class_is_not_an_answer():
    everything = Statement(tuple(rootcause.CAUSES), "something")
    score, basis = rootcause.understanding(everything, ("leakage",), ())
    assert score == pytest.approx(0.4 / len(rootcause.CAUSES) + 0.6), basis  # 0.6: no concepts


def test_an_unknown_class_gets_one_line_listing_the_valid_ones(tmp_path, capsys):
    (tmp_path / rootcause.FILE).write_text(
        "category: leakage, flux-capacitor\nThe scaler leaked.\n"
    )
    said = rootcause.read_file(tmp_path)
    err = capsys.readouterr().err.strip().splitlines()
    assert said.classes == ("leakage",) and said.explanation == "The scaler leaked."
    assert len(err) == 1 and "'flux-capacitor'" in err[0]
    assert all(name in err[0] for name in rootcause.CAUSES)


def test_a_correct_boss_interview_in_plain_words_scores_at_least_20_of_25():
    for slug, text in (
        (
            "boss-mlp",
            "Backprop let gradient through ReLU units that were off, softmax overflowed on big "
            "logits and needed the max subtracted, and the early-stopping patience never reset "
            "when the validation accuracy improved, so training stopped far too soon.",
        ),
        (
            "boss-churn",
            "The preprocessing was fitted before the split so test rows leaked in, the labels were "
            "an (n, 1) column that broadcast the metrics into an n by n matrix, and the sigmoid "
            "overflowed while the log loss hit log of zero.",
        ),
    ):
        boss = exercise.of_kata(catalog.load(slug))
        said = Statement("gradient" if slug == "boss-mlp" else "leakage", text)
        score, basis = rootcause.understanding(
            said, boss.classes, boss.concepts, dict(boss.aliases)
        )
        assert 25 * score >= 20, (slug, basis)
        clear, why = rootcause.communication(said, len(boss.problems))
        assert clear == 1.0, why


def test_communication_scales_with_the_number_of_problems():
    three = Statement(
        "leakage",
        "The scaler was fitted on every member before the split, so held-out rows shaped the "
        "training features and moved every weight. The labels were an (n, 1) column, and "
        "comparing them with flat predictions broadcast into a table, so recall came out as 18. "
        "The sigmoid formed exp of large negative logits and overflowed, and the loss took the "
        "log of probabilities that had rounded to exactly one. Each showed up in its own group "
        "of failing tests.",
    )
    assert rootcause.communication(three, 1)[0] < 1
    assert rootcause.communication(three, 3)[0] == 1
