"""Index (Einstein) form of derivatives, checked by value.

The real test: the index expression is evaluated with numpy.einsum at random inputs
(`IndexForm.evaluate`) and compared with two independent references, the derivative's
own `Derivative.evaluate` and the differential evaluated on every basis direction
(exact, since d^k f is multilinear in dX_1..dX_k). Printed forms are checked apart.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import matdiff
from matdiff.backends.evaluate import bind_sizes, evaluate
from matdiff.backends.index_form import IndexForm, index_expr, index_form, index_tensor
from matdiff.diff.derivative import take_derivative
from matdiff.errors import MatdiffError
from matdiff.ir import build as b
from matdiff.ir.dims import resolve_dim
from matdiff.ir.node import dvar_key

SIZES = {"n": 3, "m": 4, "p": 2, "q": 5}

# (function, wrt, declarations, order, printed index form or None)
CASES = [
    ("inv(X)", "X", {"X": "matrix n n"}, 1, "∂F[i,j]/∂X[k,l] = -inv(X)[i,k]*inv(X)[l,j]"),
    ("A*x", "A", {"A": "matrix m n"}, 1, "∂f[i]/∂A[k,l] = δ[i,k]*x[l]"),
    ("X*Y", "X", {"X": "matrix m n", "Y": "matrix n p"}, 1, "∂F[i,j]/∂X[k,l] = δ[i,k]*Y[l,j]"),
    ("X*X", "X", {"X": "matrix n n"}, 1, None),
    ("x'*A*x", "x", {"A": "matrix n n"}, 2, "∂²f/∂x[k]∂x[l] = A[k,l] + A[l,k]"),
    ("x'*A*x*(b'*x)", "x", {"A": "matrix n n", "b": "vector n"}, 3, None),
    ("sum(x.^3)", "x", {}, 3, "∂³f/∂x[k]∂x[l]∂x[m] = 6*δ[k,l]*δ[k,m]"),
    ("tr(A*X)", "X", {"A": "matrix n m"}, 1, "∂f/∂X[k,l] = A[l,k]"),
    ("vec(X)", "X", {"X": "matrix m n"}, 1, None),
    ("kron(A, X)", "X", {"A": "matrix p q", "X": "matrix m n"}, 1, None),
    ("kron(X, A)", "X", {"A": "matrix p q", "X": "matrix m n"}, 1, None),
    ("X .* X", "X", {"X": "matrix m n"}, 1, None),
    # the batched forms (issue 11, item 6)
    ("sum(X, 1)", "X", {"X": "matrix m n"}, 1, "∂f[j]/∂X[k,l] = δ[j,l]"),
    ("sum(X, 2)*u'", "X", {"X": "matrix m n", "u": "vector p"}, 1,
     "∂F[i,j]/∂X[k,l] = δ[i,k]*u[j]"),
    ("softmax(Z, 1)", "Z", {"Z": "matrix m n"}, 1, None),
    ("logsumexp(Z, 2)", "Z", {"Z": "matrix m n"}, 1, None),
    ("diag(x)", "x", {}, 1, "∂F[i,j]/∂x[k] = δ[i,k]*δ[i,j]"),
    ("diag(X)", "X", {"X": "matrix n n"}, 1, "∂f[i]/∂X[k,l] = δ[i,k]*δ[i,l]"),
    ("norm2(x)", "x", {}, 1, "∂f/∂x[k] = x[k]/norm2(x)"),
    ("sum(X)", "X", {"X": "matrix m n"}, 1, "∂f/∂X[k,l] = 1"),
    ("X'", "X", {"X": "matrix m n"}, 1, "∂F[i,j]/∂X[k,l] = δ[j,k]*δ[i,l]"),
    ("logdet(X)", "X", {"X": "matrix n n"}, 2, None),
    ("det(X)", "X", {"X": "matrix n n"}, 2, None),
    ("exp(X)*A", "X", {"A": "matrix m n", "X": "matrix m m"}, 1, None),
    ("softmax(x)", "x", {}, 1, None),
    ("tr(X)*X", "X", {"X": "matrix n n"}, 2, None),
    ("X*A*X'", "X", {"X": "matrix m n", "A": "matrix n n"}, 1, None),
    ("inv(X)*a", "X", {"X": "matrix n n", "a": "vector n"}, 2, None),
    ("sin(x)", "x", {}, 2, "∂²f[i]/∂x[k]∂x[l] = -δ[i,k]*δ[i,l]*sin(x)[i]"),
    ("sigmoid(W*x)", "W", {"W": "matrix m n"}, 1, None),
    ("x*x'", "x", {}, 2, None),
    ("tr(X'*X)^2", "X", {"X": "matrix m n"}, 2, None),
    ("diag(x)*A*diag(x)", "x", {"A": "matrix n n"}, 2, None),
    ("sum(x)*y", "x", {"y": "vector m"}, 1, None),
    ("t*A", "t", {"t": "scalar", "A": "matrix m n"}, 1, "∂F[i,j]/∂t = A[i,j]"),
    ("t^3*x", "t", {"t": "scalar"}, 2, "∂²f[i]/∂t∂t = 6*t*x[i]"),
    ("X^3", "X", {"X": "matrix n n"}, 1, None),
    ("expm(t*A)", "t", {"t": "scalar", "A": "matrix n n"}, 1, None),
    # a matrix atom with one index summed alone: Y[s,t] is sum(Y, 1)'[t] (QA finding)
    ("-sum(Y .* log(softmax(W*X, 1)))", "W", {"Y": "matrix m p", "W": "matrix m n",
                                              "X": "matrix n p"}, 2, None),
]


def random_values(variables: dict, rng: np.random.Generator) -> dict:
    values = {}
    for name, node in variables.items():
        r = resolve_dim(node.shape[0], SIZES)
        c = resolve_dim(node.shape[1], SIZES)
        a = rng.standard_normal((r, c))
        if name == "X" and r == c:  # well conditioned, positive determinant
            a = a @ a.T + r * np.eye(r)
        values[name] = a if (r > 1 and c > 1) else (a.ravel() if a.size > 1 else float(a[0, 0]))
    return values


def basis_reference(d, values: dict, sizes: dict | None = None) -> np.ndarray:
    """d^k f evaluated on every combination of basis directions: the derivative tensor."""
    X = d.wrt[0]
    sizes = bind_sizes([d.function, X], values, sizes)
    m, n = (resolve_dim(X.shape[0], sizes), resolve_dim(X.shape[1], sizes))
    fr, fc = (resolve_dim(d.function.shape[0], sizes), resolve_dim(d.function.shape[1], sizes))
    fshape = tuple(s for s in (fr, fc) if s != 1)
    xshape = tuple(s for s in (m, n) if s != 1)
    out = np.zeros(fshape + xshape * d.order)
    L = d.differentials[-1]
    for combo in itertools.product(itertools.product(range(m), range(n)), repeat=d.order):
        vals = dict(values)
        idx: tuple[int, ...] = ()
        for dv, (r, c) in zip(d.dvars, combo, strict=True):
            E = np.zeros((m, n))
            E[r, c] = 1.0
            vals[dvar_key(dv.arg)] = E
            idx += tuple(i for i, size in zip((r, c), (m, n), strict=True) if size != 1)
        val = evaluate(L, vals, sizes=sizes)
        out[(Ellipsis, *idx)] = val.reshape(fshape) if fshape else val[0, 0]
    return out


def derive(f, wrt, decls, order):
    return matdiff.derivative(f, wrt=wrt, variables=decls or None, order=order)


@pytest.mark.parametrize("f, wrt, decls, order, printed", CASES, ids=[c[0] for c in CASES])
def test_index_form_equals_the_differential_on_the_basis(f, wrt, decls, order, printed) -> None:
    d = derive(f, wrt, decls, order)
    rng = np.random.default_rng(abs(hash((f, wrt, order))) % 2**32)
    values = random_values(matdiff.variables_of(f, decls or None), rng)
    tensor = index_tensor(d)
    got = tensor.evaluate(values)
    np.testing.assert_allclose(got, basis_reference(d, values), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("f, wrt, decls, order, printed", CASES, ids=[c[0] for c in CASES])
def test_index_form_equals_derivative_evaluate(f, wrt, decls, order, printed) -> None:
    d = derive(f, wrt, decls, order)
    rng = np.random.default_rng(7)
    values = random_values(matdiff.variables_of(f, decls or None), rng)
    reference = d.evaluate(**values)
    np.testing.assert_allclose(index_tensor(d).evaluate(values), reference, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize(
    "f, wrt, decls, order, printed", [c for c in CASES if c[4]], ids=[c[0] for c in CASES if c[4]]
)
def test_printed(f, wrt, decls, order, printed) -> None:
    d = derive(f, wrt, decls, order)
    assert index_form(d).split("  (")[0] == printed


@pytest.mark.parametrize("f, wrt, decls, order, printed", CASES, ids=[c[0] for c in CASES])
def test_summation_indices_are_repeated(f, wrt, decls, order, printed) -> None:
    """An index on the right that is not on the left appears at least twice in its term
    (issue 11 item 1: sums only over repeated indices)."""
    try:
        text = index_form(derive(f, wrt, decls, order))
    except MatdiffError:
        return  # no index form for this one (tested elsewhere)
    lhs, rhs = text.split("  (")[0].split(" = ", 1)
    free = set(re.findall(r"[a-z]\w*", " ".join(re.findall(r"\[([^\]]*)\]", lhs))))
    for term in re.split(r" [+-] ", rhs):
        indices = [i for group in re.findall(r"\[([^\]]*)\]", term)
                   for i in re.findall(r"[a-z]\w*", group)]
        lone = [i for i in set(indices) if indices.count(i) == 1 and i not in free]
        assert lone == [], f"{term} sums over {lone} appearing once"


def test_summation_is_announced() -> None:
    d = derive("inv(X)*A", "X", {"X": "matrix n n"}, 1)
    text = index_form(d)
    assert "summing over repeated indices" in text
    # A form without summation indices says nothing about summation.
    assert "summing" not in index_form(derive("inv(X)", "X", {"X": "matrix n n"}, 1))


def test_composite_indices_are_explained() -> None:
    text = index_form(derive("vec(X)", "X", {"X": "matrix m n"}, 1))
    assert text.startswith("∂f[i]/∂X[k,l] = δ[i,(k,l)]")
    assert "column-major combined index" in text


# ------------------------------------------- nodes the language cannot write: builders

M, N = "m", "n"
Xv = b.var("X", (M, N))
Sq = b.var("X", (N, N))
P = b.var("P", ("p", "m*n"))
Q = b.var("Q", ("m*n", "p"))
u = b.var("u", ("p", 1))
xv = b.var("x", (N, 1))

BUILT = [
    ("A*vec(X)", lambda: b.matmul(P, b.vec(Xv)), Xv),
    ("reshape(Q*u)", lambda: b.reshape(b.matmul(Q, u), (M, N)), u),
    ("K*vec(X)", lambda: b.matmul(b.commutation(M, N), b.vec(Xv)), Xv),
    ("kron(X, X)", lambda: b.kron(Sq, Sq), Sq),
    ("vec(X)'*vec(X)", lambda: b.matmul(b.transpose(b.vec(Xv)), b.vec(Xv)), Xv),
    ("x*vector(1)'", lambda: b.matmul(xv, b.transpose(b.fill(b.ONE, (N, 1)))), xv),
    ("diag(X*x)", lambda: b.diag(b.matmul(Sq, xv)), xv),
]


@pytest.mark.parametrize("name, make, wrt", BUILT, ids=[c[0] for c in BUILT])
def test_built_expressions(name, make, wrt) -> None:
    f = make()
    d = take_derivative(f, [wrt], order=1)
    rng = np.random.default_rng(3)
    values = {}
    sizes = {"m": 3, "n": 2, "p": 4}
    for leaf in {n.arg.name: n for n in _leaves(f)}.values():
        shape = (resolve_dim(leaf.shape[0], sizes), resolve_dim(leaf.shape[1], sizes))
        a = rng.standard_normal(shape)
        values[leaf.arg.name] = a if (shape[0] > 1 and shape[1] > 1) else a.ravel()
    tensor = index_tensor(d)
    np.testing.assert_allclose(
        tensor.evaluate(values, sizes), basis_reference(d, values, sizes), rtol=1e-9, atol=1e-9
    )


def _leaves(n):
    if n.op == "var":
        yield n
    for c in n.children:
        yield from _leaves(c)


def test_index_expr_on_a_differential_directly() -> None:
    X = b.var("X", (N, N))
    dX = b.dvar("X", (N, N))
    form = index_expr(b.matmul(b.transpose(dX), X), [dX], f_name="F", x_name="X")
    assert isinstance(form, IndexForm)
    assert form.rhs == "δ[i,l]*X[k,j]"
    assert form.lhs == "∂F[i,j]/∂X[k,l]"


def test_zero_derivative() -> None:
    d = derive("A*x", "x", {}, 2)
    assert index_form(d).endswith("= 0")


def test_block_of_differentials_is_refused() -> None:
    d = derive("[X, X]", "X", {"X": "matrix n n"}, 1)
    with pytest.raises(MatdiffError, match="block"):
        index_form(d)


def test_list_of_scalars_is_refused() -> None:
    d = matdiff.derivative("a*b", wrt="a, b", variables={"a": "scalar", "b": "scalar"})
    with pytest.raises(MatdiffError):
        index_form(d)
