"""``nox -s mutate -- <slug>`` or ``--path DIR``: the instructor's command line for variants and test strength."""

from __future__ import annotations

import argparse
import os
import re
import signal

from tools import EXIT_FAILED, EXIT_OK, UserError
from tools.core import catalog, variants
from tools.core.term import error, say
from tools.core.workspace import display
from tools.mutation import (
    equivalents,
    install,
    mutmut_api,
    operators,
    outside,
    refresh,
    sandbox,
    strength,
)
from tools.mutation.campaign import campaign
from tools.mutation.install import BUILD, recover
from tools.mutation.model import Settings

FLAG = {"action": "store_true"}

OPTIONS = {
    "--all": (FLAG, "every kata in the catalog"),
    "--shard": ({"metavar": "K/N"}, "only the K-th of N shares of the katas (one CI matrix job)"),
    "--count": (
        {"type": int, "default": 5, "metavar": "N"},
        "variants per kata (default 5; 0: none, only the test-strength report, faster)",
    ),
    "--seed": ({"type": int, "default": 0}, "orders equally subtle mutants (default 0)"),
    "--jobs": ({"type": int, "default": os.cpu_count() or 1}, "parallel workers (default: cores)"),
    "--no-write": (FLAG, "report only: choose and check variants, write nothing to broken/"),
    "--prune": (FLAG, "remove earlier generated variants this campaign did not choose"),
    "--operator": ({"action": "append", "metavar": "NAME"}, "only this ML operator (repeatable)"),
    "--list-operators": (FLAG, "list the ML-aware operators and exit"),
    "--compare-plain": (FLAG, "also time a plain mutmut run on the same sandbox"),
    "--scenery": (FLAG, "also run the mutants of the code that makes the kata's data"),
    "--keep-sandbox": (FLAG, "keep the sandbox for debugging and say where it is"),
    "--summary": (FLAG, "only rebuild build/mutation/summary.{json,md,html} from the kata reports"),
    "--relabel": (
        FLAG,
        "only judge the variants' changes again and rewrite their class, title, brief, hints, "
        "explanation and difficulty from a fresh run (a change no longer handed out is removed)",
    ),
    "--path": (
        {"metavar": "DIR"},
        "an outside project instead of katas: its modules in DIR, its tests in DIR/tests",
    ),
    "--tests": ({"metavar": "DIR"}, "with --path: the project's tests (default: DIR/tests)"),
    "--out": (
        {"metavar": "OUT"},
        "with --path: where variants and report go (default: build/outside/<DIR's name>/)",
    ),
    "--refresh": (
        FLAG,
        "after editing a kata's fixed/ or tests: only re-apply its variants (a hunk whose context "
        "moved is found by its changed lines), re-run the tests on each, re-record failing_tests, "
        "difficulty and brief, drop those that no longer apply or that no test catches, and print "
        "what changed (with --no-write: only print it); never writes fixed/ or tests/",
    ),
}

EXAMPLES = """examples:
  nox -s mutate -- leakage                 5 verified variants in broken/leakage/variants/, and a report
  nox -s mutate -- --all --count 8         every kata; also build/mutation/summary.md
  nox -s mutate -- leakage --no-write      the test-strength report only (build/mutation/leakage.html)
  nox -s mutate -- leakage --no-write --count 0 --jobs 1
                                           the strength gate and the mutants the tests miss, quickest
  nox -s mutate -- --all --shard 2/4       the second of four CI jobs; then: nox -s mutate -- --summary
  nox -s mutate -- leakage --refresh       after editing fixed/leakage or tests/leakage: variants re-checked
  nox -s mutate -- --path ~/course/churn   an outside project: variants and report in build/outside/churn/
"""


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
    # Ctrl-C stops a campaign even when this process inherited SIGINT ignored (a script's
    # background job): nothing is installed after it (install.uninterrupted).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    outside.check_arguments(args)
    if args.list_operators:
        for name, category, _, function in operators.OPERATORS:
            say(f"{name:20} {category:10} {(function.__doc__ or '').strip().splitlines()[0]}")
        return EXIT_OK
    if args.summary:
        say(f"wrote {', '.join(display(p) for p in strength.write_summary(BUILD))}")
        return EXIT_OK
    if args.relabel:
        changed, removed = [], []
        for slug in chosen_slugs(args):
            changed += install.relabel(catalog.load(slug), jobs=args.jobs, removed=removed)
        say(f"relabelled {len(changed)} variant{'s' if len(changed) != 1 else ''}")
        for path in removed:
            say(
                f"  removed {display(path)}: its change is no longer handed out (not a natural slip)"
            )
        return EXIT_OK
    if args.count < 0 or args.jobs < 1:
        raise UserError("--count must be at least 0 and --jobs at least 1")
    if args.count == 0 and not args.no_write:
        raise UserError("--count 0 writes no variants: add --no-write (a test-strength report)")
    if args.path:
        return outside.run(args)
    if args.refresh:
        for slug in chosen_slugs(args):
            kata = catalog.load(slug)
            outcomes = refresh.refresh(kata, jobs=args.jobs, write=not args.no_write)
            say(refresh.render(kata, outcomes, written=not args.no_write))
        return EXIT_OK
    unknown = set(args.operator or []) - {name for name, *_ in operators.OPERATORS}
    if unknown:
        raise UserError(f"unknown operator {sorted(unknown)[0]!r}; --list-operators shows them all")
    slugs = chosen_slugs(args)
    for slug in slugs:  # a mistake in an equivalents file stops us now, not after the campaign
        equivalents.load(equivalents.path_for(slug))
    mutmut = None if args.operators_only else mutmut_api.require_mutmut()
    os.environ.update({k: os.environ.get(k, v) for k, v in sandbox.SINGLE_THREADED.items()})
    for path in recover():
        say(f"restored {display(path)}, left half-installed by a campaign that was killed")
    failed = 0
    for slug in slugs:
        try:
            result = campaign(catalog.load(slug), Settings.from_args(args), mutmut)
        except UserError as problem:
            if len(slugs) == 1:
                raise
            error(f"{slug}: {problem}")
            failed += 1
            continue
        result["handed_out"] = variants.listing(catalog.load(slug))  # the report shows each change
        say(strength.render_text(result))
        say(f"  report: {display(strength.write_reports(result, BUILD)[1])}\n")
    strength.write_summary(BUILD)
    return EXIT_FAILED if failed else EXIT_OK
