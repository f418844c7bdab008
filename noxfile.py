"""Sessions for learners (kata, list), instructors (mutate, verify) and maintainers (tests, lint, bench).

The sessions are thin: the logic lives in the ``tools`` package. A virtual environment is
created once per session and re-used; dependencies are installed again only when the
dependency groups in pyproject.toml change, so a warm ``nox -s kata`` starts in well under a second.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
SUITE = ("tests/tools", "--numprocesses=6", "--dist=worksteal")  # the README's test command


# Compiles every installed module once, so that no process of ours compiles pandas again. uv
# installs without bytecode, and where PYTHONDONTWRITEBYTECODE is set (our own tool runs set it,
# to keep __pycache__ out of the learner's folder) nothing is ever cached: every interpreter would
# compile NumPy, pandas and pytest from source, about 2 CPU seconds instead of 0.4.
_COMPILE = (
    "import compileall, sysconfig; "
    "[compileall.compile_dir(sysconfig.get_paths()[k], quiet=2, workers=0) "
    "for k in sorted({'purelib', 'platlib'})]"
)


def _install_once(session: nox.Session, requirements: list[str]) -> None:
    """Install exactly ``requirements`` (and compile them) unless this environment has them."""
    fingerprint = hashlib.sha256("\n".join(["compiled", *requirements]).encode()).hexdigest()
    marker = Path(session.virtualenv.location) / ".kata-requirements"
    if marker.is_file() and marker.read_text() == fingerprint:
        return
    session.install(*requirements)
    session.run("python", "-c", _COMPILE, silent=True)
    marker.write_text(fingerprint)


def _install(session: nox.Session, *groups: str) -> None:
    """Install the dependency groups unless this environment already has exactly them."""
    _install_once(
        session, sorted({r for g in groups for r in nox.project.dependency_groups(PYPROJECT, g)})
    )


def _tool(session: nox.Session, *args: str) -> None:
    """Run ``python -m tools ARGS`` in the session's environment and keep the tool's exit status.

    The tool prints its own calm summary; its status (1: tests fail, 2: usage error) becomes the
    session's, without nox's "Session failed" noise. Ctrl-C is left to the tool, which stops
    cleanly (watch mode ends that way). Sessions without an environment use nox's own Python.
    """
    venv = session.virtualenv.location if session.virtualenv.venv_backend != "none" else None
    python = str(Path(session.virtualenv.bin) / "python") if venv else sys.executable
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **({"VIRTUAL_ENV": venv} if venv else {})}
    child = subprocess.Popen([python, "-m", "tools", *args], cwd=ROOT, env=env)
    while True:
        try:
            status = child.wait()
            break
        except KeyboardInterrupt:
            continue
    if status:
        sys.exit(status)


@nox.session(default=False)
def kata(session: nox.Session) -> None:
    """Work on a kata: nox -s kata -- <name> [--hint | --reset | --diff ...], or -- --blind, -- --next."""
    _install(session, "kata")
    _tool(session, "kata", *session.posargs)


@nox.session(default=False, venv_backend="none")
def list(session: nox.Session) -> None:
    """List every kata with its category, difficulty, status and best result."""
    _tool(session, "list", *session.posargs)


@nox.session(default=False, venv_backend="none")
def new(session: nox.Session) -> None:
    """Authors: scaffold a new kata: nox -s new -- <slug>, or from your own project: -- <slug> --from DIR."""
    _tool(session, "new", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """The self-check: tool tests, every kata's contract (fixed passes, broken fails as listed), lint."""
    _install(session, "test")  # mutmut and libcst too: the generator is tested as well
    # Most tool tests wait on subprocesses: six workers keep two cores busy, and each takes the
    # next test as it is free (worksteal), so no worker holds a queue while others run dry
    # (tools/authoring/bench.py times the same command). Every kata's own tests run inside the
    # self-check (tests/tools/test_contract.py): against fixed/ in a shuffled order, and against
    # broken/ and each variant; collecting them here too would run them twice.
    session.run("python", "-m", "pytest", *SUITE, *session.posargs)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(default=False)
def verify(session: nox.Session) -> None:
    """Check katas against the contract and say exactly what is missing: nox -s verify -- [slug ...]."""
    _install(session, "kata")
    _tool(session, "verify", *session.posargs)


def _oldest(requirements: list[str]) -> list[str]:
    """Each ``name>=low,<high`` pinned to ``name==low``: the oldest versions pyproject allows."""
    pinned = []
    for requirement in requirements:
        name, _, rest = requirement.partition(">=")
        if not rest:
            raise ValueError(f"pyproject.toml: {requirement!r} has no lower bound to test")
        pinned.append(f"{name.strip()}=={rest.split(',')[0].strip()}")
    return pinned


@nox.session(default=False)
def oldest(session: nox.Session) -> None:
    """Every kata's contract on the oldest NumPy, pandas and pytest that pyproject.toml allows."""
    _install_once(session, _oldest(PYPROJECT["project"]["dependencies"]))
    session.run(
        "python",
        "-c",
        "import numpy, pandas; print('numpy', numpy.__version__, 'pandas', pandas.__version__)",
    )
    _tool(session, "verify", *session.posargs)


@nox.session(default=False)
def mutate(session: nox.Session) -> None:
    """Instructors: generate bug variants with mutmut and ML-aware operators: nox -s mutate -- <slug>."""
    _install(session, "mutate")
    _tool(session, "mutate", *session.posargs)


@nox.session(default=False)
def pack(session: nox.Session) -> None:
    """Instructors: a folder per student, each with different bugs: nox -s pack -- <slug> --students F --out D."""
    _install(session, "kata")
    _tool(session, "pack", *session.posargs)


@nox.session(default=False)
def lint(session: nox.Session) -> None:
    """Ruff: lint and formatting."""
    _install(session, "lint")
    session.run("ruff", "check", ".", *session.posargs)
    session.run("ruff", "format", "--check", ".")


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure kata runs, watch mode, the self-check, mutation and the test suite; writes build/bench.json."""
    _install(session, "test")  # mutmut for the campaign, pytest-xdist for the suite
    os.environ["KATA_NOX"] = f"{sys.executable} -m nox"  # the nox running this session
    _tool(session, "bench", *session.posargs)
