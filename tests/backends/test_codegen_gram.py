"""Symmetric products G'*diag(d)*G (d >= 0) and G'*G run as a Gram matrix B'*B.

- The non-negativity prover (codegen/gram.py) is checked two ways: a table of forms it
  must prove and must not, and for every form it proves, the value at random inputs
  (large magnitudes included) is >= 0 (soundness, against the reference evaluator).
- The generated Hessians of logistic regression, softplus and exp objectives run as
  `B.T @ B` with B = sqrt(d) .* X, computed once (correctness test against the closed
  form X'*diag(d)*X written by hand in NumPy, on every backend), and the NumPy result is
  exactly symmetric; a d not provably non-negative keeps the general product.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import matdiff
from matdiff.backends.codegen import compile_function, generate
from matdiff.backends.codegen.gram import gram_split, nonnegative

V = {"u": "vector n", "y": "vector n", "p": "vector n positive", "X": "matrix m n"}

PROVED = ["y.^2", "exp(u)", "sigmoid(u) .* (1 - sigmoid(u))", "softplus(u)", "u .* u",
          "p", "y.^2 .* sigmoid(u) .* (1 - sigmoid(u))", "1 - tanh(u).^2", "abs(u) + exp(u)",
          "sqrt(p)", "u.^4", "2*exp(u)", "softmax(u)", "1 - sigmoid(u)"]
NOT_PROVED = ["u", "sin(u)", "u.^3", "u .* y", "tanh(u)", "1 - exp(u)", "-exp(u)",
              "exp(u) - 1", "y .* sigmoid(u)"]


@pytest.mark.parametrize("text", PROVED)
def test_proves_nonnegative_and_is(text):
    node = matdiff.parse(text, V)
    assert nonnegative(node), text
    rng = np.random.default_rng(0)
    for scale in (1.0, 30.0):
        values = {"u": scale * rng.normal(size=7), "y": scale * rng.normal(size=7),
                  "p": rng.random(7) + 0.01}
        got = np.asarray(matdiff.evaluate(text, values, variables=V))
        assert np.all(got >= 0.0), (text, got)


@pytest.mark.parametrize("text", NOT_PROVED)
def test_does_not_prove_what_can_be_negative(text):
    assert not nonnegative(matdiff.parse(text, V)), text


def _hess(text: str):
    return matdiff.hessian(text, wrt="w", variables={"X": "matrix m n"})


def _data(m=30, n=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)), rng.choice([-1.0, 1.0], size=m), rng.normal(size=n)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# objective, and its Hessian by hand: X'*diag(d)*X with d in closed form
HANDS = {
    "sum(log(1 + exp(-y .* (X*w))))":
        lambda X, y, w: _sigmoid(-y * (X @ w)) * (1 - _sigmoid(-y * (X @ w))) * y * y,
    "sum(softplus(X*w))": lambda X, y, w: _sigmoid(X @ w) * (1 - _sigmoid(X @ w)),
    "sum(exp(X*w))": lambda X, y, w: np.exp(X @ w),
}


@pytest.mark.parametrize("text", list(HANDS))
def test_hessian_runs_as_gram_matrix(text):
    src = generate(_hess(text), "numpy")
    gram = re.search(r"(t\d+) = np\.sqrt\(t\d+\)\[:, None\] \* X  #.*\n\s+t\d+ = \1\.T @ \1",
                     src)
    assert gram, src
    assert src.count("[:, None] * X") == 1, src  # B computed once, no general product


@pytest.mark.parametrize("backend", ["numpy", "array_api", "jax", "torch"])
@pytest.mark.parametrize("text", list(HANDS))
def test_gram_hessian_equals_closed_form(text, backend):
    if backend in ("jax", "torch"):
        mod = pytest.importorskip(backend)
        if backend == "jax":
            mod.config.update("jax_enable_x64", True)
    X, y, w = _data()
    d = _hess(text)
    inputs = {"X": X, "w": w} | ({"y": y} if "y" in text else {})
    if backend == "torch":
        import torch

        inputs = {k: torch.as_tensor(v) for k, v in inputs.items()}
    hess = compile_function(d, backend)(**inputs)[-1]
    hess = np.asarray(hess)
    want = X.T @ (HANDS[text](X, y, w)[:, None] * X)
    np.testing.assert_allclose(hess, want, rtol=1e-10, atol=1e-12)
    if backend == "numpy":
        assert np.array_equal(hess, hess.T)  # one triangle computed, mirrored


def test_sign_not_proved_keeps_the_general_product():
    src = generate(_hess("sum(sin(X*w))"), "numpy")
    assert "sqrt" not in src and "X.T @ t" in src
    X, _, w = _data()
    hess = compile_function(_hess("sum(sin(X*w))"))(X=X, w=w)[-1]
    np.testing.assert_allclose(hess, X.T @ (-np.sin(X @ w)[:, None] * X), rtol=1e-10)


def test_least_squares_hessian_is_the_gram_matrix_of_x():
    src = generate(matdiff.hessian("norm2(X*w - y)^2", wrt="w",
                                   variables={"X": "matrix m n"}), "numpy")
    assert "X.T @ X" in src


def test_gram_split_shapes():
    """G'*G needs the mirror factors; a middle factor must be a provably non-negative
    diagonal; a chain of diagonals alone is left to the chain code."""
    n = {k: matdiff.parse(t, {"X": "matrix m n", "A": "matrix m m", "u": "vector m"})
         for k, t in {"xtx": "X'*X", "xtax": "X'*A*X", "xtdx": "X'*diag(exp(u))*X",
                      "xtux": "X'*diag(u)*X"}.items()}
    assert gram_split(list(n["xtx"].children)) == (None, [n["xtx"].children[1]])
    assert gram_split(list(n["xtax"].children)) is None
    d, right = gram_split(list(n["xtdx"].children))
    assert d.op == "exp" and len(right) == 1
    assert gram_split(list(n["xtux"].children)) is None
