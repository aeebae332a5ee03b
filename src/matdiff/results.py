"""What a user does with a result: print it, evaluate it, check it, run it, read its steps.

Contract: the result records of the engine (`diff.derivative.Derivative`,
`diff.hvp.HessianVectorProduct`) are plain data and import nothing above the engine. The
methods a user calls on them — `str(d)`, `d.evaluate(...)`, `d.check()`,
`d.to_code(...)`, `d.to_latex()`, `d.to_unicode()`, `d.as_linear_operator(...)`, and for
H·v also `compile(...)` — reach the printers, the numeric evaluator, the code
generators, the checks and the teaching layer, so they are defined here, in the api
layer, and attached to the records when this module is imported (matdiff/__init__.py
imports it through matdiff/api). `d.steps()` is the teaching layer's, above this one, and is
attached by teach/steps.py (which matdiff/__init__.py imports too). Importing matdiff is
therefore enough for every method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .backends.codegen import generate
from .backends.codegen.expression import (
    compile_generated,
    generate_function,
    generate_prepared,
)
from .backends.derivative_values import evaluate_derivative
from .backends.evaluate import bind_sizes, evaluate, to_user
from .backends.latex import derivative_latex, to_latex
from .backends.text import to_text
from .backends.unicode import derivative_unicode, to_unicode
from .diff.derivative import Derivative
from .diff.hvp import HessianVectorProduct, _kind_text
from .errors import DiffError, InputValueError, MatdiffError
from .optimize import derivative_linear_operator
from .verify.check import check_derivative
from .verify.hvp_check import check_hvp

# ------------------------------------------------------------------------- Derivative


def derivative_text(d: Derivative) -> str:
    """The result in the input language (it pastes back in); without a matrix form,
    the differential."""
    if d.expr is not None:
        return to_text(d.expr)
    if d.form == "zero":
        return "0"
    return f"d{'^' + str(d.order) if d.order > 1 else ''}f = " + to_text(d.differentials[-1])


def check(d: Derivative, trials: int = 3, seed: int = 0) -> Any:
    """Compare with central finite differences at random inputs honouring the
    declared properties; the result is truthy when it passes, and prints one line."""
    for name, v in (("trials", trials), ("seed", seed)):
        if isinstance(v, bool) or not isinstance(v, int) or v < (1 if name == "trials" else 0):
            raise MatdiffError(f"{name} must be a whole number"
                               f"{' of 1 or more' if name == 'trials' else ''}, got {v!r}")
    return check_derivative(d, trials=trials, seed=seed)


def to_code(d: Derivative, backend: str = "numpy", name: str | None = None,
            check: bool = True) -> str:
    """A self-contained Python function computing the value and the derivative(s);
    backend "numpy", "jax", "torch" or "array_api" (any array library); check=False
    leaves out the entry conversions and shape checks (for inner loops)."""
    return generate(d, backend, name, check)


def as_linear_operator(d: Derivative, /, values: Mapping[str, Any] | None = None,
                       **kw: Any) -> Any:
    """A Hessian at the given values as a scipy.sparse.linalg.LinearOperator on
    C-order flattened vectors; each matvec is one generated H·v (optimize.py)."""
    return derivative_linear_operator(d, {**(values or {}), **kw})


def derivative_to_latex(d: Derivative) -> str:
    """The derivative as LaTeX, head included:
    `\\frac{\\partial f}{\\partial x} = \\left(A + A^{\\top}\\right) x`."""
    return derivative_latex(d)


def derivative_to_unicode(d: Derivative) -> str:
    """The derivative in Unicode mathematics: `∂f/∂x = (A + Aᵀ)x`."""
    return derivative_unicode(d)


def _repr_latex_(r: Any) -> str:
    return f"$\\displaystyle {r.to_latex()}$"


def derivative_evaluate(d: Derivative, /, values: Mapping[str, Any] | None = None,
                        **kw: Any) -> Any:
    """The value at the given variables' values (NumPy arrays; vectors 1-D), laid
    out as the README's Conventions say: shape(f) + shape(wrt) in numerator layout
    (a gradient has the variable's shape, a Jacobian is m×n, a Hessian by a vector
    n×n), the wrt axes first in denominator layout.

        >>> d = matdiff.derivative("x'*A*x", wrt="x")
        >>> d.evaluate(x=np.ones(3), A=np.eye(3))
        array([2., 2., 2.])
    """
    if values is not None and not isinstance(values, Mapping):
        raise InputValueError(
            f"values must be a mapping from names to values, got {type(values).__name__}",
            hint="write d.evaluate(x=..., A=...) or d.evaluate({'x': ..., 'A': ...})",
        )
    merged = dict(values or {})
    merged.update(kw)
    return evaluate_derivative(d, merged)


# ------------------------------------------------------------- HessianVectorProduct


def hvp_text(h: HessianVectorProduct) -> str:
    return to_text(h.expr)


def hvp_to_latex(h: HessianVectorProduct) -> str:
    """H·v as LaTeX."""
    return to_latex(h.expr)


def hvp_to_unicode(h: HessianVectorProduct) -> str:
    """H·v in Unicode mathematics."""
    return to_unicode(h.expr)


def hvp_evaluate(h: HessianVectorProduct, /, values: Mapping[str, Any] | None = None,
                 **kw: Any) -> Any:
    """H·v at the given values (the direction by its name), in X's user shape."""
    if values is not None and not isinstance(values, Mapping):
        raise InputValueError(
            f"values must be a mapping from names to values, got {type(values).__name__}",
            hint="write h.evaluate(x=..., v=...) or h.evaluate({'x': ..., 'v': ...})",
        )
    merged = dict(values or {})
    merged.update(kw)
    name = h.direction.arg.name
    if name not in merged:
        raise InputValueError(
            f"no value for the direction {name} ({_kind_text(h.direction)})",
            hint=f"give it by name: h.evaluate(..., {name}=...)",
        )
    sizes = bind_sizes([h.function, h.wrt, h.direction, h.expr], merged)
    # The function first: values outside its domain are an error, not a derivative.
    evaluate(h.function, merged, sizes=sizes)
    return to_user(evaluate(h.expr, merged, sizes=sizes), h.wrt.shape)


