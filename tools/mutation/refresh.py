"""``nox -s mutate -- <slug> --refresh``: re-apply a kata's variants to today's fixed/ and tests.

For authors who changed a kata's reference code or tests: each variant's change is applied again
(a hunk whose context moved is found by its changed lines), run against the kata's tests, and its
failing tests, difficulty and measured brief are recorded afresh. A variant whose change no longer
applies, or that no test catches by an assertion or a numerical error any more, is dropped. Only
``broken/<slug>/variants/`` is written; never ``fixed/`` or ``tests/``.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w

from tools import UserError
from tools.core import patch, runner, variants
from tools.core.catalog import Kata
from tools.core.collector import Report
from tools.mutation import install, texts
from tools.mutation.bugclasses import CLASSES
from tools.mutation.measure import Change
from tools.mutation.model import GENERATED, Mutant, verdict
from tools.mutation.strength import write_atomically


@dataclass
class Outcome:
    """What refreshing one variant did: kept (and what changed) or dropped (and why)."""

    ident: str
    dropped: bool = False
    changes: tuple[str, ...] = ()

    def line(self) -> str:
        if self.dropped:
            return f"  {self.ident}  dropped: {self.changes[0]}"
        return f"  {self.ident}  " + ("; ".join(self.changes) if self.changes else "unchanged")


def _reapplied(kata: Kata, path: Path) -> tuple[dict[str, str] | None, str]:
    """The variant's files on today's fixed/, and how they were found (or None and why not)."""
    text = variants.change(path)
    try:
        return variants.apply_change(kata, path, text), ""
    except UserError:
        pass
    try:
        return variants.apply_change(kata, path, text, relocate=True), "relocated by its change"
    except UserError as problem:
        reason = str(problem).split(": ", 1)[-1].split(" (nox -s", 1)[0]
        return None, f"its change no longer applies ({reason})"


def _mutant(manifest: dict, files: dict[str, str], fixed: dict[str, str], report: Report) -> Mutant:
    """The variant as a mutant again, to describe it and grade it with the campaign's rules."""
    name = next((n for n in files if files[n] != fixed[n]), next(iter(files)))
    m = Mutant(
        id=str(manifest.get("mutant", manifest["id"])),
        source=str(manifest["source"]),
        operator=str(manifest["operator"]),
        category=str(manifest.get("category", "")),
        function=str(manifest.get("function", "")),
        file=name,
        code=files[name],
    )
    m.settle(report)
    return m


def _moved(description: str, before: str, after: str) -> str:
    """The description with the line of the change as it is in today's fixed/."""
    old, new = patch.lines(before), patch.lines(after)
    line = next((i + 1 for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), 0)
    line = line or min(len(old), len(new)) + 1
    return re.sub(r", line \d+:", f", line {line}:", description, count=1)


def _judged(
    kata: Kata, path: Path, files: dict[str, str], how: str, report: Report, change: Change
) -> tuple[Outcome, dict | None]:
    """Keep or drop one re-applied variant by its run: what changed, and its manifest afresh
    (None to drop it). A variant written by hand is never dropped, only re-recorded."""
    ident, manifest = path.name, variants.read_variant(path)
    status, generated = verdict(report), manifest.get("source") in GENERATED
    if status != "killed" and generated:
        why = {
            "survived": "no test fails it any more",
            "timeout": "its tests now run out of time",
        }.get(status, "its tests now fail by a crash, not by an assertion or a numerical error")
        return Outcome(ident, dropped=True, changes=(why,)), None
    fixed = variants.fixed_files(kata)
    m = _mutant(manifest, files, fixed, report)
    fresh = {**manifest, "failing_tests": list(m.failing)}
    if generated:
        fresh["description"] = _moved(str(manifest["description"]), fixed[m.file], m.code)
        m.bug_class = str(manifest.get("bug_class", ""))
        judged, description = install.judge(manifest, fixed, files)
        if judged.bug_class:  # the class its change shows where it stands today
            m.bug_class, m.operator = judged.bug_class, judged.operator
            fresh.update(operator=judged.operator, description=description)
        if m.bug_class in CLASSES:  # hints, explanation, brief and difficulty of today's run
            fresh.update(texts.learner_texts(kata, m, fixed[m.file], report, change))
    was = list(manifest["failing_tests"])
    changes = [how] if how else []
    if fresh["failing_tests"] != was:
        changes.append(f"fails {len(m.failing)} tests (was {len(was)}): {', '.join(m.failing)}")
    if status != "killed":
        changes.append(f"written by hand, kept, but its tests say {status}")
    texts_ = ("bug_class", "difficulty", "description", "title", "brief", "hints", "explanation")
    changed = [k for k in texts_ if fresh.get(k) != manifest.get(k)]
    changes += [f"{', '.join(changed)} re-recorded"] if changed else []
    return Outcome(ident, changes=tuple(changes)), fresh


