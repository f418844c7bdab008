"""Numerical stability: dropped guards, textbook forms of stable functions, precision lost."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from tools.mutation.operators._base import (
    _EQUAL,
    Scope,
    _called,
    _code,
    _commas,
    _expr,
    _is_docstring,
    _keyword,
    _method_call,
    _numpy_call,
    _tiny,
)


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
