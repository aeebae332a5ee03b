"""Finite-difference derivatives of expressions: the numbers every symbolic derivative is
checked against.

Contract:

- `fd_derivative(node, wrt, values)` is the full numerical derivative of an expression
  by one variable, entry by entry with the reference evaluator (verify/numeric.py's
  `entrywise`, the step relative to the size of the variable), laid out as the README
  says: shape(f) + shape(wrt) in user shapes (scalar (), vector (n,), matrix (m, n); a
  row vector is laid out like a column). So a gradient has the variable's shape, a
  Jacobian of f (m) by x (n) is m×n, and a matrix by a matrix is D[i,j,k,l] = ∂F_ij/∂X_kl.
  Entries move independently (the unconstrained derivative, matdiff's default) and the
  declared properties are not enforced while they move; `space="symmetric"` moves
  X_kl and X_lk together, giving the derivative on symmetric matrices
  (G + G' − diag(diag(G))).
- `directional_fd(f, x, direction, h)` is the central difference
  (f(x + h·d) − f(x − h·d)) / 2h, with h relative to the size of x (a float for a
  scalar f).
- `check_close` / `assert_close` compare with a relative and an absolute tolerance
  (numeric.py's `close`, scale 1); `assert_close` says where and by how much two arrays
  differ.

Central differences with h ≈ 1e-6 are accurate to about 1e-9 relative for smooth
functions, so rtol=1e-5 leaves a wide margin; at kinks (abs, relu) sample away from 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..backends.evaluate import evaluate, leaves, to_internal, to_user, user_shape
from ..errors import InputValueError
from ..ir.node import Node
from .numeric import (
    ATOL,
    DEFAULT_STEP,
    RTOL,
    close,
    directional,
    entrywise,
    relative_step,
    worst_entry,
)

DEFAULT_H = DEFAULT_STEP


def directional_fd(
    f: Callable[[Any], Any], x: Any, direction: Any, h: float = DEFAULT_H
) -> np.ndarray | float:
    """Central difference of f at x along direction (h relative to |x|)."""
    out = directional(f, x, direction, h)
    return float(out) if out.ndim == 0 else out


def check_close(a: Any, b: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether a and b agree entrywise: |a − b| ≤ atol + rtol·max(|a|, |b|), same shape."""
    return close(a, b, rtol, atol)


def assert_close(a: Any, b: Any, rtol: float = RTOL, atol: float = ATOL,
                 what: str = "") -> None:
    """Raise AssertionError naming the worst entry when a and b differ."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    label = f"{what}: " if what else ""
    if a.shape != b.shape:
        raise AssertionError(f"{label}shapes differ: {a.shape} vs {b.shape}")
    if close(a, b, rtol, atol):
        return
    idx = worst_entry(a, b, rtol, atol)
    raise AssertionError(
        f"{label}differ at {idx}: {a[idx]!r} vs {b[idx]!r}"
        f" (max abs diff {float(np.max(np.abs(a - b))):.3g})"
    )


def fd_derivative(
    node: Node,
    wrt: str,
    values: Mapping[str, Any],
    h: float = DEFAULT_H,
    space: str = "full",
    sizes: Mapping[str, int] | None = None,
) -> np.ndarray:
    """The derivative of `node` by the variable `wrt`, shape(f) + shape(wrt) (user shapes)."""
    if space not in ("full", "symmetric"):
        raise ValueError(f"space must be 'full' or 'symmetric', not {space!r}")
    found = leaves([node])
    f0 = evaluate(node, values, sizes=sizes, check_props=False)
    f_user = user_shape(f0.shape, node.shape)
    if wrt in found:
        w_sym = found[wrt].shape
        x0 = to_internal(values[wrt], w_sym, wrt)
    elif wrt in values:  # f does not depend on it: the derivative is zero
        x0 = np.atleast_2d(np.asarray(values[wrt], dtype=float))
        w_user = np.shape(values[wrt])
        return np.zeros(f_user + tuple(w_user))
    else:
        raise InputValueError(f"no value for {wrt}, the variable to differentiate by")
    w_user = user_shape(x0.shape, w_sym)
    if space == "symmetric" and x0.shape[0] != x0.shape[1]:
        raise InputValueError(f"{wrt} is not square, so it has no symmetric derivative")
    vals = dict(values)

    def at(point: np.ndarray) -> np.ndarray:
        vals[wrt] = to_user(point, w_sym)
        return evaluate(node, vals, sizes=sizes, check_props=False)

    out = entrywise(at, x0, relative_step(x0, h), space)
    return out.reshape(f_user + w_user)
