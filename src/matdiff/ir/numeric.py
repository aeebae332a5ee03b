"""NumPy helpers for the ops' value functions (`OpRecord.numpy`).

Contract: a value function takes the node, its children's values (2-D float arrays) and
the bound sizes, and returns the node's value as a 2-D array of the node's concrete
shape. Where the input is outside the op's domain it raises `OutsideDomain(what)`; the
evaluator (backends/evaluate.py) turns that into an InputValueError naming the op and
the subexpression (`log of a non-positive value (-1 at entry (1,1)) in log(x)`).
The formulas are the careful ones: solve-based inverse with a conditioning check,
slogdet, Padé scaling-and-squaring for expm, a stable sigmoid.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import InputValueError
from .dims import Shape, resolve_dim
from .node import Node

Array = np.ndarray


class OutsideDomain(Exception):  # noqa: N818 - a signal to the evaluator, not a user error
    """A value outside the op's domain; `what` completes "<op> of <what> in <expr>"."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def concrete_shape(shape: Shape, sizes: Mapping[str, int]) -> tuple[int, int]:
    """The shape at the bound sizes; an InputValueError for a size with no value."""
    try:
        return (resolve_dim(shape[0], sizes), resolve_dim(shape[1], sizes))
    except KeyError as exc:
        raise InputValueError(
            f"the size {exc.args[0]} cannot be told from the values given",
            hint="pass sizes={...} or give a value for a variable of that size",
        ) from None


def out_shape(n: Node, sizes: Mapping[str, int]) -> tuple[int, int]:
    return concrete_shape(n.shape, sizes)


def scalar(v: Any) -> Array:
    return np.full((1, 1), float(v))


def inverse(x: Array) -> Array:
    """X^-1 by a solve, refusing a singular or badly conditioned X."""
    try:
        inv = np.linalg.solve(x, np.eye(x.shape[0]))
    except np.linalg.LinAlgError:
        raise OutsideDomain("a singular matrix") from None
    cond = np.linalg.norm(x, 1) * np.linalg.norm(inv, 1)
    if not np.isfinite(cond) or cond > 1e14:
        raise OutsideDomain(f"a singular matrix (condition number {cond:.2g})")
    return inv


def commutation_matrix(m: int, n: int) -> Array:
    """K(m,n) with K @ vec(X) = vec(X.T) for X m×n (vec column-major)."""
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[j + i * n, i + j * m] = 1.0
    return k


# Padé [13/13] coefficients for the matrix exponential (Higham 2005).
_PADE13 = (
    64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
    129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
    40840800.0, 960960.0, 16380.0, 182.0, 1.0,
)
_THETA13 = 5.371920351148152


def expm(a: Array) -> Array:
    """Matrix exponential by scaling and squaring with a [13/13] Padé approximant."""
    n = a.shape[0]
    norm = np.linalg.norm(a, 1)
    s = max(0, int(math.ceil(math.log2(norm / _THETA13)))) if norm > _THETA13 else 0
    a = a / (2.0**s)
    b = _PADE13
    ident = np.eye(n)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2)
             + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = (a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2)
         + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident)
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


def sigmoid(x: Array) -> Array:
    """1/(1 + exp(-x)) without overflow for large |x|."""
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def elementwise(fn: Callable[[Array], Array], bad: Callable[[Array], Any] | None = None,
                what: str = "") -> Callable[[Node, list[Array], Mapping[str, int]], Array]:
    """The value function of an elementwise op: `fn` entry by entry, after refusing the
    entries where `bad` holds (naming the first such entry)."""

    def apply(n: Node, k: list[Array], s: Mapping[str, int]) -> Array:
        x = k[0]
        if bad is not None:
            mask = bad(x)
            if np.any(mask):
                i, j = (int(v) for v in np.argwhere(mask)[0])
                raise OutsideDomain(f"{what} ({x[i, j]:.4g} at entry ({i + 1},{j + 1}))")
        return fn(x)

    return apply
