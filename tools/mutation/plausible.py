"""Which generated changes are mistakes an engineer would make, decided from the change in its context.

A change gets a bug class (:mod:`tools.mutation.bugclasses`) only where it models a real slip;
every other change still counts for test strength but is never handed to a learner. Our operators
plant one class each, read in context (a reversed difference in gradient code is a gradient bug,
elsewhere a plain sign error; a mean turned into a sum is a bug in a loss, a metric or a gradient,
noise elsewhere). Of mutmut's generic changes only these model a mistake:

- a comparison moved at its boundary (``<`` <-> ``<=``): ties at a threshold;
- an update or accumulation turned around (``w - lr * g`` -> ``w + lr * g``, ``-=`` <-> ``+=`` on
  a parameter or gradient in learning code), or the minus of a negative log-likelihood dropped;
- an axis (0 <-> 1), or ``shape[0]`` <-> ``shape[1]`` (rows for columns);
- a slice bound or a range bound off by one, unless it nudges an offset (``folds[i + 2 :]``);
- a True/False option of a library call flipped (keepdims, replace, ascending, ...).

Never: ``==`` <-> ``!=`` (a cluster's points become everyone else's), ``*`` <-> ``/``
(``alpha / np.eye(d)``), a sign flipped inside arbitrary arithmetic (``X @ w - b``), ``and`` <->
``or``, a constant nudged, a string or ``None`` substituted.
"""

from __future__ import annotations

import ast
import difflib
import io
import re
import tokenize

from tools.mutation.bugclasses import CLASSES

# Functions whose arithmetic is a model's learning: a reversed difference there is a gradient bug.
LEARNING = re.compile(r"grad|backward|backprop|step|update|fit|train|loss|descent|optimi", re.I)
# Functions (or lines) that compute a gradient or apply one: the gradient classes live there.
DESCENT = re.compile(r"grad|backward|backprop|(?<![em]_)step|update|descent|sgd|train", re.I)
MOVED = re.compile(r"error|residual|grad|delta|diff|d_\w+")  # what a gradient is made of
GRADIENT_NAME = re.compile(
    r"^(self\.)?(grad\w*|d_\w+|d[A-Z]\w*|d(logits|z|h|a|out|x|y|w|b|pred|scores|hidden)\d*|delta\w*)$"
)
LOSS_LINE = re.compile(
    r"\*\*\s*2|\blog\(|logaddexp|\bloss\b"
)  # a loss, even in a gradient function
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
# Counters a comparison bounds: moved by one, a loop runs once more (an off-by-one, not a tie).
COUNTERS = {
    "max_iter", "n_iter", "n_iter_", "iteration", "iterations", "epoch", "epochs", "n_epochs",
    "patience", "wait", "len", "max_depth", "depth",
}  # fmt: skip
OPTIONS = {
    "keepdims", "replace", "shuffle", "ascending", "drop", "sort", "copy", "inplace", "endpoint",
    "full_matrices", "dropna", "index", "ignore_index", "return_counts", "return_inverse",
    "right", "stable", "observed", "as_index", "sort_remaining",
}  # fmt: skip
# Operators whose class the context decides (the others plant their class wherever they strike).
CONTEXTUAL = {
    "mean-to-sum", "sum-to-mean", "drop-normaliser", "drop-factor", "swap-difference", "drop-abs",
    "drop-clip", "unstable-log1p", "drop-penalty",
}  # fmt: skip


def classify(source: str, operator: str, given: str, function: str, before: str, after: str) -> str:
    """The bug class of one generated change ('' when no learner should be handed it).

    ``given`` is the class our operator plants ('' for mutmut's changes); ``before`` and ``after``
    are the whole module before and after the change.
    """
    old, new = changed_code(before, after)
    if source == "ml":
        return _ours(operator, given, function, old, new, _body(before, function))
    if len(old) != 1 or len(new) != 1 or re.search(r"\bNone\b|XX", new[0]):
        return ""
    return _generic(old[0], new[0], function, _body(before, function))


