"""The instructor's bug generator: judging, ranking, writing variants, sandboxes, and whole campaigns."""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomli_w

from tools import ROOT, UserError
from tools.core import catalog, patch
from tools.core.collector import Outcome, Report
from tools.core.variants import read_variant
from tools.mutation import cli, install, model, mutmut_api, sandbox, selection, strength

from .conftest import run_tool

LEAKAGE = (ROOT / "fixed" / "leakage" / "pipeline.py").read_text()


def report(*failures: tuple[str, str], passed: int = 2) -> Report:
    outcomes = [Outcome(f"test_x.py::test_ok_{i}", True) for i in range(passed)]
    outcomes += [Outcome(f"test_x.py::{test}", False, reason) for test, reason in failures]
    return Report(outcomes, exit_code=1 if failures else 0)


def mutant(
    ident: str, *failing: str, source: str = "mutmut", line: int = 1, **fields
) -> model.Mutant:
    """A killed mutant that fails ``failing``; ``fields`` may set operator, function, code, reason."""
    operator, function = fields.get("operator", ident), fields.get("function", "f")
    m = model.Mutant(ident, source, operator, "x", function, "pipeline.py", fields.get("code", ""))
    m.status, m.line, m.failing = "killed", line, sorted(failing)
    m.reasons = dict.fromkeys(m.failing, fields.get("reason", "assertion"))
    m.bug_class = fields.get("bug_class", "comparison")
    return m


# -- judging and ranking -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        (report(), "survived"),
        (report(("test_a", "assertion")), "killed"),
        (report(("test_a", "assertion"), ("test_b", "numerical")), "killed"),
        (report(("test_a", "assertion"), ("test_b", "crash")), "crashed"),
        (report(("test_a", "setup")), "crashed"),
        (report(("test_a", "missing")), "crashed"),
        (report(("test_a", "assertion"), ("test_b", "timeout")), "timeout"),
        (None, "timeout"),
        (Report([], exit_code=3), "crashed"),
    ],
)
def test_verdict_keeps_only_behavioural_failures(result, expected):
    assert model.verdict(result) == expected


def test_ranking_puts_ml_classes_first_then_the_subtlest_and_spreads_the_picks():
    many = mutant("ml-a-f", "t1", "t2", "t3", source="ml", operator="a", bug_class="leakage")
    one = mutant("ml-b-g", "t1", source="ml", line=2, function="g", operator="b", bug_class="shape")
    same_site = mutant(
        "ml-c-g", "t2", source="ml", line=2, function="g", operator="c", bug_class="guard"
    )
    generic = mutant("m-h-1", "t1", line=3, function="h")  # a boundary moved: a generic slip
    data = mutant("ml-d-make", "t3", source="ml", line=4, function="make_data", bug_class="shape")
    crashed = mutant("ml-e-f", "t1", source="ml", line=5, operator="e", bug_class="leakage")
    crashed.status = "crashed"
    order = selection.ranked([generic, many, one, same_site, data, crashed], seed=0)
    assert crashed not in order
    assert data not in order, "a bug in the code that makes the kata's data is never handed out"
    assert order[:2] == [many, same_site], "by the class's rank, then the fewest failing tests"
    assert order[2:] == [one, generic], "a second bug on the same line after the others"


def test_at_most_one_generic_slip_in_five_while_ml_classes_last():
    ml = [
        mutant(f"ml-x{i}-f{i}", f"t{i}", source="ml", line=i, function=f"f{i}", operator=f"x{i}",
               bug_class=key)
        for i, key in enumerate(["leakage", "shape", "guard", "stability", "copy", "merge"])
    ]  # fmt: skip
    generic = [mutant(f"m-g{i}-1", "t9", line=50 + i, function=f"g{i}") for i in range(4)]
    order = selection.ranked(generic + ml, seed=3)
    assert [m.source for m in order] == ["ml"] * 4 + ["mutmut"] + ["ml"] * 2 + ["mutmut"] * 3


