"""``nox -s list``: every kata grouped by category, its variants, blind exercises, and what to do next."""

from __future__ import annotations

import argparse

from tools import EXIT_OK
from tools.core import catalog, state, variants, workspace
from tools.core.catalog import Kata
from tools.core.term import format_duration, say, style
from tools.practice import advisor, progress, progress_page

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
WARM_UP = advisor.WARM_UP
BLIND_AFTER = 3  # named katas solved (besides the warm-up) before blind practice is suggested


def status(kata: Kata, record: dict) -> str:
    if progress.solved(record):
        return "solved"
    if workspace.exists(kata):
        return "in progress"
    return "not started"


def best(record: dict) -> tuple[float | None, int | None]:
    """The fastest counted solve and the fewest hints over the counted attempts."""
    return progress.best(record)


def _identity(record: object) -> dict | None:
    identity = record.get("exercise") if isinstance(record, dict) else None
    return identity if isinstance(identity, dict) and identity.get("slug") else None


def variants_done(records: dict) -> dict[str, tuple[int, int]]:
    """Per kata slug: (variants solved, variants started), by name (blind ones are apart)."""
    counts: dict[str, list[int]] = {}
    for record in records.values():
        identity = _identity(record)
        if identity is None or identity.get("blind") or not identity.get("variant"):
            continue
        done = counts.setdefault(identity["slug"], [0, 0])
        done[0] += progress.solved(record)
        done[1] += 1
    return {slug: (a, b) for slug, (a, b) in counts.items()}


def print_blind(records: dict) -> None:
    """Blind exercises by their neutral names; what each was, once it is solved."""
    rows = [(name, r) for name, r in records.items() if (_identity(r) or {}).get("blind")]
    if not rows:
        return
    say(style(f"\n{'Blind practice':<40}", "bold", "blue"))
    for name, record in sorted(rows, key=lambda row: row[1].get("started") or 0):
        identity = record["exercise"]
        if progress.solved(record):
            seconds, hints = progress.best(record)
            what = identity["slug"] + (
                f", variant {identity['variant']}" if identity.get("variant") else ""
            )
            took = (
                f"  {format_duration(seconds)}, {hints} hint{'s' if hints != 1 else ''}"
                if seconds is not None
                else ""
            )
            say(f"  {name:<28} {style('solved     ', 'green')}  was {what}{style(took, 'dim')}")
        else:
            say(f"  {name:<28} {style('in progress', 'yellow')}  (revealed once solved)")


def print_listing(katas: list[Kata], data: dict) -> None:
    records = data.get("katas", {})
    colours = {"solved": "green", "in progress": "yellow", "not started": "dim"}
    by_variant = variants_done(records)
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
        if kata.slug in by_variant:
            solved, started = by_variant[kata.slug]
            extra += f"  variants: {solved} of {len(variants.variant_dirs(kata))} solved"
            extra += f" ({started - solved} in progress)" if started > solved else ""
        stars = "●" * kata.difficulty + "○" * (5 - kata.difficulty)
        say(
            f"  {kata.slug:<28} {stars}  {kata.minutes:>3} min  "
            f"{style(f'{now:<11}', colours[now])}  {kata.title}{style(extra, 'dim')}"
        )
    print_blind(records)
    solved = sum(status(k, records.get(k.slug, {})) == "solved" for k in katas)
    say(f"\n{solved} of {len(katas)} katas solved.")
    nxt = advisor.suggest(katas, data)
    if nxt is not None:
        say(f"Next: {style(f'nox -s kata -- {nxt.name}', 'bold')}   ({nxt.title}; {nxt.reason})")
    named = [
        k for k in katas if k.slug != WARM_UP and status(k, records.get(k.slug, {})) == "solved"
    ]
    warmed = WARM_UP not in {k.slug for k in katas} or progress.solved(records.get(WARM_UP, {}))
    if warmed and len(named) >= BLIND_AFTER:
        say(
            f"Ready to find bugs as the interview hands them out: {style('nox -s kata -- --blind', 'bold')}"
            "   (an unseen exercise under a neutral name)"
        )


def progress_bar(done: int, total: int, width: int = 12) -> str:
    filled = round(width * done / total) if total else 0
    return style("█" * filled, "green") + style("░" * (width - filled), "dim")


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
