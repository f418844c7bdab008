"""Selection and ranking: which caught mutants are offered to learners as variants, in what order."""

from __future__ import annotations

import random

from tools.mutation.bugclasses import CLASSES
from tools.mutation.model import SCENERY, Mutant

# While ML-class candidates last, at most one generic slip (a boundary, an off-by-one, a flipped
# option) in every GENERIC_EVERY picks: the catalog is about ML bugs, at least 70 % of what it
# hands out.
GENERIC_EVERY = 5


def ranked(mutants: list[Mutant], seed: int) -> list[Mutant]:
    """Catchable mutants in the order to offer them as variants.

    Only mutants with a bug class are offered (:mod:`tools.mutation.plausible` decides which
    changes are real mistakes), and none in the code that makes the kata's data. Most subtle
    first: by the class's rank, then fewest failing tests, then fewest exceptions (a traceback
    points at the line). Then spread out: first one per bug class, code site, kind of change and
    set of failing tests; then one per code site; then the rest. ML classes lead, with one generic
    slip in every :data:`GENERIC_EVERY`. ``seed`` only orders mutants that are equally subtle.
    """
    offered = (m for m in mutants if m.status == "killed" and m.bug_class in CLASSES)
    candidates = sorted((m for m in offered if not SCENERY.search(m.function)), key=lambda m: m.id)
    rng = random.Random(seed)
    ties = {m.id: rng.random() for m in candidates}

    def subtlety(m: Mutant) -> tuple:
        exceptions = sum(r == "numerical" for r in m.reasons.values())
        return CLASSES[m.bug_class].rank, len(m.failing), exceptions, ties[m.id]

    ml = _spread(sorted((m for m in candidates if CLASSES[m.bug_class].ml), key=subtlety))
    generic = _spread(sorted((m for m in candidates if not CLASSES[m.bug_class].ml), key=subtlety))
    order: list[Mutant] = []
    while ml or generic:
        order += ml[: GENERIC_EVERY - 1]
        ml = ml[GENERIC_EVERY - 1 :]
        order += generic[:1]
        generic = generic[1:]
    return order


def _spread(order: list[Mutant]) -> list[Mutant]:
    """``order`` rearranged so that the first picks differ in class, site, kind and failing tests."""

    def clashes(p: Mutant, m: Mutant, strict: int) -> bool:
        if strict == 0:
            return False
        same = (p.file, p.line) == (m.file, m.line)
        if strict >= 2:
            same = same or _kind(p) == _kind(m) or p.failing == m.failing
        return same or (strict == 3 and p.bug_class == m.bug_class)

    picked: list[Mutant] = []
    for strict in (3, 2, 1, 0):
        for m in order:
            if all(p is not m for p in picked) and not any(clashes(p, m, strict) for p in picked):
                picked.append(m)
    return picked


def _kind(m: Mutant) -> tuple:
    return m.source, m.operator if m.source == "ml" else m.function
