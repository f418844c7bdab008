"""Runs a kata's tests in a forked child process, so that learner code never runs in the tools'.

The parent has already imported NumPy, pandas and pytest (:func:`warm_up`), so a run costs a
fork and a pytest session, not an interpreter start. The child streams what happens (the tests
collected, each test as it starts, each outcome) through a pipe; whatever the child does, exits,
crashes, hangs or patches, ends with it, and the parent reports it in the learner's terms:
a test in progress when the process ended is a failure that says how it ended, and a collected
test that never reported is a failure too. :func:`run_many` runs several implementations at
once, a worker per core.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import pkgutil
import selectors
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools import ROOT
from tools.core.collector import Collector, Outcome, Report, kata_pytest_args

WALL_SECONDS = 600.0  # a run that sleeps or blocks for longer than this is stopped


def warm_up() -> None:
    """Import what every run needs once, in the parent, before forking."""
    # pytest imports most of its own modules lazily, inside pytest.main(): import them here
    # so that every forked run starts with them already loaded.
    import _pytest
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import pytest  # noqa: F401

    for module in pkgutil.walk_packages(_pytest.__path__, "_pytest."):
        with contextlib.suppress(Exception):
            importlib.import_module(module.name)


@dataclass
class Job:
    """One run: a kata's tests against the modules in ``impl``."""

    slug: str
    impl: Path
    extra: tuple[str, ...] = ()
    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class _Running:
    job: Job
    pid: int
    pipe: int
    output: Path
    started: float
    buffer: bytes = b""
    events: list[dict] = field(default_factory=list)


def _child(job: Job, pipe: int, output: Path) -> None:
    """In the forked child: run pytest with the collector streaming events; never returns."""
    status = 70
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        log = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        sys.dont_write_bytecode = True
        os.environ.update(job.env)
        os.chdir(job.cwd)
        _forget_test_modules()

        def emit(event: dict) -> None:
            data = (json.dumps(event) + "\n").encode()
            while data:
                data = data[os.write(pipe, data) :]

        import pytest

        collector = Collector(job.slug, job.impl, emit)
        args = kata_pytest_args(job.slug, job.impl, job.extra)
        code = int(pytest.main(args, plugins=[collector]))
        sys.stdout.flush()
        sys.stderr.flush()
        emit({"done": code})
        status = 0
    except BaseException:
        with contextlib.suppress(BaseException):
            import traceback

            traceback.print_exc()
    finally:
        os._exit(status)


def _forget_test_modules() -> None:
    """Drop test modules the parent imported (a conftest of another tree, the kit): this run
    imports its own, from its own tests/ folder."""
    keep = [Path(p).resolve() for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    keep.append(Path(__file__).resolve().parent.parent)
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        if not any(path.is_relative_to(k) for k in keep):
            del sys.modules[name]


def _start(job: Job, scratch: Path, number: int) -> _Running:
    read, write = os.pipe()
    output = scratch / f"output-{number}.txt"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        _child(job, write, output)
    os.close(write)
    os.set_blocking(read, False)
    return _Running(job, pid, read, output, time.monotonic())


def _read(running: _Running) -> bool:
    """Read what the child sent; False once the pipe is closed."""
    while True:
        try:
            chunk = os.read(running.pipe, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        running.buffer += chunk
        *lines, running.buffer = running.buffer.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError):
                running.events.append(json.loads(line))


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


def _report(running: _Running, status: int | None) -> Report:
    """Build the Report from the child's events, whatever way the child ended."""
    report = Report()
    current = ""
    done = None
    for event in running.events:
        if "collected" in event:
            report.collected = list(event["collected"])
        elif "start" in event:
            current = event["start"]
        elif "outcome" in event:
            outcome = Outcome(**event["outcome"])
            report.outcomes = [o for o in report.outcomes if o.test != outcome.test]
            report.outcomes.append(outcome)
        elif "done" in event:
            done = int(event["done"])
    try:
        report.output = running.output.read_text(encoding="utf-8", errors="replace")
    except OSError:
        report.output = ""
    finished = {o.test for o in report.outcomes}
    if done is None:
        ended = (
            f"it was still running after {WALL_SECONDS:g} s and was stopped"
            if status is None
            else _how_it_ended(status)
        )
        report.exit_code = -1
        reason = "timeout" if status is None else "exited"
        if current and current not in finished:
            report.outcomes.append(
                Outcome(current, False, reason, "ProcessEnded", f"{ended} during {current}")
            )
            finished.add(current)
        elif not report.collected:
            report.outcomes.append(
                Outcome("(the whole run)", False, reason, "ProcessEnded", f"{ended}")
            )
    else:
        report.exit_code = done
        if current and current not in finished:
            report.outcomes.append(
                Outcome(
                    current, False, "exited", "ProcessEnded",
                    f"your code stopped the test run (pytest.exit or a KeyboardInterrupt) during {current}",
                )
            )  # fmt: skip
            finished.add(current)
    for test in report.collected:
        if test not in finished:
            report.outcomes.append(
                Outcome(
                    test,
                    False,
                    "not-run",
                    "NotRun",
                    "this test never ran: an earlier test ended the run",
                )
            )
    return report


def run_many(
    jobs: Sequence[Job], workers: int | None = None, wall: float = WALL_SECONDS
) -> list[Report]:
    """Each job's Report, ``workers`` forked children at a time (default: one per core)."""
    warm_up()
    workers = max(1, workers or os.cpu_count() or 1)
    results: list[Report | None] = [None] * len(jobs)
    pending = list(enumerate(jobs))[::-1]
    running: dict[int, tuple[int, _Running]] = {}  # pipe -> (index, run)
    selector = selectors.DefaultSelector()
    gc.collect()
    gc.freeze()  # keep the inherited heap shared with the children
    with tempfile.TemporaryDirectory(prefix="kata-run-") as scratch:
        try:
            while pending or running:
                while pending and len(running) < workers:
                    index, job = pending.pop()
                    run = _start(job, Path(scratch), index)
                    running[run.pipe] = (index, run)
                    selector.register(run.pipe, selectors.EVENT_READ)
                for key, _ in selector.select(timeout=0.5):
                    index, run = running[key.fd]
                    if _read(run):
                        continue
                    selector.unregister(run.pipe)
                    os.close(run.pipe)
                    del running[key.fd]
                    _, status = os.waitpid(run.pid, 0)
                    results[index] = _report(run, status)
                now = time.monotonic()
                for pipe, (index, run) in list(running.items()):
                    if now - run.started > wall:
                        os.kill(run.pid, signal.SIGKILL)
                        os.waitpid(run.pid, 0)
                        _read(run)
                        selector.unregister(pipe)
                        os.close(pipe)
                        del running[pipe]
                        results[index] = _report(run, None)
        finally:
            for pipe, (_, run) in running.items():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(run.pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(run.pid, 0)
                os.close(pipe)
            selector.close()
            gc.unfreeze()
    return [r if r is not None else Report(exit_code=-1) for r in results]


def run(slug: str, impl: Path, extra: tuple[str, ...] = (), cwd: Path = ROOT) -> Report:
    """One kata's tests against ``impl``, in a forked child."""
    return run_many([Job(slug, Path(impl), tuple(extra), cwd)], workers=1)[0]
