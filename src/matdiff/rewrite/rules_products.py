"""Rules for products with ones, diagonal matrices and sums of declared vectors.

Contract: `RULES`, each with a declarative left-hand side (rewrite/pattern.py): inner
products that cancel or sum, `diag` in products, and sums of vectors declared onehot or
simplex; `distribute-where-it-folds` multiplies a factor into a sum where that makes the
printed result shorter (a search over the chain's sums, named in its `search` field).
The table in rewrite/rules.py fixes the order the driver tries them in.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.node import Node
from ..ir.ops import Op
from .cost import printed_length
from .pattern import any_, column, exactly_one, has_props, leaf, op, run, scalar
from .rule import rule


def inner_product_cancel(a: Node, h: Node) -> Node | None:
    merged = b.hadamard(a, h)
    count = len(merged.children) if merged.op == Op.HADAMARD else 1
    if count >= len(h.children) + 1:
        return None  # nothing cancelled: a'*h is shorter than sum(a .* h)
    return b.sum_(merged)


def sum_of_simplex(v: Node) -> Node | None:
    # on a matrix the property holds per column: the sum is the number of columns
    cols = v.shape[1]
    if cols == 1:
        return b.ONE
    return b.const(cols) if isinstance(cols, int) else None


ONES = op("fill", exactly_one())


DISTRIBUTE_MAX_SIZE = 120  # nodes (as rewrite/explore.py's search)


def _may_fold(factor: Node, total: Node, left: bool) -> bool:
    """Whether multiplying `factor` into the sum `total` can fold anything: a term that
    is the identity, or whose factor next to it is a fill, an inverse or a power (the
    builders fold eye, ones beside a diagonal, X*inv(X)). A cheap test before the
    printed forms are compared."""
    for t in total.children:
        core = t.children[-1] if t.op is Op.MUL else t
        if core.op is Op.EYE:
            return True
        if core.op is Op.MATMUL:
            near = core.children[0] if left else core.children[-1]
            if near.op in (Op.FILL, Op.INV, Op.MPOW) or factor.op in (Op.INV, Op.MPOW):
                return True
    return False


def distribute_where_it_folds(n: Node) -> Node | None:
    """The chain with one neighbour of a sum multiplied into it, A*(B + C) = A*B + A*C
    (or (B + C)*A), when the builders fold the products (eye, ones, a diagonal times
    ones) so that the printed result is shorter; None if no distribution pays."""
    if n.size > DISTRIBUTE_MAX_SIZE or not any(f.op is Op.ADD for f in n.children):
        return None  # printing both forms is the test: only for chains of a modest size
    fs = list(n.children)
    before = printed_length(n)
    for i, f in enumerate(fs):
        if f.op is not Op.ADD:
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(fs) or not _may_fold(fs[j], f, left=j < i):
                continue
            left = j < i
            terms = [b.matmul(fs[j], t) if left else b.matmul(t, fs[j]) for t in f.children]
            lo, hi = (j, i) if left else (i, j)
            out = b.matmul_chain([*fs[:lo], b.add(*terms), *fs[hi + 1:]])
            if printed_length(out) < before:
                return out
    return None


RULES = [
    rule(
        "inner-product-cancel",
        "a'*(b .* c) = sum(a .* b .* c) when the elementwise product then cancels "
        "(s'*(y ./ s) = sum(y))",
        (op("matmul", op("transpose", any_("a")), op("hadamard", name="h", where=column),
            where=scalar),
         inner_product_cancel),
        examples=(("s'*(y ./ s)", {}),),
    ),
    rule(
        "ones-inner-product",
        "vector(1)'*v = sum(v)",
        (op("matmul", ONES, any_("v"), where=scalar), lambda v: b.sum_(v)),
        (op("matmul", any_("a"), ONES, where=scalar), lambda a: b.sum_(a)),
        examples=(("vector(1)'*x", {}),),
    ),
    rule(
        "sum-of-simplex",
        "sum(y) = 1 for y declared onehot or simplex (for a matrix, the number of columns)",
        (op("sum", leaf("var", name="v", where=has_props("onehot", "simplex"))),
         sum_of_simplex),
        examples=(("sum(y)", {"y": "vector n onehot"}), ("sum(Y)", {"Y": "matrix 3 4 onehot"}),
                  ("sum(p)", {"p": "vector n simplex"})),
    ),
    rule(
        "diag-product",
        "diag(a)*diag(b) = diag(a .* b)",
        (run("matmul", op("diag", any_("a", where=column)), op("diag", any_("c", where=column)),
             before="pre", after="post"),
         lambda a, c, pre, post: b.matmul_chain([*pre, b.diag(b.hadamard(a, c)), *post])),
        examples=(("diag(x)*diag(y)*A", {}),),
    ),
    rule(
        "diag-times-vector",
        "diag(u)*v = u .* v for vectors u, v: an elementwise product, not a matrix one "
        "(anywhere in a chain: diag(u)*v*w' = (u .* v)*w')",
        (run("matmul", op("diag", any_("u", where=column)), any_("v", where=column),
             before="pre", after="post"),
         lambda u, v, pre, post: b.matmul_chain([*pre, b.hadamard(u, v), *post])),
        examples=(("diag(x)*y", {}), ("A*diag(x)*y", {}), ("diag(x)*y*v'", {}),
                  ("A*diag(x)*y*y'", {})),
    ),
    rule(
        "distribute-where-it-folds",
        "A*(B + C) = A*B + A*C, used where the products fold and the result prints shorter "
        "(diag(s)*(eye(n) - vector(1)*s') = diag(s) - s*s')",
        (op("matmul", name="n"), distribute_where_it_folds),
        examples=(("diag(x)*(eye(n) - vector(1)*y')", {}), ("(eye(n) + y*vector(1)')*diag(x)", {}),
                  ("A*(eye(n) - vector(1)*y')*diag(x)*vector(1)", {})),
        search="tries each neighbour of each sum in the chain and keeps the first shorter form",
    ),
]