def hvp_check(h: HessianVectorProduct, trials: int = 3, seed: int = 0) -> Any:
    """Compare with central differences of the gradient along a random v, at random
    inputs honouring the declarations; truthy when it passes, prints one line."""
    for what, x in (("trials", trials), ("seed", seed)):
        if isinstance(x, bool) or not isinstance(x, int) or x < (what == "trials"):
            raise DiffError(f"{what} must be a whole number"
                            f"{' of 1 or more' if what == 'trials' else ''}, got {x!r}")
    return check_hvp(h, trials=trials, seed=seed)


def _hvp_doc(h: HessianVectorProduct) -> list[str]:
    v = h.direction.arg.name
    text = str(h)
    if len(text) > 70:
        text = text[:67] + "..."
    return [f"Hessian-vector product H·{v} of {to_text(h.function)} by "
            f"{h.wrt.arg.name} (the Hessian is never formed).",
            f"H·{v} = {text}", f"Returns H·{v}, shaped like {h.wrt.arg.name}."]


def hvp_to_code(h: HessianVectorProduct, backend: str = "numpy", name: str | None = None,
                prepared: bool = False) -> str:
    """A self-contained module whose function (default `hvp`) takes the variables
    and the direction by name and returns H·v. `prepared=True`: the function takes
    the variables only, computes what does not depend on the direction once, and
    returns `apply(v)` (for many products at one point, as in Newton-CG)."""
    if prepared:
        return generate_prepared(h.expr, h._arguments(), h.direction,
                                 backend, name or "prepare_hvp", _hvp_doc(h))
    return generate_function(h.expr, h._arguments(), backend, name or "hvp", _hvp_doc(h))


def hvp_compile(h: HessianVectorProduct, backend: str = "numpy", name: str | None = None,
                prepared: bool = False) -> Any:
    """The generated function itself (source in `fn.__matdiff_source__`)."""
    default = "prepare_hvp" if prepared else "hvp"
    return compile_generated(hvp_to_code(h, backend, name, prepared), name or default,
                             backend)


# ---------------------------------------------------------------------- attachment

_DERIVATIVE_METHODS: dict[str, Any] = {
    "__str__": derivative_text,
    "check": check,
    "to_code": to_code,
    "as_linear_operator": as_linear_operator,
    "to_latex": derivative_to_latex,
    "to_unicode": derivative_to_unicode,
    "_repr_latex_": _repr_latex_,
    "evaluate": derivative_evaluate,
}

_HVP_METHODS: dict[str, Any] = {
    "__str__": hvp_text,
    "to_latex": hvp_to_latex,
    "to_unicode": hvp_to_unicode,
    "_repr_latex_": _repr_latex_,
    "evaluate": hvp_evaluate,
    "check": hvp_check,
    "to_code": hvp_to_code,
    "compile": hvp_compile,
}

for _name, _fn in _DERIVATIVE_METHODS.items():
    setattr(Derivative, _name, _fn)
for _name, _fn in _HVP_METHODS.items():
    setattr(HessianVectorProduct, _name, _fn)
