"""``nox -s mutate -- <slug>``: bug variants from mutmut and ML-aware operators, and test strength.

A campaign copies a kata's fixed files and tests into a sandbox (:mod:`tools.sandbox`), runs
mutmut there with every test against every mutant, adds the mutants of :mod:`tools.operators`,
keeps those the tests catch for a behavioural reason, ranks them by subtlety, runs the chosen
ones exactly as the self-check will, and installs them in ``broken/<slug>/variants/<id>/``. The
test-strength reports go to ``build/mutation/`` (:mod:`tools.strength`). Nothing else is written.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import hashlib
import importlib.util
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from tools import (
    EXIT_FAILED,
    EXIT_OK,
    ROOT,
    UserError,
    bugclasses,
    catalog,
    runner,
    sandbox,
    strength,
)
from tools.catalog import Kata
from tools.collector import BEHAVIOURAL, Report
from tools.term import error, say
from tools.variants import MANIFEST, read_variant, variant_dirs
from tools.workspace import display

try:
    import tomli_w

    from tools import operators
except ModuleNotFoundError:  # libcst (with mutmut) and tomli-w: the instructor's dependencies
    operators = tomli_w = None

__all__ = ["add_arguments", "benchmark", "read_variant", "run", "variant_dirs"]

BUILD = ROOT / "build" / "mutation"
GENERATED = ("mutmut", "ml")
RECORD = ("id", "source", "operator", "category", "function", "file", "line", "status")
RECORD += ("mutmut_status", "same_as", "failing", "reasons", "bug_class")
RUN = ("killed", "survived")  # mutmut's verdicts for a test run that finished
UNRECORDED = {"no tests": "no-tests", "timeout": "timeout", "survived": "survived"}
SCENERY = re.compile(r"(^|\.)(make|generate|simulate|synthetic|load)_?")  # builds the kata's data


@dataclass
class Mutant:
    """One mutant of a kata, whichever generator made it, and what the tests made of it."""

    id: str
    source: str  # "mutmut" | "ml"
    operator: str  # mutmut's mutant name, or our operator's name
    category: str  # our bug class, or "mutmut"
    function: str
    file: str
    code: str  # the whole mutated file
    summary: str = ""  # our operator's one-line docstring
    line: int = 0
    status: str = ""  # killed | crashed | timeout | survived | ignored | duplicate | no-tests
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


# -- generating and describing -----------------------------------------------------------------


def _name(kata: Kata, file: str, function: str) -> str:
    prefix = f"{Path(file).stem}-" if len(kata.files) > 1 else ""
    return prefix + re.sub(r"[^a-z0-9]+", "-", function.lower()).strip("-")


def from_mutmut(kata: Kata, generated: list[sandbox.Generated]) -> list[Mutant]:
    """mutmut's mutants, named ``m-<function>-<n>`` after mutmut's own numbering."""
    found = []
    for g in generated:
        ident = f"m-{_name(kata, g.file, g.function)}-{g.number}"
        m = Mutant(ident, "mutmut", g.key, "mutmut", g.function, g.file, g.code)
        m.mutmut_status = g.status
        if g.report is not None:
            m.settle(g.report)
        else:  # mutmut stopped the run (timeout, signal) before the probe could record it
            m.status, m.recorded = UNRECORDED.get(g.status, "crashed"), False
        found.append(m)
    return found


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
    old = next((line for line in removed if not line.startswith("#")), "")
    new = next((line for line in added if not line.startswith("#")), "")
    if mutant.source == "ml":
        mutant.bug_class = bugclasses.OPERATOR_CLASS.get(mutant.operator, "")
        learning = re.search(r"grad|backward|step|update|fit|train", mutant.function.lower())
        if mutant.bug_class == "gradient-sign" and not learning:
            mutant.bug_class = "sign"  # a difference reversed outside any gradient
    else:
        one_line = len(removed) == 1 and len(added) == 1 and mutant.natural
        mutant.bug_class = (bugclasses.mutmut_class(old, new) if one_line else None) or ""
    more = max(len(removed), len(added)) - 1
    change = f"`{old}` -> `{new}`" + (f" (and {more} more lines)" if more > 0 else "")
    where = f"{mutant.function}, line {mutant.line}: {change}"
    return f"{mutant.summary.split(' (')[0].rstrip('.')}; {where}" if mutant.summary else where


def unified(kata: Kata, fixed: dict[str, str], mutant: Mutant) -> str:
    """The unified diff fixed -> variant."""
    old, new = fixed[mutant.file].splitlines(True), mutant.code.splitlines(True)
    to = f"broken/{kata.slug}/variants/{mutant.id}/{mutant.file}"
    return "".join(difflib.unified_diff(old, new, f"fixed/{kata.slug}/{mutant.file}", to))


# -- judging ---------------------------------------------------------------------------------


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


def classify(
    box: sandbox.Sandbox,
    mutants: list[Mutant],
    reached: sandbox.Reached,
    deadline: float,
    jobs: int,
) -> int:
    """Run every mutant not judged yet in forked workers; returns how many ran."""
    for m in mutants:
        m.status = m.status or ("" if (m.file, m.function) in reached else "no-tests")
    todo = [m for m in mutants if not m.status]
    impls = [box.impl(f"{i:04d}", {m.file: m.code}) for i, m in enumerate(todo)]
    for m, report in zip(
        todo, sandbox.run_many(box, impls, jobs=jobs, deadline=deadline), strict=True
    ):
        m.settle(report if report is not None else sandbox.timed_out())
    return len(todo)


def activation(box: sandbox.Sandbox, mutants: list[Mutant], deadline: float, jobs: int) -> dict:
    """Prove that mutmut's mutants ran under the kata loader: a killed mutant proves its function's
    trampoline works; every other function's survivors are rebuilt and run again outside mutmut."""
    scored = [m for m in mutants if m.source == "mutmut" and m.mutmut_status != "no tests"]
    proven = {m.function for m in scored if m.mutmut_status == "killed"}
    doubtful = [m for m in scored if m.function not in proven and m.mutmut_status == "survived"]
    impls = [box.impl(f"check-{i:04d}", {m.file: m.code}) for i, m in enumerate(doubtful)]
    reports = sandbox.run_many(box, impls, jobs=jobs, deadline=deadline)
    return {
        "functions": len({m.function for m in scored}),
        "proven_by_a_kill": len(proven),
        "survivors_rerun": len(doubtful),
        "disagreements": [
            m.id for m, r in zip(doubtful, reports, strict=True) if verdict(r) != "survived"
        ],
        "no_tests": sum(m.mutmut_status == "no tests" for m in mutants),
        "unrecorded": [m.id for m in scored if not m.recorded and m.mutmut_status in RUN],
    }