def test_ranking_is_deterministic_for_a_seed_which_only_breaks_ties():
    tied = [mutant(f"m-f{i}-1", "t1", line=i, function=f"f{i}") for i in range(12)]
    assert [m.id for m in selection.ranked(tied, 7)] == [
        m.id for m in selection.ranked(tied[::-1], 7)
    ]
    assert {tuple(m.id for m in selection.ranked(tied, s)) for s in range(5)} != {
        tuple(m.id for m in tied)
    }
    subtle = mutant("m-z-1", "t1", line=99, function="z")
    louder = mutant("m-a-1", "t1", "t2", line=98, function="a")
    for seed in range(5):
        assert selection.ranked([louder, subtle], seed)[0] is subtle


def test_triage_sets_aside_docstring_and_message_mutants_and_duplicates():
    fixed = {
        "pipeline.py": 'def f(x):\n    """Doc."""\n    if x < 0:\n        raise ValueError("negative")\n    return x + 1\n'
    }
    doc = model.Mutant(
        "m-f-1",
        "mutmut",
        "k1",
        "mutmut",
        "f",
        "pipeline.py",
        fixed["pipeline.py"].replace("Doc.", "XXDoc.XX"),
    )
    message = model.Mutant(
        "m-f-2",
        "mutmut",
        "k2",
        "mutmut",
        "f",
        "pipeline.py",
        fixed["pipeline.py"].replace('"negative"', '"NEGATIVE"'),
    )
    real = model.Mutant(
        "m-f-3",
        "mutmut",
        "k3",
        "mutmut",
        "f",
        "pipeline.py",
        fixed["pipeline.py"].replace("x + 1", "x - 1"),
    )
    real.status = "killed"
    twin = model.Mutant(
        "ml-sign-f",
        "ml",
        "sign",
        "gradient",
        "f",
        "pipeline.py",
        fixed["pipeline.py"].replace("x + 1", "x  -  1"),
    )
    none = model.Mutant(
        "m-f-4",
        "mutmut",
        "k4",
        "mutmut",
        "f",
        "pipeline.py",
        fixed["pipeline.py"].replace('"negative"', "None"),
    )
    kind = model.Mutant(
        "m-f-5",
        "mutmut",
        "k5",
        "mutmut",
        "f",
        "pipeline.py",
        fixed["pipeline.py"].replace("ValueError", "TypeError"),
    )
    mutants = [doc, message, real, twin, none, kind]
    model.triage(mutants, fixed)
    assert [m.status for m in mutants] == [
        "ignored",
        "ignored",
        "duplicate",
        "killed",
        "ignored",
        "",
    ]
    assert real.same_as == "ml-sign-f", (
        "our operator's mutant represents the pair and inherits the verdict"
    )


def test_description_names_the_function_the_line_and_the_change():
    m = model.Mutant("ml-x", "ml", "drop-guard", "numerics", "StandardScaler.fit", "pipeline.py",
                      LEAKAGE.replace("np.where(scale > 0, scale, 1.0)", "scale"),
                      "Numerics: a guarded value loses its guard (``np.where``).")  # fmt: skip
    text = model.describe(m, LEAKAGE)
    assert text.startswith(
        "Numerics: a guarded value loses its guard; StandardScaler.fit, line 44:"
    )
    assert "`self.scale_ = scale`" in text and m.line == 44


# -- writing variants ----------------------------------------------------------------------------


