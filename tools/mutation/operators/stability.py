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
    _literal,
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
    right = node.right.value if isinstance(node.right, cst.Subscript) else node.right
    shifted = isinstance(right, cst.Call) and _called(right) in ("max", "amax", "nanmax")
    if isinstance(node.operator, cst.Subtract) and shifted:  # also z.max(axis=1)[:, None]
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
        negated = args[0].startswith("-") and re.fullmatch(r"-[\w.]+", args[0])
        yield _expr(f"{np_}.log(1 - {args[0][1:]})" if negated else f"{np_}.log(1 + {args[0]})")
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
        test = node.args[0].value  # a guard tests a value against a constant: s > 0, np.isfinite(s)
        special = isinstance(test, cst.Comparison) and _literal(test.comparisons[0].comparator)
        special = special or (isinstance(test, cst.Call) and _called(test) in ("isfinite", "isnan"))
        tested = _names(test) if special else set()
        for branch in (node.args[1].value, node.args[2].value):  # the branch the test guards
            if isinstance(branch, cst.Name) and branch.value in tested:
                yield branch


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


def float32(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Numerics: an accumulator or state array in single precision (``np.zeros(d)`` -> ``np.zeros(d, dtype=np.float32)``)."""
    if not _numpy_call(node, scope, *ACCUMULATORS) or not node.args:
        return
    single = _expr(f"{scope.np}.float32")
    double = ("float", f"{scope.np}.float64", "'float64'", '"float64"')
    typed = [i for i, a in enumerate(node.args) if _keyword(a) == "dtype"]
    if not typed:
        extra = cst.Arg(single, keyword=cst.Name("dtype"), equal=_EQUAL)
        yield node.with_changes(args=_commas([*node.args, extra]))
    elif _code(node.args[typed[0]].value) in double:
        i = typed[0]
        yield node.with_changes(
            args=[*node.args[:i], node.args[i].with_changes(value=single), *node.args[i + 1 :]]
        )


ACCUMULATORS = (
    "zeros",
    "zeros_like",
    "ones",
    "ones_like",
    "empty",
    "empty_like",
    "full",
    "full_like",
)


def naive_logsumexp(node: cst.CSTNode, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: a log-space sum is done in linear space (``np.logaddexp.reduce(a)`` or ``m + np.log(np.sum(np.exp(a - m)))`` -> ``np.log(np.sum(np.exp(a)))``)."""
    np_ = scope.np
    if (
        isinstance(node, cst.Call)
        and np_
        and node.args
        and _code(node.func) == f"{np_}.logaddexp.reduce"
    ):
        rest = "".join(
            f", {_code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT))}" for a in node.args[1:]
        )
        yield _expr(f"{np_}.log({np_}.sum({np_}.exp({_code(node.args[0].value)}){rest}))")
    elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        top, log = node.left, node.right
        if not (isinstance(log, cst.Call) and _numpy_call(log, scope, "log")):
            return
        for inner in _calls(log, f"{np_}.exp"):
            shifted = inner.args[0].value if inner.args else None
            sub = isinstance(shifted, cst.BinaryOperation) and isinstance(
                shifted.operator, cst.Subtract
            )
            if sub and _code(shifted.right).startswith(_code(top)):
                yield log.deep_replace(shifted, shifted.left)


def naive_sigmoid(node: cst.CSTNode, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: a stable logistic function is written the textbook way (``0.5 * (1 + np.tanh(z / 2))``, ``np.exp(-np.logaddexp(0, -z))`` or a sign-split ``np.where`` -> ``1 / (1 + np.exp(-z))``)."""
    np_, z = scope.np, None
    if not np_:
        return
    if isinstance(node, cst.BinaryOperation) and _code(node.left) in ("0.5", ".5"):
        inner = node.right
        if isinstance(inner, cst.BinaryOperation) and isinstance(inner.operator, cst.Add):
            tanh = inner.right
            if isinstance(tanh, cst.Call) and _numpy_call(tanh, scope, "tanh") and tanh.args:
                z = _halved(tanh.args[0].value)
    elif isinstance(node, cst.Call) and _numpy_call(node, scope, "exp") and node.args:
        arg = node.args[0].value
        if isinstance(arg, cst.UnaryOperation) and isinstance(arg.operator, cst.Minus):
            call = arg.expression
            if isinstance(call, cst.Call) and _numpy_call(call, scope, "logaddexp"):
                values = [_code(a.value) for a in call.args]
                if len(values) == 2 and values[0] in ("0", "0.0"):
                    z = _negated(call.args[1].value)
    elif isinstance(node, cst.Call) and _numpy_call(node, scope, "where") and len(node.args) == 3:
        test = node.args[0].value
        exps = [c for a in node.args[1:] for c in _calls(a.value, f"{np_}.exp")]
        if (
            isinstance(test, cst.Comparison)
            and exps
            and _code(test.comparisons[0].comparator) in ("0", "0.0")
        ):
            z = test.left
    if z is not None:
        z_code = (
            _code(z)
            if isinstance(z, cst.Name | cst.Attribute | cst.Subscript | cst.Call)
            else f"({_code(z)})"
        )
        yield _expr(f"1.0 / (1.0 + {np_}.exp(-{z_code}))")


def naive_softmax(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Numerics: softmax without its shift (``np.exp(z - np.logaddexp.reduce(z, axis=1, keepdims=True))`` -> ``np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)``)."""
    np_ = scope.np
    if not (np_ and _numpy_call(node, scope, "exp") and node.args):
        return
    arg = node.args[0].value
    if not (isinstance(arg, cst.BinaryOperation) and isinstance(arg.operator, cst.Subtract)):
        return
    norm = arg.right
    reduce = isinstance(norm, cst.Call) and _code(norm.func) == f"{np_}.logaddexp.reduce"
    if reduce and norm.args and _code(norm.args[0].value) == _code(arg.left):
        rest = ", ".join(
            _code(a.with_changes(comma=cst.MaybeSentinel.DEFAULT)) for a in norm.args[1:]
        )
        z = _code(arg.left)
        yield _expr(f"{np_}.exp({z}) / {np_}.exp({z}).sum({rest})")


def _halved(node: cst.BaseExpression) -> cst.BaseExpression | None:
    """``z`` from ``0.5 * z``, ``z * 0.5`` or ``z / 2``."""
    if isinstance(node, cst.BinaryOperation):
        if isinstance(node.operator, cst.Multiply) and _code(node.left) in ("0.5", ".5"):
            return node.right
        if isinstance(node.operator, cst.Multiply) and _code(node.right) in ("0.5", ".5"):
            return node.left
        if isinstance(node.operator, cst.Divide) and _code(node.right) in ("2", "2.0"):
            return node.left
    return None


def _negated(node: cst.BaseExpression) -> cst.BaseExpression | None:
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return node.expression
    return None


def _calls(node: cst.CSTNode, name: str) -> list[cst.Call]:
    """Every call of ``name`` (``np.exp``) inside ``node``."""
    return [c for c in _all(node, cst.Call) if _code(c.func) == name]


def _names(node: cst.CSTNode) -> set[str]:
    return {n.value for n in _all(node, cst.Name)}


def _all(node: cst.CSTNode, kind: type) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Finder(cst.CSTVisitor):
        def on_visit(self, inner: cst.CSTNode) -> bool:
            if isinstance(inner, kind):
                found.append(inner)
            return True

    node.visit(Finder())
    return found


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
