"""Exploration: a bounded best-first search over equal forms, chosen by cost.

Contract: `explore(e, settled, trace)` returns the cheapest form of e (by
rewrite/cost.py: printed length, then evaluation cost) that the search reaches by
applying the equalities of rewrite/equalities.py, in either direction, at any node, and
that `settled` accepts (the driver accepts a form the forward rules leave as it is or
bring back to e, so simplifying the result again gives the result); e itself when
nothing cheaper is found. A form reached through a multiplying-out step is a result only
under the conditions of `_acceptable`. Expressions holding differentials (dX) and
expressions over `MAX_SIZE` nodes are returned as they are. The search is bounded: at
most `MAX_EXPANSIONS` forms are expanded (shortest first) and at most `MAX_FORMS`
distinct forms are priced; forms are interned nodes, so a form reached twice is met
once. With a `trace` list the equalities on the path from e to the result are appended
as (equality name, before, after) for step-by-step derivations. The result is
deterministic: ties are broken by the order in which forms were found.

Why a home-grown search and not equality saturation: bench/textbook_egglog.py measures
the `egglog` package on the same equalities at 11-13 ms median per textbook-table entry
(build, one to three iterations, extract), every entry over the 2 ms budget of a whole
derivation (bench/RESULTS.md); this search adds 0.05 ms CPU to the median derivation.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator

from ..errors import MatdiffError
from ..ir import build as b
from ..ir.node import Node
from ..ir.walk import topological
from .cost import cost, flops, printed_length
from .equalities import EQUALITIES, EQUALITIES_BY_OP

MAX_EXPANSIONS = 6
MAX_FORMS = 60
MAX_SIZE = 120
MAX_SETTLE_CHECKS = 3
MULTIPLIED_OUT_GAIN = 0.8

Step = tuple[str, Node, Node]

_FINAL = frozenset(eq.name for eq in EQUALITIES if eq.final)


def _replace(order: list[Node], old: Node, new: Node) -> Node:
    """The last node of `order` (a topological order, root last) with every occurrence
    of the node `old` replaced by `new`; only old's ancestors are rebuilt."""
    done: dict[Node, Node] = {old: new}
    for n in order:
        if n in done or not n.children:
            continue
        kids = [done.get(c, c) for c in n.children]
        if any(k is not c for k, c in zip(kids, n.children, strict=True)):
            done[n] = b.rebuild(n, kids)
    root = order[-1]
    return done.get(root, root)


def _neighbours(e: Node) -> Iterator[tuple[str, Node, Node, Node]]:
    """(equality name, node, its equal form, e with the node replaced) for every site."""
    order = topological([e])
    for n in order:
        for eq in EQUALITIES_BY_OP.get(n.op, ()):
            for m in eq.forms(n):
                try:
                    yield eq.name, n, m, _replace(order, n, m)
                except (MatdiffError, ArithmeticError):
                    # a builder refused the rebuilt parent (a constant overflowed, say):
                    # that form is not offered
                    continue


def _search(e: Node) -> tuple[list[Node], dict[Node, tuple[Node, Step]]]:
    """Forms reached from e, best first, and how each was reached. The search goes by
    printed length; the evaluation cost is priced only where it decides (forms as short
    as the best seen), since most forms are settled by length alone."""
    parent: dict[Node, tuple[Node, Step]] = {}
    seen: dict[Node, tuple[int, int]] = {e: (printed_length(e), 0)}
    heap = [(seen[e], e)]
    expansions = 0
    while heap and expansions < MAX_EXPANSIONS and len(seen) < MAX_FORMS:
        _, x = heapq.heappop(heap)
        expansions += 1
        for name, before, after, y in _neighbours(x):
            if y in seen:
                continue
            seen[y] = (printed_length(y), len(seen))
            parent[y] = (x, (name, before, after))
            heapq.heappush(heap, (seen[y], y))
            if len(seen) >= MAX_FORMS:
                break
    start = seen[e][0]
    ranked = sorted((y for y in seen if seen[y][0] <= start),
                    key=lambda y: (seen[y][0], flops(y), seen[y][1]))
    return ranked, parent


def _path(e: Node, y: Node, parent: dict[Node, tuple[Node, Step]]) -> list[Step]:
    steps: list[Step] = []
    while y is not e:
        y, step = parent[y]
        steps.append(step)
    return steps[::-1]


def _holds_differentials(e: Node) -> bool:
    """Expressions in dX are steps of a derivation (the differential before the
    derivative is read off it, term by term), not results a person reads: exploring them
    costs time (second differentials are the largest expressions a derivation makes) and
    changes no printed result."""
    return any(name.startswith("d:") for name in e.free)


def explore(
    e: Node, settled: Callable[[Node], bool] = lambda n: True,
    trace: list[Step] | None = None,
) -> Node:
    if e.size > MAX_SIZE or _holds_differentials(e) or not any(
            n.op in EQUALITIES_BY_OP for n in topological([e])):
        return e
    ranked, parent = _search(e)
    start = cost(e)
    checks = 0
    for y in ranked:
        if y is e or cost(y) >= start or checks >= MAX_SETTLE_CHECKS:
            break
        path = _path(e, y, parent)
        if not _acceptable(path, y, e):
            continue
        checks += 1
        if settled(y):
            if trace is not None:
                trace.extend(path)
            return y
    return e


def _acceptable(path: list[Step], y: Node, e: Node) -> bool:
    """A form reached through a multiplying-out step (an equality with final=False)
    is a result only when it does not end on one and pays for it: at most
    `MULTIPLIED_OUT_GAIN` of the start's printed length (terms that cancel once
    multiplied out, say), not a few characters saved by spreading a factor over terms
    (`s .* (1 - s)` stays, rather than `s - s.^2`)."""
    if path[-1][0] not in _FINAL:
        return False
    if all(name in _FINAL for name, _, _ in path):
        return True
    return printed_length(y) <= MULTIPLIED_OUT_GAIN * printed_length(e)
