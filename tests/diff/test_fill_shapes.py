"""Issue 9, fault class 2: constant fills keep their shape when terms combine.

Correctness tests: each reproduction from the issue is checked by value against a NumPy
closed form (and, for the Hessians, central finite differences of the closed-form
gradient), by the shape of the result node, by the generated NumPy code (shape and
value), and by its printed form separately. A sum keeps at most one fill, so no
combination of fills prints, or generates code, as a bare scalar.

A consistency check closes the file: the reference evaluator no longer broadcasts a 1×1
value to a node's shape (a malformed node is an error, not a silently right answer).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import matdiff
from matdiff.backends.codegen import compile_function
from matdiff.backends.evaluate import evaluate
from matdiff.ir import build as b
from matdiff.ir.dims import concrete
from matdiff.ir.node import make
from matdiff.ir.ops import Op

SIZES = {"n": 3, "m": 2}


def _fd_jacobian(g: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = 1e-6):
    """Central differences of an array-valued g: shape g(x).shape + x.shape."""
    out = np.zeros(np.shape(g(x)) + x.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        out[(Ellipsis, *idx)] = (g(x + e) - g(x - e)) / (2 * h)
    return out


@dataclass
class Repro:
    id: str
    f: str
    wrt: str
    order: int
    variables: dict[str, str]
    value: Callable[[dict], np.ndarray]  # closed form of the derivative (user layout)
    node_shape: tuple  # symbolic shape of d.expr
    forms: tuple[str, ...]  # accepted printed forms
    gradient: Callable[[dict], np.ndarray] | None = None  # closed form, for FD at order 2


def _s(v):
    return float(np.sum(v["y"]))


REPROS = [
    Repro("sum(y)^2+sum(y)^3 hessian", "sum(y)^2 + sum(y)^3", "y", 2, {"y": "vector n"},
          lambda v: (2 + 6 * _s(v)) * np.ones((3, 3)), ("n", "n"),
          ("2*(1 + 3*sum(y))*ones(n, n)", "(2 + 6*sum(y))*ones(n, n)"),
          gradient=lambda v: (2 * _s(v) + 3 * _s(v) ** 2) * np.ones(3)),
    Repro("sum(y)*exp(sum(y)) gradient", "sum(y)*exp(sum(y))", "y", 1, {"y": "vector n"},
          lambda v: (1 + _s(v)) * np.exp(_s(v)) * np.ones(3), ("n", 1),
          ("(exp(sum(y)) + sum(y)*exp(sum(y)))*ones(n, 1)",
           "(1 + sum(y))*exp(sum(y))*ones(n, 1)",
           "exp(sum(y))*(1 + sum(y))*ones(n, 1)")),
    Repro("(sum(W)^2)^0.5 hessian", "(sum(W)^2)^0.5", "W", 2, {"W": "matrix m n"},
          lambda v: np.zeros((2, 3, 2, 3)), ("m*n", "m*n"),
          ("((sum(W)^2)^-0.5 - sum(W)^2/((sum(W)^2)^1.5))*ones(m*n, m*n)",
           "zeros(m*n, m*n)"),
          gradient=lambda v: np.sign(np.sum(v["W"])) * np.ones((2, 3))),
    Repro("sum(X + sum(X)) gradient", "sum(X + sum(X))", "X", 1, {"X": "matrix m n"},
          lambda v: 7.0 * np.ones((2, 3)), ("m", "n"),
          ("(1 + sum(ones(m, n)))*ones(m, n)", "7*ones(m, n)")),
    # found by the differential fuzzer (helper fuzz): the broadcast of a into a vector
    Repro("tanh(a) - (u - a) by a", "tanh(a) - (u - a)", "a", 1,
          {"a": "scalar", "u": "vector n"},
          lambda v: (2 - np.tanh(v["a"]) ** 2) * np.ones(3), ("n", 1),
          ("(2 - tanh(a)^2)*ones(n, 1)",)),
]


def _values(r: Repro, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    shapes = {"scalar": (), "vector n": (3,), "matrix m n": (2, 3)}
    return {k: rng.standard_normal(shapes[decl]) for k, decl in r.variables.items()}


def _derive(r: Repro):
    return matdiff.derivative(r.f, wrt=r.wrt, order=r.order, variables=r.variables)


@pytest.mark.parametrize("r", REPROS, ids=[r.id for r in REPROS])
def test_value_is_the_closed_form(r: Repro):
    d = _derive(r)
    for seed in (0, 1):
        vals = _values(r, seed)
        np.testing.assert_allclose(d.evaluate(**vals), r.value(vals), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("r", [r for r in REPROS if r.gradient is not None],
                         ids=[r.id for r in REPROS if r.gradient is not None])
def test_hessian_against_finite_differences_of_the_gradient(r: Repro):
    assert r.gradient is not None
    d = _derive(r)
    vals = _values(r, 3)
    fd = _fd_jacobian(lambda w: r.gradient({**vals, r.wrt: w}), vals[r.wrt])
    np.testing.assert_allclose(d.evaluate(**vals), fd, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("r", REPROS, ids=[r.id for r in REPROS])
def test_result_node_has_the_derivative_shape(r: Repro):
    d = _derive(r)
    assert d.expr is not None and d.expr.shape == r.node_shape
    vals = _values(r)
    assert evaluate(d.expr, vals, sizes=SIZES).shape == concrete(r.node_shape, SIZES)


@pytest.mark.parametrize("r", REPROS, ids=[r.id for r in REPROS])
def test_printed_form(r: Repro):
    assert str(_derive(r)) in r.forms


@pytest.mark.parametrize("r", REPROS, ids=[r.id for r in REPROS])
def test_generated_numpy_code_has_the_right_shape_and_value(r: Repro):
    d = _derive(r)
    fn = compile_function(d, "numpy")
    vals = _values(r, 2)
    out = fn(**vals)
    want = r.value(vals)
    got = np.asarray(out[-1])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("r", REPROS, ids=[r.id for r in REPROS])
def test_printed_result_pastes_back_at_its_shape(r: Repro):
    d = _derive(r)
    back = matdiff.parse(str(d), r.variables)
    assert back.shape == d.expr.shape
    vals = _values(r, 4)
    np.testing.assert_allclose(evaluate(back, vals, sizes=SIZES),
                               evaluate(d.expr, vals, sizes=SIZES), rtol=1e-12)


def test_a_sum_of_fills_is_one_fill():
    y = b.var("y", ("n", 1))
    s = b.sum_(y)
    total = b.add(b.fill(b.const(2), ("n", 1)), b.fill(b.mul(b.const(6), s), ("n", 1)))
    assert total.op == "fill" and total.shape == ("n", 1)
    X = b.var("X", ("n", "n"))
    mixed = b.add(X, b.fill(s, ("n", "n")), b.const(1), b.fill(b.const(2), ("n", "n")))
    assert sum(t.op == "fill" for t in mixed.children) == 1
    assert b.add(b.fill(s, ("n", 1)), b.neg(b.fill(s, ("n", 1)))).children[0].arg == 0.0


def test_fills_fold_through_vec_reshape_diag_kron_and_outer_products():
    c = b.var("c", (1, 1))
    F = b.fill(c, ("m", "n"))
    assert b.vec(F) is b.fill(c, ("m*n", 1))
    assert b.reshape(b.fill(c, ("m*n", 1)), ("m", "n")) is F
    assert b.diag(b.fill(c, ("n", "n"))) is b.fill(c, ("n", 1))
    ones_col, ones_row = b.fill(b.ONE, ("n", 1)), b.fill(b.ONE, (1, "m"))
    assert b.matmul(ones_col, ones_row) is b.fill(b.ONE, ("n", "m"))
    assert b.kron(b.fill(c, ("n", 1)), ones_row) is b.fill(c, ("n", "m"))
    assert b.sum_(b.fill(c, (2, 3))) is b.mul(b.const(6), c)
    assert b.tr(b.fill(c, (3, 3))) is b.mul(b.const(3), c)


def test_evaluator_does_not_broadcast_a_scalar_to_the_node_shape():
    """Consistency check of the evaluator's contract: a node whose rule gives another
    shape (here a malformed `sum` claiming n×1) is an error, never broadcast."""
    x = b.var("x", ("n", 1))
    bad = make(Op.SUM, (x,), None, ("n", 1))
    with pytest.raises(AssertionError, match="its node is 3×1"):
        evaluate(bad, {"x": np.ones(3)})


@pytest.mark.parametrize("backend", ["jax", "torch"])
@pytest.mark.parametrize("r", REPROS, ids=[r.id for r in REPROS])
def test_generated_jax_and_torch_code_has_the_right_shape_and_value(r: Repro, backend: str):
    """The same for the optional backends (skipped only when not installed)."""
    if backend == "jax":
        jnp = pytest.importorskip("jax.numpy")
        convert = jnp.asarray
    else:
        torch = pytest.importorskip("torch")
        convert = torch.tensor
    d = _derive(r)
    vals = _values(r, 2)
    out = compile_function(d, backend)(**{k: convert(v) for k, v in vals.items()})
    got = np.asarray(out[-1], dtype=float)
    want = r.value(vals)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
