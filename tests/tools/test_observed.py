"""A number the brief quotes is recomputed from the code: a changed number fails verify."""

from __future__ import annotations

import dataclasses

from tools.authoring import observed
from tools.core import catalog
from tools.core.catalog import Observation

EXPRESSION = "f\"{run_pipeline(make_customers(n_rows=400, seed=0), 0.25, 0)['test_accuracy']:.2f}\""


def _kata(quote: str):
    kata = catalog.load("leakage")
    return dataclasses.replace(kata, observed=(Observation(quote, EXPRESSION),))


def test_a_quoted_number_the_code_reproduces_passes():
    assert observed.problems(_kata("0.77"), brief="held-out accuracy 0.77") == []


def test_a_changed_number_in_the_brief_is_named():
    found = observed.problems(_kata("0.79"), brief="held-out accuracy 0.79")
    assert len(found) == 1 and "'0.79'" in found[0] and "'0.77'" in found[0], found


def test_a_number_the_brief_dropped_is_named():
    found = observed.problems(_kata("0.77"), brief="held-out accuracy 0.78")
    assert found == ["the brief no longer quotes '0.77' (kata.toml observed)"]


def test_an_expression_that_fails_is_reported_not_raised():
    kata = dataclasses.replace(
        catalog.load("leakage"), observed=(Observation("1", "no_such_function()"),)
    )
    [problem] = observed.problems(kata, brief="1")
    assert "NameError" in problem


def test_katas_recomputed_by_one_interpreter_do_not_see_each_others_modules(tmp_path):
    for name, value in (("first", 1), ("second", 2), ("broken", 3)):
        (tmp_path / name).mkdir()
        body = f"VALUE = {value}\n" if name != "broken" else "raise RuntimeError('at import')\n"
        (tmp_path / name / "pipeline.py").write_text(body)
    answers = observed.recompute_many(
        [
            (tmp_path / n, ["pipeline"], ["VALUE * 10"], tmp_path / n)
            for n in ("first", "broken", "second")
        ]
    )
    assert answers[0] == [(True, "10")] and answers[2] == [(True, "20")], answers
    [(ok, why)] = answers[1]
    assert not ok and "could not be imported" in why and "at import" in why, why
