"""The texts of an exercise that no author wrote: a variant's title, brief and explanation (from
the kata's brief and the variant's manifest) and a blind exercise's brief (nothing naming the kata).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.core.catalog import Kata

if TYPE_CHECKING:
    from tools.core.exercise import Exercise

BUDGETS = (5, 10, 15, 20, 25)  # minutes by difficulty, as the README's scale says


def scenario(kata: Kata) -> str:
    """The kata brief's setting: what the pipeline is for, without the original bug's numbers."""
    text = kata.brief.read_text(encoding="utf-8").split("\n## ", 1)[0]
    paragraphs = [
        " ".join(p.split())
        for p in re.split(r"\n\s*\n", text)
        if p.strip() and not p.lstrip().startswith(("#", "**"))
    ]
    paragraphs = [p for p in paragraphs if "boss kata" not in p.lower() and "--interview" not in p]
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(paragraphs)):
        if re.search(r"\d\.\d|\d ?%", sentence) and kept:
            break
        kept.append(sentence)
    return " ".join(kept)


def subject(kata: Kata) -> str:
    """Who runs the pipeline and for what: the scenario's first clause, at most 80 characters."""
    first = re.split(r"(?<=[.!?])\s+", scenario(kata), maxsplit=1)[0].rstrip(".")
    first = " ".join(first.replace("*", "").replace("`", "").split())
    for mark in (": ", "; ", " (", " — ", ", ", " with ", " by "):
        if len(first) <= 80:
            break
        first = first.split(mark, 1)[0]
    return first if first and len(first) <= 80 else f"A {kata.family} pipeline"


def observed(manifest: dict) -> list[tuple[str, str]]:
    """(test name, message) for each failing test the variant's measured brief lists."""
    section = str(manifest.get("brief") or "").split("## What was observed", 1)[-1]
    section = section.split("\n## ", 1)[0]
    return re.findall(r"^- `([^`]+)`: (.+)$", section, flags=re.M)


def symptom(observed: list[tuple[str, str]], failing: tuple[str, ...]) -> str:
    if observed:
        message = observed[0][1]
        clause = re.split(r"[:;(]|(?<=\w)\. ", message, maxsplit=1)[0].strip()
        return clause if len(clause) <= 100 else clause[:97].rsplit(" ", 1)[0] + " …"
    count = len(failing)
    return f"{count} test{'s' if count != 1 else ''} fail"


def variant_brief(
    kata: Kata,
    name: str,
    title: str,
    level: int,
    observed: list[tuple[str, str]],
    failing: tuple[str, ...],
) -> str:
    lines = "\n".join(f"- `{test}`: {message}" for test, message in observed) or "\n".join(
        f"- `{t.split('::')[-1]}`" for t in failing
    )
    count = len(failing)
    edit = ", ".join(f"`katas/{name}/{n}`" for n in kata.files)
    return (
        f"# {title}\n\n"
        f"**Family:** {kata.family} · **Difficulty:** {level}/5 · **Budget:** {BUDGETS[level - 1]} minutes\n\n"
        f"{scenario(kata)}\n\n"
        "## What was observed\n\n"
        f"Running the tests, {count} fail{'s' if count == 1 else ''}:\n\n{lines}\n\n"
        "## What to deliver\n\n"
        f"Make every test pass (`nox -s kata -- {name}` runs them), keeping every function's "
        f"signature.\n\n- Edit: {edit}\n- Allowed: NumPy, pandas and the standard library\n"
        f"- Budget: {BUDGETS[level - 1]} minutes\n"
    )


def variant_explanation(
    manifest: dict, observed: list[tuple[str, str]], failing: tuple[str, ...]
) -> str:
    """What this change broke and how it showed, then its bug class's lesson."""
    lesson = str(manifest.get("explanation") or "").strip()
    description = str(manifest.get("description") or "")
    change = re.fullmatch(
        r"(?s)(?P<where>[^,]+), line (?P<line>\d+): `(?P<old>.*)` -> `(?P<new>.*)`", description
    )
    if change:
        what = (
            f"This variant changed `{change['where']}` (line {change['line']}): "
            f"`{change['old']}` became `{change['new']}`."
        )
    else:
        what = f"This variant's change: {description}" if description else ""
    count = len(failing)
    shown = symptom(observed, failing)
    showed = f"It showed as: {shown} ({count} failing test{'s' if count != 1 else ''})."
    return "\n\n".join(part for part in (f"{what} {showed}".strip(), lesson) if part)


def blind_brief(exercise: Exercise) -> str:
    """The brief without its title, category line or anything naming the kata."""
    body = (
        exercise.brief.split("\n", 1)[-1]
        if exercise.brief.lstrip().startswith("#")
        else exercise.brief
    )
    lines = [line for line in body.splitlines() if not line.startswith("**Category:**")]
    lines = [line for line in lines if not line.startswith("**Family:**")]
    text = "\n".join(lines).strip()
    header = (
        f"# Exercise {exercise.name}\n\n"
        f"**Family:** {exercise.family} · **Difficulty:** {exercise.difficulty}/5 · "
        f"**Budget:** {exercise.minutes} minutes · a blind exercise: what it is will be shown "
        "once you solve it\n\n"
    )
    return header + exercise.scrub(text) + "\n"


def function_aliases(function: str) -> tuple[str, ...]:
    """Ways to name a function in words: ``StandardScaler.fit`` -> "standard scaler fit",
    "scaler fit"; a lone name of five letters or more stands for itself."""
    words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+", function.replace("_", " "))
    words = [w.lower() for w in words if w.lower() not in {"and", "of", "the", "to"}]
    found = [" ".join(words)] if len(words) > 1 else []
    if len(words) > 2:
        found.append(" ".join(words[-2:]))
    if len(words) == 1 and len(words[0]) >= 5:
        found.append(words[0])
    return tuple(dict.fromkeys(found)) or (function,)
