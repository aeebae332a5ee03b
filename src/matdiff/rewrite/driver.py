"""The simplifier: named rewrite rules applied to a fixed point under a step budget.

Contract: `simplify(e, trace, budget)` returns e rewritten by the rules of
rewrite/rules.py until no rule applies or `budget` rewrites have been made; with a
`trace` list it records (rule name, before, after) for every rewrite, for step-by-step
derivations. Any depth of expression is fine: the walk is ir/walk.py's
`rewrite_to_fixpoint`, which does not recurse.

Rules live in rewrite/rules.py as data: a name, the identity it states, a guard and a
function from a matching node to its replacement. The driver rewrites bottom-up, tries
the rules indexed by the node's op, rebuilds through the builders (which keep canonical
forms), and repeats until nothing changes or the budget is spent.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.node import Node
from ..ir.walk import rewrite_to_fixpoint
from .rules import RULES_BY_OP

DEFAULT_BUDGET = 2000


def simplify(
    e: Node, trace: list[tuple[str, Node, Node]] | None = None, budget: int = DEFAULT_BUDGET
) -> Node:
    left = [budget]

    def rewrite_top(m: Node) -> Node | None:
        """The first rule that changes m, spending one from the budget."""
        if left[0] <= 0:
            return None
        for rule in RULES_BY_OP.get(m.op, ()):
            out = rule.apply(m)
            if out is not None and out is not m:
                left[0] -= 1
                if trace is not None:
                    trace.append((rule.name, m, out))
                return out
        return None

    return rewrite_to_fixpoint(e, rewrite_top, b.rebuild, more=lambda: left[0] > 0)
