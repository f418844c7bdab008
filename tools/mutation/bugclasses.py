"""The bug classes a generated variant can plant, and what a learner reads about each once found.

A class contributes two texts to a variant: the technique its *last* hint teaches (the only hint
that names the class), and the lesson closing its explanation (why the mistake matters and how to
catch it next time). Everything before that speaks of the variant's own symptom and function
(:mod:`tools.mutation.texts`), so a lesson never claims what running the variant shows. ``words``
are the terms that would give the class away in an earlier hint; ``ml`` marks the classes the
catalog is about, which make the bulk of what is handed out (:mod:`tools.mutation.selection`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BugClass:
    """One class of planted bug: its name, its category, its last hint and its lesson."""

    key: str
    category: str  # the catalog's category, for the rubric's bug-class question
    title: str  # what the last hint calls it: "data leakage"
    ml: bool  # an ML bug class (True) or a generic slip (a boundary, an off-by-one)
    rank: int  # lower is handed out first among equally subtle candidates
    concepts: tuple[str, ...]
    technique: str  # how to find and fix this kind of bug, for the last hint
    lesson: str  # why it matters and how to spot it next time
    words: tuple[str, ...]  # terms that name the class: none may appear before the last hint


def _c(key, category, title, ml, rank, concepts, technique, lesson, words) -> BugClass:
    flat = " ".join(lesson.split())
    return BugClass(key, category, title, ml, rank, tuple(concepts), technique, flat, tuple(words))


CLASSES = {
    c.key: c
    for c in [
        _c("leakage", "leakage", "data leakage", True, 0,
           ("fit on training rows only", "held-out rows", "information from the test set"),
           "perturb only the held-out rows and see which fitted number moves; every fit must see training rows only.",
           """Held-out scores are honest only if nothing fitted has seen the held-out rows; a leak
           makes them measure memory, and production, which never has tomorrow's rows, does worse
           than reported. Next time: split first, fit on training rows only, and test that fitted
           values do not move when only held-out rows change.""",
           ("leak",)),
        _c("evaluation", "evaluation", "an evaluation on the wrong rows", True, 1,
           ("held-out evaluation", "training rows", "optimistic score"),
           "write down which rows each reported number is computed on, and check the model never saw them.",
           """A score is only as honest as the rows it is computed on: rows the model was fitted on
           reward memorising. Next time: name the rows behind every reported number and recompute
           one of them independently.""",
           ("wrong rows",)),
        _c("split", "evaluation", "rows taken in file order instead of shuffled", True, 1,
           ("shuffled split", "row order", "reproducible seed"),
           "check that every place meant to draw rows at random (a split, a fold, an epoch's batches) depends on its seed; sort the data by label or time and see whether each part still looks like the whole.",
           """Code that splits or batches rows assumes they come in no particular order; exports are
           often sorted, so rows taken in file order give parts unlike the whole: a held-out set of
           one kind of row, batches that pull training one way and then another. Next time: check
           each part's balance and that the result depends on its seed.""",
           ("shuffl", "file order")),
        _c("shape", "shape", "a shape or axis mistake", True, 2,
           ("broadcasting", "axis", "shapes"),
           "print the shape of every intermediate array, with n != d and with n == d, and check each axis, transpose and reshape.",
           """NumPy broadcasts and reduces along whatever axis it is given, so a wrong shape often
           yields numbers rather than an error, and when it does fail the message names the shapes,
           not the mistake. Next time: assert shapes where they change, and test with n == 1 and
           n == d.""",
           ("broadcast", "wrong axis")),
        _c("stability", "numerics", "numerical instability (overflow)", True, 0,
           ("overflow", "numerical stability", "log space"),
           "feed the function logits of +-1000 under np.errstate(over='raise') and rewrite it so no intermediate value overflows: shift before exp, stay in log space.",
           """exp overflows past about 709 and underflows below -745, so a textbook formula that is
           exact on paper returns inf or nan on real inputs. Next time: run numerical code under
           np.errstate(over="raise") with extreme inputs; shift before exp, work in log space.""",
           ("overflow", "stable", "stability", "log space")),
        _c("guard", "numerics", "a missing guard against a special value", True, 1,
           ("division by zero", "log of zero", "edge case"),
           "find the division, log or sqrt on the failing path and give its special input (0, a constant column, p of exactly 0 or 1) a finite answer.",
           """Divisions, logarithms and square roots break at special inputs (zero, a constant column,
           a probability of exactly 0 or 1), and real data contain them. Next time: list the inputs
           at which each operation breaks, and test exactly those.""",
           ("guard", "epsilon")),
        _c("variance", "numerics", "catastrophic cancellation in a variance", True, 1,
           ("catastrophic cancellation", "variance", "precision"),
           "compute the spread from deviations about the mean rather than from raw squares, and test with an offset of 1e9.",
           """E[x^2] - E[x]^2 subtracts two huge, nearly equal numbers when the data sit far from zero,
           and floating point keeps almost none of the difference. Next time: test statistics on data
           with a large offset and compare with a two-pass computation.""",
           ("cancellation",)),
        _c("precision", "numerics", "lost floating-point precision", True, 1,
           ("single precision", "float32", "fused log1p and expm1"),
           "find where low digits go: a float32 array or accumulator, a sum of large values, 1 + x for a tiny x; compare with float64 and with np.log1p or np.expm1.",
           """float32 keeps about seven significant digits and float64 about sixteen: timestamps,
           money totals and long sums lose their low digits in float32, and log(1 + x) loses x
           entirely once x is below about 1e-16. Next time: keep float64 for data and
           accumulators, use the fused np.log1p and np.expm1, and test with large offsets and
           tiny increments.""",
           ("float32", "precision")),
        _c("gradient-sign", "gradient", "a gradient or update with the wrong sign", True, 0,
           ("gradient sign", "finite differences", "gradient descent"),
           "compare the analytic gradient with a central finite difference of the loss, and check the order of every difference in the update.",
           """Gradient descent goes downhill only if the gradient and the update agree in sign; one
           reversed difference makes training climb. Next time: check every gradient against
           central finite differences, and check that the loss decreases.""",
           ("wrong sign", "uphill")),
        _c("gradient-scale", "gradient", "a gradient with the wrong scale", True, 1,
           ("gradient scale", "chain rule", "finite differences"),
           "compare the analytic gradient with finite differences at two batch sizes, and check each factor: 1/n, a constant, a chain-rule term.",
           """A gradient that lost a factor still points downhill, so training may work at one batch
           size or learning rate and diverge at another. Next time: finite-difference checks at
           several n, and a loss that decreases monotonically.""",
           ("wrong scale", "missing factor")),
        _c("penalty", "gradient", "a regularisation term that went missing", True, 1,
           ("regularisation", "penalty gradient", "intercept"),
           "set the penalty strength very large and check that the coefficients shrink toward zero and that the loss, its gradient (finite differences) and the solver agree.",
           """A penalty must appear, the same, wherever the objective is computed, differentiated or
           solved, and it must spare the intercept; dropped in one place, the model stops shrinking
           or the figures stop matching the fit. Next time: test with a strong penalty, and check
           the gradient with the penalty on and off.""",
           ("regularis", "penalty")),
        _c("copy", "data", "a missing defensive copy", True, 2,
           ("in-place modification", "copy", "side effects"),
           "call the function twice on the same input and compare the input before and after.",
           """In-place operations on an array or frame the caller still holds change the caller's
           data, so a second call sees different inputs. Next time: check inputs are unchanged after
           every call.""",
           ("defensive copy", "in place")),
        _c("alignment", "data", "pandas index alignment", True, 1,
           ("index alignment", "pandas", "row order"),
           "rerun on a frame with a shuffled, non-default index and check where each value attaches: by label or by position.",
           """pandas matches rows by index label whenever two objects meet, so after filtering or
           sorting, values can attach to the wrong rows or become NaN. Next time: test with
           shuffled, non-default indexes.""",
           ("alignment", "aligns")),
        _c("smoothing", "algorithm", "missing additive smoothing", True, 1,
           ("laplace smoothing", "zero counts", "unseen events"),
           "classify an input containing a value unseen in one class and look at how probabilities come from counts.",
           """Without a prior, a count of zero gives probability 0, which vetoes every other piece of
           evidence. Next time: test with values unseen in training.""",
           ("smoothing", "laplace")),
        _c("averaging", "metrics", "macro and micro averaging mixed up", True, 1,
           ("macro average", "micro average", "imbalanced classes"),
           "compute the metric by hand on a small imbalanced example, both as a mean of per-class scores and from pooled counts.",
           """Macro averaging weighs every class equally, micro averaging every row; on imbalanced data
           they differ a lot. Next time: check a hand-worked imbalanced case.""",
           ("macro", "micro")),
        _c("merge", "data", "a join that does not match one row per key", True, 1,
           ("non-unique key", "row multiplication", "join type"),
           "count rows before and after each merge and check the key is unique on the side that should have one row per key.",
           """A non-unique key multiplies rows and totals, and the join type decides which rows
           survive. Next time: check row counts around every merge and pass validate="many_to_one".""",
           ("non-unique key", "join type")),
        _c("scale", "metrics", "a statistic with the wrong normalisation", True, 2,
           ("normalisation", "mean versus sum", "scale with n"),
           "compute the quantity for two, then four, identical rows: an average must not change.",
           """An average that became a total grows with the number of rows, so figures stop being
           comparable across data sizes. Next time: check that averages do not change when every row
           is duplicated.""",
           ("normalisation",)),
        _c("signed-error", "metrics", "an error measure whose signed errors cancel", True, 1,
           ("absolute error", "signed errors", "error metric"),
           "work the measure by hand for errors of +3 and -3: a size of error must count both, so take each error's size (absolute value or square) before averaging.",
           """An error measure must add up the size of each error: averaged with their signs,
           over- and under-predictions cancel, so a model wrong by 3 in both directions scores near
           0. Next time: check every error measure on a hand-worked case with errors of both
           signs.""",
           ("cancel", "signed")),
        _c("comparison", "algorithm", "a comparison off at its boundary", False, 3,
           ("threshold", "ties", "boundary"),
           "test values exactly at, just below and just above each threshold, and check each <, <=, > and >=.",
           """Values exactly at a threshold (ties) are common in real data: rounded scores, repeated
           readings. Next time: test ties and boundaries explicitly.""",
           ("boundary", "ties")),
        _c("sign", "algorithm", "a sign error", False, 3,
           ("sign error", "update direction", "hand-worked example"),
           "work one small example by hand and compare the sign of every term with the code's.",
           """A flipped sign keeps every shape and most magnitudes, so only values checked against a
           hand-worked example expose it. Next time: check intermediate values on a tiny example.""",
           ("sign error", "flipped sign")),
        _c("off-by-one", "algorithm", "an off-by-one", False, 3,
           ("off-by-one", "indexing", "edge case"),
           "try the smallest inputs (one row, one class) and check every slice bound, range and index.",
           """Counts, indexes and ranges each start and end somewhere; one wrong end drops an item or
           counts one twice. Next time: test with n == 1 and the smallest cases.""",
           ("off-by-one", "off by one")),
        _c("flag", "data", "a library option set the wrong way", False, 3,
           ("keyword options", "library semantics", "silent behaviour change"),
           "try the call on a tiny input with each value of its options (True or False, first or last, ascending or not) and compare with what the next step expects.",
           """A flipped option (index, keepdims, replace, shuffle, ascending, drop) makes a call quietly
           do something else. Next time: know what each option does and check calls on tiny inputs.""",
           ("option set the wrong way",)),
    ]
}  # fmt: skip

ML = frozenset(key for key, c in CLASSES.items() if c.ml)


def giveaways(key: str) -> tuple[str, ...]:
    """The words that would name ``key``'s class: its key, its title and its listed terms."""
    c = CLASSES[key]
    return tuple(dict.fromkeys((c.key.replace("-", " "), c.title, *c.words)))
