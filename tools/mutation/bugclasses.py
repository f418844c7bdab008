"""The bug classes a generated variant can plant: what a learner reads about each, and which
generated changes are worth handing out at all.

Every ML-aware operator names its class in :data:`OPERATOR_CLASS`; a mutmut mutant is classed by
the change it makes (:func:`mutmut_class`), and only changes that model a real mistake (a flipped
comparison or sign, an off-by-one, a wrong axis, a dropped term) get a class. An arbitrary
constant edit (``0.5`` -> ``1.5``, ``lr=0.1`` -> ``lr=1.1``) gets none: it still counts for test
strength, but it is never handed to a learner.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass


@dataclass(frozen=True)
class BugClass:
    """What a learner is told about one class of bug: hints (vaguest first) and an explanation."""

    key: str
    category: str  # the catalog's category, for the rubric's bug-class question
    hints: tuple[str, str, str]
    explanation: str
    concepts: tuple[str, ...]
    rank: int  # lower is handed out first: the ML classes before generic slips


def _c(key, category, rank, hints, explanation, concepts) -> BugClass:
    return BugClass(
        key, category, tuple(hints), " ".join(explanation.split()), tuple(concepts), rank
    )


CLASSES = {
    c.key: c
    for c in [
        _c(
            "leakage",
            "leakage",
            0,
            (
                "A held-out score is honest only if nothing fitted has seen the held-out rows. Which steps fit something to data?",
                "Follow each fitted statistic (a mean, a scale, a fill value, a model) back to the rows it was computed from.",
                "Perturb only the held-out rows and check which fitted numbers move: the first one that moves is the leak.",
            ),
            """Something fitted saw rows it should not have: the held-out rows, or all rows at once.
    Held-out scores then measure memory rather than generalisation, and production, which never
    has tomorrow's rows, does worse than reported. Next time: every fit comes after the split and
    sees training rows only; held-out rows only ever go through transform or predict.""",
            ("fit on training rows only", "held-out rows", "information from the test set"),
        ),
        _c(
            "evaluation",
            "evaluation",
            1,
            (
                "The reported score is meant to predict performance on new data. On which rows is it computed?",
                "Trace the rows that reach the scoring call back through the split.",
                "A score on rows the model was fitted on rewards memorising: compare it with a score on untouched rows.",
            ),
            """The evaluation no longer measures what it claims: the score is computed on rows the model
    has seen, or the split no longer separates what it should. Next time: write down which rows
    each number is computed on, and check that the model never saw them.""",
            ("held-out evaluation", "training rows", "optimistic score"),
        ),
        _c(
            "split",
            "evaluation",
            1,
            (
                "Splits assume the rows are in no particular order. Are they?",
                "Look at how the rows are assigned to each side of the split.",
                "Sort the data by label or by time and see whether each part still looks like the whole.",
            ),
            """The split stopped shuffling: the parts are consecutive blocks of the rows as they came in,
    so sorted or grouped data give parts unlike the whole, and a seed no longer changes them.
    Next time: check each part's label balance and that the split depends on the seed.""",
            ("shuffled split", "row order", "reproducible seed"),
        ),
        _c(
            "shape",
            "shape",
            2,
            (
                "NumPy broadcasts silently: a wrong shape often gives a wrong answer rather than an error.",
                "Print the shape of every intermediate array in the failing function, with n != d and with n == d.",
                "Check each reduction's axis, each transpose and each reshape against the shape comment it should satisfy.",
            ),
            """An array has the wrong shape or is reduced along the wrong axis, and broadcasting hides it:
    the code runs and returns numbers of a plausible size, but they mix rows with columns. Next
    time: assert shapes where they change, and test with n == 1 and n == d, where broadcasting
    bugs hide.""",
            ("broadcasting", "axis", "shapes"),
        ),
        _c(
            "stability",
            "numerics",
            2,
            (
                "The maths is right; the arithmetic is not. Which operation can overflow or underflow for large inputs?",
                "Feed the failing function very large and very small values (1000, -1000) and watch for inf or nan.",
                "Rewrite the expression in an equivalent form whose intermediate values stay bounded.",
            ),
            """A numerically stable formula was replaced by its textbook form: exp of a large argument
    overflows, or a sum of exponentials underflows, and inf or nan spreads. Next time: run with
    np.errstate(over="raise") and extreme inputs; shift before exp, work in log space.""",
            ("overflow", "numerical stability", "log space"),
        ),
        _c(
            "guard",
            "numerics",
            2,
            (
                "Some inputs are special: zero, a constant column, a probability of exactly 0 or 1.",
                "Find the division, logarithm or square root in the failing function and ask what happens at its edge.",
                "Give the special case a defined, finite answer before the operation that breaks on it.",
            ),
            """A guard against a special value went missing: a division by zero, the log of 0 or a
    constant column now produces inf or nan. Next time: list the inputs at which each division,
    log and sqrt breaks, and test exactly those.""",
            ("division by zero", "log of zero", "edge case"),
        ),
        _c(
            "variance",
            "numerics",
            2,
            (
                "Two formulas for the same statistic can differ enormously in floating point.",
                "Try the failing function on data with a large offset (values around 1e9).",
                "Compute the spread from deviations about the mean rather than from raw squares.",
            ),
            """The spread is computed in a way that loses precision or changes convention: raw squares
    cancel catastrophically when the data sit far from zero. Next time: test statistics on data
    with a large offset and compare with a two-pass computation.""",
            ("catastrophic cancellation", "variance", "precision"),
        ),
        _c(
            "gradient-sign",
            "gradient",
            1,
            (
                "Gradient descent goes downhill only if the gradient points uphill. Does the loss go down?",
                "Compare the analytic gradient with a finite difference of the loss at one point.",
                "Check the order of each difference (prediction minus target, or the reverse) in the backward pass.",
            ),
            """A difference is taken the wrong way round, so an update climbs instead of descending (or a
    residual points the wrong way). Next time: check every gradient against central finite
    differences, and check that the loss decreases.""",
            ("gradient sign", "finite differences", "gradient descent"),
        ),
        _c(
            "gradient-scale",
            "gradient",
            2,
            (
                "The direction may be right while the size is wrong. Does the gradient match the loss it claims?",
                "Compare the analytic gradient with finite differences at two different batch sizes.",
                "Check each factor the derivative should carry: 1/n, a constant, a chain-rule term.",
            ),
            """The gradient lost (or gained) a factor: a mean became a sum, a chain-rule term or a constant
    went missing. Training may still work at one batch size and diverge at another. Next time:
    finite-difference checks at several n, and a loss that decreases monotonically.""",
            ("gradient scale", "chain rule", "finite differences"),
        ),
        _c(
            "penalty",
            "gradient",
            2,
            (
                "The regularisation term has a value and a gradient: do they agree?",
                "Compare the gradient with finite differences with the penalty switched on and off.",
                "Check which parameters the penalty applies to and with what factor.",
            ),
            """The regulariser's gradient no longer matches its loss term. Next time: test gradients with
    a strong penalty, and check that the intercept is not shrunk.""",
            ("regularisation", "penalty gradient", "intercept"),
        ),
        _c(
            "copy",
            "data",
            2,
            (
                "Does the function change the data it was given?",
                "Call the failing function twice on the same input and compare the input before and after.",
                "Look for in-place operations on arrays or frames that belong to the caller.",
            ),
            """A defensive copy went missing, so the caller's data is modified in place and a second call
    sees different inputs. Next time: check that inputs are unchanged after a call.""",
            ("in-place modification", "copy", "side effects"),
        ),
        _c(
            "alignment",
            "data",
            1,
            (
                "pandas matches rows by index label, not by position, whenever two objects meet.",
                "Run the failing function on a frame with a shuffled, non-default index.",
                "Check every place where a Series or array is attached to a frame: by label or by position?",
            ),
            """Rows are matched by the wrong key: pandas aligned by index labels where positions were
    meant (or the reverse), so values attach to the wrong rows or become NaN. Next time: test
    with shuffled, non-default indexes.""",
            ("index alignment", "pandas", "row order"),
        ),
        _c(
            "smoothing",
            "algorithm",
            1,
            (
                "What probability does the model give to something it never saw in training?",
                "Classify a document containing a word unseen in one class.",
                "Counts of zero need a prior: look at how the probabilities are estimated from counts.",
            ),
            """Additive smoothing went missing, so an event unseen in training gets probability 0 and
    vetoes every other piece of evidence. Next time: test with unseen values.""",
            ("laplace smoothing", "zero counts", "unseen events"),
        ),
        _c(
            "averaging",
            "metrics",
            1,
            (
                "There is more than one way to average a per-class metric.",
                "Compute the metric by hand on a small imbalanced example.",
                "Compare the average of per-class scores with the score of pooled counts.",
            ),
            """Macro and micro averaging were mixed up: one averages per-class scores, the other pools the
    counts. On imbalanced data they differ a lot. Next time: check a hand-worked imbalanced case.""",
            ("macro average", "micro average", "imbalanced classes"),
        ),
        _c(
            "comparison",
            "algorithm",
            3,
            (
                "Boundaries matter: what happens to a value exactly at the threshold?",
                "Find the comparisons in the failing function and test values equal to, just below and just above each boundary.",
                "Check each <, <=, > and >= against what the surrounding code assumes.",
            ),
            """A comparison was flipped or moved by one at its boundary, so values exactly at a threshold
    (ties) go to the wrong side. Next time: test ties and boundaries explicitly.""",
            ("threshold", "ties", "boundary"),
        ),
        _c(
            "sign",
            "algorithm",
            3,
            (
                "An addition or a subtraction is the wrong way round somewhere.",
                "Work one small example by hand and compare each intermediate value with the code's.",
                "Check the sign of every term in the failing function.",
            ),
            """A sign flipped: a term is added instead of subtracted (or an update goes the wrong way).
    Next time: check intermediate values on a hand-worked example.""",
            ("sign error", "update direction", "hand-worked example"),
        ),
        _c(
            "operator",
            "algorithm",
            4,
            (
                "One arithmetic operation is not the one the formula needs.",
                "Write the formula down and compare it, operation by operation, with the code.",
                "Check each multiplication and division in the failing function.",
            ),
            """An arithmetic operator changed (a division where a multiplication belongs). Next time:
    compare code with the formula term by term on a small example.""",
            ("formula", "arithmetic", "hand-worked example"),
        ),
        _c(
            "off-by-one",
            "algorithm",
            3,
            (
                "Counts, indexes and ranges start somewhere and end somewhere: are both ends right?",
                "Try the failing function on the smallest inputs (one row, one class) and check each index.",
                "Check every slice bound, range and index against the number of items it should cover.",
            ),
            """An index, count or range is off by one, so an item is dropped or counted twice. Next time:
    test with n == 1 and the smallest cases.""",
            ("off-by-one", "indexing", "edge case"),
        ),
        _c(
            "merge",
            "data",
            1,
            (
                "Count the rows before and after each join: should the number change?",
                "Look at the key a merge joins on: is it unique on the side that should have one row per key?",
                "Decide which record per key the pipeline means, keep exactly that one before joining, and say how unmatched rows are treated.",
            ),
            """A join no longer matches one row per key: a non-unique key multiplies rows (and totals),
    or the join type drops or keeps the wrong rows. Next time: check row counts and totals around
    every merge, and pass validate="many_to_one" so pandas refuses a non-unique key.""",
            ("non-unique key", "row multiplication", "join type"),
        ),
        _c(
            "scale",
            "metrics",
            2,
            (
                "A number is off by a constant factor, or grows with the number of rows. Which quantity should be an average?",
                "Compute the failing quantity by hand for two, then four, identical rows: should it change?",
                "Check every sum, mean and division by a count on the failing path.",
            ),
            """A statistic lost (or gained) its normalisation: a mean became a sum, or a division by the
    count or a constant factor went missing, so the value scales with the data size. Next time:
    check that averages do not change when every row is duplicated.""",
            ("normalisation", "mean versus sum", "scale with n"),
        ),
        _c(
            "flag",
            "data",
            3,
            (
                "A library call behaves differently depending on its options. Is each one set as this pipeline needs?",
                "Look at every keyword argument set to True or False on the failing path, and ask what the other value would do.",
                "Try the call on a tiny input with each value of the option and compare with what the next step expects.",
            ),
            """An option of a call was flipped (index, keepdims, replace, shuffle, ascending, drop …),
    so the call silently does something else and the next step works on the wrong thing. Next
    time: know what each option does, and check calls on tiny inputs.""",
            ("keyword options", "library semantics", "silent behaviour change"),
        ),
        _c(
            "logic",
            "algorithm",
            4,
            (
                "A condition combines two tests: is it the combination the code needs?",
                "Evaluate the failing condition by hand for each combination of its parts.",
                "Check every and, or and not in the failing function.",
            ),
            """A boolean condition changed (and/or swapped, a flag flipped), so a branch or a mask selects
    the wrong items. Next time: test each combination of a condition's parts.""",
            ("boolean logic", "masks", "conditions"),
        ),
    ]
}

