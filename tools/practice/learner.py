"""The learner's loop: ``nox -s kata -- <slug> [options]`` checks out, tests, hints, resets and compares."""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import time
from pathlib import Path

from tools import EXIT_FAILED, EXIT_OK, UserError
from tools.core import catalog, results, runner, state, variants, workspace
from tools.core.catalog import Kata
from tools.core.term import render_markdown, say, style
from tools.practice import interview, listing, rootcause, watch
from tools.practice.feedback import print_failures, print_success

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
    parser.add_argument(
        "--difficulty",
        type=int,
        choices=range(1, 6),
        metavar="N",
        help="with --random-variant: a variant as close to difficulty N (1-5) as there is",
    )
    parser.add_argument("--traceback", action="store_true", help="also print pytest's full output")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print only one JSON document (exercism's results.json shape) for editors and CI",
    )


ACTIONS = ("hint", "reset", "diff", "brief", "variant", "random_variant", "watch", "interview")


def _check_usage(args: argparse.Namespace) -> None:
    if args.difficulty is not None and not args.random_variant:
        raise UserError(
            "--difficulty goes with --random-variant: nox -s kata -- <slug> --random-variant --difficulty 4"
        )
    if args.variant is not None and not args.variant.strip():
        raise UserError("--variant needs a variant id (nox -s kata -- <slug> --list shows them)")
    if not args.slug:
        given = [name for name in ACTIONS if getattr(args, name)]
        given += [name for name in ("yes", "traceback") if getattr(args, name)]
        if given:
            option = "--" + given[0].replace("_", "-")
            raise UserError(f"{option} needs a kata: nox -s kata -- <slug> {option}")


def run(args: argparse.Namespace) -> int:
    _check_usage(args)
    if args.json:
        return _json(args)
    if args.list or not args.slug:
        listing.print_listing(catalog.load_all(), state.load())
        return EXIT_OK
    kata = catalog.load(args.slug)
    if args.hint:
        return _hint(kata)
    if args.diff:
        return _show_diff(kata, args.yes)
    if args.brief:
        say(render_markdown(_brief_text(kata)))
        return EXIT_OK

    record = state.record(kata.slug)
    if args.variant or args.random_variant:
        chosen = (
            _pick_variant(kata, record, args.difficulty) if args.random_variant else args.variant
        )
        _switch(kata, variants.find(kata, chosen), variant=chosen)
    elif args.reset or (args.interview and interview.active(record) is None):
        variant = _current_variant(kata, record, announce=True)
        _switch(kata, variants.find(kata, variant) if variant else kata.broken, variant=variant)
        if args.interview:
            say(render_markdown(_brief_text(kata)) + "\n")
    elif workspace.checkout(kata, _source(kata, record)):
        state.update(kata.slug, _started)
        say(render_markdown(_brief_text(kata)))
        say()
        say(
            f"Your copy is in {style(str(workspace.display(kata.workspace)) + '/', 'bold')}: edit it there."
        )
    if args.interview and interview.active(state.record(kata.slug)) is None:
        state.update(kata.slug, lambda r: interview.start(kata, r))

    def once() -> int:
        return _test(kata, args.traceback)

    if args.watch or args.interview:
        return watch.loop(
            kata,
            once,
            deadline=lambda: interview.remaining(state.record(kata.slug)),
            on_stop=lambda: _stopped(kata),
        )
    return once()


def _json(args: argparse.Namespace) -> int:
    """Check out if needed, run the tests, print one results.json document and nothing else."""
    if not args.slug:
        raise UserError("--json needs a kata: nox -s kata -- <slug> --json")
    others = [name for name in (*ACTIONS, "traceback", "list") if getattr(args, name)]
    if others:
        raise UserError(f"--json runs the tests once; it does not go with --{others[0]}")
    kata = catalog.load(args.slug)
    record = state.record(kata.slug)
    if workspace.checkout(kata, _source(kata, record)):
        state.update(kata.slug, _started)
    missing = workspace.missing(kata)
    if missing:
        raise UserError(
            f"{workspace.display(missing[0])} is missing; restore it with nox -s kata -- {kata.slug} --reset"
        )
    result = runner.run(kata.slug, kata.workspace)
    variant = _current_variant(kata, record)
    say(results.dumps(results.kata_document(kata.slug, result, variant)))
    if result.passed:
        digest = workspace.digest(kata)
        state.update(kata.slug, lambda r: _record_solve(r, digest))
        return EXIT_OK
    return EXIT_FAILED


def _brief_text(kata: Kata) -> str:
    variant = state.record(kata.slug).get("variant")
    if variant:
        with contextlib.suppress(UserError):
            return variants.brief(kata, variants.find(kata, variant))
    return kata.brief.read_text(encoding="utf-8")


def _stopped(kata: Kata) -> None:
    """Ctrl-C in watch mode; during an interview it ends the interview with a report."""
    if interview.active(state.record(kata.slug)) is None:
        say(f"\nStopped watching. Pick up again with: nox -s kata -- {kata.slug} --watch")
        return
    say(style("\nInterview stopped.", "bold"))
    result = runner.run(kata.slug, kata.workspace)
    record = state.record(kata.slug)
    source = _source(kata, record)
    said = rootcause.gather(kata)
    state.update(kata.slug, lambda r: interview.finish(kata, r, result, source, said, stopped=True))


def _current_variant(kata: Kata, record: dict, announce: bool = False) -> str | None:
    """The variant the learner is on, or None when it is the original bug or has disappeared."""
    chosen = record.get("variant")
    if not chosen:
        return None
    try:
        variants.find(kata, chosen)
    except UserError:
        if announce:
            say(
                f"The variant you were on ({chosen}) no longer exists; "
                f"using the original bug of '{kata.slug}'."
            )
        return None
    return chosen


