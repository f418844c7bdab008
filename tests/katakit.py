"""The shared kata test kit: property checks that any correct fix passes and the bug fails.

Every kata's tests import from here (``from katakit import ...``) instead of rewriting the same
helpers. Each check states its symptom in the learner's terms; pass ``what`` (what was called)
and ``meaning`` (what the symptom says about the pipeline) so that the message narrates, never
the fix.

- strict floating point: :func:`strict`, :func:`call_strict`, :data:`EXTREME_LOGITS`
- gradients: :func:`numerical_gradient`, :func:`assert_gradient_matches`
- invariance to held-out rows: :func:`perturb_rows`, :func:`assert_unchanged`
- splits: :func:`assert_partition`
- shapes: :func:`design`, :data:`SHAPE_CASES`
- pandas: :func:`with_shuffled_index`
- comparisons with a narrated message: :func:`assert_close`, :func:`assert_decreasing`
- the whole pipeline: :func:`assert_seeded_split`, :func:`assert_reproducible`,
  :func:`assert_inputs_untouched`, :func:`assert_figures`, and reference metrics
  (:func:`accuracy`, :func:`rmse`, :func:`mae`, :func:`r2`, :func:`log_loss`,
  :func:`precision_recall_f1`, :func:`roc_auc`) to recompute reported figures independently
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

# Logits far beyond what exp can take (e^710 overflows a float64), and ordinary ones.
EXTREME_LOGITS = np.array([-1000.0, -745.0, -50.0, -1.0, 0.0, 1.0, 50.0, 745.0, 1000.0])

# (n_rows, n_features) where silent broadcasting hides: one row, as many rows as features,
# one feature, and an ordinary tall design.
SHAPE_CASES = [(1, 3), (3, 3), (5, 1), (40, 3)]


# -- strict floating point --------------------------------------------------------------------


@contextlib.contextmanager
def strict() -> Iterator[None]:
    """Overflow, division by zero and invalid operations raise FloatingPointError.

    Underflow stays silent: rounding a tiny number to 0 is harmless and happens in correct,
    stable code.
    """
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        yield


def call_strict(function: Callable[..., Any], *args: Any, what: str = "", **kwargs: Any) -> Any:
    """Call ``function`` under :func:`strict`; a floating-point error fails with a narrated message."""
    label = what or f"{getattr(function, '__name__', 'the call')}(...)"
    try:
        with strict():
            return function(*args, **kwargs)
    except FloatingPointError as error:
        raise AssertionError(
            f"{label} raised FloatingPointError ({error}): an intermediate value overflowed, "
            "divided by zero or became NaN, so the result is inf or NaN"
        ) from error


def assert_finite(value: Any, what: str, meaning: str = "") -> None:
    """Every number in ``value`` is finite (no inf, no NaN)."""
    array = np.asarray(value, dtype=float)
    bad = ~np.isfinite(array)
    if bad.any():
        flat = array.ravel()
        first = np.flatnonzero(~np.isfinite(flat))[:4]
        shown = ", ".join(
            f"{float(flat[i])} at {tuple(int(j) for j in np.unravel_index(i, array.shape))}"
            for i in first
        )
        raise AssertionError(
            f"{what} holds {int(bad.sum())} of {array.size} non-finite value(s): {shown}"
            + (f": {meaning}" if meaning else "")
        )


# -- gradients --------------------------------------------------------------------------------


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6):
    """Central finite differences of a scalar function ``f`` at ``x`` (any shape)."""
    x = np.array(x, dtype=float)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        grad[index] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def assert_gradient_matches(
    f: Callable[[np.ndarray], float],
    analytic: Any,
    x: np.ndarray,
    what: str,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    eps: float = 1e-6,
) -> None:
    """The analytic gradient equals central finite differences of ``f`` at ``x``."""
    expected = numerical_gradient(f, x, eps)
    actual = np.asarray(analytic, dtype=float)
    if actual.shape != expected.shape:
        raise AssertionError(
            f"{what} has shape {actual.shape}, but the parameter it differentiates has "
            f"shape {expected.shape}"
        )
    wrong = ~np.isclose(actual, expected, rtol=rtol, atol=atol)
    if wrong.any():
        worst = np.unravel_index(np.argmax(np.abs(actual - expected)), actual.shape)
        scale = np.maximum(np.abs(expected), atol)
        relative = float(np.max(np.abs(actual - expected) / scale))
        raise AssertionError(
            f"{what} disagrees with a finite-difference check in {int(wrong.sum())} of "
            f"{wrong.size} entries (largest relative error {relative:.3g}); at index "
            f"{tuple(int(i) for i in worst)} it is {actual[worst]:.6g} while the loss changes "
            f"at a rate of {expected[worst]:.6g}: gradient descent does not follow the loss it "
            "reports"
        )


# -- invariance to held-out rows ----------------------------------------------------------------


def perturb_rows(
    df: pd.DataFrame,
    rows: Any,
    columns: Sequence[str] | None = None,
    factor: float = 100.0,
    shift: float = 1000.0,
) -> pd.DataFrame:
    """A copy of ``df`` whose numeric values in ``rows`` (index labels) are rescaled and shifted.

    The change a leak-free pipeline must not notice when ``rows`` are held out: a unit bug in
    one export batch. Missing values stay missing.
    """
    out = df.copy()
    chosen = list(columns) if columns is not None else list(df.select_dtypes("number").columns)
    for column in chosen:
        out.loc[rows, column] = out.loc[rows, column] * factor + shift
    return out


def assert_unchanged(before: Any, after: Any, what: str, meaning: str, rtol=1e-9, atol=1e-12):
    """Two results (arrays, numbers, frames, dicts or fitted objects) agree to ``rtol``/``atol``.

    Use it for invariance: run the same fit twice, changing only what it must not depend on.
    """
    for name, old, new in _leaves(before, after, what):
        old_array = np.asarray(old, dtype=float)
        new_array = np.asarray(new, dtype=float)
        if old_array.shape != new_array.shape:
            raise AssertionError(
                f"{name} changed shape from {old_array.shape} to {new_array.shape}: {meaning}"
            )
        if not np.allclose(new_array, old_array, rtol=rtol, atol=atol, equal_nan=True):
            diff = np.abs(new_array - old_array)
            worst = (
                tuple(int(i) for i in np.unravel_index(np.nanargmax(diff), diff.shape))
                if diff.ndim
                else ()
            )
            raise AssertionError(
                f"{name} changed from {_fmt(old_array[worst])} to {_fmt(new_array[worst])}"
                f"{f' (at {worst})' if worst else ''}: {meaning}"
            )


def _leaves(before: Any, after: Any, name: str) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(before, Mapping):
        for key in before:
            yield from _leaves(before[key], after[key], f"{name}[{key!r}]")
    elif isinstance(before, (pd.DataFrame, pd.Series)):
        yield name, before.to_numpy(dtype=float), after.to_numpy(dtype=float)
    elif isinstance(before, (tuple, list)) and not _numeric(before):
        for i, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _leaves(old, new, f"{name}[{i}]")
    elif hasattr(before, "__dict__") and not isinstance(before, (np.ndarray, np.generic)):
        fitted = {k: v for k, v in vars(before).items() if _numeric(v)}
        for key in sorted(fitted):
            yield f"{name}.{key}", fitted[key], getattr(after, key)
    else:
        yield name, before, after


def _numeric(value: Any) -> bool:
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except (TypeError, ValueError):
        return False


def _fmt(value: Any) -> str:
    return np.array2string(np.asarray(value), precision=6) if np.ndim(value) else f"{value:.6g}"


# -- splits -------------------------------------------------------------------------------------


def assert_partition(train_idx: Any, test_idx: Any, n_rows: int, n_test: int | None = None):
    """Train and test indices together hold every row exactly once (and ``n_test`` test rows)."""
    train_idx, test_idx = np.asarray(train_idx), np.asarray(test_idx)
    if n_test is not None and len(test_idx) != n_test:
        raise AssertionError(
            f"the split gave {len(test_idx)} test rows out of {n_rows}; expected {n_test}"
        )
    shared = np.intersect1d(train_idx, test_idx)
    if len(shared):
        raise AssertionError(
            f"{len(shared)} row(s) are in both the training and the test set, e.g. {shared[:5]}"
        )
    together = np.sort(np.concatenate([train_idx, test_idx]))
    if not np.array_equal(together, np.arange(n_rows)):
        raise AssertionError(
            f"train and test together hold {len(together)} indices; expected each of the "
            f"{n_rows} rows exactly once"
        )


# -- shapes and data ----------------------------------------------------------------------------


def design(n: int, d: int, seed: int = 0, noise: float = 0.0):
    """A linear problem: X (n, d), y (n,), the true weights (d,) and bias, seeded."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    b = float(rng.normal())
    y = X @ w + b + noise * rng.normal(size=n)
    return X, y, w, b


