"""Numbers a brief quotes are recomputed from the code they describe: a changed number fails verify.

A kata lists each number its brief quotes in ``kata.toml``::

    [[observed]]
    quote = "0.93"
    python = "f\"{run_pipeline(make_sessions(seed=0))['accuracy']:.2f}\""

``python`` is evaluated in a fresh interpreter, with the kata's modules importable by name and
every public name of every module in scope (``pipeline`` and ``run_pipeline`` alike), one thread
per BLAS library so that the figures do not depend on the machine's core count. Its ``str()``
must equal ``quote``, and ``quote`` must appear in the brief. Quote no more digits than hold
across BLAS kernels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tools.core.catalog import Kata, Observation

SECONDS = 120.0
THREADS = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}

# Run by a fresh interpreter: argv[1] the code directory, argv[2] the module names, stdin the
# expressions as JSON; prints a JSON list of [ok, text] pairs.
_CHILD = r"""
import json, sys, warnings, importlib
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[1])
scope = {}
for name in json.loads(sys.argv[2]):
    module = importlib.import_module(name)
    scope[name] = module
    scope.update({k: v for k, v in vars(module).items() if not k.startswith("_")})
out = []
for expression in json.loads(sys.stdin.read()):
    try:
        out.append([True, str(eval(expression, dict(scope)))])
    except Exception as error:
        out.append([False, f"{type(error).__name__}: {error}"])
print(json.dumps(out))
"""


def recompute(
    directory: Path, modules: list[str], expressions: list[str]
) -> list[tuple[bool, str]]:
    """Each expression's ``str()`` (or its error) over the kata modules in ``directory``."""
    if not expressions:
        return []
    env = {**os.environ, **THREADS, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(directory), json.dumps(modules)],
            input=json.dumps(expressions),
            capture_output=True,
            text=True,
            timeout=SECONDS,
            env=env,
            cwd=directory,
        )
    except subprocess.TimeoutExpired:
        return [(False, f"took longer than {SECONDS:g} s")] * len(expressions)
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [(False, f"the code could not be imported ({last})")] * len(expressions)
    return [(bool(ok), text) for ok, text in json.loads(done.stdout)]


def problems(kata: Kata, directory: Path | None = None, brief: str | None = None) -> list[str]:
    """Each quoted number that is not in the brief or not what the code computes, in words."""
    observations: tuple[Observation, ...] = kata.observed
    if not observations:
        return []
    directory = directory or kata.broken
    text = brief if brief is not None else kata.brief.read_text(encoding="utf-8")
    modules = [name.removesuffix(".py") for name in kata.files]
    values = recompute(directory, modules, [o.python for o in observations])
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
