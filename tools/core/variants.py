"""Bug variants of a kata: ``broken/<slug>/variants/<id>/`` holds variant.toml and change.patch.

A variant is its change: ``change.patch`` is a unified diff against ``fixed/<slug>/`` (paths
``a/<file>`` and ``b/<file>``), and :func:`materialise` is the one way to get a variant's files.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from tools import ROOT, UserError
from tools.core import patch
from tools.core.catalog import Kata

MANIFEST = "variant.toml"
PATCH = "change.patch"
REQUIRED = ("id", "source", "operator", "description", "failing_tests")


def variant_dirs(kata: Kata) -> list[Path]:
    """Every committed variant of ``kata``, sorted by id."""
    if not kata.variants.is_dir():
        return []
    return sorted(p for p in kata.variants.iterdir() if (p / MANIFEST).is_file())


def read_variant(path: Path) -> dict:
    """A variant's manifest, validated; problems name the file and the field."""
    manifest = path / MANIFEST
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"{manifest}: unreadable ({error})") from None
    for key in REQUIRED:
        if key not in data:
            raise UserError(f"{manifest}: field '{key}' is missing")
    if data["id"] != path.name:
        raise UserError(f"{manifest}: field 'id' is {data['id']!r} but the folder is {path.name!r}")
    return data


def find(kata: Kata, variant_id: str) -> Path:
    """The directory of one variant; an unknown id lists the known ones."""
    path = kata.variants / variant_id
    if variant_id and "/" not in variant_id and (path / MANIFEST).is_file():
        return path
    known = [p.name for p in variant_dirs(kata)]
    listing = (
        f"; known variants: {', '.join(known)}" if known else "; this kata has no variants yet"
    )
    raise UserError(f"kata '{kata.slug}' has no variant '{variant_id}'{listing}")


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def fixed_files(kata: Kata) -> dict[str, str]:
    """The reference solution's files, name -> text: what every variant's patch applies to."""
    try:
        return {name: (kata.fixed / name).read_text(encoding="utf-8") for name in kata.files}
    except OSError as error:
        raise UserError(f"{_shown(kata.fixed)}: unreadable ({error})") from None


def change(path: Path) -> str:
    """The text of a variant's ``change.patch`` (``path`` is the variant's folder)."""
    try:
        return (path / PATCH).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(
            f"{_shown(path / PATCH)} is missing: a variant is its change against fixed/, kept "
            "beside its variant.toml"
        ) from None
    except OSError as error:
        raise UserError(f"{_shown(path / PATCH)}: unreadable ({error.strerror})") from None


def apply_change(kata: Kata, path: Path, text: str, relocate: bool = False) -> dict[str, str]:
    """``fixed/``'s files with the patch ``text`` of the variant in ``path`` applied."""
    try:
        files = patch.apply(fixed_files(kata), text, relocate=relocate)
    except patch.PatchError as problem:
        raise UserError(
            f"{_shown(path / PATCH)} does not apply to {_shown(kata.fixed)}/: {problem} "
            f"(nox -s mutate -- {kata.slug} --refresh re-applies the kata's variants)"
        ) from None
    extra, gone = sorted(set(files) - set(kata.files)), sorted(set(kata.files) - set(files))
    if extra or gone:
        what = f"creates {extra[0]}" if extra else f"deletes {gone[0]}"
        raise UserError(f"{_shown(path / PATCH)} {what}; a variant changes only the kata's files")
    return files


def materialise(kata: Kata, variant: str | Path) -> dict[str, str]:
    """A variant's files (name -> text): ``fixed/`` with its change.patch applied. A patch that
    does not apply is a one-line :class:`UserError` naming the variant and the hunk."""
    path = variant if isinstance(variant, Path) else find(kata, variant)
    return apply_change(kata, path, change(path))


def write_files(files: dict[str, str], directory: Path) -> Path:
    """Write ``files`` (name -> text) into ``directory``, byte for byte; returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        target = directory / name
        scratch = target.with_name(f".{name}.{os.getpid()}.tmp")
        scratch.write_bytes(text.encode("utf-8"))
        os.replace(scratch, target)
    return directory


def materialise_into(kata: Kata, variant: str | Path, directory: Path) -> Path:
    """Write a variant's files into ``directory`` (to run its tests on); returns ``directory``."""
    return write_files(materialise(kata, variant), directory)


def listing(kata: Kata) -> list[dict]:
    """Every variant of ``kata`` for an instructor: id, description, failing tests and its change."""
    out = []
    for path in variant_dirs(kata):
        manifest = read_variant(path)
        out.append(
            {
                "id": path.name,
                "description": str(manifest["description"]),
                "failing_tests": list(manifest["failing_tests"]),
                "change": change(path),
            }
        )
    return out


# -- a variant as a kata of its own: title, brief, hints and explanation ----------------------

GENERIC_HINTS = (
    "The code that changed is small, and the failing tests say which behaviour it broke. Read "
    "their messages as symptoms: what property of a correct pipeline do they check?",
    "Each failing test calls a function of the pipeline; the bug is in that function or in one "
    "it calls. Compare what it computes with what the maths of the method says it should.",
    "Check the usual suspects line by line: a comparison or sign flipped, an axis or an index "
    "off by one, a term or a guard dropped, a statistic computed on the wrong rows.",
)


def _manifest(kata: Kata, variant: str | None) -> dict:
    if not variant:
        return {}
    try:
        return read_variant(find(kata, variant))
    except UserError:
        return {}


def title(kata: Kata, variant: str | None) -> str:
    return _manifest(kata, variant).get("title") or f"{kata.title}: another bug"


def hints(kata: Kata, variant: str | None) -> tuple[str, ...]:
    """The variant's own hint ladder (from its bug class); the kata's for the original bug."""
    if not variant:
        return kata.hints
    given = _manifest(kata, variant).get("hints")
    return tuple(given) if isinstance(given, list) and given else GENERIC_HINTS


def explanation(kata: Kata, variant: str | None) -> str:
    if not variant:
        return kata.explanation
    manifest = _manifest(kata, variant)
    return manifest.get("explanation") or (
        "This variant's bug: "
        + manifest.get("description", "a generated change of the fixed code.")
    )


def brief(kata: Kata, path: Path) -> str:
    """The variant's brief: its own when it has one, else the kata's scenario and its failing tests."""
    manifest = read_variant(path)
    if manifest.get("brief"):
        return manifest["brief"]
    text = kata.brief.read_text(encoding="utf-8")
    scenario = text.split("\n## ", 1)[0]
    failing = "\n".join(f"- `{t}`" for t in manifest["failing_tests"])
    return (
        f"{scenario}\n\n## What was observed\n\nThis is a different bug from the kata's original "
        f"one. These tests fail:\n\n{failing}\n\n## What to deliver\n\nMake every test in "
        f"`tests/{kata.slug}/` pass, keeping the functions' signatures.\n"
    )


def category(kata: Kata, variant: str | None) -> str:
    """The catalog category of the bug the learner is on (a variant's comes from its bug class)."""
    return _manifest(kata, variant).get("category") or kata.category


def concepts(kata: Kata, variant: str | None) -> tuple[str, ...]:
    given = _manifest(kata, variant).get("concepts") if variant else None
    return tuple(given) if isinstance(given, list) and given else kata.concepts


def difficulty(kata: Kata, variant: str | None) -> int:
    given = _manifest(kata, variant).get("difficulty") if variant else None
    return given if isinstance(given, int) and 1 <= given <= 5 else kata.difficulty
