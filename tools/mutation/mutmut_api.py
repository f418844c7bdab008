"""The only module that touches mutmut: its mutation engine, its configuration and a plain run.

A campaign asks mutmut's own mutation engine (``create_mutations``, the operators of a ``mutmut
run``) for every mutant of the kata's files and splices each into the fixed module as plain text:
no trampolines, no ``mutmut run``. Our forked workers then test each one against only the tests
that reach its lines (:mod:`tools.mutation.workers`). A plain ``mutmut run`` is kept for one
thing: timing it beside a campaign (``--compare-plain``, ``nox -s bench``).

mutmut 3.8 keeps ``status_by_exit_code`` and ``orig_function_and_class_names_from_key`` in
``mutmut.__main__``; newer releases move them, which is why pyproject.toml pins ``<3.9``."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from tools import ROOT, UserError
from tools.core.catalog import Kata
from tools.mutation import sandbox
from tools.mutation.install import BUILD
from tools.mutation.model import Mutant, _name
from tools.mutation.sandbox import SINGLE_THREADED, WORKER_OPTIONS, Sandbox, toml_value

MUTMUT = "import sys; from mutmut.__main__ import cli; sys.exit(cli())"


def cpu_seconds(box: Sandbox) -> float:
    """The CPU-time limit per test in this sandbox (written by :func:`write_config`)."""
    try:
        return float((box.root / "cpu-seconds").read_text())
    except (OSError, ValueError):
        return 10.0


def write_config(box: Sandbox, *, timeout: float) -> None:
    """The sandbox's pyproject.toml: the repository's pytest settings and a ``[tool.mutmut]`` table.

    A plain ``mutmut run`` copies the sources to ``mutants/`` and runs pytest with ``mutants/`` as
    its working directory; ``--impl`` points the kata's loader there with an absolute path, so the
    tests import ``mutants/<module>.py`` under its plain name, the name mutmut's trampolines expect.
    """
    (box.root / "cpu-seconds").write_text(str(timeout))
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = dict(repo.get("tool", {}).get("pytest", {}).get("ini_options", {}))
    pytest_options.pop("testpaths", None)
    # Wall-clock time is only a backstop (a busy machine must not fail a mutant): a spinning
    # mutant is stopped by the kata conftest's CPU-time limit, set from KATA_CPU_SECONDS.
    pytest_options["timeout"] = max(120.0, 10 * timeout)
    mutmut = {
        "source_paths": list(box.kata.files),
        "pytest_add_cli_args": ["--impl", str(box.mutants), *WORKER_OPTIONS],
        "pytest_add_cli_args_test_selection": [f"tests/{box.kata.slug}"],
        "use_git_change_detection": False,
        "timeout_multiplier": 10.0,  # mutmut stops a mutant after 10 x (its tests' time + 5 s):
        "timeout_constant": 5.0,  # generous, since the CPU-time limit stops spinning mutants
    }
    lines = ["[tool.mutmut]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in mutmut.items()]
    lines += ["", "[tool.pytest.ini_options]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in pytest_options.items()]
    (box.root / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def generate(box: Sandbox, fixed: dict[str, str]) -> tuple[list[Mutant], dict[str, set[int]]]:
    """Every mutant mutmut's engine makes of the kata's files, each a whole plain module, named
    ``m-<function>-<n>`` (n counts a function's mutants in mutmut's order), and the lines of
    the fixed file each one changes. Module-level code is left alone, as ``mutmut run`` does."""
    from libcst.metadata import MetadataWrapper, WhitespaceInclusivePositionProvider
    from mutmut.configuration import reset_config
    from mutmut.mutation.file_mutation import create_mutations

    found, touched = [], {}
    cwd = Path.cwd()
    os.chdir(box.root)  # mutmut reads its configuration from the working directory
    try:
        reset_config()
        for name in box.kata.files:
            text = fixed[name]
            module, mutations, _, _ = create_mutations(name, text)
            spans = MetadataWrapper(module, unsafe_skip_copy=True).resolve(
                WhitespaceInclusivePositionProvider
            )
            starts = [0]
            for line in text.splitlines(keepends=True):
                starts.append(starts[-1] + len(line))
            counts: dict[str, int] = {}
            owners = _owners(module)
            for mutation in mutations:
                function = mutation.contained_by_top_level_function
                if function is None:
                    continue
                where = spans[mutation.original_node]
                a = starts[where.start.line - 1] + where.start.column
                b = starts[where.end.line - 1] + where.end.column
                code = text[:a] + module.code_for_node(mutation.mutated_node) + text[b:]
                qualified = ".".join([*owners.get(function, []), function.name.value])
                counts[qualified] = counts.get(qualified, 0) + 1
                ident = f"m-{_name(box.kata, name, qualified)}-{counts[qualified]}"
                found.append(Mutant(ident, "mutmut", ident, "mutmut", qualified, name, code))
                touched[ident] = set(range(where.start.line, where.end.line + 1))
    finally:
        os.chdir(cwd)
        reset_config()
    return found, touched


def _owners(module) -> dict:
    """The class around each method of ``module`` (a function at top level has none)."""
    import libcst as cst

    owners = {}
    for statement in module.body:
        if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            for item in statement.body.body:
                if isinstance(item, cst.FunctionDef):
                    owners[item] = [statement.name.value]
    return owners


def require_mutmut() -> str:
    """mutmut's version, or a one-line error saying how to get it."""
    if importlib.util.find_spec("mutmut") is None:
        raise UserError(
            "mutmut is not installed in this environment: run nox -s mutate -- <slug> (it installs "
            "mutmut), pip install 'mutmut>=3.8,<3.9', or add --operators-only"
        )
    version = importlib.metadata.version("mutmut")
    if not version.startswith("3."):
        raise UserError(
            f"mutmut {version} is installed; this tool needs mutmut 3.x (nox -s mutate)"
        )
    return version


def run_mutmut(box: Sandbox, jobs: int, log: Path) -> float:
    """``mutmut run`` in the sandbox, output to ``log``; returns its wall time."""
    env = {**os.environ, **SINGLE_THREADED, "NO_COLOR": "1"}
    env.setdefault("KATA_CPU_SECONDS", str(cpu_seconds(box)))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # workers reuse the compiled mutants module
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w") as out:
        command = [sys.executable, "-c", MUTMUT, "run", "--max-children", str(jobs)]
        done = subprocess.run(
            command, cwd=box.root, env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if done.returncode != 0:
        raise UserError(
            f"mutmut failed on {box.kata.slug} (exit {done.returncode}); its output is in {log}"
        )
    return time.perf_counter() - started


def plain_mutmut(kata: Kata, jobs: int, timeout: float) -> dict:
    """Time a plain ``mutmut run`` (its own test selection, first failure stops) on the same sandbox."""
    from mutmut.stats import status_by_exit_code

    with sandbox.sandbox(kata) as box:
        write_config(box, timeout=timeout)
        log = BUILD / f"{kata.slug}.plain-mutmut.log"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = round(run_mutmut(box, jobs, log), 2)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        statuses = []
        for name in kata.files:
            with contextlib.suppress(OSError, ValueError):
                meta = json.loads((box.mutants / f"{name}.meta").read_text())
                statuses += [status_by_exit_code[c] for c in meta["exit_code_by_key"].values()]
    counts = {
        s.replace(" ", "_"): statuses.count(s)
        for s in ("killed", "survived", "timeout", "no tests")
    }
    rate = round(len(statuses) / max(seconds, 0.01), 2)
    rows = {"seconds": seconds, "cpu": round(cpu, 2), "mutants": len(statuses), "per_second": rate}
    return {**rows, **counts}
