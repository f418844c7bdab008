"""What running a pipeline on its kata's own data shows: the figures it reports, its warnings, its crash.

A variant's texts say what its change did by running the reference and the variant the same way:
``run_pipeline`` on the data of the kata's own ``make_*`` function (or with no arguments when it
needs none; for a kata that hands out data files, on its first file read by its one ``load_*`` or
``read_*`` function, from the folder that holds ``data/``). Each run happens in a forked child
of this process (which has NumPy and pandas imported already), so the kata's modules never load
here, and a run that hangs is killed.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import math
import os
import re
import resource
import sys
import tempfile
import traceback
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy

from tools.core.judge import fork_each

ENTRY = "run_pipeline"
MAKER = re.compile(r"^(make|generate|simulate)_")
LOADER = re.compile(r"^(load|read)_")
# Figures a reader looks at first: scores, losses and errors before fitted parameters.
SCORES = re.compile(
    r"accuracy|loss|rmse|mse|mae|r2|auc|f1|precision|recall|error|inertia|score", re.I
)


@dataclass
class Run:
    """One default run of a pipeline: its figures, or why it has none."""

    call: str = ""  # "run_pipeline(make_customers())", "" when the pipeline cannot be run so
    figures: dict[str, str] = field(default_factory=dict)  # name -> value as printed
    numbers: dict[str, list[float]] = field(default_factory=dict)  # name -> values, to compare
    error: str = ""  # "FloatingPointError: overflow encountered in exp"
    where: str = ""  # "pipeline.py:55 in sigmoid": the innermost kata frame of the error
    warned: list[str] = field(
        default_factory=list
    )  # "RuntimeWarning: overflow ... (pipeline.py:60)"

    @classmethod
    def from_json(cls, text: str) -> Run:
        return cls(**json.loads(text))


@dataclass(frozen=True)
class Change:
    """How a variant's default run differs from the reference's."""

    moved: tuple[tuple[str, str, str], ...]  # (figure, reference, variant): scores, then the rest
    crashed: str  # the variant's error with its place, "" if it ran through
    warned: tuple[str, ...]  # warnings the variant raises that the reference does not
    visible: bool  # a figure changed materially, became nan or inf, or the run crashed or warned
    ran: bool  # both runs were possible: False means nothing is known
    call: str = ""  # how the pipeline was run: "run_pipeline(make_customers())"


def compare(reference: Run, variant: Run) -> Change:
    """What differs between two default runs of the same call."""
    if not reference.call or reference.error:
        return Change((), "", (), False, False, reference.call)
    crashed = (
        f"{variant.error} ({variant.where})" if variant.error and variant.where else variant.error
    )
    moved = []
    for name, before in reference.figures.items():
        after = variant.figures.get(name)
        if after is not None and after != before:
            moved.append((_distance(reference.numbers.get(name), variant.numbers.get(name)), name))
    moved.sort(key=lambda pair: (pair[0] <= 0.01, not SCORES.search(pair[1]), -pair[0]))
    rows = tuple((n, reference.figures[n], variant.figures[n]) for _, n in moved)
    new = tuple(w for w in variant.warned if w not in reference.warned)
    material = any(size > 0.01 for size, _ in moved)
    return Change(rows, crashed, new, bool(crashed or new or material), True, reference.call)


def _distance(before: list[float] | None, after: list[float] | None) -> float:
    """The largest relative change of a figure's numbers: 1 for one that became nan or inf."""
    if before is None or after is None or len(before) != len(after):
        return 0.5  # a figure that is not numbers (a label, a shape) and changed
    sizes = [0.0]
    for old, new in zip(before, after, strict=True):
        if math.isfinite(old) and not math.isfinite(new):
            return 1.0
        if math.isfinite(old) and math.isfinite(new):
            sizes.append(min(1.0, abs(new - old) / max(abs(old), 1e-12)))
    return max(sizes)


def run_many(
    files: Sequence[Path],
    modules: Sequence[str],
    *,
    jobs: int,
    deadline: float,
    data: Sequence[str] = (),
    cwd: Path | None = None,
) -> list[Run]:
    """The default run of each directory of kata modules, ``jobs`` forked children at a time
    (in ``cwd``, where the kata's ``data`` files, paths such as ``data/east.csv``, are read)."""
    with tempfile.TemporaryDirectory(prefix="kata-measure-") as scratch:
        targets = [Path(scratch) / f"{i}.json" for i in range(len(files))]
        fork_each(
            len(files),
            lambda i: _child(Path(files[i]), list(modules), targets[i], deadline, list(data), cwd),
            jobs=jobs,
            deadline=deadline,
        )
        results = []
        for target in targets:
            try:
                results.append(Run.from_json(target.read_text()))
            except (OSError, ValueError, TypeError):
                results.append(Run())
    return results


