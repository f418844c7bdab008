"""The learner's loop: ``nox -s kata -- <name> [options]`` checks out, tests, hints, resets and compares.

``<name>`` is an exercise: a kata's slug (``leakage``), a variant (``leakage-v3f9a1c``, checked out
by ``--variant``) or a blind exercise's neutral name (drawn by ``--blind``). It is resolved once,
here, into an :class:`~tools.core.exercise.Exercise` that every other part is given.
"""

from __future__ import annotations

import argparse
import random

from tools import EXIT_OK, UserError
from tools.core import catalog, state, variants, workspace
from tools.core import exercise as exercises
from tools.core.exercise import Exercise
from tools.core.term import say, style
from tools.practice import advisor, blind, interview, listing, session, watch

EXAMPLES = """examples:
  nox -s kata -- leakage               check out (first time) and run the tests
  nox -s kata -- leakage --hint        the next hint
  nox -s kata -- leakage --watch       re-run on every save
  nox -s kata -- leakage --interview   timed, with a rubric report at the end
  nox -s kata -- --blind               an unseen exercise under a neutral name
  nox -s kata -- --next                what your record says to practise next
  nox -s kata                          every kata and what to do next
"""
DEFAULT_INTERVIEW_DIFFICULTY = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "slug",
        nargs="?",
        metavar="name",
        help="the exercise: a kata (leakage), a variant (leakage-v3f9a1c) or a blind "
        "exercise's name (none: list the katas)",
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
    action.add_argument("--brief", action="store_true", help="show the exercise's brief again")
    action.add_argument(
        "--variant",
        metavar="ID",
        help="work on a generated bug variant of the kata, in katas/<slug>-<ID>/",
    )
    action.add_argument(
        "--random-variant",
        action="store_true",
        help="work on a variant of the kata you have not done yet, picked at random",
    )
    action.add_argument(
        "--blind",
        action="store_true",
        help="an exercise you have not done, drawn from every kata and variant, under a "
        "neutral name; nothing names the kata or its bug class until you solve it",
    )
    action.add_argument(
        "--next",
        action="store_true",
        help="start what your record says to practise next, and say why",
    )
    parser.add_argument(
        "--watch", action="store_true", help="re-run the tests each time you save a file"
    )
    parser.add_argument(
        "--interview",
        action="store_true",
        help="timed interview: a fresh copy, a countdown from the exercise's budget, watch mode "
        "and a rubric-style report at the end; without a name, a blind exercise",
    )
    parser.add_argument(
        "--yes", action="store_true", help="confirm --diff before the exercise is solved"
    )
    parser.add_argument(
        "--difficulty",
        type=int,
        choices=range(1, 6),
        metavar="N",
        help="with --random-variant, --blind or a blind --interview: as close to difficulty N "
        "(1-5) as there is",
    )
    parser.add_argument(
        "--family", metavar="F", help="with --blind: only this algorithm family (e.g. neural-net)"
    )
    parser.add_argument("--traceback", action="store_true", help="also print pytest's full output")
    parser.add_argument(
        "--json",
        action="store_true",
        help="print only one JSON document (exercism's results.json shape) for editors and CI",
    )


ACTIONS = ("hint", "reset", "diff", "brief", "variant", "random_variant", "watch", "interview")


def _check_usage(args: argparse.Namespace) -> None:
    drawing = args.random_variant or args.blind or (args.interview and not args.slug)
    if args.difficulty is not None and not drawing:
        raise UserError(
            "--difficulty goes with --blind, --random-variant or an --interview without a name: "
            "nox -s kata -- --blind --difficulty 4"
        )
    if args.family is not None and not args.blind:
        raise UserError("--family goes with --blind: nox -s kata -- --blind --family neural-net")
    if args.variant is not None and not args.variant.strip():
        raise UserError("--variant needs a variant id (nox -s kata -- <slug> --list shows them)")
    if (args.blind or args.next) and args.slug:
        option = "--blind" if args.blind else "--next"
        raise UserError(
            f"{option} chooses the exercise itself; continue one by its name: nox -s kata -- <name>"
        )
    if not args.slug and not (args.blind or args.next):
        given = [name for name in ACTIONS if getattr(args, name) and name != "interview"]
        given += [name for name in ("yes", "traceback", "json") if getattr(args, name)]
        if given:
            option = "--" + given[0].replace("_", "-")
            raise UserError(f"{option} needs a kata: nox -s kata -- <slug> {option}")
    if args.json:
        others = [n for n in (*ACTIONS, "traceback", "list", "blind", "next") if getattr(args, n)]
        if others:
            option = "--" + others[0].replace("_", "-")
            raise UserError(f"--json runs the tests once; it does not go with {option}")


