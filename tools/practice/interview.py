"""Timed interview mode: a countdown from the kata's budget and a rubric-style report at the end.

The rubric is the one ML coding rounds are scored on: correctness 30 % (behaviour tests), ML
understanding 25 % (the root cause the learner states: its class and the kata's key concepts),
code quality 20 % (lint findings the learner added), edge cases 15 % (tests marked ``edge``) and
communication 10 % (a clear, concise explanation). Hints and time are reported beside it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tools import ROOT
from tools.core import workspace
from tools.core.term import format_duration, indent, say, style
from tools.practice import rootcause

if TYPE_CHECKING:
    from tools.core.collector import Report
    from tools.core.exercise import Exercise

WEIGHTS = {
    "correctness": 30,
    "ml_understanding": 25,
    "code_quality": 20,
    "edge_cases": 15,
    "communication": 10,
}
LABELS = {
    "correctness": "Correctness",
    "ml_understanding": "ML understanding",
    "code_quality": "Code quality",
    "edge_cases": "Edge cases",
    "communication": "Communication",
}
VERDICTS = ((85, "strong"), (70, "solid"), (50, "partial"), (0, "not yet"))


@dataclass
class Rubric:
    correctness: tuple[int, int]  # behaviour tests passing, of
    edge_cases: tuple[int, int]  # edge-case tests passing, of
    findings: int | None  # lint findings added to the handed-out code; None: not measured
    hints: tuple[int, int]  # hints used, of
    seconds: float
    budget_seconds: float
    understanding: float = 0.0  # 0..1, from the stated root cause
    communication: float = 0.0  # 0..1, from the explanation's clarity
    basis: dict[str, str] = field(default_factory=dict)  # what each part's score rests on

    def points(self) -> dict[str, float]:
        def share(part: tuple[int, int]) -> float:
            return part[0] / part[1] if part[1] else 1.0

        return {
            "correctness": WEIGHTS["correctness"] * share(self.correctness),
            "ml_understanding": WEIGHTS["ml_understanding"] * self.understanding,
            "code_quality": WEIGHTS["code_quality"] * max(0.0, 1 - (self.findings or 0) / 5),
            "edge_cases": WEIGHTS["edge_cases"] * share(self.edge_cases),
            "communication": WEIGHTS["communication"] * self.communication,
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


def start(exercise: Exercise, record: dict) -> None:
    """Open an interview on ``record``: a fresh attempt, so hints and the clock start at zero."""
    now = time.time()
    record["interview"] = {
        "started": now,
        "deadline": now + exercise.minutes * 60,
        "hints_before": record["hints_shown"],
        "known_digests": list(record["solved_digests"]),
    }
    record["hints_shown"] = 0
    record.update(
        started=now, solved_at=None, seconds=None, active_seconds=0.0, last_active=now, peeked=False
    )
    say(style(f"Interview started: {exercise.minutes} minutes, from now.", "bold"))


def set_aside_root_cause(exercise: Exercise) -> Path | None:
    """Move an earlier root-cause.txt into the backups, so a new interview never submits it."""
    path = exercise.workspace / rootcause.FILE
    if not path.is_file():
        return None
    folder = exercise.workspace / workspace.BACKUPS / time.strftime("%Y%m%d-%H%M%S")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / rootcause.FILE
    path.replace(target)
    return target


def remaining(record: dict) -> float | None:
    current = active(record)
    return None if current is None else current["deadline"] - time.time()


def print_clock(record: dict) -> None:
    left = remaining(record)
    if left is not None:
        colour = "red" if left < 300 else "yellow"
        say(style(f"⏱  {format_duration(max(left, 0))} left in the interview", colour))


def finish(
    exercise: Exercise,
    record: dict,
    result: Report,
    statement: rootcause.Statement,
    stopped: bool = False,
) -> Rubric | None:
    """Score the open interview, store it, print the report (inside a state update)."""
    current = active(record)
    if current is None:
        return None
    core = [o for o in result.outcomes if not o.edge]
    edge = [o for o in result.outcomes if o.edge]
    theirs = lint_findings([exercise.workspace / n for n in exercise.files])
    with exercise.handed_out() as source:
        baseline = lint_findings([source / n for n in exercise.files])
    added = None if theirs is None or baseline is None else max(0, theirs - baseline)
    understood, understood_basis = rootcause.understanding(
        statement,
        exercise.classes,
        exercise.concepts,
        dict(exercise.aliases),
        reveal=result.passed or not exercise.blind,
    )
    clear, clear_basis = rootcause.communication(statement, max(1, len(exercise.problems)))
    rubric = Rubric(
        correctness=(sum(o.passed for o in core), len(core)),
        edge_cases=(sum(o.passed for o in edge), len(edge)),
        findings=added,
        hints=(record["hints_shown"], len(exercise.hints)),
        seconds=min(time.time(), current["deadline"]) - current["started"],
        budget_seconds=exercise.minutes * 60,
        understanding=understood,
        communication=clear,
    )
    rubric.basis = {
        "correctness": f"{rubric.correctness[0]}/{rubric.correctness[1]} behaviour tests pass",
        "ml_understanding": understood_basis,
        "code_quality": (
            "not measured (ruff not installed)"
            if added is None
            else f"{added} lint finding{'s' if added != 1 else ''} added"
        ),
        "edge_cases": f"{rubric.edge_cases[0]}/{rubric.edge_cases[1]} edge-case tests pass",
        "communication": clear_basis,
    }
    record["interview"] = None
    reused = _reused(exercise, current) or "; ".join(result.tampering[:1])
    record["interviews"].append(
        {
            **asdict(rubric),
            "score": rubric.score(),
            "solved": result.passed,
            "stopped": stopped,
            "reused": reused,
            "variant": exercise.variant,
            "category": exercise.category,
            "root_cause": statement.to_dict(),
            "when": time.time(),
        }
    )
    ending = "stopped" if stopped else "solved" if result.passed else "time is up"
    print_rubric(exercise, rubric, ending, record["interviews"], reused, statement, result.passed)
    return rubric


def _reused(exercise: Exercise, current: dict) -> str:
    """Why the submitted code is not the learner's own work of this interview, if it is not."""
    mine = workspace.digest(exercise)
    if mine == workspace.digest(exercise, exercise.fixed):
        return (
            "the submitted code is identical to the reference solution (comments and layout aside)"
        )
    if mine in current.get("known_digests", []):
        return (
            "the submitted code is identical to a copy you had already solved before this interview"
        )
    return ""