def test_manifest_reads_back_exactly_through_the_learner_side_reader(tmp_path):
    kata = catalog.load("leakage")
    m = mutant("m-fit-3", "test_leakage.py::test_a", "test_leakage.py::test_b[x-1]")
    m.code, m.function = LEAKAGE.replace("scale > 0", "scale >= 0"), "StandardScaler.fit"
    description = 'f: `a` -> `"b"` and """doc""" \\ back\\slash'
    folder = tmp_path / "v123456"
    folder.mkdir()
    ran = Report(
        [Outcome(t, False, "assertion", "AssertionError", "moved 1.5 -> 2") for t in m.failing]
    )
    text = install.manifest(kata, m, "v123456", description, ran, LEAKAGE)
    (folder / "variant.toml").write_text(text)
    data = read_variant(folder)
    assert data["description"] == description and data["failing_tests"] == m.failing
    assert "diff" not in data, "the change is change.patch, beside variant.toml"
    assert (
        data["id"] == "v123456" and data["operator"] == m.id and data["bug_class"] == "comparison"
    )
    assert "m-fit" not in data["title"] and "moved 1.5 -> 2" in data["brief"]
    assert len(data["hints"]) == 3 and data["explanation"]


def test_a_killed_install_is_rolled_back_and_stale_staging_is_swept(tmp_path):
    build, variants = tmp_path / "build", tmp_path / "variants"
    area = build / "staging" / "leakage-1"
    (area / "old-m-a-1").mkdir(parents=True)
    (area / "old-m-a-1" / "pipeline.py").write_text("the variant a campaign moved aside\n")
    (area / "old-m-b-1").mkdir()
    (variants / "m-b-1").mkdir(parents=True)  # already replaced by the new version: keep that one
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    owner = {"pid": dead.pid, "started": time.time(), "variants": str(variants)}
    (area / sandbox.OWNER).write_text(json.dumps(owner))
    restored = install.recover(build)
    assert restored == [variants / "m-a-1"]
    assert (
        variants / "m-a-1" / "pipeline.py"
    ).read_text() == "the variant a campaign moved aside\n"
    assert not area.exists()


