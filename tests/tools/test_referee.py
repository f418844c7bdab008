"""The run is a referee: learner code cannot fake "Solved", whatever it does to the test machinery.

Each test plants, in the untouched broken code of ``leakage``, one way a determined learner could
make its failing tests read as passing, and checks that the verdict stays "not solved" and says
what the code did in plain words.
"""

import json
import re
import subprocess
import textwrap

import pytest

from tools.core import catalog, runner

from .conftest import ROOT

WORKSPACE = "katas/leakage/pipeline.py"
BROKEN = (ROOT / "broken/leakage/pipeline.py").read_text()
FAILING = sorted(catalog.load("leakage").failing_tests)

# A conftest hook that turns every test into a pass without running it.
PASS_EVERYTHING = textwrap.dedent(
    """
    def pytest_collection_modifyitems(items):
        for item in items:
            item.runtest = lambda: None
    """
)


def plant(repo, prefix: str, source: str = BROKEN) -> None:
    """The broken kata with ``prefix`` run when the module is imported."""
    (repo / WORKSPACE).write_text(textwrap.dedent(prefix) + "\n" + source)


def said(done: subprocess.CompletedProcess) -> str:
    return " ".join((done.stdout + done.stderr).split())


def solved(repo) -> bool:
    path = repo / "katas/.state.json"
    data = json.loads(path.read_text()) if path.exists() else {"katas": {}}
    return bool(data["katas"].get("leakage", {}).get("solved_at"))


