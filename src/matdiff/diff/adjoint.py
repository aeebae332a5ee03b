"""Identification: reading derivatives off a differential.

A differential `L` is linear in `dX`. Two ways to read a derivative off it:

- `adjoint(L, dX, cot)`: transpose the linear map dX -> L (reverse mode). With `cot = 1`
  for a scalar L this is the gradient G with `L = tr(G'*dX)`. Per op the adjoint is a
  one-liner: A*dX*B -> A'*G*B', dX' -> G', M .* dX -> M .* G, tr(dX) -> G*eye.
- `vec_jacobian(L, dX)`: the matrix M with `vec(L) = M*vec(dX)`. For a vector L and a
  vector x this is the Jacobian; otherwise it is the Kronecker form
  (`vec(A*dX*B) = kron(B', A)*vec(dX)`).

Both raise `NoMatrixForm` for structures with no matrix-language adjoint (a `kron` with
the differential inside, blocks of non-scalars), so callers fall back to index form.
"""

from __future__ import annotations

from ..errors import InternalError, NoMatrixForm
from ..ir import build as b
from ..ir.dims import dim_mul, is_column, is_row, is_scalar
from ..ir.node import Node, dvar_key
from .rules import broadcast_back, inner


def _has(node: Node, key: str) -> bool:
    return key in node.free


def adjoint(L: Node, dvar: Node, cot: Node) -> Node:
    """The G (dvar's shape) with sum(G .* dX) = sum(cot .* L) for every dX."""
    key = dvar_key(dvar.arg)
    terms: list[Node] = []
    stack = [(L, cot)]
    while stack:
        node, c = stack.pop()
        if not _has(node, key):
            continue
        op = node.op
        if op == "dvar":
            terms.append(c)
        elif op == "add":
            stack.extend((t, c) for t in node.children)
        elif op == "mul":
            i = _only(node, key)
            f = node.children[i]
            rest = [x for j, x in enumerate(node.children) if j != i]
            if is_scalar(f.shape) and not is_scalar(node.shape):
                stack.append((f, inner(b.mul(*rest), c)))
            else:
                stack.append((f, b.mul(*rest, c)))
        elif op == "matmul":
            i = _only(node, key)
            fs = node.children
            g = c
            if i > 0:
                g = b.matmul(b.transpose(b.matmul_chain(fs[:i])), g)
            if i < len(fs) - 1:
                g = b.matmul(g, b.transpose(b.matmul_chain(fs[i + 1 :])))
            stack.append((fs[i], g))
        elif op == "hadamard":
            i = _only(node, key)
            rest = [x for j, x in enumerate(node.children) if j != i]
            stack.append((node.children[i], b.hadamard(*rest, c)))
        elif op == "transpose":
            stack.append((node.children[0], b.transpose(c)))
        elif op == "tr":
            stack.append((node.children[0], b.mul(c, b.eye(node.children[0].shape[0]))))
        elif op == "sum":
            stack.append((node.children[0], b.fill(c, node.children[0].shape)))
        elif op == "sumdim":  # a row of column sums: its adjoint repeats c down the rows
            stack.append((node.children[0], broadcast_back(c, node.children[0], node.arg)))
        elif op == "diag":
            stack.append((node.children[0], b.diag(c)))
        elif op == "vec":
            stack.append((node.children[0], b.reshape(c, node.children[0].shape)))
        elif op == "reshape":
            stack.append((node.children[0], b.vec(c)))
        elif op == "fill":
            stack.append((node.children[0], b.sum_(c)))
        elif op == "block":
            stack.extend(zip(node.children, split_like(c, node), strict=True))
        elif op == "kron":
            raise NoMatrixForm("no matrix form for the adjoint of kron (index form only)")
        else:
            raise InternalError(f"{op} is not linear in the differential")
    if not terms:
        return b.zeros(dvar.shape)
    return b.add(*terms)


