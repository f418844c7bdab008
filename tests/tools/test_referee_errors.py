"""Odd states a learner's disk can be in: each one ends in a correct verdict or one line, never a
traceback, and nothing the learner wrote is lost."""

import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from tools.core import catalog, state

from .conftest import ROOT
from .test_referee import said

WORKSPACE = "katas/leakage/pipeline.py"


def no_traceback(done) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr


def one_line(done) -> None:
    no_traceback(done)
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.parametrize(
    "deadline", [None, "soon", float("inf"), [1], True], ids=["null", "text", "inf", "list", "bool"]
)
def test_a_broken_interview_record_is_closed_when_progress_is_read(deadline, capsys):
    interview = {"started": time.time(), "deadline": deadline, "hints_before": 0}
    record = state.clean_record("leakage", {"interview": interview, "hints_shown": 2})
    assert record["interview"] is None and record["hints_shown"] == 2
    assert "the open interview of 'leakage'" in capsys.readouterr().err


def test_a_broken_interview_record_is_reset_not_fatal(repo, tool):
    # Every command reads progress through state.load, which closes a broken interview (the
    # record's values are checked one by one above); here one such record meets every command.
    tool("kata", "leakage")
    path = repo / "katas/.state.json"
    data = json.loads(path.read_text())
    data["katas"]["leakage"]["interview"] = {
        "started": time.time(),
        "deadline": "@@",
        "hints_before": 0,
    }
    path.write_text(json.dumps(data).replace('"@@"', "1e400"))  # JSON's overflow: inf
    for args in (("kata", "leakage"), ("kata", "leakage", "--hint"), ("list",),
                 ("kata", "leakage", "--reset"), ("kata", "leakage", "--json")):  # fmt: skip
        done = tool(*args)
        no_traceback(done)
        assert done.returncode in (0, 1), (args, done.stdout, done.stderr)


def test_diff_of_a_file_that_is_not_utf8(repo, tool):
    tool("kata", "leakage")
    (repo / WORKSPACE).write_bytes((repo / WORKSPACE).read_bytes() + b"# caf\xe9\n")
    done = tool("kata", "leakage", "--diff", "--yes")
    no_traceback(done)
    assert done.returncode in (0, 2), done.stderr
    if done.returncode == 2:
        assert "UTF-8" in done.stderr


def test_reset_when_the_learners_file_is_a_folder_keeps_it(repo, tool):
    tool("kata", "leakage")
    (repo / WORKSPACE).unlink()
    (repo / WORKSPACE).mkdir()
    (repo / WORKSPACE / "notes.txt").write_text("mine")
    done = tool("kata", "leakage", "--reset")
    no_traceback(done)
    kept = list((repo / "katas/leakage").rglob("notes.txt"))
    assert kept and kept[0].read_text() == "mine", "the learner's folder was lost"
    if done.returncode != 2:
        assert (repo / WORKSPACE).is_file()


def test_backups_as_a_regular_file(repo, tool):
    tool("kata", "leakage")
    (repo / WORKSPACE).write_text("# my work\n")
    (repo / "katas/leakage/.backups").write_text("not a folder")
    done = tool("kata", "leakage", "--reset")
    one_line(done)
    assert ".backups" in done.stderr
    assert (repo / WORKSPACE).read_text() == "# my work\n"


def test_dangling_links_at_the_next_backup_name(repo, tool):
    tool("kata", "leakage")
    (repo / WORKSPACE).write_text("# my work\n")
    folder = repo / "katas/leakage/.backups"
    folder.mkdir()
    stamp = time.strftime("%Y%m%d-%H%M")
    for second in range(60):
        for suffix in ("", "-2"):
            (folder / f"{stamp}{second:02d}{suffix}").symlink_to(repo / "nowhere")
    done = tool("kata", "leakage", "--reset")
    no_traceback(done)
    saved = [p for p in folder.rglob("pipeline.py") if p.is_file()]
    assert done.returncode in (1, 2)
    if done.returncode == 1:
        assert [p.read_text() for p in saved] == ["# my work\n"]
    else:
        assert (repo / WORKSPACE).read_text() == "# my work\n"


