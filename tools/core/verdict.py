"""The parent's verdict on one run: a Report built only from what the parent can vouch for.

The child's events are signed (:mod:`tools.core.runner`); here the first list of tests, sent
before any learner code ran, is the list that must pass, every one of them. An outcome for a test
that list does not hold, a second list, a forged line or a report of tampering makes the run a
failure that says what the code did. A test running when the process ended is a failure that
says how it ended, and a collected test that never reported is a failure too. Every text that
came from the child is made safe for a terminal.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Sequence

from tools.core.collector import Outcome, Report

NO_TESTS = 5  # pytest's exit status when it collected nothing
IDLE_SECONDS = 30.0  # a run that reported nothing this long is watched for waiting
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _how_it_ended(status: int) -> str:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"the process was killed by {name}" + (
            " (a crash in native code)" if name in {"SIGSEGV", "SIGBUS", "SIGABRT"} else ""
        )
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else status
    return f"your code ended the process (exit status {code}, e.g. os._exit or sys.exit)"


STOPPED_BY_PARENT = {
    "timeout": ("timeout", "the whole run was stopped after {wall:g} s, the limit for one run"),
    "waited": (
        "waited",
        "the code under test waited: the run reported nothing for {idle:g} s and hardly used "
        "the CPU, so it was stopped",
    ),
    "stopped": ("exited", "your code stopped its own process (SIGSTOP), so the run was ended"),
}


def printable(text: str) -> str:
    """``text`` with terminal control characters shown as escapes, never sent raw."""
    return CONTROL.sub(lambda m: repr(m[0])[1:-1], text)


def _clean(outcome: Outcome) -> Outcome:
    for name in ("test", "message", "where", "output", "exc_type"):
        setattr(outcome, name, printable(str(getattr(outcome, name) or "")))
    return outcome


def decide(
    events: list[dict],
    status: int,
    *,
    output: str = "",
    forged: int = 0,
    ended: str = "",
    wall: float = 0.0,
    notes: Sequence[str] = (),
) -> Report:
    """The Report of a run from its child's signed ``events`` and how it ``ended``.

    ``forged`` counts the lines that were not signed; ``ended`` says why the parent stopped the
    child (timeout | waited | stopped), if it did; ``status`` is the child's wait status."""
    report = Report(notes=list(notes))
    current, done, stopped = "", None, ""
    known = set()
    for event in events:
        if "collected" in event and not report.collected:
            report.collected = [str(test) for test in event["collected"]]
            known = set(report.collected)
        elif "collected" in event:
            report.tampering.append("your code reported a second list of tests")
        elif "start" in event:
            current = str(event["start"])
        elif "outcome" in event:
            fields = Outcome.__dataclass_fields__
            outcome = _clean(Outcome(**{k: v for k, v in event["outcome"].items() if k in fields}))
            if known and outcome.test not in known:
                report.tampering.append(
                    f"your code reported a test that does not exist ({outcome.test})"
                )
                continue
            report.outcomes = [o for o in report.outcomes if o.test != outcome.test]
            report.outcomes.append(outcome)
        elif "tampered" in event:
            report.tampering.append(printable(str(event["tampered"])))
        elif "stopped" in event:
            stopped = printable(str(event["stopped"]))
        elif "done" in event:
            done = int(event["done"])
    if forged:
        report.tampering.append(
            "your code wrote forged results into the test runner's channel; they were ignored"
        )
    report.output = printable(output)
    finished = {o.test for o in report.outcomes}
    where = current if current and current not in finished else ""
    report.exit_code = done if done is not None else -1
    if done == NO_TESTS and not report.collected and not report.outcomes:
        report.outcomes.append(
            Outcome("(the whole run)", False, "missing", "NoTests",
                    "the kata has no tests to run: its test files are missing (git checkout "
                    "restores them)")
        )  # fmt: skip
    if report.tampering:
        report.outcomes.append(
            Outcome(where or "(the whole run)", False, "tampered", "Tampering",
                    f"{report.tampering[0]}: a kata counts as solved only when its own tests, "
                    "untouched, pass")
        )  # fmt: skip
    elif done is None:
        reason, message = "exited", _how_it_ended(status)
        if ended:
            reason, text = STOPPED_BY_PARENT[ended]
            message = text.format(wall=wall, idle=IDLE_SECONDS)
        if where:
            report.outcomes.append(
                Outcome(where, False, reason, "ProcessEnded", f"{message} during {where}")
            )
        elif not report.collected:
            report.outcomes.append(
                Outcome("(the whole run)", False, reason, "ProcessEnded", message)
            )
        else:  # it ended between two tests: the ones left say how
            stopped = stopped or message
    elif where:
        report.outcomes.append(
            Outcome(where, False, "exited", "ProcessEnded",
                    f"your code stopped the test run (pytest.exit or a KeyboardInterrupt) during {where}")
        )  # fmt: skip
    finished = {o.test for o in report.outcomes}
    never = f"this test never ran: {stopped or 'an earlier test ended the run'}"
    for test in report.collected:
        if test not in finished:
            report.outcomes.append(Outcome(test, False, "not-run", "NotRun", never))
    return report
