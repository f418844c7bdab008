"""Algorithms and metrics: threshold boundaries, smoothing priors, macro and micro averaging."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from tools.mutation.operators._base import Scope, _code


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


def swap_average(node: cst.SimpleString, scope: Scope) -> Iterator[cst.SimpleString]:
    """Averaging: macro and micro averaging are mixed up (``"macro"`` <-> ``"micro"``)."""
    quote = node.value[0]
    swapped = {"macro": "micro", "micro": "macro"}.get(node.value.strip("\"'"))
    if swapped:
        yield node.with_changes(value=f"{quote}{swapped}{quote}")
