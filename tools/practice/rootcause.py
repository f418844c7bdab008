"""The learner's root cause, said in words: the bug class(es) and a short explanation, and their scores.

Interviewers weigh *why* it broke as much as the fix: ML understanding (25 %) and communication
(10 %) of the rubric rest on this. The statement comes from a prompt when standard input is a
terminal, or from ``katas/<name>/root-cause.txt`` (first line ``category: <class>[, <class>…]``,
then one to three sentences per problem), so scripted and editor-driven runs need no prompt.

Concepts are matched by meaning, not spelling: both texts are lowercased, stripped of punctuation
and symbols, hyphens, underscores and slashes read as spaces, words reduced to a simple stem
(``broadcasting`` = ``broadcast``), joined words equal their parts (``logsumexp`` = ``log sum
exp``), a few standard equivalences apply (``log loss`` = ``cross-entropy``), and each concept may
have aliases in its kata.toml (``[concept_aliases]``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tools.core import catalog
from tools.core.term import say, style

FILE = "root-cause.txt"
LONGEST = 20_000  # bytes of root-cause.txt read: three sentences need far fewer
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
# Everyday names of the classes; each reads as the catalog's class it stands for.
CLASS_NAMES = {
    "leak": "leakage", "leaks": "leakage", "data-leakage": "leakage",
    "shapes": "shape", "broadcast": "shape", "broadcasting": "shape", "axis": "shape",
    "gradients": "gradient", "backprop": "gradient", "backpropagation": "gradient",
    "numeric": "numerics", "numerical": "numerics", "overflow": "numerics",
    "underflow": "numerics", "stability": "numerics", "precision": "numerics",
    "metric": "metrics", "pandas": "data", "evaluations": "evaluation", "eval": "evaluation",
    "validation": "evaluation", "algorithms": "algorithm", "logic": "algorithm",
}  # fmt: skip
STOPWORDS = {
    "the", "a", "an", "in", "on", "of", "to", "for", "and", "or", "is", "are", "was", "were",
    "be", "by", "with", "from", "that", "this", "into", "only", "each", "than", "over", "its",
    "it", "as", "at", "row", "must", "should", "when", "which", "their", "them", "then",
}  # fmt: skip
# Wordings that mean the same thing in ML writing (both directions).
EQUIVALENT = (
    ("log loss", "cross entropy"),
    ("logloss", "cross entropy"),
    ("negative log likelihood", "cross entropy"),
    ("grid", "matrix"),
    ("test set", "held out"),
    ("test row", "held out"),
    ("holdout", "held out"),
    ("validation set", "held out"),
    ("train row", "training"),
    ("scaler", "standardisation"),
    ("standardise", "scale"),
    ("subtract the max", "shift"),
    ("nan", "not a number"),
    ("finite difference", "numerical gradient"),
    ("gradient check", "finite difference"),
)
IRREGULAR = {"matrices": "matrix", "indices": "index", "axes": "axis", "vertices": "vertex"}
SUFFIXES = (
    ("isations", ""), ("isation", ""), ("ations", ""), ("ation", ""), ("ising", ""),
    ("ised", ""), ("ises", ""), ("ise", ""), ("ings", ""), ("ing", ""), ("ions", ""),
    ("ion", ""), ("ies", "y"), ("ied", "y"), ("age", ""), ("es", ""), ("ed", ""), ("ly", ""),
    ("s", ""), ("e", ""),
)  # fmt: skip


@dataclass
class Statement:
    """What the learner said the bug was."""

    classes: tuple[str, ...] | str = ()
    explanation: str = ""
    source: str = ""  # "prompt" | the file's name | "" when none was given
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.classes, str):
            self.classes = tuple(c for c in re.split(r"[\s,/;+&]+|\band\b", self.classes) if c)

    @property
    def category(self) -> str:
        return ", ".join(self.classes)

    def to_dict(self) -> dict:
        return asdict(self)


# -- normalised text ---------------------------------------------------------------------------


def stem(word: str) -> str:
    """A light stem: enough for inflections (``leaked`` = ``leak``), not a linguist's."""
    word = IRREGULAR.get(word, word).replace("iz", "is")
    for suffix, replacement in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word[-2] in "siua":  # loss, axis, focus, bias
                continue
            word = word[: len(word) - len(suffix)] + replacement
            if suffix in ("ing", "ed", "ings") and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]  # fitting, fitted -> fit
            return word
    return word


