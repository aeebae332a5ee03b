"""Reading the terms of canonical sums and products, for the rewrite rules.

Contract: pure functions of canonical nodes (as the builders make them) that split a
term into its parts; each part list rebuilds the term through the public builders
(`build.scale(c, base)` is the term `split_coefficient` split). They build only through
`matdiff.ir.build`'s public functions.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.dims import is_scalar
from ..ir.node import Node
from ..ir.ops import Op


def split_coefficient(x: Node) -> tuple[float, Node]:
    """x = c * base with c a number: the coefficient and the base (as the builders
    collect like terms: a fill of c is c times a fill of 1)."""
    if x.op == Op.CONST:
        return x.arg, b.ONE
    if x.op == Op.FILL and x.children[0].op == Op.CONST:
        return x.children[0].arg, b.fill(b.ONE, x.shape)
    if x.op == Op.MUL and x.children[0].op == Op.CONST:
        rest = x.children[1:]
        # the rest of a canonical product is canonical: mul rebuilds the same node (one
        # factor is that factor, and cheaper: rules split every term of every sum)
        return x.children[0].arg, rest[0] if len(rest) == 1 else b.mul(*rest)
    return 1.0, x


def coefficient(t: Node) -> float:
    """The numeric coefficient of a term (1 when it has none)."""
    if t.op == Op.MUL and t.children[0].op == Op.CONST:
        return t.children[0].arg
    return t.arg if t.op == Op.CONST else 1.0


def scalars_and_chain(t: Node) -> tuple[list[Node], list[Node]]:
    """t = (product of scalars) * F1*F2*...*Fk: the scalars and the factors F."""
    scalars: list[Node] = []
    core = t
    if t.op == Op.MUL and not is_scalar(t.shape):
        scalars, core = list(t.children[:-1]), t.children[-1]
    elif t.op == Op.MUL and t.children[0].op == Op.CONST:
        scalars, core = [t.children[0]], b.mul(*t.children[1:])
    factors = list(core.children) if core.op == Op.MATMUL else [core]
    return scalars, factors


def elementwise_factors(t: Node) -> tuple[Node, ...]:
    """The elementwise factors of t's base (t itself when it is no elementwise product)."""
    base = split_coefficient(t)[1]
    return base.children if base.op == Op.HADAMARD else (base,)
