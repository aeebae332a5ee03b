"""Numerical values of a derivative, laid out as the README's Conventions say.

Numerator layout: shape(f) + shape(wrt), each in user shapes (scalars dropped, vectors
1-D, a row-vector function laid out like a column). Denominator layout: the wrt axes
first. A matrix form is evaluated directly and rearranged (a Kronecker form M with
vec(dF) = M*vec(dX) becomes D[i,j,k,l] = M[i + p*j, k + m*l]); without one, and for
third and higher orders, the k-th differential (multilinear in dX_1..dX_k) is evaluated
on every combination of basis directions, which is exact, not a finite difference.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ..backends.evaluate import bind_sizes, concrete_shape, evaluate
from ..errors import InputValueError, LimitError
from ..ir.dims import dim_names, format_shape, user_shape
from ..ir.node import dvar_key

UserShape = tuple[int, ...]
MAX_BASIS_EVALUATIONS = 200_000


def derivative_sizes(d: Any, values: dict[str, Any]) -> dict[str, int]:
    """The sizes bound from the values of f, of the variable, and of every other variable
    the derivative was declared with that is given: simplification may have removed the
    only variable carrying a size ((A - A)*x is a vector(0) of A's k rows)."""
    given = [v for v in getattr(d, "variables", ()) if v.arg.name in values]
    sizes = bind_sizes([d.function, *d.wrt, *given], values)
    needed = {n for node in (d.function, *d.wrt) for dim in node.shape
              for n in dim_names(dim)}
    missing = sorted(needed - sizes.keys())
    if missing:
        carriers = [v for v in getattr(d, "variables", ())
                    if missing[0] in dim_names(v.shape[0]) | dim_names(v.shape[1])]
        which = ", ".join(f"{v.arg.name} ({format_shape(v.shape)})" for v in carriers)
        raise InputValueError(
            f"the size {missing[0]} cannot be told from the values given",
            hint=f"give the value of {which}" if which else
            "give a value for a variable of that size",
        )
    return sizes


def evaluate_derivative(d: Any, values: dict[str, Any]) -> Any:
    sizes = derivative_sizes(d, values)
    f_shape = concrete_shape(d.function.shape, sizes)
    fu = user_shape(f_shape)
    if len(d.wrt) > 1:
        # By a list of scalars: a stacked gradient (a column) or a Jacobian/Hessian grid,
        # already in the requested layout.
        out = evaluate(d.expr, values, sizes=sizes)
        return out.reshape(-1) if d.form == "gradient_list" else out
    x_shape = concrete_shape(d.wrt[0].shape, sizes)
    xu = user_shape(x_shape)
    # The function itself first: values outside its domain (log of a negative, logdet of
    # a matrix that is not positive definite) are an error, not a derivative.
    evaluate(d.function, values, sizes=sizes)
    if d.form == "zero":
        return _layout(np.zeros(fu + xu * d.order) if fu or xu else 0.0, d, len(fu))
    if d.expr is None or (d.form == "kronecker" and d.order >= 3):
        tensor = _by_basis(d, values, sizes, fu, x_shape)
    else:
        val = evaluate(d.expr, values, sizes=sizes)
        if d.layout == "denominator" and d.form in ("jacobian", "by_scalar", "kronecker"):
            val = val.T  # the printed form is transposed; _layout applies the layout once
        tensor = _arrange(val, d, f_shape, x_shape, fu + xu * d.order)
    return _layout(tensor, d, len(fu))


def _arrange(val: np.ndarray, d: Any, f_shape, x_shape, shape: UserShape) -> Any:
    if d.form == "kronecker":
        # M (size(F) × size(X)) with F this order's function: f itself at order 1, the
        # gradient (shape of X) or the Jacobian (size f × size x) at order 2.
        if d.order == 1:
            p, q = f_shape
        elif f_shape == (1, 1):
            p, q = x_shape
        else:
            p, q = f_shape[0] * f_shape[1], x_shape[0] * x_shape[1]
        m, n = x_shape
        val = val.reshape(q, p, n, m).transpose(1, 0, 3, 2)
    return val.reshape(shape) if shape else float(val.reshape(-1)[0])


def _by_basis(d: Any, values: dict[str, Any], sizes, fu: UserShape, x_shape) -> Any:
    k = d.order
    L = d.differentials[-1]
    m, n = x_shape
    xu = user_shape(x_shape)
    out = np.zeros(fu + xu * k)
    if (m * n) ** k > MAX_BASIS_EVALUATIONS:
        raise LimitError(
            f"the order-{k} derivative has {(m * n) ** k} entries per entry of f; "
            f"matdiff evaluates at most {MAX_BASIS_EVALUATIONS} without a matrix form",
            hint="use smaller sizes or a lower order",
        )
    positions = list(itertools.product(range(m), range(n)))
    for combo in itertools.product(positions, repeat=k):
        vals = dict(values)
        index: tuple[int, ...] = ()  # where X[r, c] sits in X's user shape
        for j, (r, c) in enumerate(combo):
            E = np.zeros((m, n))
            E[r, c] = 1.0
            vals[dvar_key(d.dvars[j].arg)] = structure_direction(E, d)
            # the position of X[r, c] in X's user shape (a vector has one index)
            index += tuple(i for i, size in ((r, m), (c, n)) if size != 1) if xu else ()
        v = evaluate(L, vals, sizes=sizes)
        out[(Ellipsis, *index)] = v.reshape(fu) if fu else v.reshape(-1)[0]  # type: ignore[index]
    return out if out.shape else float(out)


def structure_direction(E: np.ndarray, d: Any) -> np.ndarray:
    """The direction a structured derivative moves X in for the entry E: on symmetric
    matrices X_kl and X_lk together (E + E' - diag(diag(E))), on diagonal ones only the
    diagonal. df along it is the structured gradient's entry, G + G' - diag(diag(G)) or
    diag(diag(G)), which is what the matrix form gives where there is one."""
    if not getattr(d, "structured", False):
        return E
    if "diagonal" in d.wrt[0].arg.props:
        return E * np.eye(E.shape[0])
    return E + E.T - E * np.eye(E.shape[0])


def _layout(tensor: Any, d: Any, nf: int) -> Any:
    if d.layout == "numerator" or nf == 0 or isinstance(tensor, float):
        return tensor
    arr = np.asarray(tensor)
    return arr.transpose(list(range(nf, arr.ndim)) + list(range(nf)))
