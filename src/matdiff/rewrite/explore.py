"""Exploration: a bounded best-first search over equal forms, chosen by cost.

Contract: `explore(e, settled, trace)` returns the cheapest form of e (by
rewrite/cost.py: printed length, then evaluation cost) that the search reaches by
applying the equalities of rewrite/equalities.py, in either direction, at any node, and
that `settled` accepts (the driver passes "forward simplification leaves it unchanged",
so the result is also a fixed point of the rules); e itself when nothing cheaper is
found. The search is bounded: at most `MAX_EXPANSIONS` forms are expanded (cheapest
first) and at most `MAX_FORMS` distinct forms are priced, and expressions over
`MAX_SIZE` nodes are returned as they are; forms are interned nodes, so a form reached
twice is met once. With a `trace` list the equalities on the path from e to the result
are appended as (equality name, before, after) for step-by-step derivations. The result
is deterministic: ties are broken by the order in which forms were found.

Why a home-grown search and not equality saturation: bench/textbook_egglog.py measures
the `egglog` package on the same kind of equalities at 8-30 ms per small expression
(one EGraph, a few iterations), against a budget of 2 ms for a whole derivation
(bench/RESULTS.md); this search prices a few dozen forms in well under a millisecond.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

from ..errors import MatdiffError
from ..ir import build as b
from ..ir.node import Node
from ..ir.walk import topological
from .cost import cost
from .equalities import EQUALITIES, EQUALITIES_BY_OP

MAX_EXPANSIONS = 12
MAX_FORMS = 120
MAX_SIZE = 120
MAX_SETTLE_CHECKS = 3

Step = tuple[str, Node, Node]

_FINAL = frozenset(eq.name for eq in EQUALITIES if eq.final)


def _replace(root: Node, old: Node, new: Node) -> Node:
    """root with every occurrence of the node `old` replaced by `new`."""
    done: dict[int, Node] = {}
    for n in topological([root]):
        if n is old:
            done[id(n)] = new
            continue
        kids = [done[id(c)] for c in n.children]
        changed = any(k is not c for k, c in zip(kids, n.children, strict=True))
        done[id(n)] = b.rebuild(n, kids) if changed else n
    return done[id(root)]


def _neighbours(e: Node) -> Iterator[tuple[str, Node, Node, Node]]:
    """(equality name, node, its equal form, e with the node replaced) for every site."""
    for n in topological([e]):
        for eq in EQUALITIES_BY_OP.get(n.op, ()):
            for m in eq.forms(n):
                try:
                    yield eq.name, n, m, _replace(e, n, m)
                except (MatdiffError, ArithmeticError):
                    # a builder refused the rebuilt parent (a constant overflowed, say):
                    # that form is not offered
                    continue


def _search(e: Node) -> tuple[list[Node], dict[Node, tuple[Node, Step]]]:
    """Forms reached from e, cheapest first, and how each was reached."""
    parent: dict[Node, tuple[Node, Step]] = {}
    seen: dict[Node, tuple[tuple[int, int], int]] = {e: (cost(e), 0)}
    heap = [(cost(e), 0, e)]
    expansions = 0
    while heap and expansions < MAX_EXPANSIONS and len(seen) < MAX_FORMS:
        _, _, x = heapq.heappop(heap)
        expansions += 1
        for name, before, after, y in _neighbours(x):
            if y in seen:
                continue
            seen[y] = (cost(y), len(seen))
            parent[y] = (x, (name, before, after))
            heapq.heappush(heap, (seen[y][0], seen[y][1], y))
            if len(seen) >= MAX_FORMS:
                break
    ranked = sorted(seen, key=lambda n: seen[n])
    return ranked, parent


def _path(e: Node, y: Node, parent: dict[Node, tuple[Node, Step]]) -> list[Step]:
    steps: list[Step] = []
    while y is not e:
        y, step = parent[y]
        steps.append(step)
    return steps[::-1]


def explore(
    e: Node, settled: Callable[[Node], bool] = lambda n: True,
    trace: list[Step] | None = None,
) -> Node:
    if e.size > MAX_SIZE or not any(n.op in EQUALITIES_BY_OP for n in topological([e])):
        return e
    ranked, parent = _search(e)
    start = cost(e)
    checks = 0
    for y in ranked:
        if y is e or cost(y) >= start or checks >= MAX_SETTLE_CHECKS:
            break
        if parent[y][1][0] not in _FINAL:
            continue
        checks += 1
        if settled(y):
            if trace is not None:
                trace.extend(_path(e, y, parent))
            return y
    return e
