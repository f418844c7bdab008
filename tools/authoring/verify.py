"""The self-check: every kata keeps the contract, and every bug is caught by the tests that claim to catch it."""

from __future__ import annotations

import argparse
import ast
import importlib.util
import os
import re
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tools import EXIT_FAILED, EXIT_OK, ROOT, UserError
from tools.authoring import observed
from tools.authoring.giveaway import give_away_problems
from tools.core import catalog, judge, results, variants
from tools.core.catalog import Kata
from tools.core.collector import BEHAVIOURAL, Report
from tools.core.term import say, style
from tools.core.workspace import display

ALLOWED_IMPORTS = {"numpy", "pandas", *sys.stdlib_module_names}
SAFE_MODULE_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
)


def static_problems(kata: Kata) -> list[str]:
    """What can be checked without running anything: files, brief, imports, module layout."""
    problems = []
    if not kata.brief.is_file() or not kata.brief.read_text(encoding="utf-8").strip():
        problems.append(f"{display(kata.brief)}: the brief is missing or empty")
    else:
        problems.extend(_header_problems(kata))
    for path in (kata.workspace / "kata.toml", kata.brief, *sorted(kata.tests.glob("*.py"))):
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        todo = [str(n) for n, line in enumerate(lines, 1) if "TODO" in line]
        if todo:
            what = _placeholders(path, lines)
            problems.append(
                f"{display(path)}: placeholders still to fill in{what} (TODO on line "
                f"{', '.join(todo)})"
            )
    if not any(kata.tests.glob("test_*.py")):
        problems.append(f"{display(kata.tests)}/: no test_*.py files")
    for name in kata.data:
        if not (kata.data_source / name).is_file():
            problems.append(
                f"{display(kata.data_source / name)}: kata.toml 'data' lists it, but it is missing"
            )
    for directory in (kata.broken, kata.fixed):
        names = {p.name for p in directory.glob("*.py")}
        if names != set(kata.files):
            problems.append(
                f"{display(directory)}/ holds {sorted(names)}; kata.toml 'files' says {list(kata.files)}"
            )
            continue
        for name in kata.files:
            problems.extend(_module_problems(directory / name, set(kata.files)))
    present = all((d / n).is_file() for d in (kata.broken, kata.fixed) for n in kata.files)
    if present and all(
        (kata.broken / n).read_bytes() == (kata.fixed / n).read_bytes() for n in kata.files
    ):
        problems.append(
            f"{display(kata.broken)}/ is identical to {display(kata.fixed)}/: there is no bug"
        )
    return problems


def _header_problems(kata: Kata) -> list[str]:
    """The brief's stated difficulty and budget, where it states them, are kata.toml's."""
    text = kata.brief.read_text(encoding="utf-8")
    found = []
    for label, pattern, value in (
        ("difficulty", r"Difficulty:\**\s*(\d+)/5", kata.difficulty),
        ("budget", r"Budget:\**\s*(\d+) minutes", kata.minutes),
    ):
        stated = re.search(pattern, text)
        if stated and int(stated.group(1)) != value:
            found.append(
                f"{display(kata.brief)}: the brief states {label} {stated.group(1)}, "
                f"kata.toml says {value}"
            )
    return found


def _placeholders(path: Path, lines: list[str]) -> str:
    """ ": title, symptom and hints": the kata.toml fields or brief sections holding a TODO."""
    if path.suffix not in (".toml", ".md"):
        return ""
    found, current = [], "the title" if path.suffix == ".md" else ""
    for line in lines:
        key = re.match(r"([A-Za-z_]+) *=", line) if path.suffix == ".toml" else None
        heading = re.match(r"## +(.+)", line) if path.suffix == ".md" else None
        if key or heading:
            current = key[1] if key else f"'{heading[1].strip()}'"
        if "TODO" in line and current not in found:
            found.append(current)
        if path.suffix == ".md" and line.startswith("# "):
            current = "the scenario"
    named = [name for name in found if name]
    if not named:
        return ""
    return ": " + (", ".join(named[:-1]) + " and " if len(named) > 1 else "") + named[-1]


def _module_problems(path: Path, siblings: set[str]) -> list[str]:
    source = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return [f"{display(path)}:{error.lineno}: does not parse ({error.msg})"]
    problems = []
    local = {name.removesuffix(".py") for name in siblings}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            for name in names:
                top = name.split(".")[0]
                if top not in ALLOWED_IMPORTS and top not in local:
                    problems.append(
                        f"{display(path)}:{node.lineno}: imports {name}; katas use NumPy, pandas and the standard library only"
                    )
    for node in tree.body:
        is_docstring = isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        if not is_docstring and not isinstance(node, SAFE_MODULE_STATEMENTS):
            problems.append(
                f"{display(path)}:{node.lineno}: code runs at import time; keep logic in functions or classes"
            )
    if "TODO" in source or "FIXME" in source:
        problems.append(f"{display(path)}: contains a TODO/FIXME marker")
    return problems


