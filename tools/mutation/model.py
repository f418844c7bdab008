"""The mutant model: one mutant whichever generator made it, its verdict, its description, and triage."""

from __future__ import annotations

import ast
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from tools.core.catalog import Kata
from tools.core.collector import BEHAVIOURAL, Report
from tools.mutation import operators, plausible
from tools.mutation.bugclasses import CLASSES

GENERATED = ("mutmut", "ml")

RECORD = ("id", "source", "operator", "category", "function", "file", "line", "status")
RECORD += ("mutmut_status", "same_as", "failing", "reasons", "bug_class")

# Builds the kata's data. Not load_/read_: those parse and clean what a kata hands out (its data
# files, a raw export), pipeline code whose mutants count and may become variants.
SCENERY = re.compile(r"(^|\.)(make|generate|simulate|synthetic)_?")


@dataclass(frozen=True)
class Settings:
    """What one campaign is asked to do: the command line's options, typed."""

    count: int = 5  # variants per kata
    seed: int = 0  # orders equally plausible mutants
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    no_write: bool = False  # report only
    prune: bool = False  # remove earlier generated variants this campaign did not choose
    operator: tuple[str, ...] | None = None  # only these ML operators
    mutmut_only: bool = False
    keep_sandbox: bool = False
    compare_plain: bool = False  # also time a plain mutmut run
    scenery: bool = False  # also run the mutants of the code that makes the kata's data

    @classmethod
    def from_args(cls, args: object) -> Settings:
        names = cls.__dataclass_fields__
        given = {name: getattr(args, name) for name in names if hasattr(args, name)}
        if given.get("operator") is not None:
            given["operator"] = tuple(given["operator"])
        return cls(**given)


@dataclass
class Mutant:
    """One mutant of a kata, whichever generator made it, and what the tests made of it."""

    id: str
    source: str  # "mutmut" | "ml"
    operator: str  # mutmut's mutant name, or our operator's name
    category: str  # the bug class our operator plants ("" for test strength only), or "mutmut"
    function: str
    file: str
    code: str  # the whole mutated file
    summary: str = ""  # our operator's one-line docstring
    line: int = 0
    status: str = ""  # killed crashed timeout survived ignored duplicate no-tests scenery
    mutmut_status: str = ""
    same_as: str = ""  # for a duplicate: the mutant that stands for it
    natural: bool = True  # False for mutmut's tell-tale ``None`` arguments and ``XX`` strings
    bug_class: str = ""  # tools.bugclasses key; "" for a change no learner should be handed
    recorded: bool = True  # False if mutmut ran it but the probe has no report of each test
    failing: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    def settle(self, report: Report | None) -> None:
        self.status = verdict(report)
        if report is not None:
            self.failing = report.failing_tests
            self.reasons = {o.test: o.reason for o in report.failures}


def verdict(report: Report | None) -> str:
    """killed (every failure an assertion or a numerical error), crashed, timeout or survived."""
    if report is None:
        return "timeout"
    if not report.failures:
        return "survived" if report.exit_code == 0 else "crashed"
    if any(o.reason == "timeout" for o in report.failures):
        return "timeout"
    return "killed" if all(o.reason in BEHAVIOURAL for o in report.failures) else "crashed"


def _name(kata: Kata, file: str, function: str) -> str:
    prefix = f"{Path(file).stem}-" if len(kata.files) > 1 else ""
    return prefix + re.sub(r"[^a-z0-9]+", "-", function.lower()).strip("-")


def from_operators(kata: Kata, fixed: dict[str, str], only: list[str] | None) -> list[Mutant]:
    """Our operators' mutants, named ``ml-<operator>-<function>`` (``-2``, ``-3``: more sites)."""
    found, seen = [], {}
    for name in kata.files:
        for m in operators.mutations(fixed[name], only):
            base = f"ml-{m.operator}-{_name(kata, name, m.function)}"
            seen[base] = seen.get(base, 0) + 1
            ident = base if seen[base] == 1 else f"{base}-{seen[base]}"
            found.append(
                Mutant(ident, "ml", m.operator, m.category, m.function, name, m.code, m.summary)
            )
    return found


