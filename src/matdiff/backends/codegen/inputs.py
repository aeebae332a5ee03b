"""Generated code, the entry: which inputs a function takes, and how it converts and
checks them and binds the symbolic sizes.

Contract:

- `backend_named(name)` is the `Backend` of that name, or a `MatdiffError` listing them.
- `code_inputs(nodes, d)` are the variables the generated function takes: those of the
  code, the variable(s), and a declared variable that alone carries a size the code needs.
- `Sizes(reserved)` names the symbolic sizes in code (`n`, or `size_n` / `_n` where the
  name is taken) and spells a dimension (`m + n`, `2 * n`) with them.
- `entry_lines(vars_, names, sizes, backend, check)` are the first lines of the body: the
  backend's prologue, each input converted to a float array of its kind, each size bound
  from the first input that has it (a compound size such as m+n solved for its one
  unknown), each input's shape checked (`_expect`); check=False leaves out conversions
  and checks. `optional_entry_lines` does the same for inputs the code does not use
  (checked when given). `names` maps each variable to its Python name in the code
  (names.py); the error messages the code raises name the variable as the user does.
- `constants(be, vars_, names, em)` binds the dtype and device of constants (array API).
"""

from __future__ import annotations

import json
import keyword
from collections.abc import Mapping

from ...diff.derivative import Derivative
from ...errors import MatdiffError
from ...ir.dims import Dim, dim_names, dim_terms, format_shape, user_shape
from ...ir.node import Node
from ...ir.ops import Op
from ..evaluate import walk
from .emit import Emitter, kind
from .spelling import BACKENDS, Backend


def backend_named(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        known = ", ".join(BACKENDS)
        raise MatdiffError(f"unknown code generation backend {name!r}",
                           hint=f"use one of: {known}") from None


def code_inputs(nodes: list[Node], d: Derivative) -> list[Node]:
    """The inputs: the variables of the code, the variable, and any other declared
    variable that alone carries a size the code needs ((A - A)*x is A's k rows of 0)."""
    found: dict[str, Node] = {}
    needed: set[str] = set()
    for n in walk(nodes):
        if n.op == Op.VAR:
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


class Sizes:
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


def entry_lines(vars_: list[Node], names: Mapping[str, str], sizes: Sizes, backend: Backend,
                check: bool = True) -> list[str]:
    """Lines converting and checking the inputs (check=False: neither), binding the
    sizes: a size of its own from the first input that has it, a compound one (z of m+n
    rows) solved for its one unknown once the others are bound, whatever the inputs'
    order."""
    args = ", ".join(names[v.arg.name] for v in vars_)
    lines = [line.format(args=args)
             for line in (backend.prologue if check else backend.prologue_unchecked)]
    for v in vars_ if check else ():
        lines.append(_convert(backend, v, names))
    pending = [v for v in vars_ if user_shape(v.shape)]
    while pending:
        progress = False
        for v in list(pending):
            shape = user_shape(v.shape)
            code = names[v.arg.name]
            for axis, d in enumerate(shape):
                if isinstance(d, str) and d.isidentifier() and d not in sizes.bound:
                    lines.append(f"{sizes.name(d)} = {code}.shape[{axis}]")
                    sizes.bound.add(d)
            for axis, d in enumerate(shape):
                solved = _solve_size(d, f"{code}.shape[{axis}]", sizes)
                if solved:
                    lines.append(solved)
            if all(not (dim_names(d) - sizes.bound) for d in shape):
                line = _expect(v.arg.name, code, shape, sizes)
                if check:
                    lines.append(line)
                pending.remove(v)
                progress = True
        if not progress:
            v = pending[0]
            raise MatdiffError(f"cannot bind the sizes of {v.arg.name} "
                               f"({format_shape(v.shape)}) from the inputs")
    return lines


def _expect(name: str, code: str, shape: tuple[Dim, ...], sizes: Sizes) -> str:
    """The line checking an input's shape (variable `name`, `code` in the code), every
    size of it bound."""
    codes = ", ".join(sizes.code(d) for d in shape)
    tup = f"({codes},)" if len(shape) == 1 else f"({codes})"
    return f'_expect({_literal(name)}, {code}, {tup}, "{_spelled(shape)}")'


def _literal(name: str) -> str:
    """A variable's name as a string literal in the code: `"lambda"` (JSON's double
    quotes and escapes are Python's too; non-ASCII kept as it is)."""
    return json.dumps(name, ensure_ascii=False)


def _convert(backend: Backend, v: Node, names: Mapping[str, str]) -> str:
    """The line converting input v: bound to its Python name, errors naming the
    variable."""
    return backend.convert.format(name=names[v.arg.name], label=_literal(v.arg.name),
                                  word=_word(v))


def _word(v: Node) -> str:
    return {"scalar": "scalar", "col": "vector", "row": "vector", "mat": "matrix"}[
        kind(v.shape)]


def optional_entry_lines(optional: list[Node], names: Mapping[str, str], sizes: Sizes,
                         backend: Backend, check: bool = True) -> list[str]:
    """Variables of the function as typed that the code does not use ((u - u) in
    a + sum(u - u)): accepted, so a call with every variable works, and checked when
    given (check=False: accepted only); a size only they carry is bound inside their
    check."""
    lines: list[str] = []
    for v in optional if check else ():
        name = names[v.arg.name]
        lines += [f"if {name} is not None:  # not used by the result; checked when given",
                  "    " + _convert(backend, v, names)]
        shape = user_shape(v.shape)
        if not shape:
            continue
        bound = set(sizes.bound)
        for axis, d in enumerate(shape):
            if isinstance(d, str) and d.isidentifier() and d not in sizes.bound:
                lines.append(f"    {sizes.name(d)} = {name}.shape[{axis}]")
                sizes.bound.add(d)
        if all(not (dim_names(d) - sizes.bound) for d in shape):
            lines.append("    " + _expect(v.arg.name, name, shape, sizes))
        sizes.bound = bound  # bound in this branch only
    return lines


def _solve_size(d: Dim, actual: str, sizes: Sizes) -> str | None:
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


def constants(be: Backend, vars_: list[Node], names: Mapping[str, str], em: Emitter
              ) -> list[str]:
    """The lines binding the dtype and device of constants, when the body has any."""
    if not be.constants or not any("_dtype" in x or "_device" in x for x in em.lines):
        return []
    args = ", ".join(names[v.arg.name] for v in vars_)
    return [x.format(args=args, first=names[vars_[0].arg.name]) for x in be.constants]
