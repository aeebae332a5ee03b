"""Index form, the naming: which letters the free indices of a derivative tensor take.

Contract: index letters never take a size's or a variable's name (`m` is not an index
where m is a size). `reserved_names(roots)` is the set of those names in the expressions
`roots`; `index_letters(reserved)` yields the letters in the usual order (i, j, k, l, m,
n, ...), then i1, i2, ...; `wrt_names(shapes, pool)` names the variable's indices per
order, from the pool: single letters while at most four are needed, `k1, l1, k2, l2,
...` beyond, and "" for a dimension of 1. `free_slot(name, dim)` is the slot of a free
index (None for a dimension of 1).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from ..ir.dims import Dim
from ..ir.node import Node, variables_in
from .evaluate import dim_names, walk
from .index_terms import Index, Slot


def free_slot(name: str, dim: Dim) -> Slot | None:
    return None if dim == 1 else (Index(name, dim),)


def reserved_names(roots: Sequence[Node]) -> set[str]:
    """Names an index must not take: the sizes and the variables of the expressions."""
    names = set(variables_in(roots))
    for n in walk(roots):
        for d in n.shape:
            if isinstance(d, str):
                names |= dim_names(d)
    return names


def index_letters(reserved: set[str]) -> Iterator[str]:
    """Index letters in the usual order (i, j, k, l, m, n, ...), skipping reserved names."""
    for name in "ijklmnpqrstuvwabcdegh":
        if name not in reserved:
            yield name
    for k in itertools.count(1):
        yield f"i{k}"


def wrt_names(shapes: Sequence[tuple[Dim, Dim]], pool: Iterator[str]) -> list[tuple[str, str]]:
    per = [sum(1 for d in s if d != 1) for s in shapes]
    if sum(per) <= 4:
        return [(next(pool) if s[0] != 1 else "", next(pool) if s[1] != 1 else "") for s in shapes]
    first, second = next(pool), next(pool)
    return [(f"{first}{m}", f"{second}{m}") for m in range(1, len(shapes) + 1)]
