"""One kata's campaign: generate, judge, rank and install, and the figures ``nox -s bench`` reports."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import time

from tools.core import catalog
from tools.core.catalog import Kata
from tools.core.term import say
from tools.mutation import mutmut_api, operators, sandbox, strength, workers
from tools.mutation.install import BUILD, fingerprint, opaque_id, unchanged, write_variants
from tools.mutation.model import (
    RECORD,
    SCENERY,
    Settings,
    _shape,
    describe,
    from_operators,
    triage,
    unified,
)
from tools.mutation.mutmut_api import from_mutmut, plain_mutmut
from tools.mutation.selection import ranked
from tools.mutation.workers import activation, classify, settle_exactly


def campaign(kata: Kata, settings: Settings, mutmut: str | None) -> dict:
    """Generate, judge, rank and (unless ``--no-write``) install one kata's variants."""
    started, phases = time.perf_counter(), {}

    def lap(name: str) -> float:
        phases[name] = round(time.perf_counter() - started - sum(phases.values()), 2)
        return phases[name]

    fixed = {name: (kata.fixed / name).read_text(encoding="utf-8") for name in kata.files}
    guard, mutants, checked = fingerprint(kata), [], {}
    with sandbox.sandbox(kata, keep=settings.keep_sandbox) as box:
        if settings.keep_sandbox:
            say(f"{kata.slug}: the sandbox is kept in {box.root}")
        mutmut_api.write_config(box, timeout=10.0)
        report, reached = workers.baseline(box)
        durations, wall = {o.test: o.seconds for o in report.outcomes}, lap("baseline")
        # A mutant that runs ten times longer than the whole fixed suite is stopped as a timeout.
        per_test = min(10.0, max(2.0, 20 * max(durations.values())))
        deadline = max(5.0, 10 * wall)
        mutmut_api.write_config(box, timeout=per_test)
        say(f"{kata.slug}: the fixed version passes its {len(durations)} tests ({wall} s)")
        if mutmut:
            mutmut_api.seed_stats(box, durations, reached)
            mutmut_api.run_mutmut(box, settings.jobs, BUILD / f"{kata.slug}.mutmut.log")
            mutants += from_mutmut(kata, mutmut_api.mutmut_results(box, fixed))
            say(f"{kata.slug}: mutmut made and tested {len(mutants)} mutants ({lap('mutmut')} s)")
        if not settings.mutmut_only:
            mutants += from_operators(kata, fixed, settings.operator)
        triage(mutants, fixed)
        ran = classify(box, mutants, reached, deadline, settings.jobs)
        say(f"{kata.slug}: {ran} mutants of our ML-aware operators tested ({lap('operators')} s)")
        if mutmut:
            checked = activation(box, mutants, deadline, settings.jobs)
            lap("activation")
        handed_out = {n: _shape((kata.broken / n).read_text(encoding="utf-8")) for n in kata.files}
        for m in mutants:
            describe(m, fixed[m.file])  # sets m.line and m.bug_class, which ranking uses
            if m.bug_class and _shape(m.code) == handed_out[m.file]:
                m.bug_class = ""  # the kata's own bug: not a new variant
        if mutmut and settings.count:  # mutmut stopped each mutant at its first failure: finish
            # the candidates (a strength report alone, --count 0, needs no more than that)
            candidates = [
                m
                for m in mutants
                if m.source == "mutmut"
                and m.status == "killed"
                and m.bug_class
                and not SCENERY.search(m.function)
            ]
            again = settle_exactly(box, candidates, deadline, settings.jobs)
            say(f"{kata.slug}: {again} candidates run again with every test ({lap('exact')} s)")
    order = ranked(mutants, settings.seed)
    chosen, rejected = [], []
    if order and settings.count:
        say(f"{kata.slug}: running the best of {len(order)} candidates as the self-check will")
        chosen, rejected = write_variants(kata, fixed, order, settings, guard)
    lap("variants")
    unchanged(kata, guard)
    total = round(time.perf_counter() - started, 2)
    tested = sum(m.source == "mutmut" for m in mutants) + ran + checked.get("survivors_rerun", 0)
    timing = {"phases": phases, "total": total, "mutants_per_second": round(tested / total, 2)}
    if settings.compare_plain and mutmut:
        say(f"{kata.slug}: timing a plain mutmut run on the same sandbox")
        timing["plain_mutmut"] = plain_mutmut(kata, settings.jobs, per_test, fixed)
    records, handed = [], {m.id: opaque_id(kata, m) for m in chosen}
    for m in mutants:
        record = {key: getattr(m, key) for key in RECORD}
        record["variant"] = handed.get(m.id, "")
        records.append(
            {**record, "description": describe(m, fixed[m.file]), "diff": unified(kata, fixed, m)}
        )
    tool = {"mutmut": mutmut, "operators": len(operators.OPERATORS), "seed": settings.seed}
    extra = {"activation": checked, "rejected": rejected}
    extra["variants"] = [opaque_id(kata, m) for m in chosen]
    extra["written"] = not settings.no_write
    result = strength.summarise(kata.slug, records, tool=tool, timing=timing, **extra)
    if not settings.no_write:
        text = json.dumps(strength.committed(result), indent=1) + "\n"
        strength.write_atomically(kata.variants / "strength.json", text)
    return result


def benchmark(slug: str) -> dict[str, float]:
    """Figures for ``nox -s bench``: one campaign that writes nothing to broken/ ({} without mutmut)."""
    if importlib.util.find_spec("mutmut") is None:
        return {}
    os.environ.update({k: os.environ.get(k, v) for k, v in sandbox.SINGLE_THREADED.items()})
    settings = Settings(no_write=True, compare_plain=True)
    timing = campaign(catalog.load(slug), settings, mutmut_api.require_mutmut())["timing"]
    figures = {
        "campaign_seconds": timing["total"],
        "mutants_per_second": timing["mutants_per_second"],
        "mutmut_step_seconds": timing["phases"].get("mutmut"),
    }
    plain = timing.get("plain_mutmut")
    if plain and timing["phases"].get("mutmut"):
        figures["plain_mutmut_seconds"] = plain["seconds"]
        figures["mutmut_step_ratio"] = timing["phases"]["mutmut"] / plain["seconds"]
    return figures
