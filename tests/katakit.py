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
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
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
        shown = np.array2string(array.ravel()[:8], precision=4)
        raise AssertionError(
            f"{what} holds {int(bad.sum())} non-finite value(s) (inf or NaN), e.g. {shown}"
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
    if not np.allclose(actual, expected, rtol=rtol, atol=atol):
        worst = np.unravel_index(np.argmax(np.abs(actual - expected)), actual.shape)
        ratio = _ratio(actual, expected)
        raise AssertionError(
            f"{what} disagrees with finite differences of the loss: at index {worst} it is "
            f"{actual[worst]:.6g}, the loss changes at a rate of {expected[worst]:.6g}"
            + (f" (the whole gradient is {ratio:.4g} x the true one)" if ratio else "")
            + ": gradient descent does not follow the loss it reports"
        )


def _ratio(actual: np.ndarray, expected: np.ndarray) -> float | None:
    """The factor between two gradients when one is a multiple of the other."""
    norm = float(expected.ravel() @ expected.ravel())
    if norm == 0:
        return None
    factor = float(actual.ravel() @ expected.ravel()) / norm
    if np.allclose(actual, factor * expected, rtol=1e-3, atol=1e-8) and not np.isclose(factor, 1):
        return factor
    return None


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
            worst = np.unravel_index(np.nanargmax(diff), diff.shape) if diff.ndim else ()
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
