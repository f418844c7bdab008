"""ML-aware mutation operators that mutmut does not make: leakage, shapes, numerical stability, gradients.

Modelled on mutmut's ``mutation/mutators.py``: each operator is a small generator that takes one
libcst node (and what it may know about the enclosing function) and yields replacement nodes;
:data:`OPERATORS` registers them with the node type they apply to and the bug class they plant.
Only code inside functions is mutated, never docstrings, ``raise`` or ``assert`` statements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

_code = cst.Module([]).code_for_node
_expr = cst.parse_expression


@dataclass(frozen=True)
class Scope:
    """What an operator may know about the function it mutates."""

    function: str  # qualified name, e.g. "StandardScaler.fit"
    names: frozenset[str]  # every name the function mentions
    np: str  # the module's name for numpy ("np"), or "" when it has none


@dataclass(frozen=True)
class Mutation:
    """One mutant of a module: which operator made it, where, and the whole mutated source."""

    operator: str
    category: str
    summary: str
    function: str
    line: int
    code: str


def _called(node: cst.Call) -> str:
    """The called name: ``fit`` for ``scaler.fit(X)``, ``mean`` for ``np.mean(x)``."""
    func = node.func
    return func.attr.value if isinstance(func, cst.Attribute) else getattr(func, "value", "")


def _numpy_call(node: cst.Call, scope: Scope, *names: str) -> bool:
    func = node.func
    on_numpy = isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
    return on_numpy and bool(scope.np) and func.value.value == scope.np and func.attr.value in names


def _method_call(node: cst.Call, *names: str) -> bool:
    func = node.func
    return isinstance(func, cst.Attribute) and func.attr.value in names


def _counterpart(name: str, old: str, new: str, scope: Scope) -> str | None:
    """``X_test`` -> ``X_train`` (or ``X_train`` -> ``X`` when ``new`` is empty), if that name exists."""
    if old not in name:
        return None
    other = name.replace(old, new)
    if not new:
        other = re.sub(r"__+", "_", other).strip("_")
    return other if other and other != name and other in scope.names else None


# -- leakage ---------------------------------------------------------------------------------


def leak_fit_all_rows(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Leakage: a fit sees every row (``fit(X[train_idx])`` -> ``fit(X)``, ``fit(X_train)`` -> ``fit(X)``)."""
    if "fit" not in _called(node).lower():
        return
    for i, arg in enumerate(node.args):
        value = arg.value
        if isinstance(value, cst.Subscript) and "train" in _code(value.slice[0]).lower():
            yield node.with_changes(args=_replace_arg(node, i, value.value))
        elif isinstance(value, cst.Name) and (
            whole := _counterpart(value.value, "train", "", scope)
        ):
            yield node.with_changes(args=_replace_arg(node, i, cst.Name(whole)))


