"""A class pack: one ready-to-push folder per student, each with a different verified bug per kata.

``nox -s pack -- leakage shape --students roster.txt --out build/pack`` writes

    build/pack/<student>/          the student's repository: the buggy code, brief, hints, the
                                   tests, a README with the two commands, a grading workflow
    build/pack/key.json, key.md    who got which bug and why it matters (beside the folders,
                                   never inside one)

The bugs handed out are the kata's own and its committed variants, every one proven by the
self-check to fail exactly its listed tests. Students are dealt bugs round the seeded-shuffled
pool, so two students share a bug only when a kata has fewer bugs than the class has students.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from tools import ROOT, TESTS, UserError
from tools.core import catalog, exercise, variants
from tools.core.catalog import DATA, Kata
from tools.core.exercise import Exercise

KEY = "key.json"
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
PACKAGE = Path(__file__).resolve().parent
REQUIREMENTS = ("numpy>=1.26,<3", "pandas>=2.1,<4", "pytest>=8.0,<10", "pytest-timeout>=2.2,<3")


@dataclass(frozen=True)
class Bug:
    """One bug a student can be dealt: the kata's own (``variant`` None) or a variant."""

    slug: str
    variant: str | None

    @property
    def label(self) -> str:
        return f"{self.slug}/{self.variant or 'original'}"


