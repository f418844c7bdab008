"""Which generated changes are mistakes an engineer would make, decided from the change in its context.

A change gets a bug class (:mod:`tools.mutation.bugclasses`) only where it models a real slip;
every other change still counts for test strength but is never handed to a learner. Our operators
plant one class each, read in context (a reversed difference in gradient code is a gradient bug,
elsewhere a plain sign error; a mean turned into a sum is a bug in a loss, a metric or a gradient,
noise elsewhere). Of mutmut's generic changes only these model a mistake:

- a comparison moved at its boundary (``<`` <-> ``<=``): ties at a threshold;
- an update or accumulation turned around (``w - lr * g`` -> ``w + lr * g``, ``-=`` <-> ``+=`` on
  a parameter or gradient in learning code), or the minus of a negative log-likelihood dropped;
- an axis, or ``shape[0]`` <-> ``shape[1]`` (rows for columns), off by one;
- a slice bound or a range bound off by one;
- a True/False option of a library call flipped (keepdims, replace, ascending, ...).

Never: ``==`` <-> ``!=`` (a cluster's points become everyone else's), ``*`` <-> ``/``
(``alpha / np.eye(d)``), a sign flipped inside arbitrary arithmetic (``X @ w - b``), ``and`` <->
``or``, a constant nudged, a string or ``None`` substituted.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize

from tools.mutation.bugclasses import CLASSES

# Functions whose arithmetic is a model's learning: a reversed difference there is a gradient bug.
LEARNING = re.compile(r"grad|backward|backprop|step|update|fit|train|loss|descent|optimi", re.I)
# Functions (or assigned names) where a mean is an average someone reports or differentiates.
AVERAGED = re.compile(
    r"loss|cost|error|risk|objective|likelihood|grad|score|accuracy|mse|mae|rmse|metric|entropy",
    re.I,
)
# What an update or an accumulation in learning code changes.
UPDATED = re.compile(
    r"^(self\.)?(w|W\w*|b|coef_?|intercept_?|theta|weights?|bias|params?|velocity|m|v|"
    r"grad\w*|d_?\w+|layer\.\w+)$"
)
STEP = re.compile(r"\b(lr|learning_rate|eta|step_size|rate)\b")
OPTIONS = {
    "keepdims", "replace", "shuffle", "ascending", "drop", "sort", "copy", "inplace", "endpoint",
    "full_matrices", "dropna", "index", "ignore_index", "return_counts", "return_inverse",
    "right", "stable", "observed", "as_index", "sort_remaining",
}  # fmt: skip
# ML operators whose class depends on where they strike; the others plant their class anywhere.
PLAIN = {"gradient-sign": "sign", "gradient-scale": "scale"}


def classify(source: str, operator: str, given: str, function: str, before: str, after: str) -> str:
    """The bug class of one generated change ('' when no learner should be handed it).

    ``given`` is the class our operator plants ('' for mutmut's changes); ``before`` and ``after``
    are the whole module before and after the change.
    """
    old, new = changed_code(before, after)
    if source == "ml":
        return _ours(operator, given, function, old)
    if len(old) != 1 or len(new) != 1 or re.search(r"\bNone\b|XX", new[0]):
        return ""
    return _generic(old[0], new[0], function)


def changed_code(before: str, after: str) -> tuple[list[str], list[str]]:
    a, b = before.splitlines(), after.splitlines()
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += [line.strip() for line in a[i1:i2] if not line.strip().startswith("#")]
            added += [line.strip() for line in b[j1:j2] if not line.strip().startswith("#")]
    return removed, added


def _ours(operator: str, given: str, function: str, old: list[str]) -> str:
    if not given or given not in CLASSES:
        return ""
    learning = bool(LEARNING.search(function))
    if operator in ("mean-to-sum", "drop-normaliser"):
        line = old[0] if old else ""
        if not (AVERAGED.search(function) or AVERAGED.search(line) or STEP.search(line)):
            return ""  # a centroid or a scaler's mean as a sum: no engineer writes that
    if operator == "drop-factor" and not learning:
        return ""  # 0.5 * (1 + tanh(...)), 2 * pi: a formula's constant, not a derivative's factor
    return given if learning else PLAIN.get(given, given)


def tokens(line: str) -> list[str]:
    """Python tokens of one line of code (whitespace split if it does not tokenize alone)."""
    try:
        found = tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)
        return [t.string for t in found if t.string.strip()]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line.split()


def _generic(removed: str, added: str, function: str) -> str:
    old, new = tokens(removed), tokens(added)
    changes = [
        (i1, old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes()
        if tag != "equal"
    ]
    if len(changes) != 1:
        return ""
    at, before, after = changes[0]
    learning = bool(LEARNING.search(function))
    if len(before) == 1 and len(after) == 1:
        a, b = before[0], after[0]
        if {a, b} in ({"<", "<="}, {">", ">="}):
            return "comparison"
        if {a, b} == {"+=", "-="}:
            target = "".join(old[:at]).split("[")[0]
            return "gradient-sign" if learning and UPDATED.match(target) else ""
        if {a, b} == {"+", "-"}:
            return "gradient-sign" if learning and _update(old, at) else ""
        if {a, b} == {"True", "False"}:
            return "flag" if at >= 2 and old[at - 1] == "=" and old[at - 2] in OPTIONS else ""
        if re.fullmatch(r"-?\d+", a) and re.fullmatch(r"-?\d+", b) and abs(int(a) - int(b)) == 1:
            return _integer(old, at)
    if (before == ["-"] and not after) or (after == ["-"] and not before):
        negated = "".join(old[at + len(before) : at + len(before) + 4])
        loss = re.search(r"loss|likelihood|entropy", function, re.I)
        return "gradient-sign" if loss and re.match(r"(np\.)?(mean|sum|log)", negated) else ""
    return ""


def _update(old: list[str], at: int) -> bool:
    """``target = target - lr * grad``: the changed sign is the update's own."""
    if "=" not in old[:at]:
        return False
    equals = old.index("=")
    target, value = "".join(old[:equals]), old[equals + 1 :]
    if "".join(value[: at - equals - 1]) != target or not UPDATED.match(target.split("[")[0]):
        return False
    return bool(STEP.search(" ".join(value[at - equals :])))


def _integer(old: list[str], at: int) -> str:
    if old[max(0, at - 2) : at] == ["axis", "="]:
        return "shape"
    if old[max(0, at - 2) : at] == ["shape", "["]:
        return "shape"  # X.shape[0] <-> X.shape[1]: rows for columns
    opened = _opener(old, at)
    if opened < 0:
        return ""
    if old[opened] == "[" and ":" in _item(old, opened, at):
        return "off-by-one"  # a slice bound
    ranged = old[opened] == "(" and opened > 0 and old[opened - 1] in ("range", "arange")
    return "off-by-one" if ranged else ""


def _opener(toks: list[str], at: int) -> int:
    """The index of the bracket that encloses token ``at`` (-1 if none)."""
    depth = 0
    for i in range(at - 1, -1, -1):
        if toks[i] in (")", "]"):
            depth += 1
        elif toks[i] in ("(", "["):
            if depth == 0:
                return i
            depth -= 1
    return -1


def _item(toks: list[str], opened: int, at: int) -> list[str]:
    """The comma-separated item of the bracket opened at ``opened`` that holds token ``at``."""
    items, current, depth = [], [], 0
    for i in range(opened + 1, len(toks)):
        token = toks[i]
        if depth == 0 and token in (")", "]"):
            break
        depth += token in ("(", "[")
        depth -= token in (")", "]")
        if depth == 0 and token == ",":
            items.append(current)
            current = []
            continue
        current.append((i, token))
    items.append(current)
    for item in items:
        if any(i == at for i, _ in item):
            return [token for _, token in item]
    return []
