"""The linear functions: tr, sum, diag, vec, reshape and sum(X, dim).

Contract: each op's record holds its builder (folds: tr(s) = s, tr(a*b') cycles to
b'*a, tr(kron(A, B)) = tr(A)*tr(B), sum(kron(A, B)) = sum(A)*sum(B), sum(softmax(z)) = 1,
sum(softmax(Z, k), k) = ones, diag(a*b') = a .* b, scalar factors move out, fills of
known size are numbers), its differential d(f(X)) = f(dX), its transpose (the adjoint
map: tr -> c*eye, sum -> a fill of c, diag -> diag, vec <-> reshape, sum(·, dim) -> the
sums repeated back) and its Kronecker form, and its NumPy value. `inner` and
`broadcast_back`, which rules of other families use, are here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import ShapeError
from .chains import is_diagonal, matmul, matmul_chain, transpose
from .core import ONE, ZERO, const, eye, fill, hadamard, is_zero, mul, zeros
from .dims import SCALAR, Dim, Shape, is_column, is_row, is_scalar, is_square
from .node import Node, make
from .numeric import Array, out_shape, scalar
from .ops import (
    Op,
    OpRecord,
    define,
    diag_shape,
    differential,
    shape_of,
    square_to_scalar,
    to_scalar,
    vec_shape,
)
from .rulekit import VJ, linear_rule

Sizes = Mapping[str, int]


def inner(a: Node, c: Node) -> Node:
    """The scalar sum(a .* c) = tr(a' * c), written the way a person would."""
    if is_scalar(a.shape):
        return mul(a, c)
    if is_column(a.shape):
        return matmul(transpose(a), c)
    if is_row(a.shape):
        return matmul(a, transpose(c))
    return tr(matmul(transpose(a), c))


# ---------------------------------------------------------------------------------- tr

def tr(x: Node) -> Node:
    shape_of(Op.TR, x.shape)
    if is_scalar(x.shape):
        return x
    if is_zero(x):
        return ZERO
    if x.op is Op.MUL:
        return mul(*x.children[:-1], tr(x.children[-1]))
    if x.op is Op.TRANSPOSE:
        return tr(x.children[0])
    if x.op is Op.DIAG:
        return sum_(x.children[0])
    if x.op is Op.EYE and isinstance(x.shape[0], int):
        return const(x.shape[0])
    if x.op is Op.FILL and isinstance(x.shape[0], int):
        return mul(const(x.shape[0]), x.children[0])
    if x.op is Op.KRON and all(is_square(c.shape) for c in x.children):
        return mul(tr(x.children[0]), tr(x.children[1]))  # tr(kron(A, B)) = tr(A)*tr(B)
    if x.op is Op.MATMUL:
        f = list(x.children)
        for r in range(1, len(f)):
            if f[r].shape[0] == 1:  # this rotation of the cycle is a 1×1 chain
                return matmul_chain(f[r:] + f[:r])
    return make(Op.TR, (x,), None, SCALAR)


define(OpRecord(
    Op.TR, "function", 1, square_to_scalar("tr"), build=tr,
    differential=differential(Op.TR, "d(tr(X)) = tr(dX)", linear_rule(tr), "Cookbook (36)"),
    transpose=lambda x, c, linear: [mul(c, eye(x.children[0].shape[0]))],
    numpy=lambda n, k, s: scalar(np.trace(k[0])),
))


# --------------------------------------------------------------------------------- sum

def sum_(x: Node) -> Node:
    if is_scalar(x.shape):
        return x
    if is_zero(x):
        return ZERO
    if x.op is Op.MUL:
        return mul(*x.children[:-1], sum_(x.children[-1]))
    if x.op is Op.TRANSPOSE:
        return sum_(x.children[0])
    if x.op is Op.DIAG and is_square(x.shape):
        return sum_(x.children[0])
    if x.op is Op.FILL and all(isinstance(d, int) for d in x.shape):
        return mul(const(int(x.shape[0]) * int(x.shape[1])), x.children[0])
    if x.op is Op.KRON:
        return mul(sum_(x.children[0]), sum_(x.children[1]))  # sum(kron(A, B)) = sum(A)*sum(B)
    if x.op is Op.SOFTMAX:
        return ONE  # the entries of softmax(z) add up to 1
    if x.op is Op.SOFTMAXDIM:
        return sum_(sum_dim(x, x.arg))  # each column (row) adds up to 1: a count
    return make(Op.SUM, (x,), None, SCALAR)


define(OpRecord(
    Op.SUM, "function", 1, to_scalar, build=sum_,
    differential=differential(Op.SUM, "d(sum(X)) = sum(dX)", linear_rule(sum_)),
    transpose=lambda x, c, linear: [fill(c, x.children[0].shape)],
    numpy=lambda n, k, s: scalar(k[0].sum()),
))


# -------------------------------------------------------------------------------- diag

def diag(x: Node) -> Node:
    shape = shape_of(Op.DIAG, x.shape)
    if is_scalar(x.shape):
        return x
    if is_row(x.shape):
        x = transpose(x)
    if is_zero(x):
        return zeros(shape)
    if x.op is Op.DIAG and is_square(x.shape):
        return x.children[0]  # diag(diag(v)) = v for a vector v (not for a matrix)
    if x.op is Op.DIAG and is_diagonal(x.children[0]):
        return x.children[0]  # diag(diag(D)) = D for a diagonal D
    if x.op is Op.TRANSPOSE and is_square(x.shape):
        return diag(x.children[0])
    if (x.op is Op.MATMUL and len(x.children) == 2 and is_column(x.children[0].shape)
            and is_row(x.children[1].shape)):
        return hadamard(x.children[0], transpose(x.children[1]))  # diag(a*b') = a .* b
    if x.op is Op.EYE:
        return fill(ONE, shape)
    if x.op is Op.MUL:
        return mul(*x.children[:-1], diag(x.children[-1]))
    if x.op is Op.FILL and is_column(x.shape):
        return mul(x.children[0], eye(x.shape[0]))
    if x.op is Op.FILL:
        return fill(x.children[0], shape)  # the diagonal of a fill
    return make(Op.DIAG, (x,), None, shape)


def _np_diag(n: Node, k: list[Array], s: Sizes) -> Array:
    child = n.children[0].shape
    if is_square(child) and not (is_column(child) or is_row(child)):
        return np.diag(k[0]).reshape(-1, 1).copy()  # the diagonal of a matrix
    return np.diag(k[0].ravel())  # a vector made a diagonal matrix


define(OpRecord(
    Op.DIAG, "function", 1, diag_shape, build=diag,
    differential=differential(Op.DIAG, "d(diag(X)) = diag(dX)", linear_rule(diag)),
    transpose=lambda x, c, linear: [diag(c)],
    numpy=_np_diag,
))


# ------------------------------------------------------------------------ vec, reshape

def vec(x: Node) -> Node:
    shape = shape_of(Op.VEC, x.shape)
    if is_scalar(x.shape) or is_column(x.shape):
        return x
    if is_row(x.shape):
        return transpose(x)
    if x.op is Op.MUL:
        return mul(*x.children[:-1], vec(x.children[-1]))
    if x.op is Op.RESHAPE:
        return x.children[0]
    if x.op is Op.FILL:
        return fill(x.children[0], shape)
    return make(Op.VEC, (x,), None, shape)


def reshape(x: Node, shape: Shape) -> Node:
    """Column-major reshape of a vector back to a matrix (the inverse of vec)."""
    if x.shape == shape:
        return x
    if x.op is Op.VEC and x.children[0].shape == shape:
        return x.children[0]
    if x.op is Op.MUL:
        return mul(*x.children[:-1], reshape(x.children[-1], shape))
    if x.op is Op.FILL:
        return fill(x.children[0], shape)
    if is_column(shape) or is_scalar(shape):
        return vec(x)
    if is_row(shape):
        return transpose(vec(x))
    return make(Op.RESHAPE, (x,), None, shape)


def _same_vec(L: Node, linear: Sequence[int], vj: VJ) -> Node:
    return vj(L.children[0])  # vec(vec(dX)) = vec(reshape(dX)) = vec(dX)


define(OpRecord(
    Op.VEC, "function", 1, vec_shape, build=vec,
    differential=differential(Op.VEC, "d(vec(X)) = vec(dX)", linear_rule(vec)),
    transpose=lambda x, c, linear: [reshape(c, x.children[0].shape)],
    vec_jacobian=_same_vec,
    numpy=lambda n, k, s: k[0].reshape((-1, 1), order="F"),
))
define(OpRecord(
    Op.RESHAPE, "special", 1, doc="column-major reshape (inverse of vec)",
    build=reshape,
    differential=differential(
        Op.RESHAPE, "d(reshape(X)) = reshape(dX)",
        lambda x, xs, ds: None if ds[0] is None else reshape(ds[0], x.shape)),
    transpose=lambda x, c, linear: [vec(c)],
    vec_jacobian=_same_vec,
    numpy=lambda n, k, s: k[0].reshape(out_shape(n, s), order="F"),
))


# ----------------------------------------------------------------------- sum(X, dim)
# The batched forms take MATLAB's dim (issue 11, item 6): 1 acts down each column, 2
# along each row; the dim is the node's arg. numpy's axis is dim - 1.

DIMS = (1, 2)


def check_dim(name: str, dim: object) -> int:
    if dim not in DIMS or isinstance(dim, bool):
        raise ShapeError(
            f"the dim argument of {name} must be 1 or 2, got {dim!r}",
            hint=f"{name}(X, 1) acts down each column, {name}(X, 2) along each row",
        )
    return int(dim)  # type: ignore[call-overload]


def reduced_shape(shape: Shape, dim: int) -> Shape:
    """The shape after reducing along dim: 1×n for dim 1, m×1 for dim 2."""
    return (1, shape[1]) if dim == 1 else (shape[0], 1)


def along(shape: Shape, dim: int) -> Dim:
    """The size of the dimension reduced: the number of rows for dim 1."""
    return shape[0] if dim == 1 else shape[1]


def sum_dim(x: Node, dim: int) -> Node:
    """sum(X, dim): the row of column sums (dim 1) or the column of row sums (dim 2)."""
    dim = check_dim("sum", dim)
    out = reduced_shape(x.shape, dim)
    if along(x.shape, dim) == 1:
        return x
    if is_scalar(out):
        return sum_(x)
    if is_zero(x):
        return zeros(out)
    if x.op is Op.TRANSPOSE:
        return transpose(sum_dim(x.children[0], 3 - dim))
    if x.op is Op.MUL:
        return mul(*x.children[:-1], sum_dim(x.children[-1], dim))
    if x.op is Op.SOFTMAXDIM and x.arg == dim:
        return fill(ONE, out)  # sum(softmax(Z, 1), 1) = vector(1)': each column adds up to 1
    size = along(x.shape, dim)
    if x.op is Op.FILL and isinstance(size, int):
        return fill(mul(const(size), x.children[0]), out)
    return make(Op.SUMDIM, (x,), dim, out)


def broadcast_back(r: Node, x: Node, dim: int) -> Node:
    """A reduction r (1×n for dim 1, m×1 for dim 2) repeated to x's m×n shape."""
    if dim == 1:
        return matmul(fill(ONE, (x.shape[0], 1)), r)
    return matmul(r, fill(ONE, (1, x.shape[1])))


def _vj_sumdim(L: Node, linear: Sequence[int], vj: VJ) -> Node:
    """sum(dX, 1) = vector(1)'*dX, sum(dX, 2) = dX*vector(1)."""
    child = L.children[0]
    ones = fill(ONE, (child.shape[0], 1) if L.arg == 1 else (child.shape[1], 1))
    return vj(matmul(transpose(ones), child) if L.arg == 1 else matmul(child, ones))


define(OpRecord(
    Op.SUMDIM, "special", 1, doc="sum(X, dim): column sums (1) or row sums (2)",
    build=sum_dim,
    differential=differential(
        Op.SUMDIM, "d(sum(X, k)) = sum(dX, k)",
        lambda x, xs, ds: None if ds[0] is None else sum_dim(ds[0], x.arg)),
    # a row of column sums: its adjoint repeats c down the rows
    transpose=lambda x, c, linear: [broadcast_back(c, x.children[0], x.arg)],
    vec_jacobian=_vj_sumdim,
    numpy=lambda n, k, s: k[0].sum(axis=n.arg - 1, keepdims=True),
))
