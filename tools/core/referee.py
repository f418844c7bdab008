"""The referee's files: a private copy of what judges a learner's run, as the repository committed it.

A learner's run never uses ``tests/`` in place. Before any learner code runs, the tools copy the
kata's tests, ``tests/conftest.py``, ``tests/katakit.py``, ``pyproject.toml`` and the kata's
``kata.toml`` into a private folder of the run; in a git checkout each file is taken as committed
(a changed or deleted file gives way to the committed one, a file the repository does not have is
left out), and without git every ``conftest.py`` but the shared one is left out. pytest is pointed
at the copy alone (its rootdir, its config and a conftest cut-off), so no conftest beside the
learner's file, in ``tests/`` or above the copy is ever loaded. Each thing found out of place is
returned as a note in plain words.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from tools import ROOT
from tools.core.workspace import display

SHARED = ("pyproject.toml", "tests/conftest.py", "tests/katakit.py")
RESTORE = "restore it with: git checkout -- {path}"


def _paths(slug: str) -> list[str]:
    return [*SHARED, f"katas/{slug}/kata.toml", f"tests/{slug}"]


def _git(*args: str) -> bytes | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, check=False, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def committed(slug: str) -> dict[str, str] | None:
    """Path -> blob id of the referee's files in the last commit; None without git."""
    listing = _git("ls-tree", "-r", "-z", "HEAD", "--", *_paths(slug))
    if listing is None:
        return None
    found = {}
    for entry in listing.split(b"\0"):
        if entry:
            meta, _, name = entry.partition(b"\t")
            found[name.decode()] = meta.split()[2].decode()
    return found


def _blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # git's object id


def _present(slug: str) -> list[str]:
    """The referee's files as they are on disk (relative to the repository)."""
    found = [name for name in (*SHARED, f"katas/{slug}/kata.toml") if (ROOT / name).is_file()]
    tests = ROOT / "tests" / slug
    if tests.is_dir():
        for path in sorted(tests.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.append(str(path.relative_to(ROOT)))
    return found


def prepare(slug: str, impl: Path, target: Path) -> list[str]:
    """Write the referee's files into ``target``; return notes on what was out of place."""
    notes = []
    if (impl / "conftest.py").exists():
        notes.append(
            f"{display(impl / 'conftest.py')} is not one of the kata's files: the tests never "
            "load it (delete it)"
        )
    known = committed(slug)
    if known is not None and not any(name.startswith(f"tests/{slug}/") for name in known):
        known = None  # a kata not committed yet: its files as they are
    on_disk = _present(slug)
    for name in on_disk if known is None else sorted(known):
        source = ROOT / name
        if known is None and source.name == "conftest.py" and name != "tests/conftest.py":
            notes.append(f"{name} is not part of the kata's tests: it was left out (delete it)")
            continue
        data = source.read_bytes() if source.is_file() else None
        if known is not None and (data is None or _blob(data) != known[name]):
            data = _git("cat-file", "blob", known[name])
            what = "is missing" if not source.is_file() else "differs from the committed version"
            notes.append(
                f"{name} {what}: this run used the committed one ({RESTORE.format(path=name)})"
            )
        if data is None:
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_bytes(data)
    if known is not None:
        for name in sorted(set(on_disk) - set(known)):
            notes.append(
                f"{name} is not part of the repository's tests: it was left out of this run "
                "(delete it)"
            )
    if not any((target / "tests" / slug).glob("test_*.py")):
        notes.append(
            f"tests/{slug} has no test files (restore them with: git checkout -- tests/{slug})"
        )
    return notes
