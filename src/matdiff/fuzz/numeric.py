"""Finite differences of the NumPy translation: the check on the JAX oracle, and the
oracle itself where JAX is not installed.

Contract:

- `derivatives(e, wrt, wrt_kind, values, sizes, order)` and `by_list(...)` return what
  reference.derivatives / reference.by_list return (the value, then the derivatives of
  orders 1..order in user shapes, numerator layout), by nested central differences of
  `reference.function(..., xp=numpy)`, steps relative to each entry's size.
- `TOLERANCE[k]` is the relative accuracy to expect of order k (nesting loses digits).
- Both raise ValueError when a kink of abs, sign, step, relu or norm1 lies near the
  point (the case is then "invalid" for this oracle, counted, never a pass).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from . import reference
from .tree import E, kind, walk

STEP = {1: 1e-5, 2: 1e-4, 3: 1e-3}
TOLERANCE = {1: 1e-6, 2: 1e-4, 3: 2e-3}
# Functions with a kink or a jump at 0: differences across it mean nothing.
KINKS = ("abs", "sign", "step", "relu", "norm1")
KINK_MARGIN = 1e-2


def check_kinks(e: E, values: Mapping[str, Any], sizes: Mapping[str, int]) -> None:
    """ValueError when an argument of abs, sign, step, relu or norm1 has an entry within
    KINK_MARGIN of 0 at these values (`step(A + A')` of an orthogonal 2×2 A is exactly
    0 off the diagonal): finite differences would step across the kink."""
    for n in walk(e):
        if n.op == "call" and n.arg in KINKS:
            arg = np.asarray(reference.function(n.kids[0], values, sizes, xp=np))
            if arg.size and float(np.min(np.abs(arg))) < KINK_MARGIN:
                raise ValueError(f"an argument of {n.arg} is within {KINK_MARGIN} of its kink")
        # norm2 has its kink where its whole argument is 0 (relu(u) with every u < 0):
        # the chain rule's x/norm2(x) is 0/0 there; matdiff refuses the point, autodiff
        # gives NaN, and finite differences of a locally constant 0 give 0.
        if n.op == "call" and n.arg == "norm2":
            arg = np.asarray(reference.function(n.kids[0], values, sizes, xp=np))
            if float(np.linalg.norm(arg)) < KINK_MARGIN:
                raise ValueError(f"the argument of norm2 is within {KINK_MARGIN} of 0")


def _numdiff(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float) -> np.ndarray:
    """d f / d x, shape shape(f(x)) + shape(x), by central differences."""
    f0 = np.asarray(f(x))
    out = np.zeros(f0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        step = h * max(1.0, abs(float(x[idx])))
        xp, xm = x.copy(), x.copy()
        xp[idx] += step
        xm[idx] -= step
        out[(Ellipsis, *idx)] = (np.asarray(f(xp)) - np.asarray(f(xm))) / (2 * step)
    return out


def _nested(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, order: int
            ) -> list[np.ndarray]:
    out = [np.asarray(f(x))]
    for k in range(1, order + 1):
        g = f
        for _ in range(k):  # one step size per order: STEP[k] balances truncation and noise
            g = (lambda inner, h: lambda z: _numdiff(inner, z, h))(g, STEP[k])
        out.append(np.asarray(g(x)))
    return out


def derivatives(e: E, wrt: str, wrt_kind: str, values: Mapping[str, Any],
                sizes: Mapping[str, int], order: int) -> list[np.ndarray]:
    check_kinks(e, values, sizes)
    x2 = np.asarray(values[wrt], dtype=float)
    fk = kind(e.shape)

    def f(x: np.ndarray) -> np.ndarray:
        vals = dict(values)
        vals[wrt] = np.reshape(x, x2.shape)
        return reference.to_user(reference.function(e, vals, sizes, xp=np), fk)

    return _nested(f, np.asarray(reference.to_user(x2, wrt_kind), dtype=float), order)


def by_list(e: E, names: list[str], values: Mapping[str, Any], sizes: Mapping[str, int],
            order: int) -> list[np.ndarray]:
    check_kinks(e, values, sizes)
    fk = kind(e.shape)

    def f(v: np.ndarray) -> np.ndarray:
        vals = dict(values)
        for i, name in enumerate(names):
            vals[name] = np.reshape(v[i], (1, 1))
        return reference.to_user(reference.function(e, vals, sizes, xp=np), fk)

    v0 = np.asarray([float(np.asarray(values[n]).reshape(-1)[0]) for n in names])
    return _nested(f, v0, order)
