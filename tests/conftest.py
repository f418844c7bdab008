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
loop that never ends marks its test ``@pytest.mark.cpu_limit(2)`` to be stopped sooner.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import os
import signal
import sys
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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Stop a kata test that spins for more than ``CPU_SECONDS`` of CPU time."""
    if not hasattr(signal, "ITIMER_PROF") or not item.path.resolve().is_relative_to(TESTS):
        return (yield)
    if item.path.resolve().is_relative_to(TESTS / "tools"):
        return (yield)
    limit = _cpu_limit(item)
    previous = signal.signal(signal.SIGPROF, _stopper(limit))
    signal.setitimer(signal.ITIMER_PROF, limit)
    try:
        return (yield)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
