"""Runs a kata's tests in a forked child process and decides, in the parent, what the run showed.

The parent has already imported NumPy, pandas and pytest (:func:`warm_up`), so a run costs a
fork and a pytest session, not an interpreter start. The child leads a process group of its own
that may not signal anyone outside it (:mod:`tools.core.confine`), and streams what happens (the
tests collected before any learner code ran, each test as it starts, each outcome) through a pipe,
each line signed with a key of the run, so that a line the child's code forges is seen for what
it is. A learner's run (``Job.referee``) runs the repository's own tests from a private copy
(:mod:`tools.core.referee`) under a guard (:mod:`tools.core.guard`).

The parent decides: a run is solved only when exactly the tests collected before learner code ran
reported a pass, and nothing tampered with the machinery. Whatever the child does, exits, crashes,
sleeps, stops itself, forks or escapes into a session of its own, the run ends with it, within a
limit, and the parent reports it in the learner's terms. :func:`run_many` runs several
implementations at once, a worker per core; :func:`prepare` forks a learner's next run ahead of
the save (watch mode). What the child does is :mod:`tools.core.child`.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import hashlib
import hmac
import importlib
import json
import os
import pkgutil
import secrets
import selectors
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tools import ROOT
from tools.core import child, confine, guard, referee
from tools.core.collector import Report
from tools.core.verdict import IDLE_SECONDS, decide

WALL_SECONDS = 120.0  # a learner's whole run is stopped after this long
BACKSTOP_SECONDS = 600.0  # ... and any other run (the self-check on a busy machine)
BUSY = 0.05  # ... and stopped if, over 10 s more, it used less than this share of a CPU
POLL = 0.25
QUIET_FAILURES = ("--tb=no",)  # a learner's run: pytest's report of each failure is not shown


def warm_up() -> None:
    """Import what every run needs once, in the parent, before forking."""
    # pytest imports most of its own modules lazily, inside pytest.main(): import them here
    # so that every forked run starts with them already loaded.
    import _pytest
    import numpy.testing  # noqa: F401 - every kata's tests use it; the guard watches it
    import pandas  # noqa: F401
    import pytest  # noqa: F401

    for module in pkgutil.walk_packages(_pytest.__path__, "_pytest."):
        with contextlib.suppress(Exception):
            importlib.import_module(module.name)
    guard.watched_spaces()  # computed once, here, for every child


@dataclass
class Job:
    """One run: a kata's tests against the modules in ``impl``; ``referee`` for a learner's."""

    slug: str
    impl: Path
    extra: tuple[str, ...] = ()
    cwd: Path = ROOT
    env: dict[str, str] = field(default_factory=dict)
    referee: bool = False


@dataclass
class _Running:
    job: Job
    pid: int
    pipe: int
    output: Path
    key: bytes
    started: float
    notes: list[str]
    pidfd: int | None = None
    buffer: bytes = b""
    events: list[dict] = field(default_factory=list)
    forged: int = 0
    last: float = 0.0  # when the child last reported something
    idle: tuple[float, float] | None = None  # (when, CPU seconds) as the run fell silent
    ended: str = ""  # why the parent stopped it: timeout | waited | stopped
    wall: float = WALL_SECONDS
    open: bool = True  # the pipe: a grandchild may hold it after the child ended
    gate: int | None = None  # a run forked ahead: the parent's end of the pipe that starts it
    scratch: tempfile.TemporaryDirectory | None = None  # ... and the folder it owns
    referee: str = ""  # ... and a digest of its referee's files and notes when it was forked


def _start(job: Job, scratch: Path, number: int, ahead: bool = False) -> _Running:
    base, notes = None, []
    if job.referee:
        base = scratch / f"referee-{number}"
        notes = referee.prepare(job.slug, job.impl, base)
    key = secrets.token_bytes(32)
    read, write = os.pipe()
    gate_read, gate = os.pipe() if ahead else (None, None)
    output = scratch / f"output-{number}.txt"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        if gate is not None:
            os.close(gate)
        child.run(job, write, output, key, base, gate_read)
    with contextlib.suppress(OSError):
        os.setpgid(pid, pid)  # as the child does: no moment when a signal to the group misses it
    os.close(write)
    if gate_read is not None:
        os.close(gate_read)
    os.set_blocking(read, False)
    pidfd = None
    with contextlib.suppress(AttributeError, OSError):
        pidfd = os.pidfd_open(pid)  # readable when the child ends, whoever holds the pipe
    now = time.monotonic()
    return _Running(job, pid, read, output, key, now, notes, pidfd, last=now, gate=gate)


# -- a learner's next run, forked ahead of the save (watch mode) ----------------------------------
#
# Between two saves, watch mode forks the next run and lets it get as far as it can without the
# learner's code: the referee's private copy of the tests, the guard, pytest's configuration and
# the collection of the tests (which import the learner's modules only when they run). The save
# then costs the tests alone. The run is used only for exactly the job asked for, and only if its
# referee's files and notes are still what a run started now would get; otherwise it is discarded
# and a fresh one started.

_ahead: _Running | None = None
atexit.register(lambda: discard())  # a run forked ahead never outlives the tool


def prepare(slug: str, impl: Path, extra: tuple[str, ...] = QUIET_FAILURES) -> None:
    """Fork the learner's next run of ``slug`` against ``impl`` now; :func:`run` starts it."""
    global _ahead
    discard()
    warm_up()
    job = Job(slug, Path(impl), tuple(extra), ROOT, referee=True)
    scratch = tempfile.TemporaryDirectory(prefix="kata-run-")
    gc.collect()
    gc.freeze()
    try:
        ahead = _start(job, Path(scratch.name), 0, ahead=True)
    except BaseException:
        scratch.cleanup()
        raise
    finally:
        gc.unfreeze()
    ahead.scratch = scratch
    try:
        ahead.referee = _referee_digest(Path(scratch.name) / "referee-0", ahead.notes)
    except BaseException:
        _kill(ahead)
        raise
    _ahead = ahead