def describe(mutant: Mutant, before: str) -> str:
    """One line for instructors: the kind of bug, where it is, and the changed code."""
    a, b = before.splitlines(), mutant.code.splitlines()
    blocks = [op for op in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()]
    blocks = [op for op in blocks if op[0] != "equal"]
    removed = [a[i].strip() for _, i1, i2, _, _ in blocks for i in range(i1, i2)]
    added = [b[j].strip() for _, _, _, j1, j2 in blocks for j in range(j1, j2)]
    mutant.line = blocks[0][1] + 1 if blocks else 0
    tell_tale = re.compile(r"\bNone\b|XX")
    mutant.natural = not any(tell_tale.search(x) for x in added) or any(
        tell_tale.search(x) for x in removed
    )
    code_removed, code_added = plausible.changed_code(before, mutant.code)  # not docstrings
    old = next(iter(code_removed), "")
    new = next(iter(code_added), "")
    given = mutant.category if mutant.source == "ml" else ""
    mutant.bug_class = plausible.classify(
        mutant.source, mutant.operator, given, mutant.function, before, mutant.code
    )
    more = max(len(code_removed), len(code_added)) - 1
    change = f"`{old}` -> `{new}`" + (f" (and {more} more lines)" if more > 0 else "")
    where = f"{mutant.function}, line {mutant.line}: {change}"
    if not mutant.summary:
        return where
    what = mutant.summary.split(" (")[0].rstrip(".")
    if mutant.bug_class in CLASSES:  # named by the class it plants here, not the operator's family
        title = CLASSES[mutant.bug_class].title
        # The operator's own words only where they hold: drop-abs in an MAE is no "exp" story.
        said = f": {what.split(': ', 1)[-1]}" if mutant.bug_class == given else ""
        what = f"{title[0].upper()}{title[1:]}{said}"
    return f"{what}; {where}"


def changed_lines(before: str, after: str) -> set[int]:
    """The lines of ``before`` that ``after`` changes (for a pure insertion, the lines around it)."""
    a, b = before.splitlines(), after.splitlines()
    touched: set[int] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            touched.update(range(i1 + 1, i2 + 1) if i2 > i1 else (i1, i1 + 1))
    return touched


def unified(kata: Kata, fixed: dict[str, str], mutant: Mutant) -> str:
    """The unified diff fixed -> variant."""
    old, new = fixed[mutant.file].splitlines(True), mutant.code.splitlines(True)
    to = f"broken/{kata.slug}/variants/{mutant.id}/{mutant.file}"
    return "".join(difflib.unified_diff(old, new, f"fixed/{kata.slug}/{mutant.file}", to))


class _Messages(ast.NodeTransformer):
    """Drops docstrings and what raise, assert and ``warn(...)`` say, keeping what they do."""

    def visit_Raise(self, node: ast.Raise) -> ast.AST:
        if isinstance(node.exc, ast.Call):  # raise ValueError(message): only the type matters
            node.exc.args, node.exc.keywords = [], []
        return node

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        node.msg = None
        return self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Attribute) and node.func.attr == "warn":
            node.args, node.keywords = [], []
        return self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
        return None if isinstance(node.value, ast.Constant) else self.generic_visit(node)


def _shape(code: str, blank_messages: bool = False) -> str:
    tree = ast.parse(code)
    return ast.dump(_Messages().visit(tree) if blank_messages else tree)


def triage(mutants: list[Mutant], fixed: dict[str, str]) -> None:
    """Set aside mutants that change only docstrings or messages, and every duplicate but one."""
    blank = {name: _shape(text, True) for name, text in fixed.items()}
    first: dict[tuple[str, str], Mutant] = {}
    for mutant in sorted(mutants, key=lambda m: m.source != "ml"):  # our operators' names say more
        if _shape(mutant.code, True) == blank[mutant.file]:
            mutant.status = "ignored"
            continue
        kept = first.setdefault((mutant.file, _shape(mutant.code)), mutant)
        if kept is not mutant:
            if not kept.status and mutant.status not in ("", "no-tests"):
                kept.status, kept.failing, kept.reasons = (
                    mutant.status,
                    mutant.failing,
                    mutant.reasons,
                )
            mutant.status, mutant.same_as = "duplicate", kept.id
