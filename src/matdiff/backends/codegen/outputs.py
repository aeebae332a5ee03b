"""Generated code, the outputs: which matrix form each order computes, and how its value
is laid out as `Derivative.evaluate` lays it out.

Contract:

- `orders(d)` are the derivatives of orders 1..k (d last); `numerator_form(d, prev)` is
  the matrix form the code computes for one order, in numerator layout, or None when the
  order is computed from its differential on basis directions (basis.py) instead.
- `output(code, form, d, k, em, sizes, prev_form)` emits the lines turning the value of
  `form` into the README's layout (a gradient the variable's shape, a Jacobian m×n, a
  Kronecker form reshaped to (p, q, m, n), the variable's axes first in denominator
  layout) and returns the code of the result.
- `scalar_out` makes a NumPy scalar a float; `to_denominator` moves the variable's axes
  first; `tuple_code` spells a shape tuple.
"""

from __future__ import annotations

from ...diff.derivative import DENOMINATOR_TRANSPOSED, Derivative
from ...ir import build as b
from ...ir.dims import Dim, dim_mul, user_shape
from ...ir.node import Node
from ...rewrite.driver import simplify
from .emit import Emitter, kind
from .inputs import Sizes
from .spelling import Backend


def orders(d: Derivative) -> list[Derivative]:
    """The derivatives of orders 1..k (the given one last)."""
    if d.order == 1 or len(d.wrt) > 1:
        return [d]
    return [d.at_order(k) for k in range(1, d.order + 1)]


def numerator_form(d: Derivative, prev: Derivative | None) -> Node | None:
    """The matrix form the code computes, in numerator layout; None when the order is
    computed from its differential on basis directions instead."""
    if d.expr is None or d.form == "index":
        return None
    if d.form == "kronecker" and d.order >= 3 and not _third_of_scalar_by_column(d, prev):
        return None
    if d.layout == "denominator" and d.form in DENOMINATOR_TRANSPOSED and len(d.wrt) == 1:
        # (by a list of scalars the grid is laid out in the requested layout already,
        # as Derivative.evaluate returns it)
        return simplify(b.transpose(d.expr))
    return d.expr


def _third_of_scalar_by_column(d: Derivative, prev: Derivative | None) -> bool:
    """The one Kronecker form of order 3 or more the engine gives: scalar f by a column x,
    M = d vec(H)/dx with H the (Jacobian form) Hessian, n×n."""
    return (d.order == 3 and prev is not None and prev.form == "jacobian"
            and len(d.wrt) == 1 and kind(d.function.shape) == "scalar"
            and kind(d.wrt[0].shape) == "col")


def to_denominator(em: Emitter, code: str, d: Derivative, f_shape: tuple[Dim, ...],
                   target: tuple[Dim, ...]) -> str:
    """In denominator layout, the variable's axes moved first (numerator: unchanged)."""
    if d.layout == "denominator" and f_shape and len(target) > len(f_shape):
        nf = len(f_shape)
        axes = list(range(nf, len(target))) + list(range(nf))
        code = em.assign(em.be.permute.format(code, ", ".join(map(str, axes))),
                         "denominator layout: the variable's axes first")
    return code


def _kronecker_rows_cols(d: Derivative, k: int, prev_form: Node | None) -> tuple[Dim, Dim]:
    """The shape p×q of F in vec(dF) = M vec(dX) for a Kronecker form of order k."""
    X = d.wrt[0]
    if k == 1:
        return d.function.shape
    if k >= 3:  # F is the previous order's matrix form (the n×n Hessian)
        assert prev_form is not None
        return prev_form.shape
    if user_shape(d.function.shape) == ():
        return X.shape
    return (dim_mul(d.function.shape[0], d.function.shape[1]),
            dim_mul(X.shape[0], X.shape[1]))


def output(code: str, form: Node, d: Derivative, k: int, em: Emitter, sizes: Sizes,
           prev_form: Node | None) -> str:
    """Lay a derivative's matrix-form value out as Derivative.evaluate does (code: the
    value of form, d's numerator matrix form from numerator_form; prev_form: the previous
    order's, the F of a Kronecker form of order > 1)."""
    be = em.be
    if d.form == "gradient_list":
        return code if kind(form.shape) == "col" else f"{code}.reshape(-1)"
    if len(d.wrt) > 1:
        return code
    f_shape = user_shape(d.function.shape)
    X = d.wrt[0]
    x_shape = user_shape(X.shape)
    m_shape = user_shape(form.shape)
    if d.form in ("gradient", "by_scalar", "jacobian") and (k == 1 or d.form != "by_scalar"):
        target = f_shape + x_shape * k
    elif d.form == "by_scalar":
        target = f_shape
    else:  # Kronecker form: vec(dF) = M vec(dX), with F the previous order's matrix
        p, q = _kronecker_rows_cols(d, k, prev_form)
        m, n = X.shape
        dims = ", ".join(sizes.code(x) for x in (q, p, n, m))
        code = em.assign(be.permute.format(f"{code}.reshape({dims})", "1, 0, 3, 2"),
                         "Kronecker form to D[i, j, k, l] = dF_ij/dX_kl")
        m_shape = ("?",)  # always reshape below
        target = f_shape + x_shape * k
    if tuple(target) != tuple(m_shape):
        if target:
            code = em.assign(f"{code}.reshape({', '.join(sizes.code(x) for x in target)})")
        else:
            code = em.assign(f"{code}.reshape(())")
    return to_denominator(em, code, d, f_shape, target)


def scalar_out(code: str, node_shape_kind: str, backend: Backend) -> str:
    if backend.name == "numpy" and node_shape_kind == "scalar":
        return f"float({code})"
    return code


def tuple_code(inner: str, count: int) -> str:
    return f"({inner},)" if count == 1 else f"({inner})"
