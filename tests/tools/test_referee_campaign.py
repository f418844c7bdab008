"""Ctrl-C stops a mutation campaign whatever SIGINT disposition it inherited, and an interrupted
campaign leaves the variant set as it was."""

import os
import signal
import subprocess
import sys

import pytest


@pytest.mark.timeout(300)
def test_ctrl_c_stops_a_campaign_that_inherited_sigint_ignored(repo):
    variants = repo / "broken/leakage/variants"

    def snapshot():
        return sorted(
            (str(p.relative_to(variants)), p.read_bytes())
            for p in variants.rglob("*")
            if p.is_file()
        )

    before = snapshot()
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "tools", "mutate", "leakage", "--operators-only", "--jobs", "1"],
        cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        stdin=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    seen = ""
    while "passes its" not in seen:
        line = child.stdout.readline()
        if not line:
            break
        seen += line
    child.send_signal(signal.SIGINT)
    try:
        out, _ = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        pytest.fail("Ctrl-C did not stop the campaign")
    assert child.returncode != 0, seen + out
    assert "Traceback" not in seen + out
    assert snapshot() == before, "an interrupted campaign changed the variant set"
