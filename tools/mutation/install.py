"""Installing variants: the opaque id, the brief computed from a run, variant.toml, staging and atomic install."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import tomli_w

from tools import EXIT_FAILED, ROOT, UserError
from tools.core import patch, runner, variants
from tools.core.catalog import DATA, Kata
from tools.core.collector import Report
from tools.core.variants import MANIFEST, PATCH, read_variant, variant_dirs
from tools.mutation import measure, plausible, sandbox, texts
from tools.mutation.measure import Change
from tools.mutation.model import GENERATED, Mutant, Settings, describe, verdict
from tools.mutation.operators import OPERATORS

BUILD = ROOT / "build" / "mutation"


def ruff(*args: str, code: str, path: str) -> subprocess.CompletedProcess | None:
    """``ruff ARGS`` on ``code`` as if it were the file ``path`` (its settings apply), if installed."""
    found = shutil.which("ruff")
    command = [sys.executable, "-m", "ruff"] if importlib.util.find_spec("ruff") else [found]
    if command[0] is None:
        return None
    command += [*args, "--stdin-filename", path, "-"]
    return subprocess.run(
        command, input=code, capture_output=True, text=True, cwd=ROOT, check=False
    )


@functools.lru_cache(maxsize=64)
def complaints(code: str, path: str) -> frozenset[str]:
    """ruff's lint findings for ``code`` at ``path``, without their line numbers."""
    done = ruff("check", "--quiet", "--output-format", "concise", code=code, path=path)
    found = done.stdout.splitlines() if done is not None and done.returncode else []
    return frozenset(line.split(": ", 1)[-1] for line in found)


TB_LINE = ("--tb=line",)


def formatted(code: str, path: str) -> str:
    done = ruff("format", code=code, path=path)
    return done.stdout if done is not None and done.returncode == 0 else code


def opaque_id(kata: Kata, mutant: Mutant) -> str:
    """A variant id that gives nothing away: a hash of the kata and the mutated code."""
    return "v" + hashlib.sha256(f"{kata.slug}\0{mutant.code}".encode()).hexdigest()[:6]


def measured(kata: Kata, directories: list[Path], jobs: int) -> list[Change]:
    """How each directory's default run of the pipeline differs from the reference's."""
    modules = [name.removesuffix(".py") for name in kata.files]
    data = [f"{DATA}/{name}" for name in getattr(kata, "data", ())]  # an outside project has none
    runs = measure.run_many(
        [kata.fixed, *directories], modules, jobs=jobs, deadline=120.0,
        data=data, cwd=kata.tests if data else None,
    )  # fmt: skip
    return [measure.compare(runs[0], run) for run in runs[1:]]


def manifest(
    kata: Kata,
    mutant: Mutant,
    ident: str,
    description: str,
    report: Report | None,
    before: str,
    change: Change | None = None,
) -> str:
    """variant.toml: what instructors need (operator, failing tests; the change is change.patch)
    and what the learner reads (:mod:`tools.mutation.texts`: a brief, hints and an explanation
    of this change, measured by running it, and a measured difficulty)."""
    learner = texts.learner_texts(kata, mutant, before, report, change)
    fields = {
        "id": ident,
        "source": mutant.source,
        "operator": mutant.operator,
        "mutant": mutant.id,
        "function": mutant.function,
        "bug_class": learner["bug_class"],
        "category": learner["category"],
        "difficulty": learner["difficulty"],
        "difficulty_evidence": learner["difficulty_evidence"],
        "description": description,
        "failing_tests": list(mutant.failing),
        "title": learner["title"],
        "concepts": learner["concepts"],
        "hints": learner["hints"],
        "explanation": learner["explanation"],
        "brief": learner["brief"],
    }
    text = tomli_w.dumps(fields, multiline_strings=True)
    if tomllib.loads(text) != fields:
        raise AssertionError(f"variant.toml of {ident} does not read back as written")
    return text


def recover(build: Path = BUILD) -> list[Path]:
    """Undo the half-finished installs of killed campaigns: put back variants they moved aside."""
    restored = []
    for area in sorted((build / "staging").glob("*")):
        if not area.is_dir() or not sandbox.owned_by_the_dead(area):
            continue
        try:
            variants = Path(json.loads((area / sandbox.OWNER).read_text())["variants"])
        except (OSError, ValueError, KeyError):
            variants = None
        for old in sorted(area.glob("old-*")) if variants else []:
            target = variants / old.name.removeprefix("old-")
            if not target.exists():
                os.rename(old, target)
                restored.append(target)
        shutil.rmtree(area, ignore_errors=True)
    return restored