def tokens(text: str) -> list[str]:
    """Lowercased stems; hyphens, underscores, slashes and symbols count as spaces."""
    text = text.lower().replace("×", " x ")
    return [stem(w) for w in re.findall(r"[a-z]+|\d+(?:\.\d+)?", re.sub(r"[_\-/]", " ", text))]


def _vocabulary(text: str) -> set[str]:
    """Every stem of ``text``, the joined forms of neighbouring stems, and their equivalents."""
    words = tokens(text)
    said = " " + " ".join(words) + " "
    for one, other in EQUIVALENT:
        a, b = " ".join(tokens(one)), " ".join(tokens(other))
        if f" {a} " in said:
            words += b.split()
        if f" {b} " in said:
            words += a.split()
    found = set(words)
    for size in (2, 3):
        found |= {"".join(words[i : i + size]) for i in range(len(words) - size + 1)}
    return found


def _content(phrase: str) -> list[str]:
    words = tokens(phrase)
    content = [w for w in words if w not in STOPWORDS and (len(w) >= 3 or w.isdigit())]
    return content or words


def coverage(phrase: str, vocabulary: set[str]) -> float:
    """The share of the phrase's content words that the text says (joined runs count too)."""
    words = _content(phrase)
    if not words:
        return 0.0
    matched, i = 0, 0
    while i < len(words):
        for size in range(min(3, len(words) - i), 0, -1):
            if "".join(words[i : i + size]) in vocabulary:
                matched += size
                i += size
                break
        else:
            i += 1
    return matched / len(words)


def concepts_found(
    concepts: tuple[str, ...] | list[str],
    explanation: str,
    aliases: dict[str, tuple[str, ...]] | None = None,
) -> list[str]:
    """The key concepts the explanation states: most of a wording of the concept (each side of a
    ``/`` counts alone), or all of one of its aliases."""
    vocabulary = _vocabulary(explanation)
    found = []
    for concept in concepts:
        wordings = [w for w in re.split(r"\s/\s|\bor\b", concept) if w.strip()]
        if any(coverage(w, vocabulary) >= 0.6 for w in wordings) or any(
            coverage(alias, vocabulary) == 1.0 for alias in (aliases or {}).get(concept, ())
        ):
            found.append(concept)
    return found


def sentences(text: str) -> int:
    return len([s for s in re.split(r"[.!?]+(?:\s|$)", text.strip()) if s.strip()])


# -- the two rubric parts it scores -----------------------------------------------------------


def needed(count: int) -> int:
    """How many of ``count`` key concepts earn full credit: about three in four."""
    return max(1, int(0.75 * count + 0.5)) if count else 0


def understanding(
    statement: Statement,
    classes: tuple[str, ...] | str,
    concepts: tuple[str, ...],
    aliases: dict[str, tuple[str, ...]] | None = None,
    reveal: bool = True,
) -> tuple[float, str]:
    """ML understanding, 0..1: a right class (0.4) and the exercise's key concepts (0.6).

    Any of the exercise's classes earns the class credit; naming more classes than it has
    shares that credit out (a list of every class is not an answer). Without ``reveal`` (a
    blind exercise not yet solved) the basis names neither the classes nor the concepts."""
    classes = (classes,) if isinstance(classes, str) else tuple(classes)
    if not statement.explanation and not statement.classes:
        return 0.0, f"no root cause given (write katas/<name>/{FILE} or answer the prompt)"
    named = tuple(dict.fromkeys(statement.classes))
    right = [c for c in named if c in classes]
    class_credit = (1.0 if right else 0.0) * min(1.0, max(1, len(classes)) / max(1, len(named)))
    found = concepts_found(concepts, statement.explanation, aliases)
    share = min(1.0, len(found) / needed(len(concepts))) if concepts else 1.0
    if right:
        verdict = "right" if class_credit == 1 else f"right among {len(named)} named"
    else:
        verdict = f"{', '.join(named) or 'none'}" + (
            f" (it was {' or '.join(classes)})" if reveal else ", not right"
        )
    basis = f"class {verdict}; {len(found)} of {len(concepts)} key concepts named" + (
        f" ({', '.join(found)})" if found and reveal else ""
    )
    return 0.4 * class_credit + 0.6 * share, basis


