"""What a learner works on (a kata, one of its variants, or a blind draw of either), resolved once.

An :class:`Exercise` is a frozen value: its name (what the learner types, and the folder
``katas/<name>/`` it lives in), its texts (title, brief, hints, explanation), what the root cause is
scored against (classes, concepts and their aliases), its difficulty and budget, the tests it is
expected to fail and how to materialise its files. Every command resolves one with :func:`resolve`
(or :func:`of_kata`, :func:`of_variant`) and passes it on; nothing downstream asks again which kata
or variant it is. A blind exercise shows nothing that names the kata, its title or its bug class
until it is solved (:meth:`Exercise.scrub`, :meth:`Exercise.test_label`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tools import KATAS, UserError
from tools.core import briefs, catalog, variants, workspace
from tools.core.briefs import BUDGETS
from tools.core.catalog import Kata, Problem

SELF_IGNORE = "*\n"  # a workspace folder of its own keeps git status clean by itself
NEUTRAL_FIRST_HINT = (
    "Start from what the failing tests measure: run them, read each message as a symptom, and "
    "find the smallest call of the pipeline that reproduces it."
)
# Blind, from this difficulty up, a run names the failing tests but not what they measured, and the
# first hint gives their messages: the brief's numbers are the symptom, the condition that triggers
# the bug is for the learner to find by experiment, as in the interview (DESIGN: "at 4-5 the brief
# gives the symptom only").
QUIET_FROM = 4
MESSAGES_HINT = (
    "From the next run on, each failing test says what it measured, with its numbers, and "
    "--traceback shows pytest's full output. Until now you had what a user of the pipeline has: "
    "the brief's figures and which checks fail."
)
# Words that give a bug class away when a first hint uses them (blind practice skips that hint).
CLASS_WORDS = {
    "leakage": ("leak",),
    "shape": ("shape", "broadcast", "axis", "axes", "keepdims"),
    "gradient": ("gradient", "backprop", "derivative"),
    "numerics": ("overflow", "underflow", "numerical", "log-sum-exp", "logsumexp"),
    "metrics": ("metric",),
    "data": ("pandas", "dtype", "merge"),
    "evaluation": ("evaluation", "cross-validation", "early stopping"),
    "algorithm": ("algorithm",),
}


@dataclass(frozen=True)
class Exercise:
    """One exercise, with everything the learner's tools need to know about it."""

    kata: Kata
    name: str  # what the learner types; also the workspace folder katas/<name>/
    title: str
    brief: str  # markdown
    hints: tuple[str, ...]
    explanation: str
    concepts: tuple[str, ...]
    aliases: tuple[tuple[str, tuple[str, ...]], ...]  # (concept, its other wordings)
    classes: tuple[str, ...]  # catalog categories; a boss has several
    difficulty: int
    minutes: int
    failing_tests: tuple[str, ...]
    problems: tuple[Problem, ...] = ()
    variant: str | None = None
    blind: bool = False
    files: tuple[str, ...] = field(default=())

    @property
    def slug(self) -> str:
        """The kata whose tests judge this exercise (internal: never shown while blind)."""
        return self.kata.slug

    @property
    def key(self) -> str:
        """Where its progress is kept in the state file."""
        return self.name

    @property
    def family(self) -> str:
        return self.kata.family

    @property
    def category(self) -> str:
        return self.classes[0]

    @property
    def workspace(self) -> Path:
        return KATAS / self.name

    @property
    def data(self) -> tuple[str, ...]:
        """The data files handed out beside the code (the kata's: a variant changes only code)."""
        return self.kata.data

    @property
    def data_source(self) -> Path:
        return self.kata.data_source

    @property
    def own_folder(self) -> bool:
        """Whether its workspace is a folder of its own (a variant or a blind exercise)."""
        return self.name != self.kata.slug

    @property
    def fixed(self) -> Path:
        return self.kata.fixed

    @property
    def reveal(self) -> str:
        """What it was, said once it is solved (or named outright when it is not blind)."""
        what = f"kata {self.kata.slug} ({self.kata.title})"
        if self.variant:
            what = f"variant {self.variant} of kata {self.kata.slug}"
        return f"{what}; bug class: {', '.join(self.classes)}"

    def aliases_of(self, concept: str) -> tuple[str, ...]:
        return next((words for name, words in self.aliases if name == concept), ())

    def command(self, *options: str) -> str:
        return " ".join(("nox -s kata --", self.name, *options))

    # -- what a blind exercise may show ----------------------------------------------------------

    @functools.cached_property
    def _test_numbers(self) -> dict[str, int]:
        """Each test function of the kata, numbered in file order (what a blind run shows)."""
        names = []
        for path in sorted(self.kata.tests.glob("test_*.py")):
            text = path.read_text(encoding="utf-8")
            names += re.findall(r"^\s*(?:async\s+)?def (test_\w+)", text, flags=re.M)
        names += [t.split("::")[-1].split("[")[0] for t in self.failing_tests]
        return {name: number for number, name in enumerate(dict.fromkeys(names), 1)}

    def withholds(self, hints_shown: int) -> bool:
        """Whether a run keeps the failing tests' messages to itself (blind, difficulty 4-5,
        before the first hint)."""
        return self.blind and self.difficulty >= QUIET_FROM and hints_shown == 0

    def test_label(self, test: str) -> str:
        """A test's name as shown: its own name, or "test N" while blind."""
        name = test.split("::")[-1]
        if not self.blind:
            return name
        base, bracket, params = name.partition("[")
        number = self._test_numbers.get(base)
        return f"test {number if number else '?'}" + (f"[{params}" if bracket else "")

    def scrub(self, text: str) -> str:
        """``text`` with the slug, the tests' files and names replaced, while blind."""
        if not self.blind or not text:
            return text
        for name in sorted(self._test_numbers, key=len, reverse=True):
            text = re.sub(rf"(?:\b[\w.]+\.py::)*\b{name}\b", self.test_label(name), text)
        folder = rf"`?tests/{re.escape(self.slug)}/[\w.]*`?"
        # "All tests in `tests/<slug>/` must pass" reads "All tests must pass"
        text = re.sub(rf"(All tests)\s+in\s+{folder}", r"\1", text)
        text = re.sub(folder, "the tests", text)
        text = re.sub(r"\btest_\w+\.py\b", "the tests", text)
        # a test the kata no longer has; a quoted key such as run_pipeline(...)['test_rmse'] stays
        text = re.sub(r"(?<!['\"])\btest_\w+\b(?!['\"])", "a test", text)
        return re.sub(rf"(?<![\w-]){re.escape(self.slug)}(?![\w-])", self.name, text)

    # -- its files -------------------------------------------------------------------------------

    def materialise(self) -> dict[str, str]:
        """The exercise's files as handed out: file name -> text."""
        if self.variant is None:
            return {n: (self.kata.broken / n).read_text(encoding="utf-8") for n in self.files}
        return variants.materialise(self.kata, self.variant)

    @contextlib.contextmanager
    def handed_out(self) -> Iterator[Path]:
        """A directory holding the exercise's files as handed out (a temporary one for a variant)."""
        if self.variant is None:
            yield self.kata.broken
            return
        with tempfile.TemporaryDirectory(prefix="exercise-") as temporary:
            folder = Path(temporary)
            for name, text in self.materialise().items():
                (folder / name).write_text(text, encoding="utf-8")
            yield folder

    def checkout(self) -> bool:
        """Create the workspace unless it exists (a missing data file is put back all the same);
        True if the code was written."""
        if workspace.exists(self):
            workspace.put_data(self)
            return False
        self.write_files()
        return True

    def write_files(self) -> Path | None:
        """Put the handed-out files in the workspace, backing up the learner's first."""
        saved = workspace.replace(self, self.materialise())
        if self.own_folder:
            (self.workspace / ".gitignore").write_text(SELF_IGNORE, encoding="utf-8")
            (self.workspace / "README.md").write_text(self.brief.strip() + "\n", encoding="utf-8")
        return saved


