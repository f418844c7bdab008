"""The catalog: every kata's metadata, read from ``katas/<slug>/kata.toml`` and validated."""

from __future__ import annotations

import difflib
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tools import BROKEN, FIXED, KATAS, TESTS, UserError

DATA = "data"  # a kata's data files: tests/<slug>/data/ in the repository, katas/<name>/data/ handed out

CATEGORIES = (
    "leakage",
    "shape",
    "gradient",
    "numerics",
    "metrics",
    "data",
    "evaluation",
    "algorithm",
)
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Problem:
    """One of a boss kata's several bugs, and the tests that catch it."""

    title: str
    tests: tuple[str, ...]
    category: str = ""  # its bug class, when it differs from the kata's


@dataclass(frozen=True)
class Observation:
    """A number the brief quotes, and the Python expression that recomputes it from the code."""

    quote: str
    python: str


@dataclass(frozen=True)
class Kata:
    """One kata: its metadata and where its parts live."""

    slug: str
    title: str
    category: str
    family: str
    difficulty: int
    minutes: int
    files: tuple[str, ...]
    symptom: str
    hints: tuple[str, ...]
    explanation: str
    failing_tests: tuple[str, ...]
    concepts: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    concept_aliases: dict[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    observed: tuple[Observation, ...] = ()
    data: tuple[str, ...] = ()

    @property
    def workspace(self) -> Path:
        return KATAS / self.slug

    @property
    def brief(self) -> Path:
        return KATAS / self.slug / "README.md"

    @property
    def broken(self) -> Path:
        return BROKEN / self.slug

    @property
    def fixed(self) -> Path:
        return FIXED / self.slug

    @property
    def tests(self) -> Path:
        return TESTS / self.slug

    @property
    def data_source(self) -> Path:
        """Where the kata's data files are kept: beside its tests, which read them from there."""
        return TESTS / self.slug / DATA

    @property
    def variants(self) -> Path:
        return BROKEN / self.slug / "variants"


def _field(meta: dict, path: Path, name: str, kind: type | tuple[type, ...]) -> object:
    if name not in meta:
        raise UserError(f"{path}: field '{name}' is missing")
    value = meta[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        expected = (
            kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        )
        raise UserError(f"{path}: field '{name}' should be {expected}, got {value!r}")
    return value


def _strings(meta: dict, path: Path, name: str, minimum: int) -> tuple[str, ...]:
    values = _field(meta, path, name, list)
    if len(values) < minimum or not all(isinstance(v, str) and v.strip() for v in values):
        raise UserError(
            f"{path}: field '{name}' should be a list of at least {minimum} non-empty strings"
        )
    return tuple(values)


def parse(slug: str, path: Path) -> Kata:
    """Read and validate one kata.toml; every problem names the file and the field."""
    try:
        meta = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"{path}: no such file (every kata needs a kata.toml)") from None
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not valid TOML ({error})") from None
    category = _field(meta, path, "category", str)
    if category not in CATEGORIES:
        raise UserError(
            f"{path}: field 'category' is {category!r}; choose one of {', '.join(CATEGORIES)}"
        )
    difficulty = _field(meta, path, "difficulty", int)
    if not 1 <= difficulty <= 5:
        raise UserError(f"{path}: field 'difficulty' should be 1 to 5, got {difficulty}")
    minutes = _field(meta, path, "minutes", int)
    if not 1 <= minutes <= 120:
        raise UserError(f"{path}: field 'minutes' should be 1 to 120, got {minutes}")
    files = _strings(meta, path, "files", 1)
    for name in files:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*\.py", name):
            raise UserError(
                f"{path}: field 'files' holds {name!r}; expected a module name like 'pipeline.py'"
            )
    known = {
        "title", "category", "family", "difficulty", "minutes", "files",
        "symptom", "hints", "explanation", "failing_tests", "concepts", "concept_aliases",
        "problems",
        "observed", "data",
    }  # fmt: skip
    unknown = sorted(set(meta) - known)
    if unknown:
        raise UserError(
            f"{path}: unknown field '{unknown[0]}' (known fields: {', '.join(sorted(known))})"
        )
    return Kata(
        slug=slug,
        title=_field(meta, path, "title", str),
        category=category,
        family=_field(meta, path, "family", str),
        difficulty=difficulty,
        minutes=minutes,
        files=files,
        symptom=_field(meta, path, "symptom", str),
        hints=_strings(meta, path, "hints", 3),
        explanation=_field(meta, path, "explanation", str),
        failing_tests=_strings(meta, path, "failing_tests", 1),
        concepts=_strings(meta, path, "concepts", 1) if "concepts" in meta else (),
        concept_aliases=_aliases(meta, path),
        problems=_problems(meta, path),
        observed=_observed(meta, path),
        data=_data(meta, path),
    )


def _data(meta: dict, path: Path) -> tuple[str, ...]:
    """``data``: the files a learner is handed beside the code, as names under ``data/``."""
    if "data" not in meta:
        return ()
    names = _strings(meta, path, "data", 1)
    for name in names:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*\.(csv|json|txt|parquet)", name):
            raise UserError(
                f"{path}: field 'data' holds {name!r}; expected a file name like 'east.csv'"
            )
    return names


def _observed(meta: dict, path: Path) -> tuple[Observation, ...]:
    """``[[observed]]`` tables: each ``quote`` must be a string in the brief, ``python`` the
    expression (over the kata's modules) whose ``str()`` is that string."""
    entries = meta.get("observed", [])
    if not isinstance(entries, list):
        raise UserError(f"{path}: field 'observed' should be a list of tables ([[observed]])")
    found = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or set(entry) != {"quote", "python"}:
            raise UserError(
                f"{path}: observed entry {number} should have exactly 'quote' and 'python'"
            )
        if not all(isinstance(entry[k], str) and entry[k].strip() for k in ("quote", "python")):
            raise UserError(f"{path}: observed entry {number}: 'quote' and 'python' are strings")
        found.append(Observation(entry["quote"], entry["python"]))
    return tuple(found)


def _aliases(meta: dict, path: Path) -> dict[str, tuple[str, ...]]:
    """``[concept_aliases]``: other wordings of a concept, each key one of the kata's concepts."""
    if "concept_aliases" not in meta:
        return {}
    table = _field(meta, path, "concept_aliases", dict)
    concepts = set(meta.get("concepts", []))
    aliases = {}
    for concept, words in table.items():
        if concept not in concepts:
            raise UserError(
                f"{path}: field 'concept_aliases' names {concept!r}, which is not one of the "
                "kata's concepts"
            )
        if (
            not isinstance(words, list)
            or not words
            or not all(isinstance(w, str) and w.strip() for w in words)
        ):
            raise UserError(f"{path}: concept_aliases[{concept!r}] should be a list of strings")
        vague = [w for w in words if not re.search(r"[a-z]{3}", w.lower())]
        if vague:
            raise UserError(
                f"{path}: concept_aliases[{concept!r}] holds {vague[0]!r}: an alias needs a word "
                "of three letters or more (digits and symbols alone match too much)"
            )
        aliases[concept] = tuple(words)
    return aliases


def _problems(meta: dict, path: Path) -> tuple[Problem, ...]:
    """A boss kata's ``[[problems]]``: each bug's title and the failing tests that catch it."""
    if "problems" not in meta:
        return ()
    tables = _field(meta, path, "problems", list)
    problems = []
    for number, table in enumerate(tables, 1):
        where = f"{path}: [[problems]] number {number}"
        if not isinstance(table, dict):
            raise UserError(f"{where} should be a table with 'title' and 'tests'")
        title, tests = table.get("title"), table.get("tests")
        if not isinstance(title, str) or not title.strip():
            raise UserError(f"{where}: field 'title' should be a non-empty string")
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) for t in tests):
            raise UserError(f"{where}: field 'tests' should be a non-empty list of test ids")
        category = table.get("category", "")
        if category and category not in CATEGORIES:
            raise UserError(
                f"{where}: field 'category' is {category!r}; choose one of {', '.join(CATEGORIES)}"
            )
        problems.append(Problem(title, tuple(tests), category))
    listed = set(_strings(meta, path, "failing_tests", 1))
    for problem in problems:
        stray = sorted(set(problem.tests) - listed)
        if stray:
            raise UserError(
                f"{path}: problem {problem.title!r} names {stray[0]}, which is not in failing_tests"
            )
    return tuple(problems)


