"""Generated code, the text of one expression: parentheses and comments.

Contract: pure string functions. `paren(code)` parenthesises code unless it is a name,
a number or already atomic (`f(x)`, `x.T`, `x[0]`); `paren_sum(code)` parenthesises a
sum or difference; `node_comment(n)` is a node as backends/text.py prints it, on one
line, cut to 60 characters (an op's name where printing fails: a comment must never
fail the generation).
"""

from __future__ import annotations

from ...ir.node import Node
from ..text import to_text


def node_comment(n: Node, limit: int = 60) -> str:
    try:
        t = to_text(n)
    except Exception:  # a comment must never fail the generation
        return n.op
    t = t.replace("\n", " ")
    return t if len(t) <= limit else t[: limit - 3] + "..."


def paren(code: str) -> str:
    """Parenthesise code unless it is a name, a number, or already atomic."""
    if code.isidentifier() or _is_number(code) or _atomic(code):
        return code
    return f"({code})"


def paren_sum(code: str) -> str:
    return code if " + " not in code and " - " not in code else f"({code})"


def _is_number(code: str) -> bool:
    try:
        float(code)
        return True
    except ValueError:
        return False


def _atomic(code: str) -> bool:
    """name.attr, name[...], f(...) with balanced outer brackets and no top-level op."""
    depth = 0
    for ch in code:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in " +-*/@<>=":
            return False
    return depth == 0 and not code.startswith("-")
