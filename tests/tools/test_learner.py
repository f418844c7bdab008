"""The learner's loop, run as a learner runs it, in a throw-away copy of the repository."""

import json
import re
import shutil
import subprocess

import pytest

WORKSPACE = "katas/leakage/pipeline.py"


def solve(repo):
    shutil.copyfile(repo / "fixed/leakage/pipeline.py", repo / WORKSPACE)


def test_first_run_checks_out_shows_the_brief_and_fails_calmly(repo, tool):
    done = tool("kata", "leakage")
    assert done.returncode == 1, done.stderr
    assert (repo / WORKSPACE).read_bytes() == (repo / "broken/leakage/pipeline.py").read_bytes()
    assert "WHAT WAS OBSERVED" in done.stdout.upper()
    assert re.search(r"4 of \d+ tests fail", done.stdout), (
        "the broken kata fails its four listed tests"
    )
    assert re.search(r"1\. test_model_ignores_test_rows\n {5}\S", done.stdout), (
        "each failing test is named and followed by its message"
    )
    assert "Traceback" not in done.stdout + done.stderr
    assert "--hint" in done.stdout and WORKSPACE in done.stdout


def test_later_runs_keep_the_learners_edits(repo, tool):
    tool("kata", "leakage")
    edited = (repo / WORKSPACE).read_text() + "\n# my notes\n"
    (repo / WORKSPACE).write_text(edited)
    done = tool("kata", "leakage")
    assert done.returncode == 1
    assert (repo / WORKSPACE).read_text() == edited
    assert "WHAT WAS OBSERVED" not in done.stdout.upper(), (
        "the brief is shown only on the first run"
    )


def test_solving_prints_success_and_the_explanation_and_records_it(repo, tool):
    tool("kata", "leakage")
    solve(repo)
    done = tool("kata", "leakage")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"All \d+ tests pass", done.stdout)
    assert "Why it mattered" in done.stdout and "--diff" in done.stdout
    listing = tool("list")
    assert "solved" in listing.stdout and "1 of 1 katas solved" in listing.stdout


def test_reset_backs_up_the_learners_files_first(repo, tool):
    tool("kata", "leakage")
    (repo / WORKSPACE).write_text("# half-way through my fix\n")
    done = tool("kata", "leakage", "--reset")
    assert done.returncode == 1
    assert (repo / WORKSPACE).read_bytes() == (repo / "broken/leakage/pipeline.py").read_bytes()
    backups = list((repo / "katas/leakage/.backups").glob("*/pipeline.py"))
    assert [b.read_text() for b in backups] == ["# half-way through my fix\n"]
    assert "saved in" in done.stdout


def test_hints_are_progressive_and_remembered(repo, tool):
    first = tool("kata", "leakage", "--hint")
    second = tool("kata", "leakage", "--hint")
    assert first.returncode == second.returncode == 0
    assert "Hint 1 of 3" in first.stdout and "Hint 2" not in first.stdout
    assert "Hint 2 of 3" in second.stdout
    state = json.loads((repo / "katas/.state.json").read_text())
    assert state["katas"]["leakage"]["hints_shown"] == 2
    tool("kata", "leakage", "--hint")
    last = tool("kata", "leakage", "--hint")
    assert "last hint" in last.stdout and "Hint 3 of 3" in last.stdout


def test_solution_diff_needs_confirmation_before_solving(repo, tool):
    tool("kata", "leakage")
    refused = tool("kata", "leakage", "--diff")
    assert refused.returncode == 2 and "--diff --yes" in refused.stderr
    shown = tool("kata", "leakage", "--diff", "--yes")
    assert shown.returncode == 0 and "+++ reference/pipeline.py" in shown.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("kata", "leakag"), "did you mean leakage"),
        (("kata", "leakage", "--no-such-option"), "unrecognized arguments"),
        (("kata", "leakage", "--variant", "nope"), "has no variant 'nope'"),
        (("frobnicate",), "expected one of"),
    ],
)
def test_bad_input_gets_one_line_and_exit_status_2(tool, args, expected):
    done = tool(*args)
    assert done.returncode == 2
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_a_syntax_error_points_at_the_file_and_line(repo, tool):
    tool("kata", "leakage")
    source = (
        (repo / WORKSPACE)
        .read_text()
        .replace("def accuracy(y_true, y_pred):", "def accuracy(y_true, y_pred)")
    )
    (repo / WORKSPACE).write_text(source)
    line = source.splitlines().index("def accuracy(y_true, y_pred)") + 1
    done = tool("kata", "leakage")
    assert done.returncode == 1
    assert "could not start" in done.stdout
    assert f"{WORKSPACE}:{line}" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def test_a_missing_workspace_file_is_named_and_the_rest_kept(repo, tool):
    for part in ("broken", "fixed"):
        (repo / part / "leakage/features.py").write_text('"""Feature helpers."""\n')
    toml = repo / "katas/leakage/kata.toml"
    toml.write_text(
        toml.read_text().replace(
            'files = ["pipeline.py"]', 'files = ["pipeline.py", "features.py"]'
        )
    )
    tool("kata", "leakage")
    (repo / "katas/leakage/features.py").unlink()
    (repo / WORKSPACE).write_text("# my edits\n")
    done = tool("kata", "leakage")
    assert done.returncode == 2
    assert "katas/leakage/features.py is missing" in done.stderr and "--reset" in done.stderr
    assert (repo / WORKSPACE).read_text() == "# my edits\n"


@pytest.mark.slow
def test_code_that_hangs_is_stopped_and_the_test_named(repo, tool):
    tool("kata", "leakage")
    source = (
        (repo / WORKSPACE)
        .read_text()
        .replace(
            "    rng = np.random.default_rng(seed)\n    tenure",
            "    rng = np.random.default_rng(seed)\n    while True:\n        pass\n    tenure",
        )
    )
    (repo / WORKSPACE).write_text(source)
    # The data fixture hangs once and its failure is shared by the tests that use it.
    done = tool("kata", "leakage", env={"PYTEST_TIMEOUT": "3", "KATA_CPU_SECONDS": "0.5"})
    assert done.returncode == 1
    summary = " ".join(done.stdout.split())
    assert "did not finish within the time limit" in summary
    assert "test_model_ignores_test_rows" in summary
    assert "in make_customers" in summary


def test_a_corrupt_progress_file_is_not_fatal(repo, tool):
    (repo / "katas/.state.json").write_text("{not json")
    done = tool("kata", "leakage", "--hint")
    assert done.returncode == 0 and "Hint 1 of 3" in done.stdout
    assert "unreadable" in done.stderr
    assert (
        json.loads((repo / "katas/.state.json").read_text())["katas"]["leakage"]["hints_shown"] == 1
    )


def test_a_malformed_kata_toml_gets_one_line_naming_file_and_field(repo, tool):
    toml = repo / "katas/leakage/kata.toml"
    toml.write_text(toml.read_text().replace("difficulty = 2", 'difficulty = "hard"'))
    done = tool("kata", "leakage")
    assert done.returncode == 2
    assert "kata.toml: field 'difficulty' should be int" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_no_slug_lists_the_katas_and_suggests_one(tool):
    done = tool("kata")
    assert done.returncode == 0
    assert "leakage" in done.stdout and "not started" in done.stdout
    assert "Next: nox -s kata -- leakage" in done.stdout


def test_git_status_stays_clean_after_a_learners_session(repo, tool):
    def git(*args):
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    tool("kata", "leakage")
    tool("kata", "leakage", "--hint")
    tool("kata", "leakage", "--reset")
    solve(repo)
    tool("kata", "leakage")
    assert git("status", "--porcelain").stdout == ""
