"""Constants that name their sizes, for shape inference (parse/typing.py).

Contract: `SizedConstants` is the part of the typer that reads `eye(n)`,
`commutation(m, n)`, the sized fills `zeros(m, n)`, `ones(m, n)`, `vector(c, n)`,
`matrix(c, m, n)`, and MATLAB's column-major `reshape(v, m, n)`. A size is a whole
number, a size name, or sums and products of them (`m*n + p`, as the printers write
block and vec sizes); a declared name is that size, an undeclared one is one size
throughout the expression, inferred from context (or left symbolic, named so). The
printers write these where nothing else in a result sizes a constant, so every printed
result reads back at its shape (issue 9). Bad input raises a `MatdiffError` with the
span and the form to write.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import MatdiffError, NameError_
from . import syntax as s
from .declarations import Declaration
from .unify import ONE, Fixed, Prod, Solver, Sum, Term, is_one, normal

TShape = tuple[Term, Term]
SIZED = {"eye": 1, "commutation": 2}  # constants that may name their size
# Fills that name their size (the printer writes these where nothing else sizes a
# fill), and reshape (column-major, MATLAB's, the inverse of vec).
SIZED_FILLS = {"zeros": "zeros(m, n)", "ones": "ones(m, n)", "vector": "vector(c, n)",
               "matrix": "matrix(c, m, n)", "reshape": "reshape(v, m, n)"}
SIZED_ARITY = {"zeros": 2, "ones": 2, "vector": 2, "matrix": 3, "reshape": 3}


class SizedConstants:
    """A mixin of the typer (`parse.typing._Typer`), which provides these."""

    decls: dict[str, tuple[Declaration, str]]
    solver: Solver
    shapes: dict[int, TShape]
    sized: list[tuple[s.Ast, str]]
    named_sizes: list[tuple[Term, str]]
    visit: Callable[[s.Ast], TShape]
    describe: Callable[[s.Ast, TShape], str]
    fmt: Callable[[TShape], str]
    arity: Callable[[s.Call, int], None]
    error: Callable[..., MatdiffError]

    def sized_constant(self, node: s.Call) -> TShape:
        """`eye(n)` (the n×n identity) and `commutation(m, n)` (K with K*vec(X) = vec(X')
        for X m×n): the printer writes these where nothing else would size them."""
        n = node.name
        self.arity(node, SIZED[n])
        dims: list[Term] = []
        for a in node.args:
            t = self.size_term(node, a)
            self.shapes[id(a)] = (t, ONE)
            dims.append(t)
        if n == "eye":
            return (dims[0], dims[0])
        size = normal(Prod(dims[0], dims[1]))
        return (size, size)

    def size_term(self, node: s.Call, a: s.Ast) -> Term:
        """A size written in a call: a whole number, a size name (declared, or named
        here and inferred from context as for a bare eye), or their products and sums
        (`m*n`, `m+n`, as the printer writes sizes)."""
        n = node.name
        rigid = {d for decl, _ in self.decls.values() for d in decl.dims if isinstance(d, str)}
        if isinstance(a, s.Num) and float(a.value).is_integer() and a.value >= 1:
            return Fixed(int(a.value))
        if isinstance(a, s.Name) and a.name in rigid:
            return Fixed(a.name)
        if isinstance(a, s.Name) and a.name.isidentifier():
            for t, name in self.named_sizes:  # one name, one size
                if name == a.name:
                    return t
            t = self.solver.fresh(anchored=False)
            self.sized.append((node, n))
            self.named_sizes.append((t, a.name))
            return t
        if isinstance(a, s.Group):
            return self.size_term(node, a.inner)
        if isinstance(a, s.Chain) and all(st.op in ("*", "+") for st in a.steps):
            # one chain holds one precedence level: `m*n + p` is a sum of products
            total = self.size_term(node, a.first)
            for st in a.steps:
                t = self.size_term(node, st.operand)
                total = normal(Prod(total, t) if st.op == "*" else Sum(total, t))
            return total
        raise self.error(f"the size in {n}(...) must be a whole number or a size name "
                         "such as n", a.span, hint=f"write {n}(n), {n}(3) or {n}(m*n)"
                         if n in SIZED else f"write {SIZED_FILLS[n]}")

    def sized_fill(self, node: s.Call) -> TShape:
        """`zeros(m, n)`, `ones(m, n)`, `vector(c, n)`, `matrix(c, m, n)` and
        `reshape(v, m, n)`: the sizes are the last arguments."""
        n = node.name
        want = SIZED_ARITY[n]
        if len(node.args) != want:
            raise self.error(f"{n} takes {want} arguments, got {len(node.args)}", node.span,
                             hint=f"write {SIZED_FILLS[n]}"
                             + (f" ({n}(n, 1) is a column)" if n in ("zeros", "ones") else ""),
                             cls=NameError_)
        first: TShape | None = None
        if n in ("vector", "matrix", "reshape"):
            first = self.visit(node.args[0])
            if n != "reshape" and not (is_one(first[0]) and is_one(first[1])):
                raise self.error(f"{n}(c, ...) needs a scalar c, but "
                                 f"{self.describe(node.args[0], first)} is not one",
                                 node.span, hint=f"write {SIZED_FILLS[n]}")
        size_args = node.args[want - (1 if n == "vector" else 2):]
        dims = [self.size_term(node, a) for a in size_args]
        for a, t in zip(size_args, dims, strict=True):
            self.shapes[id(a)] = (t, ONE)
        shape: TShape = (dims[0], ONE) if n == "vector" else (dims[0], dims[1])
        if n == "reshape" and first is not None:
            def err() -> MatdiffError:
                return self.error(f"cannot reshape {self.describe(node.args[0], first)} "
                                  f"to {self.fmt(shape)}: the numbers of entries differ",
                                  node.span, hint="reshape(v, m, n) needs v with m*n entries")
            self.solver.equate(Prod(first[0], first[1]), Prod(shape[0], shape[1]), err)
        return shape
