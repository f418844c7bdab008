"""Forked workers: a warm parent runs the kata's tests against many mutants, one child each, each
child running only the tests that reach the mutated lines."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tools import UserError
from tools.core.collector import Collector, Report
from tools.core.judge import Task, timed_out, warm_up
from tools.core.judge import session as judge_session
from tools.mutation.model import Mutant
from tools.mutation.sandbox import WORKER_OPTIONS, Sandbox

Line = tuple[str, int]  # (kata file, line number)


@dataclass
class Reach:
    """Which kata lines each test reaches, in its own call or through the fixtures it uses (a
    module-scoped fixture runs once, for the first test, yet every test using it depends on it)."""

    lines: dict[str, set[Line]] = field(
        default_factory=lambda: defaultdict(set)
    )  # context -> lines
    fixtures: dict[str, list[str]] = field(default_factory=dict)  # test node id -> fixture names
    seconds: dict[str, float] = field(default_factory=dict)  # test node id -> its duration
    functions: set[tuple[str, str]] = field(default_factory=set)  # (file, function) called

    def tests(self, file: str, lines: set[int]) -> list[str]:
        """Node ids of the tests that reach any of ``lines`` of ``file``, fastest first."""
        wanted = {(file, line) for line in lines}
        found = []
        for test, names in self.fixtures.items():
            contexts = [f"test:{test}", *(f"fixture:{name}" for name in names)]
            if any(wanted & self.lines.get(c, set()) for c in contexts):
                found.append(test)
        return sorted(found, key=lambda t: (self.seconds.get(t, 0.0), t))


class _Tracer:
    """A pytest plugin that records, per test and per fixture, the kata lines executed."""

    def __init__(self, impl: Path, reach: Reach) -> None:
        self.prefix, self.reach, self.context = f"{impl}{os.sep}", reach, ["setup"]

    def trace(self, frame, event: str, arg: object):
        if event != "call" or not frame.f_code.co_filename.startswith(self.prefix):
            return None
        name = Path(frame.f_code.co_filename).name
        function = frame.f_code.co_qualname.split(".<locals>.")[0]
        self.reach.functions.add((name, function))
        lines = self.reach.lines[self.context[-1]]

        def local(frame, event: str, arg: object):
            if event == "line":
                lines.add((name, frame.f_lineno))
            return local

        lines.add((name, frame.f_lineno))
        return local

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        self.context.append(f"fixture:{fixturedef.argname}")
        try:
            return (yield)
        finally:
            self.context.pop()

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        self.reach.fixtures[item.nodeid] = list(getattr(item, "fixturenames", ()))
        self.context.append(f"test:{item.nodeid}")
        started = time.perf_counter()
        try:
            return (yield)
        finally:
            self.reach.seconds[item.nodeid] = time.perf_counter() - started
            self.context.pop()


def forget_sandbox_modules(parent: Path) -> None:
    """Drop modules imported from sandboxes: pytest would reuse another kata's ``tests.conftest``."""
    for name, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").resolve().is_relative_to(parent):
            del sys.modules[name]


def baseline(box: Sandbox) -> tuple[Report, Reach]:
    """The fixed files' report, and which kata lines each test reaches, from one traced run in
    this process (which also warms it up for the forked workers)."""
    warm_up()
    forget_sandbox_modules(box.root.parent)
    impl = box.impl("fixed", {})
    collector, reach = Collector(box.kata.slug, impl), Reach()
    tracer = _Tracer(impl, reach)
    args = [f"tests/{box.kata.slug}", "--impl", str(impl), "-q", *WORKER_OPTIONS]
    cwd = Path.cwd()
    os.chdir(box.root)
    sys.settrace(tracer.trace)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            collector.report.exit_code = int(pytest.main(args, plugins=[collector, tracer]))
    finally:
        sys.settrace(None)
        os.chdir(cwd)
    if not collector.report.passed:
        failed = ", ".join(collector.report.failing_tests) or f"exit {collector.report.exit_code}"
        raise UserError(
            f"fixed/{box.kata.slug} fails its own tests ({failed}): fix the reference first "
            f"(python -m pytest tests/{box.kata.slug})"
        )
    return collector.report, reach


def run_many(
    box: Sandbox,
    tasks: Sequence[Task],
    *,
    jobs: int,
    deadline: float,
    seconds: dict[str, float] | None = None,
) -> tuple[list[Report | None], list[float]]:
    """Each task's Report (None where a run went past ``deadline`` seconds) and CPU seconds, from
    children forked by one warm pytest session on the sandbox (:func:`tools.core.judge.session`):
    each costs a fork and its tests, not an interpreter, the imports or a pytest session. Third-
    party plugins stay out: order and limits are ours."""
    done = judge_session(
        box.kata.slug, tasks, collect_with=box.impl("fixed", {}), cwd=box.root, jobs=jobs,
        deadline=deadline, seconds=seconds, autoload=False,
    )  # fmt: skip
    if done is None:
        raise UserError(
            f"tests/{box.kata.slug} did not collect in the mutants' session (a marker or fixture "
            f"of a third-party plugin?): run python -m pytest tests/{box.kata.slug} -p no:randomly "
            "with PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 to see why"
        )
    return done


def judge(
    box: Sandbox,
    mutants: list[Mutant],
    reach: Reach,
    touched: dict[str, set[int]],
    exact: Callable[[Mutant], bool],
    *,
    deadline: float,
    jobs: int,
    proof: dict[str, str] | None = None,
) -> tuple[int, Report | None]:
    """Run every mutant not judged yet against the tests that reach its ``touched`` lines: to the
    end where ``exact`` (its failing tests are what a variant lists), else to the first failure,
    as a plain mutmut run does. A mutant no test reaches is not run. With ``proof`` (files of a
    version whose failing tests are known, the kata's broken one), that version runs with every
    test in the same session, proving the session tests what it is given. Returns how many
    mutants ran, and the proof's report."""
    todo, selections = [], []
    for m in mutants:
        if m.status:
            continue
        selected = reach.tests(m.file, touched[m.id])
        if not selected:
            m.status = "no-tests"
            continue
        todo.append(m)
        selections.append(selected)
    tasks = [
        Task(box.impl(f"{i:04d}", {m.file: m.code}), tuple(tests), not exact(m))
        for i, (m, tests) in enumerate(zip(todo, selections, strict=True))
    ]
    tasks += [Task(box.impl("proof", proof))] if proof is not None else []
    reports, _ = run_many(box, tasks, jobs=jobs, deadline=deadline, seconds=reach.seconds)
    for m, report in zip(todo, reports[: len(todo)], strict=True):
        m.settle(report if report is not None else timed_out())
    return len(todo), (reports[-1] if proof is not None else None)
