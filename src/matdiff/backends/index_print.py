"""Index form, the printing: terms and tensor heads as one line of text.

Contract: `term_text(t)` writes a `Term` as `-2*A[i,p]*x[p]` (a negative power of a
scalar atom as a division: `.../(x'*x)^2`), `factor_text(f)` one factor (`δ[i,k]`,
`inv(X)[i,k]`, `(x'*A*x)`), `bracket(slots)` the index brackets (`[i,(a,b)]`, composites
in parentheses), `superscript(k)` the order in `∂²`. Atoms print as backends/text.py
prints them, parenthesised unless they are a name or a function call. Pure functions of
their arguments; nothing here renames or reorders indices.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir import build as b
from ..ir.node import Node
from ..ir.ops import OPS, Op
from .index_terms import Factor, Slot, Term
from .text import ATOM, _p, format_number


def bracket(slots: Sequence[Slot]) -> str:
    if not slots:
        return ""
    return "[" + ",".join(_slot_text(s) for s in slots) + "]"


def _slot_text(s: Slot) -> str:
    if len(s) == 1:
        return s[0].name
    return "(" + ",".join(ix.name for ix in s) + ")"


def _atom_name(n: Node) -> str:
    text, level = _p(n)
    plain = n.op == Op.VAR or (
        level == ATOM and n.op in OPS and OPS[n.op].category in ("function", "elementwise")
    )
    return text if plain else f"({text})"


def factor_text(f: Factor) -> str:
    if f.kind == "delta":
        return "δ" + bracket(f.slots)
    assert f.node is not None
    if f.kind == "dvar":
        return _p(f.node)[0] + bracket(f.slots)
    return _atom_name(f.node) + bracket(f.slots)


def term_text(t: Term) -> str:
    num: list[str] = []
    den: list[str] = []
    for f in t.factors:
        node = f.node
        ex = b.const_value(node.children[1]) if node is not None and node.op == Op.POW else None
        if f.kind == "atom" and not f.slots and node is not None and ex is not None and ex < 0:
            e = -ex
            base = _atom_name(node.children[0])
            den.append(base if e == 1.0 else f"{base}^{format_number(e)}")
        else:
            num.append(factor_text(f))
    c = t.coef
    if abs(c) != 1.0 or not num:
        num.insert(0, format_number(abs(c)))
    text = "*".join(num)
    if den:
        text += "/" + (den[0] if len(den) == 1 else "(" + "*".join(den) + ")")
    return ("-" if c < 0 else "") + text


_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def superscript(k: int) -> str:
    return str(k).translate(_SUPERSCRIPTS)