def ranked(mutants: list[Mutant], seed: int) -> list[Mutant]:
    """Catchable mutants in the order to offer them as variants.

    Only mutants with a bug class are offered (:mod:`tools.bugclasses`: the ML classes, and of
    mutmut's changes only those that model a real mistake). Most plausible first: bugs in the
    pipeline before bugs in the code that makes the kata's data, the ML classes before generic
    slips, then fewest failing tests, then fewest exceptions (a traceback points at the line). Then spread out: first one
    per code site, kind of change and set of failing tests, alternating our operators and
    mutmut's, outside the data-making code; then one per code site; then the rest. ``seed``
    only orders mutants that are equally subtle.
    """
    candidates = sorted(
        (m for m in mutants if m.status == "killed" and m.bug_class), key=lambda m: m.id
    )
    rng = random.Random(seed)
    ties = {m.id: rng.random() for m in candidates}

    def subtlety(m: Mutant) -> tuple:
        exceptions = sum(r == "numerical" for r in m.reasons.values())
        scenery = bool(SCENERY.search(m.function))
        plausible = bugclasses.CLASSES[m.bug_class].rank
        return scenery, plausible, len(m.failing), exceptions, ties[m.id]

    def site(m: Mutant) -> tuple:
        return m.file, m.line

    def kind(m: Mutant) -> tuple:
        return m.source, m.operator if m.source == "ml" else m.function

    order = sorted(candidates, key=subtlety)
    by_source = [[m for m in order if m.source == source] for source in ("ml", "mutmut")]
    alternating = [m for pair in itertools.zip_longest(*by_source) for m in pair if m is not None]
    picked: list[Mutant] = []
    for strict, sequence in ((2, alternating), (1, order), (0, order)):
        for m in sequence:
            clash = [p for p in picked if p is m or (strict and site(p) == site(m))]
            if strict == 2:
                clash += [p for p in picked if kind(p) == kind(m) or p.failing == m.failing]
                clash += [m] if SCENERY.search(m.function) else []  # data-making code: last
            if not clash:
                picked.append(m)
    return picked


