"""Small helpers the op records' rules share (ir/ops_*.py).

Contract: `nonzero(ds)` lists the children's differentials that are not None (None:
the child does not depend on the variable); `total` adds terms (None for none);
`only(linear)` is the one child holding dX in a product, an InternalError for two (the
differential would not be linear); `linear_rule(build)` is the differential of an op
linear in its one child, d(f(X)) = f(dX).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..errors import InternalError
from .core import add
from .node import Node
from .ops import DiffFn, Diffs

VJ = Callable[[Node], Node]  # a subexpression -> its Kronecker form (identification)


def only(linear: Sequence[int]) -> int:
    """The one child holding dX in a product; two would make it not linear."""
    if len(linear) != 1:
        raise InternalError("the differential is not linear (dX appears in two factors)")
    return linear[0]


def total(terms: list[Node]) -> Node | None:
    return add(*terms) if terms else None


def nonzero(ds: Diffs) -> list[tuple[int, Node]]:
    return [(i, d) for i, d in enumerate(ds) if d is not None]


def others(x: Node, i: int) -> list[Node]:
    """x's children but the i-th."""
    return [c for j, c in enumerate(x.children) if j != i]


def linear_rule(build: Callable[[Node], Node]) -> DiffFn:
    def rule(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
        return build(ds[0]) if ds[0] is not None else None

    return rule
