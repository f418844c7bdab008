"""The child side of a run (:mod:`tools.core.runner`): a forked child becomes one pytest session.

It leads a process group of its own that may not signal anyone outside it, writes its output to
the run's log, and streams what happens through a pipe, each line signed with the run's key; a
learner's run (``job.referee``) runs the referee's private copy of the tests under the guard.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from tools import FIXED, ROOT
from tools.core import confine, guard
from tools.core.collector import UNUSED_PLUGINS, Collector, kata_pytest_args

if TYPE_CHECKING:
    from tools.core.runner import Job


def _emitter(pipe: int, key: bytes):
    write, dumps, sign = os.write, json.dumps, hmac.new

    def emit(event: dict) -> None:
        line = dumps(event).encode()
        data = sign(key, line, "sha256").hexdigest()[:32].encode() + b" " + line + b"\n"
        while data:
            data = data[write(pipe, data) :]

    return emit


def run(job: Job, pipe: int, output: Path, key: bytes, base: Path | None, gate: int | None) -> None:
    """In the forked child: run pytest with the collector streaming events; never returns."""
    status = 70
    try:
        confine.enter_own_group()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        log = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        # The parent's sys.stdout and sys.stderr may sit on other descriptors (a pytest or xdist
        # worker captures them), which close_inherited closes: write to the log instead.
        sys.stdout = sys.__stdout__ = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        confine.close_inherited({pipe} if gate is None else {pipe, gate})
        sys.dont_write_bytecode = True
        os.environ.update(job.env)
        os.chdir(job.cwd)
        _forget_test_modules()
        emit = _emitter(pipe, key)
        confine.forbid_signals_to_others()
        if job.referee:
            protected = [ROOT, *([base] if base else [])]
            guard.install_audit_hook(emit, job.impl, FIXED, protected, ROOT)
        import pytest

        collector = Collector(job.slug, job.impl, emit, guarded=job.referee, gate=gate)
        # Only the plugins a kata's tests need: whatever else is installed (anyio's, watchfiles
        # brings it) costs each run a quarter of a second and has no say in a verdict.
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        args = [*kata_pytest_args(job.slug, job.impl, job.extra, base), *UNUSED_PLUGINS]
        args += ["-p", "pytest_timeout"]
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