def data_maker(test_file: str) -> ModuleType:
    """The ``make_data.py`` beside a kata's tests (pass ``__file__``), which wrote its data files:
    for tests that need more of the same kind of data. Imported once, under a name of that kata's
    own, since the whole tests/ tree runs in one process."""
    folder = Path(test_file).resolve().parent
    name = f"{folder.name.replace('-', '_')}_make_data"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, folder / "make_data.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


def with_shuffled_index(df: pd.DataFrame, seed: int = 0, start: int = 1000) -> pd.DataFrame:
    """The same rows in a shuffled order, labelled by a non-default, non-contiguous index.

    Label-based and position-based code agree on a 0..n-1 index and disagree here: a
    pipeline that mixes ``.loc`` labels with positions, or relies on pandas aligning
    by index, shows it on these frames.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(df))
    labels = start + 7 * rng.permutation(len(df))
    out = df.iloc[order].copy()
    out.index = pd.Index(labels, name=df.index.name)
    return out


# -- narrated comparisons -------------------------------------------------------------------------


def assert_close(actual: Any, expected: Any, what: str, meaning: str = "", rtol=1e-7, atol=1e-10):
    """``actual`` equals ``expected`` within tolerance; the message shows both and the meaning."""
    actual_array = np.asarray(actual, dtype=float)
    expected_array = np.asarray(expected, dtype=float)
    if actual_array.shape != expected_array.shape:
        raise AssertionError(
            f"{what} has shape {actual_array.shape}; expected shape {expected_array.shape}"
            + (f": {meaning}" if meaning else "")
        )
    if not np.allclose(actual_array, expected_array, rtol=rtol, atol=atol, equal_nan=False):
        raise AssertionError(
            f"{what} is {_fmt(actual_array)}; expected {_fmt(expected_array)}"
            + (f": {meaning}" if meaning else "")
        )


def assert_decreasing(values: Sequence[float], what: str, meaning: str = "", slack: float = 1e-12):
    """Each value is at most the one before (plus ``slack``)."""
    values = np.asarray(values, dtype=float)
    assert_finite(values, what, meaning)
    rises = np.flatnonzero(np.diff(values) > slack)
    if len(rises):
        i = int(rises[0])
        raise AssertionError(
            f"{what} went up from {values[i]:.6g} at step {i} to {values[i + 1]:.6g} at step "
            f"{i + 1}" + (f": {meaning}" if meaning else "")
        )


# -- the whole pipeline: splits, reported figures, reproducibility ----------------------------


def assert_seeded_split(
    split: Callable[[int], tuple[Any, Any]],
    n_rows: int,
    n_test: int | None = None,
    seeds: Sequence[int] = (0, 1, 2),
) -> None:
    """``split(seed) -> (train_idx, test_idx)`` is a shuffled, seeded, reproducible partition.

    Every row lands in exactly one side; the same seed gives the same split; different seeds
    give different held-out rows; and the held-out rows are not simply the first or last rows
    of the table (an export's order is not random).
    """
    first = None
    for seed in seeds:
        train_idx, test_idx = (np.asarray(i) for i in split(seed))
        assert_partition(train_idx, test_idx, n_rows, n_test)
        again_train, again_test = (np.asarray(i) for i in split(seed))
        if not (np.array_equal(train_idx, again_train) and np.array_equal(test_idx, again_test)):
            raise AssertionError(
                f"splitting the same {n_rows} rows twice with seed {seed} held out different "
                "rows: the split is not reproducible"
            )
        held = np.sort(test_idx)
        k = len(held)
        if 0 < k < n_rows and (
            np.array_equal(held, np.arange(k))
            or np.array_equal(held, np.arange(n_rows - k, n_rows))
        ):
            end = "first" if held[0] == 0 else "last"
            raise AssertionError(
                f"with seed {seed} the held-out rows are exactly the {end} {k} of the {n_rows} "
                "rows in table order: the held-out set is not a random sample"
            )
        if first is None:
            first = (seed, set(held.tolist()))
        elif set(held.tolist()) == first[1]:
            raise AssertionError(
                f"seeds {first[0]} and {seed} held out the same {k} rows: the split does not "
                "depend on its seed"
            )


def assert_reproducible(run: Callable[[int], Any], what: str, seeds: tuple[int, int] = (0, 1)):
    """``run(seed)`` gives the same result twice for one seed and a different one for another."""
    once, twice, other = run(seeds[0]), run(seeds[0]), run(seeds[1])
    assert_unchanged(once, twice, what, f"two runs with seed {seeds[0]} disagree")
    try:
        assert_unchanged(once, other, what, "")
    except AssertionError:
        return
    raise AssertionError(
        f"{what} is identical for seeds {seeds[0]} and {seeds[1]}: the documented seed changes "
        "nothing"
    )


def assert_inputs_untouched(call: Callable[..., Any], *inputs: Any, what: str) -> Any:
    """Call ``call(*inputs)`` and check that none of the caller's arrays or frames changed."""
    copies = [x.copy() if hasattr(x, "copy") else x for x in inputs]
    result = call(*inputs)
    for i, (before, after) in enumerate(zip(copies, inputs, strict=True)):
        if isinstance(before, (pd.DataFrame, pd.Series)):
            same = before.equals(after)
        elif isinstance(before, np.ndarray):
            same = np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")
        else:
            continue
        if not same:
            raise AssertionError(
                f"{what} changed argument {i} in place: the caller's data is not the same "
                "after the call"
            )
    return result


def assert_figures(reported: Mapping[str, Any], expected: Mapping[str, Any], what: str, rtol=1e-6):
    """Each figure a pipeline reports equals the same figure recomputed independently."""
    for name, value in expected.items():
        if name not in reported:
            raise AssertionError(f"{what} does not report {name!r}")
        assert_close(
            reported[name],
            value,
            f"{what}[{name!r}]",
            "the reported figure differs from the same figure recomputed from the returned "
            "model on the held-out rows",
            rtol=rtol,
            atol=1e-9,
        )


# Reference metrics, written out independently of any kata's code.


def accuracy(y_true: Any, y_pred: Any) -> float:
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred))


