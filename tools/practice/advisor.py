"""What to practise next, chosen from the learner's record, with the reason said in one line.

The warm-up comes first on a fresh clone, then an exercise touched in the last two days. After
that, the bug class that cost the most on its last two results (hints, time over budget, ML
understanding points lost in interviews), else a class not practised yet or not for a week; within
it, an unstarted kata (or an unseen variant) nearest the learner's level.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

from tools import UserError
from tools.core import catalog, exercise, variants, workspace
from tools.core.catalog import Kata
from tools.practice import blind, progress

WARM_UP = "metrics-rmse"  # the entry point of the catalog
RECENT_DAYS = 2
STALE_DAYS = 7


@dataclass(frozen=True)
class Suggestion:
    """An exercise to do next, and why."""

    name: str
    title: str
    reason: str


@dataclass(frozen=True)
class Result:
    """One past result in a bug class: a solve or an interview."""

    when: float
    hints: int = 0
    over_budget: float = 0.0  # time / budget
    points_lost: float = 0.0  # ML-understanding points lost, of 25


def _classes_of(name: str, record: dict, katas: dict[str, Kata]) -> tuple[tuple[str, ...], int]:
    """The bug classes and the budget (minutes) of the exercise a record belongs to."""
    identity = record.get("exercise")
    if isinstance(identity, dict):
        kata = katas.get(identity.get("slug"))
        if kata is None or (identity.get("blind") and not progress.solved(record)):
            return (), 0  # an unsolved blind exercise's class is not said, even here
        variant = identity.get("variant")
        if variant:
            try:
                manifest = variants.read_variant(variants.find(kata, variant))
            except UserError:
                return (), 0
            level = exercise.variant_difficulty(kata, manifest)
            return (manifest.get("category") or kata.category,), exercise.BUDGETS[level - 1]
        name = kata.slug
    kata = katas.get(name)
    if kata is None:
        return (), 0
    return (kata.category, *(p.category for p in kata.problems if p.category)), kata.minutes


def history(katas: list[Kata], data: dict) -> dict[str, list[Result]]:
    """Every class's results, oldest first."""
    by_slug = {k.slug: k for k in katas}
    found: dict[str, list[Result]] = defaultdict(list)
    for name, record in data.get("katas", {}).items():
        if not isinstance(record, dict):
            continue
        classes, minutes = _classes_of(name, record, by_slug)
        results = [
            Result(
                a.get("when") or 0.0,
                hints=a.get("hints") if isinstance(a.get("hints"), int) else 0,
                over_budget=(a.get("seconds") or 0.0) / (60 * minutes) if minutes else 0.0,
            )
            for a in record.get("attempts") or []
            if isinstance(a, dict)
        ]
        results += [
            Result(i.get("when") or 0.0, points_lost=25 * (1 - float(i.get("understanding") or 0)))
            for i in record.get("interviews") or []
            if isinstance(i, dict) and isinstance(i.get("understanding"), (int, float))
        ]
        for category in dict.fromkeys(classes):
            found[category] += results
    return {c: sorted(r, key=lambda r: r.when) for c, r in found.items()}


def weakness(results: list[Result]) -> tuple[float, str]:
    """How much the last two results of a class cost, and the reason in words."""
    last = results[-2:]
    which = "your last two" if len(last) == 2 else "your last one"
    hints = sum(r.hints for r in last)
    slowest = max((r.over_budget for r in last), default=0.0)
    lost = max((r.points_lost for r in last), default=0.0)
    reasons = []
    if hints >= 2:
        reasons.append((hints, f"{hints} hints on {which}"))
    if slowest >= 1.5:
        reasons.append((2 * (slowest - 1), f"{slowest:.1f}x the time budget on {which}"))
    if lost >= 8:
        reasons.append((lost / 5, f"{lost:.0f} of 25 ML-understanding points lost on {which}"))
    if not reasons:
        return 0.0, ""
    return sum(cost for cost, _ in reasons), "; ".join(text for _, text in reasons)


def _level(katas: list[Kata], data: dict) -> int:
    """The difficulty to aim at: one above the hardest kata solved without more than one hint."""
    records = data.get("katas", {})
    done = [
        k.difficulty
        for k in katas
        if any(a.get("hints", 0) <= 1 for a in progress.counted(records.get(k.slug, {})))
    ]
    return min(5, max(done, default=1) + 1)


def _in_class(katas: list[Kata], data: dict, category: str, level: int) -> Suggestion | None:
    """An unstarted kata of the class nearest ``level``, else an unseen variant of the class."""
    records = data.get("katas", {})
    fresh = [
        k
        for k in katas
        if k.category == category
        and not progress.touched(records.get(k.slug, {}))
        and not workspace.exists(k)
    ]
    if fresh:
        kata = min(fresh, key=lambda k: abs(k.difficulty - level))
        return Suggestion(kata.slug, kata.title, "")
    done = blind.seen(data)
    options = [
        c
        for c in blind.candidates([k for k in katas if k.category == category])
        if c.variant and (c.kata.slug, c.variant) not in done
    ]
    if options:
        chosen = min(options, key=lambda c: (abs(c.difficulty - level), c.kata.slug, c.variant))
        name = exercise.variant_name(chosen.kata, chosen.variant)
        return Suggestion(name, f"a variant of {chosen.kata.slug}", "")
    return None


def suggest(katas: list[Kata], data: dict, now: float | None = None) -> Suggestion | None:
    """The exercise to do next and why, or None when everything is done."""
    now = time.time() if now is None else now
    records = data.get("katas", {})
    by_slug = {k.slug: k for k in katas}
    warm_up = by_slug.get(WARM_UP)
    if warm_up is not None and not progress.solved(records.get(WARM_UP, {})):
        return Suggestion(WARM_UP, warm_up.title, "the five-minute warm-up: start here")
    recent = [
        (record.get("last_active") or 0, name)
        for name, record in records.items()
        if isinstance(record, dict)
        and not progress.solved(record)
        and (record.get("last_active") or 0) > now - RECENT_DAYS * 86400
        and (name in by_slug or isinstance(record.get("exercise"), dict))
    ]
    if recent:
        name = max(recent)[1]
        identity = records[name].get("exercise") or {}
        title = by_slug[name].title if name in by_slug else "a blind exercise"
        if identity.get("variant") and not identity.get("blind"):
            title = f"variant {identity['variant']} of {identity.get('slug')}"
        return Suggestion(name, title, "in progress: you worked on it lately")
    level = _level(katas, data)
    results = history(katas, data)
    ranked = sorted(
        ((weakness(r), c) for c, r in results.items()),
        key=lambda item: -item[0][0],
    )
    order = [(c, f"{c}: {why}") for (cost, why), c in ranked if cost > 0]
    never = [c for c in catalog.CATEGORIES if c not in results]
    order += [(c, f"{c}: not practised yet") for c in never]
    stale = sorted((r[-1].when, c) for c, r in results.items() if r)
    order += [
        (c, f"{c}: not practised for {int((now - when) // 86400)} days")
        for when, c in stale
        if now - when > STALE_DAYS * 86400
    ]
    order += [(c, f"{c}: the next step in difficulty") for c in catalog.CATEGORIES]
    for category, reason in order:
        found = _in_class(katas, data, category, level)
        if found is not None:
            return Suggestion(found.name, found.title, reason)
    return None