# -- writing variants ------------------------------------------------------------------------


def ruff(*args: str, code: str, path: str) -> subprocess.CompletedProcess | None:
    """``ruff ARGS`` on ``code`` as if it were the file ``path`` (its settings apply), if installed."""
    found = shutil.which("ruff")
    command = [sys.executable, "-m", "ruff"] if importlib.util.find_spec("ruff") else [found]
    if command[0] is None:
        return None
    command += [*args, "--stdin-filename", path, "-"]
    return subprocess.run(
        command, input=code, capture_output=True, text=True, cwd=ROOT, check=False
    )


def complaints(code: str, path: str) -> set[str]:
    """ruff's lint findings for ``code`` at ``path``, without their line numbers."""
    done = ruff("check", "--quiet", "--output-format", "concise", code=code, path=path)
    found = done.stdout.splitlines() if done is not None and done.returncode else []
    return {line.split(": ", 1)[-1] for line in found}


def formatted(code: str, path: str) -> str:
    done = ruff("format", code=code, path=path)
    return done.stdout if done is not None and done.returncode == 0 else code


def opaque_id(kata: Kata, mutant: Mutant) -> str:
    """A variant id that gives nothing away: a hash of the kata and the mutated code."""
    return "v" + hashlib.sha256(f"{kata.slug}\0{mutant.code}".encode()).hexdigest()[:6]


def difficulty(kata: Kata, mutant: Mutant) -> int:
    """The variant's difficulty: the kata's, harder when few tests catch it, easier with a traceback."""
    exceptions = any(r == "numerical" for r in mutant.reasons.values())
    level = kata.difficulty + (len(mutant.failing) <= 1) - exceptions
    return max(1, min(5, level))


def observed(kata: Kata, report: Report | None) -> str:
    """What running the variant shows: each failing test and the start of its message."""
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


def variant_title(kata: Kata, ident: str) -> str:
    """A title that gives nothing away (the kata's own title names the original bug's symptom)."""
    return f"A {kata.family} pipeline with a generated bug (variant {ident})"


def setting(kata: Kata) -> str:
    """The kata's scenario, up to the first sentence that reports a measured number: those
    numbers are the original bug's, not the variant's."""
    text = kata.brief.read_text(encoding="utf-8")
    scenario = text.split("\n## ", 1)[0].split("\n", 1)[-1]
    lines = [line for line in scenario.splitlines() if not line.startswith("**")]
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(" ".join(lines).split()))
    kept = []
    for sentence in sentences:
        if re.search(r"\d\.\d|\d%", sentence) and kept:
            break
        kept.append(sentence)
    return textwrap.fill(" ".join(kept), width=96)


def brief(kata: Kata, ident: str, level: int, report: Report | None) -> str:
    """The variant's brief: the kata's scenario, then what running this variant shows."""
    scenario = setting(kata)
    count = len(report.failures) if report is not None else 0
    minutes = (5, 10, 15, 20, 25)[level - 1]
    return (
        f"# {variant_title(kata, ident)}\n\n"
        f"**Category:** generated variant · **Difficulty:** {level}/5 · **Budget:** {minutes} minutes\n\n"
        f"{scenario.strip()}\n\n"
        "## What was observed\n\n"
        f"This copy of the pipeline has a different bug from the kata's original one. "
        f"Running the tests, {count} fail:\n\n{observed(kata, report)}\n\n"
        "## What to deliver\n\n"
        f"Make every test in `tests/{kata.slug}/` pass, keeping every function's signature.\n\n"
        f"- Edit: {', '.join(f'`katas/{kata.slug}/{n}`' for n in kata.files)}\n"
        "- Allowed: NumPy, pandas and the standard library\n"
        f"- Budget: {minutes} minutes\n"
    )


