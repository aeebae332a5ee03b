"""Rewrite rules for the batched forms (issue 11, item 6), in rewrite/rules.py's table
like every other rule (a name, the identity, a declarative left-hand side, examples
checked numerically by tests/rewrite/test_rewrite_rules.py).

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
from .pattern import all_of, any_, has_props, leaf, matrix, not_op, op, run_any
from .rule import rule


def _ones(f: Node) -> bool:
    return b.is_one(f.children[0])


def ones_product_is_sum(case: str, f: Node, A: Node, pre: tuple[Node, ...],
                        post: tuple[Node, ...]) -> Node:
    """f, a fill, beside the matrix A in a chain: A's column sums (f on the left) or row
    sums (f on the right), times the fill's value as a column or row when f is no plain
    vector of ones."""
    if case == "left":
        sums = b.sum_dim(A, 1)
        summed = sums if _ones(f) and is_row(f.shape) else b.matmul(
            b.fill(f.children[0], (f.shape[0], 1)), sums)
    else:
        sums = b.sum_dim(A, 2)
        summed = sums if _ones(f) and is_column(f.shape) else b.matmul(
            sums, b.fill(f.children[0], (1, f.shape[1])))
    return b.matmul_chain([*pre, summed, *post])


# Not for a transposed matrix: A'*vector(1) stays as the textbook writes the gradient of
# sum(A*x) (it would read sum(A, 1)'), as before the batched forms.
PLAIN_MATRIX = any_("A", where=all_of(matrix, not_op("transpose")))
FILL = op("fill", name="f")

RULES = [
    rule(
        "ones-product-is-sum",
        "vector(1)'*A = sum(A, 1) and A*vector(1) = sum(A, 2): a product with ones sums "
        "down the columns or along the rows; matrix(c)*A = c*vector(1)*sum(A, 1) and "
        "A*matrix(c) = c*sum(A, 2)*vector(1)'",
        (run_any("matmul", {"left": (FILL, PLAIN_MATRIX), "right": (PLAIN_MATRIX, FILL)},
                 before="pre", after="post"),
         ones_product_is_sum),
        examples=(("vector(1)'*A*x", {}), ("A*vector(1)", {}),
                  ("Y + vector(1)*vector(1)'*Y", {}),
                  ("Y*matrix(2) + Z", {"Y": "matrix m n", "Z": "matrix m p"})),
    ),
    rule(
        "column-sums-of-onehot",
        "sum(Y, 1) = vector(1)' for Y declared onehot or simplex (each column sums to 1)",
        (op("sumdim", leaf("var", where=has_props("onehot", "simplex")), arg=1, name="n"),
         lambda n: b.fill(b.ONE, n.shape)),
        examples=(("sum(Y, 1)", {"Y": "matrix onehot"}),
                  ("sum(P, 1)", {"P": "matrix m n simplex"})),
    ),
]
