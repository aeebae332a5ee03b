"""Rules that bring Kronecker products and vecs back to matrix form (issue 11, item 1).

Contract: `RULES`, each with a declarative left-hand side (rewrite/pattern.py) except
`kron-common-argument`, a grouping of a sum's terms that says why. The table in
rewrite/rules.py fixes the order the driver tries them in. MC numbers cite the Matrix
Cookbook. sum(kron(A, B)) = sum(A)*sum(B) and tr(kron(A, B)) = tr(A)*tr(B) are folds of
the sum and tr builders (ir/ops_linear.py), so no differential ever holds them.
"""

from __future__ import annotations

from ..ir import build as b
from ..ir.node import Node
from ..ir.ops import Op
from .pattern import any_, column, not_op, op, row, run, run_any, scalar
from .rule import rule
from .terms import split_coefficient


def kron_common_argument(n: Node) -> Node | None:
    split = [split_coefficient(t) for t in n.children]
    for side in (0, 1):
        groups: dict[Node, list[int]] = {}
        for i, (_, base) in enumerate(split):
            if base.op == Op.KRON:
                groups.setdefault(base.children[side], []).append(i)
        for common, idx in groups.items():
            if len(idx) < 2:
                continue
            inner = b.add(*(b.scale(split[i][0], split[i][1].children[1 - side]) for i in idx))
            merged = b.kron(common, inner) if side == 0 else b.kron(inner, common)
            others = [t for i, t in enumerate(n.children) if i not in idx]
            return b.add(merged, *others)
    return None


def kron_absorb(case: str, a: Node, B: Node, c: Node, pre: tuple[Node, ...],
                post: tuple[Node, ...]) -> Node:
    inner = b.matmul(c, B) if case == "row" else b.matmul(B, c)
    return b.matmul_chain([*pre, b.kron(a, inner), *post])


NOT_KRON = any_("c", where=not_op("kron"))
# u*v' with columns u, v (an outer product) under vec, transposed
VEC_OF_OUTER_T = op("transpose", op("vec", op(
    "matmul", any_("u", where=column), op("transpose", any_("v", where=column)))))

RULES = [
    rule(
        "kron-times-vec",
        "kron(A, B)*vec(X) = vec(B*X*A') (MC 520): apply a Kronecker product as two matrix "
        "products, never forming it",
        (run("matmul", op("kron", any_("A"), any_("B")), op("vec", any_("X")),
             before="pre", after="post"),
         lambda A, B, X, pre, post: b.matmul_chain(
             [*pre, b.vec(b.matmul_chain([B, X, b.transpose(A)])), *post]),
         lambda A, B, X: B.shape[1] == X.shape[0] and X.shape[1] == A.shape[1]),
        examples=(("kron(A, B)*vec(X)", {"A": "matrix n n", "B": "matrix m m", "X": "matrix m n"}),
                  ("y'*kron(A, B)*vec(X)",
                   {"A": "matrix p n", "B": "matrix q m", "X": "matrix m n"})),
    ),
    rule(
        "bilinear-form-as-trace",
        "vec(U)'*vec(V) = tr(U'*V): an inner product of vecs is a trace",
        (op("matmul", op("transpose", op("vec", any_("U"))), op("vec", any_("V")), where=scalar),
         lambda U, V: b.tr(b.matmul(b.transpose(U), V)),
         # vec(A)'*vec(B) with A m×n, B n×m is no trace of A'*B
         lambda U, V: U.shape == V.shape),
        examples=(("vec(X)'*vec(Y)", {"X": "matrix m n", "Y": "matrix m n"}),),
    ),
    rule(
        "kron-absorb",
        "C*kron(a', B) = kron(a', C*B) for a row a', and kron(a, B)*C = kron(a, B*C) for a "
        "column a (the mixed product with kron(1, C))",
        (run_any("matmul", {
            "row": (NOT_KRON, op("kron", any_("a", where=row), any_("B"))),
            "column": (op("kron", any_("a", where=column), any_("B")), NOT_KRON),
        }, before="pre", after="post"), kron_absorb),
        examples=(("C*kron(x', B)", {"C": "matrix p m", "x": "vector k", "B": "matrix m q"}),
                  ("kron(x, B)*C", {"C": "matrix q p", "x": "vector k", "B": "matrix m q"})),
    ),
    rule(
        "column-times-vec-row",
        "s*vec(u*v')' = kron(v', s*u') for columns s, u, v (vec(u*v') = kron(v, u))",
        (run("matmul", any_("s", where=column), VEC_OF_OUTER_T, before="pre", after="post"),
         lambda s, u, v, pre, post: b.matmul_chain(
             [*pre, b.kron(b.transpose(v), b.matmul(s, b.transpose(u))), *post])),
        examples=(("s*vec(u*x')'", {"s": "vector m", "u": "vector m", "x": "vector n"}),),
    ),
    rule(
        "kron-common-argument",
        "kron(A, B) + kron(A, C) = kron(A, B + C), and likewise for a common second argument",
        (op("add", name="n"), kron_common_argument),
        examples=(("kron(x', A) - 2*kron(x', B)",
                   {"x": "vector k", "A": "matrix m m", "B": "matrix m m"}),
                  ("kron(A, C) + kron(B, C)",
                   {"A": "matrix p p", "B": "matrix p p", "C": "matrix q q"})),
        search="groups the kron terms of a sum by their first, then second, argument",
    ),
]
