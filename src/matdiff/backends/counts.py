"""Counts in the printed mathematics: `sum(ones(m, n))` is the number m·n.

Contract: `ones_count(e)` returns the sizes whose product is the value of `e` when `e` is
`sum` of a fill of ones (`sum(ones(n, 1))`, `sum(ones(m, n))`) with sizes the language
can write, as a list of factors (`["n"]`, `["m", "n"]`, `["(m + p)"]`: a sum of sizes
parenthesised, a product split into its factors); else None. The LaTeX and Unicode
printers write those factors as the count (`n`, `m n`: the textbook's `1/n` for the mean);
the text printer keeps `sum(ones(n, 1))`, because a size name is not a value in the
language and the text must paste back in.
"""

from __future__ import annotations

from ..ir.build import is_one
from ..ir.node import Node
from ..ir.ops import Op
from .layout import writable_dim


def ones_count(e: Node) -> list[str] | None:
    """The factors of the count `sum(ones(...))` stands for (see the contract)."""
    if e.op != Op.SUM or len(e.children) != 1:
        return None
    f = e.children[0]
    if f.op != Op.FILL or not is_one(f.children[0]):
        return None
    factors: list[str] = []
    for d in f.shape:
        if d == 1:
            continue
        text = writable_dim(d)
        if text is None:
            return None
        if "+" in text:
            factors.append(f"({text})")
        else:
            factors.extend(p.strip() for p in text.split("*"))
    return factors or None
