"""The only module that touches mutmut: its configuration, its run, its results and its internals.

mutmut 3.8 keeps ``status_by_exit_code`` and ``orig_function_and_class_names_from_key`` in
``mutmut.__main__``; newer releases move them, which is why pyproject.toml pins ``<3.9``. Anything
that needs them goes through here."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tools import ROOT, UserError
from tools.core.catalog import Kata
from tools.core.collector import Report
from tools.mutation import sandbox
from tools.mutation.install import BUILD
from tools.mutation.model import Mutant, _name
from tools.mutation.sandbox import SINGLE_THREADED, WORKER_OPTIONS, Reached, Sandbox, toml_value

MUTMUT = "import sys; from mutmut.__main__ import cli; sys.exit(cli())"

RUN = ("killed", "survived")  # mutmut's verdicts for a test run that finished

UNRECORDED = {"no tests": "no-tests", "timeout": "timeout", "survived": "survived"}


def cpu_seconds(box: Sandbox) -> float:
    """The CPU-time limit per test in this sandbox (written by :func:`write_config`)."""
    try:
        return float((box.root / "cpu-seconds").read_text())
    except (OSError, ValueError):
        return 10.0


def write_config(box: Sandbox, *, timeout: float, probe: bool = True) -> None:
    """The sandbox's pyproject.toml: the repository's pytest settings and a ``[tool.mutmut]`` table.

    mutmut copies the sources to ``mutants/`` and runs pytest with ``mutants/`` as its working
    directory; ``--impl`` points the kata's loader there with an absolute path, so the tests
    import ``mutants/<module>.py`` under its plain name, the name mutmut's trampolines expect.
    With ``probe``, every test may run for every mutant (:func:`seed_stats`) and the probe plugin
    records each outcome; mutmut's ``-x`` still stops a mutant at its first failure, as a plain
    ``mutmut run`` does, and only the mutants that may become variants are run again to the end
    (:func:`tools.mutation.workers.settle_exactly`).
    """
    (box.root / "cpu-seconds").write_text(str(timeout))
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = dict(repo.get("tool", {}).get("pytest", {}).get("ini_options", {}))
    pytest_options.pop("testpaths", None)
    # Wall-clock time is only a backstop (a busy machine must not fail a mutant): a spinning
    # mutant is stopped by the kata conftest's CPU-time limit, set from KATA_CPU_SECONDS.
    pytest_options["timeout"] = max(120.0, 10 * timeout)
    cli = ["--impl", str(box.mutants), *WORKER_OPTIONS]
    cli += ["--tb=no", "-p", "kata_probe"] if probe else []
    mutmut = {
        "source_paths": list(box.kata.files),
        "pytest_add_cli_args": cli,
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


PROBE = '''"""Written by tools.mutation.mutmut_api: records each test's outcome for the mutant mutmut is testing."""

import os
import sys
from pathlib import Path

sys.path.insert(0, {root!r})
try:
    from tools.core.collector import Collector
finally:
    sys.path.remove({root!r})


def pytest_configure(config):
    name = os.environ.get("MUTANT_UNDER_TEST", "")
    if "__mutmut_" in name:
        collector = Collector({slug!r}, Path({impl!r}))
        config.pluginmanager.register(collector, "kata-probe")
        config._kata_probe = (name, collector)


def pytest_unconfigure(config):
    probe = getattr(config, "_kata_probe", None)
    if probe is not None:
        name, collector = probe
        Path({reports!r}, probe_file(name)).write_text(collector.report.to_json())


def probe_file(name):
    return name.replace("\\u01c1", "-") + ".json"
