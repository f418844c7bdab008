"""Watch mode: re-run a kata's tests each time one of the learner's files is saved."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

from tools import EXIT_FAILED, EXIT_OK
from tools.core import runner
from tools.core.catalog import Kata
from tools.core.term import say, style
from tools.core.workspace import display, files

POLL_SECONDS = 0.1
SETTLE_SECONDS = 0.05
SETTLE_MS = 20  # events closer together than this are one save


def _stamps(kata: Kata) -> tuple:
    stamps = []
    for path in files(kata):
        try:
            info = path.stat()
            stamps.append((info.st_mtime_ns, info.st_size))
        except FileNotFoundError:
            stamps.append(None)
    return tuple(stamps)


def _out_of_time(deadline: Callable[[], float | None]) -> bool:
    left = deadline()
    return left is not None and left <= 0


def _wait_for_save(kata: Kata, stamps: tuple, deadline: Callable[[], float | None]) -> bool:
    """Block until one of the learner's files changes (True) or the deadline passes (False).

    File-system events (watchfiles) wake the run within a few milliseconds of a save; where
    watchfiles is not installed, the files are polled every 0.1 s.
    """
    try:
        import watchfiles
    except ImportError:
        while _stamps(kata) == stamps:
            if _out_of_time(deadline):
                return False
            time.sleep(POLL_SECONDS)
        time.sleep(SETTLE_SECONDS)  # let the editor finish writing
        return True
    if _stamps(kata) != stamps:  # saved while the last run was going on
        return True
    # The folder, not the files: an editor that saves by replacing a file still wakes us.
    for _ in watchfiles.watch(
        kata.workspace, step=SETTLE_MS, rust_timeout=250, yield_on_timeout=True, debounce=400
    ):
        if _stamps(kata) != stamps:
            return True
        if _out_of_time(deadline):
            return False
    return False


def loop(
    kata: Kata,
    run_once: Callable[[], int],
    deadline: Callable[[], float | None],
    on_stop: Callable[[], None],
    ahead: Callable[[], None] = lambda: None,
) -> int:
    """Run, then wait for a save and run again, until solved, out of time, or Ctrl-C.

    ``ahead`` is called as each wait begins: it may start the next run as far as it can go
    without the learner's code, so that a save costs the tests alone."""
    # Ctrl-C must stop watch mode even when this process was started with SIGINT ignored
    # (a background job of a script inherits that).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    stamps = _stamps(kata)  # taken before the run: a save during the run triggers the next one
    watched = ", ".join(display(p) for p in files(kata))
    status = EXIT_FAILED
    try:
        status = run_once()
        while status != EXIT_OK:
            say(style(f"\nWatching {watched}: save to re-run, Ctrl-C to stop.", "dim"))
            ahead()
            if not _wait_for_save(kata, stamps, deadline):
                say(style("\nTime is up.", "red", "bold"))
                return run_once()
            stamps = _stamps(kata)
            say(style("\n" + "─" * 72, "dim"))
            status = run_once()
    except KeyboardInterrupt:
        on_stop()
    finally:
        runner.discard()
    return status
