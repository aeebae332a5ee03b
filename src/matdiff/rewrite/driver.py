"""The simplifier: named rewrite rules applied to a fixed point under a step budget,
then a bounded exploration of equal forms chosen by cost.

Contract: `simplify(e, trace, budget, explore)` returns e rewritten by the rules of
rewrite/rules.py until no rule applies or `budget` rewrites have been made (`forward`),
then explored (below) unless `explore=False`; with a `trace` list it records (rule or
equality name, before, after) for every rewrite, for step-by-step derivations.
`simplify(simplify(e)) is simplify(e)`. Any depth of expression is fine: the walk is ir/walk.py's
`rewrite_to_fixpoint`, which does not recurse.

Rules live in rewrite/rules.py as data: a name, the identity it states, a guard and a
function from a matching node to its replacement. The driver rewrites bottom-up, tries
the rules indexed by the node's op, rebuilds through the builders (which keep canonical
forms), and repeats until nothing changes or the budget is spent.

Then exploration (rewrite/explore.py): a bounded search over the named equalities of
rewrite/equalities.py, in both directions, for an equal form that prints shorter (or as
short and cheaper to evaluate) that the rules leave as it is or bring back to where the
search started; repeated while it finds one (at most `EXPLORE_ROUNDS` times).
`explore=False` gives the forward rules alone.
"""

from __future__ import annotations

from collections.abc import Callable

from ..ir import build as b
from ..ir.node import Node
from ..ir.walk import rewrite_to_fixpoint
from .explore import explore as explore_forms
from .rules import RULES_BY_OP

DEFAULT_BUDGET = 2000
EXPLORE_ROUNDS = 3

# Explored forms by forward-simplified node: a derivation simplifies the same
# expression several times (each order, each differential), and exploration is the
# dearer half. Interned nodes make the node itself the key; cleared when full.
_EXPLORED: dict[Node, Node] = {}
_EXPLORED_LIMIT = 4096


def simplify(
    e: Node, trace: list[tuple[str, Node, Node]] | None = None, budget: int = DEFAULT_BUDGET,
    explore: bool = True,
) -> Node:
    out = forward(e, trace, budget)
    if not explore or EXPLORE_ROUNDS == 0:
        return out
    memo = trace is None and budget == DEFAULT_BUDGET
    if memo and out in _EXPLORED:
        return _EXPLORED[out]
    start = out
    for _ in range(EXPLORE_ROUNDS):
        better = explore_forms(out, _settles(out, budget), trace)
        if better is out:
            break
        out = better
    if memo:
        if len(_EXPLORED) >= _EXPLORED_LIMIT:
            _EXPLORED.clear()
        _EXPLORED[start] = out
    return out


def clear_memo() -> None:
    """Forget explored forms (a benchmark timing a derivation from cold calls this)."""
    _EXPLORED.clear()


def _settles(start: Node, budget: int) -> Callable[[Node], bool]:
    """Whether an explored form y may be the result: the rules leave y as it is, or
    bring it back to `start` (a rule that undoes the step, as common-numeric-factor takes
    the 2 back out of exp(-t^2)*(4*t^2 - 2)); either way simplifying y again ends at y,
    since exploring `start` finds y again (the search is deterministic)."""

    def ok(y: Node) -> bool:
        f = forward(y, None, budget)
        return f is y or f is start

    return ok


def forward(
    e: Node, trace: list[tuple[str, Node, Node]] | None = None, budget: int = DEFAULT_BUDGET
) -> Node:
    """The rules of rewrite/rules.py applied bottom-up to a fixed point (or the budget)."""
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
