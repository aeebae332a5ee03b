"""The records of the leaves and the core ops: sums, products, powers, fills, blocks,
transposes and matrix powers.

Contract: each `define` below is the op's whole mathematics: shape rule, builder (in
ir/core.py and ir/chains.py, which the other families import too), differential
(citing the Matrix Cookbook, Petersen & Pedersen 2012), transpose for the ops linear
in a child (bilinear products are linear in the one child that holds dX, as JAX's
`mul`), Kronecker form, and NumPy value. The leaves have no differential: the
differential walk maps a variable to its `dX` itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import LimitError, NoMatrixForm, ShapeError
from .chains import matmul, matmul_chain, mpower, transpose
from .core import (
    ONE,
    add,
    commutation,
    const,
    const_value,
    dvar,
    eye,
    fill,
    hadamard,
    is_zero,
    mul,
    power,
    sub,
    var,
    zeros,
)
from .dims import Dim, dim_add, dim_mul, format_shape, is_column, is_row, is_scalar
from .node import Node, make
from .numeric import (
    Array,
    OutsideDomain,
    commutation_matrix,
    concrete_shape,
    inverse,
    out_shape,
    scalar,
)
from .ops import (
    Diffs,
    Op,
    OpRecord,
    define,
    differential,
    pow_shape,
    same,
    square,
    transposed,
)
from .ops_elementwise import func
from .ops_linear import diag, inner, sum_, vec
from .ops_matrix import kron
from .rulekit import VJ, linear_rule, nonzero, only, others, total

MAX_EXPANDED_POWER = 64
Sizes = Mapping[str, int]


# ------------------------------------------------------------------------------ leaves
# var and dvar take their values from those given to the evaluator, not from a rule.

define(OpRecord(Op.VAR, "leaf", 0, doc="a variable; arg: its VarInfo", build=var))
define(OpRecord(Op.DVAR, "leaf", 0, doc="the differential dX; arg: (name, order)",
                build=dvar))
define(OpRecord(Op.CONST, "leaf", 0, doc="a number; arg: its value", build=const,
                numpy=lambda n, k, s: scalar(n.arg)))
define(OpRecord(Op.EYE, "leaf", 0, doc="the identity", build=eye,
                numpy=lambda n, k, s: np.eye(out_shape(n, s)[0])))
define(OpRecord(Op.COMMUTATION, "leaf", 0, doc="K(m,n): K*vec(X) = vec(X') for X m×n",
                build=commutation,
                numpy=lambda n, k, s: commutation_matrix(*concrete_shape(n.arg, s))))


# --------------------------------------------------------------------------------- add

def _d_add(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return total([d for _, d in nonzero(ds)])


def _vj_add(L: Node, linear: Sequence[int], vj: VJ) -> Node:
    return add(*(vj(L.children[i]) for i in linear))


define(OpRecord(
    Op.ADD, "nary", None, same, doc="sum of same-shape terms", build=add,
    differential=differential(Op.ADD, "d(X + Y) = dX + dY", _d_add),
    transpose=lambda x, c, linear: [c] * len(linear),
    vec_jacobian=_vj_add,
    numpy=lambda n, k, s: sum(k, np.zeros(out_shape(n, s))),
))


# --------------------------------------------------------------------------------- mul

def _d_mul(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return total([mul(*xs[:i], d, *xs[i + 1:]) for i, d in nonzero(ds)])


def _t_mul(x: Node, c: Node, linear: Sequence[int]) -> list[Node]:
    i = only(linear)
    rest = others(x, i)
    if is_scalar(x.children[i].shape) and not is_scalar(x.shape):
        return [inner(mul(*rest), c)]
    return [mul(*rest, c)]


def _vj_mul(L: Node, linear: Sequence[int], vj: VJ) -> Node:
    i = only(linear)
    f, rest = L.children[i], others(L, i)
    if is_scalar(f.shape):
        return matmul(vec(mul(*rest)), vj(f))
    return mul(*rest, vj(f))


def _product(n: Node, k: list[Array], s: Sizes) -> Array:
    out = k[0]
    for x in k[1:]:
        out = out * x  # scalars (1×1) broadcast
    return out


define(OpRecord(
    Op.MUL, "nary", None, doc="product of scalars, times at most one non-scalar", build=mul,
    differential=differential(Op.MUL, "d(a*Y) = da*Y + a*dY (product rule)", _d_mul),
    transpose=_t_mul, vec_jacobian=_vj_mul, numpy=_product,
))


# ------------------------------------------------------------------------------ matmul

def _d_matmul(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return total([matmul_chain([*xs[:i], d, *xs[i + 1:]]) for i, d in nonzero(ds)])


def _t_matmul(x: Node, c: Node, linear: Sequence[int]) -> list[Node]:
    i = only(linear)
    fs = x.children
    if i > 0:
        c = matmul(transpose(matmul_chain(fs[:i])), c)
    if i < len(fs) - 1:
        c = matmul(c, transpose(matmul_chain(fs[i + 1:])))
    return [c]


def _vj_matmul(L: Node, linear: Sequence[int], vj: VJ) -> Node:
    """vec(P*dX*Q) = kron(Q', P)*vec(dX)."""
    i = only(linear)
    fs = L.children
    F = fs[i]
    P = matmul_chain(fs[:i]) if i > 0 else None
    Q = matmul_chain(fs[i + 1:]) if i < len(fs) - 1 else None
    if F.op is Op.DIAG and is_column(F.children[0].shape) and Q is not None and is_column(
        Q.shape
    ):
        # diag(v)*q = q .* v: the readable form P*diag(q)*J(v)
        left = diag(Q) if P is None else matmul(P, diag(Q))
        return matmul(left, vj(F.children[0]))
    left_factor = P if P is not None else eye(F.shape[0])
    right_factor = transpose(Q) if Q is not None else eye(F.shape[1])
    return matmul(kron(right_factor, left_factor), vj(F))


define(OpRecord(
    Op.MATMUL, "nary", None, doc="matrix product chain, no scalar factors",
    build=lambda *fs: matmul_chain(fs),
    differential=differential(Op.MATMUL, "d(X*Y) = dX*Y + X*dY (product rule)", _d_matmul,
                              "Cookbook (37)"),
    transpose=_t_matmul, vec_jacobian=_vj_matmul,
    numpy=lambda n, k, s: k[0] @ k[1] if len(k) == 2 else np.linalg.multi_dot(k),
))


# ---------------------------------------------------------------------------- hadamard

def _d_hadamard(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    return total([hadamard(*xs[:i], d, *xs[i + 1:]) for i, d in nonzero(ds)])


def _vj_hadamard(L: Node, linear: Sequence[int], vj: VJ) -> Node:
    i = only(linear)
    return matmul(diag(vec(hadamard(*others(L, i)))), vj(L.children[i]))


define(OpRecord(
    Op.HADAMARD, "nary", None, same, doc="elementwise product of same-shape factors",
    build=hadamard,
    differential=differential(Op.HADAMARD, "d(X .* Y) = dX .* Y + X .* dY", _d_hadamard,
                              "Cookbook (38)"),
    transpose=lambda x, c, linear: [hadamard(*others(x, only(linear)), c)],
    vec_jacobian=_vj_hadamard, numpy=_product,
))


# --------------------------------------------------------------------------------- pow

def _d_pow(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    base, e = xs
    dbase, de = ds
    terms = []
    if dbase is not None:
        ev = const_value(e)
        if ev is not None:
            slope = mul(const(ev), power(base, const(ev - 1)))
        else:
            slope = hadamard(e, power(base, sub(e, ONE)))
        terms.append(hadamard(slope, dbase))
    if de is not None:
        terms.append(hadamard(x, func("log", base), de))
    return total(terms)


def _np_pow(n: Node, k: list[Array], s: Sizes) -> Array:
    base, e = k
    e_full = np.broadcast_to(e, base.shape)
    if np.any((base < 0) & (e_full != np.round(e_full))):
        raise OutsideDomain("a negative base to a non-integer power")
    if np.any((base == 0) & (e_full < 0)):
        raise OutsideDomain("zero to a negative power")
    return np.power(base, e)


define(OpRecord(
    Op.POW, "special", 2, pow_shape, domain="positive", doc="elementwise power", build=power,
    differential=differential(Op.POW, "d(X.^c) = c*X.^(c-1) .* dX", _d_pow),
    numpy=_np_pow,
))


# -------------------------------------------------------------------------------- fill

define(OpRecord(
    Op.FILL, "special", 1, doc="every entry equal to a scalar (vector(c), matrix(c))",
    build=fill,
    differential=differential(
        Op.FILL, "d(matrix(c)) = matrix(dc)",
        lambda x, xs, ds: fill(ds[0], x.shape) if ds[0] is not None else None),
    transpose=lambda x, c, linear: [sum_(c)],
    vec_jacobian=lambda L, linear, vj: matmul(
        fill(ONE, (dim_mul(*L.shape), 1)), vj(L.children[0])),
    numpy=lambda n, k, s: np.full(out_shape(n, s), float(k[0][0, 0])),
))


# ------------------------------------------------------------------------------- block

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
    return make(Op.BLOCK, children, (rows, cols), (total_r, total_c))


def _d_block(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    rows, cols = x.arg
    parts = [d if d is not None else zeros(c.shape) for c, d in zip(xs, ds, strict=True)]
    return block([parts[r * cols: (r + 1) * cols] for r in range(rows)])


def split_like(c: Node, blk: Node) -> list[Node]:
    """The blocks of `c` laid out like the block matrix `blk`, when `c`'s own structure
    shows them (a block matrix of the same grid, a fill, the identity, a sum or a scaled
    one of those); the language has no slicing to write the general case."""
    rows, cols = blk.arg
    kids = blk.children
    if is_zero(c) or c.op is Op.FILL:
        return [fill(c.children[0], k.shape) for k in kids]
    if c.op is Op.BLOCK and c.arg == blk.arg and all(
        x.shape == k.shape for x, k in zip(c.children, kids, strict=True)
    ):
        return list(c.children)
    if c.op is Op.MUL and not is_scalar(c.shape):
        return [mul(*c.children[:-1], part) for part in split_like(c.children[-1], blk)]
    if c.op is Op.ADD:
        parts = [split_like(t, blk) for t in c.children]
        return [add(*ps) for ps in zip(*parts, strict=True)]
    if c.op is Op.EYE and rows == cols and all(
        kids[r * cols + r].shape[0] == kids[r * cols + r].shape[1] for r in range(rows)
    ):
        return [
            eye(k.shape[0]) if i // cols == i % cols else zeros(k.shape)
            for i, k in enumerate(kids)
        ]
    raise NoMatrixForm("no matrix form for this part of a block matrix (the language has "
                       "no slicing); index form only")


def _t_block(x: Node, c: Node, linear: Sequence[int]) -> list[Node]:
    parts = split_like(c, x)
    return [parts[i] for i in linear]


def _vj_block(L: Node, linear: Sequence[int], vj: VJ) -> Node | None:
    rows, cols = L.arg
    if cols == 1 and all(is_column(c.shape) or is_scalar(c.shape) for c in L.children):
        return block([[vj(c)] for c in L.children])
    return None  # no Kronecker form: the caller says so


def _np_block(n: Node, k: list[Array], s: Sizes) -> Array:
    rows, cols = n.arg
    return np.block([[k[r * cols + c] for c in range(cols)] for r in range(rows)])


define(OpRecord(
    Op.BLOCK, "special", None, doc="block matrix [a, b; c, d]", build=block,
    differential=differential(Op.BLOCK, "d([A, B; C, D]) = [dA, dB; dC, dD]", _d_block),
    transpose=_t_block, vec_jacobian=_vj_block, numpy=_np_block,
))


# --------------------------------------------------------------------------- transpose

def _vj_transpose(L: Node, linear: Sequence[int], vj: VJ) -> Node:
    """vec(dX') = K*vec(dX), K the commutation matrix (a vector's is the identity)."""
    child = L.children[0]
    inner_j = vj(child)
    if is_column(child.shape) or is_row(child.shape):
        return inner_j
    return matmul(commutation(*child.shape), inner_j)


define(OpRecord(
    Op.TRANSPOSE, "special", 1, transposed, build=transpose,
    differential=differential(Op.TRANSPOSE, "d(X') = dX'", linear_rule(transpose),
                              "Cookbook (34)"),
    transpose=lambda x, c, linear: [transpose(c)],
    vec_jacobian=_vj_transpose,
    numpy=lambda n, k, s: k[0].T,
))


# -------------------------------------------------------------------------------- mpow

def _d_mpow(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    if dX is None:
        return None
    k = x.arg
    if k > MAX_EXPANDED_POWER:
        raise LimitError(
            f"d({x}) expands into {k} terms; matdiff expands matrix powers up to "
            f"the {MAX_EXPANDED_POWER}th",
            hint="use a smaller power",
        )
    return add(*(matmul_chain([mpower(X, i), dX, mpower(X, k - 1 - i)]) for i in range(k)))


def _np_mpow(n: Node, k: list[Array], s: Sizes) -> Array:
    x = inverse(k[0]) if n.arg < 0 else k[0]
    return np.linalg.matrix_power(x, abs(int(n.arg)))


define(OpRecord(
    Op.MPOW, "special", 1, square("^"), domain="square", doc="integer matrix power",
    build=mpower,
    differential=differential(Op.MPOW, "d(X^k) = sum of X^i*dX*X^(k-1-i)", _d_mpow),
    numpy=_np_mpow,
))