def prose_lines(text: str) -> set[int]:
    """The lines of ``text`` (1-based) that are comments or docstrings, not code."""
    lines = {i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith("#")}
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return lines
    for node in ast.walk(tree):
        kinds = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        body = getattr(node, "body", None) if isinstance(node, kinds) else None
        first = body[0] if body else None
        text = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
        if text and isinstance(first.value.value, str):
            lines |= set(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def changed_code(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines of code a change removed and added (comments and docstrings left out)."""
    a, b = before.splitlines(), after.splitlines()
    prose_a, prose_b = prose_lines(before), prose_lines(after)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += [a[i].strip() for i in range(i1, i2) if i + 1 not in prose_a]
            added += [b[j].strip() for j in range(j1, j2) if j + 1 not in prose_b]
    return removed, added


def _body(module: str, function: str) -> str:
    """The source of ``function`` ("Class.method" or a plain name) in ``module`` ("" if absent)."""
    try:
        tree = ast.parse(module)
    except SyntaxError:
        return ""
    *owners, name = function.split(".")
    scope: list[ast.stmt] = tree.body
    for owner in owners:
        found = [n for n in scope if isinstance(n, ast.ClassDef) and n.name == owner]
        scope = found[0].body if found else []
    for node in scope:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name:
            return ast.get_source_segment(module, node) or ""
    return ""


def _target(line: str) -> str:
    """The name a line assigns (``grad_w`` in ``grad_w = X.T @ r / n``), "" if none."""
    found = re.match(r"^([\w.]+)(\[[^\]]*\])?\s*([-+*/]?=)(?!=)", line)
    return found[1] if found else ""


def descends(function: str, body: str, line: str) -> bool:
    """Whether ``line`` computes or applies a gradient: an update with a step size, an assignment
    to a gradient, or (not its loss) a line of a gradient function or of a fit that takes steps."""
    target = _target(line)
    if STEP.search(line) or GRADIENT_NAME.match(target.split("[")[0]):
        return True
    if re.search(r"loss|cost|history", target, re.I) or LOSS_LINE.search(line):
        return False
    name = function.rsplit(".", 1)[-1]
    if "split" in name.lower():
        return False
    if re.search(r"grad|backward|backprop", name, re.I):
        return True
    learns = DESCENT.search(name) or (LEARNING.search(name) and STEP.search(body))
    return bool(learns and MOVED.search(line))


def _ours(
    operator: str, given: str, function: str, old: list[str], new: list[str], body: str
) -> str:
    if not given or given not in CLASSES:
        return ""
    if operator not in CONTEXTUAL:
        return given
    line = old[0] if old else ""
    gradient = descends(function, body, line)
    if operator in ("mean-to-sum", "drop-normaliser"):  # an average that became a total
        if gradient:
            return "gradient-scale"
        # A centroid or a prior as a sum: no engineer writes that.
        return "scale" if AVERAGED.search(function) or AVERAGED.search(line) else ""
    if (
        operator == "sum-to-mean"
    ):  # a gradient's sum made a mean; a reported total as a mean is noise
        return "gradient-scale" if gradient else ""
    if operator == "drop-factor":  # 2 * X.T @ r is a derivative's; 0.5 in a loss a convention
        return given if gradient and not re.search(r"tanh|exp\(|log", line) else ""
    if operator == "swap-difference":  # a residual the wrong way round
        return "gradient-sign" if gradient else "sign"
    if operator == "drop-abs":
        return _abs(line, body)
    if operator == "drop-clip":
        return _clipped(line, body)
    if operator == "unstable-log1p":  # log1p(x) -> log(1 + x) loses digits; logaddexp overflows
        return "stability" if "logaddexp" in line else "precision"
    if operator == "drop-penalty":
        return "" if "count" in line.lower() else given  # counts + alpha is a prior, not a penalty
    return given


def _abs(line: str, body: str) -> str:
    """``exp(-abs(z))`` is a stability trick; ``mean(abs(y - p))`` an error's size; a tolerance's
    ``abs`` guards a comparison; anywhere else dropping it is no natural slip."""
    if re.search(r"exp\(\s*-\s*(np\.)?abs", line):
        return "stability"
    inside = re.search(r"(np\.)?(abs|absolute)\((.*)\)", line)
    difference = inside is not None and re.search(r"\w[\])]?\s+-\s+\w", inside[3])
    if difference and (AVERAGED.search(line) or AVERAGED.search(body.split("\n", 1)[0])):
        return "signed-error"
    if re.search(r"[<>]=?\s*[\w.]*\s*\*?\s*(np\.)?abs", line):
        return "guard"
    return ""


def _clipped(line: str, body: str) -> str:
    """A clip before a log or a division is a guard, before exp a stability safeguard."""
    target = _target(line)
    if not target:  # clipped in place: what the clip's own line does with it
        guarded = re.search(r"\b(log|log2|log10|sqrt)\(\s*(np\.)?clip|/\s*(np\.)?clip", line)
        return (
            "guard" if guarded else "stability" if re.search(r"exp\(\s*(np\.)?clip", line) else ""
        )
    name = re.escape(target)
    uses = "\n".join(rest for rest in body.splitlines() if rest.strip() != line)
    if re.search(rf"\b(log|log2|log10|sqrt)\([^)]*\b{name}\b|/\s*\(?\s*{name}\b", uses):
        return "guard"
    return "stability" if re.search(rf"\bexp\([^)]*\b{name}\b", uses) else ""


def tokens(line: str) -> list[str]:
    """Python tokens of one line of code (whitespace split if it does not tokenize alone)."""
    try:
        found = tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline)
        return [t.string for t in found if t.string.strip()]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line.split()


def _generic(removed: str, added: str, function: str, body: str) -> str:
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
            if _guarding(old, at, removed):
                return "guard"
            counted = old[0] == "while" or any(t in COUNTERS for t in old[max(0, at - 3) : at + 4])
            return "off-by-one" if counted else "comparison"  # a loop's bound is no tie in data
        if {a, b} == {"+=", "-="}:
            target = "".join(old[:at]).split("[")[0]
            return "gradient-sign" if learning and UPDATED.match(target) else ""
        if {a, b} == {"+", "-"}:
            return "gradient-sign" if learning and _update(old, at) else ""
        if {a, b} == {"True", "False"}:
            return "flag" if at >= 2 and old[at - 1] == "=" and old[at - 2] in OPTIONS else ""
        if re.fullmatch(r"-?\d+", a) and re.fullmatch(r"-?\d+", b) and abs(int(a) - int(b)) == 1:
            # an offset, a negative bound, an axis or a shape index beyond 0 <-> 1 is a constant
            # nudged: ``folds[i + 2 :]`` for ``folds[i + 1 :]``, ``X.shape[2]``, ``tpr[:-2]``
            nudged = (at > 0 and old[at - 1] in ("+", "-")) or a.startswith("-")
            nudged |= old[max(0, at - 2) : at] in (["shape", "["], ["axis", "="])
            if nudged and {abs(int(a)), abs(int(b))} != {0, 1}:
                return ""
            return _integer(old, at)
    if (before == ["-"] and not after) or (after == ["-"] and not before):
        negated = "".join(old[at + len(before) : at + len(before) + 4])
        loss = re.search(r"loss|likelihood|entropy", function, re.I)
        if not loss or not re.match(r"(np\.)?(mean|sum|log)", negated):
            return ""
        return "gradient-sign" if descends(function, body, removed) else "sign"
    return ""


def _guarding(old: list[str], at: int, line: str) -> bool:
    """``np.where(s > 0, s, 1.0)``, ``tp / n if n > 0 else 0.0``: a test that keeps a divisor
    away from zero (moved to ``>=``, it lets the zero through)."""
    if at == 0 or at + 1 >= len(old) or old[at + 1] not in ("0", "0.0"):
        return False
    tested = old[at - 1]
    return "where(" in line.replace(" ", "") or bool(re.search(rf"/\s*{re.escape(tested)}\b", line))


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
