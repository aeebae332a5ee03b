"""Numerical values of a derivative, laid out as SPEC.md says.

Numerator layout: shape(f) + shape(wrt) with user shapes (scalars dropped, vectors 1-D,
a row-vector function laid out like a column). Denominator layout: wrt axes first.
A matrix form is evaluated directly; without one, the k-th differential (multilinear in
dX_1..dX_k) is evaluated on every combination of basis directions, which is exact.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..backends.evaluate import bind_sizes, evaluate, to_internal
from ..ir.dims import concrete
from ..ir.node import Node, dvar_key


def _user_shape(shape: tuple[int, int]) -> tuple[int, ...]:
    r, c = shape
    if r == 1 and c == 1:
        return ()
    if c == 1:
        return (r,)
    if r == 1:
        return (c,)
    return (r, c)


def evaluate_derivative(d: Any, values: dict[str, Any]) -> Any:
    nodes = [d.function, *d.wrt]
    sizes = bind_sizes(nodes, values)
    f_shape = concrete(d.function.shape, sizes)
    fu = _user_shape(f_shape)
    if d.form == "gradient_list" or (d.form == "jacobian" and len(d.wrt) > 1):
        out = evaluate(d.expr, values, sizes=sizes)
        return _finish(out, d, fu, ())
    X = d.wrt[0]
    x_shape = concrete(X.shape, sizes)
    xu = _user_shape(x_shape)
    if d.form == "index" or d.expr is None or (d.form == "kronecker" and d.order >= 3):
        # Third and higher orders: the exact multilinear differential on a basis.
        tensor = _by_basis(d, values, f_shape, x_shape, sizes)
        return _layout(tensor, d, fu, xu)
    val = evaluate(d.expr, values, sizes=sizes)
    if d.layout == "denominator" and d.form in ("jacobian", "by_scalar"):
        val = val.T  # undo the printed transpose; _layout applies the layout once
    k = d.order
    if d.form in ("gradient", "by_scalar", "jacobian") and (k == 1 or d.form != "by_scalar"):
        shape = fu + xu * k
        tensor = val.reshape(shape) if shape else float(val.reshape(-1)[0])
        return _layout(tensor, d, fu, xu)
    if d.form == "by_scalar":
        return _layout(val.reshape(fu) if fu else float(val.reshape(-1)[0]), d, fu, xu)
    # Kronecker form M (size(F) x size(X)) with F the previous order's matrix.
    inner_shape = _previous_shape(d, sizes, f_shape, x_shape)
    p, q = inner_shape
    m, n = x_shape
    D = val.reshape(q, p, n, m).transpose(1, 0, 3, 2)
    return _layout(D.reshape(fu + xu * k), d, fu, xu)


def _previous_shape(d: Any, sizes, f_shape, x_shape) -> tuple[int, int]:
    if d.order == 1:
        return f_shape
    # order 2: the previous order was a gradient (shape of X) or a Jacobian (f by x)
    if f_shape == (1, 1):
        return x_shape
    return (f_shape[0] * f_shape[1], x_shape[0] * x_shape[1])


def _by_basis(d: Any, values, f_shape, x_shape, sizes) -> Any:
    k = d.order
    L: Node = d.differentials[-1]
    m, n = x_shape
    fu = _user_shape(f_shape)
    xu = _user_shape(x_shape)
    out = np.zeros(fu + xu * k)
    base = dict(values)
    positions = list(itertools.product(range(m), range(n)))
    for combo in itertools.product(positions, repeat=k):
        vals = dict(base)
        for j, (r, c) in enumerate(combo):
            E = np.zeros((m, n))
            E[r, c] = 1.0
            vals[dvar_key(d.dvars[j].arg)] = E
        v = evaluate(L, vals, sizes=sizes)
        idx: tuple[int, ...] = ()
        for r, c in combo:
            idx += tuple(i for i, size in zip((r, c), (m, n), strict=True) if size != 1) if xu else ()
        out[(Ellipsis, *idx)] = v.reshape(fu) if fu else v.reshape(-1)[0]
    return out


def _layout(tensor: Any, d: Any, fu, xu) -> Any:
    if d.layout == "numerator" or not fu or isinstance(tensor, float):
        return tensor
    nf = len(fu)
    arr = np.asarray(tensor)
    order = list(range(nf, arr.ndim)) + list(range(nf))
    return arr.transpose(order)


def _finish(out, d, fu, xu):
    arr = np.asarray(out)
    if d.form == "gradient_list":
        return arr.reshape(-1)
    if d.order == 2 and len(d.wrt) > 1:
        return arr
    return arr


_ = to_internal
