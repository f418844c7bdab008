"""``python -m tools ARGS`` without paying for a new interpreter each time.

Most tool tests run whole commands, and most of each command's cost is the interpreter starting
and importing NumPy, pandas and pytest: about half a CPU second, hundreds of times per suite.
A *warm* Python started once per test process imports those and then forks one child per command.
The child becomes the command: its own working directory, environment, standard streams
(``/dev/null`` in, files out), ``sys.argv`` and ``sys.path``, then ``runpy`` runs ``tools`` from
the repository copy in the working directory, as ``python -m tools`` would. Nothing of ``tools``
is imported before the fork, so each command uses the copy's own code and paths.

``KATA_TESTS_COLD=1`` runs every command in a fresh interpreter instead (to rule this out).
"""

from __future__ import annotations

import atexit
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run by the warm interpreter: one JSON request per line on stdin; for each, a line
# "pid N" once the child is forked and "exit N" (the exit code, negative for a signal) when it ends.
_SERVER = r"""
import io, json, os, runpy, signal, sys, tempfile
import numpy, pandas, pytest  # the expensive part, paid once

def become(request):
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, request["out"]), (2, request["err"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
    sys.stderr = io.TextIOWrapper(
        io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
        line_buffering=True,
    )
    sys.__stdout__, sys.__stderr__, sys.__stdin__ = sys.stdout, sys.stderr, sys.stdin
    sys.dont_write_bytecode = bool(request["env"].get("PYTHONDONTWRITEBYTECODE"))
    tempfile.tempdir = None  # TMPDIR is read afresh
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    sys.path[0] = request["cwd"]
    sys.argv = [os.path.join(request["cwd"], "tools", "__main__.py"), *request["args"]]

for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            become(request)
            runpy.run_module("tools", run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            if not isinstance(stop.code, (int, type(None))):
                print(stop.code, file=sys.stderr)
        except BaseException:
            import traceback
            traceback.print_exc()
        finally:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
            os._exit(code)
    print(f"pid {pid}", flush=True)
    _, status = os.waitpid(pid, 0)
    print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)
"""

_server: subprocess.Popen | None = None


def _start() -> subprocess.Popen:
    global _server
    if _server is None or _server.poll() is not None:
        _pending.clear()
        _server = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            start_new_session=True,  # a Ctrl-C meant for pytest is pytest's to handle
        )
        atexit.register(_stop)
    return _server


def _stop() -> None:
    if _server is not None and _server.poll() is None:
        _server.stdin.close()
        try:
            _server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _server.kill()


_pending = bytearray()  # what the server wrote beyond the last line read


def _line(server: subprocess.Popen, deadline: float | None) -> str | None:
    """The server's next line, or None when ``deadline`` seconds pass first.

    Read from the descriptor, with a buffer of our own: a buffered reader may already hold the
    next line (a command that ends at once sends "pid" and "exit" together), and waiting on the
    descriptor for it would wait forever."""
    fd = server.stdout.fileno()
    end = None if deadline is None else time.monotonic() + deadline
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while b"\n" not in _pending:
            left = None if end is None else max(0.0, end - time.monotonic())
            if not selector.select(left):
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("the warm interpreter ended")
            _pending.extend(chunk)
    line, _, rest = bytes(_pending).partition(b"\n")
    _pending[:] = rest
    return line.decode()


def run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess:
    """``python -m tools *args`` in ``cwd`` with ``env``: as ``subprocess.run`` would report it."""
    command = [sys.executable, "-m", "tools", *args]
    if os.environ.get("KATA_TESTS_COLD") == "1" or not hasattr(os, "fork"):
        return subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
    server = _start()
    with tempfile.TemporaryDirectory(prefix="kata-warm-") as scratch:
        out, err = Path(scratch, "out"), Path(scratch, "err")
        request = {
            "args": list(args),
            "cwd": str(cwd),
            "env": env,
            "out": str(out),
            "err": str(err),
        }
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        pid = int(_line(server, None).split()[1])
        ended = _line(server, timeout)
        if ended is None:
            os.kill(pid, signal.SIGKILL)
            _line(server, None)
            raise subprocess.TimeoutExpired(command, timeout, out.read_text(), err.read_text())
        code = int(ended.split()[1])
        read = {"encoding": "utf-8", "errors": "replace"}
        return subprocess.CompletedProcess(
            command, code, out.read_text(**read), err.read_text(**read)
        )