# Our operators' bug classes; an operator missing here (float32) is never handed out.
OPERATOR_CLASS = {
    "leak-fit-all-rows": "leakage", "leak-statistic": "leakage", "refit-on-test": "leakage",
    "split-overlap": "leakage", "score-on-train": "evaluation", "no-shuffle": "split",
    "drop-transpose": "shape", "matmul-to-multiply": "shape", "drop-reshape": "shape",
    "drop-new-axis": "shape", "column-target": "shape", "swap-axis": "shape",
    "drop-keepdims": "shape", "drop-clip": "guard", "drop-epsilon": "guard",
    "drop-guard": "guard", "drop-abs": "stability", "drop-max-shift": "stability",
    "naive-function": "stability", "unstable-log1p": "stability", "naive-logsumexp": "stability",
    "uncentred-variance": "variance", "swap-difference": "gradient-sign",
    "drop-normaliser": "gradient-scale", "mean-to-sum": "gradient-scale",
    "drop-factor": "gradient-scale", "drop-chain-factor": "gradient-scale",
    "drop-penalty": "penalty", "drop-copy": "copy", "drop-reset-index": "alignment",
    "drop-to-numpy": "alignment", "drop-smoothing": "smoothing", "swap-average": "averaging",
    "boundary": "comparison",
    "drop-dedupe": "merge",
    "merge-how": "merge",
    "keep-other-end": "flag",
}  # fmt: skip


