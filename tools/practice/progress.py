"""An exercise's record of progress: active time, solves, and which results count as a best.

Time is *active* time: the clock starts at the first run after checkout, and each later action
(a run, a hint) adds the time since the previous one, unless that gap was longer than
:data:`IDLE_SECONDS` (the learner was away). A solve of code already solved before, of the
reference solution, or after the solution was shown, is recorded but never counts as a best.
"""

from __future__ import annotations

import time
from typing import Any

# Finding a bug means reading code and running experiments between two runs of the tests: a blind
# learner who spent five minutes that way between the first run and the solving one was shown
# "solved in 0 s" when this was 300. A gap longer than a quarter of an hour is an absence.
IDLE_SECONDS = 900.0


def started(record: dict[str, Any]) -> None:
    """A fresh attempt: the clock starts again at the next run."""
    record.update(
        started=time.time(),
        solved_at=None,
        seconds=None,
        active_seconds=0.0,
        last_active=None,
        peeked=False,
    )


def tick(record: dict[str, Any], now: float | None = None) -> None:
    """Count the time since the learner's previous action, unless it was an idle gap."""
    now = time.time() if now is None else now
    last = record.get("last_active")
    if isinstance(last, (int, float)) and not record.get("solved_at"):
        gap = now - last
        if 0 <= gap <= IDLE_SECONDS:
            record["active_seconds"] = float(record.get("active_seconds") or 0.0) + gap
    record["last_active"] = now


def solve(
    record: dict[str, Any], digest: str, known: bool = False, now: float | None = None
) -> tuple[float | None, int, str]:
    """Record a passing run: (active seconds, hints used, why it does not count as a best or "")."""
    now = time.time() if now is None else now
    tick(record, now)
    seen = digest in record["solved_digests"]
    if not seen:
        record["solved_digests"].append(digest)
    if record.get("solved_at"):  # a re-run after the solve: nothing new to record or to judge
        return record.get("seconds"), record["hints_shown"], ""
    why = ""
    if known:
        why = "this code is the reference solution"
    elif seen:
        why = "this same code solved an earlier attempt"
    elif record.get("peeked"):
        why = "the solution was shown before it was solved"
    seconds = float(record.get("active_seconds") or 0.0)
    record.update(solved_at=now, seconds=seconds)
    record["attempts"].append(
        {"seconds": seconds, "hints": record["hints_shown"], "when": now, "counts": not why}
    )
    return seconds, record["hints_shown"], why


def counted(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The attempts that may set a best (older records, without the flag, all count)."""
    return [a for a in record.get("attempts") or [] if a.get("counts", True)]


def best(record: dict[str, Any]) -> tuple[float | None, int | None]:
    """The fastest counted solve and the fewest hints over the counted attempts."""
    attempts = counted(record)
    times = [a["seconds"] for a in attempts if isinstance(a.get("seconds"), (int, float))]
    hints = [a["hints"] for a in attempts if isinstance(a.get("hints"), int)]
    return (min(times) if times else None, min(hints) if hints else None)


def solved(record: dict[str, Any]) -> bool:
    return bool(record.get("attempts") or record.get("solved_at"))


def touched(record: dict[str, Any]) -> bool:
    """Whether the learner has ever started it (checked out, run, hinted or interviewed)."""
    return bool(
        record.get("started")
        or record.get("last_active")
        or record.get("hints_shown")
        or record.get("attempts")
        or record.get("interviews")
    )
