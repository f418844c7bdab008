"""ML-aware mutation operators that mutmut does not make: leakage, shapes, numerical stability, gradients.

Modelled on mutmut's ``mutation/mutators.py``: each operator is a small generator that takes one
libcst node (and what it may know about the enclosing function) and yields replacement nodes;
:data:`OPERATORS` registers them with the node type they apply to and the bug class they plant.
Only code inside functions is mutated, never docstrings, ``raise`` or ``assert`` statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from tools.mutation.operators._base import Mutation, Scope, _code
from tools.mutation.operators.algorithm import boundary, drop_smoothing, swap_average
from tools.mutation.operators.data import (
    drop_copy,
    drop_dedupe,
    drop_reset_index,
    drop_to_numpy,
    keep_other_end,
    merge_how,
)
from tools.mutation.operators.gradient import (
    drop_chain_factor,
    drop_factor,
    drop_normaliser,
    drop_penalty,
    mean_to_sum,
    swap_difference,
)
from tools.mutation.operators.leakage import (
    leak_fit_all_rows,
    leak_statistic,
    no_shuffle,
    refit_on_test,
    score_on_train,
    split_overlap,
)
from tools.mutation.operators.shape import (
    column_target,
    drop_keepdims,
    drop_new_axis,
    drop_reshape,
    drop_transpose,
    matmul_to_multiply,
    swap_axis,
)
from tools.mutation.operators.stability import (
    drop_abs,
    drop_clip,
    drop_epsilon,
    drop_guard,
    drop_max_shift,
    float32,
    naive_function,
    naive_logsumexp,
    toggle_ddof,
    uncentred_variance,
    unstable_log1p,
)

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


def _numpy_alias(module: cst.Module) -> str:
    for statement in module.body:
        for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
            for alias in small.names if isinstance(small, cst.Import) else ():
                if _code(alias.name) == "numpy":
                    return alias.asname.name.value if alias.asname else "numpy"
    return ""


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
