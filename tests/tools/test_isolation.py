"""Learner code runs apart from the tools, and nothing a learner does can fake a pass or lose work.

Each test reproduces a way a learner's file (or a second terminal, or a bad progress file) could
once fool or crash the tools, and checks what a learner now sees.
"""

import json
import multiprocessing
import os
import re
import stat
import subprocess
import sys

import pytest

from tools.core import catalog, patch, runner, state
from tools.mutation import sandbox

from .conftest import ROOT

WORKSPACE = "katas/leakage/pipeline.py"
FIRST_LINE = "def run_pipeline(df, test_size=0.25, seed=0):\n"


def plant(repo, line):
    """The broken kata with ``line`` as the first statement of run_pipeline."""
    text = (repo / "broken/leakage/pipeline.py").read_text()
    assert FIRST_LINE in text
    (repo / WORKSPACE).write_text(text.replace(FIRST_LINE, FIRST_LINE + f"    {line}\n"))


def solved(repo):
    data = json.loads((repo / "katas/.state.json").read_text())
    return data["katas"]["leakage"].get("solved_at")


@pytest.mark.parametrize(
    "line",
    [
        'import pytest; pytest.skip("later")',
        'import pytest; pytest.xfail("later")',
        'import unittest; raise unittest.SkipTest("later")',
    ],
    ids=["skip", "xfail", "unittest-skip"],
)
def test_a_skipped_test_is_not_a_pass(repo, tool, line):
    tool("kata", "leakage")
    plant(repo, line)
    done = tool("kata", "leakage")
    assert done.returncode == 1, done.stdout
    assert "Solved" not in done.stdout and "All" not in done.stdout.split("tests")[0]
    assert "skipped" in done.stdout or "expected failure" in done.stdout
    assert not solved(repo)


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("import os; os._exit(0)", "ended the process (exit status 0"),
        ("import os; os._exit(2)", "ended the process (exit status 2"),
        ("import faulthandler; faulthandler._sigsegv()", "SIGSEGV"),
        ("import pytest; pytest.exit('bye')", "stopped the test run"),
    ],
    ids=["exit-0", "exit-2", "segfault", "pytest-exit"],
)
def test_code_that_ends_the_process_is_reported_in_the_learners_terms(repo, tool, line, said):
    tool("kata", "leakage")
    plant(repo, line)
    done = tool("kata", "leakage")
    assert done.returncode == 1, done.stdout + done.stderr
    assert said in " ".join(done.stdout.split()), done.stdout
    assert "test_" in done.stdout, "the test that was running is named"
    assert "Traceback" not in done.stdout + done.stderr and "Fatal Python" not in done.stderr
    assert not solved(repo)


def test_patches_made_by_learner_code_do_not_reach_the_next_run(tmp_path):
    """The warm parent forks each run: a patched assertion dies with its child (watch mode)."""
    cheat = tmp_path / "cheat"
    cheat.mkdir()
    text = (ROOT / "broken/leakage/pipeline.py").read_text()
    patch = (
        "import numpy.testing, pytest\n"
        "numpy.testing.assert_allclose = lambda *a, **k: None\n"
        "pytest.approx = lambda expected, **k: expected\n"
    )
    (cheat / "pipeline.py").write_text(patch + text)
    runner.run("leakage", cheat)
    again = runner.run("leakage", ROOT / "broken/leakage")
    assert again.failing_tests == sorted(catalog.load("leakage").failing_tests)
    import numpy.testing

    assert numpy.testing.assert_allclose.__module__.startswith("numpy"), "the parent was patched"


def test_scratch_files_named_like_standard_modules_shadow_nothing(repo, tool):
    tool("kata", "leakage")
    for name in ("json", "random", "copy"):
        (repo / f"katas/leakage/{name}.py").write_text("x = 1\n")
    done = tool("kata", "leakage")
    assert done.returncode == 1
    assert re.search(r"4 of \d+ tests fail", done.stdout), done.stdout


def test_every_collected_test_must_report_a_pass(tmp_path):
    from tools.core.collector import Outcome, Report

    report = Report([Outcome("t.py::a", True)], 0, collected=["t.py::a", "t.py::b"])
    assert not report.passed, "a collected test without an outcome counts as not passed"
    report.outcomes.append(Outcome("t.py::b", True))
    assert report.passed


def _hint_many(path, slug, times):
    for _ in range(times):
        state.update(slug, lambda r: r.update(hints_shown=r["hints_shown"] + 1), path=path)


def test_concurrent_state_changes_are_never_lost(tmp_path):
    path = tmp_path / ".state.json"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_hint_many, args=(path, "leakage", 40)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert state.record("leakage", path=path)["hints_shown"] == 120


def test_a_field_of_the_wrong_type_is_reset_not_fatal(repo, tool):
    tool("kata", "leakage")
    path = repo / "katas/.state.json"
    data = json.loads(path.read_text())
    data["katas"]["leakage"]["hints_shown"] = "x"
    data["katas"]["leakage"]["attempts"] = {"not": "a list"}
    path.write_text(json.dumps(data))
    hint = tool("kata", "leakage", "--hint")
    assert hint.returncode == 0 and "Traceback" not in hint.stderr, hint.stderr
    assert "Hint 1 of" in hint.stdout, "the unreadable hint count starts again from zero"
    assert "hints_shown" in hint.stderr, "the reset field is named in a warning"
    for args in (("list",), ("kata", "leakage")):
        done = tool(*args)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode in (0, 1), done.stderr


