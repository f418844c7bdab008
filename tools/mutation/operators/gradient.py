"""Gradients: a difference the wrong way round, a lost factor, a lost chain-rule term or penalty."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from tools.mutation.operators._base import Scope, _code, _is_count, _literal, _parens


def swap_difference(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BinaryOperation]:
    """Sign: a residual is taken the wrong way round (``pred - y`` -> ``y - pred``)."""
    left, right = node.left, node.right
    if not isinstance(node.operator, cst.Subtract) or _literal(left) or _literal(right):
        return
    if _target(left) != _target(right):  # a residual: exactly one side is the target
        yield node.with_changes(left=_parens(right, False), right=_parens(left, True))


def ascend(node: cst.BinaryOperation | cst.AugAssign, scope: Scope) -> Iterator[cst.CSTNode]:
    """Gradients: an update climbs instead of descending (``w - lr * g`` -> ``w + lr * g``)."""
    if isinstance(node, cst.AugAssign):
        if isinstance(node.operator, cst.SubtractAssign) and STEP.search(_code(node.value)):
            yield node.with_changes(operator=cst.AddAssign())
    elif isinstance(node.operator, cst.Subtract) and STEP.search(_code(node.right)):
        yield from [node.with_changes(operator=cst.Add())] if _variable(node.left) else []


def drop_normaliser(node: cst.BinaryOperation, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Gradients: a mean becomes a sum (``X.T @ error / n`` -> ``X.T @ error``)."""
    if isinstance(node.operator, cst.Divide) and _is_count(node.right):
        yield node.left


def mean_to_sum(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Gradients: an average becomes a total that grows with the number of rows (``error.mean()`` -> ``error.sum()``)."""
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value == "mean":
        yield node.with_changes(func=func.with_changes(attr=cst.Name("sum")))


def sum_to_mean(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Gradients: a total becomes an average (``dlogits.sum(axis=0)`` -> ``dlogits.mean(axis=0)``); elsewhere test strength only."""
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value == "sum":
        yield node.with_changes(func=func.with_changes(attr=cst.Name("mean")))


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
    counts = "count" in _code(node.left).lower()  # counts + alpha is a prior (drop-smoothing)
    if isinstance(node.operator, cst.Add) and PENALTY.search(_code(node.right)) and not counts:
        yield node.left


FACTORS = ("2", "2.0", "0.5")


STEP = re.compile(r"\b(lr|learning_rate|eta|step_size)\b")
TARGET = re.compile(
    r"(y|Y)(_(true|train|test|batch|val|valid|obs))?|targets?|labels?|\w*one_?hot\w*"
)


def _variable(node: cst.CSTNode) -> bool:
    return isinstance(node, cst.Name | cst.Attribute | cst.Subscript)


def _target(node: cst.CSTNode) -> bool:
    """A target: ``y``, ``y_batch``, ``Y[idx]``, ``labels``, ``onehot`` (not ``y_pred``)."""
    while isinstance(node, cst.Subscript):
        node = node.value
    return isinstance(node, cst.Name) and bool(TARGET.fullmatch(node.value))


PENALTY = re.compile(
    r"\b(lam|lambda_|lmbda|alpha|l2|reg|reg_\w+|regulari[sz]\w*|weight_decay|penalty)\b"
)
