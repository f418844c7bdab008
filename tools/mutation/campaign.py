"""One kata's campaign: generate, judge, rank and install, and the figures ``nox -s bench`` reports."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import resource
import time

from tools.core import catalog
from tools.core.catalog import Kata
from tools.core.term import say
from tools.mutation import equivalents, mutmut_api, operators, sandbox, strength, workers
from tools.mutation.install import fingerprint, opaque_id, unchanged, write_variants
from tools.mutation.model import (
    RECORD,
    SCENERY,
    Mutant,
    Settings,
    _shape,
    changed_lines,
    describe,
    from_operators,
    triage,
    unified,
)
from tools.mutation.mutmut_api import plain_mutmut
from tools.mutation.project import makes_data
from tools.mutation.selection import ranked


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and the children it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


MUTMUT_WORDS = {"crashed": "killed", "no-tests": "no tests"}


def campaign(kata: Kata, settings: Settings, mutmut: str | None) -> dict:
    """Generate, judge, rank and (unless ``--no-write``) install one kata's variants.

    mutmut's engine and our operators make the mutants; each is run, in warm forked workers, only
    against the tests that reach the lines it changes (the baseline run traces them). Mutants that
    may become variants run those tests to the end, for their exact failing tests; the others stop
    at the first failure, as a plain ``mutmut run`` does. Known answers are not run again: a
    duplicate takes its twin's verdict, the kata's own bug its listed tests, an unreached line is
    reported as such; and mutants of the code that makes the kata's synthetic data (a third of
    mutmut's) are not run unless ``--scenery`` asks: no learner is handed one, and the strength
    figure that matters leaves them out.
    """
    started, phases, cpu_started = time.perf_counter(), {}, cpu_seconds()

    def lap(name: str) -> float:
        phases[name] = round(time.perf_counter() - started - sum(phases.values()), 2)
        return phases[name]

    fixed = {name: (kata.fixed / name).read_text(encoding="utf-8") for name in kata.files}
    guard, mutants, touched, ran = fingerprint(kata), [], {}, 0
    with sandbox.sandbox(kata, keep=settings.keep_sandbox) as box:
        if settings.keep_sandbox:
            say(f"{kata.slug}: the sandbox is kept in {box.root}")
        mutmut_api.write_config(box, timeout=10.0)
        report, reach = workers.baseline(box)
        durations, wall = {o.test: o.seconds for o in report.outcomes}, lap("baseline")
        # A mutant that runs ten times longer than the whole fixed suite is stopped as a timeout.
        per_test = min(10.0, max(2.0, 20 * max(durations.values())))
        deadline = max(5.0, 10 * wall)
        mutmut_api.write_config(box, timeout=per_test)
        say(f"{kata.slug}: the fixed version passes its {len(durations)} tests ({wall} s)")
        if mutmut:
            made, touched = mutmut_api.generate(box, fixed)
            mutants += made
        if not settings.mutmut_only:
            ours = from_operators(kata, fixed, settings.operator)
            touched.update({m.id: changed_lines(fixed[m.file], m.code) for m in ours})
            mutants += ours
        lap("generate")
        triage(mutants, fixed)
        handed_out = {n: _shape((kata.broken / n).read_text(encoding="utf-8")) for n in kata.files}
        for m in mutants:
            describe(m, fixed[m.file])  # sets m.line and m.bug_class, which ranking uses
            if _shape(m.code) == handed_out[m.file]:  # the kata's own bug: known, not a variant
                m.bug_class = ""
                m.status = m.status or "killed"
                m.failing = m.failing or sorted(kata.failing_tests)

        for m in mutants:  # the code that makes the data: no variant, no figure that matters
            if makes_data(kata, m.function):  # an outside project's [tool.katas] scenery
                m.bug_class = ""
            made_data = SCENERY.search(m.function) or makes_data(kata, m.function)
            if not settings.scenery and not m.status and made_data:
                m.status = "scenery"

        def exact(m: Mutant) -> bool:  # a possible variant lists exactly the tests it fails
            return bool(settings.count and m.bug_class and not SCENERY.search(m.function))

        broken = {n: (kata.broken / n).read_text(encoding="utf-8") for n in kata.files}
        ran, proof = workers.judge(
            box, mutants, reach, touched, exact, deadline=deadline, jobs=settings.jobs,
            proof=broken,
        )  # fmt: skip
        for m in mutants:  # in mutmut's words, for the report's comparison with a plain run
            m.mutmut_status = MUTMUT_WORDS.get(m.status, m.status) if m.source == "mutmut" else ""
        say(
            f"{kata.slug}: {len(mutants)} mutants, {ran} run on the tests that reach them ({lap('mutants')} s)"
        )
    order = ranked(mutants, settings.seed)
    chosen, rejected = [], []
    if order and settings.count:
        say(f"{kata.slug}: running the best of {len(order)} candidates as the self-check will")
        chosen, rejected = write_variants(kata, fixed, order, settings, guard)
    lap("variants")
    unchanged(kata, guard)
    total = round(time.perf_counter() - started, 2)
    timing = {
        "phases": phases,
        "total": total,
        "mutants_per_second": round(ran / total, 2),  # mutants run: not the ones known untested
    }
    timing["cpu"] = round(cpu_seconds() - cpu_started, 2)  # a busy machine stretches wall time
    if settings.compare_plain and mutmut:
        say(f"{kata.slug}: timing a plain mutmut run on the same sandbox")
        timing["plain_mutmut"] = plain_mutmut(kata, settings.jobs, per_test)
    records, handed = [], {m.id: opaque_id(kata, m) for m in chosen}
    for m in mutants:
        record = {key: getattr(m, key) for key in RECORD}
        record["variant"] = handed.get(m.id, "")
        records.append(
            {**record, "description": describe(m, fixed[m.file]), "diff": unified(kata, fixed, m)}
        )
    tool = {"mutmut": mutmut, "operators": len(operators.OPERATORS), "seed": settings.seed}
    selected = [len(reach.tests(m.file, touched[m.id])) for m in mutants if m.id in touched]
    checked = {
        "runner": "plain mutant modules in forked workers, each on the tests that reach its lines",
        "tests": len(durations),
        "mean_tests_per_mutant": round(sum(selected) / max(1, len(selected)), 2),
        "run": ran,
        # the kata's broken version, run in the mutants' session, fails exactly its listed tests
        "proof": proof is not None and proof.failing_tests == sorted(kata.failing_tests),
    }
    extra = {"activation": checked, "rejected": rejected}
    extra["variants"] = [opaque_id(kata, m) for m in chosen]
    extra["written"] = not settings.no_write
    listed = equivalents.load(kata.tests / equivalents.FILE)
    result = strength.summarise(kata.slug, records, listed, tool=tool, timing=timing, **extra)
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
    }
    plain = timing.get("plain_mutmut")
    if plain:
        figures["plain_mutmut_seconds"] = plain["seconds"]
        figures["campaign_ratio"] = timing["total"] / plain["seconds"]
        figures["campaign_cpu_ratio"] = timing["cpu"] / plain["cpu"]
    return figures
