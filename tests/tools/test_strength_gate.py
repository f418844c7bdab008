"""The strength gate: learner-worthy mutants caught, equivalents read from tests/<slug>/equivalents.toml."""

from __future__ import annotations

import argparse
import html
import json
import re

import pytest

from tools import UserError
from tools.core import catalog, patch, variants
from tools.mutation import cli, equivalents, strength

SCALER = "`self.scale_ = np.where(scale > 0, scale, 1.0)` -> `self.scale_ = np.where(scale >= 0, scale, 1.0)`"
ENTRY = {
    "function": "StandardScaler.fit",
    "change": "`scale > 0` -> `scale >= 0`",
    "reason": "a zero std is replaced by 1.0 either way",
}


def record(ident: str, status: str, function: str = "f", bug_class: str = "comparison",
           change: str = "`a < b` -> `a <= b`", line: int = 3) -> dict:  # fmt: skip
    return {
        "id": ident, "source": "mutmut", "operator": ident, "status": status, "mutmut_status": "",
        "failing": ["t"] if status != "survived" else [], "function": function, "line": line,
        "bug_class": bug_class, "description": f"{function}, line {line}: {change}",
        "diff": "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n", "same_as": "",
    }  # fmt: skip


def test_an_entry_matches_its_function_and_change_whatever_the_line():
    mutant = record("m-1", "survived", "StandardScaler.fit", change=SCALER, line=44)
    assert equivalents.matches(ENTRY, mutant)
    assert equivalents.matches(
        ENTRY, {**mutant, "description": mutant["description"].replace("44", "47")}
    )
    assert equivalents.matches({**ENTRY, "change": "np.where(scale >= 0"}, mutant), (
        "plain substring"
    )
    assert not equivalents.matches({**ENTRY, "function": "StandardScaler.transform"}, mutant)
    assert not equivalents.matches({**ENTRY, "change": "`scale >= 0` -> `scale > 0`"}, mutant)
    ml = {
        **mutant,
        "description": f"Numerics: a guard is loosened; StandardScaler.fit, line 44: {SCALER}",
    }
    assert equivalents.matches(ENTRY, ml), "an ML operator's description starts with its summary"


def test_the_gate_counts_learner_worthy_mutants_and_leaves_equivalents_out():
    mutants = [
        record("m-1", "killed"), record("m-2", "crashed"), record("m-3", "timeout"),
        record("m-4", "survived", "StandardScaler.fit", change=SCALER),  # equivalent
        record("m-5", "survived", "g", line=9),  # missed: a gap in the tests
        record("m-6", "survived", bug_class=""),  # a constant edit: counted apart
        record("m-7", "killed", bug_class=""),
        record("m-8", "survived", "make_data"),  # data-making code: counted apart
        record("m-9", "duplicate"), record("m-10", "ignored"),
    ]  # fmt: skip
    unused = {**ENTRY, "function": "gone", "reason": "the function was removed"}
    g = equivalents.gate(mutants, [ENTRY, unused])
    assert (g["made"], g["caught"], g["equivalent"]) == (5, 3, 1)
    assert g["score"] == 0.75, "3 caught of the 4 that are not equivalent"
    assert (g["other_made"], g["other_caught"]) == (3, 1)
    assert [e["mutants"] for e in g["equivalents"]] == [["m-4"], []]
    assert [e["function"] for e in g["unused"]] == ["gone"]
    assert g["missed"] == [
        {"id": "m-5", "function": "g", "line": 9, "change": "`a < b` -> `a <= b`"}
    ]


def test_reports_show_the_gate_the_equivalents_and_what_is_missed(tmp_path, monkeypatch):
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "equivalents.toml").write_text(
        "[[equivalent]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in ENTRY.items())
    )
    monkeypatch.setattr(equivalents, "TESTS", tmp_path)
    mutants = [record("m-1", "killed"), record("m-4", "survived", "StandardScaler.fit", change=SCALER),
               record("m-5", "survived", "g", line=9)]  # fmt: skip
    result = strength.summarise("demo", mutants, variants=[], timing={})
    assert result["figures"]["gate"]["score"] == 0.5
    text = strength.render_text(result)
    assert re.search(r"learner-worthy +1/3 ", text) and re.search(r"strength gate +50.0 %", text)
    assert "a zero std is replaced by 1.0 either way" in text
    assert "m-5  g, line 9: `a < b` -> `a <= b`" in text.split("missed")[-1]
    page = strength.render_html(result)
    assert "Strength gate" in page and "a zero std is replaced by 1.0 either way" in page
    (handed,) = result["handed_out"] = variants.listing(catalog.load("leakage"))[:1]
    assert handed["change"].startswith("--- a/pipeline.py\n+++ b/pipeline.py\n@@ ")
    page = strength.render_html(result)
    assert "Variants handed out (1): each is its change.patch" in page
    assert html.escape(patch.changed_lines(handed["change"])[1][0]) in page, "the change itself"
    assert strength.committed(result)["figures"]["gate"]["missed"][0]["id"] == "m-5"
    strength.write_reports(result, tmp_path / "build")
    summary = json.loads(strength.write_summary(tmp_path / "build")[0].read_text())
    assert summary["gate_mean"] == 0.5 and summary["katas"][0]["gate_score"] == 0.5
    assert (
        "Strength gate, mean over 1 katas: 50.0 %"
        in (tmp_path / "build" / "summary.md").read_text()
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[equivalent]]\nfunction = "f"\nchange = "x"\n', "equivalent #1: field 'reason' is missing"),
        ('[[equivalent]]\nfunction = "f"\nchange = ""\nreason = "r"\n', "equivalent #1: field 'change' is missing or empty"),
        ("[[equivalent]\n", "unreadable"),
        ('[[equivalents]]\nfunction = "f"\n', "expected only [[equivalent]] tables"),
    ],
)  # fmt: skip
def test_a_bad_equivalents_file_is_a_one_line_error_before_any_campaign(
    tmp_path, monkeypatch, text, message
):
    (tmp_path / "leakage").mkdir()
    (tmp_path / "leakage" / "equivalents.toml").write_text(text)
    monkeypatch.setattr(equivalents, "TESTS", tmp_path)
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    with pytest.raises(
        UserError, match="equivalents.toml: " + message.replace("[", r"\[")
    ) as caught:
        cli.run(parser.parse_args(["leakage", "--no-write", "--operators-only"]))
    assert "\n" not in str(caught.value)


def test_no_equivalents_file_means_no_equivalents(tmp_path):
    assert equivalents.load(tmp_path / "equivalents.toml") == []


def test_a_strength_report_alone_writes_no_variants():
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    with pytest.raises(UserError, match="--count 0 writes no variants: add --no-write"):
        cli.run(parser.parse_args(["leakage", "--count", "0"]))