def slugs() -> list[str]:
    """Every kata's slug, alphabetically (``load_all`` gives catalog order)."""
    found = [p.parent.name for p in KATAS.glob("*/kata.toml")]
    return sorted(found)


def load(slug: str) -> Kata:
    """The kata named ``slug``; an unknown slug names the closest ones."""
    if not SLUG.match(slug) or not (KATAS / slug / "kata.toml").is_file():
        raise UserError(unknown_slug_message(slug))
    return parse(slug, KATAS / slug / "kata.toml")


def load_all() -> list[Kata]:
    """Every valid kata, in catalog order; an invalid one is skipped with a warning on stderr."""
    katas = []
    for slug in slugs():
        try:
            katas.append(load(slug))
        except UserError as problem:
            print(f"warning: kata '{slug}' skipped: {problem}", file=sys.stderr)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(katas, key=lambda k: (order[k.category], k.difficulty, k.slug))


def unknown_slug_message(slug: str) -> str:
    close = difflib.get_close_matches(slug, slugs(), n=3, cutoff=0.5)
    prefixed = [s for s in slugs() if s.startswith(slug) and s not in close]
    suggestions = (close + prefixed)[:3]
    hint = f"; did you mean {' or '.join(suggestions)}?" if suggestions else ""
    return f"unknown kata '{slug}'{hint} (nox -s list shows every kata)"
