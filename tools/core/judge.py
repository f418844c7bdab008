"""Many implementations of one kata judged in one pytest session: collect once, fork per run.

A session collects the kata's tests once, then, instead of running them, forks one child per
:class:`Task`; each child points the kata loader (``--impl``) at its task's directory, runs only
its task's items and writes its :class:`~tools.core.collector.Report` to the task's report file.
No child pays for configuration, plugins or collection: a run costs a fork and its tests. The
self-check judges fixed/, broken/ and every variant this way, the mutation campaign its mutants.

Only for the repository's own code (references, planted bugs, generated variants): a learner's
code runs through :mod:`tools.core.runner`, which guards against code that fights back.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.core.collector import UNUSED_PLUGINS, Collector, Outcome, Report

# A judged run needs pytest's core only: no output capture (the child's output goes nowhere), none
# of the reporting and debugging plugins. A third of a session's cost.
LEAN = ("-s", *UNUSED_PLUGINS, "-p", "no:debugging", "-p", "no:faulthandler", "-p", "no:logging")
LEAN += ("-p", "no:threadexception")

# No cache written, no unraisable-exception sweep (a gc.collect() twice per session).
QUIET = ("-p", "no:cacheprovider", "-p", "no:unraisableexception")

# One BLAS thread per child: the children already use every core between them.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def warm_up() -> None:
    """Import what every child needs once, before forking, so no child pays for it again."""
    for name, value in SINGLE_THREADED.items():
        os.environ.setdefault(name, value)
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    with contextlib.suppress(ImportError):
        import pytest_timeout  # noqa: F401


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
    """One run in a judging session: an implementation, the tests to run, whether to stop at the
    first failure, and where its report goes (``impl/report.json`` unless given)."""

    impl: Path
    tests: tuple[str, ...] = ()  # node ids; all the kata's tests when empty
    first_failure: bool = False
    report: Path | None = None

    @property
    def target(self) -> Path:
        return self.report or self.impl / "report.json"


class Judge:
    """The pytest plugin of a judging session (see the module's docstring)."""

    def __init__(
        self, slug: str, tasks: Sequence[Task], jobs: int, deadline: float, seconds: dict
    ) -> None:
        self.slug, self.tasks, self.jobs, self.deadline = slug, tasks, jobs, deadline
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
        """Count which test stopped a run: later children try the tests that fail most, for the
        time they take, first (a stop at the first failure then comes sooner)."""
        with contextlib.suppress(OSError, ValueError, KeyError):
            for test in Report.from_json(self.tasks[index].target.read_text()).failing_tests:
                self.kills[f"tests/{self.slug}/{test}"] += 1

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
        collector = Collector(self.slug, task.impl)
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
        target = task.target
        target.with_suffix(".tmp").write_text(collector.report.to_json())
        os.replace(target.with_suffix(".tmp"), target)  # a child killed mid-write leaves no report
        os._exit(0)


def session(
    slug: str,
    tasks: Sequence[Task],
    *,
    collect_with: Path,
    cwd: Path,
    jobs: int,
    deadline: float,
    seconds: dict[str, float] | None = None,
    extra: Sequence[str] = (),
    autoload: bool = True,
) -> tuple[list[Report | None], list[float]] | None:
    """Each task's Report (None where a run went past ``deadline`` seconds) and CPU seconds, from
    one session run in ``cwd`` that collects ``tests/<slug>`` against ``collect_with``; None if
    the tests did not collect. Without ``autoload``, third-party plugins stay out (order and
    limits are the caller's)."""
    warm_up()
    for task in tasks:
        task.target.unlink(missing_ok=True)
    judge = Judge(slug, tasks, jobs, deadline, seconds or {})
    args = [f"tests/{slug}", f"--impl={collect_with}", "-q", "--tb=no", *extra, *QUIET, *LEAN]
    previous, environ = Path.cwd(), dict(os.environ)
    os.chdir(cwd)
    if not autoload:
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            pytest.main(args, plugins=[judge])
    finally:
        os.chdir(previous)
        os.environ.clear()
        os.environ.update(environ)
    if not judge.collected:
        return None
    reports = [
        Report.from_json(t.target.read_text()) if t.target.is_file() else None for t in tasks
    ]
    return reports, judge.cpu or [0.0] * len(tasks)


def timed_out() -> Report:
    """The Report of a run stopped at its deadline."""
    return Report(
        [Outcome("(the whole run)", False, "timeout", "Timeout", "stopped at the deadline")], -9
    )
