"""What a learner reads about one generated variant: its brief, hints, explanation and difficulty.

Every text speaks of *this* change, measured by running it: the brief shows the variant's own
symptom (its failing tests' messages and what the kata's own run reports); the hints start from
that symptom ("which figure is wrong? which function computes it?"), then name the function, and
only the last names the bug class; the explanation says what the change did (function, line,
which figure moved from what to what) before the class's lesson. The difficulty is measured from
what a learner meets, on the scale of the README: 1, a traceback points at the changed line;
2, the changed function is named, or the wrong figure is named after it, or a message states the
condition (a name or a number on the changed line); 3, the kata's own run shows the symptom but
nothing names the function, or the kata's own run looks right and only the conditions the failing
tests set up show it (each failing test states its condition, so no generated variant is a 4).
"""

from __future__ import annotations

import difflib
import re
import textwrap

from tools.core.catalog import Kata
from tools.core.collector import Report
from tools.mutation import measure
from tools.mutation.bugclasses import CLASSES, giveaways
from tools.mutation.measure import Change
from tools.mutation.model import Mutant
from tools.mutation.plausible import changed_code, prose_lines

MINUTES = (5, 10, 15, 20, 25)
WHERE = re.compile(r"([\w.-]+):(\d+) in (\S+)$")
ACRONYMS = {"mae", "mse", "rmse", "auc", "r2", "f1", "roc", "knn", "pca", "id"}


def scenario(kata: Kata) -> str:
    """The kata brief's setting: what the pipeline is for, up to the first sentence that reports
    a measured number (those numbers are the original bug's, not the variant's)."""
    text = kata.brief.read_text(encoding="utf-8").split("\n## ", 1)[0]
    paragraphs = [
        " ".join(p.split())
        for p in re.split(r"\n\s*\n", text)
        if p.strip() and not p.lstrip().startswith(("#", "**"))
    ]
    paragraphs = [p for p in paragraphs if "boss kata" not in p.lower() and "--interview" not in p]
    kept: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(paragraphs)):
        if re.search(r"\d\.\d|\d ?%", sentence) and kept:
            break
        kept.append(sentence)
    return textwrap.fill(" ".join(kept), width=96)


def subject(kata: Kata) -> str:
    """Who runs the pipeline and for what: the scenario's first clause, at most 90 characters."""
    first = re.split(r"(?<=[.!?])\s+", " ".join(scenario(kata).split()), maxsplit=1)[0]
    first = " ".join(first.rstrip(".").replace("*", "").replace("`", "").split())
    marks = (": ", "; ", " (", " — ", ", ", " and ", " that ", " with ", " by ", " from ", " of ")
    for mark in marks:
        if len(first) <= 90:
            break
        first = first.split(mark, 1)[0]
        if mark == ", ":  # "classifies glyphs as a bar, a column or ...": the list's start goes
            first = re.sub(r" (as|into) [^,]*$", "", first)
    return first if first and len(first) <= 90 else f"A {kata.family} pipeline"


def figure(name: str) -> str:
    """A figure's name in words: ``test_rmse`` -> "test RMSE", ``mae_by_region.east`` -> "MAE by
    region (east)"."""
    parts = [re.sub(r"\[-?\d+\]", "", part) for part in name.split(".")]
    words = [
        " ".join(w.upper() if w.lower() in ACRONYMS else w for w in re.split(r"[_\s]+", p) if w)
        for p in parts[-2:]
    ]
    words = [w for w in words if w]
    if len(words) == 2:
        return f"{words[0]} ({words[1]})"
    return words[0] if words else "the result"


def _error(text: str) -> str:
    """``ValueError`` from ``ValueError: shapes (3,) and (4,) not aligned (pipeline.py:64 in f)``."""
    return text.split(":", 1)[0].split(" (", 1)[0].strip() or "an error"


