"""Unconstrained derivatives of variables declared symmetric, spd, diagonal or
orthogonal are derivatives of the function as typed (all n² entries independent): S' is
a transpose even for a symmetric S. Checked here against finite differences written in
plain NumPy, at inputs that honour the declarations, perturbing every entry."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff

rng = np.random.default_rng(3)
N = 3
S = (lambda m: m @ m.T + N * np.eye(N))(rng.normal(size=(N, N)))  # spd
Q = np.linalg.qr(rng.normal(size=(N, N)))[0]
D = np.diag(rng.uniform(0.5, 2.0, N))
B = rng.normal(size=(N, N))
x = rng.normal(size=N)
y = rng.normal(size=N)


def fd(f, X, h=1e-6):
    """d f / d X entry by entry; f maps an N×N array to an array or a float."""
    f0 = np.asarray(f(X), dtype=float)
    out = np.zeros(f0.shape + X.shape)
    for k in range(N):
        for m in range(N):
            E = np.zeros_like(X)
            E[k, m] = h
            out[(..., k, m)] = (np.asarray(f(X + E)) - np.asarray(f(X - E))) / (2 * h)
    return out


CASES = [
    ("tr(S'*B)", "S", "symmetric", S, lambda V: np.trace(V.T @ B)),
    ("x'*S'*y", "S", "symmetric", S, lambda V: x @ V.T @ y),
    ("S'", "S", "symmetric", S, lambda V: V.T),
    ("S' - S", "S", "symmetric", S, lambda V: V.T - V),
    ("inv(S')", "S", "spd", S, lambda V: np.linalg.inv(V.T)),
    ("logdet(S)", "S", "spd", S, lambda V: np.linalg.slogdet(V)[1]),
    ("x'*inv(Q)*y", "Q", "orthogonal", Q, lambda V: x @ np.linalg.inv(V) @ y),
    ("tr(inv(Q)*B)", "Q", "orthogonal", Q, lambda V: np.trace(np.linalg.inv(V) @ B)),
    ("tr(D'*B)", "D", "diagonal", D, lambda V: np.trace(V.T @ B)),
]


@pytest.mark.parametrize("text,name,prop,value,ref", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("order", [1, 2])
def test_unconstrained_derivative_is_of_the_function_as_typed(text, name, prop, value, ref,
                                                               order):
    variables = {name: f"matrix n n {prop}", "B": "matrix n n", "x": "vector n",
                 "y": "vector n"}
    d = matdiff.derivative(text, wrt=name, variables=variables, order=order)
    values = {name: value, "B": B, "x": x, "y": y}
    want = fd(ref, value) if order == 1 else fd(
        lambda V: fd(ref, V), value, h=1e-4)
    got = np.asarray(d.evaluate(values), dtype=float)
    # nested central differences (order 2) carry ~1e-5 of rounding noise
    np.testing.assert_allclose(got, want.reshape(got.shape), rtol=1e-4,
                               atol=1e-5 if order == 1 else 1e-4,
                               err_msg=f"{text} by {name}, order {order}: {d}")
    assert d.check(), d.check().message


def test_the_printed_forms_use_the_properties():
    v = {"S": "matrix n n symmetric", "B": "matrix n n"}
    assert str(matdiff.derivative("tr(S'*B)", wrt="S", variables=v)) == "B"
    assert str(matdiff.derivative("tr(S*B)", wrt="S", variables=v)) == "B'"
    assert str(matdiff.derivative("x'*S*x", wrt="x", variables=v)) == "2*S*x"
    q = {"Q": "matrix n n orthogonal"}
    assert str(matdiff.derivative("x'*inv(Q)*y", wrt="Q", variables=q)) == "-Q*x*y'*Q"
