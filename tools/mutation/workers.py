"""Forked workers: a warm parent runs the kata's tests against many mutants, one child each."""

from __future__ import annotations

import contextlib
import gc
import importlib.metadata
import importlib.util
import io
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from tools import UserError
from tools.core.collector import Collector, Outcome, Report
from tools.mutation import sandbox
from tools.mutation.model import Mutant, verdict
from tools.mutation.mutmut_api import RUN
from tools.mutation.sandbox import SINGLE_THREADED, WORKER_OPTIONS, Reached, Sandbox


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


def baseline(box: Sandbox) -> tuple[Report, Reached]:
    """The fixed files' report, and every kata function the tests call, from one run in this
    process (which also warms it up for the forked workers).

    Only "some test calls it" is recorded, not which test: a test may reuse a result that an
    earlier test computed (a cached fixture), so only running every test is exact.
    """
    warm_up()
    forget_sandbox_modules(box.root.parent)
    impl = box.impl("fixed", {})
    collector, reached, prefix = Collector(box.kata.slug, impl), set(), f"{impl}{os.sep}"

    def record(frame, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(prefix):
            function = frame.f_code.co_qualname.split(".<locals>.")[0]
            reached.add((Path(frame.f_code.co_filename).name, function))

    args = [f"tests/{box.kata.slug}", "--impl", str(impl), "-q", *WORKER_OPTIONS]
    cwd = Path.cwd()
    os.chdir(box.root)
    sys.setprofile(record)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            collector.report.exit_code = int(pytest.main(args, plugins=[collector]))
    finally:
        sys.setprofile(None)
        os.chdir(cwd)
    if not collector.report.passed:
        failed = ", ".join(collector.report.failing_tests) or f"exit {collector.report.exit_code}"
        raise UserError(
            f"fixed/{box.kata.slug} fails its own tests ({failed}): fix the reference first "
            f"(python -m pytest tests/{box.kata.slug})"
        )
    return collector.report, reached


def _child(box: Sandbox, impl: Path, target: Path) -> None:
    """In a forked worker: run the kata's tests on ``impl``; write the Report as JSON."""
    status = 1
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        sys.dont_write_bytecode = True
        os.chdir(box.root)
        collector = Collector(box.kata.slug, impl)
        args = [f"tests/{box.kata.slug}", "--impl", str(impl), "-q", "--tb=no", *WORKER_OPTIONS]
        collector.report.exit_code = int(pytest.main(args, plugins=[collector]))
        target.with_suffix(".tmp").write_text(collector.report.to_json())
        os.replace(target.with_suffix(".tmp"), target)  # a worker killed mid-write leaves no report
        status = 0
    finally:
        os._exit(status)


def run_many(
    box: Sandbox, impls: Sequence[Path], *, jobs: int, deadline: float
) -> list[Report | None]:
    """The Report of each implementation, ``jobs`` forked workers at a time; None where a
    run went past ``deadline`` seconds. Workers fork from this process after :func:`warm_up`, so
    each costs a fork and a pytest session, not an interpreter and the NumPy and pandas imports.
    """
    warm_up()
    gc.collect()
    gc.freeze()  # keep the inherited heap shared between workers
    results: list[Report | None] = [None] * len(impls)
    pending = list(range(len(impls)))[::-1]
    running: dict[int, tuple[int, float]] = {}  # pid -> (index, started)
    try:
        while pending or running:
            while pending and len(running) < jobs:
                index = pending.pop()
                impl = impls[index]
                (impl / "report.json").unlink(missing_ok=True)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _child(box, impl, impl / "report.json")
                running[pid] = (index, time.monotonic())
            finished = False
            for pid, (index, started) in list(running.items()):
                reaped, _ = os.waitpid(pid, os.WNOHANG)
                if not reaped and time.monotonic() - started > deadline:
                    os.kill(pid, signal.SIGKILL)
                    reaped, _ = os.waitpid(pid, 0)
                if reaped:
                    del running[pid]
                    target, finished = impls[index] / "report.json", True
                    results[index] = (
                        Report.from_json(target.read_text()) if target.is_file() else None
                    )
            if not finished:
                time.sleep(0.002)
    finally:
        for pid in running:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        gc.unfreeze()
    return results


def timed_out() -> Report:
    """The Report of a run stopped at its deadline."""
    return Report(
        [Outcome("(the whole run)", False, "timeout", "Timeout", "stopped at the deadline")], -9
    )


def classify(
    box: sandbox.Sandbox,
    mutants: list[Mutant],
    reached: Reached,
    deadline: float,
    jobs: int,
) -> int:
    """Run every mutant not judged yet in forked workers; returns how many ran."""
    for m in mutants:
        m.status = m.status or ("" if (m.file, m.function) in reached else "no-tests")
    todo = [m for m in mutants if not m.status]
    impls = [box.impl(f"{i:04d}", {m.file: m.code}) for i, m in enumerate(todo)]
    for m, report in zip(todo, run_many(box, impls, jobs=jobs, deadline=deadline), strict=True):
        m.settle(report if report is not None else timed_out())
    return len(todo)


def settle_exactly(box: Sandbox, mutants: list[Mutant], deadline: float, jobs: int) -> int:
    """Run mutants again with every test, where mutmut stopped at the first failure: the exact
    failing tests rank the candidates and are what a variant lists. Returns how many ran."""
    impls = [box.impl(f"exact-{i:04d}", {m.file: m.code}) for i, m in enumerate(mutants)]
    for m, report in zip(mutants, run_many(box, impls, jobs=jobs, deadline=deadline), strict=True):
        m.settle(report if report is not None else timed_out())
    return len(mutants)


def activation(box: sandbox.Sandbox, mutants: list[Mutant], deadline: float, jobs: int) -> dict:
    """Prove that mutmut's mutants ran under the kata loader: a killed mutant proves its function's
    trampoline works; every other function's survivors are rebuilt and run again outside mutmut."""
    scored = [m for m in mutants if m.source == "mutmut" and m.mutmut_status != "no tests"]
    proven = {m.function for m in scored if m.mutmut_status == "killed"}
    doubtful = [m for m in scored if m.function not in proven and m.mutmut_status == "survived"]
    impls = [box.impl(f"check-{i:04d}", {m.file: m.code}) for i, m in enumerate(doubtful)]
    reports = run_many(box, impls, jobs=jobs, deadline=deadline)
    return {
        "functions": len({m.function for m in scored}),
        "proven_by_a_kill": len(proven),
        "survivors_rerun": len(doubtful),
        "disagreements": [
            m.id for m, r in zip(doubtful, reports, strict=True) if verdict(r) != "survived"
        ],
        "no_tests": sum(m.mutmut_status == "no tests" for m in mutants),
        "unrecorded": [m.id for m in scored if not m.recorded and m.mutmut_status in RUN],
    }