def _child(
    directory: Path,
    modules: list[str],
    target: Path,
    deadline: float,
    data: list[str],
    cwd: Path | None,
) -> None:
    """In a forked child: run the pipeline in ``directory`` and write its Run as JSON."""
    status = 1
    try:
        if cwd is not None:
            os.chdir(cwd)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        seconds = max(1, int(deadline))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
        try:
            run = _run(directory, modules, data)
        except Exception:  # an import that fails, a recipe that does not fit: nothing measured
            run = Run()
        target.write_text(json.dumps(asdict(run)))
        status = 0
    finally:
        os._exit(status)


def _run(directory: Path, modules: list[str], data: Sequence[str] = ()) -> Run:
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(directory))
    loaded = {}
    for name in modules:  # the kata's own names, so that one module can import another
        spec = importlib.util.spec_from_file_location(name, directory / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        loaded[name] = module
    run = Run()
    try:
        entry, args, run.call = _recipe(list(loaded.values()), data)
    except LookupError:
        return run
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = entry(*args)
        except Exception as error:  # what the learner would see: the error and where it arose
            run.error = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".rstrip(
                ": "
            )
            frames = [
                f
                for f in traceback.extract_tb(error.__traceback__)
                if Path(f.filename).parent == directory
            ]
            run.where = (
                f"{Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name}"
                if frames
                else ""
            )
            result = None
    seen = []
    for w in caught:
        if Path(w.filename).parent == directory:
            text = f"{w.category.__name__}: {w.message} ({Path(w.filename).name}:{w.lineno})"
            seen += [text] if text not in seen else []
    run.warned = seen[:4]
    if result is not None:
        _flatten(result, "", run)
    return run


def _recipe(modules: list, data: Sequence[str] = ()) -> tuple:
    """The entry point, its arguments and how the call reads, from the kata's own data makers
    (or its data files and the one function that loads them)."""
    functions = [
        f
        for m in modules
        for f in vars(m).values()
        if inspect.isfunction(f) and f.__module__ == m.__name__
    ]
    entry = next((f for f in functions if f.__name__ == ENTRY), None)
    if entry is None:
        raise LookupError(ENTRY)
    needed = [
        p
        for p in inspect.signature(entry).parameters.values()
        if p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    if not needed:
        return entry, [], f"{ENTRY}()"
    loaders = [f for f in functions if LOADER.match(f.__name__) and _one_argument(f)]
    if data and len(needed) == 1 and len(loaders) == 1:
        call = f"{loaders[0].__name__}({data[0]!r})"
        return entry, [loaders[0](data[0])], f"{ENTRY}({call})"
    makers = [f for f in functions if MAKER.match(f.__name__) and _no_arguments(f)]
    if len(makers) == 1:
        data = makers[0]()
        call = f"{makers[0].__name__}()"
        if len(needed) == 1:
            return entry, [data], f"{ENTRY}({call})"
        if isinstance(data, tuple) and len(data) == len(needed):
            return entry, list(data), f"{ENTRY}(*{call})"
    by_name = {}
    for p in needed:
        maker = next(
            (f for f in makers if f.__name__.split("_", 1)[1].rstrip("s") == p.name.rstrip("s")),
            None,
        )
        if maker is None:
            raise LookupError(p.name)
        by_name[p.name] = maker
    args = [by_name[p.name]() for p in needed]
    return entry, args, f"{ENTRY}({', '.join(f'{by_name[p.name].__name__}()' for p in needed)})"


def _one_argument(function) -> bool:
    parameters = list(inspect.signature(function).parameters.values())
    return bool(parameters) and all(
        p.default is not inspect.Parameter.empty for p in parameters[1:]
    )


def _no_arguments(function) -> bool:
    parameters = inspect.signature(function).parameters.values()
    return all(p.default is not inspect.Parameter.empty for p in parameters)


def _flatten(value: object, name: str, run: Run, depth: int = 0) -> None:
    """Record the scalars and short vectors of a pipeline's result under readable names."""
    if depth > 2 or len(run.figures) >= 24:
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{name}.{key}" if name else str(key), run, depth + 1)
    elif isinstance(value, tuple | list) and len(value) <= 6 and not _numeric_list(value):
        for i, item in enumerate(value):
            _flatten(item, f"{name}[{i}]", run, depth + 1)
    else:
        shown = _shown(value)
        if shown is not None:
            run.figures[name or "result"] = shown[0]
            if shown[1] is not None:
                run.numbers[name or "result"] = shown[1]


def _numeric_list(value: tuple | list) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)


def _shown(value: object) -> tuple[str, list[float] | None] | None:
    """``value`` as a short text and, if it is numbers, as floats."""
    if isinstance(value, bool | str):
        return (str(value), None) if len(str(value)) <= 40 else None
    if isinstance(value, int | float) or (
        type(value).__module__ == "numpy" and getattr(value, "ndim", 1) == 0
    ):
        number = float(value)
        return (f"{number:.4g}", [number])
    small = hasattr(value, "shape") and getattr(value, "size", 99) <= 4
    if small or (isinstance(value, list | tuple) and len(value) <= 4 and _numeric_list(value)):
        try:
            numbers = [float(v) for v in numpy.asarray(value, dtype=float).ravel()]
        except (TypeError, ValueError):
            return None
        return ("[" + ", ".join(f"{v:.3g}" for v in numbers) + "]", numbers)
    return None
