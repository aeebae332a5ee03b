"""Rewrite rules for constant structure (issue 11 item 2), registered in rewrite/rules.py's
table like every other rule: a name, the identity as a pattern, and examples that
tests/rewrite/test_rewrite_rules.py checks numerically.

Contract: `reciprocal-inner-product` turns a product of a vector with its elementwise
reciprocal into the count of its entries, `(1 ./ s)'*s = s'*(1 ./ s) = n` for s of n
entries, written `sum(ones(n, 1))` (the language's spelling of a size as a value; the
LaTeX and Unicode printers show it as `n`, backends/counts.py). It fires anywhere in a
product chain, `(1 ./ s)'*s*x = sum(ones(n, 1))*x`. The identity holds wherever 1 ./ s
is defined (no zero entry), which is where the expression it replaces has a value.

Folds that are always wanted (`vector(1)*vector(1)' = matrix(1)`, `s ./ s = vector(1)`,
`sum` of a fill) are the builders' (ir/build.py); this module holds only the choices.

Registration: rewrite/rules.py assembles RULES from this module's `RULES` and places
the rule in its ORDER.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import build as b
from ..ir.node import Node
from .pattern import any_, column, const, op, row, run_any
from .rule import Rule, rule


def _count(v: Node, pre: Sequence[Node], post: Sequence[Node]) -> Node:
    """The chain with the pair replaced by v's number of entries."""
    return b.matmul_chain([*pre, b.sum_(b.fill(b.ONE, v.shape)), *post])


RULES: list[Rule] = [rule(
    "reciprocal-inner-product",
    "(1 ./ s)'*s = s'*(1 ./ s) = n, the number of entries of s (sum(ones(n, 1)))",
    (run_any("matmul", {
        "reciprocal-first": (op("pow", op("transpose", any_("v")), const(-1.0), where=row),
                             any_("v", where=column)),
        "reciprocal-second": (op("transpose", any_("v"), where=row),
                              op("pow", any_("v"), const(-1.0), where=column)),
    }, before="pre", after="post"), _count),
    examples=(("(1 ./ s)'*s", {}), ("s'*(1 ./ s)", {}), ("(1 ./ s)'*s*x", {}),
              ("A*x*((1 ./ s)'*s)", {})),
)]
