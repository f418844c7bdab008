"""Installing variants: the opaque id, the brief computed from a run, variant.toml, staging and atomic install."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import tomli_w

from tools import EXIT_FAILED, ROOT, UserError
from tools.core import patch, runner, variants
from tools.core.catalog import Kata
from tools.core.collector import Report
from tools.core.variants import MANIFEST, PATCH, read_variant, variant_dirs
from tools.mutation import bugclasses, sandbox
from tools.mutation.model import GENERATED, Mutant, Settings, describe, verdict

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


def complaints(code: str, path: str) -> set[str]:
    """ruff's lint findings for ``code`` at ``path``, without their line numbers."""
    done = ruff("check", "--quiet", "--output-format", "concise", code=code, path=path)
    found = done.stdout.splitlines() if done is not None and done.returncode else []
    return {line.split(": ", 1)[-1] for line in found}


def formatted(code: str, path: str) -> str:
    done = ruff("format", code=code, path=path)
    return done.stdout if done is not None and done.returncode == 0 else code


def opaque_id(kata: Kata, mutant: Mutant) -> str:
    """A variant id that gives nothing away: a hash of the kata and the mutated code."""
    return "v" + hashlib.sha256(f"{kata.slug}\0{mutant.code}".encode()).hexdigest()[:6]


def difficulty(kata: Kata, mutant: Mutant) -> int:
    """The variant's difficulty: the kata's, harder when few tests catch it, easier with a traceback."""
    exceptions = any(r == "numerical" for r in mutant.reasons.values())
    level = kata.difficulty + (len(mutant.failing) <= 1) - exceptions
    return max(1, min(5, level))


def observed(kata: Kata, report: Report | None) -> str:
    """What running the variant shows: each failing test and the start of its message."""
    if report is None:
        return ""
    lines = []
    for outcome in sorted(report.failures, key=lambda o: o.test)[:4]:
        message = " ".join(outcome.message.split())
        if len(message) > 400:
            message = message[:400].rsplit(" ", 1)[0] + " …"
        lines.append(f"- `{outcome.test.split('::')[-1]}`: {message}")
    more = len(report.failures) - len(lines)
    if more > 0:
        lines.append(f"- and {more} more failing test{'s' if more != 1 else ''}")
    return "\n".join(lines)


def variant_title(kata: Kata, ident: str) -> str:
    """A title that gives nothing away (the kata's own title names the original bug's symptom)."""
    return f"A {kata.family} pipeline with a generated bug (variant {ident})"


def setting(kata: Kata) -> str:
    """The kata's scenario, up to the first sentence that reports a measured number: those
    numbers are the original bug's, not the variant's."""
    text = kata.brief.read_text(encoding="utf-8")
    scenario = text.split("\n## ", 1)[0].split("\n", 1)[-1]
    lines = [line for line in scenario.splitlines() if not line.startswith("**")]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(" ".join(lines).split()))
    kept = []
    for sentence in sentences:
        if re.search(r"\d\.\d|\d%", sentence) and kept:
            break
        kept.append(sentence)
    return textwrap.fill(" ".join(kept), width=96)


def brief(kata: Kata, ident: str, level: int, report: Report | None) -> str:
    """The variant's brief: the kata's scenario, then what running this variant shows."""
    scenario = setting(kata)
    count = len(report.failures) if report is not None else 0
    minutes = (5, 10, 15, 20, 25)[level - 1]
    return (
        f"# {variant_title(kata, ident)}\n\n"
        f"**Category:** generated variant · **Difficulty:** {level}/5 · **Budget:** {minutes} minutes\n\n"
        f"{scenario.strip()}\n\n"
        "## What was observed\n\n"
        f"This copy of the pipeline has a different bug from the kata's original one. "
        f"Running the tests, {count} fail:\n\n{observed(kata, report)}\n\n"
        "## What to deliver\n\n"
        f"Make every test in `tests/{kata.slug}/` pass, keeping every function's signature.\n\n"
        f"- Edit: {', '.join(f'`katas/{kata.slug}/{n}`' for n in kata.files)}\n"
        "- Allowed: NumPy, pandas and the standard library\n"
        f"- Budget: {minutes} minutes\n"
    )


