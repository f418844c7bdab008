"""The learner's progress: one git-ignored JSON file, read leniently, changed only under a lock.

Every change is a read-modify-write inside :func:`update`, under an exclusive lock on a file
beside the state, so two terminals (a ``--hint`` while another run saves) never overwrite one
another. A missing file is a fresh start; a corrupt one is set aside; a field of the wrong type
is reset with a warning. Nothing here is ever fatal to the learner, except a folder they cannot
write to, which is said in one line.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tools import KATAS, UserError

STATE_FILE = KATAS / ".state.json"
VERSION = 1
T = TypeVar("T")

NUMBER = (int, float)
# Each field of a kata's record: the types it may hold and its value when missing or wrong.
FIELDS: dict[str, tuple[tuple[type, ...], Callable[[], Any]]] = {
    "hints_shown": ((int,), lambda: 0),
    "started": ((*NUMBER, type(None)), lambda: None),
    "solved_at": ((*NUMBER, type(None)), lambda: None),
    "seconds": ((*NUMBER, type(None)), lambda: None),
    "variant": ((str, type(None)), lambda: None),
    "attempts": ((list,), list),
    "done_variants": ((list,), list),
    "solved_digests": ((list,), list),
    "interview": ((dict, type(None)), lambda: None),
    "interviews": ((list,), list),
    # what the record's name stands for when it is not a kata's slug: {slug, variant, blind}
    "exercise": ((dict, type(None)), lambda: None),
    "active_seconds": (NUMBER, lambda: 0.0),  # time spent on it, idle gaps left out
    "last_active": ((*NUMBER, type(None)), lambda: None),
    "peeked": ((bool,), lambda: False),  # the solution was shown before it was solved
}


# The fields of an open interview that every command reads (a missing one takes the default).
INTERVIEW: dict[str, tuple[tuple[type, ...], Any]] = {
    "started": (NUMBER, None),
    "deadline": (NUMBER, None),
    "hints_before": ((int,), 0),
    "known_digests": ((list,), []),
}


def _of(value: Any, kinds: tuple[type, ...]) -> bool:
    """Whether ``value`` is one of ``kinds`` (a bool only where bool is named; no inf or nan)."""
    if isinstance(value, bool) and bool not in kinds:
        return False
    return isinstance(value, kinds) and not (isinstance(value, float) and not math.isfinite(value))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "katas": {}}


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def clean_record(slug: str, record: Any) -> dict[str, Any]:
    """A kata's record with every known field present and of the right type."""
    if not isinstance(record, dict):
        if record is not None:
            _warn(f"progress of '{slug}' was not a record and is started afresh")
        record = {}
    for name, (kinds, default) in FIELDS.items():
        value = record.get(name, default())
        if not _of(value, kinds):
            _warn(f"progress field '{name}' of '{slug}' held {_short(value)}; it is reset")
            value = default()
        record[name] = value
    interview = record["interview"]
    if interview is not None and not all(
        _of(interview.get(key, default), kinds) for key, (kinds, default) in INTERVIEW.items()
    ):
        _warn(f"the open interview of '{slug}' held {_short(interview)}; it is closed")
        record["interview"] = None
    record["attempts"] = [a for a in record["attempts"] if isinstance(a, dict)]
    record["interviews"] = [a for a in record["interviews"] if isinstance(a, dict)]
    record["done_variants"] = [v for v in record["done_variants"] if isinstance(v, str)]
    record["hints_shown"] = max(0, record["hints_shown"])
    return record


def load(path: Path = STATE_FILE) -> dict[str, Any]:
    """The saved state, validated; a missing file is a fresh start, a corrupt one is set aside."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty()
    except PermissionError:
        raise UserError(f"cannot read {path}: permission denied") from None
    except (OSError, ValueError):
        _set_aside(path, "was unreadable")
        return _empty()
    if not isinstance(data, dict) or not isinstance(data.get("katas"), dict):
        _set_aside(path, "had an unexpected layout")
        return _empty()
    if data.get("version") != VERSION:
        _set_aside(path, f"is of version {data.get('version')!r}, not {VERSION}")
        return _empty()
    for slug in list(data["katas"]):
        data["katas"][slug] = clean_record(slug, data["katas"][slug])
    return data


def _set_aside(path: Path, why: str) -> None:
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        path.replace(aside)
        where = f"; it was moved to {aside.name}"
    except OSError:
        where = ""
    _warn(f"progress file {path} {why} and is started afresh{where}")


def _temporary(path: Path) -> tuple[int, str]:
    """A new temporary file beside ``path``; a folder that refuses it is said in one line."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
    except PermissionError:
        raise UserError(
            f"cannot save progress in {path.parent}: permission denied (make it writable)"
        ) from None


def save(data: dict[str, Any], path: Path = STATE_FILE) -> None:
    """Write atomically: a crash half way leaves the previous file intact."""
    fd, temporary = _temporary(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def ensure_writable(path: Path = STATE_FILE) -> None:
    """Fail now, in one line, if progress could not be saved: before files are replaced."""
    fd, temporary = _temporary(path)
    os.close(fd)
    Path(temporary).unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    lock_path = path.with_name(f"{path.name}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the with block
    except PermissionError:
        raise UserError(
            f"cannot save progress in {path.parent}: permission denied (make it writable)"
        ) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def record(slug: str, path: Path = STATE_FILE) -> dict[str, Any]:
    """A fresh, validated copy of one kata's record (changes to it are not saved)."""
    return clean_record(slug, load(path)["katas"].get(slug))


def update(slug: str, change: Callable[[dict[str, Any]], T], path: Path = STATE_FILE) -> T:
    """Apply ``change`` to one kata's record under the lock, save, and return its result."""
    with _locked(path):
        data = load(path)
        current = data["katas"][slug] = clean_record(slug, data["katas"].get(slug))
        result = change(current)
        save(data, path)
    return result


def entry(data: dict[str, Any], slug: str) -> dict[str, Any]:
    """The record of one kata within loaded ``data`` (created on first use)."""
    current = data["katas"][slug] = clean_record(slug, data["katas"].get(slug))
    return current
