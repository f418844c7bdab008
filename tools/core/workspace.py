"""The learner's workspace ``katas/<slug>/``: checkout, backups, reset, and diffs against the reference.

Every write is atomic (copy to a temporary file, then rename), and every overwrite of a learner's
file is preceded by a timestamped backup, so no edit is ever lost. A *source* of the kata's files
is a folder holding them (``broken/<slug>``, ``fixed/<slug>``, the workspace), a variant's folder
(its change applied to ``fixed/``) or a mapping of file name to text.

A kata may hand out data files too (``data`` in kata.toml): they are kept in ``tests/<slug>/data/``,
where its tests read them, and copied to ``katas/<name>/data/`` for the learner to load and look at.
A missing one is put back on every checkout; one the learner changed is backed up before a reset
puts the original back. The tests never read the workspace's copies.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from tools import ROOT, UserError
from tools.core import variants
from tools.core.catalog import DATA, Kata

Source = Path | Mapping[str, str]

BACKUPS = ".backups"


def files(kata: Kata, directory: Path | None = None) -> list[Path]:
    base = kata.workspace if directory is None else directory
    return [base / name for name in kata.files]


def data_files(kata: Kata) -> list[tuple[Path, Path]]:
    """Each data file the kata hands out: (where the repository keeps it, the learner's copy)."""
    return [(kata.data_source / name, kata.workspace / DATA / name) for name in kata.data]


def _changed_data(kata: Kata) -> list[Path]:
    """The learner's copies of data files that differ from the repository's (a folder counts)."""
    return [
        copy
        for kept, copy in data_files(kata)
        if copy.is_dir() or (copy.is_file() and copy.read_bytes() != kept.read_bytes())
    ]


def put_data(kata: Kata, refresh: bool = False) -> None:
    """Copy each data file the workspace lacks (with ``refresh``, each that differs too)."""
    for kept, copy in data_files(kata):
        if not kept.is_file():
            raise UserError(f"{display(kept)} is missing: the kata's data is incomplete")
        if copy.is_dir():
            if not refresh:
                continue
            shutil.rmtree(copy)  # backed up by the caller
        if not copy.is_file() or (refresh and copy.read_bytes() != kept.read_bytes()):
            _atomic_copy(kept, copy)


def exists(kata: Kata) -> bool:
    """Whether the learner has a workspace (any of the kata's files is there)."""
    return any(path.exists() for path in files(kata))


def missing(kata: Kata) -> list[Path]:
    return [path for path in files(kata) if not path.is_file()]


def _atomic_copy(source: Path | bytes, target: Path) -> None:
    """Copy the file ``source`` (or write the bytes ``source``) to ``target`` atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}-", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        if isinstance(source, bytes):
            Path(temporary).write_bytes(source)
        else:
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


def contents(kata: Kata, source: Source) -> dict[str, bytes | None]:
    """The kata's files in ``source``, name -> bytes (None for a file that is not there)."""
    if isinstance(source, Mapping):
        return {name: _encoded(source.get(name)) for name in kata.files}
    if (source / variants.MANIFEST).is_file():
        files = variants.materialise(kata, source)
        return {name: _encoded(files.get(name)) for name in kata.files}
    return {
        name: (source / name).read_bytes() if (source / name).is_file() else None
        for name in kata.files
    }


def _encoded(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8")


def _label(source: Source) -> str:
    return "the variant" if isinstance(source, Mapping) else display(source)


def copy_in(kata: Kata, source: Source) -> None:
    """Copy the kata's files from ``source`` into the workspace, each one atomically."""
    files = contents(kata, source)
    for name, data in files.items():
        if data is None:
            raise UserError(f"{_label(source)}/{name} is missing: the kata's source is incomplete")
        if (kata.workspace / name).is_dir():
            raise UserError(
                f"{display(kata.workspace / name)} is a folder where the kata's file goes: move it "
                "elsewhere, then run the same command again"
            )
    for name, data in files.items():
        _atomic_copy(data or b"", kata.workspace / name)


def backup(kata: Kata) -> Path | None:
    """Copy the learner's current files (a folder where a file should be, too) to
    ``katas/<slug>/.backups/<timestamp>/``."""
    present = [path for path in files(kata) if path.is_file() or path.is_dir()]
    present += _changed_data(kata)
    if not present:
        return None
    folder = kata.workspace / BACKUPS
    if folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(ROOT)):
        raise UserError(
            f"{display(folder)} is a link or lies outside the repository; backups go only inside "
            "it: remove or rename it, then run the same command again"
        )
    if folder.exists() and not folder.is_dir():
        raise UserError(
            f"{display(folder)} is a file, not the folder backups go to: rename or remove it, "
            "then run the same command again"
        )
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = folder / stamp
    suffix = 1
    while os.path.lexists(target):  # a dangling link counts as taken
        suffix += 1
        target = kata.workspace / BACKUPS / f"{stamp}-{suffix}"
    for path in present:
        name = path.relative_to(kata.workspace)
        if path.is_dir():
            shutil.copytree(path, target / name, symlinks=True)
        else:
            _atomic_copy(path, target / name)
    return target


def replace(kata: Kata, source: Source) -> Path | None:
    """Back up the learner's files (and changed data), then put ``source``'s files in their place."""
    saved = backup(kata)
    copy_in(kata, source)
    put_data(kata, refresh=True)
    return saved


def same_as(kata: Kata, source: Source) -> bool:
    """Whether the workspace holds exactly the files of ``source``."""
    mine = contents(kata, kata.workspace)
    return all(data is not None for data in mine.values()) and mine == contents(kata, source)


def digest(kata: Kata, source: Source | None = None) -> str:
    """A fingerprint of the *code* of the kata's files in the workspace (or ``source``): the
    same for two copies that differ only in comments, docstrings or formatting."""
    h = hashlib.sha256()
    for name, data in contents(kata, kata.workspace if source is None else source).items():
        h.update(name.encode() + b"\0")
        h.update(b"(missing)" if data is None else _code(data))
    return h.hexdigest()


def _code(data: bytes) -> bytes:
    """The module's syntax tree without docstrings; the bytes themselves if it does not parse."""
    try:
        tree = ast.parse(data)
    except (SyntaxError, ValueError):
        return data
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree).encode()


def diff(kata: Kata, old: Source, new: Source, old_label: str, new_label: str) -> str:
    """A unified diff of the kata's files between two sources."""
    chunks, olds, news = [], contents(kata, old), contents(kata, new)
    for name in kata.files:
        before = (olds[name] or b"").decode("utf-8", "replace").splitlines(keepends=True)
        after = (news[name] or b"").decode("utf-8", "replace").splitlines(keepends=True)
        chunks.extend(
            difflib.unified_diff(before, after, f"{old_label}/{name}", f"{new_label}/{name}", n=2)
        )
    return "".join(chunks)


def display(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