def manifest(
    kata: Kata, mutant: Mutant, ident: str, description: str, diff: str, report: Report | None
) -> str:
    """variant.toml: what instructors need (operator, diff, failing tests) and what the learner
    reads (a brief computed from running the variant, hints and explanation of its bug class)."""
    bug = bugclasses.CLASSES[mutant.bug_class]
    level = difficulty(kata, mutant)
    fields = {
        "id": ident,
        "source": mutant.source,
        "operator": mutant.operator,
        "mutant": mutant.id,
        "function": mutant.function,
        "bug_class": bug.key,
        "category": bug.category,
        "difficulty": level,
        "description": description,
        "failing_tests": list(mutant.failing),
        "title": variant_title(kata, ident),
        "concepts": list(bug.concepts),
        "hints": list(bug.hints),
        "explanation": bug.explanation,
        "brief": brief(kata, ident, level, report),
        "diff": diff,
    }
    text = tomli_w.dumps(fields, multiline_strings=True)
    if tomllib.loads(text) != fields:
        raise AssertionError(f"variant.toml of {ident} does not read back as written")
    return text


def recover(build: Path = BUILD) -> list[Path]:
    """Undo the half-finished installs of killed campaigns: put back variants they moved aside."""
    restored = []
    for area in sorted((build / "staging").glob("*")):
        if not area.is_dir() or not sandbox.owned_by_the_dead(area):
            continue
        try:
            variants = Path(json.loads((area / sandbox.OWNER).read_text())["variants"])
        except (OSError, ValueError, KeyError):
            variants = None
        for old in sorted(area.glob("old-*")) if variants else []:
            target = variants / old.name.removeprefix("old-")
            if not target.exists():
                os.rename(old, target)
                restored.append(target)
        shutil.rmtree(area, ignore_errors=True)
    return restored


def stage(kata: Kata, fixed: dict[str, str], m: Mutant, area: Path, reformat: bool) -> str:
    """Write the variant's code in the staging area; returns why it cannot be one ("" if it can).
    Its variant.toml is written once the self-check's run has shown what it does (:func:`label`)."""
    ident = opaque_id(kata, m)
    path = f"broken/{kata.slug}/variants/{ident}/{m.file}"
    m.code = formatted(m.code, path) if reformat else m.code
    new = complaints(m.code, path) - complaints(fixed[m.file], path)
    if new:
        return f"the variant would fail the repository's lint: {sorted(new)[0]}"
    (area / ident).mkdir()
    for name in kata.files:
        (area / ident / name).write_text(
            m.code if name == m.file else fixed[name], encoding="utf-8"
        )
    return ""


def label(kata: Kata, fixed: dict[str, str], m: Mutant, area: Path, report: Report) -> None:
    """Write the staged variant's variant.toml, its brief computed from ``report``."""
    ident = opaque_id(kata, m)
    diff = unified(kata, fixed, m).replace(f"/variants/{m.id}/", f"/variants/{ident}/")
    text = manifest(kata, m, ident, describe(m, fixed[m.file]), diff, report)
    (area / ident / MANIFEST).write_text(text, encoding="utf-8")


def install(folder: Path, target: Path, area: Path) -> None:
    """Move a staged variant into place; one it replaces waits in ``area`` until that succeeded."""
    old = area / f"old-{target.name}"
    if target.exists():
        os.rename(target, old)
    try:
        os.rename(folder, target)
    except OSError:
        if old.exists():
            os.rename(old, target)
        raise


