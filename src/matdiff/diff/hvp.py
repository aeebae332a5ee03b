"""Hessian-vector products in closed form: H·v without forming the Hessian.

Contract:

- `take_hvp(f, X, as_typed=None, direction=None)` returns a `HessianVectorProduct` for a
  scalar f and one variable X: `expr` is H·v, an expression of X's shape in the
  variables and a direction variable (named `v` unless the expression already has a `v`;
  then `v2`, `v3`, ...; or the name given as `direction`), shaped like X.
- It is the gradient by X of the scalar `<g(X), v>` (`g'*v`, `tr(g'*v)`), g the
  gradient of f and v held constant: the second differential with one direction set to
  v, identified as a gradient. No Kronecker form is built, so for a matrix X the result
  is a product of n×n matrices (`-inv(S)*v'*inv(S)` for log det) and costs O(n³).
- Symmetric, spd, diagonal and orthogonal variables are treated as `matdiff.hessian`
  treats them: the unconstrained Hessian (all entries independent), taken on twins free
  of the properties (`as_typed`, the function as typed), then simplified with them. So
  `h.evaluate(v=V)` equals the Hessian's value contracted with V. A structured
  (symmetric-constrained) HVP is not given, as no structured Hessian is.
- `check()` compares with central differences of the gradient along a random v
  (verify/hvp_check.py).
- `evaluate(values, v=...)` returns H·v in the variable's user shape; `to_code(backend)`
  a module whose function takes the variables and the direction by name and returns H·v
  only (backends/codegen/expression.py); `compile(backend)` that function. With
  `prepared=True` the function takes the variables only and returns `apply(v)`, the
  direction-free part computed once.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DiffError
from ..ir import build as b
from ..ir.dims import format_shape, is_scalar
from ..ir.node import Node, variables_in
from ..ir.ops import Op
from ..rewrite.driver import simplify
from .derivative import replace_vars, take_derivative, unconstrained_twins
from .rules import inner


@dataclass
class HessianVectorProduct:
    """H·v of a scalar function by one variable (see the module). A plain record: its
    printing, `evaluate`, `check`, `to_code` and `compile` are attached by
    matdiff/results.py, from the layers above the engine."""

    function: Node
    wrt: Node
    direction: Node  # the variable v, X's shape, no properties
    expr: Node  # H·v
    gradient: Node  # the (unconstrained) gradient whose directional derivative H·v is
    # The same gradient in variables free of structure properties (S' kept as S'): its
    # values off the declared set (S + s*v for any v) are the unconstrained gradient's.
    gradient_free: Node | None = None

    def __repr__(self) -> str:
        v = self.direction
        return (f"<HessianVectorProduct H·{v.arg.name} of f by {self.wrt.arg.name} "
                f"(direction {v.arg.name}: {_kind_text(v)}): {self}>")

    def _arguments(self) -> list[Node]:
        """The generated function's inputs: the function's variables, X, then v."""
        found = variables_in([self.function, self.expr])
        found.pop(self.direction.arg.name, None)
        found.setdefault(self.wrt.arg.name, self.wrt)
        return [*(found[k] for k in sorted(found)), self.direction]



def _kind_text(v: Node) -> str:
    r, c = v.shape
    if (r, c) == (1, 1):
        return "scalar"
    if c == 1:
        return f"vector {r}"
    return f"matrix {format_shape(v.shape)}"


def direction_name(f: Node, requested: str | None) -> str:
    """`requested`, or `v`, `v2`, `v3`, ...: the first name f does not use."""
    taken = f.free
    if requested is not None:
        if not isinstance(requested, str) or not requested.isidentifier():
            raise DiffError(f"the direction's name must be an identifier, got {requested!r}")
        if requested in taken:
            raise DiffError(f"the direction's name {requested!r} is a variable of the "
                            "expression", hint="pick a name the expression does not use")
        return requested
    name, k = "v", 1
    while name in taken:
        k += 1
        name = f"v{k}"
    return name


def take_hvp(f: Node, X: Node, as_typed: Node | None = None,
             direction: str | None = None, structured: bool = False) -> HessianVectorProduct:
    if not is_scalar(f.shape):
        raise DiffError(
            f"a Hessian-vector product needs a scalar function; this one is "
            f"{format_shape(f.shape)}",
            hint="use matdiff.jacobian or matdiff.derivative for vector and matrix functions",
        )
    if X.op != Op.VAR:
        raise DiffError("can only differentiate with respect to a variable")
    if structured:
        raise DiffError(
            "structured Hessian-vector products are not given (nor are structured Hessians)",
            hint="the HVP is of the unconstrained Hessian, as matdiff.hessian's is; "
                 "drop structured=True",
        )
    v = b.var(direction_name(f, direction), X.shape)
    twins = unconstrained_twins([f, X])
    source = f
    if twins:
        source = as_typed if as_typed is not None else replace_vars(f, twins)
    Xt = twins.get(X, X)
    first = take_derivative(source, [Xt])
    if first.form == "zero":
        g = b.zeros(X.shape)
    elif first.form != "gradient" or first.expr is None:
        raise DiffError(
            "no closed matrix form for the gradient, so none for the Hessian-vector product",
            hint="matdiff.derivative gives the differential (index form) of this function",
        )
    else:
        g = first.expr
    second = take_derivative(inner(g, v), [Xt])
    if second.form == "zero":
        hv = b.zeros(X.shape)
    elif second.form != "gradient" or second.expr is None:
        raise DiffError("no closed matrix form for the Hessian-vector product",
                        hint="matdiff.hessian gives it in index form")
    else:
        hv = second.expr
    back = {t: w for w, t in twins.items()}
    return HessianVectorProduct(
        function=f, wrt=X, direction=v,
        expr=simplify(replace_vars(hv, back)),
        gradient=simplify(replace_vars(g, back)),
        gradient_free=g,
    )
