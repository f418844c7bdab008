"""Gradients: a difference the wrong way round, a lost factor, a lost chain-rule term or penalty."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from tools.mutation.operators._base import Scope, _additive, _code, _is_count, _literal, _parens


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


FACTORS = ("2", "2.0", "0.5")


PENALTY = re.compile(r"\b(lam|lambda_|lmbda|alpha|l2|reg\w*|weight_decay|penalty)\b")