def write_variants(
    kata: Kata, fixed: dict[str, str], order: list[Mutant], args: argparse.Namespace, guard: str
) -> tuple[list, list]:
    """Stage the best candidates, run each as the self-check will; install the first ``count``
    (unless ``--no-write``: then they are only reported)."""
    area = BUILD / "staging" / f"{kata.slug}-{os.getpid()}"
    area.mkdir(parents=True, exist_ok=True)
    sandbox.claim(area, variants=str(kata.variants))
    # Format variants like the rest of the repository, unless that would restyle fixed code too.
    reformat = all(formatted(t, f"fixed/{kata.slug}/{n}") == t for n, t in fixed.items())
    chosen, rejected, queue = [], [], list(order)
    try:
        while queue and len(chosen) < args.count:
            batch, queue = queue[: args.count - len(chosen)], queue[args.count - len(chosen) :]
            staged = []
            for m in batch:
                problem = stage(kata, fixed, m, area, reformat)
                staged += [] if problem else [m]
                rejected += [{"id": m.id, "why": problem}] if problem else []
            jobs = [runner.Job(kata.slug, area / opaque_id(kata, m)) for m in staged]
            reports = runner.run_many(jobs, workers=args.jobs)
            for m, report in zip(staged, reports, strict=True):
                if verdict(report) == "killed" and report.failing_tests == m.failing:
                    label(kata, fixed, m, area, report)
                    chosen.append(m)
                else:
                    got = f"{verdict(report)}: {', '.join(report.failing_tests)}"
                    rejected.append({"id": m.id, "why": f"the self-check's run disagrees ({got})"})
        if args.no_write:
            return chosen, rejected
        unchanged(kata, guard)  # never install variants of code that has changed since
        kata.variants.mkdir(parents=True, exist_ok=True)
        for m in chosen:
            ident = opaque_id(kata, m)
            install(area / ident, kata.variants / ident, area)
        kept = {opaque_id(kata, m) for m in chosen}
        for path in variant_dirs(kata) if args.prune else []:
            if path.name not in kept and _generated(path):
                os.rename(path, area / f"pruned-{path.name}")
    finally:
        shutil.rmtree(area, ignore_errors=True)
        with contextlib.suppress(OSError):
            area.parent.rmdir()  # the staging folder, once no campaign uses it
    return chosen, rejected


def _generated(path: Path) -> bool:
    """True for a variant this tool made (an author's hand-written variants are never pruned)."""
    try:
        return read_variant(path).get("source") in GENERATED
    except UserError:
        return False


# -- a campaign --------------------------------------------------------------------------------


