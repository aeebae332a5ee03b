"""Every transpose rule and Kronecker rule of the op table, checked numerically.

Correctness tests against the definition, with the reference evaluator as the arithmetic:
for an expression L linear in dX and a random cotangent C of L's shape, the adjoint G =
`adjoint(L, dX, C)` must satisfy sum(C .* L) = sum(G .* dX) at random dX (the defining
identity of the transpose); where the op has a Kronecker rule, M = `vec_jacobian(L, dX)`
must satisfy vec(L) = M*vec(dX). An op with a transpose rule and no instance here fails
the table test, so no rule lands unchecked.
"""

from __future__ import annotations

import numpy as np
import pytest

from matdiff.backends.evaluate import evaluate
from matdiff.diff.adjoint import adjoint, vec_jacobian
from matdiff.errors import NoMatrixForm
from matdiff.ir import build as b
from matdiff.ir.ops import RECORDS, Op

dX = b.dvar("X", (3, 3))
dR = b.dvar("R", (3, 2))  # rectangular
dv = b.dvar("v", (6, 1))
A = b.var("A", (3, 3))
B = b.var("B", (3, 3))
P = b.var("P", (2, 3))
s = b.var("s", (1, 1))
dx = b.dvar("x", (3, 1))
dr = b.dvar("r", (1, 3))  # a row
y = b.var("y", (2, 1))

# op -> instances (L, the dvar it is linear in)
INSTANCES = {
    Op.ADD: [(b.add(dX, b.matmul(A, dX)), dX)],
    Op.MUL: [(b.mul(s, dX), dX), (b.mul(b.tr(dX), A), dX)],
    Op.MATMUL: [(b.matmul_chain([A, dX, B]), dX), (b.matmul(P, dR), dR)],
    Op.HADAMARD: [(b.hadamard(A, dX), dX)],
    Op.TRANSPOSE: [(b.transpose(dR), dR), (b.matmul(A, b.transpose(dX)), dX)],
    Op.TR: [(b.tr(b.matmul(A, dX)), dX)],
    Op.SUM: [(b.sum_(b.hadamard(A, dX)), dX)],
    Op.DIAG: [(b.diag(dX), dX), (b.diag(b.vec(b.matmul(P, dR))), dR)],
    Op.VEC: [(b.vec(dR), dR)],
    Op.RESHAPE: [(b.reshape(dv, (2, 3)), dv)],
    Op.SUMDIM: [(b.sum_dim(dR, 1), dR), (b.sum_dim(dR, 2), dR)],
    Op.FILL: [(b.fill(b.tr(dX), (2, 3)), dX)],
    Op.BLOCK: [(b.block([[dR], [b.matmul(P, dR)]]), dR)],
    # the other argument a vector: kron(U, v) = kron(eye(n), v)*U, kron(u, V) =
    # kron(u, eye(p))*V, kron(U, v') = U*kron(eye(m), v'), kron(u', V) = V*kron(u', eye(q));
    # the other a matrix: no matrix form (test_kron_says_so)
    Op.KRON: [(b.kron(dx, y), dx), (b.kron(y, dx), dx), (b.kron(b.matmul(A, dx), y), dx),
              (b.kron(dr, b.transpose(y)), dr), (b.kron(b.transpose(y), dr), dr),
              (b.kron(dR, y), dR), (b.kron(y, dR), dR), (b.kron(dR, b.transpose(y)), dR),
              (b.kron(b.transpose(y), b.matmul(P, dX)), dX)],
}


def test_every_transpose_rule_has_an_instance():
    assert set(INSTANCES) == {op for op in Op if RECORDS[op].linear}


CASES = [pytest.param(op, i, id=f"{op.value}-{i}")
         for op, items in INSTANCES.items() for i in range(len(items))]


def _values(rng, L, dvar):
    vals = {"A": rng.normal(size=(3, 3)), "B": rng.normal(size=(3, 3)),
            "P": rng.normal(size=(2, 3)), "s": float(rng.normal()), "y": rng.normal(size=2)}
    vals[f"d:{dvar.arg[0]}:1"] = rng.normal(size=dvar.shape)
    return vals


def _user(a, shape):
    a = np.asarray(a, dtype=float)
    if shape == (1, 1):
        return float(a.reshape(-1)[0])
    return a.reshape(-1) if 1 in shape else a


@pytest.mark.parametrize("op,index", CASES)
def test_adjoint_identity(op, index):
    L, dvar = INSTANCES[op][index]
    assert op in {n.op for n in _nodes(L)}, f"the instance does not use {op}"
    rng = np.random.default_rng(index + 7)
    C, names = _cotangent(L)
    G = adjoint(L, dvar, C)
    for _ in range(2):
        vals = _values(rng, L, dvar)
        vals.update({n: _user(rng.normal(size=sh), sh) for n, sh in names.items()})
        vals[f"d:{dvar.arg[0]}:1"] = _user(vals[f"d:{dvar.arg[0]}:1"], dvar.shape)
        lhs = np.sum(evaluate(C, vals) * evaluate(L, vals))
        rhs = np.sum(evaluate(G, vals) * evaluate(dvar, vals))
        assert np.isclose(lhs, rhs, rtol=1e-10, atol=1e-10), (op, lhs, rhs)


@pytest.mark.parametrize("op,index", CASES)
def test_kronecker_form(op, index):
    L, dvar = INSTANCES[op][index]
    rng = np.random.default_rng(index + 11)
    try:
        M = vec_jacobian(L, dvar)
    except NoMatrixForm:
        assert RECORDS[op].vec_jacobian is None or op is Op.BLOCK
        return
    vals = _values(rng, L, dvar)
    vals[f"d:{dvar.arg[0]}:1"] = _user(vals[f"d:{dvar.arg[0]}:1"], dvar.shape)
    vec_l = evaluate(L, vals).reshape((-1, 1), order="F")
    vec_d = evaluate(dvar, vals).reshape((-1, 1), order="F")
    np.testing.assert_allclose(evaluate(M, vals) @ vec_d, vec_l, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("L, dvar", [(b.kron(A, dX), dX), (b.kron(P, dx), dx),
                                     (b.kron(dx, P), dx)])
def test_kron_says_so(L, dvar):
    """kron is bilinear, but with dX in one argument and a matrix in the other its adjoint
    and Kronecker form are not written in matrix form: index form is the fallback."""
    with pytest.raises(NoMatrixForm):
        adjoint(L, dvar, b.var("C", L.shape))
    with pytest.raises(NoMatrixForm):
        vec_jacobian(L, dvar)


def _cotangent(L):
    """A random cotangent of L's shape: a variable, or for a block matrix a block of
    variables (the adjoint splits a cotangent only where its structure shows the blocks;
    the language has no slicing)."""
    if L.op is not Op.BLOCK:
        return b.var("C", L.shape), {"C": L.shape}
    rows, cols = L.arg
    names = {f"C{i}": c.shape for i, c in enumerate(L.children)}
    parts = [b.var(n, sh) for n, sh in names.items()]
    return b.block([parts[r * cols:(r + 1) * cols] for r in range(rows)]), names


def _nodes(root):
    out, stack = [], [root]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(n.children)
    return out
