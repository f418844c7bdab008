"""Bug variants of a kata: ``broken/<slug>/variants/<id>/`` holds the kata's files and a variant.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tools import UserError
from tools.catalog import Kata

MANIFEST = "variant.toml"
REQUIRED = ("id", "source", "operator", "description", "failing_tests", "diff")


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