def plain_symptom(report: Report | None, change: Change | None, key: str = "") -> str:
    """What a learner sees first, in a few plain words: no arrays, no cause, no condition, and
    no figure whose name gives the class ``key`` away (a macro F1 of an averaging bug)."""
    if change is not None and change.ran and change.crashed:
        return f"the run stops with a {_error(change.crashed)}"
    if change is not None and change.ran and change.visible and change.moved:
        words = giveaways(key) if key in CLASSES else ()
        honest = [m for m in change.moved if not any(w in figure(m[0]).lower() for w in words)]
        shown = [(n, b, a) for n, b, a in honest if not a.startswith("[")]
        if not honest:
            return "a reported figure moves"
        name, before, after = (shown or honest)[0]
        if not after.startswith("["):
            return f"{figure(name)} is {after} instead of {before}"
        broken = re.search(r"\b(nan|inf)\b", after)
        return f"{figure(name)} {'holds ' + broken[1] if broken else 'changes'}"
    if change is not None and change.ran and change.warned:
        return f"the run prints a {_error(change.warned[0])}"
    count = len(report.failures) if report is not None else 0
    tests = f"{count} tests fail" if count != 1 else "1 test fails"
    tests = tests if count else "its tests fail"
    if change is not None and change.ran:
        return f"{tests} though its own run looks right"
    return tests


def variant_title(kata: Kata, report: Report | None, change: Change | None, key: str = "") -> str:
    """The scenario and what running the variant shows, in plain words; never its class."""
    return f"{subject(kata)}: {plain_symptom(report, change, key)}"


def observed(report: Report | None) -> str:
    """What the variant's tests report: each failing test and the start of its message."""
    if report is None:
        return ""
    lines = []
    for outcome in sorted(report.failures, key=lambda o: o.test)[:4]:
        message = " ".join(outcome.message.split())
        if len(message) > 400:
            message = message[:400].rsplit(" ", 1)[0] + " …"
        lines.append(f"- `{outcome.test.split('::')[-1]}`: {message}")
    more = len(report.failures) - len(lines)
    if more > 0:
        lines.append(f"- and {more} more failing test{'s' if more != 1 else ''}")
    return "\n".join(lines)


def changed_line(before: str, after: str) -> tuple[int, int, str, str]:
    """(line in ``before``, line in ``after``, old code, new code) of the first changed line of
    code (comments and docstrings, which a change may trim with it, are not code)."""
    a, b = before.splitlines(), after.splitlines()
    prose_a, prose_b = prose_lines(before), prose_lines(after)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old = [i for i in range(i1, i2) if i + 1 not in prose_a]
        new = [j for j in range(j1, j2) if j + 1 not in prose_b]
        if tag != "equal" and (old or new):
            return (
                old[0] + 1 if old else i1 + 1,
                new[0] + 1 if new else j1 + 1,
                a[old[0]].strip() if old else "",
                b[new[0]].strip() if new else "",
            )
    return 0, 0, "", ""


def short(name: str) -> str:
    """``fit`` for ``StandardScaler.fit``: the name a traceback shows."""
    return name.rsplit(".", 1)[-1]


def difficulty(
    mutant: Mutant, after_line: int, report: Report | None, change: Change | None
) -> tuple[int, str]:
    """The variant's difficulty, measured from what a learner meets, and the evidence for it."""
    failures = report.failures if report is not None else []
    function = short(mutant.function)
    places = [m.groups() for o in failures if (m := WHERE.search(o.where or ""))]
    if any(file == mutant.file and int(line) == after_line for file, line, _ in places):
        return 1, "a failing test's traceback points at the changed line"
    if any(name == function for _, _, name in places):
        return 2, f"a failing test's traceback ends in `{function}`, the changed function"
    named = re.compile(rf"(?<![A-Za-z0-9]){re.escape(function)}(?![A-Za-z0-9])")  # train_rmse
    if any(named.search(o.message) for o in failures):
        return 2, f"a failing message names `{function}`, the changed function"
    if said := _said_of_changed_line(mutant, after_line, failures):
        return 2, f"a failing message names `{said}`, which the changed line uses"
    if change is not None and change.crashed and f" in {function})" in change.crashed:
        return 2, f"the kata's own run stops inside `{function}`, the changed function"
    named = [f for f, _, _ in (change.moved if change else ()) if _names_each_other(f, function)]
    if named and change is not None and change.visible:
        return 2, f"the wrong figure (`{named[0]}`) is computed by `{function}` itself"
    if change is None or not change.ran:
        if len(failures) >= 3:
            return 3, f"{len(failures)} tests fail; nothing names the changed function"
        # a generated variant's failing tests each state the condition that shows it: three audits
        # of 30 found every variant labelled 4 this way to be a 1-2 for the learner
        return 3, "only a few tests, each setting up its own condition, fail"
    if change.visible:
        return 3, "the kata's own run shows the symptom, but nothing names the changed function"
    return 3, "the kata's own run looks right: only the conditions the failing tests set up show it"


