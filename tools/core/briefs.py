"""The parts of an exercise's texts known only when it is handed out: what to deliver (it names
the learner's workspace) and a blind exercise's brief (nothing naming the kata). A variant's own
title, brief, hints and explanation are written by its generator (:mod:`tools.mutation.texts`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tools.core.catalog import Kata

if TYPE_CHECKING:
    from tools.core.exercise import Exercise

BUDGETS = (5, 10, 15, 20, 25)  # minutes by difficulty, as the README's scale says


def deliver(kata: Kata, name: str, minutes: int) -> str:
    """The brief's last section: what to hand in, where the learner's copy is, the budget."""
    edit = ", ".join(f"`katas/{name}/{n}`" for n in kata.files)
    return (
        "## What to deliver\n\n"
        f"Make every test pass (`nox -s kata -- {name}` runs them), keeping every function's "
        f"signature.\n\n- Edit: {edit}\n- Allowed: NumPy, pandas and the standard library\n"
        f"- Budget: {minutes} minutes\n"
    )


def variant_brief(written: str, kata: Kata, name: str, title: str, level: int) -> str:
    """A variant's brief as its generator wrote it, with what to deliver from its workspace (an
    older brief's own delivery section, category line or missing header are replaced)."""
    body = written.split("\n## What to deliver", 1)[0].strip()
    lines = [line for line in body.splitlines() if not line.startswith("**Category:**")]
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    header = (
        f"**Family:** {kata.family} · **Difficulty:** {level}/5 · "
        f"**Budget:** {BUDGETS[level - 1]} minutes"
    )
    text = "\n".join(lines).strip()
    if not text.startswith("**Family:**"):
        text = f"{header}\n\n{text}"
    return f"# {title}\n\n{text}\n\n{deliver(kata, name, BUDGETS[level - 1])}"


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
