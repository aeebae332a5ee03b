"""Finite differences: known derivatives (Matrix Cookbook) in SPEC's layouts."""

from __future__ import annotations

import numpy as np
import pytest

from matdiff.errors import InputValueError
from matdiff.ir import build as b
from matdiff.verify.finite_diff import (
    assert_close,
    check_close,
    directional_fd,
    fd_derivative,
)
from matdiff.verify.sample import sample_values

x = b.var("x", ("n", 1))
a = b.var("a", ("n", 1))
A = b.var("A", ("n", "n"))
M = b.var("M", ("m", "n"))
X = b.var("X", ("n", "n"))
W = b.var("W", ("m", "n"))
t = b.var("t", (1, 1))


def _values(e, seed=0, **domains):
    return sample_values(e, np.random.default_rng(seed), domains=domains)


def test_directional_fd_scalar_and_array() -> None:
    assert directional_fd(np.sin, 0.3, 1.0) == pytest.approx(np.cos(0.3), rel=1e-9)
    xv = np.array([1.0, 2.0])
    d = np.array([0.5, -1.0])
    got = directional_fd(lambda v: np.array([v[0] * v[1], v[0] ** 2]), xv, d)
    np.testing.assert_allclose(got, [0.5 * 2 - 1.0 * 1, 2 * 1 * 0.5], rtol=1e-8)


def test_check_close_and_assert_close() -> None:
    assert check_close([1.0, 2.0], [1.0 + 1e-9, 2.0])
    assert not check_close([1.0, 2.0], [1.1, 2.0])
    assert not check_close(np.ones(2), np.ones((2, 1)))
    with pytest.raises(AssertionError, match="differ at"):
        assert_close([1.0, 2.0], [1.0, 2.5], what="grad")
    with pytest.raises(AssertionError, match="shapes differ"):
        assert_close(np.ones(2), np.ones(3))


@pytest.mark.parametrize("seed", range(5))
def test_quadratic_form_gradient(seed: int) -> None:
    # Cookbook (81): d(x'Ax)/dx = (A + A')x
    e = b.matmul(b.matmul(b.transpose(x), A), x)
    values, sizes = _values(e, seed)
    g = fd_derivative(e, "x", values)
    assert g.shape == (sizes["n"],)
    np.testing.assert_allclose(g, (values["A"] + values["A"].T) @ values["x"], rtol=1e-6)


def test_linear_form_gradient_and_jacobian() -> None:
    e = b.matmul(b.transpose(a), x)  # a'x -> a
    values, _ = _values(e)
    np.testing.assert_allclose(fd_derivative(e, "x", values), values["a"], rtol=1e-7)
    J = b.matmul(M, x)  # Jacobian of Mx is M (m×n), numerator layout
    values, sizes = _values(J, 1)
    D = fd_derivative(J, "x", values)
    assert D.shape == (sizes["m"], sizes["n"])
    np.testing.assert_allclose(D, values["M"], rtol=1e-7)


def test_scalar_by_matrix_has_the_matrix_shape() -> None:
    # Cookbook (100): d tr(AX)/dX = A'
    e = b.tr(b.matmul(W, b.var("Y", ("n", "m"))))
    values, sizes = _values(e, 2)
    G = fd_derivative(e, "Y", values)
    assert G.shape == (sizes["n"], sizes["m"])
    np.testing.assert_allclose(G, values["W"].T, rtol=1e-7)


def test_logdet_gradient() -> None:
    # Cookbook (57): d log det X / dX = inv(X)'
    e = b.logdet(X)
    values, _ = _values(e, 3)
    values["X"] = values["X"] + np.triu(np.ones_like(values["X"]), 1)  # spd, made unsymmetric
    G = fd_derivative(e, "X", values)
    np.testing.assert_allclose(G, np.linalg.inv(values["X"]).T, rtol=1e-6, atol=1e-9)