# Names too common to lead a learner anywhere when a message uses them.
PLAIN_WORDS = {"self", "axis", "return", "float", "range", "mean", "shape", "dtype", "true"}


def _said_of_changed_line(mutant: Mutant, after_line: int, failures: list) -> str:
    """A name (or a number of two digits or more) on the changed line that a failing message
    states: the message then says which condition breaks, and one function is left to read."""
    lines = mutant.code.splitlines()
    if not 0 < after_line <= len(lines):
        return ""
    code = lines[after_line - 1].split("#", 1)[0]
    names = {w for w in re.findall(r"[A-Za-z_]\w{3,}", code) if w.lower() not in PLAIN_WORDS}
    for constant in re.findall(r"\b[A-Z][A-Z0-9_]+\b", code):  # a module constant's value
        if value := re.search(rf"^{constant}\s*=\s*([\d.]+)\s*(?:#.*)?$", mutant.code, re.M):
            code += f" {value[1]}"
    numbers = re.findall(r"(?<![\w.])\d{2,}(?:\.\d+)?(?![\w.])", code)
    names |= {f"{float(n):g}" for n in numbers} | set(numbers)  # 90.0 is said as 90
    for name in sorted(names):
        word = re.compile(rf"(?<![A-Za-z0-9_.]){re.escape(name)}(?![A-Za-z0-9_])")
        if name.isalpha():  # a plain word ("order", "tree") counts only where it reads as code
            word = re.compile(rf"`{name}`|'{name}'|(?<![A-Za-z0-9_.]){name}(?=[(\[.=])")
        if any(word.search(o.message or "") for o in failures):
            return name
    return ""


def _names_each_other(figure: str, function: str) -> bool:
    words = {w for w in re.split(r"[\W_]+", figure.lower()) if len(w) > 1} - {"test", "train"}
    parts = {w for w in re.split(r"[\W_]+", function.lower()) if len(w) > 1} - {"score", "compute"}
    return bool(words & parts)


def _figures(change: Change, limit: int = 2) -> str:
    moved = [
        f"`{name}` is {after} where a correct pipeline gives {before}"
        for name, before, after in change.moved[:limit]
    ]
    return " and ".join(moved)


def _warning(text: str) -> str:
    return re.sub(r" \([\w.-]+:\d+\)$", "", text)


def symptom(change: Change | None) -> str:
    """One sentence of what the kata's own run shows ("" if nothing is known or visible)."""
    if change is None or not change.ran:
        return ""
    if change.crashed:
        error = re.sub(r" \([^()]*\)$", "", change.crashed)
        return f"Run on its own data, `{change.call}` stops with `{error}`."
    parts = [_figures(change)] if change.moved and change.visible else []
    parts += [f"it warns `{_warning(change.warned[0])}`"] if change.warned else []
    return f"Run on its own data (`{change.call}`), {' and '.join(parts)}." if parts else ""


