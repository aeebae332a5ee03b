"""Identification: reading derivatives off a differential.

A differential `L` is linear in `dX`. Two ways to read a derivative off it, both
generic walks over the op table (no rule per op here):

- `adjoint(L, dX, cot)`: transpose the linear map dX -> L (reverse mode), with each
  op's transpose rule (`RECORDS[op].transpose`, as JAX's `primitive_transposes`): the
  rule maps the node's cotangent to those of the children that hold dX. With `cot = 1`
  for a scalar L this is the gradient G with `L = tr(G'*dX)`.
- `vec_jacobian(L, dX)`: the matrix M with `vec(L) = M*vec(dX)`, from each op's
  Kronecker rule (`RECORDS[op].vec_jacobian`). For a vector L and a vector x this is the
  Jacobian; otherwise it is the Kronecker form (`vec(A*dX*B) = kron(B', A)*vec(dX)`).

Both raise `NoMatrixForm` for structures with no matrix-language form (a `kron` with
the differential inside, blocks of non-scalars), so callers fall back to index form; an
op that is not linear met on the way is an InternalError (a differential is linear).
"""

from __future__ import annotations

from ..errors import InternalError, NoMatrixForm
from ..ir import build as b
from ..ir.dims import dim_mul, is_scalar
from ..ir.node import Node, dvar_key
from ..ir.ops import RECORDS, Op


def _has(node: Node, key: str) -> bool:
    return key in node.free


def _linear_children(node: Node, key: str) -> list[int]:
    return [i for i, c in enumerate(node.children) if _has(c, key)]


def adjoint(L: Node, dvar: Node, cot: Node) -> Node:
    """The G (dvar's shape) with sum(G .* dX) = sum(cot .* L) for every dX."""
    key = dvar_key(dvar.arg)
    terms: list[Node] = []
    stack = [(L, cot)]
    while stack:
        node, c = stack.pop()
        if not _has(node, key):
            continue
        if node.op is Op.DVAR:
            terms.append(c)
            continue
        rule = RECORDS[node.op].transpose
        if rule is None:
            raise InternalError(f"{node.op} is not linear in the differential")
        linear = _linear_children(node, key)
        cots = rule(node, c, linear)
        stack.extend(zip((node.children[i] for i in linear), cots, strict=True))
    if not terms:
        return b.zeros(dvar.shape)
    return b.add(*terms)


def vec_size(node: Node) -> int | str:
    return dim_mul(node.shape[0], node.shape[1])


def vec_jacobian(L: Node, dvar: Node) -> Node:
    """M with vec(L) = M*vec(dX); shape (size(L), size(dX))."""
    key = dvar_key(dvar.arg)
    nv = vec_size(dvar)

    def vj(node: Node) -> Node:
        if not _has(node, key):
            return b.zeros((vec_size(node), nv))
        if is_scalar(node.shape):
            return b.transpose(b.vec(adjoint(node, dvar, b.ONE)))
        if node.op is Op.DVAR:
            return b.eye(nv)
        rule = RECORDS[node.op].vec_jacobian
        out = rule(node, _linear_children(node, key), vj) if rule is not None else None
        if out is None:
            raise NoMatrixForm(f"no matrix (Kronecker) form through {node.op}; "
                               "index form only")
        return out

    return vj(L)