def in_context(key: str, function: str) -> str:
    """The class as the learner should read it: outside any gradient code a reversed difference
    is a plain sign error and a mean turned into a sum a plain scale error, not gradient bugs."""
    learning = re.search(r"grad|backward|step|update|fit|train|loss", function.lower())
    if learning:
        return key
    return {"gradient-sign": "sign", "gradient-scale": "scale"}.get(key, key)


COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
SIGNS = {"+", "-", "+=", "-="}
PRODUCTS = {"*", "/", "*=", "/=", "//"}
LOGIC = {"and", "or", "not", "is"}
FLAGS = {"True", "False"}


def _tokens(line: str) -> list[str]:
    try:
        found = tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)
        return [t.string for t in found if t.string.strip()]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line.split()


def opcodes_start(old: list[str], new: list[str]) -> int:
    """Where in ``old`` the (single) change starts."""
    import difflib

    for tag, i1, _, _, _ in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if tag != "equal":
            return i1
    return 0


def _in_index_or_range(tokens: list[str], at: int) -> bool:
    """Whether the token at ``at`` is inside brackets (an index or slice) or a range() call."""
    depth = 0
    for i in range(at - 1, -1, -1):
        if tokens[i] in (")", "]"):
            depth += 1
        elif tokens[i] in ("(", "["):
            if depth == 0:
                return tokens[i] == "[" or (i > 0 and tokens[i - 1] in ("range", "arange"))
            depth -= 1
    return False