def rmse(y_true: Any, y_pred: Any) -> float:
    err = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.sqrt(np.mean(err**2)))


def mae(y_true: Any, y_pred: Any) -> float:
    err = np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)
    return float(np.mean(np.abs(err)))


def r2(y_true: Any, y_pred: Any) -> float:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    total = np.sum((y_true - y_true.mean()) ** 2)
    return float(1.0 - np.sum((y_true - y_pred) ** 2) / total)


def log_loss(y_true: Any, p_positive: Any, eps: float = 1e-15) -> float:
    """Binary cross-entropy of probabilities of the positive class."""
    y, p = (
        np.asarray(y_true, dtype=float),
        np.clip(np.asarray(p_positive, dtype=float), eps, 1 - eps),
    )
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log1p(-p)))


def precision_recall_f1(y_true: Any, y_pred: Any, positive: Any = 1) -> tuple[float, float, float]:
    """Binary precision, recall and F1 of ``positive``; 0.0 where a ratio has no denominator."""
    t, p = np.asarray(y_true) == positive, np.asarray(y_pred) == positive
    tp, fp, fn = int(np.sum(t & p)), int(np.sum(~t & p)), int(np.sum(t & ~p))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def roc_auc(y_true: Any, scores: Any) -> float:
    """The probability that a random positive outscores a random negative (ties count half)."""
    y, s = np.asarray(y_true).astype(bool), np.asarray(scores, dtype=float)
    pos, neg = s[y], s[~y]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))
