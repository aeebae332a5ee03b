"""Generated code: a self-contained Python function for a value and its derivative(s).

    source = generate(d, backend="numpy", name=None)   # module text
    f = compile_function(d, backend="numpy")          # the function itself
    value, derivative = f(x=..., A=...)                # order 1
    value, gradient, hessian = f(x=..., A=...)         # order 2 (and so on)

Contract:

- One module importing only its backend (`numpy as np`, `jax.numpy as jnp`, `torch`),
  with one public function taking the variables as keyword arguments by name. On entry
  every input is converted to a float array of its kind (a vector 1-D, an (n, 1) or
  (1, n) array accepted), symbolic sizes are bound from the first input that has them,
  and every other input is checked against them: a ValueError names the input, the
  expected shape in symbols and numbers, and the shape it got.
- The value and each derivative of order 1..k come back as a tuple, laid out as
  `Derivative.evaluate` lays them out (SPEC §2: scalars as floats (NumPy) or 0-d
  arrays, vectors 1-D, a gradient the variable's shape, a Jacobian m×n, Kronecker forms
  reshaped to (p, q, m, n), a Hessian n×n or (m, n, m, n)). Order k > 1 also computes
  the lower orders' matrix forms, sharing what they have in common.
- The body is straight-line code, one operation per line, each shared subexpression
  computed once; what runs is the cheapest equal form (see emit.py). JAX code is
  jit-compatible (shape checks run at trace time).
- Derivatives without a matrix form (form "index") raise MatdiffError.
"""

from __future__ import annotations

import keyword
import linecache
from collections.abc import Callable
from typing import Any

from ...diff.derivative import Derivative, take_derivative
from ...errors import MatdiffError
from ...ir import build as b
from ...ir.dims import Dim, dim_mul
from ...ir.node import Node
from ...rewrite.driver import simplify
from ..evaluate import dim_names, walk
from ..text import to_text
from .emit import Emitter, kind, user_shape
from .spelling import BACKENDS, Backend

__all__ = ["generate", "compile_function", "BACKENDS"]


def _backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        known = ", ".join(BACKENDS)
        raise MatdiffError(f"unknown code generation backend {name!r}",
                           hint=f"use one of: {known}") from None


def _orders(d: Derivative) -> list[Derivative]:
    """The derivatives of orders 1..k (the given one last)."""
    if d.order == 1 or len(d.wrt) > 1:
        return [d]
    lower = [take_derivative(d.function, list(d.wrt), order=k, layout=d.layout,
                             structured=d.structured) for k in range(1, d.order)]
    return [*lower, d]


def _numerator_form(d: Derivative) -> Node:
    if d.expr is None or d.form == "index":
        raise MatdiffError(
            f"no matrix form for this derivative of order {d.order}, so no code is "
            "generated for it",
            hint="its index form is available from d.evaluate(...) and the printed "
            "differential",
        )
    if d.layout == "denominator" and d.form in ("jacobian", "by_scalar"):
        return simplify(b.transpose(d.expr))
    return d.expr


def _variables(nodes: list[Node], wrt: tuple[Node, ...]) -> list[Node]:
    found: dict[str, Node] = {}
    for n in walk(nodes):
        if n.op == "var":
            found.setdefault(n.arg.name, n)
    for w in wrt:
        found.setdefault(w.arg.name, w)
    return list(found.values())