def assert_not_solved(repo, done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Solved" not in done.stdout and "tests pass" not in done.stdout, done.stdout
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert not solved(repo)


def git(repo, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


def test_a_conftest_beside_the_learners_file_is_never_loaded_and_is_named(repo, tool):
    tool("kata", "leakage")
    (repo / "katas/leakage/conftest.py").write_text(PASS_EVERYTHING)
    done = tool("kata", "leakage")
    assert_not_solved(repo, done)
    assert re.search(r"4 of \d+ tests fail", said(done))
    assert "katas/leakage/conftest.py" in said(done), "the unexpected file is named"


def test_a_conftest_in_the_kata_tests_is_left_out_and_named(repo, tool):
    tool("kata", "leakage")
    (repo / "tests/leakage/conftest.py").write_text(PASS_EVERYTHING)
    done = tool("kata", "leakage")
    assert_not_solved(repo, done)
    assert re.search(r"4 of \d+ tests fail", said(done))
    assert "tests/leakage/conftest.py" in said(done)


def test_learner_code_cannot_plant_a_conftest_in_the_tests(repo, tool):
    tool("kata", "leakage")
    plant(
        repo,
        f"""
        import pathlib
        pathlib.Path({str(repo / "tests/leakage/conftest.py")!r}).write_text({PASS_EVERYTHING!r})
        """,
    )
    first = tool("kata", "leakage")
    assert_not_solved(repo, first)
    assert "tests/leakage/conftest.py" in said(first), "the attempt to write there is reported"
    (repo / WORKSPACE).write_text(BROKEN)
    again = tool("kata", "leakage")
    assert_not_solved(repo, again)
    assert re.search(r"4 of \d+ tests fail", said(again))


def test_a_changed_test_file_gives_way_to_the_committed_one(repo, tool):
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "kata")
    tool("kata", "leakage")
    test_file = repo / "tests/leakage/test_leakage.py"
    test_file.write_text("def test_nothing():\n    pass\n")
    done = tool("kata", "leakage")
    assert_not_solved(repo, done)
    assert re.search(r"4 of \d+ tests fail", said(done))
    assert "tests/leakage/test_leakage.py" in said(done) and "committed" in said(done)
    test_file.unlink()
    gone = tool("kata", "leakage")
    assert re.search(r"4 of \d+ tests fail", said(gone)), (
        "a deleted test file is restored for the run"
    )
    assert "exit code 5" not in said(gone)


@pytest.mark.parametrize(
    ("patch", "name"),
    [
        (
            "import numpy.testing\nnumpy.testing.assert_allclose = lambda *a, **k: None\n",
            "numpy.testing.assert_allclose",
        ),
        ("import numpy\nnumpy.allclose = lambda *a, **k: True\n", "numpy.allclose"),
        (
            "import pytest\n"
            "class _Any(float):\n"
            "    def __eq__(self, other):\n"
            "        return True\n"
            "pytest.approx = lambda expected, *a, **k: _Any()\n",
            "pytest.approx",
        ),
        (
            "import numpy.testing\n"
            "numpy.testing.assert_allclose.__code__ = (lambda *a, **k: None).__code__\n",
            "numpy.testing.assert_allclose",
        ),
    ],
    ids=["assert_allclose", "np.allclose", "pytest.approx", "code-swap"],
)
def test_replaced_assertion_helpers_are_reported_not_counted(repo, tool, patch, name):
    tool("kata", "leakage")
    plant(repo, patch)
    done = tool("kata", "leakage")
    assert_not_solved(repo, done)
    assert f"your code replaced {name}" in said(done), said(done)


PLUGIN_BY_GC = """
import gc
for _obj in gc.get_objects():
    if type(_obj).__name__ == "PytestPluginManager":
        class _Cheat:
            @staticmethod
            def pytest_pyfunc_call(pyfuncitem):
                return True
        _obj.register(_Cheat(), "helper")
        break
"""

PLUGIN_BY_FRAMES = """
import sys
_frame = sys._getframe()
while _frame is not None and "request" not in _frame.f_locals:
    _frame = _frame.f_back
class _Cheat:
    @staticmethod
    def pytest_pyfunc_call(pyfuncitem):
        return True
_frame.f_locals["request"].config.pluginmanager.register(_Cheat(), "helper")
"""


@pytest.mark.parametrize("route", [PLUGIN_BY_GC, PLUGIN_BY_FRAMES], ids=["gc", "frames"])
def test_a_plugin_registered_from_learner_code_is_reported(repo, tool, route):
    tool("kata", "leakage")
    plant(repo, route)
    done = tool("kata", "leakage")
    assert_not_solved(repo, done)
    words = said(done)
    assert "your code" in words and ("plugin" in words or "memory" in words), words


FORGE = """
import ast, json, os, stat
_source = open("tests/leakage/test_leakage.py").read()
_tests = ["test_leakage.py::" + n.name for n in ast.parse(_source).body
          if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
_lines = [{"collected": _tests}]
_lines += [{"outcome": {"test": t, "passed": True}} for t in _tests] + [{"done": 0}]
for _fd in range(3, 256):
    try:
        if stat.S_ISFIFO(os.fstat(_fd).st_mode):
            os.write(_fd, "".join(json.dumps(line) + "\\n" for line in _lines).encode())
    except OSError:
        pass
os._exit(0)
"""


def test_forged_results_on_the_runners_channel_are_not_a_pass(repo, tool):
    tool("kata", "leakage")
    plant(repo, FORGE)
    done = tool("kata", "leakage")
    assert_not_solved(repo, done)
    assert "forged" in said(done) or "ended the process" in said(done), said(done)


def test_the_parent_counts_only_the_tests_it_collected(tmp_path):
    """Outcomes for tests the run never collected do not make up for ones it did."""
    cheat = tmp_path / "cheat"
    cheat.mkdir()
    (cheat / "pipeline.py").write_text(
        textwrap.dedent(FORGE).replace("os._exit(0)", "") + "\n" + BROKEN
    )
    report = runner.run("leakage", cheat)
    assert not report.passed
    assert set(report.collected) >= set(FAILING)


def test_code_that_reads_the_reference_is_not_solved(repo, tool):
    tool("kata", "leakage")
    (repo / WORKSPACE).write_text(
        "from pathlib import Path\nexec(Path('fixed/leakage/pipeline.py').read_text())\n"
    )
    done = tool("kata", "leakage")
    assert_not_solved(repo, done)
    assert "fixed/leakage/pipeline.py" in said(done), said(done)


def test_copies_of_the_reference_are_recognised_through_comments_and_formatting(tmp_path):
    """Reuse detection compares code: a comment, a docstring or blank lines change nothing."""
    from tools.core import workspace

    kata = catalog.load("leakage")
    reference = (ROOT / "fixed/leakage/pipeline.py").read_text()
    dressed = "# my own work\n" + reference.replace('"""', '"""Mine. ', 1).replace("\n\n", "\n\n\n")
    (tmp_path / "pipeline.py").write_text(dressed)
    assert dressed != reference
    assert workspace.digest(kata, tmp_path) == workspace.digest(kata, kata.fixed)
    (tmp_path / "pipeline.py").write_text(BROKEN)
    assert workspace.digest(kata, tmp_path) != workspace.digest(kata, kata.fixed)
    (tmp_path / "pipeline.py").write_text("def broken(:\n")
    assert workspace.digest(kata, tmp_path) != workspace.digest(kata, kata.fixed)


def open_interview(repo) -> None:
    """An interview whose time is up: the next run ends it with its report."""
    import time

    path = repo / "katas/.state.json"
    data = json.loads(path.read_text())
    now = time.time()
    data["katas"]["leakage"]["interview"] = {"started": now - 60, "deadline": now - 1}
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    "code",
    [
        "# all my own work\n" + (ROOT / "fixed/leakage/pipeline.py").read_text(),
        "from pathlib import Path\n"
        f"exec(Path({str(ROOT / 'fixed/leakage/pipeline.py')!r}).read_text())\n",
    ],
    ids=["reference-with-a-comment", "exec-of-the-reference"],
)
def test_an_interview_notices_the_reference_however_it_is_handed_in(repo, tool, code):
    tool("kata", "leakage")
    (repo / WORKSPACE).write_text(code.replace(str(ROOT), str(repo)))
    open_interview(repo)
    done = tool("kata", "leakage")
    report = said(done)[said(done).index("Interview report") :]
    assert "Note:" in report and "says nothing about solving it" in report, report
    assert "reference solution" in report, report


def test_a_run_stopped_between_two_tests_says_why_the_rest_never_ran():
    from tools.core.verdict import decide

    events = [
        {"collected": ["t.py::a", "t.py::b"]},
        {"start": "t.py::a"},
        {"outcome": {"test": "t.py::a", "passed": True}},
    ]
    report = decide(events, 9, ended="timeout", wall=2.0)
    assert not report.passed
    (never,) = report.failures
    assert never.test == "t.py::b" and "stopped after 2 s" in never.message, never
    forged = decide([*events, {"outcome": {"test": "t.py::b", "passed": True}}, {"done": 0}], 0,
                    forged=1)  # fmt: skip
    assert not forged.passed and "forged" in forged.failures[0].message