'''


def write_probe(box: Sandbox) -> Path:
    """The probe plugin (``-p kata_probe``) in a directory of its own; returns that directory."""
    directory = box.root / "probe"
    (box.root / "reports").mkdir(exist_ok=True)
    directory.mkdir(exist_ok=True)
    text = PROBE.format(
        root=str(ROOT), slug=box.kata.slug, impl=str(box.mutants), reports=str(box.root / "reports")
    )
    (directory / "kata_probe.py").write_text(text, encoding="utf-8")
    return directory


def probe_report(box: Sandbox, mutant: str) -> Report | None:
    """What the probe recorded for one mutmut mutant, if it got that far."""
    path = box.root / "reports" / (mutant.replace("\u01c1", "-") + ".json")
    return Report.from_json(path.read_text()) if path.is_file() else None


def mangled(file: str, function: str) -> str:
    """mutmut's key for a function: ``pipeline.x_fit`` or, for a method, ``pipeline.xǁScalerǁfit``."""
    owner, _, name = function.rpartition(".")
    return (
        f"{Path(file).stem}.x\u01c1{owner}\u01c1{name}" if owner else f"{Path(file).stem}.x_{name}"
    )


def seed_stats(box: Sandbox, durations: dict[str, float], reached: Reached) -> None:
    """Tell mutmut, before it runs, to run every test against every mutant of a function that
    some test calls (mutants of the others are reported as reached by no test).

    mutmut maps functions to tests by recording which test first reaches each function; a
    module-scoped fixture reaches a function once, for the first test that uses it, so the
    other tests of that fixture are never run against its mutants. Seeding its stats file
    makes each mutant's failing tests exact, and skips mutmut's own stats run.
    """
    tests = {f"tests/{box.kata.slug}/{test}": seconds for test, seconds in durations.items()}
    selection = {mangled(*key): sorted(tests) for key in sorted(reached)}
    stats = {
        "tests_by_mangled_function_name": selection,
        "duration_by_test": tests,
        "stats_time": 0.0,
    }
    box.mutants.mkdir(exist_ok=True)
    (box.mutants / "mutmut-stats.json").write_text(json.dumps(stats, indent=1))


@dataclass
class Generated:
    """One mutant mutmut made, rebuilt as a plain module, with mutmut's verdict and the probe's report."""

    key: str  # mutmut's name, e.g. "pipeline.xǁStandardScalerǁfit__mutmut_3"
    function: str  # "StandardScaler.fit"
    number: int
    file: str
    code: str
    status: str  # mutmut's: killed, survived, timeout, no tests, ...
    report: Report | None


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


def run_mutmut(box: Sandbox, jobs: int, log: Path, *, probe: bool = True) -> float:
    """``mutmut run`` in the sandbox, output to ``log``; returns its wall time."""
    env = {**os.environ, **SINGLE_THREADED, "NO_COLOR": "1"}
    env.setdefault("KATA_CPU_SECONDS", str(cpu_seconds(box)))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # workers reuse the compiled mutants module
    if probe:
        env["PYTHONPATH"] = str(write_probe(box))
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


def mutmut_results(box: Sandbox, fixed: dict[str, str]) -> list[Generated]:
    """Every mutant of the last ``mutmut run``, each mutated function spliced back into the fixed module.

    A function's mutants are used only if mutmut's untouched copy of it (``__mutmut_orig``)
    rebuilds the fixed file byte for byte, so what is written is exactly what mutmut tested.
    """
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    found = []
    for name in box.kata.files:
        meta = box.mutants / f"{name}.meta"
        if not meta.is_file():
            continue
        verdicts = json.loads(meta.read_text())["exit_code_by_key"]
        generated = (box.mutants / name).read_text(encoding="utf-8")
        spans, originals = _spans(generated), _spans(fixed[name])
        for key, exit_code in verdicts.items():
            function, cls = orig_function_and_class_names_from_key(key)
            mangled, _, number = key.rpartition(".")[2].partition("__mutmut_")
            where = originals.get((cls, function))
            mutant = spans.get((cls, f"{mangled}__mutmut_{number}"))
            untouched = spans.get((cls, f"{mangled}__mutmut_orig"))
            if None in (where, mutant, untouched):
                continue
            splice = functools.partial(_splice, fixed[name], where, function, generated)
            if splice(untouched) != fixed[name]:
                continue  # mutmut's copy of this function does not give back the fixed file
            qualified = f"{cls}.{function}" if cls else function
            status, report = status_by_exit_code[exit_code], probe_report(box, key)
            found.append(
                Generated(key, qualified, int(number), name, splice(mutant), status, report)
            )
    return sorted(found, key=lambda g: (g.file, g.function, g.number))


def _spans(source: str) -> dict[tuple[str | None, str], tuple[str, int, int]]:
    """(class or None, name) -> (name, first line, last line) of top-level functions and methods."""
    found = {}
    for node in ast.parse(source).body:
        members = node.body if isinstance(node, ast.ClassDef) else [node]
        owner = node.name if isinstance(node, ast.ClassDef) else None
        for item in members:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                found[(owner, item.name)] = (item.name, item.lineno, item.end_lineno or item.lineno)
    return found


def _splice(fixed: str, where: tuple, function: str, generated: str, span: tuple) -> str:
    """``fixed`` with the lines of one function replaced by a generated copy, renamed back."""
    lines, source = fixed.splitlines(keepends=True), generated.splitlines(keepends=True)
    body = source[span[1] - 1 : span[2]]
    body[0] = body[0].replace(f"def {span[0]}(", f"def {function}(", 1)
    return "".join([*lines[: where[1] - 1], *body, *lines[where[2] :]])


def from_mutmut(kata: Kata, generated: list[Generated]) -> list[Mutant]:
    """mutmut's mutants, named ``m-<function>-<n>`` after mutmut's own numbering."""
    found = []
    for g in generated:
        ident = f"m-{_name(kata, g.file, g.function)}-{g.number}"
        m = Mutant(ident, "mutmut", g.key, "mutmut", g.function, g.file, g.code)
        m.mutmut_status = g.status
        if g.report is not None:
            m.settle(g.report)
        else:  # mutmut stopped the run (timeout, signal) before the probe could record it
            m.status, m.recorded = UNRECORDED.get(g.status, "crashed"), False
        found.append(m)
    return found


def plain_mutmut(kata: Kata, jobs: int, timeout: float, fixed: dict[str, str]) -> dict:
    """Time a plain ``mutmut run`` (its own test selection, first failure stops) on the same sandbox."""
    with sandbox.sandbox(kata) as box:
        write_config(box, timeout=timeout, probe=False)
        log = BUILD / f"{kata.slug}.plain-mutmut.log"
        seconds = round(run_mutmut(box, jobs, log, probe=False), 2)
        statuses = [g.status for g in mutmut_results(box, fixed)]
    counts = {
        s.replace(" ", "_"): statuses.count(s)
        for s in ("killed", "survived", "timeout", "no tests")
    }
    rate = round(len(statuses) / seconds, 2)
    return {"seconds": seconds, "mutants": len(statuses), "per_second": rate, **counts}