def test_a_huge_root_cause_is_neither_printed_nor_stored_in_full(repo, tool):
    tool("kata", "leakage")
    (repo / "katas/leakage/root-cause.txt").write_text(
        "category: leakage\n" + "The scaler saw the test rows. " * 400_000
    )
    path = repo / "katas/.state.json"
    data = json.loads(path.read_text())
    now = time.time()
    data["katas"]["leakage"]["interview"] = {
        "started": now - 5,
        "deadline": now - 1,
        "hints_before": 0,
    }
    path.write_text(json.dumps(data))
    done = tool("kata", "leakage")
    no_traceback(done)
    assert len(done.stdout) < 50_000, len(done.stdout)
    assert path.stat().st_size < 200_000


def test_a_binary_root_cause_is_not_called_missing(repo):
    from tools.practice import rootcause

    kata = catalog.load("leakage")
    folder = repo / "katas/leakage"
    (folder / "root-cause.txt").write_bytes(b"category: leakage\n\xff\xfe\x00binary")
    statement = rootcause.read_file(folder)
    assert statement is not None, "a file that is there is not 'missing'"
    assert kata.slug


READ_ONLY_KATAS = """
import sys, tempfile
from pathlib import Path
katas = str(Path("katas").resolve())
real = tempfile.mkstemp
def refuse(*args, dir=None, **kwargs):
    if dir is not None and str(Path(dir).resolve()) == katas:
        raise PermissionError(13, "Permission denied", katas)
    return real(*args, dir=dir, **kwargs)
tempfile.mkstemp = refuse
from tools.cli import main
sys.exit(main(["kata", "leakage", "--reset"]))
"""


def test_reset_when_progress_cannot_be_saved_replaces_nothing(repo, tool):
    """katas/ is read-only (simulated: this may run as root): nothing is replaced."""
    tool("kata", "leakage")
    (repo / WORKSPACE).write_text("# my work\n")
    done = subprocess.run(
        [sys.executable, "-c", READ_ONLY_KATAS], cwd=repo, capture_output=True, text=True,
        env={**os.environ, "NO_COLOR": "1"}, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    one_line(done)
    assert "permission denied" in done.stderr
    assert (repo / WORKSPACE).read_text() == "# my work\n", "files replaced, then it failed"


def test_an_unreadable_file_is_not_called_unwritable(monkeypatch, capsys):
    from tools import cli

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(ROOT / "katas/.state.json"))

    monkeypatch.setattr(state, "record", refuse)
    monkeypatch.setattr(state, "load", refuse)
    code = cli.main(["kata", "leakage", "--hint"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write" not in err and "permission denied" in err, err


def test_json_usage_errors_still_print_a_document(repo, tool):
    for args in (("kata", "nope", "--json"), ("kata", "leakage", "--json", "--hint")):
        done = tool(*args)
        assert done.returncode == 2, done.stdout + done.stderr
        document = json.loads(done.stdout)
        assert document["status"] == "error" and document["message"], document


def test_terminal_escapes_in_learner_messages_are_neutralised(repo, tool):
    tool("kata", "leakage")
    first = "def run_pipeline(df, test_size=0.25, seed=0):\n"
    text = (repo / WORKSPACE).read_text()
    (repo / WORKSPACE).write_text(
        text.replace(first, first + "    raise ValueError('\\x1b[2J\\x1b]0;owned\\x07cleared')\n")
    )
    done = tool("kata", "leakage", env={"NO_COLOR": "1"})
    assert done.returncode == 1
    assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout
    assert "cleared" in done.stdout


def test_a_sandbox_folder_of_another_user_says_how_to_go_on(tmp_path, monkeypatch):
    from tools.mutation import sandbox

    real_lstat = os.lstat

    def someone_elses(path, *args, **kwargs):
        info = real_lstat(path, *args, **kwargs)
        fields = list(info)
        fields[4] = info.st_uid + 1
        return os.stat_result(fields)

    sandbox.private_parent(tmp_path)
    monkeypatch.setattr(os, "lstat", someone_elses)
    with pytest.raises(Exception, match="TMPDIR"):
        sandbox.private_parent(tmp_path)


def test_a_deleted_test_file_is_named_without_git(repo, tool):
    tool("kata", "leakage")
    (repo / "tests/leakage/test_leakage.py").unlink()
    done = tool("kata", "leakage")
    no_traceback(done)
    assert "exit code 5" not in said(done)
    assert "tests/leakage" in said(done) and done.returncode in (1, 2)
    assert re.search(r"git|restore", said(done)), said(done)
    shutil.rmtree(repo / "tests/leakage")