def manifest(
    kata: Kata, mutant: Mutant, ident: str, description: str, report: Report | None
) -> str:
    """variant.toml: what instructors need (operator, failing tests; the change is change.patch)
    and what the learner reads (a brief computed from running the variant, hints, explanation)."""
    bug = bugclasses.CLASSES[mutant.bug_class]
    level = difficulty(kata, mutant)
    fields = {
        "id": ident,
        "source": mutant.source,
        "operator": mutant.operator,
        "mutant": mutant.id,
        "function": mutant.function,
        "bug_class": bug.key,
        "category": bug.category,
        "difficulty": level,
        "description": description,
        "failing_tests": list(mutant.failing),
        "title": variant_title(kata, ident),
        "concepts": list(bug.concepts),
        "hints": list(bug.hints),
        "explanation": bug.explanation,
        "brief": brief(kata, ident, level, report),
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
    path = f"broken/{kata.slug}/variants/{ident}/{m.file}"  # handed-out code's lint settings
    m.code = formatted(m.code, path) if reformat else m.code
    new = complaints(m.code, path) - complaints(fixed[m.file], path)
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


def label(kata: Kata, fixed: dict[str, str], m: Mutant, area: Path, report: Report) -> None:
    """Write the staged variant's variant.toml, its brief computed from ``report``."""
    ident = opaque_id(kata, m)
    text = manifest(kata, m, ident, describe(m, fixed[m.file]), report)
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
            jobs = [runner.Job(kata.slug, running(area, opaque_id(kata, m))) for m in staged]
            reports = runner.run_many(jobs, workers=settings.jobs)
            for m, report in zip(staged, reports, strict=True):
                if verdict(report) == "killed" and report.failing_tests == m.failing:
                    label(kata, fixed, m, area, report)
                    chosen.append(m)
                else:
                    got = f"{verdict(report)}: {', '.join(report.failing_tests)}"
                    rejected.append({"id": m.id, "why": f"the self-check's run disagrees ({got})"})
        if settings.no_write:
            return chosen, rejected
        unchanged(kata, guard)  # never install variants of code that has changed since
        kata.variants.mkdir(parents=True, exist_ok=True)
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


def relabel(kata: Kata) -> list[Path]:
    """Rewrite each generated variant's class, hints, explanation and concepts from the bug-class
    table, keeping its code, its brief (computed from its run) and its failing tests. Returns the
    variant.toml files that changed; a variant whose change has no class any more is left alone."""
    changed = []
    for path in variant_dirs(kata):
        manifest_path = path / MANIFEST
        data = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
        if data.get("source") not in GENERATED or not (path / PATCH).is_file():
            continue
        if data["source"] == "ml":
            key = bugclasses.OPERATOR_CLASS.get(data.get("operator", ""), "")
        else:
            removed, added = patch.changed_lines(variants.change(path))
            removed, added = [x.strip() for x in removed], [x.strip() for x in added]
            one = len(removed) == 1 and len(added) == 1
            key = (bugclasses.mutmut_class(removed[0], added[0]) if one else None) or ""
        bug = bugclasses.CLASSES.get(bugclasses.in_context(key, str(data.get("function", ""))))
        if bug is None:
            continue
        fresh = {
            **data,
            "bug_class": bug.key,
            "category": bug.category,
            "concepts": list(bug.concepts),
            "hints": list(bug.hints),
            "explanation": bug.explanation,
        }
        if fresh != data:
            manifest_path.write_text(tomli_w.dumps(fresh, multiline_strings=True), encoding="utf-8")
            changed.append(manifest_path)
    return changed
