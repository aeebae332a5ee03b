"""Generated code, matrix products: the chain factors and the cost model that orders them.

Contract: pure functions of nodes and trial sizes, emitting nothing.

- `ChainFactor(node)` is a factor of a matrix chain; a diagonal matrix diag(v) is kept
  as its vector (`.diag`), and `DiagInterval` is a product of such factors (itself
  diagonal).
- `chain_plan(fs, sizes)` is the matrix-chain DP's order at the given sizes, as nested
  ((lo, hi), left, right) tuples with factor indices at the leaves (diagonal factors
  multiply entrywise; ties go right-first).
- `chain_cost` and `sum_cost` are the cost model: flops divided by FLOPS_PER_ELEMENT
  plus elements moved through memory.
- `size_names(factors)` are the symbolic sizes of a chain, `size_trials(factors)` the
  size assignments the order is tried at (TRIAL_SIZES), DEFAULT_SIZE the one used when
  the order does not depend on the sizes.
"""

from __future__ import annotations

import itertools

from ...ir.node import Node
from ...ir.ops import Op
from ..evaluate import dim_names, resolve
from .gram import kind

# Sizes the chain order is tried at (every symbolic size takes each value in turn).
TRIAL_SIZES = (2, 40, 1000, 6000)
DEFAULT_SIZE = 1000
# Cost model: one element moved through memory costs about as much as this many flops
# of a matrix product (BLAS-3 runs near peak, vector and elementwise work is
# memory-bound).
FLOPS_PER_ELEMENT = 16.0


class ChainFactor:
    """A chain factor: a node, or a diagonal matrix diag(v) kept as its vector v."""

    __slots__ = ("node", "diag")

    def __init__(self, node: Node) -> None:
        self.node = node
        child = node.children[0] if node.op == Op.DIAG else None
        self.diag = child is not None and kind(child.shape) in ("col", "row")


class DiagInterval:
    """A product of diagonal factors, itself diagonal: carried as its vector."""

    diag = True

    def __init__(self, node: Node) -> None:
        self.node = node


def size_names(factors: list[Node]) -> list[str]:
    out: list[str] = []
    for f in factors:
        for d in f.shape:
            if isinstance(d, str):
                out.extend(sorted(dim_names(d) - set(out)))
    return out


def size_trials(factors: list[Node]) -> list[dict[str, int]]:
    names = size_names(factors)
    if len(names) <= 3:
        return [dict(zip(names, v, strict=True))
                for v in itertools.product(TRIAL_SIZES, repeat=len(names))]
    return [dict.fromkeys(names, s) for s in TRIAL_SIZES]


def _dims(fs: list[ChainFactor], sizes: dict[str, int]) -> list[int]:
    return [resolve(fs[0].node.shape[0], sizes)] + [resolve(f.node.shape[1], sizes) for f in fs]


def chain_plan(fs: list[ChainFactor], sizes: dict[str, int]):
    """Matrix-chain DP (diagonal factors multiply entrywise); ties go right-first."""
    p = _dims(fs, sizes)
    k = len(fs)
    best: dict[tuple[int, int], tuple[float, object, bool]] = {}
    for i in range(k):
        best[(i, i)] = (0.0, i, fs[i].diag)
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            choice = None
            for s in range(i, j):
                lc, lp, ld = best[(i, s)]
                rc, rp, rd = best[(s + 1, j)]
                if ld and rd:
                    step = p[i]
                elif ld:
                    step = p[s + 1] * p[j + 1]
                elif rd:
                    step = p[i] * p[s + 1]
                else:
                    step = p[i] * p[s + 1] * p[j + 1]
                cost = lc + rc + step
                if choice is None or cost < choice[0]:
                    choice = (cost, ((i, j), lp, rp), ld and rd)
            best[(i, j)] = choice  # type: ignore[assignment]
    return best[(0, k - 1)][1]


def chain_cost(factors: list[Node], sizes: dict[str, int]) -> float:
    fs = [ChainFactor(f) for f in factors]
    p = _dims(fs, sizes)
    plan = chain_plan(fs, sizes)

    def cost(q) -> tuple[float, int, int]:
        if isinstance(q, int):
            return 0.0, p[q], p[q + 1]
        _, left, right = q
        lc, r, k = cost(left)
        rc, _, c = cost(right)
        flops = 2.0 * r * k * c
        traffic = r * k + k * c + r * c
        return lc + rc + flops / FLOPS_PER_ELEMENT + traffic, r, c

    return cost(plan)[0]


def sum_cost(f: Node, sizes: dict[str, int]) -> float:
    r, c = (resolve(d, sizes) for d in f.shape)
    strided = sum(1 for t in f.children if t.op == Op.TRANSPOSE)
    return (len(f.children) + 1 + strided) * r * c
