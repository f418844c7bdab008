"""Where a campaign runs: sandboxes swept when their owner dies, mutmut inside them, forked workers."""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import importlib.metadata
import importlib.util
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools import ROOT, TESTS, UserError
from tools.catalog import Kata
from tools.collector import Collector, Outcome, Report


def private_parent(base: Path | None = None) -> Path:
    """This user's folder for sandboxes: created 0700, and refused unless it is a real folder
    owned by this user that nobody else can enter (another user cannot swap a sandbox in it).
    """
    parent = (base or Path(tempfile.gettempdir())) / f"kata-mutate-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        parent.mkdir(mode=0o700)
    info = os.lstat(parent)
    if (
        stat.S_ISLNK(info.st_mode)
        or not stat.S_ISDIR(info.st_mode)
        or info.st_uid != os.getuid()
        or info.st_mode & 0o077
    ):
        raise UserError(
            f"{parent} is not a private folder of yours (a link, another owner, or open to "
            "other users); remove it and run the same command again"
        )
    return parent


OWNER = "owner.json"
STALE_AFTER = 24 * 3600  # seconds: a sandbox this old is swept even if its pid was reused
# pytest options for workers: no cache, no forced garbage collections at the end of a session.
WORKER_OPTIONS = ("-p", "no:cacheprovider", "-p", "no:unraisableexception")
# Threads inside forked workers buy nothing (each worker is one core) and BLAS pools and fork mix badly.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass(frozen=True)
class Sandbox:
    """A copy of one kata's fixed files and tests; nothing in it points back into the repository."""

    root: Path
    kata: Kata

    @property
    def mutants(self) -> Path:
        return self.root / "mutants"

    def impl(self, name: str, files: dict[str, str]) -> Path:
        """A directory holding the kata's files with ``files`` (name -> text) swapped in."""
        directory = self.root / "impl" / name
        directory.mkdir(parents=True, exist_ok=True)
        for file in self.kata.files:
            text = files.get(file, (self.root / file).read_text(encoding="utf-8"))
            (directory / file).write_text(text, encoding="utf-8")
        return directory


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owned_by_the_dead(path: Path) -> bool:
    """True if the process that made ``path`` (its ``owner.json``) is gone or the folder is ancient."""
    try:
        owner = json.loads((path / OWNER).read_text())
        pid, started = int(owner["pid"]), float(owner["started"])
    except (OSError, ValueError, KeyError, TypeError):
        # No readable owner: either being created this instant or left half-made; judge by age.
        started = path.stat().st_mtime if path.exists() else 0.0
        return time.time() - started > 60
    return not alive(pid) or time.time() - started > STALE_AFTER


def sweep(parent: Path | None = None) -> list[Path]:
    """Remove the sandboxes of campaigns that were killed; returns what was removed.

    Only this user's private folder is swept, so only this user's sandboxes are touched.
    """
    parent = parent or private_parent()
    removed = []
    for path in sorted(parent.glob("*")) if parent.is_dir() else []:
        if path.is_dir() and owned_by_the_dead(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def claim(directory: Path, **extra: str) -> None:
    """Mark ``directory`` as owned by this process, so a later sweep leaves it alone while we live."""
    owner = {"pid": os.getpid(), "started": time.time(), "argv": sys.argv, **extra}
    (directory / OWNER).write_text(json.dumps(owner))


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


@contextmanager
def sandbox(kata: Kata, *, keep: bool = False, parent: Path | None = None) -> Iterator[Sandbox]:
    """A fresh sandbox for ``kata``, removed afterwards unless ``keep`` (or the process is killed)."""
    parent = parent or private_parent()
    sweep(parent)
    root = Path(tempfile.mkdtemp(prefix=f"{kata.slug}-", dir=parent)).resolve()
    claim(root)
    try:
        for name in kata.files:
            shutil.copyfile(kata.fixed / name, root / name)
        (root / "tests").mkdir()
        for name in ("conftest.py", "katakit.py"):
            shutil.copyfile(TESTS / name, root / "tests" / name)
        _copy_tree(kata.tests, root / "tests" / kata.slug)
        yield Sandbox(root, kata)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)


# -- configuration ---------------------------------------------------------------------------


def toml_value(value: object) -> str:
    """``value`` as TOML (strings, numbers, booleans and lists of them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


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
    With ``probe``, every test runs for every mutant (``--maxfail`` overrides mutmut's ``-x``)
    and the probe plugin records each test's outcome.
    """
    (box.root / "cpu-seconds").write_text(str(timeout))
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytest_options = dict(repo.get("tool", {}).get("pytest", {}).get("ini_options", {}))
    pytest_options.pop("testpaths", None)
    # Wall-clock time is only a backstop (a busy machine must not fail a mutant): a spinning
    # mutant is stopped by the kata conftest's CPU-time limit, set from KATA_CPU_SECONDS.
    pytest_options["timeout"] = max(120.0, 10 * timeout)
    cli = ["--impl", str(box.mutants), *WORKER_OPTIONS]
    cli += ["--maxfail=1000000", "--tb=no", "-p", "kata_probe"] if probe else []
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


