"""A variant's texts speak of its own change: symptom first, then its function, the class last."""

from __future__ import annotations

import re

import pytest

from tools import ROOT
from tools.core import catalog
from tools.core.collector import Outcome, Report
from tools.core.variants import read_variant, variant_dirs
from tools.mutation import bugclasses, texts
from tools.mutation.measure import Change
from tools.mutation.model import Mutant

LEAKAGE = (ROOT / "fixed" / "leakage" / "pipeline.py").read_text()
CLIMBING = LEAKAGE.replace("w -= lr *", "w += lr *", 1)
CLIMB_LINE = next(i for i, line in enumerate(CLIMBING.splitlines(), 1) if "w += lr *" in line)


def variant(bug_class: str = "gradient-sign") -> Mutant:
    m = Mutant("m-x-1", "mutmut", "k", "", "fit_logistic_regression", "pipeline.py", CLIMBING)
    m.bug_class, m.failing = bug_class, ["test_leakage.py::test_a", "test_leakage.py::test_b"]
    return m


def report(where: str = "", message: str = "the loss rose from 0.69 to 7.1") -> Report:
    reason = "numerical" if where else "assertion"
    failures = [
        Outcome("test_leakage.py::test_a", False, reason, "AssertionError", message, where),
        Outcome("test_leakage.py::test_b", False, "assertion", "AssertionError", "accuracy 0.27"),
    ]
    return Report([Outcome("test_leakage.py::test_c", True), *failures], exit_code=1)


SEEN = Change(
    (("test_accuracy", "0.77", "0.27"), ("bias", "-0.6248", "-6.926")),
    "", (), True, True, "run_pipeline(make_customers())",
)  # fmt: skip
QUIET = Change((), "", (), False, True, "run_pipeline(make_customers())")
CRASH = Change(
    (), "ValueError: shapes (3,) and (4,) not aligned (pipeline.py:64 in fit_logistic_regression)",
    (), True, True, "run_pipeline(make_customers())",
)  # fmt: skip


def unquoted(text: str) -> str:
    """``text`` without its code spans: names quoted from code are not the text naming a class."""
    return re.sub(r"`[^`]*`", "", text).lower()


def assert_texts_fit(data: dict, function: str) -> None:
    """The rules every handed-out variant's texts follow."""
    short = function.rsplit(".", 1)[-1]
    hints, key = data["hints"], data["bug_class"]
    assert len(hints) >= 2
    assert f"`{short}`" in hints[-2] or f"`{function}`" in hints[-2], (
        "the hint before the last names the function"
    )
    assert short in data["explanation"], "the explanation names the function"
    for hint in hints[:-1]:
        for word in bugclasses.giveaways(key):
            assert word.lower() not in unquoted(hint), (
                f"{word!r} names the class before the last hint: {hint}"
            )
    assert bugclasses.CLASSES[key].title in hints[-1], "the last hint names the class"


@pytest.mark.parametrize("key", sorted(bugclasses.CLASSES))
@pytest.mark.parametrize(
    "change", [SEEN, QUIET, CRASH, None], ids=["seen", "quiet", "crash", "unknown"]
)
def test_every_class_gets_texts_about_the_change_with_the_class_named_last(key, change):
    kata = catalog.load("leakage")
    data = texts.learner_texts(kata, "v000001", variant(key), LEAKAGE, report(), change)
    assert_texts_fit(data, "fit_logistic_regression")
    assert (
        "`w -= lr * (X.T @ error) / n` became `w += lr * (X.T @ error) / n`" in data["explanation"]
    )
    assert f"line {CLIMB_LINE}" in data["explanation"]
    assert "Why it matters" in data["explanation"] and data["difficulty_evidence"]


def test_the_figures_that_moved_are_the_symptom_and_the_explanation_measures_them():
    kata = catalog.load("leakage")
    data = texts.learner_texts(kata, "v000001", variant(), LEAKAGE, report(), SEEN)
    assert "`test_accuracy` is 0.27 where a correct pipeline gives 0.77" in data["hints"][0]
    assert "`test_accuracy` went from 0.77 to 0.27" in data["explanation"]
    assert "`test_accuracy` is 0.27" in data["brief"] and "the loss rose" in data["brief"]


def test_a_crash_is_told_as_a_crash_never_as_silent():
    kata = catalog.load("leakage")
    data = texts.learner_texts(kata, "v000001", variant("shape"), LEAKAGE, report(), CRASH)
    assert "stops with `ValueError: shapes (3,) and (4,) not aligned" in data["explanation"]
    assert "silent" not in (data["explanation"] + " ".join(data["hints"])).lower()


@pytest.mark.parametrize(
    ("where", "message", "change", "level"),
    [
        (f"pipeline.py:{CLIMB_LINE} in fit_logistic_regression", "overflow", SEEN, 1),
        ("pipeline.py:20 in fit_logistic_regression", "overflow", SEEN, 2),
        ("", "fit_logistic_regression returned weights that ...", QUIET, 2),
        ("", "accuracy 0.27", SEEN, 3),
        ("", "accuracy 0.27", QUIET, 4),
    ],
)
def test_difficulty_is_measured_from_what_a_learner_meets(where, message, change, level):
    m = variant()
    got, evidence = texts.difficulty(m, CLIMB_LINE, report(where, message), change)
    assert got == level, evidence


GENERATED = [
    (kata, path)
    for slug in catalog.slugs()
    for kata in [catalog.load(slug)]
    for path in variant_dirs(kata)
    if "difficulty_evidence" in read_variant(path)
]


@pytest.mark.parametrize(
    ("kata", "path"), GENERATED, ids=[f"{k.slug}/{p.name}" for k, p in GENERATED]
)
def test_every_handed_out_variant_names_its_function_and_its_class_only_last(kata, path):
    data = read_variant(path)
    assert_texts_fit(data, str(data["function"]))
