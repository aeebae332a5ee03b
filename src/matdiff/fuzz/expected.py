"""What matdiff should answer for a case, from the oracle alone (no matdiff code).

Contract:

- `expected(case, oracle)` returns an `Expected`: the function's value, the derivatives
  of orders 1..k as `Derivative.evaluate` and the generated code lay them out (README
  "Conventions": numerator shape(f) + shape(X)*k; denominator the variable's axes first;
  structured gradients `G + G' - diag(diag(G))`, or `diag(diag(G))` for a diagonal
  variable), and the matrix the printed result must evaluate to (`printed`, 2-D) with
  the name of its form.
- The printed matrix follows the identification table (vec(dF) = M*vec(dX)), order by
  order, with F the previous order's matrix (f itself at order 1) and X the variable (both 2-D):
  F scalar: the gradient, X's shape; X scalar: the derivative by a scalar, F's shape;
  F a vector and X a column: the Jacobian, size(F)×size(X); otherwise the Kronecker
  form M with vec(dF) = M*vec(dX), M[i + p*j, k + m*l] = dF_ij/dX_kl (vec stacks
  columns). In denominator layout the Jacobian, by-scalar and Kronecker matrices are
  transposed; gradients keep X's shape.
- By a list of scalars: the stacked gradient (a k×1 column; evaluate gives (k,)), the
  k×k Hessian grid, the m×k Jacobian of a vector function (transposed in denominator).
- `oracle` is "jax" (autodiff of the jax.numpy translation) or "fd" (finite
  differences of the NumPy translation, where JAX is missing, with looser tolerances).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import numeric, reference
from .case import Case
from .reference import DEFAULT_ORACLE
from .tree import kind, shape_value


@dataclass
class Expected:
    value: np.ndarray
    laid: list[np.ndarray]  # orders 1..k as evaluate and generated code give them
    printed: np.ndarray  # the matrix the printed result evaluates to (2-D)
    form: str
    rtol: float
    # Finite differences lose digits in proportion to the function's own size, so their
    # comparisons are scaled by it too (1.0 for the autodiff oracle).
    scale: float = 1.0


def _step(F: tuple[int, int], X: tuple[int, int]) -> str:
    if F == (1, 1):
        return "gradient"
    if X == (1, 1):
        return "by_scalar"
    if 1 in F and X[1] == 1:
        return "jacobian"
    return "kronecker"


def _arrange(U: np.ndarray, form: str, F: tuple[int, int], X: tuple[int, int]) -> np.ndarray:
    """Leading axes (F rows, F cols, X rows, X cols) of U into this order's matrix."""
    rest = U.shape[4:]
    if form == "gradient":
        return U.reshape(X + rest)
    if form == "by_scalar":
        return U.reshape(F + rest)
    # M[i + p*j, k + m*l] = U[i, j, k, l]: column-major vec of (i, j) and of (k, l)
    axes = (1, 0, 3, 2, *range(4, U.ndim))
    return U.transpose(axes).reshape((F[0] * F[1], X[0] * X[1]) + rest)


def printed_matrix(tensors: list[np.ndarray], f2: tuple[int, int], x2: tuple[int, int]
                   ) -> tuple[np.ndarray, str]:
    """The k-th order's matrix form from the numerator tensors of orders 1..k."""
    k = len(tensors)
    T = np.asarray(tensors[-1]).reshape(f2 + x2 * k)
    F = f2
    form = "gradient"
    for _ in range(k):
        form = _step(F, x2)
        T = _arrange(T, form, F, x2)
        F = (T.shape[0], T.shape[1])
    return T.reshape(F), form


def expected(case: Case, oracle: str = DEFAULT_ORACLE) -> Expected:
    mod = reference if oracle == "jax" else numeric
    rtol = 1e-6 if oracle == "jax" else numeric.TOLERANCE[case.order]
    exp = _expected(case, mod, rtol)
    if oracle != "jax" and np.size(exp.value):
        exp.scale = max(1.0, float(np.max(np.abs(exp.value))))
    return exp


def _expected(case: Case, mod: Any, rtol: float) -> Expected:
    values = case.values()
    sizes = case.sizes
    e = case.expr
    den = case.layout == "denominator"
    if len(case.wrt) > 1:
        ts = mod.by_list(e, list(case.wrt), values, sizes, case.order)
        value, last = ts[0], ts[-1]
        laid = [t.T if den and t.ndim == 2 else t for t in ts[1:]]
        if case.order == 1 and kind(e.shape) == "scalar":
            return Expected(value, laid, last.reshape(-1, 1), "gradient_list", rtol)
        return Expected(value, laid, last.T if den else last, "jacobian", rtol)
    name = case.wrt[0]
    xshape, props = case.decls[name]
    ts = mod.derivatives(e, name, kind(xshape), values, sizes, case.order)
    value, ders = ts[0], ts[1:]
    nf = np.ndim(value)
    f2 = shape_value(e.shape, sizes)
    x2 = shape_value(xshape, sizes)
    mat, form = printed_matrix(ders, f2, x2)
    if case.structured:
        mat = reference.structured(mat, props)
        ders = [*ders[:-1], reference.structured(np.asarray(ders[-1]).reshape(x2), props)
                .reshape(np.shape(ders[-1]))]
    laid = [reference.denominator(np.asarray(t), nf) if den else np.asarray(t) for t in ders]
    if den and form in ("jacobian", "by_scalar", "kronecker"):
        mat = mat.T
    return Expected(np.asarray(value), laid, mat, form, rtol)