PROBE = '''"""Written by tools.sandbox: records each test's outcome for the mutant mutmut is testing."""

import os
import sys
from pathlib import Path

sys.path.insert(0, {root!r})
try:
    from tools.collector import Collector
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


# -- a fork-per-mutant runner ----------------------------------------------------------------


def warm_up() -> None:
    """Import what every worker needs once, before forking, so no worker pays for it again."""
    for name, value in SINGLE_THREADED.items():
        os.environ.setdefault(name, value)
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    if importlib.util.find_spec("pytest_timeout") is not None:
        import pytest_timeout  # noqa: F401


def forget_sandbox_modules(parent: Path) -> None:
    """Drop modules imported from sandboxes: pytest would reuse another kata's ``tests.conftest``."""
    for name, module in list(sys.modules.items()):
        if Path(getattr(module, "__file__", None) or "/").resolve().is_relative_to(parent):
            del sys.modules[name]


Reached = set[tuple[str, str]]  # (file, function) of every kata function some test calls


def baseline(box: Sandbox) -> tuple[Report, Reached]:
    """The fixed files' report, and every kata function the tests call, from one run in this
    process (which also warms it up for the forked workers).

    Only "some test calls it" is recorded, not which test: a test may reuse a result that an
    earlier test computed (a cached fixture), so only running every test is exact.
    """
    warm_up()
    forget_sandbox_modules(box.root.parent)
    impl = box.impl("fixed", {})
    collector, reached, prefix = Collector(box.kata.slug, impl), set(), f"{impl}{os.sep}"

    def record(frame, event: str, arg: object) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(prefix):
            function = frame.f_code.co_qualname.split(".<locals>.")[0]
            reached.add((Path(frame.f_code.co_filename).name, function))

    args = [f"tests/{box.kata.slug}", "--impl", str(impl), "-q", *WORKER_OPTIONS]
    cwd = Path.cwd()
    os.chdir(box.root)
    sys.setprofile(record)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            collector.report.exit_code = int(pytest.main(args, plugins=[collector]))
    finally:
        sys.setprofile(None)
        os.chdir(cwd)
    if not collector.report.passed:
        failed = ", ".join(collector.report.failing_tests) or f"exit {collector.report.exit_code}"
        raise UserError(
            f"fixed/{box.kata.slug} fails its own tests ({failed}): fix the reference first "
            f"(python -m pytest tests/{box.kata.slug})"
        )
    return collector.report, reached


def _child(box: Sandbox, impl: Path, target: Path) -> None:
    """In a forked worker: run the kata's tests on ``impl``; write the Report as JSON."""
    status = 1
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        sys.dont_write_bytecode = True
        os.chdir(box.root)
        collector = Collector(box.kata.slug, impl)
        args = [f"tests/{box.kata.slug}", "--impl", str(impl), "-q", "--tb=no", *WORKER_OPTIONS]
        collector.report.exit_code = int(pytest.main(args, plugins=[collector]))
        target.with_suffix(".tmp").write_text(collector.report.to_json())
        os.replace(target.with_suffix(".tmp"), target)  # a worker killed mid-write leaves no report
        status = 0
    finally:
        os._exit(status)


def run_many(
    box: Sandbox, impls: Sequence[Path], *, jobs: int, deadline: float
) -> list[Report | None]:
    """The Report of each implementation, ``jobs`` forked workers at a time; None where a
    run went past ``deadline`` seconds. Workers fork from this process after :func:`warm_up`, so
    each costs a fork and a pytest session, not an interpreter and the NumPy and pandas imports.
    """
    warm_up()
    gc.collect()
    gc.freeze()  # keep the inherited heap shared between workers
    results: list[Report | None] = [None] * len(impls)
    pending = list(range(len(impls)))[::-1]
    running: dict[int, tuple[int, float]] = {}  # pid -> (index, started)
    try:
        while pending or running:
            while pending and len(running) < jobs:
                index = pending.pop()
                impl = impls[index]
                (impl / "report.json").unlink(missing_ok=True)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    _child(box, impl, impl / "report.json")
                running[pid] = (index, time.monotonic())
            finished = False
            for pid, (index, started) in list(running.items()):
                reaped, _ = os.waitpid(pid, os.WNOHANG)
                if not reaped and time.monotonic() - started > deadline:
                    os.kill(pid, signal.SIGKILL)
                    reaped, _ = os.waitpid(pid, 0)
                if reaped:
                    del running[pid]
                    target, finished = impls[index] / "report.json", True
                    results[index] = (
                        Report.from_json(target.read_text()) if target.is_file() else None
                    )
            if not finished:
                time.sleep(0.002)
    finally:
        for pid in running:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        gc.unfreeze()
    return results


def timed_out() -> Report:
    """The Report of a run stopped at its deadline."""
    return Report(
        [Outcome("(the whole run)", False, "timeout", "Timeout", "stopped at the deadline")], -9
    )


# -- mutmut ------------------------------------------------------------------------------------

MUTMUT = "import sys; from mutmut.__main__ import cli; sys.exit(cli())"


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
