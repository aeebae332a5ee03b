"""Symmetric products G'*D*G found in a matrix chain, run as a Gram matrix B'*B.

Contract: `gram_split(factors)` returns `(middle, right)` when the chain
f_1*...*f_k is G'*G or G'*diag(d)*G: its factors read backwards and transposed are the
same factors, and a middle factor left over (k odd) is diag(d) with d provably
non-negative (`nonnegative`). `right` is G's factors and `middle` the vector d or None.
Then the product equals B'*B with B = sqrt(d) .* G (rows of G scaled), a symmetric
positive semi-definite matrix: code computes one triangle of it (BLAS syrk, half the flops
of a general product) and mirrors it, or `B.T @ B` where there is no syrk.

`nonnegative(node)` is a proof, not a guess: it answers True only for forms that are
non-negative at every input (squares and even powers, exp, sqrt, abs, softplus, sigmoid,
softmax, `1 - u` with u in [0, 1], products and sums of non-negative factors, variables
declared `positive`, non-negative constants). A False answer means "not proved".
"""

from __future__ import annotations

from ...ir.dims import Shape, is_column, is_row, is_scalar
from ...ir.node import Node
from ...ir.ops import Op


def kind(shape: Shape) -> str:
    """scalar, col, row or mat (emit.py uses the same words)."""
    if is_scalar(shape):
        return "scalar"
    if is_column(shape):
        return "col"
    return "row" if is_row(shape) else "mat"

_NONNEG_UNARY = {"exp", "sqrt", "abs", "softplus", "sigmoid", "softmax", "relu", "step",
                 "norm1", "norm2"}
# Entries in [0, 1]: 1 - u is then non-negative.
_UNIT_UNARY = {"sigmoid", "softmax", "step"}


def nonnegative(n: Node) -> bool:
    """Whether every entry of n is >= 0 at every input (proved from n's form)."""
    op = n.op
    if op == Op.CONST:
        return float(n.arg) >= 0.0
    if op == Op.FILL:
        return nonnegative(n.children[0])
    if op == Op.VAR:
        return "positive" in n.arg.props or "simplex" in n.arg.props or (
            "onehot" in n.arg.props)
    if op in _NONNEG_UNARY:
        return True
    if op == Op.POW:
        base, exponent = n.children
        if exponent.op == Op.CONST:
            e = float(exponent.arg)
            if e.is_integer() and int(e) % 2 == 0:
                return True
        return nonnegative(base)
    if op in (Op.HADAMARD, Op.MUL):
        kids = list(n.children)
        if all(nonnegative(c) for c in kids):
            return True
        # u .* u, a square, whatever the sign of u (each odd factor must pair up)
        rest = [c for c in kids if not nonnegative(c)]
        return all(rest.count(c) % 2 == 0 for c in rest)
    if op == Op.ADD:
        if all(nonnegative(c) for c in n.children):
            return True
        return _one_minus_unit(n)
    if op == Op.TRANSPOSE:
        return nonnegative(n.children[0])
    return False


def in_unit(n: Node) -> bool:
    """Whether every entry of n is in [0, 1] (proved from n's form)."""
    op = n.op
    if op in _UNIT_UNARY:
        return True
    if op == Op.CONST:
        return 0.0 <= float(n.arg) <= 1.0
    if op == Op.FILL:
        return in_unit(n.children[0])
    if op == Op.HADAMARD or op == Op.MUL:
        return all(in_unit(c) for c in n.children)
    if op == Op.POW:  # tanh(u).^2 and the squares of unit entries
        base, exponent = n.children
        if exponent.op == Op.CONST and float(exponent.arg) > 0:
            if in_unit(base):
                return True
            return base.op == Op.TANH and float(exponent.arg) % 2 == 0
    if op == Op.TRANSPOSE:
        return in_unit(n.children[0])
    return False


def _one_minus_unit(n: Node) -> bool:
    """n is 1 - u (u in [0, 1]), as the builders write it: add(1, mul(-1, u))."""
    if len(n.children) != 2:
        return False
    one, neg = n.children
    if one.op == Op.FILL:
        one = one.children[0]
    if not (one.op == Op.CONST and float(one.arg) == 1.0):
        return False
    if neg.op != Op.MUL or len(neg.children) != 2:
        return False
    c, u = neg.children
    return c.op == Op.CONST and float(c.arg) == -1.0 and in_unit(u)


def _mirror(a: Node, b: Node) -> bool:
    """a = b' (a diagonal factor is its own transpose)."""
    if a.op == Op.TRANSPOSE and a.children[0] == b:
        return True
    if b.op == Op.TRANSPOSE and b.children[0] == a:
        return True
    return a == b and (_diag_vector(a) is not None or kind(a.shape) == "scalar")


def _diag_vector(n: Node) -> Node | None:
    if n.op == Op.DIAG and kind(n.children[0].shape) in ("col", "row"):
        return n.children[0]
    return None


def gram_split(factors: list[Node]) -> tuple[Node | None, list[Node]] | None:
    """(d or None, G's factors) when the chain is G'*G or G'*diag(d)*G with d >= 0."""
    k = len(factors)
    if k < 2 or kind(factors[0].shape) != "mat" or kind(factors[-1].shape) != "mat":
        return None
    half = k // 2
    for i in range(half):
        if not _mirror(factors[i], factors[k - 1 - i]):
            return None
    middle = None
    if k % 2:
        middle = _diag_vector(factors[half])
        if middle is None or not nonnegative(middle):
            return None
    right = factors[k - half:]
    if all(_diag_vector(f) is not None for f in right):
        return None  # a product of diagonals: no matrix to take the Gram matrix of
    return middle, right