def test_sweep_removes_only_sandboxes_whose_owner_is_gone(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    for name, pid in (("gone", dead.pid), ("alive", os.getpid())):
        (tmp_path / name).mkdir()
        (tmp_path / name / sandbox.OWNER).write_text(
            json.dumps({"pid": pid, "started": time.time()})
        )
    (tmp_path / "being-made").mkdir()
    (tmp_path / "half-made").mkdir()
    os.utime(tmp_path / "half-made", (time.time() - 3600, time.time() - 3600))
    removed = sandbox.sweep(tmp_path)
    assert sorted(p.name for p in removed) == ["gone", "half-made"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alive", "being-made"]


def test_sandbox_holds_copies_only_and_disappears(tmp_path):
    kata = catalog.load("leakage")
    with sandbox.sandbox(kata, parent=tmp_path) as box:
        assert (box.root / "pipeline.py").read_text() == LEAKAGE
        assert (box.root / "tests" / "conftest.py").is_file()
        assert (box.root / "tests" / "leakage" / "test_leakage.py").is_file()
        assert not any(p.is_symlink() for p in box.root.rglob("*"))
        mutmut_api.write_config(box, timeout=3.0)
        config = (box.root / "pyproject.toml").read_text()
        import tomllib

        settings = tomllib.loads(config)["tool"]
        assert settings["mutmut"]["source_paths"] == ["pipeline.py"]
        assert settings["mutmut"]["pytest_add_cli_args"][:2] == ["--impl", str(box.mutants)]
        # a busy machine must not fail a mutant: wall time is a backstop, CPU time the limit
        assert settings["pytest"]["ini_options"]["timeout"] >= 120
        assert mutmut_api.cpu_seconds(box) == 3.0
    assert not box.root.exists()


def test_mutmuts_engine_makes_plain_modules_one_change_each_in_its_own_function(tmp_path):
    pytest.importorskip("mutmut")
    from mutmut.configuration import reset_config
    from mutmut.mutation.file_mutation import mutate_file_contents

    kata = catalog.load("leakage")
    with sandbox.sandbox(kata, parent=tmp_path) as box:
        mutmut_api.write_config(box, timeout=3.0)
        made, touched = mutmut_api.generate(box, {"pipeline.py": LEAKAGE})
        os.chdir(box.root)
        try:
            reset_config()
            theirs = mutate_file_contents("pipeline.py", LEAKAGE).mutant_names
        finally:
            os.chdir(ROOT)
            reset_config()
    assert len(made) == len(theirs), "the same mutants a mutmut run would test"
    tree = ast.parse(LEAKAGE)
    spans = {
        n.name: (n.lineno, n.end_lineno) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)
    }
    for m in made:
        assert m.code != LEAKAGE and m.source == "mutmut"
        compile(m.code, m.id, "exec")
        first, last = spans[m.function.rsplit(".", 1)[-1]]
        assert touched[m.id] and all(first <= line <= last for line in touched[m.id])
        assert model.changed_lines(LEAKAGE, m.code) <= touched[m.id] | {min(touched[m.id]) - 1}


def test_each_mutant_runs_only_the_tests_that_reach_its_lines_through_fixtures_too(
    tmp_path, monkeypatch
):
    from tools.mutation import workers

    for name, module in list(sys.modules.items()):  # this session's conftest is not the sandbox's
        if Path(getattr(module, "__file__", None) or "/").is_relative_to(ROOT / "tests"):
            monkeypatch.delitem(sys.modules, name)
    kata = catalog.load("leakage")
    with sandbox.sandbox(kata, parent=tmp_path) as box:
        mutmut_api.write_config(box, timeout=10.0)
        report, reach = workers.baseline(box)
    assert report.passed and len(reach.fixtures) == len(report.outcomes)
    climb = next(i for i, line in enumerate(LEAKAGE.splitlines(), 1) if "w -= lr *" in line)
    through_fit = reach.tests("pipeline.py", {climb})
    names = [t.split("::")[-1] for t in through_fit]
    assert "test_model_ignores_test_rows" in names, "run_pipeline's module fixture fits the model"
    assert "test_sigmoid_matches_its_definition" not in names
    assert reach.tests("pipeline.py", {10_000}) == []


# -- reports ---------------------------------------------------------------------------------------


def test_figures_score_only_what_was_tested(tmp_path):
    statuses = ["killed"] * 6 + [
        "crashed",
        "timeout",
        "survived",
        "survived",
        "ignored",
        "duplicate",
    ]
    records = [
        {"id": f"m-{i}", "source": "mutmut" if i % 2 else "ml", "status": s, "mutmut_status": "killed",
         "failing": ["t"], "function": "f", "line": i, "operator": "o", "description": "d", "diff": "-a\n+b\n",
         "same_as": ""}
        for i, s in enumerate(statuses)
    ]  # fmt: skip
    result = strength.summarise("demo", records, variants=["m-0"], timing={})
    f = result["figures"]
    assert (f["made"], f["tested"], f["caught"], f["survived"], f["score"]) == (12, 10, 8, 2, 0.8)
    text = strength.render_text(result)
    assert re.search(r"mutation score +80.0 % +\(mutmut 80.0 %", text)
    assert re.search(r"survivors +2 .*: 0 learner-worthy, below; 2 others", text)
    page = strength.render_html(result)
    assert page.startswith("<!doctype html>") and "<script" not in page and "m-8" in page
    assert strength.committed(result)["survivors"][0]["id"] == "m-8"
    strength.write_reports(result, tmp_path)
    summary = json.loads(strength.write_summary(tmp_path)[0].read_text())
    rows = summary["katas"]
    assert rows == [{**rows[0], "slug": "demo", "made": 12, "score": 0.8, "variants": 1}]
    assert summary["operators"] == [{"operator": "o", "made": 6, "caught": 4, "handed_out": 0}]
    assert (tmp_path / "summary.html").read_text().startswith("<!doctype html>")


# -- the command line --------------------------------------------------------------------------------


def arguments(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "name a kata"),
        (("leakag",), "unknown kata 'leakag'; did you mean leakage"),
        (("leakage", "--count", "0"), "--count 0 writes no variants: add --no-write"),
        (("leakage", "--jobs", "0"), "--count must be at least 0 and --jobs at least 1"),
        (("leakage", "--operator", "nope"), "unknown operator 'nope'"),
        (("--all", "--shard", "3/2"), "--shard should be K/N"),
    ],
)
def test_usage_mistakes_are_one_line_errors(argv, message):
    with pytest.raises(UserError, match=message.replace("?", r"\?")):
        cli.run(arguments(*argv))


