"""The ML-aware mutation operators: each plants the bug it names, only inside functions, deterministically."""

from __future__ import annotations

import ast
import difflib
import functools
import inspect
import textwrap

import libcst as cst
import pytest

from tools import ROOT
from tools.mutation import bugclasses, operators

# One module that gives every operator something to mutate, and some things none may touch.
ZOO = '''
"""Module docstring: never mutated."""

import numpy as np

LIMITS = np.clip(np.arange(3.0), 0.5, 1.5)  # module level: never mutated


def split(n_rows, n_test, seed):
    order = np.random.default_rng(seed).permutation(n_rows)
    return order[n_test:], order[:n_test]


class Scaler:
    def fit(self, X):
        """Learn each column's centre and spread."""
        self.mean_ = X.mean(axis=0)
        spread = X.std(axis=0)
        self.scale_ = np.where(spread > 0, spread, 1.0)
        return self

    def transform(self, X):
        if X.ndim != 2:
            raise ValueError(f"expected a 2-d array, got shape {X.shape}")
        return (X - self.mean_) / self.scale_


def softmax(z):
    """Row-wise probabilities."""
    shifted = z - z.max(axis=1, keepdims=True)
    exps = np.exp(shifted)
    return exps / exps.sum(axis=1, keepdims=True)


def grad_step(X, y, w, lam, eps=1e-12):
    n = len(y)
    p = np.clip(1.0 / (1.0 + np.exp(-np.abs(X @ w))), eps, 1 - eps)
    loss = -np.mean(y * np.log(p + eps)) + np.log1p(np.exp(-p)).sum()
    residual = p - y
    grad = 2 * X.T @ residual / n + lam * w
    chain = residual * p * (1 - p)
    return w - 0.1 * grad, loss, chain


def pipeline(X, y, train_idx, test_idx, score):
    assert len(X) == len(y), "X and y disagree"
    scaler = Scaler().fit(X[train_idx])
    X_train = scaler.transform(X[train_idx])
    X_test = scaler.transform(X[test_idx])
    centre = X_train.mean(axis=0)
    column = y.reshape(-1, 1)
    flat = np.atleast_2d(centre)[:, None]
    values = X.astype(np.float64).copy()
    typed = np.asarray(values, dtype=float)
    return score(y[test_idx], X_test), column, flat, typed, np.logaddexp(0.0, centre)


def extras(df, counts, alpha, z, threshold, f1):
    kept = df[df["x"] <= threshold].reset_index(drop=True)
    probs = (counts + alpha) / (counts + alpha).sum()
    total = np.logaddexp.reduce(z, axis=1)
    latest = df.sort_values("t").drop_duplicates("k", keep="last")
    merged = df.merge(latest, on="k", how="left")
    return kept["x"].to_numpy(), probs, total, f1(kept, average="macro"), merged


def stable(z, logits, eps=1e-12):
    half = 0.5 * (1.0 + np.tanh(0.5 * z))
    fused = np.exp(-np.logaddexp(0.0, -z))
    e = np.exp(-np.abs(z))
    split = np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))
    probs = np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))
    top = logits.max(axis=1)
    lse = top + np.log(np.sum(np.exp(logits - top[:, None]), axis=1))
    # keep probabilities a hair inside (0, 1) so that log never sees 0
    probs = np.clip(probs, eps, 1 - eps)
    return half, fused, split, probs, lse, np.log(probs).sum()


def train(X, y, w, lr):
    velocity = np.zeros_like(w)
    for _ in range(3):
        grad = X.T @ (X @ w - y) / len(y)
        w = w - lr * grad
        w -= lr * grad
    return w
'''


@functools.cache
def zoo(operator: str | None = None) -> list[operators.Mutation]:
    made = operators.mutations(ZOO) if operator is None else zoo()
    return [m for m in made if operator in (None, m.operator)]


def mutated_lines(source: str, mutation: operators.Mutation) -> tuple[list[str], list[str]]:
    before, after = source.splitlines(), mutation.code.splitlines()
    diff = list(difflib.unified_diff(before, after, lineterm="", n=0))
    removed = [
        line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")
    ]
    added = [
        line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")
    ]
    return removed, added