def run(args: argparse.Namespace) -> int:
    _check_usage(args)
    data = state.load()
    if args.list or not (args.slug or args.blind or args.next or args.interview):
        listing.print_listing(catalog.load_all(), data)
        return EXIT_OK
    ex, fresh = _choose(args, data)
    if args.json:
        return session.json_run(ex)
    if args.hint:
        return session.hint(ex)
    if args.diff:
        return session.show_diff(ex, args.yes)
    if args.brief:
        session.show_brief(ex)
        return EXIT_OK
    record = state.record(ex.key)
    if args.interview and interview.active(record) is None:
        aside = interview.set_aside_root_cause(ex)
        if aside is not None:
            say(f"Your earlier {aside.name} is kept in {workspace.display(aside.parent)}/")
        if not fresh:
            session.start_over(ex, brief=True)
        state.update(ex.key, lambda r: interview.start(ex, r))
    elif args.reset:
        session.start_over(ex)
    elif not fresh:
        session.checkout(ex)

    def once() -> int:
        return session.test(ex, args.traceback)

    if args.watch or args.interview:
        return watch.loop(
            ex,
            once,
            deadline=lambda: interview.remaining(state.record(ex.key)),
            on_stop=lambda: session.stopped(ex),
            ahead=lambda: session.prepare_next(ex, args.traceback),
        )
    return once()


def _choose(args: argparse.Namespace, data: dict) -> tuple[Exercise, bool]:
    """The exercise the command is about, and whether it was just checked out."""
    if args.next:
        suggestion = advisor.suggest(catalog.load_all(), data)
        if suggestion is None:
            raise UserError("you have done every exercise; try nox -s kata -- --blind")
        say(style(f"Next: {suggestion.name}", "bold") + f"   ({suggestion.reason})")
        return exercises.resolve(suggestion.name, data.get("katas", {})), False
    if args.blind or (args.interview and not args.slug):
        near = args.difficulty
        if near is None and not args.blind:
            near = DEFAULT_INTERVIEW_DIFFICULTY
        ex = blind.draw(data, near, args.family)
        return ex, _fresh(ex)
    if args.variant or args.random_variant:
        kata = catalog.load(args.slug)
        chosen = _pick_variant(kata, data, args.difficulty) if args.random_variant else args.variant
        variants.find(kata, chosen)  # an unknown id lists the known ones
        ex = exercises.of_variant(kata, chosen)
        return ex, _fresh(ex)
    return exercises.resolve(args.slug, data.get("katas", {})), False


def _fresh(ex: Exercise) -> bool:
    """Check a chosen exercise out (True), or say that its folder is being continued."""
    if session.checkout(ex):
        return True
    say(f"Continuing {style(ex.name, 'bold')} in {workspace.display(ex.workspace)}/")
    return False


def _pick_variant(kata: catalog.Kata, data: dict, near: int | None = None) -> str:
    """An unseen variant, at random; with ``near``, among those closest to that difficulty."""
    known = [c for c in blind.candidates([kata]) if c.variant]
    if not known:
        raise UserError(
            f"kata '{kata.slug}' has no variants yet (an instructor makes them: nox -s mutate -- {kata.slug})"
        )
    done = blind.seen(data)
    pool = [c for c in known if (kata.slug, c.variant) not in done] or known
    if near is not None:
        closest = min(abs(c.difficulty - near) for c in pool)
        pool = [c for c in pool if abs(c.difficulty - near) == closest]
    return random.choice(pool).variant
