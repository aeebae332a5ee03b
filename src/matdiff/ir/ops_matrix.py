"""The matrix functions: det, logdet, inv, expm and kron.

Contract: each op's record holds its builder (folds: det(X^k) = det(X)^k, det(A*B) =
det(A)*det(B), inv(inv(X)) = X, inv of an orthogonal X is X', expm(0) = eye, scalar
factors move out of kron, kron of a row and a column is their outer product y*x',
kron(eye(n), kron(eye(m), C)) = kron(eye(n*m), C) and its mirror), its
differential citing the Matrix Cookbook (Petersen & Pedersen, 2012), and its NumPy
value (slogdet, a conditioned solve, Padé expm).
`FUSED` holds the rules for an op applied directly to another that replace the inner
op's own: d(tr(expm(X))) has a closed form though d(expm(X)) has none.
kron is bilinear: where the argument without dX is a vector, its transpose and Kronecker
rules write kron as a matrix product (kron(U, v) = kron(eye(n), v)*U, kron(u, V) =
kron(u, eye(p))*V, likewise for rows), so the Jacobians of kron(a, b) are kron(eye(n), b)
and kron(a, eye(m)); with a matrix on the other side they say that there is no matrix
form (index form).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from ..errors import NoMatrixForm
from .chains import matmul, matmul_chain, transpose
from .core import (
    ONE,
    ZERO,
    _split_scalars,
    add,
    const,
    eye,
    fill,
    is_zero,
    mul,
    neg,
    power,
    zeros,
)
from .dims import SCALAR, dim_mul, is_column, is_row, is_scalar, is_square
from .node import Node, make
from .numeric import Array, OutsideDomain, inverse, scalar
from .numeric import expm as expm_value
from .ops import (
    Differential,
    Diffs,
    Op,
    OpRecord,
    define,
    differential,
    kron_shape,
    shape_of,
    square,
    square_to_scalar,
)
from .ops_elementwise import func
from .ops_linear import tr
from .rulekit import VJ, total

Sizes = Mapping[str, int]


# --------------------------------------------------------------------------------- det

def det(x: Node) -> Node:
    shape_of(Op.DET, x.shape)
    if is_scalar(x.shape):
        return x
    if x.op is Op.EYE:
        return ONE
    if x.op is Op.TRANSPOSE:
        return det(x.children[0])
    if x.op is Op.INV:
        return power(det(x.children[0]), const(-1))
    if x.op is Op.MPOW:
        return power(det(x.children[0]), const(x.arg))
    if x.op is Op.MATMUL and all(is_square(f.shape) for f in x.children):
        return mul(*(det(f) for f in x.children))  # det(A*B) = det(A)*det(B)
    if x.op is Op.MUL:
        n = x.shape[0]
        if isinstance(n, int):
            return mul(*(power(s, const(n)) for s in x.children[:-1]), det(x.children[-1]))
    return make(Op.DET, (x,), None, SCALAR)


def _d_det(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (X,), (dX,) = xs, ds
    return None if dX is None else mul(x, tr(matmul(inv(X), dX)))


define(OpRecord(
    Op.DET, "function", 1, square_to_scalar("det"), domain="invertible", build=det,
    differential=differential(Op.DET, "d(det(X)) = det(X)*tr(inv(X)*dX)", _d_det,
                              "Cookbook (46)"),
    numpy=lambda n, k, s: scalar(np.linalg.det(k[0])),
))


# ------------------------------------------------------------------------------ logdet

def logdet(x: Node) -> Node:
    shape_of(Op.LOGDET, x.shape)
    if is_scalar(x.shape):
        return func("log", x)
    if x.op is Op.EYE:
        return ZERO
    if x.op is Op.TRANSPOSE:
        return logdet(x.children[0])
    return make(Op.LOGDET, (x,), None, SCALAR)


def _np_logdet(n: Node, k: list[Array], s: Sizes) -> Array:
    sign, logabs = np.linalg.slogdet(k[0])
    if sign <= 0:
        raise OutsideDomain("a singular matrix" if sign == 0
                            else "a matrix with negative determinant")
    return scalar(logabs)


define(OpRecord(
    Op.LOGDET, "function", 1, square_to_scalar("logdet"), domain="spd", build=logdet,
    differential=differential(
        Op.LOGDET, "d(logdet(X)) = tr(inv(X)*dX)",
        lambda x, xs, ds: None if ds[0] is None else tr(matmul(inv(xs[0]), ds[0])),
        "Cookbook (57)"),
    numpy=_np_logdet,
))


# --------------------------------------------------------------------------------- inv

def inv(x: Node) -> Node:
    shape_of(Op.INV, x.shape)
    if is_scalar(x.shape):
        return power(x, const(-1))
    if x.op is Op.INV:
        return x.children[0]
    if x.op is Op.EYE:
        return x
    if x.op is Op.VAR and "orthogonal" in x.arg.props:
        return transpose(x)
    if x.op is Op.TRANSPOSE:
        return transpose(inv(x.children[0]))
    if x.op is Op.MUL:
        return mul(*(power(s, const(-1)) for s in x.children[:-1]), inv(x.children[-1]))
    return make(Op.INV, (x,), None, x.shape)


define(OpRecord(
    Op.INV, "function", 1, square("inv"), domain="invertible", build=inv,
    differential=differential(
        Op.INV, "d(inv(X)) = -inv(X)*dX*inv(X)",
        lambda x, xs, ds: None if ds[0] is None else neg(matmul_chain([x, ds[0], x])),
        "Cookbook (59)"),
    numpy=lambda n, k, s: inverse(k[0]),
))


# -------------------------------------------------------------------------------- expm

def expm(x: Node) -> Node:
    shape_of(Op.EXPM, x.shape)
    if is_scalar(x.shape):
        return func("exp", x)
    if is_zero(x):
        return eye(x.shape[0])
    return make(Op.EXPM, (x,), None, x.shape)


def _d_expm(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (M,), (dM,) = xs, ds
    if dM is None:
        return None
    # d expm(s*A) = A*expm(s*A)*ds when only the scalar s varies: s*A commutes with A.
    if M.op is Op.MUL:
        core = M.children[-1]
        if dM.op is Op.MUL and dM.children[-1] is core:
            return matmul(matmul(core, x), mul(*dM.children[:-1]))
    raise NoMatrixForm(
        "d expm(X) has no closed matrix form for a general X "
        "(it is the integral of expm(s*X)*dX*expm((1-s)*X) over s in [0, 1]); "
        "matdiff differentiates expm(s*A) with A constant"
    )


define(OpRecord(
    Op.EXPM, "function", 1, square("expm"), domain="small", build=expm,
    differential=differential(Op.EXPM, "d(expm(t*A)) = A*expm(t*A)*dt (A constant)",
                              _d_expm),
    numpy=lambda n, k, s: expm_value(k[0]),
))


def _tr_expm(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (dM,) = ds
    # The trace of the Frechet derivative: tr(int expm(sM) dM expm((1-s)M) ds)
    # = tr(expm(M)*dM) by the cyclic property, for every M.
    return None if dM is None else tr(matmul(x.children[0], dM))


# Rules for an op applied directly to another, used instead of the inner op's own rule.
FUSED: dict[tuple[str, str], Differential] = {
    (Op.TR, Op.EXPM): differential(Op.TR, "d(tr(expm(X))) = tr(expm(X)*dX)", _tr_expm,
                                   "Cookbook (2.5)"),
}


# -------------------------------------------------------------------------------- kron

def kron(a: Node, b: Node) -> Node:
    if is_scalar(a.shape) or is_scalar(b.shape):
        return mul(a, b)
    if is_zero(a) or is_zero(b):
        return zeros(shape_of(Op.KRON, a.shape, b.shape))
    sa, ca = _split_scalars(a)
    sb, cb = _split_scalars(b)
    shape = shape_of(Op.KRON, ca.shape, cb.shape)
    if ca.op is Op.FILL and cb.op is Op.FILL:  # ones ⊗ ones is ones
        return mul(*sa, *sb, fill(ONE, shape))
    if ca.op is Op.EYE and cb.op is Op.KRON and cb.children[0].op is Op.EYE:
        # kron(eye(n), kron(eye(m), C)) = kron(eye(n*m), C) (kron is associative)
        core = kron(eye(dim_mul(ca.shape[0], cb.children[0].shape[0])), cb.children[1])
    elif cb.op is Op.EYE and ca.op is Op.KRON and ca.children[1].op is Op.EYE:
        core = kron(ca.children[0], eye(dim_mul(ca.children[1].shape[0], cb.shape[0])))
    elif is_row(ca.shape) and is_column(cb.shape):
        core = matmul(cb, ca)  # kron(x', y) = y*x': a row and a column, an outer product
    elif is_column(ca.shape) and is_row(cb.shape):
        core = matmul(ca, cb)  # kron(y, x') = y*x'
    else:
        core = make(Op.KRON, (ca, cb), None, shape)
    return mul(*sa, *sb, core) if sa or sb else core


def _d_kron(x: Node, xs: Sequence[Node], ds: Diffs) -> Node | None:
    (A, B), (dA, dB) = xs, ds
    terms = []
    if dA is not None:
        terms.append(kron(dA, B))
    if dB is not None:
        terms.append(kron(A, dB))
    return total(terms)


def _as_product(x: Node, i: int) -> tuple[Node | None, Node | None] | None:
    """(left, right) with kron(U, V) = left*child_i*right where the other argument is a
    vector (the mixed product with kron(1, C)): kron(U, v) = kron(eye(n), v)*U,
    kron(U, v') = U*kron(eye(m), v'), kron(u, V) = kron(u, eye(p))*V, kron(u', V) =
    V*kron(u', eye(q)). None (no matrix form written) when the other is a matrix."""
    U, V = x.children
    other = V if i == 0 else U
    if is_column(other.shape):
        child = U if i == 0 else V
        return (kron(eye(child.shape[0]), V) if i == 0 else kron(U, eye(child.shape[0]))), None
    if is_row(other.shape):
        child = U if i == 0 else V
        return None, (kron(eye(child.shape[1]), V) if i == 0 else kron(U, eye(child.shape[1])))
    return None


def _t_kron(x: Node, c: Node, linear: Sequence[int]) -> list[Node]:
    cots = []
    for i in linear:
        sides = _as_product(x, i)
        if sides is None:
            raise NoMatrixForm("no matrix form for the adjoint of kron with the variable in "
                               "one matrix and the other a matrix (index form only)")
        left, right = sides
        # the adjoint of D -> left*D*right is C -> left'*C*right'
        cots.append(matmul_chain([*([transpose(left)] if left is not None else []), c,
                                  *([transpose(right)] if right is not None else [])]))
    return cots


def _vj_kron(L: Node, linear: Sequence[int], vj: VJ) -> Node | None:
    terms = []
    for i in linear:
        sides = _as_product(L, i)
        if sides is None:
            return None  # a Kronecker product of matrices holding dX: index form
        left, right = sides
        product = [f for f in (left, L.children[i], right) if f is not None]
        terms.append(vj(matmul_chain(product)))  # through matmul's own Kronecker rule
    return add(*terms)


define(OpRecord(
    Op.KRON, "function", 2, kron_shape, build=kron,
    differential=differential(Op.KRON, "d(kron(X, Y)) = kron(dX, Y) + kron(X, dY)", _d_kron,
                              "Cookbook (39)"),
    transpose=_t_kron,
    vec_jacobian=_vj_kron,
    numpy=lambda n, k, s: np.kron(k[0], k[1]),
))
