"""The cost of an expression, by which exploration chooses among equal forms.

Contract: `cost(e)` is the pair (length of the printed form, evaluation cost estimate),
compared lexicographically: the shorter form a person reads wins, and among forms of one
length the cheaper to evaluate. `flops(e)` is the estimate: floating-point operations to
evaluate e once with every size name standing for `NOMINAL` (100), each distinct
subexpression counted once (generated code reuses common subexpressions), matrix chains
multiplied left to right as written. Both are memoized on the interned node, so a form
met again in a search costs nothing to price.

The printed length is the text printer's (`str(e)`, the language a person pastes back).
The printer lives in a layer above this one and registers itself in ir.node.PRINTERS
when matdiff is imported; without it (ir and rewrite imported alone) the node count
stands in, which orders forms the same way for the purposes of a test.
"""

from __future__ import annotations

import weakref

from ..ir.dims import Dim, Shape, dim_terms
from ..ir.node import PRINTERS, Node
from ..ir.ops import Op
from ..ir.walk import topological

NOMINAL = 100  # what a size name stands for when operations are counted

# Ops whose cost grows with the cube of the side (factorisations), not with the entries.
CUBIC = frozenset({"inv", "det", "logdet", "mpow", "sqrtm", "expm", "pinv"})

_length: weakref.WeakKeyDictionary[Node, int] = weakref.WeakKeyDictionary()
_flops: weakref.WeakKeyDictionary[Node, int] = weakref.WeakKeyDictionary()


def size_of(d: Dim) -> int:
    """A dimension's nominal value: names stand for NOMINAL (`m*n` is 10,000)."""
    if isinstance(d, int):
        return d
    return sum(c * NOMINAL ** len(names) for c, names in dim_terms(d))


def entries(s: Shape) -> int:
    return size_of(s[0]) * size_of(s[1])


def printed_length(e: Node) -> int:
    n = _length.get(e)
    if n is None:
        printer = PRINTERS.get("text")
        n = len(printer(e)) if printer is not None else e.size
        _length[e] = n
    return n


def _own_flops(n: Node) -> int:
    """Operations n performs on its children's values."""
    if not n.children or n.op == Op.TRANSPOSE:  # leaves; a transpose is a view
        return 0
    out = entries(n.shape)
    if n.op == Op.MATMUL:
        rows, total = size_of(n.children[0].shape[0]), 0
        inner = size_of(n.children[0].shape[1])
        for f in n.children[1:]:
            cols = size_of(f.shape[1])
            total += rows * inner * cols
            inner = cols
        return total
    if n.op in (Op.ADD, Op.MUL, Op.HADAMARD):
        return (len(n.children) - 1) * out
    if n.op in CUBIC:
        side = size_of(n.children[0].shape[0])
        return side ** 3
    # functions, reductions, transposes, fills: one pass over inputs and output
    return out + sum(entries(c.shape) for c in n.children)


def flops(e: Node) -> int:
    total = _flops.get(e)
    if total is None:
        total = sum(_own_flops(n) for n in topological([e]))
        _flops[e] = total
    return total


def cost(e: Node) -> tuple[int, int]:
    """(printed length, flops): smaller is better, compared in that order."""
    return printed_length(e), flops(e)