def discard() -> None:
    """End the run forked ahead, if any (watch mode stopped, or the run is not the one needed)."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None:
        _kill(ahead)


def _kill(run: _Running) -> None:
    """End a run's whole group at once, reap it, and close all it holds."""
    with contextlib.suppress(OSError):
        os.killpg(run.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(run.pid, 0)
    for fd in (run.pipe, run.pidfd):
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
    _release(run)


def _release(run: _Running) -> None:
    """Close what a run forked ahead still holds beyond its pipe: its gate and its folder."""
    if run.gate is not None:
        with contextlib.suppress(OSError):
            os.close(run.gate)
        run.gate = None
    if run.scratch is not None:
        run.scratch.cleanup()
        run.scratch = None


def _referee_digest(base: Path, notes: list[str]) -> str:
    digest = hashlib.sha256("\n".join(notes).encode())
    for path in sorted(base.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _claim(job: Job) -> _Running | None:
    """The run forked ahead for exactly ``job``, started now; None (and discarded) otherwise."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is None:
        return None
    usable = ahead.job == job and os.waitpid(ahead.pid, os.WNOHANG) == (0, 0)
    if usable:
        with tempfile.TemporaryDirectory(prefix="kata-referee-") as check:
            notes = referee.prepare(job.slug, job.impl, Path(check))
            usable = ahead.referee == _referee_digest(Path(check), notes)
    if usable:
        try:
            os.write(ahead.gate, b"g")
        except OSError:  # it ended meanwhile
            usable = False
    if not usable:
        _kill(ahead)
        return None
    os.close(ahead.gate)
    ahead.gate = None
    ahead.started = ahead.last = time.monotonic()
    return ahead


def _read(running: _Running) -> bool:
    """Read what the child sent; False once the pipe is closed."""
    while True:
        try:
            chunk = os.read(running.pipe, 65536)
        except BlockingIOError:
            return True
        except OSError:
            return False
        if not chunk:
            return False
        running.buffer += chunk
        running.last, running.idle = time.monotonic(), None
        *lines, running.buffer = running.buffer.split(b"\n")
        for line in lines:
            mac, _, body = line.partition(b" ")
            expected = hmac.new(running.key, body, "sha256").hexdigest()[:32].encode()
            if not hmac.compare_digest(mac, expected):
                running.forged += 1
                continue
            with contextlib.suppress(ValueError):
                running.events.append(json.loads(body))


def _state(running: _Running, now: float) -> str | None:
    """'exited' once the child has ended, a reason to stop it, or None while it runs."""
    try:
        info = os.waitid(os.P_PID, running.pid, os.WEXITED | os.WSTOPPED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return "exited"
    if info is not None:
        return "stopped" if info.si_code == os.CLD_STOPPED else "exited"
    if now - running.started > running.wall:
        return "timeout"
    if now - running.last > IDLE_SECONDS:
        cpu = confine.cpu_seconds(running.pid)
        if running.idle is None or cpu is None:
            running.idle = (now, cpu or 0.0)
        elif now - running.idle[0] >= 10:
            if cpu - running.idle[1] < BUSY * (now - running.idle[0]):
                return "waited"
            running.idle = (now, cpu)
    return None


def _end(running: _Running, why: str, reaper: confine.Reaper, alive: set[int]) -> Report:
    """Stop the child if it still runs, end its group and strays, and build its Report."""
    if why != "exited":
        running.ended = why
        with contextlib.suppress(OSError):
            os.kill(running.pid, signal.SIGKILL)
    _read(running)
    reaper.end(running.pid)
    _, status = os.waitpid(running.pid, 0)
    clean = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    spawned = any("spawned" in event for event in running.events)
    if spawned or not clean:
        reaper.sweep(alive)
    for fd in (running.pipe, running.pidfd):
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
    try:
        output = running.output.read_text(encoding="utf-8", errors="replace")
    except OSError:
        output = ""
    return decide(
        running.events, status, output=output, forged=running.forged, ended=running.ended,
        wall=running.wall, notes=running.notes,
    )  # fmt: skip


def run_many(
    jobs: Sequence[Job], workers: int | None = None, wall: float = BACKSTOP_SECONDS
) -> list[Report]:
    """Each job's Report, ``workers`` forked children at a time (default: one per core)."""
    warm_up()
    workers = max(1, workers or os.cpu_count() or 1)
    results: list[Report | None] = [None] * len(jobs)
    pending = list(enumerate(jobs))[::-1]
    running: dict[int, _Running] = {}  # job index -> run
    selector = selectors.DefaultSelector()
    reaper = confine.Reaper()
    gc.collect()
    gc.freeze()  # keep the inherited heap shared with the children
    with tempfile.TemporaryDirectory(prefix="kata-run-") as scratch:
        try:
            while pending or running:
                while pending and len(running) < workers:
                    index, job = pending.pop()
                    claimed = _claim(job) if job.referee else None
                    run = running[index] = claimed or _start(job, Path(scratch), index)
                    run.wall = wall
                    selector.register(run.pipe, selectors.EVENT_READ, index)
                    if run.pidfd is not None:
                        selector.register(run.pidfd, selectors.EVENT_READ, index)
                # Without a pidfd, a child whose pipe is closed is looked at often.
                blind = any(not r.open and r.pidfd is None for r in running.values())
                for key, _ in selector.select(timeout=0.01 if blind else POLL):
                    run = running[key.data]
                    if key.fd == run.pipe and not _read(run):
                        selector.unregister(run.pipe)
                        run.open = False
                now = time.monotonic()
                for index, run in list(running.items()):
                    why = _state(run, now)
                    if why is None:
                        continue
                    for fd in (run.pipe, run.pidfd):
                        with contextlib.suppress(KeyError, ValueError):
                            selector.unregister(fd)
                    del running[index]
                    alive = {r.pid for r in running.values()}
                    results[index] = _end(run, why, reaper, alive)
                    _release(run)
        finally:
            for run in running.values():
                _kill(run)
            if running:
                reaper.sweep(set())
            reaper.close()
            selector.close()
            gc.unfreeze()
    return [r if r is not None else Report(exit_code=-1) for r in results]


def run(slug: str, impl: Path, extra: tuple[str, ...] = QUIET_FAILURES, cwd: Path = ROOT) -> Report:
    """A learner's run of one kata's tests against ``impl``, refereed, in a forked child; what
    the referee found out of place is said on stderr (and kept in ``Report.notes``).

    The verdict and messages come from the collector, not from pytest's report of each failure:
    unless ``extra`` asks for one (``--tb=short``), it is not rendered (parsing the source of
    every frame cost a failing run a third of its time)."""
    job = Job(slug, Path(impl), tuple(extra), cwd, referee=True)
    report = run_many([job], workers=1, wall=WALL_SECONDS)[0]
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    return report
