"""The api layer, second-order products and optimizers: `hvp`, `hessian_operator`,
`to_scipy`, `minimize`.

Contract: `hvp` returns the engine's `HessianVectorProduct` (H·v in closed form, the
Hessian never formed; its methods are attached by results.py) for a scalar expression by
one variable. `hessian_operator`, `to_scipy` and `minimize` wire generated NumPy code
into SciPy (optimize.py): a `LinearOperator` whose matvec is one H·v, the objective's
`fun`/`jac`/`hessp` on flat vectors, and `scipy.optimize.minimize` with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..diff.hvp import HessianVectorProduct, take_hvp
from ..errors import DiffError
from ..ir.node import Node
from ..optimize import ScipyObjective, hessian_linear_operator, objective
from ..optimize import minimize as _minimize
from .derivatives import grad
from .parsing import Expr, Variables, as_typed, declarations, resolve, variables_of


def hvp(
    expr: Expr,
    wrt: str | Node,
    variables: Variables = None,
    direction: str | None = None,
    structured: bool = False,
) -> HessianVectorProduct:
    """H·v of a scalar `expr` by one variable, in closed form, the Hessian never formed:
    `str(h)`, `h.evaluate(..., v=...)`, `h.to_code(backend)` (a function taking `v`).
    The direction is `v` (X's shape) unless the expression uses that name (then `v2`, ...;
    `h.direction` names it) or `direction` names another."""
    node, wrt_nodes = resolve(expr, wrt, variables)
    if len(wrt_nodes) != 1:
        raise DiffError("a Hessian-vector product is by one variable",
                        hint="e.g. matdiff.hvp(expr, wrt='w')")
    typed = None
    if isinstance(expr, str):
        decls = declarations(expr, wrt, variables)
        typed = as_typed(expr, decls, variables_of(expr, decls))
    return take_hvp(node, wrt_nodes[0], as_typed=typed, direction=direction,
                    structured=structured)


def hessian_operator(expr: Expr, wrt: str | Node, variables: Variables = None,
                     **values: Any) -> Any:
    """The Hessian at `values` as a `scipy.sparse.linalg.LinearOperator` on vectors
    flattened in C order (`np.ravel`), each matvec one generated H·v: never formed."""
    return hessian_linear_operator(hvp(expr, wrt, variables), values)


def to_scipy(expr: Expr, wrt: str | Node, variables: Variables = None,
             **data: Any) -> ScipyObjective:
    """`fun`, `jac`, `fun_and_jac`, `hessp` of a scalar objective by one variable on
    flat vectors, the other variables fixed at `data`: generated NumPy code."""
    d = grad(expr, wrt, variables)
    if len(d.wrt) != 1:
        raise DiffError("an objective is minimized over one variable")
    return objective(d, data, as_typed=d.as_typed)


def minimize(expr: Expr, wrt: str | Node, x0: Any, method: str = "trust-ncg",
             variables: Variables = None, options: Mapping[str, Any] | None = None,
             tol: float | None = None, **data: Any) -> Any:
    """Minimize a scalar objective over one variable with scipy.optimize.minimize,
    wired with the generated value, gradient and H·v; `x` of the result has the
    variable's shape. `data` gives the other variables' values."""
    obj = to_scipy(expr, wrt, variables, **data)
    kw: dict[str, Any] = {}
    if options is not None:
        kw["options"] = dict(options)
    if tol is not None:
        kw["tol"] = tol
    return _minimize(obj, x0, method=method, **kw)