def test_an_unwritable_folder_is_a_one_line_error(monkeypatch, capsys):
    from tools import cli
    from tools.core import exercise

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(ROOT / "katas/leakage/pipeline.py"))

    monkeypatch.setattr(exercise.Exercise, "checkout", refuse)
    monkeypatch.setattr(state, "update", lambda *a, **k: None)
    code = cli.main(["kata", "leakage"])
    err = capsys.readouterr().err
    assert code == 2 and "permission denied" in err and len(err.strip().splitlines()) == 1


def test_end_of_input_at_the_diff_prompt_is_a_no(monkeypatch, capsys):
    from tools import cli
    from tools.practice import learner

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)

    def eof(prompt=""):
        raise EOFError

    monkeypatch.setattr("builtins.input", eof)
    monkeypatch.setattr(learner.state, "record", lambda slug: state.clean_record(slug, {}))
    code = cli.main(["kata", "leakage", "--diff"])
    err = capsys.readouterr().err
    assert code == 2 and "not solved yet" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [("--reset",), ("--hint",), ("--variant", "x"), ("--diff", "--yes")],
    ids=["reset", "hint", "variant", "diff"],
)
def test_an_action_without_a_kata_is_a_usage_error(repo, tool, args):
    done = tool("kata", *args)
    assert done.returncode == 2, done.stdout
    assert "needs a kata" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_an_empty_variant_id_is_a_usage_error(repo, tool):
    done = tool("kata", "leakage", "--variant", "")
    assert done.returncode == 2 and "needs a variant id" in done.stderr


LEAKAGE = ("fixed/leakage", "broken/leakage")


def test_a_vanished_variant_leaves_the_learner_able_to_test_reset_and_compare(repo, tool):
    variant = repo / "broken/leakage/variants/v1"
    variant.mkdir(parents=True)
    files = [{"pipeline.py": (repo / part / "pipeline.py").read_text()} for part in LEAKAGE]
    (variant / "change.patch").write_text(patch.make(*files))
    (variant / "variant.toml").write_text(
        'id = "v1"\nsource = "ml"\noperator = "x"\ndescription = "x"\n'
        'failing_tests = ["test_leakage.py::test_model_ignores_test_rows"]\n'
    )
    assert tool("kata", "leakage", "--variant", "v1").returncode == 1
    (repo / "katas/leakage-v1/pipeline.py").write_text("# my work on the variant\n")
    for path in variant.iterdir():
        path.unlink()
    variant.rmdir()
    plain = tool("kata", "leakage")
    assert plain.returncode == 1 and "has no variant" not in plain.stderr, plain.stderr
    diff = tool("kata", "leakage", "--diff", "--yes")
    assert diff.returncode == 0, diff.stderr
    reset = tool("kata", "leakage", "--reset")
    assert reset.returncode == 1, reset.stdout + reset.stderr
    gone = tool("kata", "leakage-v1")
    assert gone.returncode == 2 and "no longer exists" in gone.stderr, gone.stdout + gone.stderr
    assert len(gone.stderr.strip().splitlines()) == 1 and "Traceback" not in gone.stderr
    assert (repo / "katas/leakage-v1/pipeline.py").read_text() == "# my work on the variant\n"


def test_checked_out_files_follow_the_umask(repo):
    done = subprocess.run(
        [sys.executable, "-c", "import os, sys; os.umask(0o022); sys.argv[1:] = ['kata', 'leakage'];"
         "from tools.cli import main; sys.exit(main())"],
        cwd=repo, capture_output=True, text=True, check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    mode = stat.S_IMODE((repo / WORKSPACE).stat().st_mode)
    assert mode == 0o644, f"checked-out file has mode {oct(mode)}"


def test_backups_never_go_through_a_link_out_of_the_repository(repo, tool, tmp_path_factory):
    tool("kata", "leakage")
    outside = tmp_path_factory.mktemp("outside")
    (repo / "katas/leakage/.backups").symlink_to(outside, target_is_directory=True)
    (repo / WORKSPACE).write_text("# my work\n")
    done = tool("kata", "leakage", "--reset")
    assert (done.returncode == 2 and "outside" in done.stderr) or "link" in done.stderr
    assert not any(outside.iterdir()), "a backup was written outside the repository"
    assert (repo / WORKSPACE).read_text() == "# my work\n", "the learner's work was replaced"


def test_sandboxes_live_in_a_private_folder(tmp_path):
    parent = sandbox.private_parent(tmp_path)
    assert stat.S_IMODE(parent.stat().st_mode) == 0o700
    parent.chmod(0o777)
    with pytest.raises(Exception, match="not a private folder"):
        sandbox.private_parent(tmp_path)
    parent.chmod(0o700)
    parent.rmdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    parent.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(Exception, match="not a private folder"):
        sandbox.private_parent(tmp_path)


@pytest.mark.slow
def test_a_loop_that_never_ends_is_stopped_and_named(repo, tool):
    tool("kata", "leakage")
    text = (repo / "broken/leakage/pipeline.py").read_text()
    marker = "    for _ in range(epochs):\n"
    assert marker in text
    (repo / WORKSPACE).write_text(text.replace(marker, "    while True:\n", 1))
    done = tool("kata", "leakage", env={"KATA_CPU_SECONDS": "0.2"}, timeout=600)
    said = " ".join(done.stdout.split())
    assert done.returncode == 1, done.stdout + done.stderr
    assert "did not finish within the time limit" in said, said
    # Stopped wherever the loop was: in its own body or in the sigmoid it calls each step.
    assert re.search(r"in (fit_logistic_regression|sigmoid)\b", said), (
        f"the message names no function of the loop: {said[-600:]}"
    )
    assert "Traceback" not in done.stdout + done.stderr
