"""Selects the implementation a kata's tests run against: ``pytest tests/<slug> --impl DIR``.

Each kata's tests ask for the ``kata`` fixture and call ``kata("pipeline")`` to import
``DIR/pipeline.py``. Without ``--impl`` the reference solution ``fixed/<slug>/`` is used;
``--impl 'broken/{slug}'`` runs every kata of the tree against its broken version.

Only the kata's own files (``files`` in ``katas/<slug>/kata.toml``) are imported from DIR, and DIR
is never put on ``sys.path``: a scratch ``json.py`` or ``random.py`` beside the learner's code
shadows nothing. Modules are imported fresh for every test module and removed from
``sys.modules`` again, so running the whole ``tests/`` tree in one process never lets one kata's
modules reach another's.

A test that loops forever is stopped after ``KATA_CPU_SECONDS`` (default 10) seconds of *CPU
time*, not wall time: a busy machine slows a test down but never fails it. A kata whose bug is a
loop that never ends marks its test ``@pytest.mark.cpu_limit(2)`` to be stopped sooner. A test
whose code *waits* (sleeps, blocks) is stopped when, over ``KATA_WAIT_SECONDS`` (default 15) of
wall time, it used almost no CPU; the run then stops, the rest of its tests not run. Both limits
cover a test's fixtures too.

Only this conftest belongs to the kata's tests: a run that loaded another one (a ``conftest.py``
beside the learner's file, reached through a path on the command line) stops with a usage error.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import signal
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
if str(TESTS) not in sys.path:
    sys.path.append(str(TESTS))  # the shared kit: ``from katakit import ...``

CPU_SECONDS = float(os.environ.get("KATA_CPU_SECONDS", "10"))
WAIT_SECONDS = float(os.environ.get("KATA_WAIT_SECONDS", "15"))
BUSY = 0.05  # a test that used less CPU than this share of the wall time was waiting


class Waited(BaseException):
    """The code under test waited (a sleep, a blocking call) instead of computing.

    A BaseException, so that a learner's ``except Exception`` cannot swallow it."""


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--impl",
        metavar="DIR",
        default=None,
        help="directory holding the kata's modules (default: fixed/<slug>); "
        "'{slug}' in DIR stands for each kata's slug, e.g. --impl 'broken/{slug}'",
    )


def _slug_of(path: Path) -> str:
    relative = path.resolve().relative_to(TESTS)
    return relative.parts[0]


def impl_dir(config: pytest.Config, slug: str) -> Path:
    """The directory whose modules a kata's tests import."""
    chosen = config.getoption("--impl")
    if chosen is None:
        return ROOT / "fixed" / slug
    return Path(chosen.replace("{slug}", slug)).resolve()


def kata_modules(slug: str, directory: Path) -> set[str]:
    """The module names that belong to the kata: its kata.toml ``files``.

    Without a kata.toml (a mutation sandbox holds only code and tests), every ``.py`` file in
    ``directory`` whose name is not a standard-library module.
    """
    toml = ROOT / "katas" / slug / "kata.toml"
    try:
        files = tomllib.loads(toml.read_text(encoding="utf-8"))["files"]
        return {name.removesuffix(".py") for name in files}
    except (OSError, KeyError, TypeError, tomllib.TOMLDecodeError):
        names = {p.stem for p in directory.glob("*.py")}
        return {n for n in names if n not in sys.stdlib_module_names and n.isidentifier()}


class _KataFinder(importlib.abc.MetaPathFinder):
    """Finds exactly the kata's own modules in one directory, before anything else."""

    def __init__(self, directory: Path, names: set[str]) -> None:
        self.directory = directory
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.names:
            return None
        location = self.directory / f"{fullname}.py"
        if not location.is_file():
            return None
        return importlib.util.spec_from_file_location(fullname, location)


def import_from(directory: Path, name: str, names: set[str] | None = None) -> ModuleType:
    """Import ``directory/name.py`` (and the sibling kata modules it imports) under its plain name.

    The plain name matters: mutmut's trampolines recognise a mutant by its module name.
    """
    path = directory / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: the kata's module {name}.py is missing")
    own = (names or set()) | {name}
    for stale in own & set(sys.modules):
        del sys.modules[stale]
    finder = _KataFinder(directory, own)
    sys.meta_path.insert(0, finder)
    try:
        return importlib.import_module(name)
    finally:
        sys.meta_path.remove(finder)
        for loaded in own & set(sys.modules):
            del sys.modules[loaded]