def test_matrix_by_matrix_layout() -> None:
    # F = inv(X): D[i,j,k,l] = dF_ij/dX_kl = -inv(X)[i,k] inv(X)[l,j]
    e = b.inv(X)
    values, sizes = _values(e, 4, X="invertible")
    D = fd_derivative(e, "X", values)
    n = sizes["n"]
    assert D.shape == (n, n, n, n)
    Y = np.linalg.inv(values["X"])
    np.testing.assert_allclose(D, -np.einsum("ik,lj->ijkl", Y, Y), rtol=1e-5, atol=1e-8)


def test_rectangular_matrix_by_matrix_layout() -> None:
    # F = W*Z (m×p) by W (m×n): D[i,j,k,l] = delta_ik Z[l,j]
    Z = b.var("Z", ("n", "p"))
    e = b.matmul(W, Z)
    values, sizes = _values(e, 5)
    m, n, p = sizes["m"], sizes["n"], sizes["p"]
    D = fd_derivative(e, "W", values)
    assert D.shape == (m, p, m, n)
    np.testing.assert_allclose(D, np.einsum("ik,lj->ijkl", np.eye(m), values["Z"]), atol=1e-8)


def test_vector_by_scalar_and_row_vector_layout() -> None:
    e = b.matmul(b.expm(b.mul(t, A)), x)  # d/dt expm(tA)x = A expm(tA) x
    values, sizes = _values(e, 6, A="small")
    D = fd_derivative(e, "t", values)
    assert D.shape == (sizes["n"],)
    from matdiff.backends.evaluate import expm

    want = values["A"] @ expm(values["t"] * values["A"]) @ values["x"]
    np.testing.assert_allclose(D, want, rtol=1e-6)
    row = b.transpose(b.matmul(A, x))  # a row-vector function is laid out like a column
    D = fd_derivative(row, "x", values)
    np.testing.assert_allclose(D, values["A"], rtol=1e-7)


def test_scalar_by_scalar_is_0_d() -> None:
    e = b.func("sin", b.mul(t, t))
    values = {"t": 0.7}
    d = fd_derivative(e, "t", values)
    assert d.shape == ()
    assert float(d) == pytest.approx(2 * 0.7 * np.cos(0.49), rel=1e-8)


def test_unconstrained_and_symmetric_derivatives() -> None:
    S = b.var("S", ("n", "n"), ["spd"])
    e = b.logdet(S)
    values, _ = _values(e, 7)
    G = np.linalg.inv(values["S"])
    full = fd_derivative(e, "S", values)
    np.testing.assert_allclose(full, G, rtol=1e-6)
    sym = fd_derivative(e, "S", values, space="symmetric")
    np.testing.assert_allclose(sym, 2 * G - np.diag(np.diag(G)), rtol=1e-6)  # Cookbook 138


def test_properties_not_enforced_while_perturbing() -> None:
    h = b.var("h", ("n", 1), ["onehot"])
    e = b.matmul(b.transpose(h), x)
    values = {"h": np.array([0.0, 1.0, 0.0]), "x": np.array([1.0, 2.0, 3.0])}
    np.testing.assert_allclose(fd_derivative(e, "h", values), values["x"], rtol=1e-8)


def test_hessian_by_differentiating_a_gradient_expression() -> None:
    # gradient (A + A')x is itself an expression; its Jacobian is the Hessian A + A'
    g = b.matmul(b.add(A, b.transpose(A)), x)
    values, _ = _values(g, 8)
    np.testing.assert_allclose(fd_derivative(g, "x", values), values["A"] + values["A"].T,
                               rtol=1e-7)


def test_variable_absent_from_the_expression_gives_zeros() -> None:
    e = b.sum_(x)
    D = fd_derivative(e, "A", {"x": np.ones(3), "A": np.eye(3)})
    assert D.shape == (3, 3) and not D.any()
    with pytest.raises(InputValueError, match="no value for B"):
        fd_derivative(e, "B", {"x": np.ones(3)})


def test_symmetric_space_needs_a_square_variable() -> None:
    with pytest.raises(InputValueError, match="not square"):
        fd_derivative(b.sum_(W), "W", {"W": np.ones((2, 3))}, space="symmetric")
    with pytest.raises(ValueError, match="space"):
        fd_derivative(b.sum_(W), "W", {"W": np.ones((2, 3))}, space="upper")
