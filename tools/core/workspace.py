"""The learner's workspace ``katas/<slug>/``: checkout, backups, reset, and diffs against the reference.

Every write is atomic (copy to a temporary file, then rename), and every overwrite of a learner's
file is preceded by a timestamped backup, so no edit is ever lost.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path

from tools import ROOT, UserError
from tools.core.catalog import Kata

BACKUPS = ".backups"


def files(kata: Kata, directory: Path | None = None) -> list[Path]:
    base = kata.workspace if directory is None else directory
    return [base / name for name in kata.files]


def exists(kata: Kata) -> bool:
    """Whether the learner has a workspace (any of the kata's files is there)."""
    return any(path.exists() for path in files(kata))


def missing(kata: Kata) -> list[Path]:
    return [path for path in files(kata) if not path.is_file()]


def _atomic_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        shutil.copyfile(source, temporary)
        os.chmod(temporary, 0o666 & ~_umask())  # as if the learner had created it
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def copy_in(kata: Kata, source: Path) -> None:
    """Copy the kata's files from ``source`` into the workspace, each one atomically."""
    for name in kata.files:
        if not (source / name).is_file():
            raise UserError(f"{display(source / name)} is missing: the kata's source is incomplete")
    for name in kata.files:
        _atomic_copy(source / name, kata.workspace / name)


def checkout(kata: Kata, source: Path) -> bool:
    """Create the workspace from ``source`` unless it exists; True if files were copied."""
    if exists(kata):
        return False
    copy_in(kata, source)
    return True


def backup(kata: Kata) -> Path | None:
    """Copy the learner's current files to ``katas/<slug>/.backups/<timestamp>/``."""
    present = [path for path in files(kata) if path.is_file()]
    if not present:
        return None
    folder = kata.workspace / BACKUPS
    if folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(ROOT)):
        raise UserError(
            f"{display(folder)} is a link or lies outside the repository; backups go only inside "
            "it: remove or rename it, then run the same command again"
        )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = folder / stamp
    suffix = 1
    while target.exists():
        suffix += 1
        target = kata.workspace / BACKUPS / f"{stamp}-{suffix}"
    for path in present:
        _atomic_copy(path, target / path.name)
    return target


def replace(kata: Kata, source: Path) -> Path | None:
    """Back up the learner's files, then put ``source``'s files in their place."""
    saved = backup(kata)
    copy_in(kata, source)
    return saved


def same_as(kata: Kata, directory: Path) -> bool:
    """Whether the workspace holds exactly the files of ``directory``."""
    return all(
        path.is_file() and path.read_bytes() == (directory / path.name).read_bytes()
        for path in files(kata)
    )


def digest(kata: Kata, directory: Path | None = None) -> str:
    """A fingerprint of the kata's files in the workspace (or ``directory``)."""
    h = hashlib.sha256()
    for path in files(kata, directory):
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"(missing)")
    return h.hexdigest()


def diff(kata: Kata, old: Path, new: Path, old_label: str, new_label: str) -> str:
    """A unified diff of the kata's files between two directories."""
    chunks = []
    for name in kata.files:
        before = (old / name).read_text(encoding="utf-8").splitlines(keepends=True)
        after = (new / name).read_text(encoding="utf-8").splitlines(keepends=True)
        chunks.extend(
            difflib.unified_diff(before, after, f"{old_label}/{name}", f"{new_label}/{name}", n=2)
        )
    return "".join(chunks)


def display(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
