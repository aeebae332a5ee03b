"""Matrix products, matrix powers and transposes, kept canonical.

Contract:

- `matmul` is a chain of non-scalar factors; scalars float out into a `mul`, sub-chains
  that make a scalar (`a'*X*b` inside a longer chain) float out too, `eye` drops, adjacent
  powers of one base merge (`X*X` -> `X^2`, `X*inv(X)` -> nothing), and
  `kron(A, B)*kron(C, D)` is `kron(A*C, B*D)`;
- `transpose` is pushed down to the leaves and vanishes on scalars, symmetric variables,
  the identity and diagonal matrices; `inv(X)'` stays as it is read.

`inv`, `kron` and `block` are defined in op family modules that import this one, so they
are reached here through the op table (`ops.builder`), not imported.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ShapeError
from .core import (
    ONE,
    _flatten,
    _split_scalars,
    _transposes,
    add,
    const,
    eye,
    fill,
    hadamard,
    is_zero,
    mul,
    power,
    zeros,
)
from .dims import SCALAR, Shape, format_shape, is_column, is_scalar, is_square
from .node import Node, make
from .ops import Op, builder, shape_of


def inv(x: Node) -> Node:
    return builder(Op.INV)(x)


def kron(a: Node, b: Node) -> Node:
    return builder(Op.KRON)(a, b)


def block(grid: Sequence[Sequence[Node]]) -> Node:
    return builder(Op.BLOCK)(grid)


# ------------------------------------------------------------------- matrix products


def matmul(a: Node, b: Node) -> Node:
    """The language's `*`: matrix product, or scaling when one side is a scalar."""
    if is_scalar(a.shape) or is_scalar(b.shape):
        return mul(a, b)
    if a.shape[1] != b.shape[0]:
        raise ShapeError(
            f"cannot multiply {format_shape(a.shape)} by {format_shape(b.shape)}",
        )
    shape = (a.shape[0], b.shape[1])
    if is_zero(a) or is_zero(b):
        return zeros(shape)
    sa, ca = _split_scalars(a)
    sb, cb = _split_scalars(b)
    factors = [f for f in _flatten(Op.MATMUL, (ca, cb)) if f.op is not Op.EYE]
    return mul(*sa, *sb, _chain(factors, shape))


def matmul_chain(factors: Sequence[Node]) -> Node:
    out = factors[0]
    for f in factors[1:]:
        out = matmul(out, f)
    return out


def _merge_powers(factors: list[Node]) -> list[Node]:
    """X*X -> X^2, X^2*X -> X^3, X*inv(X) -> (nothing): adjacent factors of one base."""
    out: list[tuple[Node, int]] = []
    for f in factors:
        base, k = (f.children[0], f.arg) if f.op is Op.MPOW else (f, 1)
        if base.op is Op.INV:
            base, k = base.children[0], -k
        elif base.op is Op.MPOW and base.children[0].op is Op.INV:
            base, k = base.children[0].children[0], -base.arg * k
        if out and out[-1][0] is base:
            out[-1] = (base, out[-1][1] + k)
            if out[-1][1] == 0:
                out.pop()
        else:
            out.append((base, k))
    return [_power_factor(base, k) for base, k in out]


def _mixed_products(factors: list[Node]) -> list[Node]:
    """kron(A, B)*kron(C, D) = kron(A*C, B*D) where the products are defined."""
    out: list[Node] = []
    for f in factors:
        if out and f.op is Op.KRON and out[-1].op is Op.KRON:
            (A, B), (C, D) = out[-1].children, f.children
            if A.shape[1] == C.shape[0] and B.shape[1] == D.shape[0]:
                out[-1] = kron(matmul(A, C), matmul(B, D))
                continue
        out.append(f)
    return out


def _fold_ones(factors: list[Node], scalars: list[Node]) -> list[Node]:
    """ones(a, k)*ones(k, b) is k*ones(a, b) for a known k (an outer product of ones is
    a fill): the factor k joins `scalars`. diag(u)*vector(1) is u and vector(1)'*diag(u)
    is u' (the row sums of a diagonal matrix are its diagonal). Factors of a chain are
    fills of 1 only (their scalars were split off), so comparing with ONE finds them."""
    out: list[Node] = []
    for f in factors:
        prev = out[-1] if out else None
        if prev is not None and _is_ones(f, column=True) and _is_diag_of_column(prev):
            out[-1] = prev.children[0]  # diag(u)*vector(1) = u
            continue
        if prev is not None and _is_ones(prev, column=False) and _is_diag_of_column(f):
            out[-1] = transpose(f.children[0])  # vector(1)'*diag(u) = u'
            continue
        if (prev is not None and f.op is Op.FILL and prev.op is Op.FILL
                and f.children[0] is ONE and prev.children[0] is ONE
                and isinstance(f.shape[0], int)
                and (prev.shape[0], f.shape[1]) != SCALAR):
            if f.shape[0] != 1:
                scalars.append(const(f.shape[0]))
            out[-1] = fill(ONE, (prev.shape[0], f.shape[1]))
            continue
        out.append(f)
    return out


def _is_ones(f: Node, column: bool) -> bool:
    """A column (or row) of ones: a fill of 1 of width (height) 1, not a 1×1."""
    if f.op is not Op.FILL or f.children[0] is not ONE or is_scalar(f.shape):
        return False
    return f.shape[1] == 1 if column else f.shape[0] == 1


