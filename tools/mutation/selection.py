"""Selection and ranking: which caught mutants are offered to learners as variants, in what order."""

from __future__ import annotations

import itertools
import random

from tools.mutation import bugclasses
from tools.mutation.model import SCENERY, Mutant


def ranked(mutants: list[Mutant], seed: int) -> list[Mutant]:
    """Catchable mutants in the order to offer them as variants.

    Only mutants with a bug class are offered (:mod:`tools.mutation.bugclasses`: the ML classes,
    and of mutmut's changes only those that model a real mistake), and none in the code that makes
    the kata's data. Most plausible first: the ML classes before generic slips, then fewest
    failing tests, then fewest exceptions (a traceback points at the line). Then spread out: first one
    per code site, kind of change and set of failing tests, alternating our operators and
    mutmut's, outside the data-making code; then one per code site; then the rest. ``seed``
    only orders mutants that are equally subtle.
    """
    # The code that makes a kata's synthetic data is scenery: a bug there is no interview bug.
    offered = (m for m in mutants if m.status == "killed" and m.bug_class)
    candidates = sorted((m for m in offered if not SCENERY.search(m.function)), key=lambda m: m.id)
    rng = random.Random(seed)
    ties = {m.id: rng.random() for m in candidates}

    def subtlety(m: Mutant) -> tuple:
        exceptions = sum(r == "numerical" for r in m.reasons.values())
        scenery = bool(SCENERY.search(m.function))
        plausible = bugclasses.CLASSES[m.bug_class].rank
        return scenery, plausible, len(m.failing), exceptions, ties[m.id]

    def site(m: Mutant) -> tuple:
        return m.file, m.line

    def kind(m: Mutant) -> tuple:
        return m.source, m.operator if m.source == "ml" else m.function

    order = sorted(candidates, key=subtlety)
    by_source = [[m for m in order if m.source == source] for source in ("ml", "mutmut")]
    alternating = [m for pair in itertools.zip_longest(*by_source) for m in pair if m is not None]
    picked: list[Mutant] = []
    for strict, sequence in ((2, alternating), (1, order), (0, order)):
        for m in sequence:
            clash = [p for p in picked if p is m or (strict and site(p) == site(m))]
            if strict == 2:
                clash += [p for p in picked if kind(p) == kind(m) or p.failing == m.failing]
                clash += [m] if SCENERY.search(m.function) else []  # data-making code: last
            if not clash:
                picked.append(m)
    return picked
