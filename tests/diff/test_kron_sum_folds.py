"""Closed matrix forms where one exists (issue 11, item 1) and zeros printed as zeros:
the folds sum(kron(A, B)) = sum(A)*sum(B), kron of a row and a column = their outer
product, sum(softmax(z)) = 1 and sum(softmax(Z, k), k) = ones; the Kronecker and
transpose rules of kron for vector arguments (Jacobians kron(eye(n), b) and
kron(a, eye(m))); identification retried on the simplified differential.

Correctness tests: printed forms are asserted apart from values, and values are checked
against NumPy closed forms written here (np.kron, np.outer, the sums), not against the
engine's own evaluator.
"""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.ir import build as b

RNG = np.random.default_rng(11)
MATRICES = {"A": "matrix n m", "X": "matrix p q"}
VECTORS = {"a": "vector n", "b": "vector m"}


def _softmax_columns(Z):
    e = np.exp(Z - Z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


# ------------------------------------------------------------- sum(kron(A, B)) folds

@pytest.mark.parametrize("text, wrt, decls, printed", [
    ("sum(kron(A, X))", "X", MATRICES, "sum(A)*ones(p, q)"),
    ("sum(kron(A, X))", "A", MATRICES, "sum(X)*ones(n, m)"),
    ("sum(kron(x, y))", "x", {"x": "vector n", "y": "vector m"}, "sum(y)*ones(n, 1)"),
])
def test_sum_of_kron_has_a_gradient(text, wrt, decls, printed):
    d = matdiff.derivative(text, wrt, variables=decls)
    assert d.form == "gradient"
    assert str(d) == printed


def test_sum_of_kron_gradient_values():
    A, X = RNG.normal(size=(2, 3)), RNG.normal(size=(4, 5))
    d = matdiff.derivative("sum(kron(A, X))", "X", variables=MATRICES)
    np.testing.assert_allclose(d.evaluate(A=A, X=X), A.sum() * np.ones((4, 5)))
    d = matdiff.derivative("sum(kron(A, X))", "A", variables=MATRICES)
    np.testing.assert_allclose(d.evaluate(A=A, X=X), X.sum() * np.ones((2, 3)))
    # the fold itself: sum(np.kron(A, X)) = sum(A)*sum(X)
    f = matdiff.evaluate("sum(kron(A, X))", A=A, X=X)
    assert np.isclose(f, np.kron(A, X).sum())


def test_sum_and_trace_of_kron_fold_in_the_builders():
    A, B = b.var("A", ("n", "m")), b.var("B", ("p", "q"))
    assert str(b.sum_(b.kron(A, B))) == "sum(A)*sum(B)"
    S, T = b.var("S", ("n", "n")), b.var("T", ("p", "p"))
    assert str(b.tr(b.kron(S, T))) == "tr(S)*tr(T)"


# ---------------------------------------------------- kron of vectors: its Jacobians

@pytest.mark.parametrize("wrt, printed", [("a", "kron(eye(n), b)"), ("b", "kron(a, eye(m))")])
def test_kron_of_vectors_jacobian_prints(wrt, printed):
    d = matdiff.derivative("kron(a, b)", wrt, variables=VECTORS)
    assert d.form == "jacobian"
    assert str(d) == printed


def test_kron_of_vectors_jacobian_values():
    a, bv = RNG.normal(size=3), RNG.normal(size=4)
    d = matdiff.derivative("kron(a, b)", "a", variables=VECTORS)
    np.testing.assert_allclose(d.evaluate(a=a, b=bv), np.kron(np.eye(3), bv[:, None]))
    d = matdiff.derivative("kron(a, b)", "b", variables=VECTORS)
    np.testing.assert_allclose(d.evaluate(a=a, b=bv), np.kron(a[:, None], np.eye(4)))


@pytest.mark.parametrize("text, wrt, printed, reference", [
    # w'*kron(x, y) = y'*W*x with W = reshape(w, m, n): the gradient by x is W'*y
    ("w'*kron(x, y)", "x", "kron(eye(n), y')*w",
     lambda w, x, y: w.reshape(4, 3, order="F").T @ y),
    ("kron(x', y')*w", "y", "kron(x', eye(m))*w",
     lambda w, x, y: w.reshape(4, 3, order="F") @ x),
])
def test_gradients_through_kron_of_vectors(text, wrt, printed, reference):
    decls = {"x": "vector n", "y": "vector m"}  # w: a vector of size m*n, inferred
    d = matdiff.derivative(text, wrt, variables=decls)
    assert d.form == "gradient"
    assert str(d) == printed
    w, x, y = RNG.normal(size=12), RNG.normal(size=3), RNG.normal(size=4)
    np.testing.assert_allclose(d.evaluate(w=w, x=x, y=y), reference(w, x, y))


def test_kron_of_matrices_keeps_index_form():
    """A Kronecker product of matrices with the variable inside has no matrix form."""
    d = matdiff.derivative("kron(A, X)", "X", variables=MATRICES)
    assert d.form == "index"
    assert d.expr is None


# ------------------------------------------------ kron of a row and a column: y*x'

@pytest.mark.parametrize("text", ["kron(x', y)", "kron(y, x')"])
def test_kron_of_row_and_column_is_the_outer_product(text):
    decls = {"x": "vector n", "y": "vector m"}
    f = matdiff.parse(text, decls)
    assert str(f) == "y*x'"
    x, y = RNG.normal(size=3), RNG.normal(size=4)
    np.testing.assert_allclose(matdiff.evaluate(text, x=x, y=y, variables=decls),
                               np.outer(y, x))
    d = matdiff.derivative(text, "x", variables=decls)
    assert d.form == "kronecker"
    assert str(d) == "kron(eye(n), y)"
    # vec(y*dx') = kron(eye(n), y)*dx; numerator layout values are shape(f) + shape(x)
    M = np.kron(np.eye(3), y[:, None])
    expected = M.reshape(4, 3, 3, order="F")
    np.testing.assert_allclose(d.evaluate(x=x, y=y), expected)


# ------------------------------------------------------------ softmax sums are known

@pytest.mark.parametrize("text, decls, printed", [
    ("sum(softmax(z))", {"z": "vector n"}, "zeros(n, 1)"),
    ("sum(softmax(Z, 1))", {"Z": "matrix n m"}, "zeros(n, m)"),
    ("sum(softmax(Z, 2))", {"Z": "matrix n m"}, "zeros(n, m)"),
    ("sum(3*softmax(W*x))", {"W": "matrix n m", "x": "vector m"}, "zeros(n, m)"),
])
def test_gradient_of_a_softmax_sum_is_zero(text, decls, printed):
    wrt = next(iter(decls))
    d = matdiff.derivative(text, wrt, variables=decls)
    assert str(d) == printed


@pytest.mark.parametrize("node, printed", [
    (b.sum_(b.softmax(b.var("z", ("n", 1)))), "1"),
    (b.sum_dim(b.softmax_dim(b.var("Z", ("n", "m")), 1), 1), "ones(1, m)"),
    (b.sum_dim(b.softmax_dim(b.var("Z", ("n", "m")), 2), 2), "ones(n, 1)"),
    (b.sum_(b.softmax_dim(b.var("Z", (3, 5)), 1)), "5"),
    (b.sum_(b.softmax_dim(b.var("Z", (3, 5)), 2)), "3"),
])
def test_softmax_sum_folds_print(node, printed):
    assert str(node) == printed


def test_softmax_sum_fold_values():
    """The folds against NumPy: softmax columns (rows) add up to 1."""
    Z = RNG.normal(size=(3, 5))
    np.testing.assert_allclose(_softmax_columns(Z).sum(axis=0), np.ones(5))
    # the folded forms no longer hold Z: the sizes are given (as for Z - Z)
    got = matdiff.evaluate("sum(softmax(Z, 1), 1)", Z=Z, sizes={"n": 3, "m": 5})
    np.testing.assert_allclose(np.ravel(got), _softmax_columns(Z).sum(axis=0))
    got = matdiff.evaluate("sum(softmax(Z, 2), 2)", Z=Z, sizes={"n": 3, "m": 5})
    np.testing.assert_allclose(np.ravel(got), _softmax_columns(Z.T).T.sum(axis=1))
    assert np.isclose(matdiff.evaluate("sum(softmax(Z, 1))", Z=Z, sizes={"n": 3, "m": 5}),
                      _softmax_columns(Z).sum())
    z = RNG.normal(size=6)
    assert np.isclose(matdiff.evaluate("sum(softmax(z))", z=z),
                      (np.exp(z) / np.exp(z).sum()).sum())


@pytest.mark.parametrize("dim", [1, 2])
def test_batched_softmax_sums_have_zero_derivative(dim):
    d = matdiff.derivative(f"sum(softmax(Z, {dim}), {dim})", "Z",
                           variables={"Z": "matrix n m"})
    assert matdiff.ir.build.is_zero(d.expr)
    Z = RNG.normal(size=(3, 4))
    assert np.allclose(d.evaluate(Z=Z), 0.0)


# ------------------------------------------- identification on the simplified form

def test_identification_retried_on_the_simplified_differential():
    """vec(U)'*kron(dX, A)*vec(V) is tr(U'*A*V*dX') once simplified: the gradient is
    U'*A*V (vec(U)'*kron(X, A)*vec(V) = tr(U'*A*V*X'), MC 520)."""
    decls = {"X": "matrix n n", "A": "matrix m m", "U": "matrix m n", "V": "matrix m n"}
    d = matdiff.derivative("vec(U)'*kron(X, A)*vec(V)", "X", variables=decls)
    assert d.form == "gradient"
    assert str(d) == "U'*A*V"
    A, U, V, X = (RNG.normal(size=s) for s in [(2, 2), (2, 3), (2, 3), (3, 3)])
    np.testing.assert_allclose(d.evaluate(A=A, U=U, V=V, X=X), U.T @ A @ V)
    f = matdiff.evaluate("vec(U)'*kron(X, A)*vec(V)", A=A, U=U, V=V, X=X, variables=decls)
    assert np.isclose(f, U.ravel(order="F") @ np.kron(X, A) @ V.ravel(order="F"))


# ---------------------------------- kron of a matrix and a vector: a matrix product

def _vec(M):
    return M.reshape(-1, order="F")


@pytest.mark.parametrize("text, printed, product", [
    # kron(A, b) = kron(eye(n), b)*A, so vec(kron(dA, b)) = kron(eye(n*q), b)*vec(dA)
    ("kron(A, b)", "kron(eye(n*q), b)", lambda dA, bv: np.kron(dA, bv[:, None])),
    # kron(b, A) = kron(b, eye(n))*A
    ("kron(b, A)", "kron(eye(q), kron(b, eye(n)))", lambda dA, bv: np.kron(bv[:, None], dA)),
    # kron(A, b') = A*kron(eye(q), b')
    ("kron(A, b')", "kron(kron(eye(q), b), eye(n))", lambda dA, bv: np.kron(dA, bv[None, :])),
])
def test_kron_with_a_vector_has_a_kronecker_form(text, printed, product):
    decls = {"A": "matrix n q", "b": "vector m"}
    d = matdiff.derivative(text, "A", variables=decls)
    assert d.form == "kronecker"
    assert str(d) == printed
    A, bv, dA = RNG.normal(size=(2, 3)), RNG.normal(size=4), RNG.normal(size=(2, 3))
    M = matdiff.evaluate(d.expr, A=A, b=bv, sizes={"n": 2, "q": 3, "m": 4})
    np.testing.assert_allclose(M @ _vec(dA), _vec(product(dA, bv)), atol=1e-12)


@pytest.mark.parametrize("text, printed, reference", [
    # sum(kron(A, b) .* C): G[i, j] = sum_k C[i*m + k, j]*b[k]
    ("sum(kron(A, b) .* C)", "kron(eye(n), b')*C",
     lambda C, bv: np.einsum("ikj,k->ij", C.reshape(2, 4, 3), bv)),
    # tr(C*kron(b', A)): the gradient by kron(b', A) is C', G[i, j] = sum_k C'[i, k*q + j]*b[k]
    ("tr(C*kron(b', A))", "C'*kron(b, eye(q))",
     lambda C, bv: np.einsum("ikj,k->ij", C.T.reshape(2, 4, 3), bv)),
])
def test_gradients_through_kron_with_a_vector(text, printed, reference):
    decls = {"A": "matrix n q", "b": "vector m"}
    d = matdiff.derivative(text, "A", variables=decls)
    assert d.form == "gradient"
    assert str(d) == printed
    A, bv = RNG.normal(size=(2, 3)), RNG.normal(size=4)
    C = RNG.normal(size=(8, 3) if text.startswith("sum") else (12, 2))
    np.testing.assert_allclose(d.evaluate(A=A, b=bv, C=C), reference(C, bv), atol=1e-12)


def test_kron_of_eyes_associates():
    C = b.var("C", ("p", "q"))
    n, m = b.eye("n"), b.eye("m")
    assert str(b.kron(n, b.kron(m, C))) == "kron(eye(m*n), C)"
    assert str(b.kron(b.kron(C, n), m)) == "kron(C, eye(m*n))"
    Cv = RNG.normal(size=(2, 3))
    got = matdiff.evaluate(b.kron(n, b.kron(m, C)), C=Cv, sizes={"n": 2, "m": 3})
    np.testing.assert_allclose(got, np.kron(np.eye(2), np.kron(np.eye(3), Cv)))
