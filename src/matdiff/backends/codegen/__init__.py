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
"""

from __future__ import annotations

import keyword
import linecache
import re
from collections.abc import Callable
from typing import Any

from ...diff.derivative import DENOMINATOR_TRANSPOSED, Derivative
from ...errors import MatdiffError
from ...ir import build as b
from ...ir.dims import Dim, dim_mul, dim_names, dim_terms, format_shape
from ...ir.node import Node, dvar_key
from ...ir.walk import CODEGEN_DEPTH, check_depth
from ...rewrite.driver import simplify
from ..evaluate import walk
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
    return [d.at_order(k) for k in range(1, d.order + 1)]


def _numerator_form(d: Derivative, prev: Derivative | None) -> Node | None:
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


def _variables(nodes: list[Node], d: Derivative) -> list[Node]:
    """The inputs: the variables of the code, the variable, and any other declared
    variable that alone carries a size the code needs ((A - A)*x is A's k rows of 0)."""
    found: dict[str, Node] = {}
    needed: set[str] = set()
    for n in walk(nodes):
        if n.op == "var":
            found.setdefault(n.arg.name, n)
        for dim in n.shape:
            needed |= dim_names(dim)
    for w in d.wrt:
        found.setdefault(w.arg.name, w)
    for v in d.variables:
        carried = {name for v in found.values() for dim in v.shape for name in dim_names(dim)}
        if v.arg.name not in found and (needed - carried) & _names_of(v):
            found[v.arg.name] = v
    return list(found.values())


def _names_of(v: Node) -> set[str]:
    return dim_names(v.shape[0]) | dim_names(v.shape[1])


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
        for coef, names in dim_terms(d):  # ir/dims.py's normal form
            factors = [str(coef)] * (coef != 1 or not names) + [self.name(n) for n in names]
            parts.append(" * ".join(factors))
        return " + ".join(parts)


def _entry(vars_: list[Node], sizes: _Sizes, backend: Backend, check: bool = True
           ) -> list[str]:
    """Lines converting and checking the inputs (check=False: neither), binding the
    sizes: a size of its own from the first input that has it, a compound one (z of m+n
    rows) solved for its one unknown once the others are bound, whatever the inputs'
    order."""
    args = ", ".join(v.arg.name for v in vars_)
    lines = [line.format(args=args)
             for line in (backend.prologue if check else backend.prologue_unchecked)]
    for v in vars_ if check else ():
        lines.append(backend.convert.format(name=v.arg.name, word=_word(v)))
    pending = [v for v in vars_ if user_shape(v.shape)]
    while pending:
        progress = False
        for v in list(pending):
            shape = user_shape(v.shape)
            for axis, d in enumerate(shape):
                if isinstance(d, str) and d.isidentifier() and d not in sizes.bound:
                    lines.append(f"{sizes.name(d)} = {v.arg.name}.shape[{axis}]")
                    sizes.bound.add(d)
            for axis, d in enumerate(shape):
                solved = _solve_size(d, f"{v.arg.name}.shape[{axis}]", sizes)
                if solved:
                    lines.append(solved)
            if all(not (dim_names(d) - sizes.bound) for d in shape):
                codes = ", ".join(sizes.code(d) for d in shape)
                tup = f"({codes},)" if len(shape) == 1 else f"({codes})"
                if check:
                    lines.append(f'_expect("{v.arg.name}", {v.arg.name}, {tup}, '
                                 f'"{_spelled(shape)}")')
                pending.remove(v)
                progress = True
        if not progress:
            v = pending[0]
            raise MatdiffError(f"cannot bind the sizes of {v.arg.name} "
                               f"({format_shape(v.shape)}) from the inputs")
    return lines


def _word(v: Node) -> str:
    return {"scalar": "scalar", "col": "vector", "row": "vector", "mat": "matrix"}[
        kind(v.shape)]


def _optional_entry(optional: list[Node], sizes: _Sizes, backend: Backend,
                    check: bool = True) -> list[str]:
    """Variables of the function as typed that the code does not use ((u - u) in
    a + sum(u - u)): accepted, so a call with every variable works, and checked when
    given (check=False: accepted only); a size only they carry is bound inside their
    check."""
    lines: list[str] = []
    for v in optional if check else ():
        name = v.arg.name
        lines += [f"if {name} is not None:  # not used by the result; checked when given",
                  "    " + backend.convert.format(name=name, word=_word(v))]
        shape = user_shape(v.shape)
        if not shape:
            continue
        bound = set(sizes.bound)
        for axis, d in enumerate(shape):
            if isinstance(d, str) and d.isidentifier() and d not in sizes.bound:
                lines.append(f"    {sizes.name(d)} = {name}.shape[{axis}]")
                sizes.bound.add(d)
        if all(not (dim_names(d) - sizes.bound) for d in shape):
            codes = ", ".join(sizes.code(d) for d in shape)
            tup = f"({codes},)" if len(shape) == 1 else f"({codes})"
            lines.append(f'    _expect("{name}", {name}, {tup}, "{_spelled(shape)}")')
        sizes.bound = bound  # bound in this branch only
    return lines


def _solve_size(d: Dim, actual: str, sizes: _Sizes) -> str | None:
    """`u = (actual - known) // factor` when d is linear in its one unbound size u."""
    unknown = dim_names(d) - sizes.bound
    if len(unknown) != 1:
        return None
    (u,) = unknown
    known: list[str] = []
    factor: list[str] = []
    for coef, names in dim_terms(d):
        if names.count(u) > 1:
            return None
        term = [str(coef)] * (coef != 1) + [sizes.name(x) for x in names if x != u]
        (factor if u in names else known).append(" * ".join(term) or "1")
    if len(factor) != 1:
        return None
    rest = f" - ({' + '.join(known)})" if known else ""
    sizes.bound.add(u)
    return f"{sizes.name(u)} = ({actual}{rest}) // ({factor[0]})"


def _output(code: str, form: Node, d: Derivative, k: int, em: Emitter, sizes: _Sizes,
            prev_form: Node | None) -> str:
    """Lay a derivative's matrix-form value out as Derivative.evaluate does (code: the
    value of form, d's numerator matrix form from _numerator_form; prev_form: the previous
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
        if k == 1:
            p, q = d.function.shape
        elif k >= 3:  # F is the previous order's matrix form (the n×n Hessian)
            assert prev_form is not None
            p, q = prev_form.shape
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


def generate(d: Derivative, backend: str = "numpy", name: str | None = None,
             check: bool = True) -> str:
    """The source of a module defining `name` (default `f_and_grad`), see the contract;
    check=False leaves out the entry conversions and shape checks (inner loops: the
    inputs must already be float arrays of their kinds and shapes)."""
    be = _backend(backend)
    name = name or "f_and_grad"
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise MatdiffError(f"{name!r} is not a valid Python function name")
    ders = _orders(d)
    forms = [_numerator_form(x, ders[i - 1] if i else None) for i, x in enumerate(ders)]
    roots = [d.function, *(f if f is not None else x.differentials[-1]
                           for f, x in zip(forms, ders, strict=True))]
    check_depth(roots, CODEGEN_DEPTH, "code generation")  # the emitter recurses
    vars_ = _variables(roots, d)
    optional = [v for v in d.variables if v.arg.name not in {u.arg.name for u in vars_}]
    reserved = {v.arg.name for v in [*vars_, *optional]} | {name, be.module, "jax", "float"}
    reserved |= set(be.helpers) | _ARRAY_API_NAMES
    _no_clash(be, [*vars_, *optional])
    sizes = _Sizes(reserved)
    entry = _entry(vars_, sizes, be, check) + _optional_entry(optional, sizes, be, check)
    em = Emitter(be, sizes.code, reserved | set(sizes.names.values()), roots)
    for v in vars_:
        em.bind(v, v.arg.name)
    outs = [_scalar_out(em.code(d.function), kind(d.function.shape), be)]
    for k, (der, form) in enumerate(zip(ders, forms, strict=True), start=1):
        if form is None:
            code = _by_basis(der, em, sizes)
        else:
            code = _output(em.code(form), form, der, k, em, sizes,
                           forms[k - 2] if k > 1 else None)
        is_scalar_out = kind(d.function.shape) == "scalar" and (
            kind(der.wrt[0].shape) == "scalar" if form is None
            else der.form in ("gradient", "by_scalar") and kind(der.wrt[0].shape) == "scalar"
        ) if len(der.wrt) == 1 else False
        outs.append(_scalar_out(code, "scalar" if is_scalar_out else "", be))
    return _module(be, name, d, ders, forms, vars_, optional,
                   entry + _constants(be, vars_, em), em, outs)


# Names the array API backend's code binds or imports.
_ARRAY_API_NAMES = {"xp", "_device", "_dtype", "array_api_compat", "array_namespace"}


def _no_clash(be: Backend, vars_: list[Node]) -> None:
    if be.name != "array_api":
        return
    for v in vars_:
        if v.arg.name in _ARRAY_API_NAMES:
            raise MatdiffError(
                f"the variable {v.arg.name} clashes with a name the array API code uses",
                hint=f"rename {v.arg.name}, or use another backend")


def _constants(be: Backend, vars_: list[Node], em: Emitter) -> list[str]:
    """The lines binding the dtype and device of constants, when the body has any."""
    if not be.constants or not any("_dtype" in x or "_device" in x for x in em.lines):
        return []
    args = ", ".join(v.arg.name for v in vars_)
    return [x.format(args=args, first=vars_[0].arg.name) for x in be.constants]


def _by_basis(d: Derivative, em: Emitter, sizes: _Sizes) -> str:
    """The k-th derivative from the k-th differential L(dX_1, ..., dX_k), multilinear, on
    every combination of basis directions: one nested loop per dX_j, each node of L
    computed in the outermost loop whose directions it depends on. Laid out as
    Derivative.evaluate lays it out (numerator: shape(f) + shape(X) * k)."""
    be = em.be
    L = d.differentials[-1]
    X = d.wrt[0]
    k = d.order
    f_shape = user_shape(d.function.shape)
    x_shape = user_shape(X.shape)
    target = f_shape + x_shape * k
    shape_code = ", ".join(sizes.code(x) for x in target)
    keys = [dvar_key(v.arg) for v in d.dvars]

    def level(n: Node) -> int:
        return max((j + 1 for j, key in enumerate(keys) if key in n.free), default=0)

    def layout(code: str) -> str:
        if d.layout == "denominator" and f_shape and len(target) > len(f_shape):
            nf = len(f_shape)
            axes = list(range(nf, len(target))) + list(range(nf))
            code = em.assign(be.permute.format(code, ", ".join(map(str, axes))),
                             "denominator layout: the variable's axes first")
        return code

    if d.form == "zero" or level(L) == 0:  # d^k f = 0
        return layout(em.assign(f"0.0 * {be.ones.format(_tuple(shape_code, len(target)))}",
                                f"order {k}: d^{k}f = 0"))
    nodes = walk([L])
    levels = {n: level(n) for n in nodes}
    needed_at: dict[int, list[Node]] = {}  # level -> its nodes that a deeper level uses
    for n in nodes:
        for c in n.children:
            if levels[c] < levels[n]:
                # diag(v) in a product runs as a scaling by v: hoist v, not diag(v)
                if c.op == "diag" and kind(c.children[0].shape) in ("col", "row"):
                    c = c.children[0]
                if c not in needed_at.setdefault(levels[c], []):
                    needed_at[levels[c]].append(c)
    size = sizes.code(dim_mul(X.shape[0], X.shape[1]))
    name = X.arg.name
    dk = "df, linear in" if k == 1 else f"d^{k}f, multilinear in"
    em.lines.append(f"# order {k}: {dk} {', '.join(to_text(v) for v in d.dvars)}, on every "
                    f"combination of basis directions of {name}")
    basis = em.assign(
        f"{be.eye.format(size)}.reshape({', '.join([size, *map(sizes.code, x_shape)])})",
        f"the basis directions of {name}, in C order")
    if d.structured:  # the structure's directions (backends/derivative_values.structure_direction)
        side = sizes.code(X.shape[0])
        eye = be.eye.format(side)
        if "diagonal" in X.arg.props:
            basis = em.assign(f"{basis} * {eye}", f"{name} diagonal: its diagonal moves")
        else:
            swapped = be.permute.format(basis, "0, 2, 1")
            basis = em.assign(f"{basis} + {swapped} - {basis} * {eye}",
                              f"{name} symmetric: entries kl and lk move together")
    values = em.assign("[]", f"d^{k}f at each combination of directions")
    before = set(em.memo)
    for j in range(k + 1):
        start = len(em.lines)
        if j:
            direction = em.fresh()
            em.lines.append(f"for {direction} in {basis}:  # {to_text(d.dvars[j - 1])}")
            em.bind(d.dvars[j - 1], direction)
        for n in needed_at.get(j, []):
            em.code(n)
        if j == k:
            em.lines.append(f"{values}.append({em.code(L)})")
        if j:  # the loop header, then its body
            em.lines[start] = "    " * (j - 1) + em.lines[start]
            start += 1
        em.lines[start:] = ["    " * j + line for line in em.lines[start:]]
    for n in set(em.memo) - before:  # names bound inside the loops stay there
        del em.memo[n]
    axis = "dim" if be.name == "torch" else "axis"
    stacked = em.assign(f"{be.module}.stack({values}, {axis}=-1)")
    return layout(em.assign(f"{stacked}.reshape({_tuple(shape_code, len(target))})",
                            f"shape(f) + shape({name}) * {k}"))


def _tuple(inner: str, count: int) -> str:
    return f"({inner},)" if count == 1 else f"({inner})"


_ORDINAL = {1: "first", 2: "second", 3: "third"}


def _what(x: Derivative, k: int, form: Node | None) -> str:
    """What order k is, in words."""
    scalar_f = kind(x.function.shape) == "scalar"
    if x.form == "zero":
        return "zero"
    if form is None:
        nth = _ORDINAL.get(k, f"{k}th")
        return f"{nth} derivative, from the {nth} differential on basis directions"
    word = {"gradient": "gradient", "gradient_list": "gradient", "jacobian": "Jacobian",
            "by_scalar": "derivative by a scalar", "kronecker": "Kronecker form"}.get(
        x.form, x.form)
    if scalar_f and k == 2:
        return "Hessian" + (", Kronecker form" if x.form == "kronecker" else "")
    return word


def _describe(d: Derivative, ders: list[Derivative], forms: list[Node | None]) -> list[str]:
    wrt = ", ".join(w.arg.name for w in d.wrt)
    typed = d.as_typed if d.as_typed is not None else d.function  # S' kept as typed
    lines = [f"Value of {to_text(typed)} and its derivatives by {wrt} "
             f"({d.layout} layout)."]
    for k, (x, form) in enumerate(zip(ders, forms, strict=True), start=1):
        if form is None:
            text = ("df" if k == 1 else f"d^{k}f") + " = " + to_text(x.differentials[-1])
        else:
            text = to_text(x.expr) if x.expr is not None else "?"
        if len(text) > 70:
            text = text[:67] + "..."
        lines.append(f"order {k} ({_what(x, k, form)}): {text}")
    return lines


def _module(be: Backend, name: str, d: Derivative, ders: list[Derivative],
            forms: list[Node | None], vars_: list[Node], optional: list[Node],
            entry: list[str], em: Emitter,
            outs: list[str]) -> str:
    imports = list(be.imports)
    if be.name == "jax" and "expm" in em.used_ops:
        imports.append("import jax.scipy.linalg")
    helpers = helpers_used(be, em, entry + em.lines)
    doc = _describe(d, ders, forms)
    parts = ['"""Generated by matdiff. ' + doc[0] + '"""', "",
             *imports]
    for h in helpers:
        parts += ["", "", be.helpers[h].strip("\n")]
    parts.append("")
    args = ", ".join([v.arg.name for v in vars_] + [f"{v.arg.name}=None" for v in optional])
    returns = "(value, " + ", ".join(
        "derivative" if len(ders) == 1 else f"order_{k}" for k in range(1, len(ders) + 1)
    ) + ")"
    body = [f'"""{doc[0]}', "", *doc[1:], f"Returns {returns}.", '"""']
    body += entry + em.lines + [f"return {', '.join(outs)}"]
    parts.append("")
    parts.append(f"def {name}(*, {args}):")
    parts += ["    " + line if line else "" for line in body]
    return "\n".join(parts) + "\n"


def helpers_used(be: Backend, em: Emitter, lines: list[str]) -> list[str]:
    """The backend's helper functions the generated lines call, entry helpers first."""
    text = "\n".join(lines)
    used = {h for h in be.helpers
            if h in em.helpers or re.search(rf"(?<![\w.]){h}\(", text)}
    entry_helpers = ("_namespace", "_array", "_expect")
    return [h for h in entry_helpers if h in used] + sorted(used - set(entry_helpers))


_counter = [0]


def compile_function(d: Derivative, backend: str = "numpy", name: str | None = None,
                     check: bool = True) -> Callable[..., Any]:
    """The generated function, compiled; its source is in `fn.__matdiff_source__`."""
    source = generate(d, backend, name, check)
    _counter[0] += 1
    filename = f"<matdiff-generated-{backend}-{_counter[0]}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": f"matdiff_generated_{_counter[0]}"}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own generated code
    fn = namespace[name or "f_and_grad"]
    fn.__matdiff_source__ = source
    return fn