@pytest.fixture(scope="module")
def kata(request: pytest.FixtureRequest) -> Iterator[Callable[[str], ModuleType]]:
    """A loader: ``kata("pipeline")`` is the kata's ``pipeline`` module under test."""
    slug = _slug_of(request.path)
    directory = impl_dir(request.config, slug)
    names = kata_modules(slug, directory)
    cache: dict[str, ModuleType] = {}

    def load(name: str) -> ModuleType:
        if name not in cache:
            cache[name] = import_from(directory, name, names)
        return cache[name]

    yield load


def _cpu_limit(item: pytest.Item) -> float:
    marker = item.get_closest_marker("cpu_limit")
    return float(marker.args[0]) if marker and marker.args else CPU_SECONDS


def _stopper(limit: float):
    def on_cpu_limit(signum, frame):
        pytest.fail(
            f"Timeout: the test used more than {limit:g} s of CPU time, "
            "so the code under test most likely loops forever",
            pytrace=True,
        )

    return on_cpu_limit


def _waiter(item: pytest.Item, outer: float | None, alarm):
    """A SIGALRM handler: every ``WAIT_SECONDS``, stop the test if it hardly used the CPU since
    the last look. ``outer`` is when an outer wall-clock limit (pytest-timeout) is due; its
    handler ``alarm`` is called then."""
    last = [time.monotonic(), time.process_time()]

    def arm() -> None:
        due = WAIT_SECONDS if outer is None else min(WAIT_SECONDS, outer - time.monotonic())
        signal.setitimer(signal.ITIMER_REAL, max(due, 0.001))

    def on_alarm(signum, frame):
        now, cpu = time.monotonic(), time.process_time()
        if outer is not None and now >= outer and callable(alarm):
            return alarm(signum, frame)
        waited, used = now - last[0], cpu - last[1]
        last[:] = [now, cpu]
        if waited >= WAIT_SECONDS * 0.99 and used < BUSY * waited:
            item.session.shouldstop = f"the run stopped after {item.name} waited"
            raise Waited(
                f"the test waited: for {waited:.0f} s it used {used:.2f} s of CPU time, so the "
                "code under test sleeps or blocks (a sleep, input, a lock, a child process) "
                "instead of computing"
            )
        arm()

    return on_alarm, arm


@contextlib.contextmanager
def _limits(item: pytest.Item) -> Iterator[None]:
    """The CPU limit and the wait limit around one phase of a kata test."""
    limit = _cpu_limit(item)
    previous_prof = signal.signal(signal.SIGPROF, _stopper(limit))
    signal.setitimer(signal.ITIMER_PROF, limit)
    previous_alarm = signal.getsignal(signal.SIGALRM)
    pending, _ = signal.getitimer(signal.ITIMER_REAL)
    outer = time.monotonic() + pending if pending else None
    on_alarm, arm = _waiter(item, outer, previous_alarm)
    signal.signal(signal.SIGALRM, on_alarm)
    arm()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous_prof)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_alarm)
        if outer is not None and outer > time.monotonic():  # the outer limit, not yet due
            signal.setitimer(signal.ITIMER_REAL, outer - time.monotonic())


def _limited(item: pytest.Item) -> bool:
    path = item.path.resolve()
    return (
        hasattr(signal, "ITIMER_PROF")
        and path.is_relative_to(TESTS)
        and not path.is_relative_to(TESTS / "tools")
    )


def _phase_within_limits(item: pytest.Item):
    """Stop a kata test, or its fixtures (they run the code under test too), that spins for more
    than ``CPU_SECONDS`` of CPU time, or waits."""
    if not _limited(item):
        return (yield)
    with _limits(item):
        return (yield)


pytest_runtest_setup = pytest.hookimpl(wrapper=True)(_phase_within_limits)
pytest_runtest_call = pytest_runtest_setup


def pytest_configure(config: pytest.Config) -> None:
    """Refuse a run that loaded a conftest.py from outside the kata's tests."""
    for plugin in config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None) or ""
        if Path(file).name == "conftest.py" and not Path(file).resolve().is_relative_to(TESTS):
            raise pytest.UsageError(
                f"{file} is not part of the kata's tests; pytest loaded it because its folder "
                "was named on the command line: delete it, or write --impl=DIR as one word"
            )
