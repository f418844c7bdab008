"""ML-aware mutation operators that mutmut does not make: leakage, shapes, numerical stability, gradients.

Modelled on mutmut's ``mutation/mutators.py``: each operator is a small generator that takes one
libcst node (and what it may know about the enclosing function) and yields replacement nodes;
:data:`OPERATORS` registers them with the node type they apply to and the bug class they plant.
Only code inside functions is mutated, never docstrings, ``raise`` or ``assert`` statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import libcst as cst

from tools.mutation.operators._base import Mutation, Scope
from tools.mutation.operators._engine import apply
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
    ascend,
    drop_chain_factor,
    drop_factor,
    drop_normaliser,
    drop_penalty,
    mean_to_sum,
    sum_to_mean,
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
    naive_sigmoid,
    naive_softmax,
    toggle_ddof,
    uncentred_variance,
    unstable_log1p,
)

# (name, bug class, node type, operator): the bug class is what the operator plants (read in
# context by tools.mutation.plausible; "" for changes that count for test strength only); the
# order is the order mutants are listed in.
OPERATORS: list[tuple[str, str, type, Callable[..., Iterable[cst.CSTNode]]]] = [
    ("leak-fit-all-rows", "leakage", cst.Call, leak_fit_all_rows),
    ("leak-statistic", "leakage", cst.Call, leak_statistic),
    ("refit-on-test", "leakage", cst.Call, refit_on_test),
    ("split-overlap", "leakage", cst.Subscript, split_overlap),
    ("score-on-train", "evaluation", cst.Call, score_on_train),
    ("no-shuffle", "split", cst.Call, no_shuffle),
    ("drop-transpose", "shape", cst.Attribute, drop_transpose),
    ("matmul-to-multiply", "shape", cst.BinaryOperation, matmul_to_multiply),
    ("drop-reshape", "shape", cst.Call, drop_reshape),
    ("drop-new-axis", "shape", cst.Subscript, drop_new_axis),
    ("column-target", "shape", cst.BinaryOperation, column_target),
    ("swap-axis", "shape", cst.Arg, swap_axis),
    ("drop-clip", "guard", cst.Call, drop_clip),
    ("drop-epsilon", "guard", cst.BinaryOperation | cst.Call, drop_epsilon),
    ("drop-max-shift", "stability", cst.BinaryOperation, drop_max_shift),
    ("naive-function", "stability", cst.FunctionDef, naive_function),
    ("naive-sigmoid", "stability", cst.BinaryOperation | cst.Call, naive_sigmoid),
    ("naive-softmax", "stability", cst.Call, naive_softmax),
    ("unstable-log1p", "stability", cst.Call, unstable_log1p),
    ("drop-abs", "stability", cst.Call, drop_abs),
    ("uncentred-variance", "variance", cst.Call, uncentred_variance),
    ("drop-guard", "guard", cst.Call, drop_guard),
    ("toggle-ddof", "", cst.Call, toggle_ddof),
    ("float32", "precision", cst.Call, float32),
    ("swap-difference", "gradient-sign", cst.BinaryOperation, swap_difference),
    ("ascend", "gradient-sign", cst.BinaryOperation | cst.AugAssign, ascend),
    ("drop-normaliser", "gradient-scale", cst.BinaryOperation, drop_normaliser),
    ("mean-to-sum", "gradient-scale", cst.Call, mean_to_sum),
    ("sum-to-mean", "gradient-scale", cst.Call, sum_to_mean),
    ("drop-factor", "gradient-scale", cst.BinaryOperation, drop_factor),
    ("drop-chain-factor", "gradient-scale", cst.BinaryOperation, drop_chain_factor),
    ("drop-penalty", "penalty", cst.BinaryOperation, drop_penalty),
    ("drop-copy", "copy", cst.Call, drop_copy),
    ("drop-keepdims", "shape", cst.Call, drop_keepdims),
    ("boundary", "comparison", cst.Comparison, boundary),
    ("drop-smoothing", "smoothing", cst.BinaryOperation, drop_smoothing),
    ("drop-reset-index", "alignment", cst.Call, drop_reset_index),
    ("drop-to-numpy", "alignment", cst.Call, drop_to_numpy),
    ("naive-logsumexp", "stability", cst.Call | cst.BinaryOperation, naive_logsumexp),
    ("swap-average", "averaging", cst.SimpleString, swap_average),
    ("drop-dedupe", "merge", cst.Call, drop_dedupe),
    ("merge-how", "merge", cst.Arg, merge_how),
    ("keep-other-end", "flag", cst.Arg, keep_other_end),
]


def mutations(source: str, operators: Iterable[str] | None = None) -> list[Mutation]:
    """Every mutant our operators make of ``source``, one per operator, site and alternative."""
    return apply(source, OPERATORS, operators)


__all__ = ["OPERATORS", "Mutation", "Scope", "mutations"]
