"""Watch mode's next run, forked ahead of the save: it judges the code as saved, or is not used."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tools.core import catalog, runner

from .conftest import ROOT


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "leakage"
    shutil.copytree(ROOT / "broken" / "leakage", folder)
    return folder


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The runs forked from now on: 'ahead' for a run forked ahead, 'now' for one forked as asked."""
    started, real = [], runner._start

    def start(job, scratch, number, ahead=False):
        started.append("ahead" if ahead else "now")
        return real(job, scratch, number, ahead)

    monkeypatch.setattr(runner, "_start", start)
    yield started
    runner.discard()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_a_run_forked_ahead_judges_the_code_saved_after_it(workspace, forks):
    runner.prepare("leakage", workspace)
    shutil.copy2(ROOT / "fixed" / "leakage" / "pipeline.py", workspace / "pipeline.py")  # the save
    report = runner.run("leakage", workspace)
    assert report.passed, report.failing_tests
    assert forks == ["ahead"], "the run forked ahead was not the one used"


def test_a_run_forked_ahead_fails_what_the_saved_code_breaks(workspace, forks):
    shutil.copy2(ROOT / "fixed" / "leakage" / "pipeline.py", workspace / "pipeline.py")
    runner.prepare("leakage", workspace)
    shutil.copy2(ROOT / "broken" / "leakage" / "pipeline.py", workspace / "pipeline.py")
    report = runner.run("leakage", workspace)
    assert report.failing_tests == sorted(catalog.load("leakage").failing_tests)
    assert forks == ["ahead"]


def test_a_conftest_saved_after_the_fork_is_still_named(workspace, forks):
    runner.prepare("leakage", workspace)
    (workspace / "conftest.py").write_text("import pytest\n")
    report = runner.run("leakage", workspace)
    assert any("conftest.py" in note for note in report.notes), report.notes
    assert forks == ["ahead", "now"], "a run whose referee's notes changed was used"


def test_a_run_forked_for_other_options_is_not_used_and_leaves_no_process(workspace, forks):
    runner.prepare("leakage", workspace, ("--tb=short",))
    pid = runner._ahead.pid
    report = runner.run("leakage", workspace)
    assert not report.passed and forks == ["ahead", "now"]
    assert not alive(pid), "the run forked ahead and not used is still running"


def test_a_discarded_run_leaves_no_process_and_no_folder(workspace, forks):
    runner.prepare("leakage", workspace)
    ahead = runner._ahead
    folder = Path(ahead.scratch.name)
    assert folder.is_dir()
    runner.discard()
    assert not alive(ahead.pid) and not folder.exists()
