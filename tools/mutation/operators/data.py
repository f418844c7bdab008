"""Data handling with NumPy and pandas: lost copies, index resets, de-duplication and join options."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tools.mutation.operators._base import Scope, _keyword, _method_call, _numpy_call


def drop_copy(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Data: a defensive copy goes missing, so the caller's array is modified in place."""
    if _method_call(node, "copy") and not node.args and not _numpy_call(node, scope, "copy"):
        yield node.func.value
    elif _numpy_call(node, scope, "copy") and len(node.args) == 1:
        yield node.args[0].value


def drop_reset_index(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Alignment: an index reset goes missing, so pandas aligns by the old labels."""
    if _method_call(node, "reset_index") and isinstance(node.func, cst.Attribute):
        yield node.func.value


def drop_to_numpy(node: cst.Call, scope: Scope) -> Iterator[cst.BaseExpression]:
    """Alignment: values stay a pandas object (``s.to_numpy()`` -> ``s``) and align by label."""
    if _method_call(node, "to_numpy") and not node.args and isinstance(node.func, cst.Attribute):
        yield node.func.value


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
