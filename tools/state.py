"""The learner's progress, kept in one small git-ignored JSON file; never fatal when missing or corrupt."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools import KATAS

STATE_FILE = KATAS / ".state.json"
VERSION = 1


def _empty() -> dict[str, Any]:
    return {"version": VERSION, "katas": {}}


def load(path: Path = STATE_FILE) -> dict[str, Any]:
    """The saved state; a missing file is a fresh start, a corrupt one is set aside with a warning."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _empty()
    except (OSError, ValueError):
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            path.replace(aside)
            where = f"; it was moved to {aside.name}"
        except OSError:
            where = ""
        print(
            f"warning: progress file {path} was unreadable and is started afresh{where}",
            file=sys.stderr,
        )
        return _empty()
    if not isinstance(data, dict) or not isinstance(data.get("katas"), dict):
        return _empty()
    return data


def save(data: dict[str, Any], path: Path = STATE_FILE) -> None:
    """Write atomically: a crash half way leaves the previous file intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=".state-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def entry(data: dict[str, Any], slug: str) -> dict[str, Any]:
    """The mutable record of one kata (created on first use)."""
    record = data["katas"].setdefault(slug, {})
    if not isinstance(record, dict):
        record = data["katas"][slug] = {}
    record.setdefault("hints_shown", 0)
    record.setdefault("attempts", [])
    record.setdefault("done_variants", [])
    return record