# -- resolving a name ------------------------------------------------------------------------------


def of_kata(kata: Kata) -> Exercise:
    """The kata itself, as its author wrote it."""
    classes = tuple(
        dict.fromkeys([kata.category, *(p.category for p in kata.problems if p.category)])
    )
    return Exercise(
        kata=kata,
        name=kata.slug,
        title=kata.title,
        brief=kata.brief.read_text(encoding="utf-8"),
        hints=kata.hints,
        explanation=kata.explanation.strip(),
        concepts=kata.concepts,
        aliases=tuple((c, tuple(w)) for c, w in kata.concept_aliases.items()),
        classes=classes,
        difficulty=kata.difficulty,
        minutes=kata.minutes,
        failing_tests=kata.failing_tests,
        problems=kata.problems,
        files=kata.files,
    )


def variant_name(kata: Kata, variant: str) -> str:
    return f"{kata.slug}-{variant}"


def variant_difficulty(kata: Kata, manifest: dict) -> int:
    """The variant's difficulty as measured when it was made (it is one bug, even in a boss);
    without a measured one, the kata's, at most 4 for a boss's single bug."""
    level = manifest.get("difficulty")
    if isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 5:
        return level
    return min(4, kata.difficulty) if kata.problems else kata.difficulty


def _text(manifest: dict, key: str, fallback: str) -> str:
    value = manifest.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else fallback


