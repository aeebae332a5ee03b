"""Generated code: a self-contained Python function for a value and its derivative(s).

    source = generate(d, backend="numpy", name=None)   # module text
    f = compile_function(d, backend="numpy")          # the function itself
    value, derivative = f(x=..., A=...)                # order 1
    value, gradient, hessian = f(x=..., A=...)         # order 2 (and so on)

Contract:

- One module importing only its backend (`numpy as np`, `jax.numpy as jnp`, `torch`),
  with one public function taking the variables as keyword arguments by name: by their
  own names, or where a name cannot be a parameter (a keyword: `lambda`) or would hide
  a name the code uses (`np`, `float`, `_array`), by a Python name made from it (`lambda_`,
  names.py), which the docstring states; `compile_function`'s function takes the
  variables' own names either way (`f(**{"lambda": 0.1})`). On entry
  every input is converted to a float array of its kind (a vector 1-D, an (n, 1) or
  (1, n) array accepted), symbolic sizes are bound from the first input that has them,
  and every other input is checked against them: a ValueError names the input, the
  expected shape in symbols and numbers, and the shape it got.
- The value and each derivative of order 1..k come back as a tuple, laid out as
  `Derivative.evaluate` lays them out (the README's Conventions: scalars as floats (NumPy) or 0-d
  arrays, vectors 1-D, a gradient the variable's shape, a Jacobian m×n, Kronecker forms
  reshaped to (p, q, m, n), a Hessian n×n or (m, n, m, n)). Order k > 1 also computes
  the lower orders' matrix forms, sharing what they have in common.
- The body is straight-line code, one operation per line, each shared subexpression
  computed once; what runs is the cheapest equal form (see emit.py). JAX code is
  jit-compatible (shape checks run at trace time).
- Orders without a usable matrix form (form "index", and Kronecker forms of order 3 and
  up other than the third derivative of a scalar by a column vector) are computed, as
  `Derivative.evaluate` computes them, from the k-th differential `d.differentials[-1]`
  (multilinear in `d.dvars`) evaluated on every combination of basis directions of the
  variable: exact, not a finite difference. The generated code loops over the
  directions (one nested loop per order), each part of the differential computed at the
  outermost loop level it depends on; its cost grows as size(X)**k.

This module assembles the pieces, each with its own contract: inputs.py (which inputs,
their conversion and checks, the sizes), names.py (the variables' Python names), emit.py
(the body, one node at a time, with chain.py's cost model and syntax.py's parentheses),
outputs.py (the layout of each order's value), basis.py (orders computed on basis
directions), module.py (the module text and compiling it); spelling.py holds each
backend's spellings. expression.py generates a function of one expression (H·v) from the
same pieces.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from ...diff.derivative import Derivative
from ...errors import MatdiffError
from ...ir.node import Node
from ...ir.walk import CODEGEN_DEPTH, check_depth
from .basis import by_basis
from .emit import Emitter, kind
from .inputs import (
    Sizes,
    backend_named,
    code_inputs,
    constants,
    entry_lines,
    optional_entry_lines,
)
from .module import Source, compile_source, helpers_used, module_source
from .names import ARRAY_API_NAMES, body_names, parameter_names
from .outputs import numerator_form, orders, output, scalar_out
from .spelling import BACKENDS

__all__ = ["generate", "compile_function", "helpers_used", "BACKENDS"]


def generate(d: Derivative, backend: str = "numpy", name: str | None = None,
             check: bool = True) -> Source:
    """The source of a module defining `name` (default `f_and_grad`), see the contract;
    check=False leaves out the entry conversions and shape checks (inner loops: the
    inputs must already be float arrays of their kinds and shapes). A str whose
    `renamed` maps each variable passed under another name to that name."""
    be = backend_named(backend)
    name = name or "f_and_grad"
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise MatdiffError(f"{name!r} is not a valid Python function name")
    ders = orders(d)
    forms = [numerator_form(x, ders[i - 1] if i else None) for i, x in enumerate(ders)]
    roots = [d.function, *(f if f is not None else x.differentials[-1]
                           for f, x in zip(forms, ders, strict=True))]
    check_depth(roots, CODEGEN_DEPTH, "code generation")  # the emitter recurses
    vars_ = code_inputs(roots, d)
    optional = [v for v in d.variables if v.arg.name not in {u.arg.name for u in vars_}]
    names = parameter_names([v.arg.name for v in [*vars_, *optional]], body_names(be))
    # temporaries and sizes keep clear of every variable's names and of what the code uses
    reserved = {*names, *names.values(), name, "jax", *body_names(be), *ARRAY_API_NAMES}
    sizes = Sizes(reserved)
    lines = (entry_lines(vars_, names, sizes, be, check)
             + optional_entry_lines(optional, names, sizes, be, check))
    em = Emitter(be, sizes.code, reserved | set(sizes.names.values()), roots)
    for v in vars_:
        em.bind(v, names[v.arg.name])
    outs = [scalar_out(em.code(d.function), kind(d.function.shape), be)]
    for k, (der, form) in enumerate(zip(ders, forms, strict=True), start=1):
        if form is None:
            code = by_basis(der, em, sizes)
        else:
            code = output(em.code(form), form, der, k, em, sizes,
                          forms[k - 2] if k > 1 else None)
        outs.append(scalar_out(code, "scalar" if _scalar_result(d, der, form) else "", be))
    return module_source(be, name, d, ders, forms, vars_, optional,
                         lines + constants(be, vars_, names, em), em, outs, names)


def _scalar_result(d: Derivative, der: Derivative, form: Node | None) -> bool:
    """Whether an order's value is a scalar (a float in NumPy code)."""
    if len(der.wrt) != 1 or kind(d.function.shape) != "scalar":
        return False
    if form is None:
        return kind(der.wrt[0].shape) == "scalar"
    return der.form in ("gradient", "by_scalar") and kind(der.wrt[0].shape) == "scalar"


def compile_function(d: Derivative, backend: str = "numpy", name: str | None = None,
                     check: bool = True) -> Callable[..., Any]:
    """The generated function, compiled; its source is in `fn.__matdiff_source__`. It
    takes the variables' own names as keywords, also those passed under a Python name
    (`lambda` as `lambda_`, see the contract)."""
    return compile_source(generate(d, backend, name, check), name or "f_and_grad", backend)
