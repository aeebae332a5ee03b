"""Rewrite rules for constant structure (issue 11 item 2), registered in rewrite/rules.py's
table like every other rule: a name, the identity, and examples that
tests/rewrite/test_rewrite_rules.py checks numerically.

Contract: `reciprocal-inner-product` turns a product of a vector with its elementwise
reciprocal into the count of its entries, `(1 ./ s)'*s = s'*(1 ./ s) = n` for s of n
entries, written `sum(ones(n, 1))` (the language's spelling of a size as a value; the
LaTeX and Unicode printers show it as `n`, backends/counts.py). It fires anywhere in a
product chain, `(1 ./ s)'*s*x = sum(ones(n, 1))*x`. The identity holds wherever 1 ./ s
is defined (no zero entry), which is where the expression it replaces has a value.

Folds that are always wanted (`vector(1)*vector(1)' = matrix(1)`, `s ./ s = vector(1)`,
`sum` of a fill) are the builders' (ir/build.py); this module holds only the choices.

Registration: rewrite/rules.py imports this module at its end, as it does
batched_rules.py (`from . import rules_constants  # noqa: E402, F401`).
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.build import const_value
from ..ir.dims import is_column, is_row
from ..ir.node import Node
from .rules import rule


def _reciprocal_of(x: Node) -> Node | None:
    """v for `1 ./ v` (the elementwise power -1), else None."""
    if x.op == "pow" and const_value(x.children[1]) == -1.0:
        return x.children[0]
    return None


def _transposed(x: Node) -> Node | None:
    return x.children[0] if x.op == "transpose" else None


def _is_reciprocal_pair(row: Node, col: Node) -> bool:
    """Whether row*col is (1 ./ v)'*v or v'*(1 ./ v) for one column v."""
    inverse_row = _reciprocal_of(row)
    if inverse_row is not None and _transposed(inverse_row) is col:
        return True
    inverse_col = _reciprocal_of(col)
    return inverse_col is not None and _transposed(row) is inverse_col


@rule(
    "reciprocal-inner-product",
    "matmul",
    "(1 ./ s)'*s = s'*(1 ./ s) = n, the number of entries of s (sum(ones(n, 1)))",
    ("(1 ./ s)'*s", {}),
    ("s'*(1 ./ s)", {}),
    ("(1 ./ s)'*s*x", {}),
    ("A*x*((1 ./ s)'*s)", {}),
)
def reciprocal_inner_product(n: Node) -> Node | None:
    fs = list(n.children)
    for i in range(len(fs) - 1):
        p, q = fs[i], fs[i + 1]
        if is_row(p.shape) and is_column(q.shape) and _is_reciprocal_pair(p, q):
            count = b.sum_(b.fill(b.ONE, q.shape))
            return b.matmul_chain([*fs[:i], count, *fs[i + 2:]])
    return None
