"""Rewrite rules for the batched forms (issue 11, item 6), registered in rewrite/rules.py's
table like every other rule (a name, the identity, examples checked numerically by
tests/rewrite/test_rewrite_rules.py).

Contract: products with a vector of ones read as sums along a dimension
(`vector(1)'*A = sum(A, 1)`, `A*vector(1) = sum(A, 2)`, not for a transposed A: the
gradient of sum(A*x) stays `A'*vector(1)`; a constant matrix times A is the ones times
A's column sums, `matrix(c)*A = c*vector(1)*sum(A, 1)` — the builders fold an outer
product of constants, `vector(1)*vector(1)'`, into `matrix(1)`), and the column
sums of a matrix declared onehot or simplex (per column: a batch of labels or of
probability vectors) are ones (`sum(Y, 1) = vector(1)'`). Together they turn the
gradient of the batched cross-entropy `-sum(Y .* log(softmax(W*X, 1)))` into
`(softmax(W*X, 1) - Y)*X'`.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.dims import is_column, is_row
from ..ir.node import Node
from .rules import rule


def _ones(f: Node) -> bool:
    return f.op == "fill" and b.is_one(f.children[0])


def _column_of(fill: Node) -> Node:
    """The column of a fill's value with the fill's number of rows (c for 1 row)."""
    return b.fill(fill.children[0], (fill.shape[0], 1))


def _row_of(fill: Node) -> Node:
    return b.fill(fill.children[0], (1, fill.shape[1]))


def _matrix(f: Node) -> bool:
    return not (is_column(f.shape) or is_row(f.shape) or f.shape == (1, 1))


@rule(
    "ones-product-is-sum",
    "matmul",
    "vector(1)'*A = sum(A, 1) and A*vector(1) = sum(A, 2): a product with ones sums "
    "down the columns or along the rows; matrix(c)*A = c*vector(1)*sum(A, 1) and "
    "A*matrix(c) = c*sum(A, 2)*vector(1)'",
    ("vector(1)'*A*x", {}),
    ("A*vector(1)", {}),
    ("Y + vector(1)*vector(1)'*Y", {}),
    ("Y*matrix(2) + Z", {"Y": "matrix m n", "Z": "matrix m p"}),
)
def ones_product_is_sum(n: Node) -> Node | None:
    # Not for a transposed matrix: A'*vector(1) stays as the textbook writes the
    # gradient of sum(A*x) (it would read sum(A, 1)'), as before the batched forms.
    fs = list(n.children)
    for i in range(len(fs) - 1):
        p, q = fs[i], fs[i + 1]
        if p.op == "fill" and _matrix(q) and q.op != "transpose":
            sums = b.sum_dim(q, 1)
            summed = sums if _ones(p) and is_row(p.shape) else b.matmul(_column_of(p), sums)
            return b.matmul_chain([*fs[:i], summed, *fs[i + 2:]])
        if q.op == "fill" and _matrix(p) and p.op != "transpose":
            sums = b.sum_dim(p, 2)
            summed = sums if _ones(q) and is_column(q.shape) else b.matmul(sums, _row_of(q))
            return b.matmul_chain([*fs[:i], summed, *fs[i + 2:]])
    return None


@rule(
    "column-sums-of-onehot",
    "sumdim",
    "sum(Y, 1) = vector(1)' for Y declared onehot or simplex (each column sums to 1)",
    ("sum(Y, 1)", {"Y": "matrix onehot"}),
    ("sum(P, 1)", {"P": "matrix m n simplex"}),
)
def column_sums_of_onehot(n: Node) -> Node | None:
    v = n.children[0]
    if n.arg == 1 and v.op == "var" and v.arg.props & {"onehot", "simplex"}:
        return b.fill(b.ONE, n.shape)
    return None
