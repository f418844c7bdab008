"""``nox -s pack -- <slug> ... --students ROSTER --out OUT``: packs for a class, and their grades."""

from __future__ import annotations

import argparse
from pathlib import Path

from tools import EXIT_FAILED, EXIT_OK, UserError
from tools.core import catalog
from tools.core.term import say
from tools.core.workspace import display
from tools.instructor import grade, pack

EXAMPLES = """examples:
  nox -s pack -- leakage shape --students roster.txt --out build/pack
                                  one folder per student in build/pack/, key.json beside them
  nox -s pack -- --grade build/pack
                                  run each student's code against the pack's tests; grades.html
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog, parser.formatter_class = EXAMPLES, argparse.RawDescriptionHelpFormatter
    parser.add_argument("slugs", nargs="*", metavar="slug", help="katas every student gets")
    parser.add_argument("--students", type=Path, metavar="ROSTER", help="one student id a line")
    parser.add_argument("--out", type=Path, metavar="OUT", help="where the pack is written")
    parser.add_argument("--seed", type=int, default=0, help="deals the bugs (default 0)")
    parser.add_argument("--grade", type=Path, metavar="OUT", help="grade the pack in OUT")


def run(args: argparse.Namespace) -> int:
    if args.grade:
        if args.slugs or args.students:
            raise UserError("--grade takes only the pack's folder: nox -s pack -- --grade OUT")
        rows, notes = grade.grade(args.grade)
        for note in notes:
            say(f"note: {note}")
        written = grade.write_tables(rows, args.grade.resolve())
        solved = sum(r["status"] == "pass" for r in rows)
        say(f"{solved} of {len(rows)} student katas solved; wrote "
            + ", ".join(display(p) for p in written))  # fmt: skip
        return EXIT_OK
    if not args.slugs or not args.students or not args.out:
        raise UserError(
            "Usage: nox -s pack -- <slug> [<slug> ...] --students ROSTER --out OUT [--seed N]"
        )
    for slug in args.slugs:
        if slug not in catalog.slugs():
            raise UserError(catalog.unknown_slug_message(slug))
    key, notes = pack.build(args.slugs, args.students, args.out, args.seed)
    for note in notes:
        say(f"note: {note}")
    labels = {(b["slug"], b["variant"]) for bugs in key["students"].values() for b in bugs}
    say(
        f"packed {len(key['students'])} students x {len(key['katas'])} katas "
        f"({len(labels)} different bugs) in {display(args.out.resolve())}; the key is "
        f"{display(args.out.resolve() / 'key.md')}"
    )
    return EXIT_OK if key["students"] else EXIT_FAILED
