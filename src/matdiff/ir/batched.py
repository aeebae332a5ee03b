"""Builders of the batched forms with MATLAB's `dim` argument (issue 11, item 6).

Contract: `sum_dim(X, d)`, `softmax_dim(Z, d)`, `logsumexp_dim(Z, d)` and `mean(X, d)`
take d = 1 (act down each column: a batch of column vectors) or d = 2 (act along each
row), as MATLAB's `sum(X, dim)` does; `mean(X)` with no dim is the whole-array mean.
Like every builder they fold what is known so that the nodes `sumdim`, `softmaxdim`,
`logsumexpdim` (ops in ir/ops.py, the dim in `arg`) only hold a true matrix:

- along a dimension of size 1 nothing is summed: sum(X, 1) = X for a row X, softmax of
  a single entry is 1, logsumexp of a single entry is that entry;
- across a vector the batched form is the whole-vector one: sum(x, 1) = sum(x) for a
  column x, softmax(z, 1) = softmax(z), logsumexp(z, 1) = logsumexp(z);
- a transposed argument moves out, as for the elementwise functions (`f(X')` is written
  `f(X)'`): sum(X', 1) = sum(X, 2)', softmax(Z', 2) = softmax(Z, 1)';
- scalar factors move out of sum(·, d) (it is linear), zero stays zero, and the sums of
  a fill with a known count are numbers: sum(matrix(c), 1) = vector(m*c)' for m rows.

`mean` is not an op: it is the sum divided by the count, which is a number for known
sizes and `sum(vector(1))` / `sum(matrix(1))` (the count written in the language) for
symbolic ones.
"""

from __future__ import annotations

from ..errors import ShapeError
from .build import ONE, const, div, fill, is_zero, mul, transpose, zeros
from .dims import Dim, Shape, dim_mul, is_scalar
from .functions import logsumexp, softmax, sum_
from .node import Node, make

DIMS = (1, 2)


def _check_dim(name: str, dim: object) -> int:
    if dim not in DIMS or isinstance(dim, bool):
        raise ShapeError(
            f"the dim argument of {name} must be 1 or 2, got {dim!r}",
            hint=f"{name}(X, 1) acts down each column, {name}(X, 2) along each row",
        )
    return int(dim)  # type: ignore[call-overload]


def reduced_shape(shape: Shape, dim: int) -> Shape:
    """The shape after reducing along dim: 1×n for dim 1, m×1 for dim 2."""
    return (1, shape[1]) if dim == 1 else (shape[0], 1)


def _along(shape: Shape, dim: int) -> Dim:
    """The size of the dimension reduced: the number of rows for dim 1."""
    return shape[0] if dim == 1 else shape[1]


def sum_dim(x: Node, dim: int) -> Node:
    """sum(X, dim): the row of column sums (dim 1) or the column of row sums (dim 2)."""
    dim = _check_dim("sum", dim)
    out = reduced_shape(x.shape, dim)
    if _along(x.shape, dim) == 1:
        return x
    if is_scalar(out):
        return sum_(x)
    if is_zero(x):
        return zeros(out)
    if x.op == "transpose":
        return transpose(sum_dim(x.children[0], 3 - dim))
    if x.op == "mul":
        return mul(*x.children[:-1], sum_dim(x.children[-1], dim))
    along = _along(x.shape, dim)
    if x.op == "fill" and isinstance(along, int):
        return fill(mul(const(along), x.children[0]), out)
    return make("sumdim", (x,), dim, out)


def softmax_dim(z: Node, dim: int) -> Node:
    """softmax(Z, dim): the softmax of each column (dim 1) or of each row (dim 2)."""
    dim = _check_dim("softmax", dim)
    if is_scalar(z.shape):
        return ONE
    if _along(z.shape, dim) == 1:
        return fill(ONE, z.shape)  # the softmax of a single entry is 1
    if is_scalar(reduced_shape(z.shape, dim)):  # a vector along dim
        return softmax(z) if dim == 1 else transpose(softmax(transpose(z)))
    if z.op == "transpose":
        return transpose(softmax_dim(z.children[0], 3 - dim))
    return make("softmaxdim", (z,), dim, z.shape)


def logsumexp_dim(z: Node, dim: int) -> Node:
    """logsumexp(Z, dim): log(sum(exp(Z), dim)), computed stably."""
    dim = _check_dim("logsumexp", dim)
    out = reduced_shape(z.shape, dim)
    if _along(z.shape, dim) == 1:
        return z
    if is_scalar(out):
        return logsumexp(z.children[0] if z.op == "transpose" else z)
    if z.op == "transpose":
        return transpose(logsumexp_dim(z.children[0], 3 - dim))
    return make("logsumexpdim", (z,), dim, out)


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
    dim = _check_dim("mean", dim)
    along = _along(x.shape, dim)
    return div(sum_dim(x, dim), count((along, 1)))


DIM_BUILDERS = {"sumdim": sum_dim, "softmaxdim": softmax_dim, "logsumexpdim": logsumexp_dim}
BY_FUNCTION = {"sum": sum_dim, "softmax": softmax_dim, "logsumexp": logsumexp_dim,
               "mean": mean}


def call_dim(name: str, x: Node, dim: int | None) -> Node:
    """`name(x, dim)` as the language writes it; `mean(x)` when dim is None."""
    if dim is None:
        if name != "mean":
            raise ValueError(f"{name} without a dim is not a batched form")
        return mean(x)
    return BY_FUNCTION[name](x, dim)
