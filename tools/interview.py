"""Timed interview mode: a countdown from the kata's budget and a rubric-style report at the end.

The rubric follows how interviewers score the debug-and-fix round: does it work (behaviour
tests), does it survive edge cases (tests marked ``edge``), is the code clean (lint findings the
learner added), how much help was needed (hints), and how long it took.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tools import ROOT, variants
from tools.catalog import Kata
from tools.term import format_duration, say, style

if TYPE_CHECKING:
    from tools.collector import Report

WEIGHTS = {"correctness": 40, "edge_cases": 20, "code_quality": 15, "hints": 15, "time": 10}
VERDICTS = ((85, "strong"), (70, "solid"), (50, "partial"), (0, "not yet"))


@dataclass
class Rubric:
    correctness: tuple[int, int]  # behaviour tests passing, of
    edge_cases: tuple[int, int]  # edge-case tests passing, of
    findings: int | None  # lint findings added to the handed-out code; None: not measured
    hints: tuple[int, int]  # hints used, of
    seconds: float
    budget_seconds: float

    def points(self) -> dict[str, float]:
        def share(part: tuple[int, int]) -> float:
            return part[0] / part[1] if part[1] else 1.0

        over = max(0.0, self.seconds - self.budget_seconds) / self.budget_seconds
        return {
            "correctness": WEIGHTS["correctness"] * share(self.correctness),
            "edge_cases": WEIGHTS["edge_cases"] * share(self.edge_cases),
            "code_quality": WEIGHTS["code_quality"] * max(0.0, 1 - (self.findings or 0) / 5),
            "hints": WEIGHTS["hints"] * (1 - share(self.hints) if self.hints[1] else 1.0),
            "time": WEIGHTS["time"] * max(0.0, 1 - over),
        }

    def score(self) -> int:
        return round(sum(self.points().values()))

    def verdict(self) -> str:
        return next(name for floor, name in VERDICTS if self.score() >= floor)


def lint_findings(paths: list[Path]) -> int | None:
    """How many ruff findings the files have, or None when ruff is not installed."""
    command = [sys.executable, "-m", "ruff", "check", "--isolated", "--output-format", "json"]
    command += ["--select", "E4,E7,E9,F,B,SIM", *map(str, paths)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        return len(json.loads(done.stdout or "[]"))
    except (OSError, ValueError):
        return None


def active(record: dict) -> dict | None:
    current = record.get("interview")
    return current if isinstance(current, dict) and "deadline" in current else None


def start(kata: Kata, record: dict) -> None:
    """Open an interview on ``record``: a fresh attempt, so hints and the clock start at zero."""
    now = time.time()
    record["interview"] = {
        "started": now,
        "deadline": now + kata.minutes * 60,
        "hints_before": record["hints_shown"],
        "known_digests": list(record["solved_digests"]),
    }
    record["hints_shown"] = 0
    record.update(started=now, solved_at=None, seconds=None)
    say(style(f"Interview started: {kata.minutes} minutes, from now.", "bold"))


def remaining(record: dict) -> float | None:
    current = active(record)
    return None if current is None else current["deadline"] - time.time()


def print_clock(record: dict) -> None:
    left = remaining(record)
    if left is not None:
        colour = "red" if left < 300 else "yellow"
        say(style(f"⏱  {format_duration(max(left, 0))} left in the interview", colour))


def finish(
    kata: Kata, record: dict, result: Report, source: Path, stopped: bool = False
) -> Rubric | None:
    """Score the open interview, store it, print the report (inside a state update)."""
    current = active(record)
    if current is None:
        return None
    core = [o for o in result.outcomes if not o.edge]
    edge = [o for o in result.outcomes if o.edge]
    theirs = lint_findings([kata.workspace / n for n in kata.files])
    baseline = lint_findings([source / n for n in kata.files])
    added = None if theirs is None or baseline is None else max(0, theirs - baseline)
    rubric = Rubric(
        correctness=(sum(o.passed for o in core), len(core)),
        edge_cases=(sum(o.passed for o in edge), len(edge)),
        findings=added,
        hints=(record["hints_shown"], len(variants.hints(kata, record.get("variant")))),
        seconds=min(time.time(), current["deadline"]) - current["started"],
        budget_seconds=kata.minutes * 60,
    )
    record["interview"] = None
    reused = _reused(kata, current)
    record["interviews"].append(
        {
            **asdict(rubric),
            "score": rubric.score(),
            "solved": result.passed,
            "stopped": stopped,
            "reused": reused,
            "variant": record.get("variant"),
            "when": time.time(),
        }
    )
    ending = "stopped" if stopped else "solved" if result.passed else "time is up"
    print_rubric(kata, rubric, ending, record["interviews"], reused)
    return rubric


def _reused(kata: Kata, current: dict) -> str:
    """Why the submitted code is not the learner's own work of this interview, if it is not."""
    from tools import workspace

    mine = workspace.digest(kata)
    if mine == workspace.digest(kata, kata.fixed):
        return "the submitted code is identical to the reference solution"
    if mine in current.get("known_digests", []):
        return (
            "the submitted code is identical to a copy you had already solved before this interview"
        )
    return ""


def print_rubric(
    kata: Kata, rubric: Rubric, ending: str, history: list[dict], reused: str = ""
) -> None:
    points = rubric.points()
    say(style(f"\nInterview report: {kata.slug} ({ending})", "bold", "blue"))
    quality = (
        "not measured (ruff not installed)"
        if rubric.findings is None
        else (f"{rubric.findings} lint finding{'s' if rubric.findings != 1 else ''} added")
    )
    rows = [
        (
            "Correctness",
            f"{rubric.correctness[0]}/{rubric.correctness[1]} behaviour tests pass",
            "correctness",
        ),
        (
            "Edge cases",
            f"{rubric.edge_cases[0]}/{rubric.edge_cases[1]} edge-case tests pass",
            "edge_cases",
        ),
        ("Code quality", quality, "code_quality"),
        ("Hints", f"{rubric.hints[0]} of {rubric.hints[1]} used", "hints"),
        (
            "Time",
            f"{format_duration(rubric.seconds)} of {format_duration(rubric.budget_seconds)}",
            "time",
        ),
    ]
    for label, detail, key in rows:
        say(f"  {label:<13} {detail:<44} {points[key]:5.1f} / {WEIGHTS[key]}")
    say(style(f"  {'Score':<13} {rubric.verdict():<44} {rubric.score():5d} / 100", "bold"))
    if reused:
        say(style(f"  Note: {reused}; this score says nothing about solving it.", "yellow"))
    scores = [entry["score"] for entry in history if isinstance(entry, dict) and "score" in entry]
    if len(scores) > 1:
        say(
            f"  Your interview scores on this kata so far: {' → '.join(map(str, scores))} (best {max(scores)})"
        )
