"""Forked workers: a warm parent runs the kata's tests against many mutants, one child each, each
child running only the tests that reach the mutated lines."""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import io
import os
import signal
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tools import UserError
from tools.core.collector import Collector, Outcome, Report
from tools.mutation.model import Mutant
from tools.mutation.sandbox import SINGLE_THREADED, WORKER_OPTIONS, Sandbox

Line = tuple[str, int]  # (kata file, line number)

# A mutant's run needs pytest's core only: no output capture (the worker's output goes nowhere),
# no third-party plugins (its tests run in the order chosen here, and the parent enforces the
# deadline), none of the reporting and debugging plugins. A third of a session's cost.
LEAN = ("-s", "-p", "no:junitxml", "-p", "no:pastebin", "-p", "no:doctest", "-p", "no:debugging")
LEAN += ("-p", "no:legacypath", "-p", "no:stepwise", "-p", "no:setuponly", "-p", "no:setupplan")
LEAN += ("-p", "no:faulthandler", "-p", "no:logging", "-p", "no:threadexception")


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


def warm_up() -> None:
    """Import what every worker needs once, before forking, so no worker pays for it again."""
    for name, value in SINGLE_THREADED.items():
        os.environ.setdefault(name, value)
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    if importlib.util.find_spec("pytest_timeout") is not None:
        import pytest_timeout  # noqa: F401


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


def fork_each(
    count: int,
    child: Callable[[int], None],
    *,
    jobs: int,
    deadline: float,
    done: Callable[[int], None] | None = None,
) -> list[float]:
    """Run ``child(i)`` for each i in ``range(count)`` in forked children, ``jobs`` at a time; a
    child still running after ``deadline`` seconds is killed. ``child`` must end with os._exit;
    ``done(i)`` runs in this process as each child ends. Returns the CPU seconds each child used."""
    gc.collect()
    gc.freeze()  # keep the inherited heap shared between children
    pending, running, cpu = list(range(count))[::-1], {}, [0.0] * count
    try:
        while pending or running:
            while pending and len(running) < max(1, jobs):
                index = pending.pop()
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    try:
                        child(index)
                    finally:
                        os._exit(1)
                running[pid] = (index, time.monotonic())
            finished = False
            for pid, (index, started) in list(running.items()):
                reaped, _, used = os.wait4(pid, os.WNOHANG)
                if not reaped and time.monotonic() - started > deadline:
                    os.kill(pid, signal.SIGKILL)
                    reaped, _, used = os.wait4(pid, 0)
                if reaped:
                    del running[pid]
                    cpu[index], finished = used.ru_utime + used.ru_stime, True
                    if done is not None:
                        done(index)
            if not finished:
                time.sleep(0.002)
    finally:
        for pid in running:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        gc.unfreeze()
    return cpu


@dataclass(frozen=True)
class Task:
    """One run in a judging session: an implementation, the tests to run, and whether to stop at
    the first failure."""

    impl: Path
    tests: tuple[str, ...] = ()  # node ids; all the kata's tests when empty
    first_failure: bool = False


class _Judge:
    """A pytest plugin for a session that collects the kata's tests once, then, instead of running
    them, forks one child per task; each child points the kata loader at its task's directory
    and runs only its task's items. No child pays for configuration, plugins or collection."""

    def __init__(
        self, box: Sandbox, tasks: Sequence[Task], jobs: int, deadline: float, seconds: dict
    ) -> None:
        self.box, self.tasks, self.jobs, self.deadline = box, tasks, jobs, deadline
        self.seconds, self.kills, self.collected = seconds, Counter(), True
        self.cpu: list[float] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        items = {item.nodeid: item for item in session.items}
        if session.testsfailed or not items:  # the tests no longer collect as they did
            self.collected = False
            return True
        run = lambda i: self._child(session, items, self.tasks[i])  # noqa: E731
        self.cpu = fork_each(
            len(self.tasks), run, jobs=self.jobs, deadline=self.deadline, done=self._learn
        )
        return True

    def _learn(self, index: int) -> None:
        """Count which test stopped a mutant: later children try the tests that kill most, for
        the time they take, first (a stop at the first failure then comes sooner)."""
        target = self.tasks[index].impl / "report.json"
        with contextlib.suppress(OSError, ValueError, KeyError):
            for test in Report.from_json(target.read_text()).failing_tests:
                self.kills[f"tests/{self.box.kata.slug}/{test}"] += 1

    def _order(self, tests: Sequence[str]) -> list[str]:
        cost = {t: self.seconds.get(t, 0.0) + 0.005 for t in tests}
        return sorted(tests, key=lambda t: (-self.kills[t] / cost[t], cost[t], t))

    def _child(self, session: pytest.Session, items: dict, task: Task) -> None:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        sys.dont_write_bytecode = True
        config = session.config
        config.option.impl = str(task.impl)
        config.option.maxfail = 1 if task.first_failure else 0
        collector = Collector(self.box.kata.slug, task.impl)
        config.pluginmanager.register(collector, "kata-judge-collector")
        wanted = self._order(task.tests) if task.first_failure else list(task.tests or items)
        chosen = [items[t] for t in wanted if t in items]
        collector.report.collected = [collector._test_id(item.nodeid) for item in chosen]
        for k, item in enumerate(chosen):
            following = chosen[k + 1] if k + 1 < len(chosen) else None
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=following)
            if session.shouldfail or session.shouldstop:
                break
        collector.report.exit_code = 1 if session.testsfailed else 0
        target = task.impl / "report.json"
        target.with_suffix(".tmp").write_text(collector.report.to_json())
        os.replace(target.with_suffix(".tmp"), target)  # a worker killed mid-write leaves no report
        os._exit(0)


def run_many(
    box: Sandbox,
    tasks: Sequence[Task],
    *,
    jobs: int,
    deadline: float,
    seconds: dict[str, float] | None = None,
) -> tuple[list[Report | None], list[float]]:
    """Each task's Report (None where a run went past ``deadline`` seconds) and CPU seconds, from
    children forked by one warm pytest session (:class:`_Judge`) after :func:`warm_up`: each
    costs a fork and its tests, not an interpreter, the imports or a pytest session."""
    warm_up()
    for task in tasks:
        (task.impl / "report.json").unlink(missing_ok=True)
    judge = _Judge(box, tasks, jobs, deadline, seconds or {})
    args = [f"tests/{box.kata.slug}", "--impl", str(box.impl("fixed", {})), "-q", "--tb=no"]
    cwd, environ = Path.cwd(), dict(os.environ)
    os.chdir(box.root)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # order and limits are ours (LEAN)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main([*args, *WORKER_OPTIONS, *LEAN], plugins=[judge])
    finally:
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(environ)
    if not judge.collected:
        raise UserError(
            f"tests/{box.kata.slug} did not collect in the mutants' session (a marker or fixture "
            f"of a third-party plugin?): run python -m pytest tests/{box.kata.slug} -p no:randomly "
            "with PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 to see why"
        )
    found = [task.impl / "report.json" for task in tasks]
    reports = [Report.from_json(p.read_text()) if p.is_file() else None for p in found]
    return reports, judge.cpu or [0.0] * len(tasks)


def timed_out() -> Report:
    """The Report of a run stopped at its deadline."""
    return Report(
        [Outcome("(the whole run)", False, "timeout", "Timeout", "stopped at the deadline")], -9
    )


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