def fingerprint(kata: Kata) -> str:
    """A hash of what generation must never write: fixed/, the tests, the learner's files."""
    digest = hashlib.sha256()
    paths = [*kata.fixed.rglob("*"), *kata.tests.rglob("*"), *kata.workspace.glob("*.py")]
    for path in sorted(p for p in paths if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def unchanged(kata: Kata, guard: str) -> None:
    """Stop if fixed/, the tests or the learner's files changed while the campaign ran."""
    if fingerprint(kata) != guard:
        raise UserError(
            f"fixed/{kata.slug}, tests/{kata.slug} or katas/{kata.slug}/*.py changed while the "
            f"campaign ran (an editor? this tool never writes there): run it again",
            EXIT_FAILED,
        )


def plain_mutmut(kata: Kata, jobs: int, timeout: float, fixed: dict[str, str]) -> dict:
    """Time a plain ``mutmut run`` (its own test selection, first failure stops) on the same sandbox."""
    with sandbox.sandbox(kata) as box:
        sandbox.write_config(box, timeout=timeout, probe=False)
        log = BUILD / f"{kata.slug}.plain-mutmut.log"
        seconds = round(sandbox.run_mutmut(box, jobs, log, probe=False), 2)
        statuses = [g.status for g in sandbox.mutmut_results(box, fixed)]
    counts = {
        s.replace(" ", "_"): statuses.count(s)
        for s in ("killed", "survived", "timeout", "no tests")
    }
    rate = round(len(statuses) / seconds, 2)
    return {"seconds": seconds, "mutants": len(statuses), "per_second": rate, **counts}


def campaign(kata: Kata, args: argparse.Namespace, mutmut: str | None) -> dict:
    """Generate, judge, rank and (unless ``--no-write``) install one kata's variants."""
    started, phases = time.perf_counter(), {}

    def lap(name: str) -> float:
        phases[name] = round(time.perf_counter() - started - sum(phases.values()), 2)
        return phases[name]

    fixed = {name: (kata.fixed / name).read_text(encoding="utf-8") for name in kata.files}
    guard, mutants, checked = fingerprint(kata), [], {}
    with sandbox.sandbox(kata, keep=args.keep_sandbox) as box:
        if args.keep_sandbox:
            say(f"{kata.slug}: the sandbox is kept in {box.root}")
        sandbox.write_config(box, timeout=10.0)
        report, reached = sandbox.baseline(box)
        durations, wall = {o.test: o.seconds for o in report.outcomes}, lap("baseline")
        # A mutant that runs ten times longer than the whole fixed suite is stopped as a timeout.
        per_test = min(10.0, max(2.0, 20 * max(durations.values())))
        deadline = max(5.0, 10 * wall)
        sandbox.write_config(box, timeout=per_test)
        say(f"{kata.slug}: the fixed version passes its {len(durations)} tests ({wall} s)")
        if mutmut:
            sandbox.seed_stats(box, durations, reached)
            sandbox.run_mutmut(box, args.jobs, BUILD / f"{kata.slug}.mutmut.log")
            mutants += from_mutmut(kata, sandbox.mutmut_results(box, fixed))
            say(f"{kata.slug}: mutmut made and tested {len(mutants)} mutants ({lap('mutmut')} s)")
        if not args.mutmut_only:
            mutants += from_operators(kata, fixed, args.operator)
        triage(mutants, fixed)
        ran = classify(box, mutants, reached, deadline, args.jobs)
        say(f"{kata.slug}: {ran} mutants of our ML-aware operators tested ({lap('operators')} s)")
        if mutmut:
            checked = activation(box, mutants, deadline, args.jobs)
            lap("activation")
    handed_out = {n: _shape((kata.broken / n).read_text(encoding="utf-8")) for n in kata.files}
    for m in mutants:
        describe(m, fixed[m.file])  # sets m.line and m.bug_class, which ranking uses
        if m.bug_class and _shape(m.code) == handed_out[m.file]:
            m.bug_class = ""  # the kata's own bug: not a new variant
    order = ranked(mutants, args.seed)
    chosen, rejected = [], []
    if order:
        say(f"{kata.slug}: running the best of {len(order)} candidates as the self-check will")
        chosen, rejected = write_variants(kata, fixed, order, args, guard)
    lap("variants")
    unchanged(kata, guard)
    total = round(time.perf_counter() - started, 2)
    tested = sum(m.source == "mutmut" for m in mutants) + ran + checked.get("survivors_rerun", 0)
    timing = {"phases": phases, "total": total, "mutants_per_second": round(tested / total, 2)}
    if args.compare_plain and mutmut:
        say(f"{kata.slug}: timing a plain mutmut run on the same sandbox")
        timing["plain_mutmut"] = plain_mutmut(kata, args.jobs, per_test, fixed)
    records, handed = [], {m.id: opaque_id(kata, m) for m in chosen}
    for m in mutants:
        record = {key: getattr(m, key) for key in RECORD}
        record["variant"] = handed.get(m.id, "")
        records.append(
            {**record, "description": describe(m, fixed[m.file]), "diff": unified(kata, fixed, m)}
        )
    tool = {"mutmut": mutmut, "operators": len(operators.OPERATORS), "seed": args.seed}
    extra = {"activation": checked, "rejected": rejected}
    extra["variants"] = [opaque_id(kata, m) for m in chosen]
    extra["written"] = not args.no_write
    result = strength.summarise(kata.slug, records, tool=tool, timing=timing, **extra)
    if not args.no_write:
        text = json.dumps(strength.committed(result), indent=1) + "\n"
        strength.write_atomically(kata.variants / "strength.json", text)
    return result


# -- command line ------------------------------------------------------------------------------

FLAG = {"action": "store_true"}
OPTIONS = {
    "--all": (FLAG, "every kata in the catalog"),
    "--shard": ({"metavar": "K/N"}, "only the K-th of N shares of the katas (one CI matrix job)"),
    "--count": ({"type": int, "default": 5, "metavar": "N"}, "variants per kata (default 5)"),
    "--seed": ({"type": int, "default": 0}, "orders equally subtle mutants (default 0)"),
    "--jobs": ({"type": int, "default": os.cpu_count() or 1}, "parallel workers (default: cores)"),
    "--no-write": (FLAG, "report only: choose and check variants, write nothing to broken/"),
    "--prune": (FLAG, "remove earlier generated variants this campaign did not choose"),
    "--operator": ({"action": "append", "metavar": "NAME"}, "only this ML operator (repeatable)"),
    "--list-operators": (FLAG, "list the ML-aware operators and exit"),
    "--compare-plain": (FLAG, "also time a plain mutmut run on the same sandbox"),
    "--keep-sandbox": (FLAG, "keep the sandbox for debugging and say where it is"),
    "--summary": (FLAG, "only rebuild build/mutation/summary.{json,md} from the kata reports"),
}


EXAMPLES = """examples:
  nox -s mutate -- leakage                 5 verified variants in broken/leakage/variants/, and a report
  nox -s mutate -- --all --count 8         every kata; also build/mutation/summary.md
  nox -s mutate -- leakage --no-write      the test-strength report only (build/mutation/leakage.html)
  nox -s mutate -- --all --shard 2/4       the second of four CI jobs; then: nox -s mutate -- --summary
"""


def benchmark(slug: str) -> dict[str, float]:
    """Figures for ``nox -s bench``: one campaign that writes nothing to broken/ ({} without mutmut)."""
    if importlib.util.find_spec("mutmut") is None:
        return {}
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args([slug, "--no-write"])
    os.environ.update({k: os.environ.get(k, v) for k, v in sandbox.SINGLE_THREADED.items()})
    timing = campaign(catalog.load(slug), args, sandbox.require_mutmut())["timing"]
    return {"campaign_seconds": timing["total"], "mutants_per_second": timing["mutants_per_second"]}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog, parser.formatter_class = EXAMPLES, argparse.RawDescriptionHelpFormatter
    parser.add_argument("slugs", nargs="*", metavar="slug", help="katas to generate variants for")
    for name, (options, text) in OPTIONS.items():
        parser.add_argument(name, help=text, **options)
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--operators-only", help="only our ML-aware operators (no mutmut)", **FLAG)
    only.add_argument("--mutmut-only", help="only mutmut's mutants", **FLAG)


def chosen_slugs(args: argparse.Namespace) -> list[str]:
    known = catalog.slugs()
    for slug in args.slugs:
        if slug not in known:
            raise UserError(catalog.unknown_slug_message(slug))
    slugs = (
        known if args.all or (args.shard and not args.slugs) else list(dict.fromkeys(args.slugs))
    )
    if not slugs:
        raise UserError("name a kata (nox -s mutate -- leakage), several, or --all")
    if args.shard:
        match = re.fullmatch(r"(\d+)/(\d+)", args.shard)
        if not match or not 1 <= int(match[1]) <= int(match[2]):
            raise UserError(f"--shard should be K/N with 1 <= K <= N, like 1/4; got {args.shard!r}")
        slugs = slugs[int(match[1]) - 1 :: int(match[2])]
    return slugs


def run(args: argparse.Namespace) -> int:
    if operators is None:
        raise UserError(
            "libcst or tomli-w is not installed (instructors need both): run nox -s mutate -- <slug>, "
            "or pip install 'mutmut>=3.8,<3.9' 'tomli-w>=1.0,<2'"
        )
    if args.list_operators:
        for name, category, _, function in operators.OPERATORS:
            say(f"{name:20} {category:10} {(function.__doc__ or '').strip().splitlines()[0]}")
        return EXIT_OK
    if args.summary:
        say(f"wrote {', '.join(display(p) for p in strength.write_summary(BUILD))}")
        return EXIT_OK
    if args.count < 1 or args.jobs < 1:
        raise UserError("--count and --jobs must be at least 1")
    unknown = set(args.operator or []) - {name for name, *_ in operators.OPERATORS}
    if unknown:
        raise UserError(f"unknown operator {sorted(unknown)[0]!r}; --list-operators shows them all")
    slugs = chosen_slugs(args)
    mutmut = None if args.operators_only else sandbox.require_mutmut()
    os.environ.update({k: os.environ.get(k, v) for k, v in sandbox.SINGLE_THREADED.items()})
    for path in recover():
        say(f"restored {display(path)}, left half-installed by a campaign that was killed")
    failed = 0
    for slug in slugs:
        try:
            result = campaign(catalog.load(slug), args, mutmut)
        except UserError as problem:
            if len(slugs) == 1:
                raise
            error(f"{slug}: {problem}")
            failed += 1
            continue
        say(strength.render_text(result))
        say(f"  report: {display(strength.write_reports(result, BUILD)[1])}\n")
    strength.write_summary(BUILD)
    return EXIT_FAILED if failed else EXIT_OK
