"""Blind practice: an unseen kata or variant, drawn at random and handed out under a neutral name.

The name is two plain words from fixed lists (``amber-heron``): never the slug, never a word of a
bug class. The draw covers every kata and every generated variant the learner has not started,
by name or blind, optionally near a difficulty and within an algorithm family.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from tools import KATAS, UserError
from tools.core import catalog, exercise, variants, workspace
from tools.core.catalog import Kata
from tools.practice import progress

FIRST = (
    "amber", "birch", "cedar", "cobalt", "coral", "dawn", "dusky", "ember", "fern", "frost",
    "granite", "hazel", "indigo", "ivory", "jade", "juniper", "linen", "maple", "meadow", "misty",
    "ochre", "opal", "pebble", "quartz", "russet", "saffron", "sage", "slate", "tawny", "willow",
)  # fmt: skip
SECOND = (
    "badger", "crane", "egret", "finch", "gannet", "heron", "ibex", "kestrel", "lark", "lynx",
    "marten", "newt", "osprey", "otter", "plover", "puffin", "quail", "robin", "stoat", "swift",
    "tern", "thrush", "vole", "wren", "yak", "zebu", "curlew", "dunlin", "merlin", "teal",
)  # fmt: skip


@dataclass(frozen=True)
class Candidate:
    """An exercise that could be drawn, before its texts are built."""

    kata: Kata
    variant: str | None
    difficulty: int


def seen(data: dict) -> set[tuple[str, str | None]]:
    """(slug, variant) of every exercise the learner has started, by name or blind."""
    records = data.get("katas", {})
    found = set()
    for name, record in records.items():
        if not isinstance(record, dict):
            continue
        identity = record.get("exercise")
        if isinstance(identity, dict) and isinstance(identity.get("slug"), str):
            found.add((identity["slug"], identity.get("variant")))
        elif progress.touched(record):
            found.add((name, None))
        for variant in record.get("done_variants") or []:
            found.add((name, variant))
    return found


def candidates(katas: list[Kata]) -> list[Candidate]:
    """Every kata and every variant of every kata, with the difficulty the learner would meet."""
    pool = []
    for kata in katas:
        pool.append(Candidate(kata, None, kata.difficulty))
        for path in variants.variant_dirs(kata):
            try:
                manifest = variants.read_variant(path)
            except UserError:
                continue
            pool.append(Candidate(kata, path.name, exercise.variant_difficulty(kata, manifest)))
    return pool


def neutral_name(taken: set[str], rng: random.Random) -> str:
    """Two plain words not used by any kata, record or folder."""
    options = [f"{a}-{b}" for a in FIRST for b in SECOND]
    rng.shuffle(options)
    for name in options:
        if name not in taken and not (KATAS / name).exists():
            return name
    raise UserError("every neutral name is taken: remove old blind exercises from katas/")


def draw(
    data: dict,
    difficulty: int | None = None,
    family: str | None = None,
    rng: random.Random | None = None,
) -> exercise.Exercise:
    """An unseen exercise under a neutral name (not yet checked out)."""
    rng = rng or random.Random()
    katas = catalog.load_all()
    families = sorted({k.family for k in katas})
    if family is not None and family not in families:
        raise UserError(f"unknown family '{family}'; choose one of {', '.join(families)}")
    done = seen(data)
    pool = [
        c
        for c in candidates([k for k in katas if family in (None, k.family)])
        if (c.kata.slug, c.variant) not in done
        and not (c.variant is None and workspace.exists(c.kata))
    ]
    if not pool:
        where = f" of family {family}" if family else ""
        raise UserError(f"you have started every exercise{where}; nox -s list shows your progress")
    if difficulty is not None:
        closest = min(abs(c.difficulty - difficulty) for c in pool)
        pool = [c for c in pool if abs(c.difficulty - difficulty) == closest]
    chosen = rng.choice(pool)
    base = (
        exercise.of_variant(chosen.kata, chosen.variant)
        if chosen.variant
        else exercise.of_kata(chosen.kata)
    )
    taken = set(catalog.slugs()) | set(data.get("katas", {}))
    return exercise.blind(base, neutral_name(taken, rng))
