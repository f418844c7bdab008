"""Feedback after a run: the calm text a learner reads about what fails, why, where, and what next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.core.term import format_duration, indent, say, style
from tools.core.workspace import display, files

if TYPE_CHECKING:
    from tools.core.collector import Outcome, Report
    from tools.core.exercise import Exercise

_NOISE = ("Not equal to tolerance", "Arrays are not equal", "Arrays are not almost equal")


def _clean(message: str, most: int = 5) -> str:
    """The author's message first, then a few lines of numbers, never a page of them."""
    lines = [line for line in message.splitlines() if not line.strip().startswith(_NOISE)]
    return "\n".join(lines[:most]).strip()


def _describe(outcome: Outcome) -> str:
    where = f" (raised at {outcome.where})" if outcome.where else ""
    if outcome.reason == "timeout":
        stuck = f"; it was running {outcome.where}" if outcome.where else ""
        return f"did not finish within the time limit: the code under test may loop forever{stuck}"
    if outcome.reason == "assertion":
        return _clean(outcome.message)
    if outcome.reason in {"exited", "not-run", "tampered"}:
        return _clean(outcome.message)
    if outcome.reason == "waited":
        return _clean(outcome.message) + (
            f"; it was waiting at {outcome.where}" if outcome.where else ""
        )
    if outcome.reason == "skipped":
        return f"{_clean(outcome.message)}{where}"
    return f"{outcome.exc_type}: {_clean(outcome.message)}{where}"


def _blocking(report: Report) -> Outcome | None:
    """A failure that stops every test before it starts: a syntax error, a missing file, no collection."""
    for outcome in report.failures:
        if outcome.reason in {"syntax", "missing", "collection"}:
            return outcome
    return None


def print_failures(exercise: Exercise, report: Report, hints_shown: int, hints_total: int) -> None:
    total = len(report.outcomes)
    blocked = _blocking(report)
    if blocked is not None:
        say(style("✗ The tests could not start.", "red", "bold"))
        detail = f"{blocked.where}: " if blocked.where else ""
        text = f"{detail}{blocked.exc_type}: {_clean(blocked.message)}"
        say(indent(exercise.scrub(text)))
        say(indent("Fix the file and run the same command again.", "    "))
    else:
        failed = report.failures
        say(style(f"✗ {len(failed)} of {total} tests fail.", "red", "bold"))
        if exercise.problems:
            print_problems(exercise, report)
        never = [o for o in failed if o.reason == "not-run"]
        failed = [o for o in failed if o.reason != "not-run"]
        if exercise.withholds(hints_shown):
            _print_quietly(exercise, failed)
            failed = [o for o in failed if o.reason != "assertion"]
        for number, outcome in enumerate(failed, 1):
            name = exercise.test_label(outcome.test)
            tag = style(" [edge case]", "yellow") if outcome.edge else ""
            say(f"\n  {number}. {style(name, 'bold')}{tag}")
            say(indent(exercise.scrub(_describe(outcome)), "     "))
        if never:
            why = never[0].message.partition("never ran: ")[2] or "the process ended before them"
            say(f"\n  {len(never)} more test{'s' if len(never) != 1 else ''} never ran: {why}.")
    say()
    say(f"Edit:  {', '.join(display(p) for p in files(exercise))}")
    width = len(exercise.command()) + 2
    say(f"Then:  {exercise.command():<{width + 12}}re-run the tests")
    say(
        f"       {exercise.command('--hint'):<{width + 12}}a hint ({hints_shown} of {hints_total} used)"
    )
    later = " (after the first hint)" if exercise.withholds(hints_shown) else ""
    say(f"       {exercise.command('--traceback'):<{width + 12}}pytest's full output{later}")


def _print_quietly(exercise: Exercise, failed: list[Outcome]) -> None:
    """Which checks fail, without what they measured (or on which case): the symptom is the
    brief's, the condition for the learner to find. Errors the code raises are shown as usual."""
    cases: dict[str, int] = {}
    for outcome in failed:
        if outcome.reason == "assertion":
            label = exercise.test_label(outcome.test).partition("[")[0]
            cases[label] = cases.get(label, 0) + 1
    if not cases:
        return
    named = [f"{label} ({n} cases)" if n > 1 else label for label, n in cases.items()]
    say(f"\n  Failing checks: {', '.join(named)}.")
    say(indent("What each one measured comes with the first hint (--hint).", "  "))


def problems_left(exercise: Exercise, report: Report) -> list:
    """The boss kata's problems that still have a failing test."""
    failing = set(report.failing_tests)
    return [p for p in exercise.problems if failing & set(p.tests)]


def print_problems(exercise: Exercise, report: Report) -> None:
    left = problems_left(exercise, report)
    done = len(exercise.problems) - len(left)
    say(style(f"  {done} of {len(exercise.problems)} problems fixed.", "bold"))
    for number, problem in enumerate(exercise.problems, 1):
        mark = style("✓", "green") if problem not in left else style("✗", "red")
        # Blind, a problem's title would name the bug before it is found.
        say(
            f"  {mark} {f'problem {number}' if getattr(exercise, 'blind', False) else problem.title}"
        )


def print_success(
    exercise: Exercise,
    report: Report,
    seconds: float | None,
    hints_shown: int,
    not_counted: str = "",
) -> None:
    total = len(report.outcomes)
    took = f" in {format_duration(seconds)} of active time" if seconds is not None else ""
    hints = (
        f"with {hints_shown} hint{'s' if hints_shown != 1 else ''}"
        if hints_shown
        else "without hints"
    )
    say(style(f"✓ All {total} tests pass. Solved{took}, {hints}.", "green", "bold"))
    if not_counted:
        say(style(f"  Not counted as a best: {not_counted}.", "yellow"))
    if exercise.blind:
        say()
        say(style("What it was", "bold", "blue"))
        say(indent(f"{exercise.name} was the {exercise.reveal}."))
    say()
    say(style("Why it mattered", "bold", "blue"))
    say(indent(exercise.explanation))
    say()
    say(f"Compare with the reference solution:  {exercise.command('--diff')}")