def test_every_operator_is_registered_once_with_a_category_and_a_one_line_summary():
    names = [name for name, *_ in operators.OPERATORS]
    assert len(names) == len(set(names))
    for name, category, kind, function in operators.OPERATORS:
        assert category in (*bugclasses.CLASSES, ""), f"{name}: unknown bug class {category!r}"
        assert inspect.isgeneratorfunction(function), f"{name} should be a small generator"
        first = (function.__doc__ or "").strip().splitlines()[0]
        assert ": " in first and first.endswith("."), (
            f"{name}: docstring should read 'Class: what goes wrong.'"
        )
        for node_type in getattr(kind, "__args__", (kind,)):
            assert issubclass(node_type, cst.CSTNode)


def test_every_operator_mutates_the_zoo_and_every_mutant_compiles():
    made = zoo()
    assert {m.operator for m in made} == {name for name, *_ in operators.OPERATORS}
    for m in made:
        assert m.code != ZOO
        compile(m.code, m.operator, "exec")


def test_mutants_stay_inside_functions_and_away_from_docstrings_raise_and_assert():
    def untouchable(code: str) -> list[str]:
        tree = ast.parse(code)
        kept = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
        docs = [ast.get_docstring(n) for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        guards = [n for n in ast.walk(tree) if isinstance(n, ast.Raise | ast.Assert)]
        return [ast.dump(n) for n in kept + guards] + [str(d) for d in docs]

    for m in zoo():
        assert untouchable(m.code) == untouchable(ZOO), f"{m.operator} changed protected code"


def test_mutations_are_deterministic_and_can_be_restricted_to_some_operators():
    first, second = zoo(), operators.mutations(ZOO)
    assert [(m.operator, m.line, m.code) for m in first] == [
        (m.operator, m.line, m.code) for m in second
    ]
    only = operators.mutations(ZOO, ["drop-transpose", "no-shuffle"])
    assert {m.operator for m in only} == {"drop-transpose", "no-shuffle"}


EXPECTED = [
    ("leak-fit-all-rows", "scaler = Scaler().fit(X[train_idx])", "scaler = Scaler().fit(X)"),
    ("leak-statistic", "centre = X_train.mean(axis=0)", "centre = X.mean(axis=0)"),
    ("refit-on-test", "X_test = scaler.transform(X[test_idx])", "X_test = scaler.fit(X[test_idx]).transform(X[test_idx])"),
    ("score-on-train", "return score(y[test_idx], X_test), column, flat, typed, np.logaddexp(0.0, centre)", "return score(y[train_idx], X_train), column, flat, typed, np.logaddexp(0.0, centre)"),
    ("split-overlap", "return order[n_test:], order[:n_test]", "return order[n_test - 1:], order[:n_test]"),
    ("no-shuffle", "order = np.random.default_rng(seed).permutation(n_rows)", "order = np.arange(n_rows)"),
    ("drop-transpose", "grad = 2 * X.T @ residual / n + lam * w", "grad = 2 * X @ residual / n + lam * w"),
    ("drop-reshape", "column = y.reshape(-1, 1)", "column = y"),
    ("drop-new-axis", "flat = np.atleast_2d(centre)[:, None]", "flat = np.atleast_2d(centre)"),
    ("column-target", "residual = p - y", "residual = p - y[:, None]"),
    ("swap-axis", "self.mean_ = X.mean(axis=0)", "self.mean_ = X.mean(axis=1)"),
    ("drop-epsilon", "loss = -np.mean(y * np.log(p + eps)) + np.log1p(np.exp(-p)).sum()", "loss = -np.mean(y * np.log(p)) + np.log1p(np.exp(-p)).sum()"),
    ("drop-max-shift", "shifted = z - z.max(axis=1, keepdims=True)", "shifted = z"),
    ("unstable-log1p", "np.log1p(np.exp(-p)).sum()", "np.log(1 + np.exp(-p)).sum()"),
    ("drop-abs", "np.exp(-np.abs(X @ w))", "np.exp(-(X @ w))"),
    ("uncentred-variance", "spread = X.std(axis=0)", "spread = np.sqrt(np.mean(X ** 2, axis=0) - np.mean(X, axis=0) ** 2)"),
    ("drop-guard", "self.scale_ = np.where(spread > 0, spread, 1.0)", "self.scale_ = spread"),
    ("toggle-ddof", "spread = X.std(axis=0)", "spread = X.std(axis=0, ddof=1)"),
    ("swap-difference", "residual = p - y", "residual = y - p"),
    ("ascend", "w = w - lr * grad", "w = w + lr * grad"),
    ("ascend", "w -= lr * grad", "w += lr * grad"),
    ("sum-to-mean", "probs = (counts + alpha) / (counts + alpha).sum()", "probs = (counts + alpha) / (counts + alpha).mean()"),
    ("naive-sigmoid", "half = 0.5 * (1.0 + np.tanh(0.5 * z))", "half = 1.0 / (1.0 + np.exp(-z))"),
    ("naive-sigmoid", "fused = np.exp(-np.logaddexp(0.0, -z))", "fused = 1.0 / (1.0 + np.exp(-z))"),
    ("naive-sigmoid", "split = np.where(z >= 0, 1.0 / (1.0 + np.exp(-z)), np.exp(z) / (1.0 + np.exp(z)))", "split = 1.0 / (1.0 + np.exp(-z))"),
    ("naive-softmax", "probs = np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))", "probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)"),
    ("naive-logsumexp", "lse = top + np.log(np.sum(np.exp(logits - top[:, None]), axis=1))", "lse = np.log(np.sum(np.exp(logits), axis=1))"),
    ("drop-normaliser", "grad = 2 * X.T @ residual / n + lam * w", "grad = 2 * X.T @ residual + lam * w"),
    ("mean-to-sum", "self.mean_ = X.mean(axis=0)", "self.mean_ = X.sum(axis=0)"),
    ("drop-factor", "grad = 2 * X.T @ residual / n + lam * w", "grad = X.T @ residual / n + lam * w"),
    ("drop-chain-factor", "chain = residual * p * (1 - p)", "chain = residual * p"),
    ("drop-penalty", "grad = 2 * X.T @ residual / n + lam * w", "grad = 2 * X.T @ residual / n"),
    ("drop-copy", "values = X.astype(np.float64).copy()", "values = X.astype(np.float64)"),
    ("drop-clip", "p = np.clip(1.0 / (1.0 + np.exp(-np.abs(X @ w))), eps, 1 - eps)", "p = 1.0 / (1.0 + np.exp(-np.abs(X @ w)))"),
]  # fmt: skip


@pytest.mark.parametrize(("operator", "before", "after"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_operator_plants_its_bug(operator, before, after):
    changes = [mutated_lines(ZOO, m) for m in zoo(operator)]
    wanted = (before, after)
    assert any(wanted[0] in " ".join(r) and wanted[1] in " ".join(a) for r, a in changes), (
        f"{operator} did not turn `{before}` into `{after}`; it made: {changes}"
    )


def test_naive_function_keeps_the_docstring_and_writes_the_textbook_formula():
    (m,) = zoo("naive-function")
    tree = ast.parse(m.code)
    softmax = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "softmax")
    assert ast.get_docstring(softmax) == "Row-wise probabilities."
    assert "exps = np.exp(z)" in m.code and "shifted" not in ast.unparse(softmax)


def test_no_mutant_without_numpy_or_outside_functions():
    source = textwrap.dedent(
        """
        import math

        TOTAL = 1 - 2

        def f(a, y):
            return math.sqrt(a) - y
        """
    )
    made = operators.mutations(source)
    assert sorted(m.operator for m in made) == ["column-target", "swap-difference"]
    assert all("TOTAL = 1 - 2" in m.code for m in made)


def test_the_leakage_kata_gets_its_own_bug_back():
    source = (ROOT / "fixed" / "leakage" / "pipeline.py").read_text()
    made = operators.mutations(source, ["leak-fit-all-rows"])
    assert any("StandardScaler().fit(X)\n" in m.code and m.function == "run_pipeline" for m in made)


@pytest.mark.parametrize(
    ("operator", "before", "after"),
    [
        ("boundary", 'kept = df[df["x"] <= threshold].reset_index(drop=True)',
         'kept = df[df["x"] < threshold].reset_index(drop=True)'),
        ("drop-smoothing", "probs = (counts + alpha) / (counts + alpha).sum()",
         "probs = counts / (counts + alpha).sum()"),
        ("drop-reset-index", 'kept = df[df["x"] <= threshold].reset_index(drop=True)',
         'kept = df[df["x"] <= threshold]'),
        ("naive-logsumexp", "total = np.logaddexp.reduce(z, axis=1)",
         "total = np.log(np.sum(np.exp(z), axis=1))"),
        ("swap-average",
         'return kept["x"].to_numpy(), probs, total, f1(kept, average="macro"), merged',
         'return kept["x"].to_numpy(), probs, total, f1(kept, average="micro"), merged'),
        ("drop-dedupe", 'latest = df.sort_values("t").drop_duplicates("k", keep="last")',
         'latest = df.sort_values("t")'),
        ("merge-how", 'merged = df.merge(latest, on="k", how="left")',
         'merged = df.merge(latest, on="k", how="inner")'),
        ("keep-other-end", 'latest = df.sort_values("t").drop_duplicates("k", keep="last")',
         'latest = df.sort_values("t").drop_duplicates("k", keep="first")'),
    ],
)  # fmt: skip
def test_catalog_wide_operators_plant_their_bug_class(operator, before, after):
    changes = [mutated_lines(ZOO, m) for m in zoo(operator)]
    assert ([before], [after]) in changes, changes


def test_a_dropped_clip_takes_its_line_and_its_comment_with_it():
    (m,) = [m for m in zoo("drop-clip") if "probs = np.clip" not in m.code]
    assert "a hair inside" not in m.code, "the comment describing the guard goes with it"
    assert "probs = probs" not in m.code
    assert "return half, fused, split, probs, lse, np.log(probs).sum()" in m.code


def test_a_naive_formula_leaves_no_comment_or_docstring_claim_that_states_the_fix():
    source = textwrap.dedent(
        '''
        import numpy as np


        def sigmoid(z):
            """The logistic function, written with tanh, which never overflows."""
            # tanh saturates instead of overflowing
            return 0.5 * (1.0 + np.tanh(0.5 * z))
        '''
    )
    (m,) = operators.mutations(source, ["naive-sigmoid"])
    assert '"""The logistic function."""' in m.code
    assert "tanh" not in m.code and "return 1.0 / (1.0 + np.exp(-z))" in m.code


def test_float32_makes_accumulators_single_precision():
    source = "import numpy as np\n\ndef f(x, d):\n    return np.zeros(d), np.zeros_like(x, dtype=float), x.astype(float)\n"
    made = {m.code.splitlines()[3].strip() for m in operators.mutations(source, ["float32"])}
    assert made == {
        "return np.zeros(d, dtype=np.float32), np.zeros_like(x, dtype=float), x.astype(float)",
        "return np.zeros(d), np.zeros_like(x, dtype=np.float32), x.astype(float)",
    }


def test_a_guard_is_dropped_only_to_the_value_it_guards():
    source = "import numpy as np\n\ndef f(s, a, b):\n    return np.where(s > 0, s, 1.0), np.where(a > b, a, b)\n"
    made = [m.code.splitlines()[3].strip() for m in operators.mutations(source, ["drop-guard"])]
    assert made == ["return s, np.where(a > b, a, b)"], "a maximum is no guard"


def test_leaks_and_scores_move_every_argument_together():
    source = textwrap.dedent(
        """
        def f(model, X, y, X_train, y_train, X_test, y_test, train_idx, score):
            model.fit(X[train_idx], y[train_idx])
            return score(y_test, model.predict(X_test)), model.predict(X_test)
        """
    )
    leaks = [mutated_lines(source, m) for m in operators.mutations(source, ["leak-fit-all-rows"])]
    assert leaks == [(["model.fit(X[train_idx], y[train_idx])"], ["model.fit(X, y)"])]
    scores = [mutated_lines(source, m)[1] for m in operators.mutations(source, ["score-on-train"])]
    assert scores == [["return score(y_train, model.predict(X_train)), model.predict(X_test)"]]


def test_a_fit_whose_targets_stay_sliced_is_a_length_mismatch_not_a_leak():
    source = "def run(X, X_train, Y, n):\n    return fit(X_train, Y[:-n])\n"
    assert operators.mutations(source, ["leak-fit-all-rows"]) == []
    both = "def run(X, y, train_idx):\n    return fit(X[train_idx], y[train_idx])\n"
    assert len(operators.mutations(both, ["leak-fit-all-rows"])) == 1
