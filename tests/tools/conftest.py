"""Fixtures for the tooling's tests: a throw-away copy of the repository to run commands in."""

from __future__ import annotations

import compileall
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from . import warm

ROOT = Path(__file__).resolve().parents[2]
# Tool tests run whole commands; the 10 s limit is meant for kata tests.
TOOL_TIMEOUT = 1800  # a backstop: whole commands on a possibly busy machine


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TOOL_TIMEOUT))
    # The longest tests first: xdist hands tests out in this order, and a long one started last
    # would leave the other workers idle while it finishes.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def pytest_configure(config: pytest.Config) -> None:
    # Commands run with PYTHONDONTWRITEBYTECODE, as a learner's do: without this, each of the
    # suite's few hundred commands would compile the tools from source again (a third of a CPU
    # second each). Compiled once here (tools/__pycache__, git-ignored), the bytecode is copied with
    # the tools; a copy whose source a test changes has its own mtime and is compiled afresh.
    compileall.compile_dir(ROOT / "tools", quiet=2)


def copy_repo(target: Path, slugs: tuple[str, ...] = ("leakage",)) -> Path:
    """A minimal copy of the repository holding the tools (and their bytecode) and the given katas."""
    for name in ("pyproject.toml", ".gitignore", "noxfile.py"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "tools", target / "tools")
    (target / "tests").mkdir()
    for name in ("conftest.py", "katakit.py"):
        shutil.copy2(ROOT / "tests" / name, target / "tests" / name)
    for slug in slugs:
        shutil.copytree(
            ROOT / "tests" / slug,
            target / "tests" / slug,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        for part in ("broken", "fixed"):
            shutil.copytree(
                ROOT / part / slug,
                target / part / slug,
                ignore=shutil.ignore_patterns("__pycache__"),
            )
        (target / "katas" / slug).mkdir(parents=True)
        for name in ("kata.toml", "README.md"):
            shutil.copy2(ROOT / "katas" / slug / name, target / "katas" / slug / name)
    return target


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return copy_repo(tmp_path)


def run_tool(
    repo: Path, *args: str, timeout: float = 600, env: dict | None = None
) -> subprocess.CompletedProcess:
    """``python -m tools ARGS`` in ``repo``, as a learner's shell would run it (no terminal).

    Each command is a child forked from a warm interpreter (``warm.py``), not a new one.
    """
    environment = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    return warm.run(list(args), repo, environment, timeout)


@pytest.fixture
def tool(repo: Path):
    """Run ``python -m tools ...`` in the throw-away repository."""

    def run(*args: str, **options) -> subprocess.CompletedProcess:
        return run_tool(repo, *args, **options)

    return run
