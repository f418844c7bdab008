"""Runs a kata's tests and reports each failure in the learner's terms (a pytest plugin).

The same collector serves in-process runs (the learner loop) and subprocess runs
(``python -m pytest ... -p tools.report --report-json FILE``, used by the self-check and by
mutation testing), so both classify failures the same way.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pytest

from tools import ROOT

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
    reason: str = (
        ""  # assertion | numerical | timeout | syntax | missing | setup | collection | crash
    )
    exc_type: str = ""
    message: str = ""
    where: str = ""  # file:line of the innermost frame in the implementation under test
    edge: bool = False
    seconds: float = 0.0


@dataclass
class Report:
    """Every test's outcome for one run of one kata against one implementation."""

    outcomes: list[Outcome] = field(default_factory=list)
    exit_code: int = 0
    output: str = ""

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and bool(self.outcomes) and not self.failures

    @property
    def failing_tests(self) -> list[str]:
        return sorted(o.test for o in self.failures)

    def to_json(self) -> str:
        return json.dumps(
            {"exit_code": self.exit_code, "outcomes": [asdict(o) for o in self.outcomes]}
        )

    @classmethod
    def from_json(cls, text: str) -> Report:
        data = json.loads(text)
        return cls([Outcome(**o) for o in data["outcomes"]], data["exit_code"])


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
    if phase != "call":
        return "setup"
    if isinstance(value, AssertionError) or excinfo.typename == "Failed":
        return "assertion"
    if excinfo.typename in NUMERICAL and where:
        return "numerical"
    return "crash"


class Collector:
    """A pytest plugin that records an :class:`Outcome` for every test of one kata."""

    def __init__(self, slug: str, impl: Path) -> None:
        self.slug = slug
        self.impl = impl.resolve()
        self.report = Report()

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
                )
            )
        elif report.when == "call" and report.passed:
            self._record(
                Outcome(test=test, passed=True, edge=edge, seconds=round(call.duration, 4))
            )
        return report

    def _record(self, outcome: Outcome) -> None:
        # A test that failed in setup never reaches "call"; one that failed in "call" and
        # again in teardown keeps its first, more telling, failure.
        if any(o.test == outcome.test and not o.passed for o in self.report.outcomes):
            return
        self.report.outcomes = [o for o in self.report.outcomes if o.test != outcome.test]
        self.report.outcomes.append(outcome)

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
        self.report.exit_code = int(exitstatus)


def kata_pytest_args(slug: str, impl: Path, extra: tuple[str, ...] = ()) -> list[str]:
    return [f"tests/{slug}", "--impl", str(impl), "-q", "--no-header", "-rN", *extra]


def run_in_process(
    slug: str, impl: Path, *, echo: bool = False, extra: tuple[str, ...] = ()
) -> Report:
    """Run a kata's tests in this process; pytest's own output is kept, not printed."""
    collector = Collector(slug, impl)
    buffer = io.StringIO()
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        redirect = contextlib.nullcontext() if echo else contextlib.redirect_stdout(buffer)
        with redirect:
            exit_code = pytest.main(kata_pytest_args(slug, impl, extra), plugins=[collector])
    finally:
        os.chdir(cwd)
    collector.report.exit_code = int(exit_code)
    collector.report.output = buffer.getvalue()
    return collector.report


def run_subprocess(slug: str, impl: Path, *, timeout: float = 300) -> Report:
    """Run a kata's tests in a fresh interpreter (no state shared with the caller)."""
    with tempfile.TemporaryDirectory(prefix="kata-report-") as scratch:
        target = Path(scratch) / "report.json"
        args = [sys.executable, "-m", "pytest", *kata_pytest_args(slug, impl)]
        args += ["-p", "tools.report", "--report-json", str(target), "--tb=short"]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        done = subprocess.run(
            args, cwd=ROOT, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
        if not target.is_file():
            report = Report(exit_code=done.returncode)
        else:
            report = Report.from_json(target.read_text())
        report.output = done.stdout + done.stderr
        return report


# -- plugin entry points for ``-p tools.report`` ------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--report-json", metavar="FILE", default=None, help="write each test's outcome as JSON"
    )


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("--report-json", default=None)
    impl = config.getoption("--impl", default=None)
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
