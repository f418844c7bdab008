"""The learner's root cause, said in words: the bug class and a short explanation, and their scores.

Interviewers weigh *why* it broke as much as the fix: ML understanding (25 %) and communication
(10 %) of the rubric rest on this. The statement comes from a prompt when standard input is a
terminal, or from ``katas/<slug>/root-cause.txt`` (first line ``category: <class>``, then one to
three sentences), so scripted and editor-driven runs need no prompt.
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field

from tools.core import catalog
from tools.core.catalog import Kata
from tools.core.term import say, style

FILE = "root-cause.txt"
CAUSES = {
    "leakage": "information from held-out rows (or the label) reaches something fitted",
    "shape": "an array has the wrong shape or axis, and broadcasting hides it",
    "gradient": "a gradient or an update does not match the loss it claims to minimise",
    "numerics": "overflow, underflow, division by zero or lost precision in floating point",
    "metrics": "a metric is computed with the wrong formula, counts or averaging",
    "data": "pandas or data handling: alignment, copies, dtypes, merges, encodings",
    "evaluation": "the evaluation protocol: splits, folds, seeds, what the score is computed on",
    "algorithm": "the algorithm's own logic: a boundary, a stopping rule, a missing step",
}
STOPWORDS = {"with", "from", "that", "this", "into", "only", "rows", "each", "than", "over"}


@dataclass
class Statement:
    """What the learner said the bug was."""

    category: str = ""
    explanation: str = ""
    source: str = ""  # "prompt" | the file's name | "" when none was given
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def concepts_found(concepts: tuple[str, ...] | list[str], explanation: str) -> list[str]:
    """The key concepts the explanation mentions (each content word, by its first five letters)."""
    said = {w[:5] for w in _words(explanation)}
    found = []
    for concept in concepts:
        content = [w for w in _words(concept) if len(w) >= 4 and w not in STOPWORDS]
        if not content:
            content = _words(concept)
        hits = sum(w[:5] in said for w in content)
        if content and hits / len(content) >= 0.6:
            found.append(concept)
    return found


def sentences(text: str) -> int:
    return len([s for s in re.split(r"[.!?]+(?:\s|$)", text.strip()) if s.strip()])


def understanding(
    statement: Statement, category: str, concepts: tuple[str, ...]
) -> tuple[float, str]:
    """ML understanding, 0..1: the right class (0.4) and the kata's key concepts (0.6)."""
    if not statement.explanation and not statement.category:
        return 0.0, f"no root cause given (write katas/<slug>/{FILE} or answer the prompt)"
    right = statement.category == category
    found = concepts_found(concepts, statement.explanation)
    share = len(found) / len(concepts) if concepts else 1.0
    named = statement.category or "none"
    verdict = "right" if right else f"{named} (it was {category})"
    basis = f"class {verdict}; {len(found)} of {len(concepts)} key concepts named" + (
        f" ({', '.join(found)})" if found else ""
    )
    return 0.4 * right + 0.6 * share, basis


def communication(statement: Statement) -> tuple[float, str]:
    """Communication, 0..1: a clear, concise explanation of one to three sentences."""
    words, count = len(_words(statement.explanation)), sentences(statement.explanation)
    if words == 0:
        return 0.0, "no explanation"
    if 12 <= words <= 90 and 1 <= count <= 3:
        return 1.0, f"{count} sentence{'s' if count != 1 else ''}, {words} words: clear and concise"
    if words < 12:
        return 0.4, f"{words} words: too short to say why it broke"
    return 0.6, f"{count} sentences, {words} words: longer than an interviewer wants"


def read_file(kata: Kata) -> Statement | None:
    path = kata.workspace / FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = [line.strip() for line in text.splitlines()]
    category, rest = "", []
    for line in lines:
        match = re.fullmatch(r"(?i)(category|class)\s*:\s*([a-z-]+)", line)
        if match and not category:
            category = match[2].lower()
        elif line:
            rest.append(line)
    notes = [] if category in CAUSES or not category else [f"unknown class {category!r}"]
    return Statement(category if category in CAUSES else "", " ".join(rest), FILE, notes)


def ask(kata: Kata) -> Statement:
    """Prompt for the class and the explanation; Ctrl-D or an empty answer skips."""
    say(style("\nBefore the report: what was the root cause?", "bold"))
    names = list(CAUSES)
    for number, name in enumerate(names, 1):
        say(f"  {number}. {name:<11} {CAUSES[name]}")
    try:
        answer = input("Bug class (number or name): ").strip().lower()
        chosen = names[int(answer) - 1] if answer.isdigit() and 0 < int(answer) <= 8 else answer
        explanation = input("Why did it break, in one to three sentences? ").strip()
    except (EOFError, KeyboardInterrupt):
        say()
        return Statement(notes=["skipped at the prompt"])
    return Statement(chosen if chosen in CAUSES else "", explanation, "prompt")


def gather(kata: Kata) -> Statement:
    """The learner's statement: from the file if there is one, else a prompt on a terminal."""
    found = read_file(kata)
    if found is not None and (found.category or found.explanation):
        return found
    if sys.stdin.isatty():
        return ask(kata)
    return Statement(notes=[f"no {FILE} in {kata.workspace.name}/ and no terminal to ask at"])


def candidates() -> list[str]:
    return list(catalog.CATEGORIES)