def of_variant(kata: Kata, variant: str) -> Exercise:
    """A generated variant as an exercise of its own: its folder is ``katas/<slug>-<id>/``. Its
    title, brief, hints and explanation are the ones its generator wrote (variant.toml); only
    what to deliver, which names the workspace, is added here."""
    path = variants.find(kata, variant)
    manifest = variants.read_variant(path)
    level = variant_difficulty(kata, manifest)
    category = manifest.get("category")
    failing = tuple(manifest.get("failing_tests") or ())
    given = manifest.get("hints")
    hints = tuple(given) if isinstance(given, list) and given else variants.GENERIC_HINTS
    concepts = manifest.get("concepts")
    lesson = tuple(concepts) if isinstance(concepts, list) and concepts else kata.concepts
    # Naming the function the change broke is part of a root cause, as for any bug.
    where = (manifest["function"],) if isinstance(manifest.get("function"), str) else ()
    name = variant_name(kata, variant)
    title = _text(manifest, "title", f"{kata.title}: another bug")
    change = f"This variant's change: {manifest['description']}"
    return Exercise(
        kata=kata,
        name=name,
        title=title,
        brief=briefs.variant_brief(variants.brief(kata, path), kata, name, title, level),
        hints=hints,
        explanation=_text(manifest, "explanation", change),
        concepts=(*lesson, *where),
        aliases=tuple((c, briefs.function_aliases(c)) for c in where),
        classes=(category if category in catalog.CATEGORIES else kata.category,),
        difficulty=level,
        minutes=BUDGETS[level - 1],
        failing_tests=failing,
        variant=variant,
        files=kata.files,
    )


def blind(base: Exercise, name: str) -> Exercise:
    """``base`` under a neutral name: no slug, title or class shown until solved. A first hint
    that names the class (a variant's always does: it comes from its class) gives way to a
    neutral one; at difficulty 4-5 the failing tests' messages come first, as a hint."""
    hints = base.hints
    if base.variant is not None or names_class(hints[0], base.classes):
        hints = (NEUTRAL_FIRST_HINT, *hints[1:])
    if base.difficulty >= QUIET_FROM:
        hints = (MESSAGES_HINT, *hints)
    brief = base.brief.replace(base.name, name) if base.own_folder else base.brief
    draft = dataclasses.replace(base, name=name, blind=True, hints=hints, brief=brief)
    return dataclasses.replace(draft, title=f"Exercise {name}", brief=briefs.blind_brief(draft))


def names_class(text: str, classes: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(word in lowered for c in classes for word in (c, *CLASS_WORDS.get(c, ())))


def resolve(name: str, records: dict | None = None) -> Exercise:
    """The exercise the learner calls ``name``: a kata's slug, ``<slug>-<variant>``, or the neutral
    name of a blind exercise (looked up in ``records``, the state's records by name)."""
    name = name.strip()
    if catalog.SLUG.match(name) and (KATAS / name / "kata.toml").is_file():
        return of_kata(catalog.load(name))
    record = (records or {}).get(name)
    identity = record.get("exercise") if isinstance(record, dict) else None
    if isinstance(identity, dict) and isinstance(identity.get("slug"), str):
        return _from_identity(name, identity)
    for slug in sorted(catalog.slugs(), key=len, reverse=True):
        if name.startswith(slug + "-"):
            variant = name[len(slug) + 1 :]
            kata = catalog.load(slug)
            if (kata.variants / variant / variants.MANIFEST).is_file():
                return of_variant(kata, variant)
    known = [*catalog.slugs(), *(records or {})]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise UserError(f"unknown kata '{name}'{hint} (nox -s list shows every kata)")


def _from_identity(name: str, identity: dict) -> Exercise:
    slug, variant = identity["slug"], identity.get("variant")
    try:
        kata = catalog.load(slug)
        base = of_variant(kata, variant) if variant else of_kata(kata)
    except UserError:
        raise UserError(
            f"the exercise '{name}' no longer exists in the catalog; your files stay in "
            f"katas/{name}/ (nox -s list shows what there is)"
        ) from None
    return blind(base, name) if identity.get("blind") else base


def identity(exercise: Exercise) -> dict:
    """What the state file keeps to find the exercise again by its name."""
    return {"slug": exercise.slug, "variant": exercise.variant, "blind": exercise.blind}