def split_like(c: Node, blk: Node) -> list[Node]:
    """The blocks of `c` laid out like the block matrix `blk`, when `c`'s own structure
    shows them (a block matrix of the same grid, a fill, the identity, a sum or a scaled
    one of those); the language has no slicing to write the general case."""
    rows, cols = blk.arg
    kids = blk.children
    if b.is_zero(c) or c.op == "fill":
        return [b.fill(c.children[0], k.shape) for k in kids]
    if c.op == "block" and c.arg == blk.arg and all(
        x.shape == k.shape for x, k in zip(c.children, kids, strict=True)
    ):
        return list(c.children)
    if c.op == "mul" and not is_scalar(c.shape):
        return [b.mul(*c.children[:-1], part) for part in split_like(c.children[-1], blk)]
    if c.op == "add":
        parts = [split_like(t, blk) for t in c.children]
        return [b.add(*ps) for ps in zip(*parts, strict=True)]
    if c.op == "eye" and rows == cols and all(
        kids[r * cols + r].shape[0] == kids[r * cols + r].shape[1] for r in range(rows)
    ):
        return [
            b.eye(k.shape[0]) if i // cols == i % cols else b.zeros(k.shape)
            for i, k in enumerate(kids)
        ]
    raise NoMatrixForm("no matrix form for this part of a block matrix (the language has "
                       "no slicing); index form only")


def _only(node: Node, key: str) -> int:
    idx = [i for i, c in enumerate(node.children) if _has(c, key)]
    if len(idx) != 1:
        raise InternalError("the differential is not linear (dX appears in two factors)")
    return idx[0]


def vec_size(node: Node) -> int | str:
    return dim_mul(node.shape[0], node.shape[1])


def vec_jacobian(L: Node, dvar: Node) -> Node:
    """M with vec(L) = M*vec(dX); shape (size(L), size(dX))."""
    key = dvar_key(dvar.arg)
    nv = vec_size(dvar)
    return _vj(L, dvar, key, nv)


def _vj(L: Node, dvar: Node, key: str, nv: int | str) -> Node:
    if not _has(L, key):
        return b.zeros((vec_size(L), nv))
    if is_scalar(L.shape):
        g = adjoint(L, dvar, b.ONE)
        return b.transpose(b.vec(g))
    op = L.op
    if op == "dvar":
        return b.eye(nv)
    if op == "add":
        return b.add(*(_vj(t, dvar, key, nv) for t in L.children if _has(t, key)))
    if op == "mul":
        i = _only(L, key)
        f = L.children[i]
        rest = [x for j, x in enumerate(L.children) if j != i]
        if is_scalar(f.shape):
            return b.matmul(b.vec(b.mul(*rest)), _vj(f, dvar, key, nv))
        return b.mul(*rest, _vj(f, dvar, key, nv))
    if op == "transpose":
        child = L.children[0]
        inner_j = _vj(child, dvar, key, nv)
        if is_column(child.shape) or is_row(child.shape):
            return inner_j
        return b.matmul(b.commutation(*child.shape), inner_j)
    if op == "matmul":
        i = _only(L, key)
        fs = L.children
        F = fs[i]
        P = b.matmul_chain(fs[:i]) if i > 0 else None
        Q = b.matmul_chain(fs[i + 1 :]) if i < len(fs) - 1 else None
        if F.op == "diag" and is_column(F.children[0].shape) and Q is not None and is_column(
            Q.shape
        ):
            # diag(v)*q = q .* v: the readable form P*diag(q)*J(v)
            left = b.diag(Q) if P is None else b.matmul(P, b.diag(Q))
            return b.matmul(left, _vj(F.children[0], dvar, key, nv))
        left_factor = P if P is not None else b.eye(F.shape[0])
        right_factor = b.transpose(Q) if Q is not None else b.eye(F.shape[1])
        return b.matmul(b.kron(right_factor, left_factor), _vj(F, dvar, key, nv))
    if op == "hadamard":
        i = _only(L, key)
        others = b.hadamard(*[x for j, x in enumerate(L.children) if j != i])
        return b.matmul(b.diag(b.vec(others)), _vj(L.children[i], dvar, key, nv))
    if op == "sumdim":  # sum(dX, 1) = vector(1)'*dX, sum(dX, 2) = dX*vector(1)
        child = L.children[0]
        ones = b.fill(b.ONE, (child.shape[0], 1) if L.arg == 1 else (child.shape[1], 1))
        as_product = (b.matmul(b.transpose(ones), child) if L.arg == 1
                      else b.matmul(child, ones))
        return _vj(as_product, dvar, key, nv)
    if op in ("vec", "reshape"):
        return _vj(L.children[0], dvar, key, nv)
    if op == "fill":
        return b.matmul(b.fill(b.ONE, (vec_size(L), 1)), _vj(L.children[0], dvar, key, nv))
    if op == "block":
        rows, cols = L.arg
        if cols == 1 and all(is_column(c.shape) or is_scalar(c.shape) for c in L.children):
            return b.block([[_vj(c, dvar, key, nv)] for c in L.children])
    raise NoMatrixForm(f"no matrix (Kronecker) form through {op}; index form only")
