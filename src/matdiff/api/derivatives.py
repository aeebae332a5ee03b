"""The api layer, derivatives: `derivative`, `grad`, `jacobian`, `hessian`.

Contract: each takes an expression (text or node), the variable(s) to differentiate by
and optional declarations, and returns the engine's `Derivative` record (its methods are
attached by results.py). `layout` is "numerator", "denominator" or "strict" (strict
numerator layout, strict_layout.py); `grad` refuses a function that is not a scalar,
and `grad`/`jacobian`/`hessian` fix the order (passing one is a `DiffError`). An
expression too deep for the Kronecker-form pass is a `LimitError`, not a RecursionError.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from ..diff.derivative import Derivative, take_derivative
from ..errors import DiffError, LimitError, MatdiffWarning
from ..ir.dims import format_shape, is_scalar, kind_of
from ..ir.node import Node
from ..parse.traps import broadcast_traps
from ..strict_layout import STRICT, strict
from .parsing import Expr, Variables, as_typed, declarations, resolve, variables_of

LAYOUTS = ("numerator", "denominator", STRICT)


def derivative(
    expr: Expr,
    wrt: str | Node | Sequence[str | Node],
    variables: Variables = None,
    order: int = 1,
    layout: str = "numerator",
    structured: bool = False,
) -> Derivative:
    """The derivative of `expr` by `wrt` (a name, a comma list of scalars, or a symbol).
    `layout` is "numerator" (the default: gradients have the variable's shape),
    "denominator" (Jacobians transposed) or "strict" (strict numerator layout, most
    textbooks' tables: a gradient is the transpose, a row for a vector)."""
    if layout not in LAYOUTS:
        raise DiffError(f"unknown layout {layout!r}",
                        hint="use 'numerator', 'denominator' or 'strict'")
    node, wrt_nodes = resolve(expr, wrt, variables)
    if not isinstance(order, int) or isinstance(order, bool):
        raise DiffError(f"order must be a whole number, got {order!r}")
    typed = None
    declared: list[Node] = []
    if isinstance(expr, str):
        decls = declarations(expr, wrt, variables)
        env = variables_of(expr, decls)
        declared = list(env.values())  # sizes of variables simplification may remove
        if len(wrt_nodes) == 1:
            typed = as_typed(expr, decls, env)
    try:
        d = take_derivative(node, wrt_nodes, order=order,
                            layout="numerator" if layout == STRICT else layout,
                            structured=structured, as_typed=typed, variables=declared)
    except RecursionError:
        # A safety net: the Kronecker-form pass (diff/adjoint.py's vec_jacobian) still
        # recurses once per level of a non-scalar function; everything else is iterative.
        raise LimitError(
            f"the expression is too deep for this derivative ({node.depth} levels)",
            hint="gradients of scalar functions take any depth; split the expression",
        ) from None
    if isinstance(expr, str) and not is_scalar(d.function.shape):
        _warn_of_traps(expr, variables)
    return strict(d) if layout == STRICT else d


def _warn_of_traps(text: str, variables: Variables) -> None:
    """Warn when a name typed by its first letter alone made f a vector (issue 11 item
    7): the result is then a Jacobian where the user most likely meant a gradient. The
    command line and the page say it in their reports instead, and silence this."""
    traps = broadcast_traps(text, variables)
    if traps:
        decls = ", ".join(f"'{n}': 'scalar'" for n in traps[0].names)
        warnings.warn(f"{traps[0].message}; for a scalar f, declare variables={{{decls}}}",
                      MatdiffWarning, stacklevel=3)


def _fixed_order(name: str, order: int, kw: Mapping[str, Any]) -> None:
    """grad/jacobian/hessian fix the order; say so instead of a TypeError."""
    if "order" in kw:
        raise DiffError(f"{name} is the derivative of order {order}; it takes no order",
                        hint="use matdiff.derivative(expr, wrt, order=k)")


def grad(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    """The gradient of a scalar function: `derivative(expr, wrt, variables, order=1)`,
    with an error if the function is not a scalar.

        >>> str(matdiff.grad("x'*A*x", wrt="x"))
        "(A + A')*x"

    The result has the variable's shape (in both layouts). Keyword arguments (`layout`,
    `structured`) are those of `derivative`.
    """
    _fixed_order("grad", 1, kw)
    with warnings.catch_warnings():  # a typing trap is said in grad's error instead
        warnings.simplefilter("ignore", MatdiffWarning)
        d = derivative(expr, wrt, variables, order=1, **kw)
    if not is_scalar(d.function.shape):
        shape = d.function.shape
        message = (f"grad needs a scalar function; this one is a {kind_of(shape)} "
                   f"({format_shape(shape)})")
        hint = "use jacobian() or derivative() for vector and matrix functions"
        # A name typed by its first letter may be what made f a vector (issue 11 item 7):
        # say which, and the declaration that makes the gradient the user meant.
        traps = broadcast_traps(expr, variables) if isinstance(expr, str) else []
        if traps:
            message = f"grad needs a scalar function: {traps[0].message}"
            decls = ", ".join(f"'{n}': 'scalar'" for n in traps[0].names)
            hint = f"declare it: variables={{{decls}}}"
        raise DiffError(message, hint=hint)
    return d


def jacobian(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    """The first derivative of a vector (or matrix) function: the Jacobian m×n in
    numerator layout, n×m with `layout="denominator"`; a Kronecker form for matrices.

        >>> str(matdiff.jacobian("A*x", wrt="x"))
        'A'

    Same as `derivative(expr, wrt, variables, order=1, **kw)`.
    """
    _fixed_order("jacobian", 1, kw)
    return derivative(expr, wrt, variables, order=1, **kw)


def hessian(expr: Expr, wrt: Any, variables: Variables = None, **kw: Any) -> Derivative:
    """The second derivative: by a vector, the n×n Hessian; by a matrix, the Hessian in
    Kronecker form (d²f = vec(dX)'*H*vec(dX)).

        >>> str(matdiff.hessian("x'*A*x", wrt="x"))
        "A + A'"

    Same as `derivative(expr, wrt, variables, order=2, **kw)`.
    """
    _fixed_order("hessian", 2, kw)
    return derivative(expr, wrt, variables, order=2, **kw)