def _expect_caught(label: str, result: Report, expected: tuple[str, ...] | list[str]) -> list[str]:
    if not result.outcomes:
        return [
            f"{label}: the tests did not run (pytest exit {result.exit_code})\n{result.output[-1500:]}"
        ]
    problems = []
    for outcome in result.failures:
        # A CPU-time stop is behaviour too: the kata's own loop never ends.
        if outcome.reason not in BEHAVIOURAL and outcome.reason != "timeout":
            problems.append(
                f"{label}: {outcome.test} fails by {outcome.reason} ({outcome.exc_type}: "
                f"{outcome.message.splitlines()[0] if outcome.message else ''}), not by an assertion "
                "or a numerical error in the kata's code"
            )
    failing = set(result.failing_tests)
    if failing != set(expected):
        gone = sorted(set(expected) - failing)
        new = sorted(failing - set(expected))
        if not failing:
            problems.append(f"{label}: every test passes; the bug is not caught")
        if gone and failing:
            problems.append(f"{label}: listed as failing but passes: {', '.join(gone)}")
        if new:
            problems.append(f"{label}: fails but is not listed in failing_tests: {', '.join(new)}")
    return problems


def _jobs(
    kata: Kata, scratch: Path, problems: list[str]
) -> list[tuple[str, Path, tuple[str, ...] | None]]:
    """(label, directory, the tests it must fail or None for "must pass") for every run; each
    variant's change is applied to fixed/ in ``scratch`` (one that does not apply is a problem)."""
    jobs: list[tuple[str, Path, tuple[str, ...] | None]] = [
        ("fixed", kata.fixed, None),
        ("broken", kata.broken, kata.failing_tests),
    ]
    for path in variants.variant_dirs(kata):
        try:
            manifest = variants.read_variant(path)
            directory = variants.materialise_into(kata, path, scratch / kata.slug / path.name)
        except UserError as problem:
            problems.append(f"variant {path.name}: {problem}")
            continue
        jobs.append((f"variant {path.name}", directory, tuple(manifest["failing_tests"])))
    return jobs


def _judge(kata: Kata, label: str, expected: tuple[str, ...] | None, result: Report) -> list[str]:
    if expected is not None:
        return _expect_caught(f"{kata.slug} {label}", result, expected)
    if result.passed:
        return []
    failed = ", ".join(result.failing_tests) or f"pytest exit {result.exit_code}"
    said = [f"{o.test}: {(o.message or o.exc_type).splitlines()[0][:300]}" for o in result.failures]
    details = "\n".join([*said, result.output[-1500:]]).strip()
    return [f"{label}: the reference solution fails: {failed}\n{details}"]


def behaviour_problems(kata: Kata) -> list[str]:
    """Run the tests: fixed passes; broken and each variant fail exactly the tests they list."""
    return check_many([kata.slug])[kata.slug]


def shuffle_args(seed: int | None) -> tuple[str, ...]:
    """pytest options that run each kata's tests in an order shuffled by ``seed`` (pytest-randomly).

    Only the order: the global random generators are left as a plain run leaves them, so a kata
    whose tests depend on the order fails, and one that draws from them computes what it always did.
    """
    if seed is None:
        return ()
    if importlib.util.find_spec("pytest_randomly") is None:
        raise UserError(
            "--shuffle needs pytest-randomly, which this environment lacks "
            "(it comes with the repository's test dependencies: nox -s tests)"
        )
    return ("-p", "randomly", f"--randomly-seed={seed}", "--randomly-dont-reset-seed")


