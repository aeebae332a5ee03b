"""The simplifier: named rewrite rules applied to a fixed point under a step budget.

Rules live in rewrite/rules.py as data: a name, the identity it states, a guard and a
function from a matching node to its replacement. The driver rewrites bottom-up, tries
the rules indexed by the node's op, rebuilds through the builders (which keep canonical
forms), and repeats until nothing changes or the budget is spent. With a `trace` list it
records (rule name, before, after) for every rewrite, for step-by-step derivations.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.node import Node

DEFAULT_BUDGET = 2000


def simplify(
    e: Node, trace: list[tuple[str, Node, Node]] | None = None, budget: int = DEFAULT_BUDGET
) -> Node:
    from .rules import RULES_BY_OP

    state = {"budget": budget}
    memo: dict[Node, Node] = {}

    def go(n: Node) -> Node:
        got = memo.get(n)
        if got is not None:
            return got
        children = [go(c) for c in n.children]
        m = b.rebuild(n, children) if any(
            c is not o for c, o in zip(children, n.children, strict=True)
        ) else n
        for _ in range(50):
            if state["budget"] <= 0:
                break
            for rule in RULES_BY_OP.get(m.op, ()):
                out = rule.apply(m)
                if out is not None and out is not m:
                    state["budget"] -= 1
                    if trace is not None:
                        trace.append((rule.name, m, out))
                    m = go(out) if out.op != m.op or out.children != m.children else out
                    break
            else:
                break
        memo[n] = m
        return m

    prev = None
    out = e
    while out is not prev and state["budget"] > 0:
        prev = out
        memo.clear()
        out = go(out)
    return out
