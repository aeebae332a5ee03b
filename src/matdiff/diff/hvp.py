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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..backends.codegen.expression import (
    compile_generated,
    generate_function,
    generate_prepared,
)
from ..backends.evaluate import bind_sizes, evaluate, to_user
from ..backends.latex import to_latex
from ..backends.text import to_text
from ..backends.unicode import to_unicode
from ..errors import DiffError, InputValueError
from ..ir import build as b
from ..ir.dims import format_shape, is_scalar
from ..ir.node import Node, variables_in
from ..rewrite.driver import simplify
from ..verify.hvp_check import check_hvp
from .derivative import replace_vars, take_derivative, unconstrained_twins
from .rules import inner


@dataclass
class HessianVectorProduct:
    function: Node
    wrt: Node
    direction: Node  # the variable v, X's shape, no properties
    expr: Node  # H·v
    gradient: Node  # the (unconstrained) gradient whose directional derivative H·v is
    # The same gradient in variables free of structure properties (S' kept as S'): its
    # values off the declared set (S + s*v for any v) are the unconstrained gradient's.
    gradient_free: Node | None = None

    def __str__(self) -> str:
        return to_text(self.expr)

    def __repr__(self) -> str:
        v = self.direction
        return (f"<HessianVectorProduct H·{v.arg.name} of f by {self.wrt.arg.name} "
                f"(direction {v.arg.name}: {_kind_text(v)}): {self}>")

    def to_latex(self) -> str:
        return to_latex(self.expr)

    def to_unicode(self) -> str:
        return to_unicode(self.expr)

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.to_latex()}$"

    def evaluate(self, values: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        """H·v at the given values (the direction by its name), in X's user shape."""
        if values is not None and not isinstance(values, Mapping):
            raise InputValueError(
                f"values must be a mapping from names to values, got {type(values).__name__}",
                hint="write h.evaluate(x=..., v=...) or h.evaluate({'x': ..., 'v': ...})",
            )
        merged = dict(values or {})
        merged.update(kw)
        name = self.direction.arg.name
        if name not in merged:
            raise InputValueError(
                f"no value for the direction {name} ({_kind_text(self.direction)})",
                hint=f"give it by name: h.evaluate(..., {name}=...)",
            )
        sizes = bind_sizes([self.function, self.wrt, self.direction, self.expr], merged)
        # The function first: values outside its domain are an error, not a derivative.
        evaluate(self.function, merged, sizes=sizes)
        return to_user(evaluate(self.expr, merged, sizes=sizes), self.wrt.shape)

    def check(self, trials: int = 3, seed: int = 0) -> Any:
        """Compare with central differences of the gradient along a random v, at random
        inputs honouring the declarations; truthy when it passes, prints one line."""
        for what, x in (("trials", trials), ("seed", seed)):
            if isinstance(x, bool) or not isinstance(x, int) or x < (what == "trials"):
                raise DiffError(f"{what} must be a whole number"
                                f"{' of 1 or more' if what == 'trials' else ''}, got {x!r}")
        return check_hvp(self, trials=trials, seed=seed)

    def to_code(self, backend: str = "numpy", name: str | None = None,
                prepared: bool = False) -> str:
        """A self-contained module whose function (default `hvp`) takes the variables
        and the direction by name and returns H·v. `prepared=True`: the function takes
        the variables only, computes what does not depend on the direction once, and
        returns `apply(v)` (for many products at one point, as in Newton-CG)."""
        if prepared:
            return generate_prepared(self.expr, self._arguments(), self.direction,
                                     backend, name or "prepare_hvp", self._doc())
        return generate_function(self.expr, self._arguments(), backend,
                                 name or "hvp", self._doc())

    def compile(self, backend: str = "numpy", name: str | None = None,
                prepared: bool = False) -> Any:
        """The generated function itself (source in `fn.__matdiff_source__`)."""
        default = "prepare_hvp" if prepared else "hvp"
        return compile_generated(self.to_code(backend, name, prepared), name or default,
                                 backend)

    def _arguments(self) -> list[Node]:
        """The generated function's inputs: the function's variables, X, then v."""
        found = variables_in([self.function, self.expr])
        found.pop(self.direction.arg.name, None)
        found.setdefault(self.wrt.arg.name, self.wrt)
        return [*(found[k] for k in sorted(found)), self.direction]

    def _doc(self) -> list[str]:
        v = self.direction.arg.name
        text = str(self)
        if len(text) > 70:
            text = text[:67] + "..."
        return [f"Hessian-vector product H·{v} of {to_text(self.function)} by "
                f"{self.wrt.arg.name} (the Hessian is never formed).",
                f"H·{v} = {text}", f"Returns H·{v}, shaped like {self.wrt.arg.name}."]


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
    if X.op != "var":
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