def _is_diag_of_column(f: Node) -> bool:
    return f.op is Op.DIAG and f.children[0].shape[1] == 1 and not is_scalar(f.shape)


def _power_factor(base: Node, k: int) -> Node:
    if k == 1:
        return base
    if k == -1:
        return inv(base)
    if k < 0:
        return make(Op.MPOW, (inv(base),), -k, base.shape)
    return make(Op.MPOW, (base,), k, base.shape)


def _chain(factors: list[Node], shape: Shape) -> Node:
    """A canonical product of non-scalar, aligned factors (scalar sub-chains pulled out)."""
    factors = _merge_powers(factors) if len(factors) > 1 else factors
    factors = _mixed_products(factors)
    if not factors:
        return eye(shape[0])
    scalars: list[Node] = []
    factors = _fold_ones(factors, scalars)
    changed = True
    while changed and len(factors) > 1:
        changed = False
        last = len(factors) - 1
        for i, fi in enumerate(factors):
            if fi.shape[0] != 1:
                continue
            for j in range(i, len(factors)):
                if factors[j].shape[1] == 1 and not (i == 0 and j == last):
                    scalars.append(_scalar_chain(factors[i : j + 1]))
                    factors = factors[:i] + factors[j + 1 :]
                    changed = True
                    break
            if changed:
                break
    if len(factors) == 1:
        core = factors[0]
    elif is_scalar(shape):
        core = _scalar_chain(factors)
    else:
        core = make(Op.MATMUL, tuple(factors), None, shape)
    return mul(*scalars, core) if scalars else core


def _scalar_chain(factors: Sequence[Node]) -> Node:
    """A 1×1 chain in canonical orientation: `y'*x` and `x'*y` are one node."""
    if len(factors) == 1:
        return factors[0]
    forward = make(Op.MATMUL, tuple(factors), None, SCALAR)
    flipped = tuple(transpose(f) for f in reversed(factors))
    backward = make(Op.MATMUL, flipped, None, SCALAR)
    order = sorted((forward, backward), key=lambda n: (_transposes(n), n.key))
    return order[0]


def mpower(x: Node, k: int) -> Node:
    """Integer matrix power `X^k` (`X^-1` is the inverse)."""
    if is_scalar(x.shape):
        return power(x, const(k))
    shape_of(Op.MPOW, x.shape)
    if k == 0:
        return eye(x.shape[0])
    if k == 1:
        return x
    if k == -1:
        return inv(x)
    if k < 0:
        return mpower(inv(x), -k)
    if x.op is Op.MPOW:
        return mpower(x.children[0], x.arg * k)
    return make(Op.MPOW, (x,), int(k), x.shape)


# ----------------------------------------------------------------------- transposes


def is_symmetric(x: Node) -> bool:
    return transpose(x) is x


def is_diagonal(x: Node) -> bool:
    """Known to be a diagonal matrix from its structure or declaration."""
    if x.op is Op.VAR:
        return "diagonal" in x.arg.props
    if x.op is Op.EYE or (x.op is Op.DIAG and is_square(x.shape) and x.shape[0] != 1
                         and is_column(x.children[0].shape)):
        return True
    if x.op in (Op.INV, Op.TRANSPOSE, Op.MPOW):
        return is_diagonal(x.children[0])
    if x.op is Op.MUL and not is_scalar(x.shape):
        return is_diagonal(x.children[-1])
    if x.op in (Op.MATMUL, Op.ADD):
        return all(is_diagonal(c) for c in x.children)
    if x.op is Op.HADAMARD:
        return any(is_diagonal(c) for c in x.children)
    return False


def transpose(x: Node) -> Node:
    s = x.shape
    if is_scalar(s):
        return x
    op = x.op
    if op is Op.TRANSPOSE:
        return x.children[0]
    if op is Op.EYE:  # (a commutation matrix is not symmetric: K(m,n)' = K(n,m))
        return x
    if op is Op.VAR and x.arg.symmetric:
        return x
    if op is Op.FILL:
        return fill(x.children[0], (s[1], s[0]))
    if op is Op.ADD:
        return add(*(transpose(t) for t in x.children))
    if op is Op.MUL:
        return mul(*x.children[:-1], transpose(x.children[-1]))
    if op is Op.MATMUL:
        return matmul_chain([transpose(f) for f in reversed(x.children)])
    if op is Op.HADAMARD:
        return hadamard(*(transpose(f) for f in x.children))
    if op is Op.POW:
        base, e = x.children
        return power(transpose(base), e if is_scalar(e.shape) else transpose(e))
    if op is Op.DIAG and is_square(s):
        return x  # a diagonal matrix
    if op is Op.KRON:
        return kron(transpose(x.children[0]), transpose(x.children[1]))
    if op is Op.MPOW:
        return mpower(transpose(x.children[0]), x.arg)
    if op in (Op.INV, Op.EXPM) and is_symmetric(x.children[0]):
        return x
    if op is Op.BLOCK:
        rows, cols = x.arg
        grid = [[x.children[r * cols + c] for c in range(cols)] for r in range(rows)]
        return block([[transpose(grid[r][c]) for r in range(rows)] for c in range(cols)])
    return make(Op.TRANSPOSE, (x,), None, (s[1], s[0]))
