"""Every run ends: code that sleeps, forks, escapes into its own session or stops the tool is ended
with its run, in plain words, well within a minute."""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tools.core import runner

from .conftest import ROOT
from .test_referee import assert_not_solved, plant, said

WORKSPACE = "katas/leakage/pipeline.py"
BROKEN = (ROOT / "broken/leakage/pipeline.py").read_text()
FIRST_LINE = "def run_pipeline(df, test_size=0.25, seed=0):\n"


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def pids_in(path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


@pytest.mark.slow
def test_code_that_sleeps_is_stopped_and_said_to_wait(repo, tool):
    tool("kata", "leakage")
    assert FIRST_LINE in BROKEN
    (repo / WORKSPACE).write_text(
        BROKEN.replace(FIRST_LINE, FIRST_LINE + "    import time; time.sleep(3000)\n")
    )
    started = time.monotonic()
    done = tool("kata", "leakage", timeout=120)
    took = time.monotonic() - started
    assert_not_solved(repo, done)
    assert took < 60, f"the run took {took:.0f} s"
    assert "waited" in said(done), said(done)
    assert "in run_pipeline" in said(done), "the waiting function is named"


def test_a_grandchild_holding_the_channel_does_not_hold_the_run(repo, tool, tmp_path_factory):
    tool("kata", "leakage")
    record = tmp_path_factory.mktemp("pids") / "grandchild.pid"  # outside the repository
    plant(
        repo,
        f"""
        import os, time
        if os.fork() == 0:
            with open({str(record)!r}, "w") as handle:
                handle.write(str(os.getpid()))
            time.sleep(45)
            os._exit(0)
        """,
    )
    started = time.monotonic()
    done = tool("kata", "leakage", timeout=120)
    took = time.monotonic() - started
    assert_not_solved(repo, done)
    assert re.search(r"4 of \d+ tests fail", said(done)), said(done)
    assert took < 30, f"the run took {took:.0f} s"
    assert pids_in(record) and not any(alive(p) for p in pids_in(record)), "it outlived the run"


def test_processes_in_their_own_session_end_with_the_run(repo, tool, tmp_path_factory):
    tool("kata", "leakage")
    record = tmp_path_factory.mktemp("pids") / "children.pid"  # outside the repository
    plant(
        repo,
        f"""
        import os, time
        for _ in range(20):
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    with open({str(record)!r}, "a") as handle:
                        handle.write(f"{{os.getpid()}}\\n")
                    time.sleep(300)
                os._exit(0)
        time.sleep(0.5)
        """,
    )
    done = tool("kata", "leakage", timeout=120)
    assert_not_solved(repo, done)
    time.sleep(0.5)
    started = pids_in(record)
    assert len(started) >= 20, started
    assert not [p for p in started if alive(p)], "processes outlived the run"


def test_code_that_stops_the_tool_cannot_freeze_it(repo, tool):
    tool("kata", "leakage")
    plant(repo, "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\n")
    child = subprocess.Popen(
        [sys.executable, "-m", "tools", "kata", "leakage"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    try:
        out, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.kill(child.pid, signal.SIGCONT)
        child.kill()
        child.communicate()
        pytest.fail("the tool was frozen by the code it ran")
    assert child.returncode == 1, out + err
    assert "Traceback" not in out + err


def test_code_that_stops_its_own_process_is_ended_and_named(repo, tool):
    tool("kata", "leakage")
    (repo / WORKSPACE).write_text(
        BROKEN.replace(
            FIRST_LINE, FIRST_LINE + "    import os, signal; os.kill(os.getpid(), signal.SIGSTOP)\n"
        )
    )
    started = time.monotonic()
    done = tool("kata", "leakage", timeout=120)
    assert_not_solved(repo, done)
    assert time.monotonic() - started < 30
    assert "SIGSTOP" in said(done) or "stopped" in said(done), said(done)


def test_a_whole_run_has_a_wall_limit(tmp_path):
    spin = tmp_path / "spin"
    spin.mkdir()
    (spin / "pipeline.py").write_text(
        BROKEN.replace(FIRST_LINE, FIRST_LINE + "    import time; time.sleep(0.4)\n")
    )
    started = time.monotonic()
    (report,) = runner.run_many([runner.Job("leakage", spin)], wall=2.0)
    assert time.monotonic() - started < 15
    assert not report.passed
    assert any("stopped" in o.message for o in report.failures), report.failures