def check_many(
    slugs: list[str], give_aways: bool = False, shuffle: int | None = None
) -> dict[str, list[str]]:
    """Every contract problem of each kata; each kata's runs share one pytest session.

    With ``shuffle``, every run (fixed, broken, each variant) takes its kata's tests in an order
    shuffled by that seed, so that a result that depends on the order breaks the contract too.
    """
    order = shuffle_args(shuffle)
    problems: dict[str, list[str]] = {}
    katas: list[Kata] = []
    for slug in slugs:
        try:
            kata = catalog.load(slug)
        except UserError as error:
            problems[slug] = [str(error)]
            continue
        problems[slug] = static_problems(kata)
        katas.append(kata)
    runnable = [k for k in katas if not problems[k.slug]]
    with tempfile.TemporaryDirectory(prefix="kata-verify-") as scratch:
        plan = [
            (kata, *job)
            for kata in runnable
            for job in _jobs(kata, Path(scratch), problems[kata.slug])
        ]
        results = _run(plan, Path(scratch), order)
    for (kata, label, _, expected), result in zip(plan, results, strict=True):
        problems[kata.slug].extend(_judge(kata, label, expected, result))
    # The quoted numbers are recomputed by fresh interpreters, one per core, each forking a
    # child per kata: NumPy and pandas are imported once per core, not once per kata.
    cores = max(1, min(os.cpu_count() or 1, len(runnable)))
    shares = [runnable[i::cores] for i in range(cores)]
    with ThreadPoolExecutor(max_workers=cores) as pool:
        for share, found in zip(shares, pool.map(observed.problems_many, shares), strict=True):
            for kata, lines in zip(share, found, strict=True):
                problems[kata.slug].extend(lines)
    if give_aways:
        for slug, found in give_away_problems(katas).items():
            problems[slug].extend(found)
    return problems


# The plugins a kata's tests use, loaded by name, as a learner's run loads them: whatever else
# is installed (anyio's comes with watchfiles, xdist with the test tools) cost each kata's session
# most of a CPU second to import and rewrite, and has no say in a verdict.
PLUGINS = ("-p", "pytest_timeout")
SESSION_SECONDS = 600.0  # one kata's whole session, on a busy machine
RUN_SECONDS = 300.0  # ... and one of its runs


def _run(plan: list, scratch: Path, order: tuple[str, ...]) -> list[Report]:
    """Each planned run's Report. A kata's runs share one pytest session that collects its tests
    once and forks a child per run (:mod:`tools.core.judge`); the katas' sessions run in forked
    children of their own, one per core."""
    by_kata: dict[str, list[int]] = {}
    for index, (kata, *_) in enumerate(plan):
        by_kata.setdefault(kata.slug, []).append(index)
    sessions = list(by_kata.items())
    reports = scratch / "reports"
    reports.mkdir()

    def session(number: int) -> None:
        slug, indices = sessions[number]
        tasks = [judge.Task(plan[i][2], report=reports / f"{i}.json") for i in indices]
        done = judge.session(
            slug, tasks, collect_with=plan[indices[0]][0].fixed, cwd=ROOT, jobs=1,
            deadline=RUN_SECONDS, extra=(*order, *PLUGINS), autoload=False,
        )  # fmt: skip
        if done is None:  # the tests did not collect: no run has a report
            (reports / f"{slug}.uncollected").touch()
        os._exit(0)

    judge.warm_up()
    judge.fork_each(len(sessions), session, jobs=os.cpu_count() or 1, deadline=SESSION_SECONDS)
    results = []
    for index, (kata, _, path, _) in enumerate(plan):
        target = reports / f"{index}.json"
        if target.is_file():
            results.append(Report.from_json(target.read_text()))
        else:
            uncollected = (reports / f"{kata.slug}.uncollected").is_file()
            results.append(_no_report(kata, path, uncollected))
    return results


def _no_report(kata: Kata, path: Path, uncollected: bool) -> Report:
    """The Report of a run that left none: its tests did not collect, or it went past its time."""
    how = f"python -m pytest tests/{kata.slug} --impl={display(path)}"
    if uncollected:
        return Report([], 2, f"the tests did not collect (see {how})")
    return Report([], 2, f"the run took over {RUN_SECONDS:g} s and was stopped (see {how})")


def check(slug: str) -> list[str]:
    """Every contract problem of one kata, as lines an author can act on."""
    return check_many([slug])[slug]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("slugs", nargs="*", help="katas to check (default: all)")
    parser.add_argument(
        "--shuffle",
        type=int,
        metavar="SEED",
        help="run every kata's tests in an order shuffled by SEED (needs pytest-randomly)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document (exercism's results.json shape)",
    )


def run(args: argparse.Namespace) -> int:
    chosen = args.slugs or catalog.slugs()
    for slug in chosen:
        if slug not in catalog.slugs():
            raise UserError(catalog.unknown_slug_message(slug))
    failed = 0
    found = check_many(chosen, give_aways=not args.slugs, shuffle=args.shuffle)
    if args.json:
        say(results.dumps(results.verify_document(found)))
        return EXIT_FAILED if any(found.values()) else EXIT_OK
    for slug in chosen:
        problems = found[slug]
        mark = style("ok", "green") if not problems else style("FAIL", "red", "bold")
        say(f"{mark:>4}  {slug}")
        for problem in problems:
            say(f"      - {problem}")
        failed += bool(problems)
    say(f"\n{len(chosen) - failed} of {len(chosen)} katas keep the contract.")
    return EXIT_FAILED if failed else EXIT_OK
