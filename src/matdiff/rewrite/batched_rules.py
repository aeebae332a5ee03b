"""Rewrite rules for the batched forms (issue 11, item 6), registered in rewrite/rules.py's
table like every other rule (a name, the identity, examples checked numerically by
tests/rewrite/test_rewrite_rules.py).

Contract: products with a vector of ones read as sums along a dimension
(`vector(1)'*A = sum(A, 1)`, `A*vector(1) = sum(A, 2)`, not for a transposed A: the
gradient of sum(A*x) stays `A'*vector(1)`), an outer product of two vectors
of constants is a constant matrix (`vector(1)*vector(1)' = matrix(1)`), and the column
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


def _matrix(f: Node) -> bool:
    return not (is_column(f.shape) or is_row(f.shape) or f.shape == (1, 1))


@rule(
    "ones-product-is-sum",
    "matmul",
    "vector(1)'*A = sum(A, 1) and A*vector(1) = sum(A, 2): a product with ones sums "
    "down the columns or along the rows",
    ("vector(1)'*A*x", {}),
    ("A*vector(1)", {}),
    ("Y + vector(1)*vector(1)'*Y", {}),
)
def ones_product_is_sum(n: Node) -> Node | None:
    # Not for a transposed matrix: A'*vector(1) stays as the textbook writes the
    # gradient of sum(A*x) (it would read sum(A, 1)'), as before the batched forms.
    fs = list(n.children)
    for i in range(len(fs) - 1):
        p, q = fs[i], fs[i + 1]
        if _ones(p) and is_row(p.shape) and _matrix(q) and q.op != "transpose":
            return b.matmul_chain([*fs[:i], b.sum_dim(q, 1), *fs[i + 2:]])
        if _ones(q) and is_column(q.shape) and _matrix(p) and p.op != "transpose":
            return b.matmul_chain([*fs[:i], b.sum_dim(p, 2), *fs[i + 2:]])
    return None


@rule(
    "outer-product-of-constants",
    "matmul",
    "vector(a)*vector(b)' = matrix(a*b): every entry of the outer product is a*b",
    ("A + vector(1)*vector(1)'", {}),
    ("A + vector(2)*vector(3)'", {}),
)
def outer_product_of_constants(n: Node) -> Node | None:
    fs = list(n.children)
    for i in range(len(fs) - 1):
        p, q = fs[i], fs[i + 1]
        if p.op == "fill" and q.op == "fill" and is_column(p.shape) and is_row(q.shape):
            full = b.fill(b.mul(p.children[0], q.children[0]), (p.shape[0], q.shape[1]))
            return b.matmul_chain([*fs[:i], full, *fs[i + 2:]])
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