def running(area: Path, ident: str) -> Path:
    """Where a staged variant's files are materialised to run its tests (never installed)."""
    return area / "run" / ident


def stage(kata: Kata, fixed: dict[str, str], m: Mutant, area: Path, reformat: bool) -> str:
    """Write the variant's change.patch in the staging area, and its files where they run;
    returns why it cannot be a variant ("" if it can). Its variant.toml is written once the
    self-check's run has shown what it does (:func:`label`)."""
    ident = opaque_id(kata, m)
    path = f"broken/{kata.slug}/variants/v/{m.file}"  # handed-out code's lint settings
    m.code = formatted(m.code, path) if reformat else m.code
    new = complaints(m.code, path) - complaints(fixed[m.file], path)  # fixed's: linted once
    if new:
        return f"the variant would fail the repository's lint: {sorted(new)[0]}"
    files = {**fixed, m.file: m.code}
    text = patch.make(fixed, files)
    if patch.apply(fixed, text) != files:
        raise AssertionError(f"the change of {m.id} does not reproduce its code")  # a patch.py bug
    (area / ident).mkdir()
    (area / ident / PATCH).write_text(text, encoding="utf-8")
    variants.write_files(files, running(area, ident))
    return ""


def label(
    kata: Kata, fixed: dict[str, str], m: Mutant, area: Path, report: Report, change: Change
) -> None:
    """Write the staged variant's variant.toml, its texts computed from ``report`` and ``change``."""
    ident = opaque_id(kata, m)
    text = manifest(kata, m, ident, describe(m, fixed[m.file]), report, fixed[m.file], change)
    (area / ident / MANIFEST).write_text(text, encoding="utf-8")


def install(folder: Path, target: Path, area: Path) -> None:
    """Move a staged variant into place; one it replaces waits in ``area`` until that succeeded."""
    old = area / f"old-{target.name}"
    if target.exists():
        os.rename(target, old)
    try:
        os.rename(folder, target)
    except OSError:
        if old.exists():
            os.rename(old, target)
        raise


@contextlib.contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold Ctrl-C back for a few renames, so that they all happen or (Ctrl-C first) none."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def write_variants(
    kata: Kata, fixed: dict[str, str], order: list[Mutant], settings: Settings, guard: str
) -> tuple[list, list]:
    """Stage the best candidates, run each as the self-check will; install the first ``count``
    (unless ``--no-write``: then they are only reported)."""
    area = BUILD / "staging" / f"{kata.slug}-{os.getpid()}"
    area.mkdir(parents=True, exist_ok=True)
    sandbox.claim(area, variants=str(kata.variants))
    # Format variants like the rest of the repository, unless that would restyle fixed code too.
    reformat = all(formatted(t, f"fixed/{kata.slug}/{n}") == t for n, t in fixed.items())
    chosen, rejected, queue = [], [], list(order)
    try:
        while queue and len(chosen) < settings.count:
            batch, queue = (
                queue[: settings.count - len(chosen)],
                queue[settings.count - len(chosen) :],
            )
            staged = []
            for m in batch:
                problem = stage(kata, fixed, m, area, reformat)
                staged += [] if problem else [m]
                rejected += [{"id": m.id, "why": problem}] if problem else []
            home = kata.tests.parent.parent  # the repository, or an outside project's copy
            # judged by which tests fail, never by a traceback: a one-line one is quicker
            jobs = [
                runner.Job(kata.slug, running(area, opaque_id(kata, m)), TB_LINE, cwd=home)
                for m in staged
            ]
            reports = runner.run_many(jobs, workers=settings.jobs)
            shown = measured(kata, [job.impl for job in jobs], settings.jobs)
            for m, report, change in zip(staged, reports, shown, strict=True):
                if verdict(report) == "killed" and report.failing_tests == m.failing:
                    label(kata, fixed, m, area, report, change)
                    chosen.append(m)
                else:
                    got = f"{verdict(report)}: {', '.join(report.failing_tests)}"
                    rejected.append({"id": m.id, "why": f"the self-check's run disagrees ({got})"})
        if settings.no_write:
            return chosen, rejected
        unchanged(kata, guard)  # never install variants of code that has changed since
        kata.variants.mkdir(parents=True, exist_ok=True)
        with uninterrupted():  # the set is installed whole or, after Ctrl-C, not at all
            for m in chosen:
                ident = opaque_id(kata, m)
                install(area / ident, kata.variants / ident, area)
            kept = {opaque_id(kata, m) for m in chosen}
            for path in variant_dirs(kata) if settings.prune else []:
                if path.name not in kept and _generated(path):
                    os.rename(path, area / f"pruned-{path.name}")
    finally:
        shutil.rmtree(area, ignore_errors=True)
        with contextlib.suppress(OSError):
            area.parent.rmdir()  # the staging folder, once no campaign uses it
    return chosen, rejected


