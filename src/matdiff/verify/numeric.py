"""The numeric toolkit: central differences, scaled closeness and random directions.

The derivative check, the Hessian-vector product check, the step-by-step checks, the
answer checker and the web page's check all use these, so the step and the tolerances
mean one thing everywhere. Plain NumPy on arrays: nothing here knows about expressions
(verify/finite_diff.py evaluates those). The differential test (fuzz/) keeps its own
differences on purpose: it is a reference independent of matdiff's code.

Contract:

- Steps. `relative_step(x, h)` is h·max(1, max|x|): the step grows with the size of x, so
  the rounding error of f(x ± step) stays small relative to the difference. `DEFAULT_STEP`
  (1e-6) makes central differences accurate to about 1e-9 relative for smooth functions
  (truncation O(h²), rounding O(ε/h)).
- `central_difference(f, x, direction, step)` is (f(x + step·d) − f(x − step·d)) / (2·step)
  with the step as given (absolute), as a float array of f's shape.
  `directional(f, x, direction, h)` is the same with `relative_step(x, h)`.
- `entrywise(f, x, step, space)` differentiates f by every entry of x: an array of shape
  shape(f(x)) + shape(x), entry [..., idx] = central_difference along the unit direction
  e_idx. `space="symmetric"` (square x) moves x_kl and x_lk together, the derivative on
  symmetric matrices; `space="diagonal"` moves only the diagonal and leaves the other
  entries 0. f is called with float arrays of x's shape (0-d for a scalar x).
- `random_direction(rng, shape)` is a direction with independent standard normal entries.
- Closeness. `close(a, b, rtol, atol, scale)` is whether a and b have the same shape and
  every entry satisfies |a − b| ≤ atol·scale + rtol·max(|a|, |b|) (`tolerance`);
  a non-finite entry is close only to the same infinity (NaN never). `scale` carries the
  size of the values into the absolute term: `scale_of(reference)` = max(1, max|reference|),
  because finite-difference noise (and rounding) grows with the size of the values, so an
  absolute tolerance fixed at 1 would fail large, right results.
  `RTOL` and `ATOL` (1e-5, 1e-7) are the derivative check's tolerances.
- `worst_entry(a, b, rtol, atol, scale)` is the index where |a − b| exceeds its bound the
  most; `errors(a, b)` is (max |a − b|, that over the largest entry of either; 0 if both
  are 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

DEFAULT_STEP = 1e-6
RTOL = 1e-5
ATOL = 1e-7

SPACES = ("full", "symmetric", "diagonal")


# ------------------------------------------------------------------ differences


def relative_step(x: Any, h: float = DEFAULT_STEP) -> float:
    """h·max(1, max|x|) (h for an empty x)."""
    scale = float(np.max(np.abs(x))) if np.size(x) else 0.0
    return h * max(1.0, scale)


def central_difference(f: Callable[[Any], Any], x: Any, direction: Any,
                       step: float) -> np.ndarray:
    """(f(x + step·d) − f(x − step·d)) / (2·step), the step absolute."""
    hi = np.asarray(f(x + step * direction), dtype=float)
    lo = np.asarray(f(x - step * direction), dtype=float)
    return (hi - lo) / (2.0 * step)


def directional(f: Callable[[Any], Any], x: Any, direction: Any,
                h: float = DEFAULT_STEP) -> np.ndarray:
    """The central difference of f at x along direction, the step relative to |x|."""
    x = np.asarray(x, dtype=float)
    d = np.asarray(direction, dtype=float)
    return central_difference(f, x, d, relative_step(x, h))


def entrywise(f: Callable[[np.ndarray], Any], x: Any, step: float,
              space: str = "full") -> np.ndarray:
    """Central differences of f by each entry of x: shape(f(x)) + shape(x)."""
    if space not in SPACES:
        raise ValueError(f"space must be one of {', '.join(SPACES)}, not {space!r}")
    x = np.array(x, dtype=float)
    if space != "full" and not (x.ndim == 2 and x.shape[0] == x.shape[1]):
        raise ValueError(f"a {space} derivative needs a square matrix, not shape {x.shape}")
    out: np.ndarray | None = None
    for idx in np.ndindex(*x.shape):
        if space == "diagonal" and idx[0] != idx[1]:
            continue
        if out is not None and space == "symmetric" and idx[1] < idx[0]:
            out[(Ellipsis, *idx)] = out[(Ellipsis, idx[1], idx[0])]  # computed already
            continue
        e = np.zeros_like(x)
        e[idx] = 1.0
        if space == "symmetric":
            e[idx[::-1]] = 1.0
        column = central_difference(f, x, e, step)
        if out is None:  # the first entry tells f's shape: no extra evaluation at x
            out = np.zeros(column.shape + x.shape)
        out[(Ellipsis, *idx)] = column
    if out is None:  # x has no entries
        out = np.zeros(np.shape(f(x)) + x.shape)
    return out


def random_direction(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """A direction with independent standard normal entries, of the given shape."""
    return rng.normal(size=shape)


# ------------------------------------------------------------------ closeness


def scale_of(reference: Any) -> float:
    """max(1, max|reference|): the size of the values an absolute tolerance scales with."""
    a = np.asarray(reference, dtype=float)
    return max(1.0, float(np.max(np.abs(a))) if a.size else 0.0)


def tolerance(a: Any, b: Any, rtol: float = RTOL, atol: float = ATOL,
              scale: float = 1.0) -> np.ndarray:
    """The bound on |a − b| per entry: atol·scale + rtol·max(|a|, |b|)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return atol * scale + rtol * np.maximum(np.abs(a), np.abs(b))


def close(a: Any, b: Any, rtol: float = RTOL, atol: float = ATOL,
          scale: float = 1.0) -> bool:
    """Whether a and b agree entrywise within `tolerance` (same shape required)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.all(finite):
        # inf - inf is NaN and |inf - x| <= rtol*inf holds: judge these entries apart.
        if not np.all(finite | (a == b)):
            return False
        a, b = a[finite], b[finite]
    return bool(np.all(np.abs(a - b) <= tolerance(a, b, rtol, atol, scale)))


def worst_entry(a: Any, b: Any, rtol: float = RTOL, atol: float = ATOL,
                scale: float = 1.0) -> tuple[int, ...]:
    """The index where |a − b| exceeds its bound the most (same shapes)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.ndim == 0:
        return ()
    excess = np.abs(a - b) - tolerance(a, b, rtol, atol, scale)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(excess)), a.shape))


def errors(a: Any, b: Any) -> tuple[float, float]:
    """(max |a − b|, max |a − b| over the largest entry of either; 0 when both are 0)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    abs_err = float(np.max(np.abs(a - b), initial=0.0))
    big = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    return abs_err, abs_err / big if big > 0 else 0.0
