"""The learner's loop: ``nox -s kata -- <slug> [options]`` checks out, tests, hints, resets and compares."""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from tools import (
    EXIT_FAILED,
    EXIT_OK,
    UserError,
    catalog,
    interview,
    listing,
    report,
    state,
    variants,
    watch,
    workspace,
)
from tools.catalog import Kata
from tools.summary import print_failures, print_success
from tools.term import render_markdown, say, style

EXAMPLES = """examples:
  nox -s kata -- leakage               check out (first time) and run the tests
  nox -s kata -- leakage --hint        the next hint
  nox -s kata -- leakage --watch       re-run on every save
  nox -s kata -- leakage --interview   timed, with a rubric report at the end
  nox -s kata                          every kata and what to do next
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "slug", nargs="?", help="the kata to work on, e.g. leakage (none: list the katas)"
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--hint", action="store_true", help="show the next hint, vaguest first")
    action.add_argument(
        "--reset",
        action="store_true",
        help="start over from the buggy version (your files are backed up first)",
    )
    action.add_argument(
        "--diff",
        action="store_true",
        help="show the reference solution as a diff (after solving, or with --yes)",
    )
    action.add_argument("--list", action="store_true", help="list every kata with its status")
    action.add_argument("--brief", action="store_true", help="show the kata's brief again")
    action.add_argument(
        "--variant",
        metavar="ID",
        help="work on a generated bug variant (your files are backed up first)",
    )
    action.add_argument(
        "--random-variant",
        action="store_true",
        help="work on a variant you have not done yet, picked at random",
    )
    parser.add_argument(
        "--watch", action="store_true", help="re-run the tests each time you save a file"
    )
    parser.add_argument(
        "--interview",
        action="store_true",
        help="timed interview: a fresh copy, a countdown from the kata's budget, "
        "watch mode, and a rubric-style report at the end",
    )
    parser.add_argument(
        "--yes", action="store_true", help="confirm --diff before the kata is solved"
    )
    parser.add_argument("--traceback", action="store_true", help="also print pytest's full output")


def run(args: argparse.Namespace) -> int:
    if args.list or not args.slug:
        listing.print_listing(catalog.load_all(), state.load())
        return EXIT_OK
    kata = catalog.load(args.slug)
    data = state.load()
    record = state.entry(data, kata.slug)
    if args.hint:
        return _hint(kata, data, record)
    if args.diff:
        return _show_diff(kata, record, args.yes)
    if args.brief:
        say(render_markdown(kata.brief.read_text(encoding="utf-8")))
        return EXIT_OK

    if args.variant or args.random_variant:
        chosen = _pick_variant(kata, record) if args.random_variant else args.variant
        _switch(kata, data, record, variants.find(kata, chosen), variant=chosen)
    elif args.reset or (args.interview and interview.active(record) is None):
        _switch(kata, data, record, _source(kata, record), variant=record.get("variant"))
        if args.interview:
            say(render_markdown(kata.brief.read_text(encoding="utf-8")) + "\n")
    elif workspace.checkout(kata, _source(kata, record)):
        _started(record)
        state.save(data)
        say(render_markdown(kata.brief.read_text(encoding="utf-8")))
        say()
        say(
            f"Your copy is in {style(str(workspace.display(kata.workspace)) + '/', 'bold')}: edit it there."
        )
    if args.interview and interview.active(record) is None:
        interview.start(kata, record)
        state.save(data)

    def once() -> int:
        return _test(kata, args.traceback)

    if args.watch or args.interview:
        return watch.loop(kata, once, deadline=lambda: interview.remaining(_record(kata)))
    return once()


def _record(kata: Kata) -> dict:
    return state.entry(state.load(), kata.slug)


def _source(kata: Kata, record: dict) -> Path:
    chosen = record.get("variant")
    return variants.find(kata, chosen) if chosen else kata.broken


def _started(record: dict) -> None:
    record.update(started=time.time(), solved_at=None)


def _switch(kata: Kata, data: dict, record: dict, source: Path, variant: str | None) -> None:
    saved = workspace.replace(kata, source)
    if saved is not None:
        say(f"Your previous files are saved in {workspace.display(saved)}/")
    if variant != record.get("variant"):
        record["hints_shown"] = 0  # a different bug: its hints start afresh
    record["variant"] = variant
    _started(record)
    state.save(data)
    what = f"variant {variant}" if variant else "the original bug"
    say(
        f"Checked out {style(kata.slug, 'bold')} ({what}) into {workspace.display(kata.workspace)}/\n"
    )


def _pick_variant(kata: Kata, record: dict) -> str:
    known = [p.name for p in variants.variant_dirs(kata)]
    if not known:
        raise UserError(
            f"kata '{kata.slug}' has no variants yet (an instructor makes them: nox -s mutate -- {kata.slug})"
        )
    fresh = [v for v in known if v not in record["done_variants"] and v != record.get("variant")]
    return random.choice(fresh or known)


def _test(kata: Kata, traceback: bool) -> int:
    data = state.load()  # afresh each run: hints may have been asked for in another terminal
    record = state.entry(data, kata.slug)
    missing = workspace.missing(kata)
    if missing:
        raise UserError(
            f"{workspace.display(missing[0])} is missing; restore the kata's version with "
            f"`nox -s kata -- {kata.slug} --reset` (your other files are backed up first)"
        )
    variant = record.get("variant")
    label = f" (variant {variant})" if variant else ""
    say(
        style(f"{kata.slug}{label}: {kata.title}", "bold")
        + style(
            f"  · {kata.category} · {kata.family} · difficulty {kata.difficulty} · {kata.minutes} min",
            "dim",
        )
    )
    result = report.run_in_process(
        kata.slug, kata.workspace, extra=("--tb=short",) if traceback else ()
    )
    if traceback:
        say(result.output)
    interview.print_clock(record)
    if interview.finish_if_due(kata, record, result, _source(kata, record)):
        state.save(data)
    if not result.passed:
        if not result.outcomes:
            say(result.output)
            raise UserError(
                f"the tests of '{kata.slug}' did not run (pytest exit code {result.exit_code})",
                EXIT_FAILED,
            )
        print_failures(kata, result, record["hints_shown"])
        return EXIT_FAILED
    seconds = _record_solve(kata, record)
    state.save(data)
    print_success(kata, result, seconds, record["hints_shown"])
    return EXIT_OK


def _record_solve(kata: Kata, record: dict) -> float | None:
    started = record.get("started")
    if record.get("solved_at"):
        return record.get("seconds")
    now = time.time()
    seconds = now - started if isinstance(started, (int, float)) else None
    record.update(solved_at=now, seconds=seconds)
    variant = record.get("variant")
    record["attempts"].append(
        {"variant": variant, "seconds": seconds, "hints": record["hints_shown"], "when": now}
    )
    if variant and variant not in record["done_variants"]:
        record["done_variants"].append(variant)
    return seconds


def _hint(kata: Kata, data: dict, record: dict) -> int:
    shown = min(record["hints_shown"], len(kata.hints))
    if shown < len(kata.hints):
        shown += 1
        record["hints_shown"] = shown
        state.save(data)
    for number in range(1, shown + 1):
        latest = number == shown
        heading = style(f"Hint {number} of {len(kata.hints)}", "bold" if latest else "dim")
        body = kata.hints[number - 1]
        say(f"{heading}\n{body if latest else style(body, 'dim')}\n")
    if shown == len(kata.hints):
        say(
            f"That was the last hint. Still stuck? `nox -s kata -- {kata.slug} --diff --yes` shows the solution."
        )
    else:
        say(f"Another hint: nox -s kata -- {kata.slug} --hint")
    return EXIT_OK


def _show_diff(kata: Kata, record: dict, confirmed: bool) -> int:
    if not record.get("solved_at") and not confirmed:
        if sys.stdin.isatty():
            answer = input("You have not solved this kata yet. Show the solution anyway? [y/N] ")
            confirmed = answer.strip().lower() in {"y", "yes"}
        if not confirmed:
            raise UserError(
                f"'{kata.slug}' is not solved yet; to see the solution anyway: nox -s kata -- {kata.slug} --diff --yes"
            )
    source = _source(kata, record)
    say(style("The bug and its fix (the kata as handed out → the reference solution):", "bold"))
    say(workspace.diff(kata, source, kata.fixed, "handed-out", "reference"))
    if workspace.exists(kata) and not workspace.missing(kata):
        say(style("Your version → the reference solution:", "bold"))
        yours = workspace.diff(kata, kata.workspace, kata.fixed, "yours", "reference")
        say(yours or "(identical)")
    return EXIT_OK