def _generated(path: Path) -> bool:
    """True for a variant this tool made (an author's hand-written variants are never pruned)."""
    try:
        return read_variant(path).get("source") in GENERATED
    except UserError:
        return False


def fingerprint(kata: Kata) -> str:
    """A hash of what generation must never write: fixed/, the tests, the learner's files."""
    digest = hashlib.sha256()
    paths = [*kata.fixed.rglob("*"), *kata.tests.rglob("*"), *kata.workspace.glob("*.py")]
    for path in sorted(p for p in paths if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def unchanged(kata: Kata, guard: str) -> None:
    """Stop if fixed/, the tests or the learner's files changed while the campaign ran."""
    if fingerprint(kata) != guard:
        raise UserError(
            f"fixed/{kata.slug}, tests/{kata.slug} or katas/{kata.slug}/*.py changed while the "
            f"campaign ran (an editor? this tool never writes there): run it again",
            EXIT_FAILED,
        )


def relabel(kata: Kata, jobs: int = 1, removed: list[Path] | None = None) -> list[Path]:
    """Judge each generated variant's change again (:mod:`tools.mutation.plausible`) and rewrite
    its class, description and every learner text from a fresh run, keeping its change and its
    failing tests. Returns the variant.toml files that changed; a generated variant whose change
    is no longer a mistake an engineer would make is removed (and added to ``removed``)."""
    fixed = variants.fixed_files(kata)
    todo, dropped = [], []
    for path in variant_dirs(kata):
        data = read_variant(path)
        if data.get("source") not in GENERATED or not (path / PATCH).is_file():
            continue
        m, description = judge(data, fixed, variants.materialise(kata, path))
        if m.bug_class:
            todo.append((path, data, m, description))
        else:
            dropped.append(path)
    with tempfile.TemporaryDirectory(prefix="kata-relabel-") as scratch:
        dirs = [
            variants.materialise_into(kata, path, Path(scratch) / path.name) for path, *_ in todo
        ]
        reports = runner.run_many([runner.Job(kata.slug, d, TB_LINE) for d in dirs], workers=jobs)
        shown = measured(kata, dirs, jobs)
    changed = []
    for (path, data, m, description), report, change in zip(todo, reports, shown, strict=True):
        m.settle(report)
        learner = texts.learner_texts(kata, m, fixed[m.file], report, change)
        fresh = {**data, "operator": m.operator, "description": description, **learner}
        if fresh != data:
            (path / MANIFEST).write_text(
                tomli_w.dumps(fresh, multiline_strings=True), encoding="utf-8"
            )
            changed.append(path / MANIFEST)
    for path in dropped:
        shutil.rmtree(path)
    if removed is not None:
        removed += dropped
    return changed


def judge(data: dict, fixed: dict[str, str], files: dict[str, str]) -> tuple[Mutant, str]:
    """A committed variant as a mutant again, its change judged where it stands today: the
    mutant (its ``bug_class`` '' when no learner should be handed it) and its description."""
    name = next((n for n in files if files[n] != fixed[n]), next(iter(files)))
    operator = _direction(str(data["operator"]), fixed[name], files[name])
    own = next(((c, f) for n, c, _, f in OPERATORS if n == operator), ("", None))
    ours = data["source"] == "ml"
    summary = (own[1].__doc__ or "").strip().splitlines()[0] if own[1] is not None else ""
    m = Mutant(
        str(data.get("mutant", data["id"])),
        str(data["source"]),
        operator,
        own[0] if ours else "",
        str(data.get("function", "")),
        name,
        files[name],
        summary if ours else "",
    )
    return m, describe(m, fixed[name])  # describe judges the change: it sets m.bug_class


def _direction(operator: str, before: str, after: str) -> str:
    """``mean-to-sum`` or ``sum-to-mean`` as the change really goes (a change re-based onto a
    reference that now has the other one keeps its first name)."""
    if operator not in ("mean-to-sum", "sum-to-mean"):
        return operator
    old, new = (" ".join(side) for side in plausible.changed_code(before, after))
    if "sum(" in old and "mean(" in new and "mean(" not in old:
        return "sum-to-mean"
    return "mean-to-sum" if "mean(" in old and "sum(" in new else operator