def refresh(kata: Kata, jobs: int = 1, write: bool = True) -> list[Outcome]:
    """Re-apply, re-run and re-record every variant of ``kata``; drop those that no longer work."""
    guard = install.fingerprint(kata)
    outcomes: list[Outcome] = []
    keep: list[tuple[Path, dict[str, str], str]] = []
    writes: list[tuple[Path, dict | None, str]] = []  # a manifest of None removes the variant
    for path in variants.variant_dirs(kata):
        files, how = _reapplied(kata, path)
        if files is not None:
            keep.append((path, files, how))
        elif variants.read_variant(path).get("source") in GENERATED:
            outcomes.append(Outcome(path.name, dropped=True, changes=(how,)))
            writes.append((path, None, ""))
        else:
            outcomes.append(Outcome(path.name, changes=(f"{how}; written by hand: mend it",)))
    with tempfile.TemporaryDirectory(prefix="kata-refresh-") as scratch:
        directories = [
            variants.write_files(files, Path(scratch) / path.name) for path, files, _ in keep
        ]
        reports = runner.run_many(
            [runner.Job(kata.slug, d, ("--tb=line",)) for d in directories], workers=jobs
        )
        shown = install.measured(kata, directories, jobs)
    fixed = variants.fixed_files(kata)
    for (path, files, how), report, change in zip(keep, reports, shown, strict=True):
        outcome, manifest = _judged(kata, path, files, how, report, change)
        text = patch.make(fixed, files)
        if manifest is not None and not how and text != variants.change(path):
            outcome.changes = (
                "change.patch re-based (the lines around it moved)",
                *outcome.changes,
            )
        outcomes.append(outcome)
        writes.append((path, manifest, text))
    install.unchanged(kata, guard)  # fixed/ or the tests changed during the runs: start again
    if write:
        for path, manifest, text in writes:
            _write(path, manifest, text)
    return sorted(outcomes, key=lambda o: o.ident)


def _write(path: Path, manifest: dict | None, text: str) -> None:
    """Rewrite a kept variant (only what changed) or remove a dropped one."""
    if manifest is None:
        shutil.rmtree(path)
        return
    if variants.change(path) != text:
        write_atomically(path / variants.PATCH, text)
    old = tomllib.loads((path / variants.MANIFEST).read_text(encoding="utf-8"))
    if old != manifest:
        write_atomically(path / variants.MANIFEST, tomli_w.dumps(manifest, multiline_strings=True))


def render(kata: Kata, outcomes: list[Outcome], written: bool) -> str:
    """What ``--refresh`` did (or, with ``--no-write``, would do), one line a variant."""
    dropped = sum(o.dropped for o in outcomes)
    changed = sum(bool(o.changes) and not o.dropped for o in outcomes)
    verb = "" if written else " (--no-write: nothing written)"
    head = (
        f"{kata.slug}: {len(outcomes)} variants re-applied to fixed/{kata.slug} and re-run{verb}: "
        f"{len(outcomes) - dropped} kept ({changed} changed), {dropped} dropped"
    )
    return "\n".join([head, *(o.line() for o in outcomes)])
