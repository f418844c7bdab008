"""Numbers a brief quotes are recomputed from the code they describe: a changed number fails verify.

A kata lists each number its brief quotes in ``kata.toml``::

    [[observed]]
    quote = "0.93"
    python = "f\"{run_pipeline(make_sessions(seed=0))['accuracy']:.2f}\""

``python`` is evaluated in a child forked, per kata, from a fresh interpreter, with the kata's
modules importable by name and every public name of every module in scope (``pipeline`` and
``run_pipeline`` alike), one thread per BLAS library so that the figures do not depend on the machine's core count. Its ``str()``
must equal ``quote``, and ``quote`` must appear in the brief. Quote no more digits than hold
across BLAS kernels.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

from tools.core.catalog import Kata, Observation

SECONDS = 120.0
THREADS = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}

# Run by one fresh interpreter for many katas: it imports NumPy and pandas once, then forks a child
# per kata, so that each kata's modules and global state start clean, as in an interpreter of
# their own. stdin: a JSON list of [directory, module names, expressions]; stdout: a JSON list,
# per kata, of [ok, text] pairs (or null when the kata's child did not answer). Each kata's
# expressions run in its working directory: the modules' own, or for a kata with data files the
# folder that holds its data/ (tests/<slug>), so that "data/east.csv" reads as in the workspace.
_CHILD = r"""
import importlib, json, os, signal, sys, warnings
import numpy, pandas
warnings.simplefilter("ignore")

def evaluate(directory, names, expressions, cwd):
    os.chdir(cwd)
    sys.path.insert(0, directory)
    scope = {}
    for name in names:
        module = importlib.import_module(name)
        scope[name] = module
        scope.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
    out = []
    for expression in expressions:
        try:
            out.append([True, str(eval(expression, dict(scope)))])
        except Exception as error:
            out.append([False, f"{type(error).__name__}: {error}"])
    return out

answers = []
for directory, names, expressions, cwd in json.loads(sys.stdin.read()):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        signal.alarm(int(sys.argv[1]))
        try:
            answer = ["ok", evaluate(directory, names, expressions, cwd)]
        except BaseException as error:
            last = f"{type(error).__name__}: {error}".splitlines()[0]
            answer = ["import", last]
        with os.fdopen(write, "w") as pipe:
            pipe.write(json.dumps(answer))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        text = pipe.read()
    _, status = os.waitpid(pid, 0)
    timed_out = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGALRM
    answers.append(json.loads(text) if text else ["timeout" if timed_out else "died", status])
print(json.dumps(answers))
"""

Job = tuple[Path, list[str], list[str], Path]  # modules' folder, module names, expressions, cwd


def recompute_many(jobs: list[Job]) -> list[list[tuple[bool, str]]]:
    """For each (directory, module names, expressions): each expression's ``str()`` or error.

    One interpreter answers them all, a forked child per job, one BLAS thread: the figures do
    not depend on the machine's core count, and no job sees another's modules.
    """
    todo = [
        (str(d.resolve()), names, exprs, str(cwd.resolve()))
        for d, names, exprs, cwd in jobs
        if exprs
    ]
    env = {**os.environ, **THREADS, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    answers: list = []
    why = "no output"
    if todo:
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(int(SECONDS))],
                input=json.dumps(todo),
                capture_output=True,
                text=True,
                timeout=SECONDS * len(todo),
                env=env,
            )
        except subprocess.TimeoutExpired:
            why = f"took longer than {SECONDS * len(todo):g} s in all"
        else:
            why = (done.stderr.strip().splitlines() or [why])[-1]
            with contextlib.suppress(json.JSONDecodeError):
                answers = json.loads(done.stdout) if done.returncode == 0 else []
        if len(answers) != len(todo):
            answers = [["died", why]] * len(todo)
    answered = iter(answers)
    results = []
    for _, _, expressions, _ in jobs:
        if not expressions:
            results.append([])
            continue
        kind, value = next(answered)
        if kind == "ok":
            results.append([(bool(ok), text) for ok, text in value])
        elif kind == "timeout":
            results.append([(False, f"took longer than {SECONDS:g} s")] * len(expressions))
        else:
            why = value if kind == "import" else f"the interpreter ended ({value})"
            results.append([(False, f"the code could not be imported ({why})")] * len(expressions))
    return results


def recompute(
    directory: Path, modules: list[str], expressions: list[str]
) -> list[tuple[bool, str]]:
    """Each expression's ``str()`` (or its error) over the kata modules in ``directory``."""
    return recompute_many([(directory, modules, expressions, directory)])[0]


def problems(kata: Kata, directory: Path | None = None, brief: str | None = None) -> list[str]:
    """Each quoted number that is not in the brief or not what the code computes, in words."""
    return problems_many([kata], directory, brief)[0]


def problems_many(
    katas: list[Kata], directory: Path | None = None, brief: str | None = None
) -> list[list[str]]:
    """:func:`problems` for each kata (over ``directory`` or its broken/), one interpreter for all."""
    jobs: list[Job] = [
        (
            directory or kata.broken,
            [name.removesuffix(".py") for name in kata.files],
            [o.python for o in kata.observed],
            kata.tests if kata.data else (directory or kata.broken),
        )
        for kata in katas
    ]
    found = []
    for kata, values in zip(katas, recompute_many(jobs), strict=True):
        text = brief if brief is not None else kata.brief.read_text(encoding="utf-8")
        found.append(_compare(kata.observed, text, values))
    return found


def _compare(
    observations: tuple[Observation, ...], text: str, values: list[tuple[bool, str]]
) -> list[str]:
    found = []
    for observation, (ok, value) in zip(observations, values, strict=True):
        if observation.quote not in text:
            found.append(f"the brief no longer quotes {observation.quote!r} (kata.toml observed)")
        elif not ok:
            found.append(
                f"the brief quotes {observation.quote!r}, but recomputing it failed: {value}"
            )
        elif value != observation.quote:
            found.append(
                f"the brief quotes {observation.quote!r}, but the code gives {value!r} "
                f"({observation.python})"
            )
    return found
