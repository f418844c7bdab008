"""No kata hands out another kata's answer: the lines a later kata's fix adds, met in earlier code."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from tools import UserError
from tools.core import variants
from tools.core.catalog import Kata
from tools.core.workspace import display


def _normalise(line: str) -> str:
    return re.sub(r"\s+", "", line.split("#", 1)[0])


# A fix line shorter than this (without spaces) is too common to count as a give-away.
GIVE_AWAY_CHARS = 24
IDIOM_KATAS = 3


def fix_lines(kata: Kata) -> set[str]:
    """The normalised lines the fix adds (broken -> fixed), long enough to be telling.

    A line the broken code already holds elsewhere was moved, not added (splitting before
    fitting moves lines): it tells nothing.
    """
    added = set()
    for name in kata.files:
        try:
            before = (kata.broken / name).read_text(encoding="utf-8").splitlines()
            after = (kata.fixed / name).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        present = {_normalise(line) for line in before}
        for line in difflib.unified_diff(before, after, n=0, lineterm=""):
            if line.startswith("+") and not line.startswith("+++"):
                text = _normalise(line[1:])
                if len(text) >= GIVE_AWAY_CHARS and text not in present:
                    added.add(text)
    return added


def handed_out(kata: Kata) -> dict[Path, set[str]]:
    """Every file a learner can be handed for this kata (broken and variants), normalised."""
    out = {}
    for name in kata.files:
        path = kata.broken / name
        if path.is_file():
            out[path] = {_normalise(x) for x in path.read_text(encoding="utf-8").splitlines()}
    for folder in variants.variant_dirs(kata):
        try:
            handed = variants.materialise(kata, folder)
        except UserError:
            continue  # the behaviour check names a variant whose change does not apply
        for name, text in handed.items():
            out[folder / name] = {_normalise(x) for x in text.splitlines()}
    return out


def give_away_problems(katas: list[Kata]) -> dict[str, list[str]]:
    """No kata's handed-out code holds the fix lines of a kata that comes later in the catalog.

    ``katas`` is in catalog order (``catalog.load_all``). A fix met again *after* its own kata
    is correct code and no give-away: every leak-free pipeline fits its scaler on training rows.
    """
    problems: dict[str, list[str]] = {k.slug: [] for k in katas}
    fixes = {k.slug: fix_lines(k) for k in katas}
    position = {k.slug: i for i, k in enumerate(katas)}
    handed = {k.slug: handed_out(k) for k in katas}
    # A line that three or more katas hand out is an idiom (a split, a loop header), not an answer.
    seen_in: dict[str, int] = {}
    for files in handed.values():
        for line in set().union(*files.values()) if files else set():
            seen_in[line] = seen_in.get(line, 0) + 1
    idioms = {line for line, count in seen_in.items() if count >= IDIOM_KATAS}
    fixes = {slug: added - idioms for slug, added in fixes.items()}
    for kata in katas:
        for path, lines in handed[kata.slug].items():
            for other, added in fixes.items():
                if position[other] <= position[kata.slug]:
                    continue
                shared = sorted(added & lines)
                if shared:
                    problems[kata.slug].append(
                        f"{display(path)} contains the fix of kata '{other}' "
                        f"({len(shared)} line(s), e.g. {shared[0]!r}): a learner working in order "
                        "would be handed that kata's answer"
                    )
    return problems