def print_rubric(
    exercise: Exercise,
    rubric: Rubric,
    ending: str,
    history: list[dict],
    reused: str = "",
    statement: rootcause.Statement | None = None,
    solved: bool = False,
) -> None:
    points = rubric.points()
    say(style(f"\nInterview report: {exercise.name} ({ending})", "bold", "blue"))
    for key, weight in WEIGHTS.items():
        detail = rubric.basis.get(key, "")
        say(f"  {LABELS[key]:<17} {weight:>3} %  {points[key]:5.1f}   {detail}")
    say(style(f"  {'Score':<17} {'':>5}  {rubric.score():5d}   {rubric.verdict()}", "bold"))
    say(
        f"  Beside the rubric: {rubric.hints[0]} of {rubric.hints[1]} hints used; "
        f"{format_duration(rubric.seconds)} of {format_duration(rubric.budget_seconds)}"
    )
    if statement is not None:
        said = (
            statement.explanation or "(nothing: " + "; ".join(statement.notes or ["skipped"]) + ")"
        )
        where = f" (from {statement.source})" if statement.source == rootcause.FILE else ""
        say(style("\n  Your root cause", "bold") + f" [{statement.category or 'no class'}]{where}")
        say(indent(said, "    "))
        for note in statement.notes if statement.explanation else []:
            say(style(f"    ({note})", "yellow"))
        if exercise.blind and not solved:
            say(style("  The explanation", "bold") + " is shown once the exercise is solved.")
        else:
            if exercise.blind:
                say(style("  It was", "bold") + f" the {exercise.reveal}.")
            say(style("  The explanation", "bold") + f" [{', '.join(exercise.classes)}]")
            say(indent(exercise.explanation.strip(), "    "))
    if reused:
        say(style(f"  Note: {reused}; this score says nothing about solving it.", "yellow"))
    scores = [entry["score"] for entry in history if isinstance(entry, dict) and "score" in entry]
    if len(scores) > 1:
        say(
            f"  Your interview scores on this kata so far: {' → '.join(map(str, scores))} (best {max(scores)})"
        )
