"""Builders for the language's functions: elementwise functions, traces, sums,
determinants, inverses, norms, diag/vec/reshape, softmax, logsumexp, expm, kron, blocks.

Like the core builders in ir/build.py (which re-exports everything here, so callers use
`build.tr`, `build.inv`, ...), each checks shapes, folds what is known (tr(s) = s,
inv(inv(X)) = X, det(X^k) = det(X)^k, tr(kron(A, B)) = tr(A)*tr(B), diag(a*b') = a .* b)
and otherwise makes the node.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ShapeError
from .build import (
    ONE,
    ZERO,
    _shape_rule,
    _split_scalars,
    const,
    const_value,
    eye,
    fill,
    hadamard,
    is_diagonal,
    is_zero,
    matmul_chain,
    mul,
    power,
    transpose,
    zeros,
)
from .dims import SCALAR, Dim, Shape, dim_add, format_shape, is_column, is_row, is_scalar, is_square
from .node import Node, make
from .ops import ELEMENTWISE_FUNCTIONS


def func(name: str, x: Node) -> Node:
    """An elementwise function applied to x."""
    if name not in ELEMENTWISE_FUNCTIONS:
        raise KeyError(name)
    v = const_value(x)
    if v is not None and v == 0.0 and name in _ZERO_FIXED:
        return x
    if v is not None and name in ("exp", "cos") and v == 0.0:
        return fill(ONE, x.shape)
    if x.op == "transpose":
        # f(X') is written f(X)': `relu(W*x)'` reads better than `relu(x'*W')`
        return transpose(func(name, x.children[0]))
    if x.op == "fill":
        return fill(func(name, x.children[0]), x.shape)
    if name == "log" and x.op == "exp":
        return x.children[0]
    if name == "exp" and x.op == "log":
        return x.children[0]
    return make(name, (x,), None, x.shape)


_ZERO_FIXED = {"sin", "tan", "arcsin", "arctan", "tanh", "sqrt", "abs", "sign", "relu"}


def tr(x: Node) -> Node:
    _shape_rule("tr")(x.shape)
    if is_scalar(x.shape):
        return x
    if is_zero(x):
        return ZERO
    if x.op == "mul":
        return mul(*x.children[:-1], tr(x.children[-1]))
    if x.op == "transpose":
        return tr(x.children[0])
    if x.op == "diag":
        return sum_(x.children[0])
    if x.op == "eye" and isinstance(x.shape[0], int):
        return const(x.shape[0])
    if x.op == "fill" and isinstance(x.shape[0], int):
        return mul(const(x.shape[0]), x.children[0])
    if x.op == "kron" and all(is_square(c.shape) for c in x.children):
        return mul(tr(x.children[0]), tr(x.children[1]))  # tr(kron(A, B)) = tr(A)*tr(B)
    if x.op == "matmul":
        f = list(x.children)
        for r in range(1, len(f)):
            if f[r].shape[0] == 1:  # this rotation of the cycle is a 1×1 chain
                return matmul_chain(f[r:] + f[:r])
    return make("tr", (x,), None, SCALAR)


def sum_(x: Node) -> Node:
    if is_scalar(x.shape):
        return x
    if is_zero(x):
        return ZERO
    if x.op == "mul":
        return mul(*x.children[:-1], sum_(x.children[-1]))
    if x.op == "transpose":
        return sum_(x.children[0])
    if x.op == "diag" and is_square(x.shape):
        return sum_(x.children[0])
    if x.op == "fill" and all(isinstance(d, int) for d in x.shape):
        return mul(const(int(x.shape[0]) * int(x.shape[1])), x.children[0])
    return make("sum", (x,), None, SCALAR)


def det(x: Node) -> Node:
    _shape_rule("det")(x.shape)
    if is_scalar(x.shape):
        return x
    if x.op == "eye":
        return ONE
    if x.op == "transpose":
        return det(x.children[0])
    if x.op == "inv":
        return power(det(x.children[0]), const(-1))
    if x.op == "mpow":
        return power(det(x.children[0]), const(x.arg))
    if x.op == "matmul" and all(is_square(f.shape) for f in x.children):
        return mul(*(det(f) for f in x.children))  # det(A*B) = det(A)*det(B)
    if x.op == "mul":
        n = x.shape[0]
        if isinstance(n, int):
            return mul(*(power(s, const(n)) for s in x.children[:-1]), det(x.children[-1]))
    return make("det", (x,), None, SCALAR)


def logdet(x: Node) -> Node:
    _shape_rule("logdet")(x.shape)
    if is_scalar(x.shape):
        return func("log", x)
    if x.op == "eye":
        return ZERO
    if x.op == "transpose":
        return logdet(x.children[0])
    return make("logdet", (x,), None, SCALAR)


def inv(x: Node) -> Node:
    _shape_rule("inv")(x.shape)
    if is_scalar(x.shape):
        return power(x, const(-1))
    if x.op == "inv":
        return x.children[0]
    if x.op == "eye":
        return x
    if x.op == "var" and "orthogonal" in x.arg.props:
        return transpose(x)
    if x.op == "transpose":
        return transpose(inv(x.children[0]))
    if x.op == "mul":
        return mul(*(power(s, const(-1)) for s in x.children[:-1]), inv(x.children[-1]))
    return make("inv", (x,), None, x.shape)


def norm1(x: Node) -> Node:
    if is_scalar(x.shape):
        return func("abs", x)
    return make("norm1", (x,), None, SCALAR)


def norm2(x: Node) -> Node:
    if is_scalar(x.shape):
        return func("abs", x)
    if x.op == "transpose":
        return norm2(x.children[0])
    return make("norm2", (x,), None, SCALAR)


def diag(x: Node) -> Node:
    shape = _shape_rule("diag")(x.shape)
    if is_scalar(x.shape):
        return x
    if is_row(x.shape):
        x = transpose(x)
    if is_zero(x):
        return zeros(shape)
    if x.op == "diag" and is_square(x.shape):
        return x.children[0]  # diag(diag(v)) = v for a vector v (not for a matrix)
    if x.op == "diag" and is_diagonal(x.children[0]):
        return x.children[0]  # diag(diag(D)) = D for a diagonal D
    if x.op == "transpose" and is_square(x.shape):
        return diag(x.children[0])
    if (x.op == "matmul" and len(x.children) == 2 and is_column(x.children[0].shape)
            and is_row(x.children[1].shape)):
        return hadamard(x.children[0], transpose(x.children[1]))  # diag(a*b') = a .* b
    if x.op == "eye":
        return fill(ONE, shape)
    if x.op == "mul":
        return mul(*x.children[:-1], diag(x.children[-1]))
    if x.op == "fill" and is_column(x.shape):
        return mul(x.children[0], eye(x.shape[0]))
    if x.op == "fill":
        return fill(x.children[0], shape)  # the diagonal of a fill
    return make("diag", (x,), None, shape)


def vec(x: Node) -> Node:
    shape = _shape_rule("vec")(x.shape)
    if is_scalar(x.shape) or is_column(x.shape):
        return x
    if is_row(x.shape):
        return transpose(x)
    if x.op == "mul":
        return mul(*x.children[:-1], vec(x.children[-1]))
    if x.op == "reshape":
        return x.children[0]
    if x.op == "fill":
        return fill(x.children[0], shape)
    return make("vec", (x,), None, shape)


def reshape(x: Node, shape: Shape) -> Node:
    """Column-major reshape of a vector back to a matrix (the inverse of vec)."""
    if x.shape == shape:
        return x
    if x.op == "vec" and x.children[0].shape == shape:
        return x.children[0]
    if x.op == "mul":
        return mul(*x.children[:-1], reshape(x.children[-1], shape))
    if x.op == "fill":
        return fill(x.children[0], shape)
    if is_column(shape) or is_scalar(shape):
        return vec(x)
    if is_row(shape):
        return transpose(vec(x))
    return make("reshape", (x,), None, shape)


def softmax(x: Node) -> Node:
    _shape_rule("softmax")(x.shape)
    if is_scalar(x.shape):
        return ONE
    return make("softmax", (x,), None, x.shape)


def logsumexp(x: Node) -> Node:
    if is_scalar(x.shape):
        return x
    return make("logsumexp", (x,), None, SCALAR)


def expm(x: Node) -> Node:
    _shape_rule("expm")(x.shape)
    if is_scalar(x.shape):
        return func("exp", x)
    if is_zero(x):
        return eye(x.shape[0])
    return make("expm", (x,), None, x.shape)


def kron(a: Node, b: Node) -> Node:
    if is_scalar(a.shape) or is_scalar(b.shape):
        return mul(a, b)
    if is_zero(a) or is_zero(b):
        return zeros(_shape_rule("kron")(a.shape, b.shape))
    sa, ca = _split_scalars(a)
    sb, cb = _split_scalars(b)
    shape = _shape_rule("kron")(ca.shape, cb.shape)
    if ca.op == "fill" and cb.op == "fill":  # ones ⊗ ones is ones
        return mul(*sa, *sb, fill(ONE, shape))
    core = make("kron", (ca, cb), None, shape)
    return mul(*sa, *sb, core) if sa or sb else core


def block(grid: Sequence[Sequence[Node]]) -> Node:
    """A block matrix from rows of blocks: `[a, b; c, d]`."""
    rows = len(grid)
    if rows == 0 or any(len(r) != len(grid[0]) for r in grid):
        raise ShapeError("every row of a block matrix needs the same number of entries")
    cols = len(grid[0])
    if rows == 1 and cols == 1:
        return grid[0][0]
    heights = []
    for r, row in enumerate(grid):
        h = row[0].shape[0]
        for entry in row:
            if entry.shape[0] != h:
                raise ShapeError(
                    f"entries of row {r + 1} have different numbers of rows "
                    f"({format_shape(row[0].shape)} and {format_shape(entry.shape)})"
                )
        heights.append(h)
    widths = []
    for c in range(cols):
        w = grid[0][c].shape[1]
        for r in range(rows):
            if grid[r][c].shape[1] != w:
                raise ShapeError(
                    f"entries of column {c + 1} have different numbers of columns"
                )
        widths.append(w)
    total_r: Dim = 0
    for h in heights:
        total_r = dim_add(total_r, h)
    total_c: Dim = 0
    for w in widths:
        total_c = dim_add(total_c, w)
    children = tuple(e for row in grid for e in row)
    return make("block", children, (rows, cols), (total_r, total_c))