def communication(statement: Statement, problems: int = 1) -> tuple[float, str]:
    """Communication, 0..1: a clear, concise explanation, about three sentences per problem."""
    problems = max(1, problems)
    most_words, most_sentences = 90 + 60 * (problems - 1), 3 + 2 * (problems - 1)
    words, count = (
        len(re.findall(r"[a-z0-9]+", statement.explanation.lower())),
        sentences(statement.explanation),
    )
    if words == 0:
        return 0.0, "no explanation"
    plural = "s" if count != 1 else ""
    if 12 <= words <= most_words and 1 <= count <= most_sentences:
        return 1.0, f"{count} sentence{plural}, {words} words: clear and concise"
    if words < 12:
        return 0.4, f"{words} words: too short to say why it broke"
    return 0.6, (
        f"{count} sentence{plural}, {words} words: longer than an interviewer wants "
        f"(at most {most_sentences} sentences and {most_words} words"
        + (f" for {problems} problems)" if problems > 1 else ")")
    )


# -- reading it ------------------------------------------------------------------------------------


def parse_classes(text: str) -> tuple[tuple[str, ...], list[str]]:
    """The valid classes named in ``text`` (everyday names mapped), and the unknown names."""
    known, unknown = [], []
    for word in re.split(r"[\s,/;+&]+|\band\b", text.strip().lower()):
        word = word.strip(".:")
        if not word:
            continue
        name = word if word in CAUSES else CLASS_NAMES.get(word)
        if name:
            known.append(name)
        else:
            unknown.append(word)
    return tuple(dict.fromkeys(known)), unknown


def warn_unknown(unknown: list[str]) -> str:
    """The one-line warning for class names that are not classes."""
    names = ", ".join(repr(u) for u in unknown)
    return f"unknown bug class {names}; the classes are: {', '.join(CAUSES)}"


def read_file(workspace: Path) -> Statement | None:
    path = workspace / FILE
    try:
        with path.open("rb") as handle:
            data = handle.read(LONGEST + 1)
    except OSError:
        return None
    text, said = data[:LONGEST].decode("utf-8", "replace"), []
    if len(data) > LONGEST:
        said.append(f"{FILE} is longer than {LONGEST // 1000} kB: only its start was read")
    if "\ufffd" in text:
        said.append(f"{FILE} is not UTF-8 text: unreadable bytes were replaced")
    for note in said:
        print(f"warning: {note}", file=sys.stderr)
    classes, unknown, rest = (), [], []
    for line in (line.strip() for line in text.splitlines()):
        match = re.fullmatch(r"(?i)(?:category|categories|class|classes)\s*:\s*(.*)", line)
        if match and not classes and not unknown:
            classes, unknown = parse_classes(match[1])
        elif line:
            rest.append(line)
    notes = [warn_unknown(unknown)] if unknown else []
    if unknown:
        print(f"warning: {FILE}: {notes[0]}", file=sys.stderr)
    return Statement(classes, " ".join(rest), FILE, said + notes)


def ask() -> Statement:
    """Prompt for the class(es) and the explanation; Ctrl-D or an empty answer skips."""
    say(style("\nBefore the report: what was the root cause?", "bold"))
    names = list(CAUSES)
    for number, name in enumerate(names, 1):
        say(f"  {number}. {name:<11} {CAUSES[name]}")
    try:
        answer = input("Bug class (numbers or names, several allowed): ").strip().lower()
        answer = " ".join(
            names[int(w) - 1] if w.isdigit() and 0 < int(w) <= len(names) else w
            for w in re.split(r"[\s,]+", answer)
        )
        classes, unknown = parse_classes(answer)
        if unknown:
            say(style(f"  {warn_unknown(unknown)}", "yellow"))
        explanation = input("Why did it break, in one to three sentences per problem? ").strip()
    except (EOFError, KeyboardInterrupt):
        say()
        return Statement(notes=["skipped at the prompt"])
    return Statement(classes, explanation, "prompt", [warn_unknown(unknown)] if unknown else [])


def gather(workspace: Path) -> Statement:
    """The learner's statement: from the file if there is one, else a prompt on a terminal."""
    found = read_file(workspace)
    if found is not None and (found.classes or found.explanation):
        return found
    if sys.stdin.isatty():
        return ask()
    return Statement(notes=[f"no {FILE} in {workspace.name}/ and no terminal to ask at"])


def candidates() -> list[str]:
    return list(catalog.CATEGORIES)