def mutmut_class(removed: str, added: str) -> str | None:
    """The bug class of a one-line mutmut change, or None when it models no real mistake."""
    if re.search(r"\bNone\b|XX", added) and not re.search(r"\bNone\b|XX", removed):
        return None
    old, new = _tokens(removed), _tokens(added)
    import difflib

    changes = [
        (old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes()
        if tag != "equal"
    ]
    if len(changes) != 1:
        return None
    (before, after), start = changes[0], opcodes_start(old, new)
    if len(before) == 1 and len(after) == 1:
        a, b = before[0], after[0]
        if a in COMPARISONS and b in COMPARISONS:
            return "comparison"
        if a in SIGNS and b in SIGNS:
            return "sign"
        if a in PRODUCTS and b in PRODUCTS:
            return "operator"
        if a in FLAGS and b in FLAGS:
            return "flag"
        if a in LOGIC and b in LOGIC:
            return "logic"
        if {a, b} == {"break", "continue"}:
            return "logic"
        if re.fullmatch(r"-?\d+", a) and re.fullmatch(r"-?\d+", b) and abs(int(a) - int(b)) == 1:
            before_it = old[max(0, start - 2) : start]
            if before_it == ["axis", "="]:
                return "shape"
            if _in_index_or_range(old, start):
                return "off-by-one"
            return None  # an exponent, a constant: an arbitrary edit
    if (before == ["-"] and not after) or (after == ["-"] and not before):
        return "sign"  # a unary minus added or dropped
    return None
