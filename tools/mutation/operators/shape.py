"""Shapes and broadcasting: lost transposes, reshapes, axes and keepdims."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from tools.mutation.operators._base import (
    RESHAPES,
    Scope,
    _code,
    _commas,
    _expr,
    _keyword,
    _method_call,
    _numpy_call,
)


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


def drop_keepdims(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Shapes: a reduction drops its axis (``x.sum(axis=1, keepdims=True)`` -> ``x.sum(axis=1)``)."""
    kept = [a for a in node.args if _keyword(a) != "keepdims"]
    if len(kept) < len(node.args):
        yield node.with_changes(args=_commas(kept))
