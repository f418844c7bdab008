"""Data files a kata hands out beside its code: kept with its tests, copied into the workspace."""

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from tools import UserError
from tools.authoring import observed, verify
from tools.core import catalog

from .conftest import copy_repo

ROWS = "site,reading\nnorth,1.5\nsouth,2.5\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The throw-away repository, its leakage kata handing out one data file."""
    copy_repo(tmp_path)
    toml = tmp_path / "katas/leakage/kata.toml"
    toml.write_text('data = ["readings.csv"]\n' + toml.read_text())
    (tmp_path / "tests/leakage/data").mkdir()
    (tmp_path / "tests/leakage/data/readings.csv").write_text(ROWS)
    return tmp_path


def test_checkout_hands_out_the_data_and_git_ignores_it(repo, tool):
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    first = tool("kata", "leakage")
    assert first.returncode == 1, first.stderr
    assert (repo / "katas/leakage/data/readings.csv").read_text() == ROWS
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all", "katas"],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "data/" not in status.stdout


def test_a_deleted_data_file_comes_back_and_a_changed_one_is_backed_up_by_a_reset(repo, tool):
    tool("kata", "leakage")
    data = repo / "katas/leakage/data/readings.csv"
    data.unlink()
    tool("kata", "leakage")
    assert data.read_text() == ROWS, "a plain run does not put back a missing data file"
    data.write_text("site,reading\nnorth,99\n")
    tool("kata", "leakage")
    assert data.read_text() == "site,reading\nnorth,99\n", "a plain run overwrote edited data"
    done = tool("kata", "leakage", "--reset")
    assert done.returncode == 1, done.stderr
    assert data.read_text() == ROWS
    saved = list((repo / "katas/leakage/.backups").glob("*/data/readings.csv"))
    assert [p.read_text() for p in saved] == ["site,reading\nnorth,99\n"]


def test_a_blind_exercise_gets_the_data_under_its_own_name(repo, tool):
    done = tool("kata", "--blind")
    assert done.returncode == 1, done.stderr
    state = json.loads((repo / "katas/.state.json").read_text())
    (name,) = [n for n, r in state["katas"].items() if (r.get("exercise") or {}).get("blind")]
    assert (repo / "katas" / name / "data/readings.csv").read_text() == ROWS


def test_a_listed_data_file_that_is_missing_is_named_by_verify():
    kata = dataclasses.replace(catalog.load("leakage"), data=("nowhere.csv",))
    (problem,) = [p for p in verify.static_problems(kata) if "nowhere.csv" in p]
    assert "tests/leakage/data/nowhere.csv" in problem and "missing" in problem


@pytest.mark.parametrize("name", ["../pipeline.py", "Readings.CSV", "data/east.csv", ""])
def test_a_data_name_that_is_not_a_plain_file_name_is_one_line(tmp_path, name):
    toml = tmp_path / "kata.toml"
    text = (catalog.KATAS / "leakage/kata.toml").read_text()
    toml.write_text(f"data = [{json.dumps(name)}]\n" + text)
    with pytest.raises(UserError, match=r"field 'data'"):
        catalog.parse("leakage", toml)


def test_observed_numbers_read_data_from_the_folder_that_holds_it(tmp_path):
    code, data = tmp_path / "code", tmp_path / "kept"
    (data / "data").mkdir(parents=True)
    code.mkdir()
    (data / "data/readings.csv").write_text(ROWS)
    (code / "monitor.py").write_text(
        "import pandas as pd\n\n\ndef total(path):\n    return pd.read_csv(path)['reading'].sum()\n"
    )
    [(ok, text)] = observed.recompute_many(
        [(code, ["monitor"], ["total('data/readings.csv')"], data)]
    )[0]
    assert ok and text == "4.0"
