"""What every operator family shares: the scope an operator sees, the mutation it makes, small libcst helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

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


STATISTICS = ("mean", "std", "var", "min", "max", "median", "quantile", "percentile", "nanmean")


RESHAPES = ("atleast_2d", "expand_dims", "squeeze", "ravel")


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