def test_missing_mutmut_says_how_to_get_it(monkeypatch):
    real = mutmut_api.importlib.util.find_spec
    monkeypatch.setattr(
        mutmut_api.importlib.util,
        "find_spec",
        lambda name: None if name == "mutmut" else real(name),
    )
    with pytest.raises(
        UserError, match=r"mutmut is not installed.*nox -s mutate.*--operators-only"
    ):
        cli.run(arguments("leakage"))


def test_shards_split_the_catalog_between_ci_jobs():
    every = catalog.slugs()
    shards = [cli.chosen_slugs(arguments("--shard", f"{k}/3")) for k in (1, 2, 3)]
    assert sorted(s for shard in shards for s in shard) == sorted(every)


def test_operators_are_listed(capsys):
    assert cli.run(arguments("--list-operators")) == 0
    assert "leak-fit-all-rows" in capsys.readouterr().out


# -- whole campaigns (slow: they run mutmut) --------------------------------------------------------


def tree_digest(*folders: Path) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(str(path).encode() + path.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow
@pytest.mark.timeout(3600)  # a whole campaign and a self-check, on a possibly busy machine
def test_a_campaign_writes_variants_that_the_self_check_accepts(repo):
    (repo / "katas" / "leakage" / "pipeline.py").write_text("# the learner's work in progress\n")
    protected = tree_digest(repo / "fixed", repo / "tests", repo / "katas")
    variants = repo / "broken" / "leakage" / "variants"
    done = run_tool(repo, "mutate", "leakage", "--count", "3", timeout=1800)
    assert done.returncode == 0, done.stderr + done.stdout
    assert tree_digest(repo / "fixed", repo / "tests", repo / "katas") == protected
    result = json.loads((repo / "build" / "mutation" / "leakage.json").read_text())
    assert len(result["variants"]) == 3 and (repo / "build" / "mutation" / "leakage.html").is_file()
    for ident in result["variants"]:
        manifest = read_variant(variants / ident)
        assert manifest["failing_tests"] and manifest["source"] in ("mutmut", "ml")
    assert json.loads((variants / "strength.json").read_text())["figures"] == result["figures"]
    # the mutants' session fails the kata's broken version exactly on its listed tests, and
    # each mutant ran on the tests that reach its lines: fewer than all, more than none ...
    checked = result["activation"]
    assert checked["proof"] and 0 < checked["mean_tests_per_mutant"] < checked["tests"]
    # ... and a mutant that makes gradient descent climb is killed; mutmut's twin of it is ours.
    climbing = [m for m in result["mutants"] if "+        w += lr * (X.T @ error) / n" in m["diff"]]
    assert sorted((m["source"], m["status"]) for m in climbing) == [
        ("ml", "killed"),
        ("mutmut", "duplicate"),
    ]
    verified = run_tool(repo, "verify", "leakage", timeout=900)
    assert verified.returncode == 0, verified.stdout


@pytest.mark.slow
def test_sigkill_half_way_writes_nothing_protected_and_the_next_run_sweeps_up(repo, tmp_path):
    (repo / "katas" / "leakage" / "pipeline.py").write_text("# the learner's work in progress\n")
    protected = tree_digest(repo / "fixed", repo / "tests", repo / "katas")
    before = tree_digest(repo / "broken")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    child = subprocess.Popen([sys.executable, "-m", "tools", "mutate", "leakage"], cwd=repo, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 900
    while not list(scratch.glob("kata-mutate-*/leakage-*/impl/0*/report.json")):  # mutants half way
        assert child.poll() is None and time.monotonic() < deadline, "the campaign never got going"
        time.sleep(0.1)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert tree_digest(repo / "fixed", repo / "tests", repo / "katas") == protected
    assert tree_digest(repo / "broken") == before
    stale = list(scratch.glob("kata-mutate-*/leakage-*"))
    assert stale, "the killed campaign's sandbox should still be there, waiting to be swept"
    quick = ("mutate", "leakage", "--operators-only", "--operator", "drop-guard", "--no-write")
    again = run_tool(repo, *quick, env={"TMPDIR": str(scratch)}, timeout=900)
    assert again.returncode == 0, again.stderr
    assert not any(path.exists() for path in stale)
    assert tree_digest(repo / "broken") == before


@pytest.mark.slow
def test_several_katas_in_one_run_each_get_their_own_report(repo):
    twin = "leakage-twin"
    for part in ("fixed", "broken", "katas"):
        shutil.copytree(repo / part / "leakage", repo / part / twin)
    shutil.copytree(repo / "tests" / "leakage", repo / "tests" / twin)
    quick = ("--operators-only", "--operator", "drop-guard", "--operator", "drop-transpose")
    done = run_tool(repo, "mutate", "leakage", twin, *quick, "--no-write", timeout=900)
    assert done.returncode == 0, done.stderr
    rows = json.loads((repo / "build" / "mutation" / "summary.json").read_text())["katas"]
    assert [(r["slug"], r["made"], r["caught"]) for r in rows] == [("leakage", 2, 2), (twin, 2, 2)]


def test_only_changes_that_model_a_real_mistake_are_offered_to_learners():
    fixed = "def f(y, p, lr):\n    if p < y:\n        return g(y, p * 0.5)\n    return lr\n"
    glaring = mutant("m-f-1", "t1", code=fixed.replace("g(y, p * 0.5)", "g(None, p * 0.5)"))
    constant = mutant("m-f-2", "t1", code=fixed.replace("0.5", "1.5"))
    flipped = mutant("m-f-3", "t1", "t2", "t3", code=fixed.replace("p < y", "p <= y"))
    for m in (glaring, constant, flipped):
        model.describe(m, fixed)
    assert [m.bug_class for m in (glaring, constant, flipped)] == ["", "", "comparison"]
    assert [m.id for m in selection.ranked([glaring, constant, flipped], 0)] == ["m-f-3"]


def test_relabel_judges_the_change_again_and_rewrites_the_texts_from_a_run(tmp_path, monkeypatch):
    kata = catalog.load("leakage")
    folder = tmp_path / "variants" / "v000001"
    folder.mkdir(parents=True)
    climbing = LEAKAGE.replace("w -= lr *", "w += lr *", 1)
    (folder / "change.patch").write_text(
        patch.make({"pipeline.py": LEAKAGE}, {"pipeline.py": climbing})
    )
    old = {"id": "v000001", "source": "mutmut", "operator": "pipeline.x_fit__mutmut_1",
           "function": "fit_logistic_regression", "bug_class": "sign", "category": "algorithm",
           "difficulty": 5, "description": "d", "failing_tests": ["test_leakage.py::test_a"],
           "title": "t", "concepts": [], "hints": ["An addition or a subtraction is the wrong way round", "b", "c"],
           "explanation": "A sign flipped.", "brief": "b"}  # fmt: skip
    (folder / "variant.toml").write_text(tomli_w.dumps(old))
    monkeypatch.setattr(type(kata), "variants", property(lambda self: tmp_path / "variants"))
    assert install.relabel(kata) == [folder / "variant.toml"]
    data = read_variant(folder)
    assert data["bug_class"] == "gradient-sign" and data["category"] == "gradient"
    assert data["failing_tests"] == old["failing_tests"], "relabel keeps the recorded tests"
    assert "`fit_logistic_regression`" in data["hints"][1] and data["difficulty_evidence"]
    assert "w += lr *" in data["explanation"] and "Why it matters" in data["explanation"]
    assert install.relabel(kata) == [], "a second relabel changes nothing"
