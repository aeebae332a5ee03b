"""Random well-typed expressions (Hypothesis): derivatives equal finite differences,
Hessians too, simplify keeps the value and is idempotent, and printed results parse back.

Expressions are built over scalars a, c, vectors x, y (n) and matrices A, B (n×n) with
functions defined everywhere, so any random input is in the domain.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import matdiff
from matdiff.backends.text import to_text
from matdiff.diff.derivative import take_derivative
from matdiff.ir import build as b
from matdiff.parse import parse
from matdiff.rewrite.driver import simplify
from matdiff.verify.finite_diff import fd_derivative

N = "n"
VARS = {
    "scalar": [b.var("a", (1, 1)), b.var("c", (1, 1))],
    "vector": [b.var("x", (N, 1)), b.var("y", (N, 1))],
    "matrix": [b.var("A", (N, N)), b.var("B", (N, N))],
}
SAFE = ["sin", "cos", "tanh", "sigmoid", "softplus", "arctan"]


def expr(kind: str, depth: int) -> st.SearchStrategy:
    leaf = st.sampled_from(VARS[kind])
    if kind == "scalar":
        leaf = st.one_of(leaf, st.sampled_from([b.const(2), b.const(0.5)]))
    if depth <= 0:
        return leaf
    s, v, m = (expr(k, depth - 1) for k in ("scalar", "vector", "matrix"))
    f = st.sampled_from(SAFE)
    if kind == "scalar":
        options = [
            st.builds(lambda p, q: b.matmul(b.transpose(p), q), v, v),
            st.builds(lambda p, M, q: b.matmul_chain([b.transpose(p), M, q]), v, m, v),
            st.builds(b.tr, m),
            st.builds(b.sum_, v),
            st.builds(b.add, s, s),
            st.builds(b.mul, s, s),
            st.builds(lambda p: b.power(b.norm2(p), b.const(2)), v),
            st.builds(b.func, f, s),
            st.builds(b.logsumexp, v),
        ]
    elif kind == "vector":
        options = [
            st.builds(b.matmul, m, v),
            st.builds(b.add, v, v),
            st.builds(b.mul, s, v),
            st.builds(b.hadamard, v, v),
            st.builds(b.func, f, v),
            st.builds(b.softmax, v),
            st.builds(lambda M, p: b.matmul(b.transpose(M), p), m, v),
        ]
    else:
        options = [
            st.builds(b.matmul, m, m),
            st.builds(b.add, m, m),
            st.builds(lambda M: b.add(M, b.transpose(M)), m),
            st.builds(b.mul, s, m),
            st.builds(b.hadamard, m, m),
            st.builds(lambda p, q: b.matmul(p, b.transpose(q)), v, v),
            st.builds(b.func, f, m),
            st.builds(b.diag, v),
        ]
    return st.one_of(leaf, *options)


def free_vars(e):
    out, stack = {}, [e]
    while stack:
        n = stack.pop()
        if n.op == "var":
            out[n.arg.name] = n
        stack.extend(n.children)
    return out


def values_for(e, seed):
    rng = np.random.default_rng(seed)
    n = 3
    vals = {}
    for name, v in free_vars(e).items():
        if v.shape == (1, 1):
            vals[name] = float(rng.uniform(-1, 1))
        elif v.shape[1] == 1:
            vals[name] = rng.uniform(-1, 1, n)
        else:
            vals[name] = rng.uniform(-1, 1, (n, n))
    return vals


SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@SETTINGS
@given(kind=st.sampled_from(["scalar", "vector", "matrix"]), data=st.data(),
       seed=st.integers(0, 2**16))
def test_first_derivative_equals_finite_differences(kind, data, seed):
    e = data.draw(expr(kind, 3))
    variables = free_vars(e)
    if not variables:
        return
    name = data.draw(st.sampled_from(sorted(variables)))
    d = take_derivative(e, [variables[name]])
    vals = values_for(e, seed)
    got = np.asarray(d.evaluate(vals), dtype=float)
    want = fd_derivative(e, name, vals, sizes={"n": 3})
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6, err_msg=f"{to_text(e)} by {name}")


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_hessian_equals_finite_differences_of_the_gradient(data, seed):
    e = data.draw(expr("scalar", 3))
    variables = free_vars(e)
    if not variables:
        return
    name = data.draw(st.sampled_from(sorted(variables)))
    var = variables[name]
    h = take_derivative(e, [var], order=2)
    g = take_derivative(e, [var], order=1)
    vals = values_for(e, seed)
    got = np.asarray(h.evaluate(vals), dtype=float)
    # finite differences of the (already checked) gradient expression
    assert g.expr is not None
    want = fd_derivative(g.expr, name, vals, sizes={"n": 3})
    want = want.reshape(got.shape)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6, err_msg=f"{to_text(e)} by {name}")


@SETTINGS
@given(kind=st.sampled_from(["scalar", "vector", "matrix"]), data=st.data(),
       seed=st.integers(0, 2**16))
def test_simplify_keeps_value_and_is_idempotent(kind, data, seed):
    from matdiff.backends.evaluate import evaluate

    e = data.draw(expr(kind, 3))
    s = simplify(e)
    assert simplify(s) is s
    vals = values_for(e, seed)
    np.testing.assert_allclose(evaluate(s, vals), evaluate(e, vals), rtol=1e-9, atol=1e-10)


@SETTINGS
@given(data=st.data())
def test_printed_derivatives_parse_back(data):
    e = data.draw(expr("scalar", 2))
    variables = free_vars(e)
    if not variables:
        return
    name = data.draw(st.sampled_from(sorted(variables)))
    d = take_derivative(e, [variables[name]])
    if not d.expr.free:
        return  # `eye` or `matrix(0)` alone: no variable to size it by, so not parseable
    decl = {k: ("scalar" if v.shape == (1, 1) else "vector n" if v.shape[1] == 1 else
                "matrix n n") for k, v in variables.items()}
    assert parse(str(d), decl) is d.expr


def test_public_api_matches_builders():
    x = matdiff.vector("x", "n")
    A = matdiff.matrix("A", "n", "n")
    assert matdiff.parse("x'*A*x", {"x": "vector n", "A": "matrix n n"}) is x.T @ A @ x
