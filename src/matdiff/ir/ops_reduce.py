"""Norms and the machine-learning reductions: norm1, norm2, softmax, logsumexp and the
batched softmax(Z, dim), logsumexp(Z, dim); `mean` (a scaled sum, not an op).

Contract: each op's record holds its builder, differential and NumPy value (max-shifted
softmax and logsumexp: no overflow). The batched builders fold what is known so their
nodes only hold a true matrix: along a dimension of size 1 softmax is 1 and logsumexp
the entry itself; across a vector the batched form is the whole-vector one; a
transposed argument moves out (softmax(Z', 2) = softmax(Z, 1)'). `mean` is the sum
divided by the count, a number for known sizes and `sum(vector(1))` / `sum(matrix(1))`
(the count written in the language) for symbolic ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .chains import matmul, transpose
from .core import ONE, const, div, fill, hadamard, sub
from .dims import SCALAR, Shape, dim_mul, is_column, is_scalar
from .node import Node, make
from .numeric import Array, scalar
from .ops import Diffs, Op, OpRecord, define, differential, shape_of, to_scalar, vector_only
from .ops_elementwise import func
from .ops_linear import along, broadcast_back, check_dim, inner, reduced_shape, sum_, sum_dim

Sizes = Mapping[str, int]


# ------------------------------------------------------------------------------- norms

def norm1(x: Node) -> Node:
    if is_scalar(x.shape):
        return func("abs", x)
    return make(Op.NORM1, (x,), None, SCALAR)


def norm2(x: Node) -> Node:
    if is_scalar(x.shape):
        return func("abs", x)
    if x.op is Op.TRANSPOSE:
        return norm2(x.children[0])
    return make(Op.NORM2, (x,), None, SCALAR)


define(OpRecord(
    Op.NORM1, "function", 1, to_scalar, domain="nonzero", build=norm1,
    differential=differential(
        Op.NORM1, "d(norm1(X)) = sum(sign(X) .* dX)",
        lambda x, xs, ds: None if ds[0] is None else sum_(hadamard(func("sign", xs[0]),
                                                                   ds[0]))),
    numpy=lambda n, k, s: scalar(np.abs(k[0]).sum()),
))
define(OpRecord(
    Op.NORM2, "function", 1, to_scalar, build=norm2,
    differential=differential(
        Op.NORM2, "d(norm2(X)) = tr(X'*dX)/norm2(X)",
        lambda x, xs, ds: None if ds[0] is None else div(inner(xs[0], ds[0]), x),
        "Cookbook (129)"),
    numpy=lambda n, k, s: scalar(np.linalg.norm(k[0].ravel())),
))


# ---------------------------------------------------------------- softmax, logsumexp

def softmax(x: Node) -> Node:
    shape_of(Op.SOFTMAX, x.shape)
    if is_scalar(x.shape):
        return ONE
    return make(Op.SOFTMAX, (x,), None, x.shape)


def logsumexp(x: Node) -> Node:
    if is_scalar(x.shape):
        return x
    return make(Op.LOGSUMEXP, (x,), None, SCALAR)


def _d_softmax(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (dz,) = ds
    if dz is None:
        return None
    return sub(hadamard(x, dz), matmul(x, inner(x, dz)))


def _d_logsumexp(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    if dX is None:
        return None
    weights = softmax(X) if is_column(X.shape) else func("exp", sub(X, x))
    return inner(weights, dX)


def _np_softmax(n: Node, k: list[Array], s: Sizes) -> Array:
    e = np.exp(k[0] - k[0].max())  # shifted: no overflow
    return e / e.sum()


def _np_logsumexp(n: Node, k: list[Array], s: Sizes) -> Array:
    m = k[0].max()
    return scalar(m + np.log(np.exp(k[0] - m).sum()))


define(OpRecord(
    Op.SOFTMAX, "function", 1, vector_only("softmax"), build=softmax,
    differential=differential(
        Op.SOFTMAX, "d(softmax(z)) = s .* dz - s*(s'*dz), s = softmax(z)", _d_softmax),
    numpy=_np_softmax,
))
define(OpRecord(
    Op.LOGSUMEXP, "function", 1, to_scalar, build=logsumexp,
    differential=differential(Op.LOGSUMEXP, "d(logsumexp(z)) = softmax(z)'*dz",
                              _d_logsumexp),
    numpy=_np_logsumexp,
))


# ---------------------------------------------------- softmax(Z, dim), logsumexp(Z, dim)

def softmax_dim(z: Node, dim: int) -> Node:
    """softmax(Z, dim): the softmax of each column (dim 1) or of each row (dim 2)."""
    dim = check_dim("softmax", dim)
    if is_scalar(z.shape):
        return ONE
    if along(z.shape, dim) == 1:
        return fill(ONE, z.shape)  # the softmax of a single entry is 1
    if is_scalar(reduced_shape(z.shape, dim)):  # a vector along dim
        return softmax(z) if dim == 1 else transpose(softmax(transpose(z)))
    if z.op is Op.TRANSPOSE:
        return transpose(softmax_dim(z.children[0], 3 - dim))
    return make(Op.SOFTMAXDIM, (z,), dim, z.shape)


def logsumexp_dim(z: Node, dim: int) -> Node:
    """logsumexp(Z, dim): log(sum(exp(Z), dim)), computed stably."""
    dim = check_dim("logsumexp", dim)
    out = reduced_shape(z.shape, dim)
    if along(z.shape, dim) == 1:
        return z
    if is_scalar(out):
        return logsumexp(z.children[0] if z.op is Op.TRANSPOSE else z)
    if z.op is Op.TRANSPOSE:
        return transpose(logsumexp_dim(z.children[0], 3 - dim))
    return make(Op.LOGSUMEXPDIM, (z,), dim, out)


def _d_softmaxdim(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (dZ,) = ds
    if dZ is None:
        return None
    weighted = hadamard(x, dZ)  # S .* dZ, then minus S times its sums along dim
    return sub(weighted, hadamard(x, broadcast_back(sum_dim(weighted, x.arg), x, x.arg)))


def _d_logsumexpdim(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (Z,), (dZ,) = xs, ds
    if dZ is None:
        return None
    return sum_dim(hadamard(softmax_dim(Z, x.arg), dZ), x.arg)


def _np_softmaxdim(n: Node, k: list[Array], s: Sizes) -> Array:
    e = np.exp(k[0] - k[0].max(axis=n.arg - 1, keepdims=True))  # shifted per column/row
    return e / e.sum(axis=n.arg - 1, keepdims=True)


def _np_logsumexpdim(n: Node, k: list[Array], s: Sizes) -> Array:
    m = k[0].max(axis=n.arg - 1, keepdims=True)
    return m + np.log(np.exp(k[0] - m).sum(axis=n.arg - 1, keepdims=True))


define(OpRecord(
    Op.SOFTMAXDIM, "special", 1, doc="softmax(Z, dim): softmax of each column (1) or row (2)",
    build=softmax_dim,
    differential=differential(
        Op.SOFTMAXDIM, "d(softmax(Z, 1)) = S .* dZ - S .* (vector(1)*sum(S .* dZ, 1)), "
        "S = softmax(Z, 1) (dim 2: sum(S .* dZ, 2)*vector(1)')", _d_softmaxdim),
    numpy=_np_softmaxdim,
))
define(OpRecord(
    Op.LOGSUMEXPDIM, "special", 1, doc="logsumexp(Z, dim): per column (1) or row (2)",
    build=logsumexp_dim,
    differential=differential(
        Op.LOGSUMEXPDIM, "d(logsumexp(Z, k)) = sum(softmax(Z, k) .* dZ, k)", _d_logsumexpdim),
    numpy=_np_logsumexpdim,
))


# -------------------------------------------------------------------------------- mean

def count(shape: Shape) -> Node:
    """The number of entries of an array of `shape`, as a scalar node."""
    n = dim_mul(shape[0], shape[1])
    if isinstance(n, int):
        return const(n)
    return sum_(fill(ONE, shape))


def mean(x: Node, dim: int | None = None) -> Node:
    """mean(X) (all entries) or mean(X, dim): the sum divided by the count."""
    if dim is None:
        return div(sum_(x), count(x.shape))
    dim = check_dim("mean", dim)
    return div(sum_dim(x, dim), count((along(x.shape, dim), 1)))


DIM_BUILDERS = {Op.SUMDIM: sum_dim, Op.SOFTMAXDIM: softmax_dim, Op.LOGSUMEXPDIM: logsumexp_dim}
BY_FUNCTION = {"sum": sum_dim, "softmax": softmax_dim, "logsumexp": logsumexp_dim,
               "mean": mean}


def call_dim(name: str, x: Node, dim: int | None) -> Node:
    """`name(x, dim)` as the language writes it; `mean(x)` when dim is None."""
    if dim is None:
        if name != "mean":
            raise ValueError(f"{name} without a dim is not a batched form")
        return mean(x)
    return BY_FUNCTION[name](x, dim)