def _spelled(shape: tuple[Dim, ...]) -> str:
    inner = ", ".join(str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


class _Sizes:
    """Symbolic size names -> code names (renamed when they clash with a variable)."""

    def __init__(self, reserved: set[str]) -> None:
        self.reserved = reserved
        self.names: dict[str, str] = {}
        self.bound: set[str] = set()

    def name(self, size: str) -> str:
        got = self.names.get(size)
        if got is None:
            got = size if size.isidentifier() and size not in self.reserved and (
                not keyword.iskeyword(size)) else f"size_{size}"
            while got in self.reserved:
                got = "_" + got
            self.names[size] = got
        return got

    def code(self, d: Dim) -> str:
        if isinstance(d, int):
            return str(d)
        parts = []
        for term in d.split("+"):
            factors = [f.strip() for f in term.split("*") if f.strip()]
            parts.append(" * ".join(f if f.isdigit() else self.name(f) for f in factors))
        return " + ".join(parts)


def _entry(vars_: list[Node], sizes: _Sizes, backend: Backend) -> list[str]:
    """Lines converting and checking the inputs, binding the sizes."""
    lines = []
    for v in vars_:
        name = v.arg.name
        k = kind(v.shape)
        word = {"scalar": "scalar", "col": "vector", "row": "vector", "mat": "matrix"}[k]
        lines.append(f'{name} = _array("{name}", {name}, "{word}")')
    for v in vars_:
        name = v.arg.name
        shape = user_shape(v.shape)
        if not shape:
            continue
        for axis, d in enumerate(shape):
            if isinstance(d, str) and "*" not in d and "+" not in d and d not in sizes.bound:
                lines.append(f"{sizes.name(d)} = {name}.shape[{axis}]")
                sizes.bound.add(d)
        for axis, d in enumerate(shape):
            unknown = dim_names(d) - sizes.bound if isinstance(d, str) else set()
            if len(unknown) == 1 and "+" not in str(d):
                (u,) = unknown
                others = [f for f in str(d).split("*") if f != u]
                known = " * ".join(f if f.isdigit() else sizes.name(f) for f in others) or "1"
                lines.append(f"{sizes.name(u)} = {name}.shape[{axis}] // ({known})")
                sizes.bound.add(u)
            elif unknown:
                raise MatdiffError(f"cannot bind the sizes of {name} ({d}) from the inputs")
        codes = ", ".join(sizes.code(d) for d in shape)
        tup = f"({codes},)" if len(shape) == 1 else f"({codes})"
        lines.append(f'_expect("{name}", {name}, {tup}, "{_spelled(shape)}")')
    return lines


def _output(code: str, d: Derivative, k: int, em: Emitter, sizes: _Sizes) -> str:
    """Lay a derivative's matrix-form value out as Derivative.evaluate does."""
    be = em.be
    if d.form == "gradient_list":
        return code if kind(d.expr.shape) == "col" else f"{code}.reshape(-1)"
    if len(d.wrt) > 1:
        return code
    f_shape = user_shape(d.function.shape)
    X = d.wrt[0]
    x_shape = user_shape(X.shape)
    M = d.expr if not (d.layout == "denominator" and d.form in ("jacobian", "by_scalar")) \
        else b.transpose(d.expr)
    m_shape = user_shape(M.shape)
    if d.form in ("gradient", "by_scalar", "jacobian") and (k == 1 or d.form != "by_scalar"):
        target = f_shape + x_shape * k
    elif d.form == "by_scalar":
        target = f_shape
    else:  # Kronecker form: vec(dF) = M vec(dX), with F the previous order's matrix
        if k == 1:
            p, q = d.function.shape
        elif f_shape == ():
            p, q = X.shape
        else:
            p, q = (dim_mul(d.function.shape[0], d.function.shape[1]),
                    dim_mul(X.shape[0], X.shape[1]))
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
    if d.layout == "denominator" and f_shape and len(target) > len(f_shape):
        nf = len(f_shape)
        axes = list(range(nf, len(target))) + list(range(nf))
        code = em.assign(be.permute.format(code, ", ".join(map(str, axes))),
                         "denominator layout: the variable's axes first")
    return code


def _scalar_out(code: str, node_shape_kind: str, backend: Backend) -> str:
    if backend.name == "numpy" and node_shape_kind == "scalar":
        return f"float({code})"
    return code


def generate(d: Derivative, backend: str = "numpy", name: str | None = None) -> str:
    """The source of a module defining `name` (default `f_and_grad`), see the contract."""
    be = _backend(backend)
    name = name or "f_and_grad"
    if not name.isidentifier() or keyword.iskeyword(name):
        raise MatdiffError(f"{name!r} is not a valid Python function name")
    ders = _orders(d)
    forms = [_numerator_form(x) for x in ders]
    roots = [d.function, *forms]
    vars_ = _variables(roots, d.wrt)
    reserved = {v.arg.name for v in vars_} | {name, be.module, "jax", "float"}
    reserved |= set(be.helpers)
    sizes = _Sizes(reserved)
    entry = _entry(vars_, sizes, be)
    em = Emitter(be, sizes.code, reserved | set(sizes.names.values()), roots)
    for v in vars_:
        em.bind(v, v.arg.name)
    outs = [_scalar_out(em.code(d.function), kind(d.function.shape), be)]
    for k, (der, form) in enumerate(zip(ders, forms, strict=True), start=1):
        code = _output(em.code(form), der, k, em, sizes)
        is_scalar_out = der.form in ("gradient", "by_scalar") and (
            kind(d.function.shape) == "scalar" and kind(der.wrt[0].shape) == "scalar"
        ) if len(der.wrt) == 1 else False
        outs.append(_scalar_out(code, "scalar" if is_scalar_out else "", be))
    return _module(be, name, d, ders, vars_, entry, em, outs)


def _describe(d: Derivative, ders: list[Derivative]) -> list[str]:
    wrt = ", ".join(w.arg.name for w in d.wrt)
    lines = [f"Value of {to_text(d.function)} and its derivatives by {wrt} "
             f"({d.layout} layout)."]
    for k, x in enumerate(ders, start=1):
        text = to_text(x.expr) if x.expr is not None else "?"
        if len(text) > 70:
            text = text[:67] + "..."
        lines.append(f"order {k} ({x.form}): {text}")
    return lines


def _module(be: Backend, name: str, d: Derivative, ders: list[Derivative], vars_: list[Node],
            entry: list[str], em: Emitter, outs: list[str]) -> str:
    imports = list(be.imports)
    if be.name == "jax" and "expm" in em.used_ops:
        imports.append("import jax.scipy.linalg")
    helpers = ["_array", "_expect", *sorted(h for h in em.helpers if h in be.helpers)]
    parts = ['"""Generated by matdiff. ' + _describe(d, ders)[0] + '"""', "",
             *imports]
    for h in helpers:
        parts += ["", "", be.helpers[h].strip("\n")]
    parts.append("")
    args = ", ".join(v.arg.name for v in vars_)
    doc = _describe(d, ders)
    returns = "(value, " + ", ".join(
        "derivative" if len(ders) == 1 else f"order_{k}" for k in range(1, len(ders) + 1)
    ) + ")"
    body = [f'"""{doc[0]}', "", *doc[1:], f"Returns {returns}.", '"""']
    body += entry + em.lines + [f"return {', '.join(outs)}"]
    parts.append("")
    parts.append(f"def {name}(*, {args}):")
    parts += ["    " + line if line else "" for line in body]
    return "\n".join(parts) + "\n"


_counter = [0]


def compile_function(d: Derivative, backend: str = "numpy", name: str | None = None
                     ) -> Callable[..., Any]:
    """The generated function, compiled; its source is in `fn.__matdiff_source__`."""
    source = generate(d, backend, name)
    _counter[0] += 1
    filename = f"<matdiff-generated-{backend}-{_counter[0]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"matdiff_generated_{_counter[0]}"}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    fn = namespace[name or "f_and_grad"]
    fn.__matdiff_source__ = source
    return fn