def hints(mutant: Mutant, report: Report | None, change: Change | None) -> list[str]:
    """Three hints: from the symptom, to the function, to the bug class (only the last names it)."""
    bug = CLASSES[mutant.bug_class]
    failing = sorted(o.test.split("::")[-1] for o in (report.failures if report else []))
    first_test = f"`{failing[0]}`" if failing else "the first failing test"
    seen = symptom(change)
    if seen and change is not None and change.crashed:
        first = f"{seen} Which value is already wrong when it fails, and which function made it?"
    elif seen:
        first = f"Which figure is wrong? {seen} Which function computes it?"
    elif change is not None and change.ran:
        first = (
            f"The pipeline's own run looks normal; {first_test} sets up the condition that shows "
            "the problem. Which figure does it find wrong, and which function computes it?"
        )
    else:  # nothing is known of the pipeline's own run: say nothing about it
        first = (
            f"Start from {first_test}: which figure or error does it report, and which function "
            "computes it?"
        )
    second = (
        f"Look at `{mutant.function}` in `{mutant.file}`. Call it on a tiny input (two or three "
        "rows) and compare each intermediate value with what you work out by hand."
    )
    if short(mutant.function) == measure.ENTRY:  # the whole job: read it, figure by figure
        second = (
            f"Look at `{mutant.function}` in `{mutant.file}` itself, line by line: for each "
            "figure it reports, check the rows and the values it is computed from."
        )
    last = f"This is {bug.title}: {bug.technique}"
    return [first, second, last[0].upper() + last[1:]]


def explanation(mutant: Mutant, before: str, report: Report | None, change: Change | None) -> str:
    """What this change did, measured, then the lesson of its class."""
    line, _, old, new = changed_line(before, mutant.code)
    removed, added = changed_code(before, mutant.code)
    more = max(len(removed), len(added)) - 1
    rest = f" (and {more} more line{'s' if more > 1 else ''} with it)" if more > 0 else ""
    did = f"In `{mutant.function}` ({mutant.file}, line {line}) `{old}` became `{new}`{rest}."
    if change is not None and change.ran and change.crashed:
        effect = f"Run on its own data, `{change.call}` now stops with `{change.crashed}`."
    elif change is not None and change.ran and change.moved and change.visible:
        moved = "; ".join(f"`{n}` went from {b} to {a}" for n, b, a in change.moved[:3])
        effect = f"Run on its own data (`{change.call}`): {moved}."
        effect += f" It also warns `{_warning(change.warned[0])}`." if change.warned else ""
    elif change is not None and change.ran:
        nothing = "nothing it reports moves" if not change.moved else "its figures barely move"
        effect = (
            f"Run on its own data, {nothing}: only the conditions of the failing tests show it."
        )
    else:
        effect = ""
    failing = sorted(o.test.split("::")[-1] for o in (report.failures if report else []))
    caught = (
        f" The tests that catch it: {', '.join(f'`{t}`' for t in failing[:4])}." if failing else ""
    )
    lesson = CLASSES[mutant.bug_class].lesson
    return (
        " ".join(part for part in (did, effect) if part) + caught + f"\n\nWhy it matters: {lesson}"
    )


def brief(kata: Kata, title: str, level: int, report: Report | None, seen: str = "") -> str:
    """The variant's brief as written: its title, the kata's scenario, then what running this
    variant shows. What to deliver names the learner's workspace, so the tools add it when they
    hand the variant out (:func:`tools.core.briefs.variant_brief`)."""
    count = len(report.failures) if report is not None else 0
    shown = f"{seen}\n\n" if seen else ""
    return (
        f"# {title}\n\n"
        f"**Family:** {kata.family} · **Difficulty:** {level}/5 · "
        f"**Budget:** {MINUTES[level - 1]} minutes\n\n"
        f"{scenario(kata).strip()}\n\n"
        "## What was observed\n\n"
        f"{shown}Running the tests, {count} fail{'s' if count == 1 else ''}:\n\n{observed(report)}\n"
    )


def learner_texts(
    kata: Kata,
    mutant: Mutant,
    before: str,
    report: Report | None,
    change: Change | None,
) -> dict:
    """The fields of variant.toml a learner reads, for one variant whose class is known."""
    bug = CLASSES[mutant.bug_class]
    _, after_line, _, _ = changed_line(before, mutant.code)
    level, evidence = difficulty(mutant, after_line, report, change)
    title = variant_title(kata, report, change, bug.key)
    return {
        "bug_class": bug.key,
        "category": bug.category,
        "difficulty": level,
        "difficulty_evidence": evidence,
        "title": title,
        "concepts": list(bug.concepts),
        "hints": hints(mutant, report, change),
        "explanation": explanation(mutant, before, report, change),
        "brief": brief(kata, title, level, report, symptom(change)),
    }