def _source(kata: Kata, record: dict) -> Path:
    chosen = _current_variant(kata, record)
    return variants.find(kata, chosen) if chosen else kata.broken


def _started(record: dict) -> None:
    record.update(started=time.time(), solved_at=None, seconds=None)


def _switch(kata: Kata, source: Path, variant: str | None) -> None:
    saved = workspace.replace(kata, source)
    if saved is not None:
        say(f"Your previous files are saved in {workspace.display(saved)}/")

    def change(record: dict) -> None:
        if variant != record.get("variant"):
            record["hints_shown"] = 0  # a different bug: its hints start afresh
        record["variant"] = variant
        _started(record)

    state.update(kata.slug, change)
    what = f"variant {variant}" if variant else "the original bug"
    say(
        f"Checked out {style(kata.slug, 'bold')} ({what}) into {workspace.display(kata.workspace)}/\n"
    )


def _pick_variant(kata: Kata, record: dict, near: int | None = None) -> str:
    """An unseen variant, at random; with ``near``, among those closest to that difficulty."""
    known = [p.name for p in variants.variant_dirs(kata)]
    if not known:
        raise UserError(
            f"kata '{kata.slug}' has no variants yet (an instructor makes them: nox -s mutate -- {kata.slug})"
        )
    fresh = [v for v in known if v not in record["done_variants"] and v != record.get("variant")]
    pool = fresh or known
    if near is not None:
        distance = {v: abs(variants.difficulty(kata, v) - near) for v in pool}
        pool = [v for v in pool if distance[v] == min(distance.values())]
    return random.choice(pool)


def _test(kata: Kata, traceback: bool) -> int:
    record = state.record(kata.slug)  # afresh each run: hints may have come from another terminal
    missing = workspace.missing(kata)
    if missing:
        raise UserError(
            f"{workspace.display(missing[0])} is missing; restore the kata's version with "
            f"`nox -s kata -- {kata.slug} --reset` (your other files are backed up first)"
        )
    variant = _current_variant(kata, record)
    label = f" (variant {variant})" if variant else ""
    say(
        style(f"{kata.slug}{label}: {_title(kata, variant)}", "bold")
        + style(
            f"  · {kata.category} · {kata.family} · difficulty {kata.difficulty} · {kata.minutes} min",
            "dim",
        )
    )
    result = runner.run(kata.slug, kata.workspace, extra=("--tb=short",) if traceback else ())
    if traceback:
        say(result.output)
    interview.print_clock(record)
    source = _source(kata, record)
    due = interview.active(record) is not None and (
        result.passed or (interview.remaining(record) or 0) <= 0
    )
    if due:
        said = rootcause.gather(kata)  # before the lock: it may prompt
        state.update(kata.slug, lambda r: interview.finish(kata, r, result, source, said))
    hints = variants.hints(kata, variant)
    if not result.passed:
        if not result.outcomes:
            say(result.output[-3000:])
            raise UserError(
                f"the tests of '{kata.slug}' did not run (pytest exit code {result.exit_code})",
                EXIT_FAILED,
            )
        print_failures(kata, result, record["hints_shown"], len(hints))
        return EXIT_FAILED
    digest = workspace.digest(kata)
    seconds, hints_used = state.update(kata.slug, lambda r: _record_solve(r, digest))
    print_success(kata, result, seconds, hints_used, variants.explanation(kata, variant))
    return EXIT_OK


def _title(kata: Kata, variant: str | None) -> str:
    return variants.title(kata, variant) if variant else kata.title


def _record_solve(record: dict, digest: str) -> tuple[float | None, int]:
    if digest not in record["solved_digests"]:
        record["solved_digests"].append(digest)
    if record.get("solved_at"):
        return record.get("seconds"), record["hints_shown"]
    started = record.get("started")
    now = time.time()
    seconds = now - started if isinstance(started, (int, float)) else None
    record.update(solved_at=now, seconds=seconds)
    variant = record.get("variant")
    record["attempts"].append(
        {"variant": variant, "seconds": seconds, "hints": record["hints_shown"], "when": now}
    )
    if variant and variant not in record["done_variants"]:
        record["done_variants"].append(variant)
    return seconds, record["hints_shown"]


def _hint(kata: Kata) -> int:
    variant = _current_variant(kata, state.record(kata.slug))
    hints = variants.hints(kata, variant)

    def next_hint(record: dict) -> int:
        shown = min(record["hints_shown"], len(hints))
        if shown < len(hints):
            shown += 1
        record["hints_shown"] = shown
        return shown

    shown = state.update(kata.slug, next_hint)
    for number in range(1, shown + 1):
        latest = number == shown
        heading = style(f"Hint {number} of {len(hints)}", "bold" if latest else "dim")
        body = hints[number - 1]
        say(f"{heading}\n{body if latest else style(body, 'dim')}\n")
    if shown == len(hints):
        say(
            f"That was the last hint. Still stuck? `nox -s kata -- {kata.slug} --diff --yes` shows the solution."
        )
    else:
        say(f"Another hint: nox -s kata -- {kata.slug} --hint")
    return EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(question)
    except EOFError:
        say()
        return False
    return answer.strip().lower() in {"y", "yes"}


def _show_diff(kata: Kata, confirmed: bool) -> int:
    record = state.record(kata.slug)
    question = "You have not solved this kata yet. Show the solution anyway? [y/N] "
    if not record.get("solved_at") and not confirmed and not _confirm(question):
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