def read_roster(path: Path) -> list[str]:
    """Student ids, one per line (the first comma-separated field; '#' starts a comment)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as problem:
        raise UserError(f"cannot read the roster {path}: {problem}") from None
    students = []
    for number, line in enumerate(lines, 1):
        student = line.split("#", 1)[0].split(",", 1)[0].strip()
        if not student:
            continue
        if not STUDENT_ID.fullmatch(student):
            raise UserError(
                f"{path}, line {number}: {student!r} is not a usable folder name "
                "(letters, digits, '.', '_' and '-', at most 64)"
            )
        if student in students:
            raise UserError(f"{path}, line {number}: {student!r} is listed twice")
        students.append(student)
    if not students:
        raise UserError(f"{path} lists no students (one id per line)")
    return students


def pool(kata: Kata) -> list[Bug]:
    """Every bug of ``kata`` that can be handed out: its own and each committed variant."""
    return [Bug(kata.slug, None)] + [
        Bug(kata.slug, path.name) for path in variants.variant_dirs(kata)
    ]


def deal(students: list[str], katas: list[Kata], seed: int) -> dict[str, list[Bug]]:
    """Student -> one bug per kata, spread so that neighbours in the roster differ."""
    dealt: dict[str, list[Bug]] = {s: [] for s in students}
    for kata in katas:
        bugs = pool(kata)
        random.Random(f"{seed}:{kata.slug}").shuffle(bugs)
        for i, student in enumerate(students):
            dealt[student].append(bugs[i % len(bugs)])
    return dealt


def bug_exercise(kata: Kata, bug: Bug) -> Exercise:
    """The exercise a student gets: its brief, hints, class and explanation (as a learner's)."""
    return exercise.of_kata(kata) if bug.variant is None else exercise.of_variant(kata, bug.variant)


def bug_files(kata: Kata, bug: Bug) -> dict[str, str]:
    if bug.variant is None:
        return {n: (kata.broken / n).read_text(encoding="utf-8") for n in kata.files}
    return variants.materialise(kata, bug.variant)


def tests_digest(slug: str) -> str:
    """One SHA-256 over a kata's tests and the shared test code: grading notices a change."""
    digest = hashlib.sha256()
    paths = [TESTS / "conftest.py", TESTS / "katakit.py", *sorted((TESTS / slug).rglob("*.py"))]
    for path in paths:
        digest.update(path.relative_to(TESTS).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _student_readme(student: str, katas: list[Kata]) -> str:
    rows = "\n".join(
        f"| `katas/{k.slug}/` | {k.minutes} min | `python -m pytest tests/{k.slug} "
        f"--impl katas/{k.slug}` |"
        for k in katas
    )
    requirements = " ".join(f'"{r}"' for r in REQUIREMENTS)
    return f"""# Debug-and-fix exercises for {student}

Each folder under `katas/` holds a small ML pipeline with a bug, and its brief (`README.md`).
Find the bug and fix it: edit the `.py` files in the kata's folder until its tests pass.
Hints, vaguest first, are in each kata's `HINTS.md`: read one at a time.

```sh
python3 -m pip install {requirements}
python3 -m pytest tests --impl 'katas/{{slug}}'
```

The first line installs what the code and tests need; the second runs every kata's tests
against your code (they fail until the bug is fixed).

| kata | budget | its tests alone |
|---|--:|---|
{rows}

Your grade comes from the tests as they were handed out: changing files under `tests/` or
adding a `conftest.py` changes nothing but your own local runs. Edit with NumPy, pandas and the
standard library only.
"""


def _write_student(folder: Path, student: str, dealt: list[Bug], katas: dict[str, Kata]) -> None:
    for bug in dealt:
        kata = katas[bug.slug]
        chosen = bug_exercise(kata, bug)
        workspace = folder / "katas" / kata.slug
        variants.write_files(bug_files(kata, bug), workspace)
        (workspace / "README.md").write_text(chosen.brief, encoding="utf-8")
        hints = "\n\n".join(f"## Hint {i}\n\n{h}" for i, h in enumerate(chosen.hints, 1))
        (workspace / "HINTS.md").write_text(f"# Hints, vaguest first\n\n{hints}\n", "utf-8")
        files = ", ".join(f'"{n}"' for n in kata.files)
        (workspace / "kata.toml").write_text(f"files = [{files}]\n", encoding="utf-8")
        shutil.copytree(kata.tests, folder / "tests" / kata.slug, ignore=_not_tests)
        for name in kata.data:  # handed out beside the code, as a checkout does
            (workspace / DATA).mkdir(exist_ok=True)
            shutil.copy2(kata.data_source / name, workspace / DATA / name)
    for shared in ("conftest.py", "katakit.py"):
        shutil.copy2(TESTS / shared, folder / "tests" / shared)
    chosen = [katas[b.slug] for b in dealt]
    (folder / "README.md").write_text(_student_readme(student, chosen), encoding="utf-8")
    for name in ("pyproject.toml", "gitignore", "grade.yml", "results.py"):
        template = (PACKAGE / "template" / name).read_text(encoding="utf-8")
        target = {
            "gitignore": folder / ".gitignore",
            "grade.yml": folder / ".github" / "workflows" / "grade.yml",
            "results.py": folder / ".github" / "results.py",
        }.get(name, folder / name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template, encoding="utf-8")


def _not_tests(directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n in {"__pycache__", "equivalents.toml"} or n.endswith(".pyc")]


def build(slugs: list[str], roster: Path, out: Path, seed: int) -> tuple[dict, list[str]]:
    """Write the pack; returns the key and notes for the instructor (kata with shared bugs)."""
    katas = {slug: catalog.load(slug) for slug in dict.fromkeys(slugs)}
    students = read_roster(roster)
    out = out.resolve()
    if out == ROOT or out in ROOT.parents or (out / ".git").exists():
        raise UserError(f"{out} is not a place for a pack; choose an empty folder (--out)")
    existing = [student for student in students if (out / student).exists()]
    if existing:
        raise UserError(
            f"{out / existing[0]} already exists; a pack is written to a fresh folder (--out)"
        )
    dealt = deal(students, list(katas.values()), seed)
    notes = []
    for kata in katas.values():
        size = len(pool(kata))
        if size < len(students):
            notes.append(
                f"{kata.slug}: {size} verified bugs for {len(students)} students, so up to "
                f"{-(-len(students) // size)} share each; nox -s mutate -- {kata.slug} --count "
                f"{len(students)} makes more"
            )
    out.mkdir(parents=True, exist_ok=True)
    for student, bugs in dealt.items():
        _write_student(out / student, student, bugs, katas)
    key = {
        "version": 1,
        "seed": seed,
        "katas": {s: {"tests_digest": tests_digest(s)} for s in katas},
        "students": {
            student: [_key_entry(katas[b.slug], b) for b in bugs] for student, bugs in dealt.items()
        },
    }
    (out / KEY).write_text(json.dumps(key, indent=2, ensure_ascii=False) + "\n", "utf-8")
    (out / "key.md").write_text(_key_markdown(key), encoding="utf-8")
    return key, notes


def _key_entry(kata: Kata, bug: Bug) -> dict:
    chosen = bug_exercise(kata, bug)
    return {
        "slug": bug.slug,
        "variant": bug.variant,
        "title": chosen.title,
        "category": ", ".join(chosen.classes),
        "failing_tests": list(chosen.failing_tests),
        "explanation": chosen.explanation,
    }


def _key_markdown(key: dict) -> str:
    lines = ["# Pack key: who got which bug (keep it out of the students' folders)", ""]
    lines += ["| student | kata | bug | class | what went wrong |", "|---|---|---|---|---|"]
    for student, bugs in key["students"].items():
        for bug in bugs:
            why = " ".join(str(bug["explanation"]).split())[:200]
            lines.append(
                f"| {student} | {bug['slug']} | {bug['variant'] or 'original'} | "
                f"{bug['category']} | {why} |"
            )
    return "\n".join(lines) + "\n"
