"""Robustness: learners' edits survive every command, copies are atomic, results never drift."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.core import patch, workspace
from tools.core.catalog import Kata

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE = "katas/leakage/pipeline.py"


def test_whole_tree_in_one_process_keeps_katas_apart(repo, tool):
    # A second kata whose module is also called pipeline.py, with different contents.
    assert tool("new", "shape-demo").returncode == 0
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/leakage",
            "tests/shape-demo",
            "tests/leakage",
            "-q",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def two_file_kata(tmp_path: Path, monkeypatch) -> Kata:
    kata = Kata("demo", "t", "data", "f", 1, 5, ("a.py", "b.py"), "s", ("1", "2", "3"), "e", ("x",))
    monkeypatch.setattr(Kata, "workspace", property(lambda self: tmp_path / "katas" / self.slug))
    source = tmp_path / "source"
    source.mkdir()
    for name in kata.files:
        (source / name).write_text(f"# handed-out {name}\n" * 1000)
    return kata


def test_an_interrupted_reset_loses_nothing(tmp_path, monkeypatch):
    kata = two_file_kata(tmp_path, monkeypatch)
    kata.workspace.mkdir(parents=True)
    for name in kata.files:
        (kata.workspace / name).write_text(f"# the learner's {name}\n")
    real_replace = os.replace
    calls = []

    def crash_on_the_fourth(src, dst):
        calls.append(dst)
        if len(calls) == 4:  # two backups done, one file replaced: die before the second
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        workspace.replace(kata, tmp_path / "source")
    (backup,) = (kata.workspace / workspace.BACKUPS).iterdir()
    for name in kata.files:
        assert (backup / name).read_text() == f"# the learner's {name}\n"
        current = (kata.workspace / name).read_text()
        assert current in {f"# the learner's {name}\n", f"# handed-out {name}\n" * 1000}, (
            "a file is torn"
        )
    leftovers = [p.name for p in kata.workspace.rglob("*.tmp")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


@pytest.fixture
def with_variant(repo):
    shutil.rmtree(repo / "broken/leakage/variants", ignore_errors=True)  # only this one
    variant = repo / "broken/leakage/variants/v-demo"
    variant.mkdir(parents=True)
    source = (repo / "fixed/leakage/pipeline.py").read_text()
    buggy = source.replace("X[train_idx])\n    X_train", "X)\n    X_train", 1)
    assert buggy != source
    (variant / "change.patch").write_text(
        patch.make({"pipeline.py": source}, {"pipeline.py": buggy})
    )
    (variant / "variant.toml").write_text(
        'id = "v-demo"\nsource = "ml"\noperator = "fit-on-all-rows"\n'
        'description = "the scaler sees every row"\nfailing_tests = []\n'
    )
    return buggy.encode()


def test_variant_checkout_and_reset_keep_the_learners_work(repo, tool, with_variant):
    tool("kata", "leakage")
    (repo / WORKSPACE).write_text("# my attempt at the original\n")
    switched = tool("kata", "leakage", "--variant", "v-demo")
    assert switched.returncode == 1 and "variant v-demo" in switched.stdout
    mine = repo / "katas/leakage-v-demo/pipeline.py"
    assert mine.read_bytes() == with_variant, "the variant is checked out in a folder of its own"
    assert (repo / WORKSPACE).read_text() == "# my attempt at the original\n"
    mine.write_text("# my attempt at the variant\n")
    tool("kata", "leakage-v-demo", "--reset")
    assert mine.read_bytes() == with_variant, "--reset should restore the variant being worked on"
    saved = [p.read_text() for p in (repo / "katas/leakage-v-demo/.backups").glob("*/pipeline.py")]
    assert saved == ["# my attempt at the variant\n"]
    assert (repo / WORKSPACE).read_text() == "# my attempt at the original\n"


def test_random_variant_prefers_one_not_done(repo, tool, with_variant):
    done = tool("kata", "leakage", "--random-variant")
    assert "variant v-demo" in done.stdout
    shutil.copyfile(repo / "fixed/leakage/pipeline.py", repo / "katas/leakage-v-demo/pipeline.py")
    assert tool("kata", "leakage-v-demo").returncode == 0
    listing = tool("kata", "leakage", "--variant", "nope")
    assert listing.returncode == 2 and "known variants: v-demo" in listing.stderr