def leak_statistic(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Leakage: a statistic of the training rows is taken over all rows (``X_train.mean()`` -> ``X.mean()``)."""
    if _called(node) not in STATISTICS or not isinstance(node.func, cst.Attribute):
        return
    target = node.args[0].value if _numpy_call(node, scope, *STATISTICS) and node.args else None
    target = target if target is not None else node.func.value
    whole: cst.BaseExpression | None = None
    if isinstance(target, cst.Subscript) and "train" in _code(target.slice[0]).lower():
        whole = target.value
    elif isinstance(target, cst.Name) and (name := _counterpart(target.value, "train", "", scope)):
        whole = cst.Name(name)
    if whole is not None:
        yield node.deep_replace(target, whole)


def refit_on_test(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Leakage: the preprocessor is refitted on the rows it should only transform."""
    if _method_call(node, "transform") and len(node.args) == 1:
        rows = _code(node.args[0].value)
        if "test" in rows.lower():
            owner = _code(node.func.value)
            yield _expr(f"{owner}.fit({rows}).transform({rows})")


def score_on_train(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Evaluation: held-out figures are computed on training rows (``X_test`` -> ``X_train``)."""
    for i, arg in enumerate(node.args):
        value = arg.value
        if isinstance(value, cst.Name) and (
            other := _counterpart(value.value, "test", "train", scope)
        ):
            yield node.with_changes(args=_replace_arg(node, i, cst.Name(other)))
        elif isinstance(value, cst.Subscript):
            index = value.slice[0].slice
            if isinstance(index, cst.Index) and isinstance(index.value, cst.Name):
                other = _counterpart(index.value.value, "test", "train", scope)
                if other:
                    moved = value.deep_replace(index.value, cst.Name(other))
                    yield node.with_changes(args=_replace_arg(node, i, moved))


def split_overlap(node: cst.Subscript, scope: Scope) -> Iterator[cst.Subscript]:
    """Leakage: a boundary row lands on both sides of a split (``order[n_test:]`` -> ``order[n_test - 1:]``)."""
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Slice):
        return
    cut = node.slice[0].slice
    if cut.step is None and isinstance(cut.lower, cst.Name) and cut.upper is None:
        yield node.deep_replace(cut, cut.with_changes(lower=_expr(f"{cut.lower.value} - 1")))
    if cut.step is None and isinstance(cut.upper, cst.Name) and cut.lower is None:
        yield node.deep_replace(cut, cut.with_changes(upper=_expr(f"{cut.upper.value} + 1")))


def no_shuffle(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Evaluation: the split takes rows in file order (``rng.permutation(n)`` -> ``np.arange(n)``)."""
    if _method_call(node, "permutation") and scope.np and len(node.args) == 1:
        yield _expr(f"{scope.np}.arange({_code(node.args[0].value)})")


# -- shapes and broadcasting -------------------------------------------------------------------


def drop_transpose(node: cst.Attribute, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Shapes: a transpose goes missing (``X.T @ error`` -> ``X @ error``)."""
    if node.attr.value == "T":
        yield node.value


def matmul_to_multiply(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BinaryOperation]:
    """Shapes: a matrix product becomes a broadcast element-wise product (``@`` -> ``*``)."""
    if isinstance(node.operator, cst.MatrixMultiply):
        yield node.with_changes(operator=cst.Multiply())


def drop_reshape(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Shapes: a reshape goes missing (``y.reshape(-1, 1)``, ``.ravel()``, ``np.atleast_2d(x)`` -> the array)."""
    if _method_call(node, "reshape", "ravel", "flatten", "squeeze") and not _numpy_call(
        node, scope, "reshape", "ravel", "squeeze"
    ):
        yield node.func.value
    elif _numpy_call(node, scope, *RESHAPES) and node.args:
        yield node.args[0].value


def drop_new_axis(node: cst.Subscript, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Shapes: an added axis goes missing (``p[:, None]`` -> ``p``)."""
    parts = [_code(s.slice) for s in node.slice]
    axes = ("None", f"{scope.np}.newaxis")
    if len(parts) > 1 and any(p in axes for p in parts) and all(p in (":", *axes) for p in parts):
        yield node.value


def column_target(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BinaryOperation]:
    """Shapes: a target arrives as a column vector and broadcasts (``p - y`` -> ``p - y[:, None]``)."""
    if not isinstance(node.operator, cst.Subtract | cst.Add | cst.Multiply | cst.Divide):
        return
    for side in ("left", "right"):
        operand = getattr(node, side)
        if isinstance(operand, cst.Name) and re.fullmatch(
            r"y(_\w+)?|targets?|labels?", operand.value
        ):
            yield node.with_changes(**{side: _expr(f"{operand.value}[:, None]")})


def swap_axis(node: cst.Arg, scope: Scope) -> Iterator[cst.Arg]:
    """Shapes: a reduction runs along the other axis (``axis=1`` -> ``axis=0``)."""
    if node.keyword is not None and node.keyword.value == "axis":
        other = {"0": "1", "1": "0", "-1": "0", "-2": "-1"}.get(_code(node.value))
        if other is not None:
            yield node.with_changes(value=_expr(other))


# -- numerical stability ---------------------------------------------------------------------


def drop_clip(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: a clip before log or exp goes missing (``np.clip(p, eps, 1 - eps)`` -> ``p``)."""
    if _numpy_call(node, scope, "clip") and node.args:
        yield node.args[0].value
    elif _method_call(node, "clip") and not _numpy_call(node, scope, "clip"):
        yield node.func.value


def drop_epsilon(node: cst.CSTNode, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: a guard against 0 goes missing (``np.log(p + eps)`` -> ``np.log(p)``, ``np.maximum(s, eps)`` -> ``s``)."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        if _tiny(node.right):
            yield node.left
        elif _tiny(node.left):
            yield node.right
    elif isinstance(node, cst.Call) and _called(node) in ("maximum", "max") and len(node.args) == 2:
        yield from [node.args[0].value] if _tiny(node.args[1].value) else []


def drop_max_shift(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: exp sees unshifted logits (``z - z.max(axis=1, keepdims=True)`` -> ``z``)."""
    right = node.right
    shifted = isinstance(right, cst.Call) and _called(right) in ("max", "amax", "nanmax")
    if isinstance(node.operator, cst.Subtract) and shifted:
        yield node.left


def naive_function(node: cst.FunctionDef, scope: Scope) -> Iterator[cst.FunctionDef]:
    """Numerics: a stable sigmoid, softmax, log-softmax, logsumexp or softplus is written the textbook way."""
    formula = NAIVE.get(node.name.value.lower())
    params = [p.name.value for p in node.params.params if p.name.value not in ("self", "cls")]
    if formula is None or not params or not scope.np:
        return
    axis = "axis" if "axis" in params else "-1"
    body = formula.format(x=params[0], np=scope.np, axis=axis)
    statements = [cst.parse_statement(line) for line in body.split("\n")]
    first = node.body.body[0] if node.body.body else None
    kept = [first] if first is not None and _is_docstring(first) else []
    yield node.with_changes(body=node.body.with_changes(body=[*kept, *statements]))


def unstable_log1p(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: a fused stable call is expanded (``np.log1p(x)`` -> ``np.log(1 + x)``, ``np.logaddexp``)."""
    np_ = scope.np
    args = [_code(a.value) for a in node.args]
    if _numpy_call(node, scope, "log1p") and len(args) == 1:
        yield _expr(f"{np_}.log(1 + {args[0]})")
    elif _numpy_call(node, scope, "expm1") and len(args) == 1:
        yield _expr(f"({np_}.exp({args[0]}) - 1)")
    elif _numpy_call(node, scope, "logaddexp") and len(args) == 2:
        zero = [a for a in args if a in ("0", "0.0")]
        other = [a for a in args if a not in zero]
        if zero and len(other) == 1:
            yield _expr(f"{np_}.log(1.0 + {np_}.exp({other[0]}))")
        else:
            yield _expr(f"{np_}.log({np_}.exp({args[0]}) + {np_}.exp({args[1]}))")


def drop_abs(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: exp sees a signed argument again (``np.exp(-np.abs(z))`` -> ``np.exp(-z)``)."""
    if _numpy_call(node, scope, "abs", "absolute") and len(node.args) == 1:
        yield node.args[0].value


def uncentred_variance(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: variance as E[x^2] - E[x]^2, which cancels catastrophically for large offsets."""
    name = _called(node)
    if name not in ("var", "std") or not scope.np or any(_keyword(a) == "ddof" for a in node.args):
        return
    if _numpy_call(node, scope, "var", "std"):
        if not node.args:
            return
        x, rest = _code(node.args[0].value), node.args[1:]
    elif isinstance(node.func, cst.Attribute):
        x, rest = _code(node.func.value), node.args
    else:
        return
    kw = "".join(f", {_code(a)}" for a in rest)
    squared = f"{x} ** 2" if re.fullmatch(r"[\w.]+", x) else f"({x}) ** 2"
    variance = f"{scope.np}.mean({squared}{kw}) - {scope.np}.mean({x}{kw}) ** 2"
    yield _expr(f"{scope.np}.sqrt({variance})" if name == "std" else f"({variance})")


def drop_guard(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: a guarded value loses its guard (``np.where(scale > 0, scale, 1.0)`` -> ``scale``)."""
    if _numpy_call(node, scope, "where") and len(node.args) == 3:
        yield node.args[1].value
        yield node.args[2].value


def toggle_ddof(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Numerics: sample and population spread are confused (``x.std()`` <-> ``x.std(ddof=1)``)."""
    if _called(node) not in ("std", "var") or not isinstance(node.func, cst.Attribute):
        return
    kept = [a for a in node.args if _keyword(a) != "ddof"]
    if len(kept) < len(node.args):
        yield node.with_changes(args=_commas(kept))
    else:
        extra = cst.Arg(cst.Integer("1"), keyword=cst.Name("ddof"), equal=_EQUAL)
        yield node.with_changes(args=_commas([*node.args, extra]))


def float32(node: cst.Arg, scope: Scope) -> Iterator[cst.Arg]:
    """Numerics: single precision where double was meant (``dtype=float`` -> ``dtype=np.float32``)."""
    double = ("float", f"{scope.np}.float64", "'float64'", '"float64"')
    if scope.np and _keyword(node) == "dtype" and _code(node.value) in double:
        yield node.with_changes(value=_expr(f"{scope.np}.float32"))


# -- gradients ---------------------------------------------------------------------------------


def swap_difference(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BinaryOperation]:
    """Sign: a difference is taken the wrong way round (``pred - y`` -> ``y - pred``)."""
    left, right = node.left, node.right
    chain = _additive(left) and not left.lpar  # a - b + c - d: leave long sums alone
    if isinstance(node.operator, cst.Subtract) and not (_literal(left) or _literal(right) or chain):
        yield node.with_changes(left=_parens(right, False), right=_parens(left, True))


def drop_normaliser(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Gradients: a mean becomes a sum (``X.T @ error / n`` -> ``X.T @ error``)."""
    if isinstance(node.operator, cst.Divide) and _is_count(node.right):
        yield node.left


def mean_to_sum(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Gradients: the scale changes with the batch size (``error.mean()`` -> ``error.sum()``)."""
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("mean", "sum"):
        other = "sum" if func.attr.value == "mean" else "mean"
        yield node.with_changes(func=func.with_changes(attr=cst.Name(other)))


def drop_factor(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Gradients: a constant factor of the derivative goes missing (``2 * X.T @ r`` -> ``X.T @ r``)."""
    if isinstance(node.operator, cst.Multiply):
        if _code(node.left) in FACTORS:
            yield node.right
        elif _code(node.right) in FACTORS:
            yield node.left


def drop_chain_factor(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Gradients: a chain-rule factor goes missing in a backward pass (``d * s * (1 - s)`` -> ``d * s``)."""
    backward = re.search(r"grad|backward|backprop|derivative", scope.function, re.I)
    product = isinstance(node.operator, cst.Multiply)
    if backward and product and not _literal(node.left) and not _literal(node.right):
        yield node.left
        yield node.right


def drop_penalty(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Gradients: the regularisation term goes missing (``grad + lam * w`` -> ``grad``)."""
    if isinstance(node.operator, cst.Add) and PENALTY.search(_code(node.right)):
        yield node.left


def drop_copy(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Data: a defensive copy goes missing, so the caller's array is modified in place."""
    if _method_call(node, "copy") and not node.args and not _numpy_call(node, scope, "copy"):
        yield node.func.value
    elif _numpy_call(node, scope, "copy") and len(node.args) == 1:
        yield node.args[0].value


# -- catalog-wide bug classes: trees, smoothing, pandas alignment, averaging ---------------------


def drop_keepdims(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Shapes: a reduction drops its axis (``x.sum(axis=1, keepdims=True)`` -> ``x.sum(axis=1)``)."""
    kept = [a for a in node.args if _keyword(a) != "keepdims"]
    if len(kept) < len(node.args):
        yield node.with_changes(args=_commas(kept))


def boundary(node: cst.Comparison, scope: Scope) -> Iterator[cst.Comparison]:
    """Comparison: a threshold test moves by one at its boundary (``x <= threshold`` -> ``x < threshold``)."""
    text = _code(node).lower()
    if len(node.comparisons) != 1 or not re.search(r"thresh|cut|split|bound|tol|limit", text):
        return
    swap = {cst.LessThan: cst.LessThanEqual, cst.LessThanEqual: cst.LessThan,
            cst.GreaterThan: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.GreaterThan}  # fmt: skip
    target = node.comparisons[0]
    other = swap.get(type(target.operator))
    if other is not None:
        operator = other(
            whitespace_before=target.operator.whitespace_before,
            whitespace_after=target.operator.whitespace_after,
        )
        yield node.with_changes(comparisons=[target.with_changes(operator=operator)])


def drop_smoothing(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Smoothing: an additive prior on counts goes missing (``counts + alpha`` -> ``counts``)."""
    prior = re.compile(r"^(self\.)?(alpha|smoothing|pseudo\w*|laplace|prior\w*)(\s*\*.*)?$")
    counts = "count" in _code(node.left).lower()  # a ridge's + alpha * I is a penalty, not a prior
    if isinstance(node.operator, cst.Add) and counts and prior.match(_code(node.right)):
        yield node.left


def drop_reset_index(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Alignment: an index reset goes missing, so pandas aligns by the old labels."""
    if _method_call(node, "reset_index") and isinstance(node.func, cst.Attribute):
        yield node.func.value


def drop_to_numpy(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Alignment: values stay a pandas object (``s.to_numpy()`` -> ``s``) and align by label."""
    if _method_call(node, "to_numpy") and not node.args and isinstance(node.func, cst.Attribute):
        yield node.func.value


def naive_logsumexp(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: a log-space sum is done in linear space (``np.logaddexp.reduce(a)`` -> ``np.log(np.sum(np.exp(a)))``)."""
    func = node.func
    reduce = (
        isinstance(func, cst.Attribute)
        and func.attr.value == "reduce"
        and _code(func.value) == f"{scope.np}.logaddexp"
    )
    if reduce and node.args and scope.np:
        rest = "".join(
            f", {_code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT))}" for a in node.args[1:]
        )
        yield _expr(
            f"{scope.np}.log({scope.np}.sum({scope.np}.exp({_code(node.args[0].value)}){rest}))"
        )


def swap_average(node: cst.SimpleString, scope: Scope) -> Iterator[cst.SimpleString]:
    """Averaging: macro and micro averaging are mixed up (``"macro"`` <-> ``"micro"``)."""
    quote = node.value[0]
    swapped = {"macro": "micro", "micro": "macro"}.get(node.value.strip("\"'"))
    if swapped:
        yield node.with_changes(value=f"{quote}{swapped}{quote}")


def drop_dedupe(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Merges: a de-duplication goes missing, so a non-unique key multiplies rows (``.drop_duplicates(k)`` -> nothing)."""
    if _method_call(node, "drop_duplicates") and isinstance(node.func, cst.Attribute):
        yield node.func.value


def merge_how(node: cst.Arg, scope: Scope) -> Iterator[cst.Arg]:
    """Merges: the join keeps the wrong rows (``how="left"`` <-> ``how="inner"``)."""
    if _keyword(node) == "how" and isinstance(node.value, cst.SimpleString):
        quote = node.value.value[0]
        other = {"left": "inner", "inner": "left", "outer": "inner", "right": "inner"}.get(
            node.value.value.strip("\"'")
        )
        if other:
            yield node.with_changes(value=cst.SimpleString(f"{quote}{other}{quote}"))


def keep_other_end(node: cst.Arg, scope: Scope) -> Iterator[cst.Arg]:
    """Order: the wrong end of a sorted group is kept (``keep="last"`` <-> ``keep="first"``)."""
    if _keyword(node) == "keep" and isinstance(node.value, cst.SimpleString):
        quote = node.value.value[0]
        other = {"last": "first", "first": "last"}.get(node.value.value.strip("\"'"))
        if other:
            yield node.with_changes(value=cst.SimpleString(f"{quote}{other}{quote}"))


ADDITIVE = (cst.Add, cst.Subtract)
BITWISE = (cst.BitOr, cst.BitAnd, cst.BitXor, cst.LeftShift, cst.RightShift)
LOOSER = (
    cst.BooleanOperation,
    cst.Comparison,
    cst.IfExp,
    cst.Lambda,
    cst.NamedExpr,
    cst.UnaryOperation,
)
STATISTICS = ("mean", "std", "var", "min", "max", "median", "quantile", "percentile", "nanmean")
RESHAPES = ("atleast_2d", "expand_dims", "squeeze", "ravel")
FACTORS = ("2", "2.0", "0.5")
PENALTY = re.compile(r"\b(lam|lambda_|lmbda|alpha|l2|reg\w*|weight_decay|penalty)\b")
NAIVE = {
    "sigmoid": "return 1.0 / (1.0 + {np}.exp(-{x}))",
    "logistic": "return 1.0 / (1.0 + {np}.exp(-{x}))",
    "expit": "return 1.0 / (1.0 + {np}.exp(-{x}))",
    "softmax": "exps = {np}.exp({x})\nreturn exps / exps.sum(axis={axis}, keepdims=True)",
    "log_softmax": "return {x} - {np}.log({np}.exp({x}).sum(axis={axis}, keepdims=True))",
    "logsumexp": "return {np}.log({np}.exp({x}).sum(axis={axis}))",
    "softplus": "return {np}.log(1.0 + {np}.exp({x}))",
    "log_sigmoid": "return -{np}.log(1.0 + {np}.exp(-{x}))",
}

# (name, bug class, node type, operator); the order is the order mutants are listed in.
OPERATORS: list[tuple[str, str, type, Callable[..., Iterable[cst.CSTNode]]]] = [
    ("leak-fit-all-rows", "leakage", cst.Call, leak_fit_all_rows),
    ("leak-statistic", "leakage", cst.Call, leak_statistic),
    ("refit-on-test", "leakage", cst.Call, refit_on_test),
    ("split-overlap", "leakage", cst.Subscript, split_overlap),
    ("score-on-train", "evaluation", cst.Call, score_on_train),
    ("no-shuffle", "evaluation", cst.Call, no_shuffle),
    ("drop-transpose", "shape", cst.Attribute, drop_transpose),
    ("matmul-to-multiply", "shape", cst.BinaryOperation, matmul_to_multiply),
    ("drop-reshape", "shape", cst.Call, drop_reshape),
    ("drop-new-axis", "shape", cst.Subscript, drop_new_axis),
    ("column-target", "shape", cst.BinaryOperation, column_target),
    ("swap-axis", "shape", cst.Arg, swap_axis),
    ("drop-clip", "numerics", cst.Call, drop_clip),
    ("drop-epsilon", "numerics", cst.BinaryOperation | cst.Call, drop_epsilon),
    ("drop-max-shift", "numerics", cst.BinaryOperation, drop_max_shift),
    ("naive-function", "numerics", cst.FunctionDef, naive_function),
    ("unstable-log1p", "numerics", cst.Call, unstable_log1p),
    ("drop-abs", "numerics", cst.Call, drop_abs),
    ("uncentred-variance", "numerics", cst.Call, uncentred_variance),
    ("drop-guard", "numerics", cst.Call, drop_guard),
    ("toggle-ddof", "numerics", cst.Call, toggle_ddof),
    ("float32", "numerics", cst.Arg, float32),
    ("swap-difference", "gradient", cst.BinaryOperation, swap_difference),
    ("drop-normaliser", "gradient", cst.BinaryOperation, drop_normaliser),
    ("mean-to-sum", "gradient", cst.Call, mean_to_sum),
    ("drop-factor", "gradient", cst.BinaryOperation, drop_factor),
    ("drop-chain-factor", "gradient", cst.BinaryOperation, drop_chain_factor),
    ("drop-penalty", "gradient", cst.BinaryOperation, drop_penalty),
    ("drop-copy", "data", cst.Call, drop_copy),
    ("drop-keepdims", "shape", cst.Call, drop_keepdims),
    ("boundary", "algorithm", cst.Comparison, boundary),
    ("drop-smoothing", "algorithm", cst.BinaryOperation, drop_smoothing),
    ("drop-reset-index", "data", cst.Call, drop_reset_index),
    ("drop-to-numpy", "data", cst.Call, drop_to_numpy),
    ("naive-logsumexp", "numerics", cst.Call, naive_logsumexp),
    ("swap-average", "metrics", cst.SimpleString, swap_average),
    ("drop-dedupe", "data", cst.Call, drop_dedupe),
    ("merge-how", "data", cst.Arg, merge_how),
    ("keep-other-end", "data", cst.Arg, keep_other_end),
]


# -- helpers -----------------------------------------------------------------------------------

_EQUAL = cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))


def _replace_arg(node: cst.Call, i: int, value: cst.BaseExpression) -> list[cst.Arg]:
    return [*node.args[:i], node.args[i].with_changes(value=value), *node.args[i + 1 :]]


def _commas(args: list[cst.Arg]) -> list[cst.Arg]:
    """Arguments with commas between them and none after the last."""
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    last = len(args) - 1
    return [
        a.with_changes(comma=comma if i < last else cst.MaybeSentinel.DEFAULT)
        for i, a in enumerate(args)
    ]


def _keyword(arg: cst.Arg) -> str:
    return arg.keyword.value if arg.keyword is not None else ""


def _literal(node: cst.CSTNode) -> bool:
    if isinstance(node, cst.UnaryOperation):
        return _literal(node.expression)
    return isinstance(node, cst.BaseNumber | cst.BaseString)


def _tiny(node: cst.CSTNode) -> bool:
    """An epsilon: a name like ``eps`` or a positive literal below 1e-4."""
    if isinstance(node, cst.Name | cst.Attribute):
        return bool(re.search(r"(^|\.|_)(eps|epsilon|tiny)$", _code(node), re.I))
    return isinstance(node, cst.Float | cst.Integer) and 0 < node.evaluated_value < 1e-4


def _is_count(node: cst.CSTNode) -> bool:
    """A number of rows: ``n``, ``n_samples``, ``len(y)``, ``X.shape[0]``, ``y.size``."""
    text = _code(node)
    return bool(
        re.fullmatch(r"n|m|N|n_\w+|num_\w+|batch_size|len\(\w+\)|\w+\.shape\[0\]|\w+\.size", text)
    )


def _additive(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.BinaryOperation) and isinstance(node.operator, ADDITIVE)


def _parens(node: cst.BaseExpression, right_of_minus: bool) -> cst.BaseExpression:
    """``node`` in parentheses if it binds more loosely than the ``-`` it now stands beside."""
    looser = isinstance(node, LOOSER) or (
        isinstance(node, cst.BinaryOperation) and isinstance(node.operator, BITWISE)
    )
    if node.lpar or not (looser or (right_of_minus and _additive(node))):
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _numpy_alias(module: cst.Module) -> str:
    for statement in module.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            for alias in small.names if isinstance(small, cst.Import) else ():
                if _code(alias.name) == "numpy":
                    return alias.asname.name.value if alias.asname else "numpy"
    return ""


BINDING = {  # how tightly each operator binds (Python's precedence table, loosest first)
    cst.Or: 1, cst.And: 2, cst.Not: 3, cst.BitOr: 5, cst.BitXor: 6, cst.BitAnd: 7,
    cst.LeftShift: 8, cst.RightShift: 8, cst.Add: 9, cst.Subtract: 9, cst.Multiply: 10,
    cst.Divide: 10, cst.FloorDivide: 10, cst.Modulo: 10, cst.MatrixMultiply: 10,
    cst.Minus: 11, cst.Plus: 11, cst.BitInvert: 11, cst.Power: 12,
}  # fmt: skip


def _binding(node: cst.CSTNode) -> int:
    if getattr(node, "lpar", None):
        return 14
    if isinstance(node, cst.BinaryOperation | cst.BooleanOperation | cst.UnaryOperation):
        return BINDING[type(node.operator)]
    if isinstance(node, cst.Comparison | cst.ComparisonTarget):
        return 4
    if isinstance(node, cst.IfExp | cst.Lambda | cst.NamedExpr):
        return 0
    return 13 if isinstance(node, cst.Await) else 14


def _fit(node: cst.CSTNode, parent: cst.CSTNode | None, replacement: cst.CSTNode) -> cst.CSTNode:
    """``replacement``, in parentheses if it would otherwise bind differently where ``node`` stood."""
    if not isinstance(replacement, cst.BaseExpression) or parent is None:
        return replacement
    if isinstance(parent, cst.Attribute | cst.Subscript | cst.Call) and node is not getattr(
        parent, "func", None
    ):
        needed = 14 if node is getattr(parent, "value", None) else 0
    elif isinstance(parent, cst.Call):
        needed = 14
    elif isinstance(parent, cst.BinaryOperation):
        needed = _binding(parent) + (node is parent.right)  # a - (b - c) keeps its parentheses
    else:
        needed = (
            _binding(parent)
            if isinstance(
                parent,
                cst.UnaryOperation | cst.BooleanOperation | cst.ComparisonTarget | cst.Comparison,
            )
            else 0
        )
    if _binding(replacement) >= needed:
        return replacement
    return replacement.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


class _Sites(cst.CSTVisitor):
    """Every node inside a function (outside raise and assert statements), with its Scope."""

    def __init__(self, np: str) -> None:
        self.np = np
        self.classes: list[str] = []
        self.scopes: list[Scope] = []
        self.sites: list[tuple[cst.CSTNode, Scope]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.Raise | cst.Assert):
            return False
        if isinstance(node, cst.ClassDef):
            self.classes.append(node.name.value)
        if isinstance(node, cst.FunctionDef):
            names = _Names()
            node.visit(names)
            # A nested function belongs to the function around it, as in mutmut and in tracebacks.
            qualified = (
                self.scopes[0].function
                if self.scopes
                else ".".join([*self.classes, node.name.value])
            )
            self.scopes.append(Scope(qualified, frozenset(names.found), self.np))
        if self.scopes:
            self.sites.append((node, self.scopes[-1]))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, cst.ClassDef):
            self.classes.pop()
        if isinstance(original_node, cst.FunctionDef):
            self.scopes.pop()


class _Names(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.found.add(node.value)


def mutations(source: str, operators: Iterable[str] | None = None) -> list[Mutation]:
    """Every mutant our operators make of ``source``, one per operator, site and alternative."""
    wrapper = MetadataWrapper(cst.parse_module(source))
    module, wanted = wrapper.module, set(operators) if operators is not None else None
    positions, parents = wrapper.resolve(PositionProvider), wrapper.resolve(ParentNodeProvider)
    found = []
    for index, statement in enumerate(module.body):
        sites = _Sites(_numpy_alias(module))
        statement.visit(sites)
        for node, scope in sites.sites:
            for name, category, kind, operator in OPERATORS:
                if not isinstance(node, kind) or (wanted is not None and name not in wanted):
                    continue
                for replacement in _safely(operator, node, scope):
                    fitted = _fit(node, parents.get(node), replacement)
                    changed = fitted if node is statement else statement.deep_replace(node, fitted)
                    body = [*module.body[:index], changed, *module.body[index + 1 :]]
                    code = module.with_changes(body=body).code
                    if code == source or not _compiles(code):
                        continue
                    summary = (operator.__doc__ or name).strip().splitlines()[0]
                    line = positions[node].start.line
                    found.append(Mutation(name, category, summary, scope.function, line, code))
    return found


def _safely(operator, node: cst.CSTNode, scope: Scope) -> list[cst.CSTNode]:
    """An operator's replacements; one that cannot build its replacement makes none here."""
    try:
        return list(operator(node, scope))
    except (cst.ParserSyntaxError, ValueError, TypeError, AttributeError):
        return []


def _compiles(code: str) -> bool:
    try:
        compile(code, "<mutant>", "exec")
    except SyntaxError:
        return False
    return True
