"""The strength gate: learner-worthy mutants, and the equivalent ones authors list in equivalents.toml.

A learner-worthy mutant is one a learner could be handed (it has a bug class) outside the code
that makes the kata's data; arbitrary constant edits and data-making code count apart. A mutant
that changes no behaviour a test could see is listed, with its reason, in the checked-in
``tests/<slug>/equivalents.toml``::

    [[equivalent]]
    function = "StandardScaler.fit"
    change = "`scale > 0` -> `scale >= 0`"
    reason = "a zero std is replaced by 1.0 either way"

``change`` matches a mutant of that function whose description's change ``a -> b`` holds the
entry's ``a`` in its old code and ``b`` in its new code (or, without an arrow, holds the text).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tools import TESTS, UserError
from tools.mutation.model import SCENERY

FILE = "equivalents.toml"
FIELDS = ("function", "change", "reason")
SCORED = ("killed", "crashed", "timeout", "survived")
ARROW = re.compile(r"^`(.*)` -> `(.*)`(?: \(and \d+ more lines?\))?$")


def path_for(slug: str) -> Path:
    return TESTS / slug / FILE


def load(path: Path) -> list[dict]:
    """The entries of an equivalents file ([] if there is none); a bad one names file and field."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"{path}: unreadable ({error})") from None
    entries = data.get("equivalent", [])
    unknown = sorted(set(data) - {"equivalent"})
    if unknown or not isinstance(entries, list):
        raise UserError(
            f"{path}: expected only [[equivalent]] tables, found {unknown or entries!r}"
        )
    for number, entry in enumerate(entries, 1):
        for name in FIELDS:
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise UserError(f"{path}: equivalent #{number}: field '{name}' is missing or empty")
    return entries


def change_of(description: str) -> str:
    """The ``a -> b`` part of a mutant's description (after ``function, line N:``)."""
    return re.split(r", line \d+: ", description, maxsplit=1)[-1]


def matches(entry: dict, mutant: dict) -> bool:
    """Whether ``entry`` describes ``mutant`` (same function, and its change)."""
    if entry["function"] != mutant.get("function"):
        return False
    change, wanted = change_of(mutant.get("description", "")), entry["change"].strip()
    ours, theirs = ARROW.match(wanted), ARROW.match(change)
    if ours and theirs:
        return ours[1] in theirs[1] and ours[2] in theirs[2]
    return wanted in change


def learner_worthy(mutant: dict) -> bool:
    """A mutant a learner could be handed: a bug class, outside the data-making code."""
    return bool(mutant.get("bug_class")) and not SCENERY.search(mutant.get("function", ""))


def gate(mutants: list[dict], entries: list[dict]) -> dict:
    """Learner-worthy mutants caught and made, the equivalents among the survivors, the score
    without them, and the same counts for every other scored mutant (constant edits among them)."""
    scored = [m for m in mutants if m["status"] in SCORED]
    worthy = [m for m in scored if learner_worthy(m)]
    others = [m for m in scored if not learner_worthy(m)]
    survivors = [m for m in scored if m["status"] == "survived"]
    listed = []
    for entry in entries:
        found = [m["id"] for m in survivors if matches(entry, m)]
        listed.append({**{k: entry[k] for k in FIELDS}, "mutants": found})
    equivalent = {ident for e in listed for ident in e["mutants"]}
    caught = sum(m["status"] != "survived" for m in worthy)
    same = sum(m["id"] in equivalent for m in worthy)
    counted = len(worthy) - same
    missed = [m for m in worthy if m["status"] == "survived" and m["id"] not in equivalent]
    return {
        "made": len(worthy),
        "caught": caught,
        "equivalent": same,
        "score": round(caught / counted, 4) if counted else None,
        "other_made": len(others),
        "other_caught": sum(m["status"] != "survived" for m in others),
        "equivalents": listed,
        "unused": [e for e in listed if not e["mutants"]],
        "missed": [
            {
                "id": m["id"],
                "function": m["function"],
                "line": m["line"],
                "change": change_of(m.get("description", "")),
            }
            for m in missed
        ],
    }
