"""Selects the implementation a kata's tests run against: ``pytest tests/<slug> --impl DIR``.

Each kata's tests ask for the ``kata`` fixture and call ``kata("pipeline")`` to import
``DIR/pipeline.py``. Without ``--impl`` the reference solution ``fixed/<slug>/`` is used;
``--impl 'broken/{slug}'`` runs every kata of the tree against its broken version.
Modules are imported fresh for every test module and removed from ``sys.modules`` again, so
running the whole ``tests/`` tree in one process never lets one kata's modules reach another's.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


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


def import_from(directory: Path, name: str) -> ModuleType:
    """Import ``directory/name.py`` (and the sibling modules it imports) under its plain name.

    The plain name matters: mutmut's trampolines recognise a mutant by its module name.
    """
    path = directory / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: the kata's module {name}.py is missing")
    siblings = {p.stem for p in directory.glob("*.py")}
    for stale in siblings & set(sys.modules):
        del sys.modules[stale]
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(directory))
        for loaded in siblings & set(sys.modules):
            del sys.modules[loaded]


@pytest.fixture(scope="module")
def kata(request: pytest.FixtureRequest) -> Iterator[Callable[[str], ModuleType]]:
    """A loader: ``kata("pipeline")`` is the kata's ``pipeline`` module under test."""
    directory = impl_dir(request.config, _slug_of(request.path))
    cache: dict[str, ModuleType] = {}

    def load(name: str) -> ModuleType:
        if name not in cache:
            cache[name] = import_from(directory, name)
        return cache[name]

    yield load
