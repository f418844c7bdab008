"""Sandbox lifecycle: a private copy of one kata's fixed files and tests, swept when its owner dies."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tools import TESTS, UserError
from tools.core.catalog import Kata
from tools.core.judge import QUIET, SINGLE_THREADED  # noqa: F401 - the campaign's modules take them from here

OWNER = "owner.json"

STALE_AFTER = 24 * 3600  # seconds: a sandbox this old is swept even if its pid was reused

# Threads inside forked workers buy nothing (each worker is one core) and BLAS pools and fork mix badly.


def private_parent(base: Path | None = None) -> Path:
    """This user's folder for sandboxes: created 0700, and refused unless it is a real folder
    owned by this user that nobody else can enter (another user cannot swap a sandbox in it).
    """
    parent = (base or Path(tempfile.gettempdir())) / f"kata-mutate-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        parent.mkdir(mode=0o700)
    info = os.lstat(parent)
    if (
        stat.S_ISLNK(info.st_mode)
        or not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or info.st_mode & 0o077
    ):
        fix = (
            "another user owns it: set TMPDIR to a folder of your own "
            "(TMPDIR=$HOME/tmp nox -s mutate -- ...)"
            if info.st_uid != os.getuid()
            else "remove it and run the same command again"
        )
        raise UserError(
            f"{parent} is not a private folder of yours (a link, another owner, or open to "
            f"other users); {fix}"
        )
    return parent


# pytest options for workers: no cache, no forced garbage collections at the end of a session.
WORKER_OPTIONS = QUIET


@dataclass(frozen=True)
class Sandbox:
    """A copy of one kata's fixed files and tests; nothing in it points back into the repository."""

    root: Path
    kata: Kata

    @property
    def mutants(self) -> Path:
        return self.root / "mutants"

    def impl(self, name: str, files: dict[str, str]) -> Path:
        """A directory holding the kata's files with ``files`` (name -> text) swapped in."""
        directory = self.root / "impl" / name
        directory.mkdir(parents=True, exist_ok=True)
        for file in self.kata.files:
            text = files.get(file, (self.root / file).read_text(encoding="utf-8"))
            (directory / file).write_text(text, encoding="utf-8")
        return directory


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owned_by_the_dead(path: Path) -> bool:
    """True if the process that made ``path`` (its ``owner.json``) is gone or the folder is ancient."""
    try:
        owner = json.loads((path / OWNER).read_text())
        pid, started = int(owner["pid"]), float(owner["started"])
    except (OSError, ValueError, KeyError, TypeError):
        # No readable owner: either being created this instant or left half-made; judge by age.
        started = path.stat().st_mtime if path.exists() else 0.0
        return time.time() - started > 60
    return not alive(pid) or time.time() - started > STALE_AFTER


def sweep(parent: Path | None = None) -> list[Path]:
    """Remove the sandboxes of campaigns that were killed; returns what was removed.

    Only this user's private folder is swept, so only this user's sandboxes are touched.
    """
    parent = parent or private_parent()
    removed = []
    for path in sorted(parent.glob("*")) if parent.is_dir() else []:
        if path.is_dir() and owned_by_the_dead(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def claim(directory: Path, **extra: str) -> None:
    """Mark ``directory`` as owned by this process, so a later sweep leaves it alone while we live."""
    owner = {"pid": os.getpid(), "started": time.time(), "argv": sys.argv, **extra}
    (directory / OWNER).write_text(json.dumps(owner))


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@contextmanager
def sandbox(kata: Kata, *, keep: bool = False, parent: Path | None = None) -> Iterator[Sandbox]:
    """A fresh sandbox for ``kata``, removed afterwards unless ``keep`` (or the process is killed)."""
    parent = parent or private_parent()
    sweep(parent)
    root = Path(tempfile.mkdtemp(prefix=f"{kata.slug}-", dir=parent)).resolve()
    claim(root)
    try:
        for name in kata.files:
            shutil.copyfile(kata.fixed / name, root / name)
        (root / "tests").mkdir()
        for name in ("conftest.py", "katakit.py"):
            shutil.copyfile(TESTS / name, root / "tests" / name)
        _copy_tree(kata.tests, root / "tests" / kata.slug)
        yield Sandbox(root, kata)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


def toml_value(value: object) -> str:
    """``value`` as TOML (strings, numbers, booleans and lists of them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
