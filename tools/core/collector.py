"""A pytest plugin that records every test's outcome of one kata in the learner's terms.

It runs inside the child process that :mod:`tools.core.runner` forks for each run (and inside
mutmut's runs, as ``-p tools.core.collector --report-json FILE``), so every tool classifies failures
the same way. A test counts as passed only when its call phase passed: a skip, an xfail or a
test that never ran is a failure. In a learner's run (``guarded``) a pass is counted only after
:class:`~tools.core.guard.Snapshot` found the test machinery as it was before learner code ran;
otherwise the run ends, reporting what the code replaced.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tools import ROOT
from tools.core import guard

# Exceptions that a kata's own numerical code raises when its maths or shapes go wrong.
NUMERICAL = {
    "FloatingPointError",
    "ValueError",
    "LinAlgError",
    "ZeroDivisionError",
    "IndexError",
    "OverflowError",
    "RuntimeWarning",
}
# Reasons that count as "the tests caught the bug by its behaviour".
BEHAVIOURAL = {"assertion", "numerical"}


@dataclass
class Outcome:
    """One test's result, with its failure described in the learner's terms."""

    test: str  # node id relative to tests/<slug>/, e.g. "test_leakage.py::test_x"
    passed: bool
    # assertion | numerical | timeout | waited | syntax | missing | setup | collection | crash |
    # skipped | exited (the process ended during the test) | not-run | tampered
    reason: str = ""
    exc_type: str = ""
    message: str = ""
    where: str = ""  # file:line of the innermost frame in the implementation under test
    edge: bool = False
    seconds: float = 0.0
    output: str = ""  # what the test printed (stdout and stderr), at most 500 characters


@dataclass
class Report:
    """Every test's outcome for one run of one kata against one implementation."""

    outcomes: list[Outcome] = field(default_factory=list)
    exit_code: int = 0
    output: str = ""
    collected: list[str] = field(default_factory=list)  # every test id pytest collected
    tampering: list[str] = field(default_factory=list)  # what learner code did to the machinery
    notes: list[str] = field(default_factory=list)  # files out of place, in plain words

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def passed(self) -> bool:
        """Every collected test ran and passed, as counted here, not by the code under test."""
        ran = {o.test for o in self.outcomes if o.passed}
        return (
            self.exit_code == 0
            and bool(self.collected)
            and not self.failures
            and not self.tampering
            and set(self.collected) <= ran
        )

    @property
    def failing_tests(self) -> list[str]:
        return sorted(o.test for o in self.failures)

    def to_json(self) -> str:
        return json.dumps(
            {
                "exit_code": self.exit_code,
                "collected": self.collected,
                "outcomes": [asdict(o) for o in self.outcomes],
                "tampering": self.tampering,
                "notes": self.notes,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        known = set(Outcome.__dataclass_fields__)
        outcomes = [Outcome(**{k: v for k, v in o.items() if k in known}) for o in data["outcomes"]]
        return cls(
            outcomes,
            data["exit_code"],
            collected=data.get("collected", []),
            tampering=data.get("tampering", []),
            notes=data.get("notes", []),
        )


def _message(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """The part of an exception's text a learner should read first."""
    value = excinfo.value
    if isinstance(value, SyntaxError):
        return f"{value.msg} (line {value.lineno}: {(value.text or '').strip()})"
    text = str(value).strip() or excinfo.typename
    if isinstance(value, AssertionError) and "\nassert " in "\n" + text:
        # pytest's rewritten comparison follows the author's message; keep the message.
        head = ("\n" + text).split("\nassert ")[0].strip()
        text = head or text
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return "\n".join(lines[:8])


def _innermost(excinfo: pytest.ExceptionInfo[BaseException], impl: Path) -> str:
    """``file:line in function`` of the deepest frame inside the implementation, if any."""
    value = excinfo.value
    if isinstance(value, SyntaxError) and value.filename:
        return f"{_display(Path(value.filename))}:{value.lineno}"
    found = ""
    for entry in excinfo.traceback:
        path = Path(str(entry.path))
        if path.is_relative_to(impl):
            found = f"{_display(path)}:{entry.lineno + 1} in {entry.name}"
    return found


def _printed(report: pytest.TestReport) -> str:
    text = (report.capstdout or "") + (report.capstderr or "")
    return text if len(text) <= 500 else text[:480] + "\n… (truncated)"


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return ""


def _display(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def classify(excinfo: pytest.ExceptionInfo[BaseException], phase: str, where: str) -> str:
    value = excinfo.value
    text = str(value)
    if isinstance(value, SyntaxError):
        return "syntax"
    if isinstance(value, (FileNotFoundError, ImportError)) and phase != "call":
        return "missing"
    if excinfo.typename == "Failed" and text.startswith("Timeout"):
        return "timeout"
    if excinfo.typename == "Waited":
        return "waited"
    if phase != "call":
        return "setup"
    if isinstance(value, AssertionError) or excinfo.typename == "Failed":
        return "assertion"
    if excinfo.typename in NUMERICAL and where:
        return "numerical"
    return "crash"


class Collector:
    """A pytest plugin that records an :class:`Outcome` for every test of one kata."""

    def __init__(
        self,
        slug: str,
        impl: Path,
        emit: Callable[[dict], None] | None = None,
        guarded: bool = False,
        gate: int | None = None,
    ) -> None:
        self.slug = slug
        self.gate = gate  # a run forked ahead of time waits here, once collected, for its start
        self.impl = impl.resolve()
        self.report = Report()
        self.emit = emit or (lambda event: None)  # streams progress to a parent process
        self.snapshot = guard.Snapshot() if guarded else None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.report.collected = [self._test_id(item.nodeid) for item in session.items]
        self.emit({"collected": self.report.collected})  # before any learner code has run
        if self.gate is not None:
            # Forked ahead of the learner's save (watch mode): the learner's modules are imported
            # by the tests, so nothing of theirs has been read yet. No word but "go": discarded.
            if os.read(self.gate, 1) != b"g":
                os._exit(0)
            os.close(self.gate)
        if self.snapshot is not None:
            self.snapshot.take(session.config, session.items, self)
            sys.audit(guard.ARM)

    def check(self) -> None:
        """End the run if learner code has replaced part of the machinery (guarded runs)."""
        changes = self.snapshot.changes() if self.snapshot is not None else []
        if changes:
            try:
                self.emit({"tampered": f"your code {'; '.join(changes[:3])}"})
            finally:
                sys.stdout.flush()
                os._exit(guard.TAMPERED)

    def pytest_runtest_logstart(self, nodeid: str, location: object) -> None:
        self.emit({"start": self._test_id(nodeid)})

    def _test_id(self, nodeid: str) -> str:
        prefix = f"tests/{self.slug}/"
        return nodeid[len(prefix) :] if nodeid.startswith(prefix) else nodeid

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]):
        report = yield
        edge = item.get_closest_marker("edge") is not None
        test = self._test_id(item.nodeid)
        if report.failed and call.excinfo is not None:
            where = _innermost(call.excinfo, self.impl)
            self._record(
                Outcome(
                    test=test,
                    passed=False,
                    reason=classify(call.excinfo, report.when, where),
                    exc_type=call.excinfo.typename,
                    message=_message(call.excinfo),
                    where=where,
                    edge=edge,
                    seconds=round(call.duration, 4),
                    output=_printed(report),
                )
            )
        elif report.skipped:
            what = "marked as an expected failure" if hasattr(report, "wasxfail") else "skipped"
            reason = getattr(report, "wasxfail", "") or _skip_reason(report)
            self._record(
                Outcome(
                    test=test,
                    passed=False,
                    reason="skipped",
                    exc_type="Skipped",
                    message=f"the test was {what} before it could pass"
                    + (f" ({reason})" if reason else "")
                    + ": a kata counts as solved only when every test runs and passes",
                    where=_innermost(call.excinfo, self.impl) if call.excinfo else "",
                    edge=edge,
                )
            )
        elif report.when == "call" and report.passed:
            self.check()
            self._record(
                Outcome(
                    test=test,
                    passed=True,
                    edge=edge,
                    seconds=round(call.duration, 4),
                    output=_printed(report),
                )
            )
        return report

    def _record(self, outcome: Outcome) -> None:
        # A test that failed in setup never reaches "call"; one that failed in "call" and
        # again in teardown keeps its first, more telling, failure.
        if any(o.test == outcome.test and not o.passed for o in self.report.outcomes):
            return
        self.report.outcomes = [o for o in self.report.outcomes if o.test != outcome.test]
        self.report.outcomes.append(outcome)
        self.emit({"outcome": asdict(outcome)})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.report.outcomes.append(
                Outcome(
                    test=self._test_id(report.nodeid) or "(collection)",
                    passed=False,
                    reason="collection",
                    exc_type="CollectionError",
                    message=str(report.longrepr).strip().splitlines()[-1],
                )
            )

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.check()  # the last look, while pytest's own patches are still in place
        self.report.exit_code = int(exitstatus)
        if isinstance(session.shouldstop, str) and session.shouldstop:
            self.emit({"stopped": session.shouldstop})


# pytest's own plugins that no kata run uses (no XML report, paste service, doctests, legacy path
# fixtures, stepwise or setup-only modes): left out, a run's configuration costs a tenth of a
# second less.
UNUSED_PLUGINS = ("-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:doctest")
UNUSED_PLUGINS += ("-p", "no:legacypath", "-p", "no:stepwise", "-p", "no:setuponly")
UNUSED_PLUGINS += ("-p", "no:setupplan")


def kata_pytest_args(
    slug: str, impl: Path, extra: tuple[str, ...] = (), base: Path | None = None
) -> list[str]:
    """pytest's arguments for one kata's tests against ``impl``: the tests under ``base`` (a
    private copy: its own rootdir and config) or under ``tests/`` of the current folder.

    ``--impl=DIR`` is one word: as two, pytest would take DIR for a path to test and load a
    conftest.py found there."""
    where = [f"tests/{slug}", "--confcutdir=tests"]
    if base is not None:
        where = [
            str(base / "tests" / slug),
            f"--rootdir={base}",
            "-c",
            str(base / "pyproject.toml"),
        ]
        where.append(f"--confcutdir={base / 'tests'}")
    return [*where, f"--impl={impl}", "-q", "--no-header", "-rN", *extra]


# -- plugin entry points for ``-p tools.report`` ------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--report-json", metavar="FILE", default=None, help="write each test's outcome as JSON"
    )


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("--report-json", default=None)
    impl = config.getoption("--impl", default=None)
    # ``-p tools.core.collector --report-json FILE``: the mutation sandbox's runs.
    if target and impl:
        args = [a for a in config.args if a.startswith("tests/")]
        slug = Path(args[0]).parts[1] if args else ""
        collector = Collector(slug, Path(impl))
        config._kata_collector = collector  # type: ignore[attr-defined]
        config.pluginmanager.register(collector, "kata-collector")


def pytest_unconfigure(config: pytest.Config) -> None:
    collector = getattr(config, "_kata_collector", None)
    target = config.getoption("--report-json", default=None)
    if collector is not None and target:
        Path(target).write_text(collector.report.to_json())
