"""``nox -s list``: every kata grouped by category, with its status and best result, and what to do next."""

from __future__ import annotations

import argparse

from tools import EXIT_OK
from tools.core import catalog, state, workspace
from tools.core.catalog import Kata
from tools.core.term import format_duration, say, style
from tools.practice import progress_page

CATEGORY_TITLES = {
    "leakage": "Data leakage",
    "shape": "Shape mismatch and silent broadcasting",
    "gradient": "Wrong gradient",
    "numerics": "Overflow and numerical stability",
    "metrics": "Metrics from scratch",
    "data": "Data processing with pandas",
    "evaluation": "Evaluation",
    "algorithm": "Algorithms from scratch",
}


def status(kata: Kata, record: dict) -> str:
    if record.get("attempts") or record.get("solved_at"):
        return "solved"
    if workspace.exists(kata):
        return "in progress"
    return "not started"


def best(record: dict) -> tuple[float | None, int | None]:
    """The fastest solve and the fewest hints over every attempt."""
    attempts = record.get("attempts") or []
    times = [a["seconds"] for a in attempts if isinstance(a.get("seconds"), (int, float))]
    hints = [a["hints"] for a in attempts if isinstance(a.get("hints"), int)]
    return (min(times) if times else None, min(hints) if hints else None)


WARM_UP = "metrics-rmse"  # the entry point of the catalog


def suggestion(katas: list[Kata], data: dict) -> Kata | None:
    """The kata in progress; else the warm-up on a fresh start; else the easiest not started."""
    records = data.get("katas", {})
    states = [(k, status(k, records.get(k.slug, {}))) for k in katas]
    for kata, current in states:
        if current == "in progress":
            return kata
    fresh = [k for k, current in states if current == "not started"]
    if len(fresh) == len(katas):
        return next((k for k in fresh if k.slug == WARM_UP), fresh[0] if fresh else None)
    return min(fresh, key=lambda k: k.difficulty, default=None)


def progress_bar(done: int, total: int, width: int = 12) -> str:
    filled = round(width * done / total) if total else 0
    return style("█" * filled, "green") + style("░" * (width - filled), "dim")


def print_listing(katas: list[Kata], data: dict) -> None:
    records = data.get("katas", {})
    colours = {"solved": "green", "in progress": "yellow", "not started": "dim"}
    current = None
    for kata in katas:
        if kata.category != current:
            current = kata.category
            group = [k for k in katas if k.category == current]
            done = sum(status(k, records.get(k.slug, {})) == "solved" for k in group)
            say(
                style(f"\n{CATEGORY_TITLES[current]:<40}", "bold", "blue")
                + f" {progress_bar(done, len(group))} {done}/{len(group)}"
            )
        record = records.get(kata.slug, {})
        now = status(kata, record)
        seconds, hints = best(record)
        extra = ""
        if seconds is not None:
            extra = f"  best {format_duration(seconds)}, {hints} hint{'s' if hints != 1 else ''}"
        stars = "●" * kata.difficulty + "○" * (5 - kata.difficulty)
        say(
            f"  {kata.slug:<28} {stars}  {kata.minutes:>3} min  "
            f"{style(f'{now:<11}', colours[now])}  {kata.title}{style(extra, 'dim')}"
        )
    solved = sum(status(k, records.get(k.slug, {})) == "solved" for k in katas)
    say(f"\n{solved} of {len(katas)} katas solved.")
    nxt = suggestion(katas, data)
    if nxt is not None:
        say(f"Next: {style(f'nox -s kata -- {nxt.slug}', 'bold')}   ({nxt.title})")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", choices=catalog.CATEGORIES, help="only this category")
    parser.add_argument(
        "--html",
        action="store_true",
        help="also write build/progress.html: progress by category and family, interview scores",
    )


def run(args: argparse.Namespace) -> int:
    katas = [k for k in catalog.load_all() if args.category in (None, k.category)]
    data = state.load()
    print_listing(katas, data)
    if args.html:
        path = progress_page.write(katas, data, status)
        say(f"\nProgress page: {workspace.display(path)} (open it in a browser)")
    return EXIT_OK
