"""Leakage and evaluation: fits that see held-out rows, scores on the wrong rows, splits that stop separating."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from tools.mutation.operators._base import (
    STATISTICS,
    Scope,
    _called,
    _code,
    _counterpart,
    _expr,
    _method_call,
    _numpy_call,
)


def leak_fit_all_rows(node: cst.Call, scope: Scope) -> Iterator[cst.Call]:
    """Leakage: a fit sees every row (``fit(X[train_idx], y[train_idx])`` -> ``fit(X, y)``, ``fit(X_train)`` -> ``fit(X)``)."""
    if "fit" not in _called(node).lower():
        return
    args, changed = [], False
    for arg in node.args:  # every training-row argument at once: X and y stay the same length
        value, whole = arg.value, None
        if isinstance(value, cst.Subscript) and "train" in _code(value.slice[0]).lower():
            whole = value.value
        elif isinstance(value, cst.Name) and (
            name := _counterpart(value.value, "train", "", scope)
        ):
            whole = cst.Name(name)
        args.append(arg.with_changes(value=whole) if whole is not None else arg)
        changed = changed or whole is not None
    # A row selection left behind (``fit(X, y[:-n])``) makes a length mismatch, not a leak.
    left = [a for a, b in zip(args, node.args, strict=True) if a is b]
    sliced = any(
        isinstance(a.value, cst.Subscript) and ":" in _code(a.value.slice[0]) for a in left
    )
    if changed and not sliced:
        yield node.with_changes(args=args)


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
    """Evaluation: held-out figures are computed on training rows (``score(y[test_idx], X_test @ w)`` -> ``score(y[train_idx], X_train @ w)``)."""
    renamed = {
        name: other
        for name in scope.names
        if (other := _counterpart(name, "test", "train", scope)) is not None
    }
    args = [arg.with_changes(value=_renamed(arg.value, renamed)) for arg in node.args]
    moved = sum(_code(a) != _code(b) for a, b in zip(args, node.args, strict=True))
    if moved >= 2:  # targets and predictions both move: a whole score, not one stray argument
        yield node.with_changes(args=args)


class _Rename(cst.CSTTransformer):
    def __init__(self, renamed: dict[str, str]) -> None:
        self.renamed = renamed

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.renamed.get(updated.value, updated.value))


def _renamed(value: cst.BaseExpression, renamed: dict[str, str]) -> cst.BaseExpression:
    """``value`` with every held-out name replaced by its training counterpart."""
    return value.visit(_Rename(renamed))


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
