"""Hessian-vector products: `matdiff.hvp` and the linear-operator view of Hessians.

Correctness tests (independent references): for a table of objectives each row has its
own translation into array code (`ref`, written once for NumPy and jax.numpy), and
h.evaluate(v=V) is compared with
- the mixed second directional derivative u'·H·V by central finite differences of that
  NumPy translation (no matdiff numerics at all), and
- JAX's `jvp` of `grad` of the jax.numpy translation (when JAX is installed).
Consistency checks against matdiff's own engine: h.evaluate equals matdiff.hessian's
value contracted with V, and central differences of matdiff.grad's value along V; the
generated NumPy/JAX/PyTorch H·v equals h.evaluate. Printed forms are tested apart from
values.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff import optimize
from matdiff.errors import MatdiffError
from matdiff.verify.sample import sample_values


@dataclass
class Case:
    id: str
    f: str
    wrt: str
    ref: Callable[..., Any]  # ref(xp, **values): the objective in array code
    values: Callable[[np.random.Generator], dict[str, Any]]
    variables: dict[str, str] = field(default_factory=dict)


def _spd(rng: np.random.Generator, n: int) -> np.ndarray:
    a = rng.normal(size=(n, n))
    return a @ a.T + n * np.eye(n)


def _labels(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.where(rng.random(n) < 0.5, -1.0, 1.0)


def _softmax(xp, z):
    e = xp.exp(z - xp.max(z))
    return e / xp.sum(e)


CASES = [
    Case("quadratic form", "x'*A*x", "x", lambda xp, x, A: x @ A @ x,
         lambda r: {"x": r.normal(size=4), "A": r.normal(size=(4, 4))}),
    Case("quadratic form, A symmetric", "x'*A*x + b'*x", "x",
         lambda xp, x, A, b: x @ A @ x + b @ x,
         lambda r: {"x": r.normal(size=3), "A": (lambda m: m + m.T)(r.normal(size=(3, 3))),
                    "b": r.normal(size=3)},
         {"A": "matrix n n symmetric", "b": "vector n"}),
    Case("ridge", "norm2(X*w - y)^2 + c*w'*w", "w",
         lambda xp, X, w, y, c: xp.sum((X @ w - y) ** 2) + c * (w @ w),
         lambda r: {"X": r.normal(size=(6, 3)), "w": r.normal(size=3), "y": r.normal(size=6),
                    "c": 0.7}),
    Case("logistic", "sum(log(1 + exp(-y .* (X*w))))", "w",
         lambda xp, X, w, y: xp.sum(xp.logaddexp(0.0, -y * (X @ w))),
         lambda r: {"X": r.normal(size=(7, 3)), "w": r.normal(size=3), "y": _labels(r, 7)}),
    Case("logistic, L2", "sum(log(1 + exp(-y .* (X*w)))) + c*w'*w", "w",
         lambda xp, X, w, y, c: xp.sum(xp.logaddexp(0.0, -y * (X @ w))) + c * (w @ w),
         lambda r: {"X": r.normal(size=(7, 3)), "w": r.normal(size=3), "y": _labels(r, 7),
                    "c": 0.3}),
    Case("softmax cross-entropy by W", "-y'*log(softmax(W*x))", "W",
         lambda xp, W, x, y: -(y @ xp.log(_softmax(xp, W @ x))),
         lambda r: {"W": r.normal(size=(4, 3)), "x": r.normal(size=3),
                    "y": np.eye(4)[1]}),
    Case("softmax cross-entropy by x", "-y'*log(softmax(W*x))", "x",
         lambda xp, W, x, y: -(y @ xp.log(_softmax(xp, W @ x))),
         lambda r: {"W": r.normal(size=(4, 3)), "x": r.normal(size=3),
                    "y": np.eye(4)[2]}),
    Case("Gaussian NLL by S", "logdet(S) + tr(inv(S)*C)", "S",
         lambda xp, S, C: xp.linalg.slogdet(S)[1] + xp.trace(xp.linalg.inv(S) @ C),
         lambda r: {"S": _spd(r, 4), "C": _spd(r, 4)},
         {"S": "matrix n n spd", "C": "matrix n n spd"}),
    Case("trace quadratic by X", "tr(X'*A*X)", "X", lambda xp, X, A: xp.trace(X.T @ A @ X),
         lambda r: {"X": r.normal(size=(3, 2)), "A": r.normal(size=(3, 3))}),
    Case("bilinear in inv(X)", "a'*inv(X)*b", "X",
         lambda xp, X, a, b: a @ xp.linalg.inv(X) @ b,
         lambda r: {"X": r.normal(size=(3, 3)) + 3 * np.eye(3), "a": r.normal(size=3),
                    "b": r.normal(size=3)},
         {"a": "vector n", "b": "vector n"}),
    Case("two-layer regression by W", "0.5*norm2(tanh(W*x) - y)^2", "W",
         lambda xp, W, x, y: 0.5 * xp.sum((xp.tanh(W @ x) - y) ** 2),
         lambda r: {"W": r.normal(size=(3, 4)) * 0.5, "x": r.normal(size=4),
                    "y": r.normal(size=3)}),
    Case("scalar by scalar", "t^3 + sin(t)*c", "t",
         lambda xp, t, c: t**3 + xp.sin(t) * c,
         lambda r: {"t": 0.8, "c": 1.5}, {"t": "scalar", "c": "scalar"}),
]


def _hvp(case: Case):
    return matdiff.hvp(case.f, wrt=case.wrt, variables=case.variables or None)


def _setup(case: Case, seed: int = 0):
    rng = np.random.default_rng(seed)
    vals = case.values(rng)
    x = np.asarray(vals[case.wrt], dtype=float)
    V = rng.normal(size=x.shape)
    U = rng.normal(size=x.shape)
    return vals, x, V, U


def _as_value(a: np.ndarray) -> Any:
    return float(a) if a.ndim == 0 else a


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hvp_mixed_second_difference(case: Case):
    """Correctness: u'·(H·v) equals the mixed central second difference of the NumPy
    translation of f, f(x ± εu ± εv), which uses no matdiff numerics."""
    vals, x, V, U = _setup(case)
    h = _hvp(case)
    hv = np.asarray(h.evaluate(**vals, v=_as_value(V)))
    eps = 1e-4

    def f(dx):
        return case.ref(np, **{**vals, case.wrt: _as_value(x + dx)})

    second = (f(eps * (U + V)) - f(eps * (U - V)) - f(eps * (V - U)) + f(-eps * (U + V)))
    second /= 4 * eps**2
    assert float(np.sum(U * hv)) == pytest.approx(second, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hvp_equals_jax_jvp_of_grad(case: Case):
    """Correctness: H·v equals JAX's jvp of grad of the jax.numpy translation."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy
    vals, x, V, _ = _setup(case, seed=1)
    others = {k: jnp.asarray(v) for k, v in vals.items() if k != case.wrt}

    def f(z):
        return case.ref(jnp, **others, **{case.wrt: z})

    _, expected = jax.jvp(jax.grad(f), (jnp.asarray(x),), (jnp.asarray(V),))
    got = _hvp(case).evaluate(**vals, v=_as_value(V))
    np.testing.assert_allclose(got, np.asarray(expected), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hvp_is_the_hessian_contracted(case: Case):
    """Consistency with matdiff.hessian: H·v equals the Hessian's value (shape(X) * 2)
    contracted with V over the last axes."""
    vals, x, V, _ = _setup(case, seed=2)
    H = np.asarray(matdiff.hessian(case.f, wrt=case.wrt,
                                   variables=case.variables or None).evaluate(**vals))
    expected = np.tensordot(H, V, axes=V.ndim) if V.ndim else H * V
    got = _hvp(case).evaluate(**vals, v=_as_value(V))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hvp_is_the_gradients_directional_difference(case: Case):
    """Consistency with matdiff.grad: H·v equals (g(x + εv) - g(x - εv)) / 2ε (along a
    symmetric v for a symmetric variable, whose values the evaluator checks)."""
    vals, x, V, _ = _setup(case, seed=3)
    if "spd" in case.variables.get(case.wrt, ""):
        V = 0.5 * (V + V.T)
    g = matdiff.grad(case.f, wrt=case.wrt, variables=case.variables or None)
    eps = 1e-5
    plus = np.asarray(g.evaluate(**{**vals, case.wrt: _as_value(x + eps * V)}))
    minus = np.asarray(g.evaluate(**{**vals, case.wrt: _as_value(x - eps * V)}))
    got = _hvp(case).evaluate(**vals, v=_as_value(V))
    np.testing.assert_allclose(got, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-7)


# Scalar functions through most of the derivative table (det, inv, powers, kron, norms,
# softmax, logsumexp, relu, vec, ratios): consistency with the formed Hessian and the
# generated code at sampled inputs honouring each op's domain.
SWEEP = [
    ("((A*x)'*(A*x))/((B*x)'*(B*x))", "x"), ("(x'*A*x)^2", "x"), ("(x'*x)^2", "x"),
    ("(x - A*s)'*W*(x - A*s)", "A"), ("0.5*norm2(relu(W*x) - y)^2", "x"),
    ("0.5*norm2(V*tanh(W*x) - y)^2", "W"), ("det(X'*A*X)", "X"), ("det(X^3)", "X"),
    ("det(inv(X))", "X"), ("exp(-0.5*x'*S*x)", "x"), ("exp(x)'*A*(C*x)", "x"),
    ("log(det(X'*X))", "X"), ("log(abs(det(X)))", "X"), ("logsumexp(A*x)", "x"),
    ("norm2(A*x)", "x"), ("norm2(X)", "X"), ("sum(exp(vec(X)))", "X"),
    ("sum(sqrt(X))", "X"), ("tr(A*X^3)", "X"), ("tr(A*inv(X)*B)", "X"),
    ("tr(inv(X + A))", "X"), ("tr(inv(A + X'*C*X)*(X'*B*X))", "X"),
    ("tr(kron(X, X))", "X"), ("tr(B'*X'*C*X*X'*C*X*B)", "X"),
    ("sum(arctan(a*x))", "a"), ("x'*diag(y)*x + sum(diag(A*x*x'))", "x"),
]


@pytest.mark.parametrize("f, wrt", SWEEP, ids=[f"{f} by {w}" for f, w in SWEEP])
def test_hvp_matches_the_hessian_across_the_rule_table(f: str, wrt: str):
    """Consistency: h.evaluate and the generated NumPy H·v equal matdiff.hessian's value
    contracted with V, at inputs sampled in each op's domain (matdiff.verify.sample)."""
    H = matdiff.hessian(f, wrt=wrt)
    h = matdiff.hvp(f, wrt=wrt)
    vals, _ = sample_values([H.function], np.random.default_rng(0))
    x = np.asarray(vals[wrt], dtype=float)
    V = np.random.default_rng(1).normal(size=x.shape)
    full = np.asarray(H.evaluate(**vals))
    expected = np.tensordot(full, V, axes=V.ndim) if V.ndim else full * V
    got = h.evaluate(**vals, v=_as_value(V))
    np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(h.compile("numpy")(**vals, v=_as_value(V)), got, rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_check_passes_for_the_table(case: Case):
    """h.check() (differences of the gradient along v at sampled inputs) passes."""
    result = _hvp(case).check()
    assert result, str(result)
    assert "numerical check passed" in str(result)


def test_check_fails_for_a_wrong_product():
    """The check can fail: twice the right H·v, or the transpose missing, is caught."""
    decl = {"S": "matrix n n spd", "C": "matrix n n spd", "v": "matrix n n"}
    h = matdiff.hvp("logdet(S) + tr(inv(S)*C)", wrt="S", variables=decl)
    assert h.check()
    doubled = dataclasses.replace(h, expr=h.expr * 2)
    assert not doubled.check()
    assert "failed" in str(doubled.check())
    # right only for symmetric v: the unconstrained Hessian has v' where this has v
    no_transpose = matdiff.parse("inv(S)*(v*inv(S)*C + C*inv(S)*v - v)*inv(S)", decl)
    assert not dataclasses.replace(h, expr=no_transpose).check()
    with pytest.raises(MatdiffError, match="trials"):
        h.check(trials=0)


STRUCTURED = [
    ("x'*D*x*tr(D*A)", "D", {"D": "matrix n n diagonal"}),
    ("tr(Q'*A*Q*B)", "Q", {"Q": "matrix n n orthogonal"}),
    ("logdet(S)^2", "S", {"S": "matrix n n spd"}),
    ("tr(S'*B*S)", "S", {"S": "matrix n n symmetric"}),
]


@pytest.mark.parametrize("f, wrt, decl", STRUCTURED, ids=[f for f, _, _ in STRUCTURED])
def test_structured_variables_get_the_unconstrained_hessian(f, wrt, decl):
    """Consistency with matdiff.hessian for diagonal, orthogonal, spd and symmetric
    variables (the unconstrained Hessian, applied to a general V), and h.check()."""
    H = matdiff.hessian(f, wrt=wrt, variables=decl)
    h = matdiff.hvp(f, wrt=wrt, variables=decl)
    vals, _ = sample_values([H.function], np.random.default_rng(0))
    V = np.random.default_rng(1).normal(size=np.shape(vals[wrt]))
    np.testing.assert_allclose(h.evaluate(**vals, v=V),
                               np.tensordot(H.evaluate(**vals), V, axes=2), rtol=1e-9,
                               atol=1e-11)
    assert h.check()


def _backend_array(backend: str, a: np.ndarray) -> Any:
    if backend == "torch":
        torch = pytest.importorskip("torch")
        return torch.as_tensor(a, dtype=torch.float64)
    if backend == "jax":
        jax = pytest.importorskip("jax")
        jax.config.update("jax_enable_x64", True)
        return jax.numpy.asarray(a)
    return a


@pytest.mark.parametrize("prepared", [False, True], ids=["direct", "prepared"])
@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_generated_hvp_equals_evaluate(case: Case, backend: str, prepared: bool):
    """Consistency: the generated function (direction as keyword v; or prepared at the
    variables, returning apply(v)) equals h.evaluate."""
    vals, x, V, _ = _setup(case, seed=4)
    h = _hvp(case)
    if backend != "numpy":
        _backend_array(backend, np.zeros(1))  # skips without the backend
    fn = h.compile(backend, prepared=prepared)
    args = {k: _backend_array(backend, np.asarray(v, dtype=float)) for k, v in vals.items()}
    if prepared:
        got = fn(**args)(_backend_array(backend, V))
    else:
        got = fn(**args, v=_backend_array(backend, V))
    expected = h.evaluate(**vals, v=_as_value(V))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-10, atol=1e-12)
    assert np.asarray(got).shape == np.shape(expected)


def test_generated_jax_hvp_jits():
    """The generated JAX H·v runs under jax.jit (shape checks at trace time)."""
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    case = CASES[7]
    vals, x, V, _ = _setup(case)
    h = _hvp(case)
    fn = jax.jit(h.compile("jax"))
    np.testing.assert_allclose(fn(**vals, v=V), h.evaluate(**vals, v=V), rtol=1e-10)


def test_prepared_hvp_leaves_only_direction_work_to_apply():
    """Prepared logistic H·v: X*w and the weights once; each apply is two products with
    X (X*v and X'*u), and its values are those of the direct function."""
    h = matdiff.hvp("sum(log(1 + exp(-y .* (X*w))))", wrt="w")
    src = h.to_code("numpy", prepared=True)
    outer, inner = src.split("def apply(v):")
    assert "X @ w" in outer
    assert inner.count("X @ ") + inner.count("X.T @ ") == 2
    rng = np.random.default_rng(7)
    vals = {"X": rng.normal(size=(6, 3)), "w": rng.normal(size=3), "y": _labels(rng, 6)}
    apply = h.compile("numpy", prepared=True)(**vals)
    direct = h.compile("numpy")
    for _ in range(3):
        V = rng.normal(size=3)
        np.testing.assert_allclose(apply(V), direct(**vals, v=V), rtol=1e-13)


def test_jax_code_multiplies_by_a_transpose_without_transposing():
    """X'*u runs as u @ X in JAX code: XLA on CPU copies a transposed matrix operand
    (values: test_generated_hvp_equals_evaluate[jax])."""
    code = matdiff.hvp("sum(log(1 + exp(-y .* (X*w))))", wrt="w").to_code("jax")
    assert "X.T @" not in code
    assert " @ X  #" in code


# ------------------------------------------------------------------ printed forms


def test_gaussian_nll_hvp_prints_products_not_kronecker_forms():
    """The HVP by a matrix is a product of n×n matrices: no kron, no commutation, in the
    printed form and in the generated code (so O(n³) time, O(n²) memory)."""
    h = matdiff.hvp("logdet(S) + tr(inv(S)*C)", wrt="S",
                    variables={"S": "matrix n n spd", "C": "matrix n n spd"})
    assert str(h) == "inv(S)*(v'*inv(S)*C + C*inv(S)*v' - v')*inv(S)"
    code = h.to_code("numpy")
    assert "kron" not in code and "commutation" not in code
    assert "def hvp(*, C, S, v):" in code


def test_printed_forms_of_ml_objectives():
    """H·v as a person writes it: a matrix-vector product through X, never X'*diag*X."""
    h = matdiff.hvp("sum(log(1 + exp(-y .* (X*w))))", wrt="w")
    assert str(h) == "X'*(X*v .* y.^2 .* sigmoid(-y .* (X*w)) .* (1 - sigmoid(-y .* (X*w))))"
    assert str(matdiff.hvp("norm2(X*w - y)^2 + c*norm2(w)^2", wrt="w")) == "2*(c*v + X'*X*v)"
    assert str(matdiff.hvp("x'*A*x", wrt="x")) == "(A + A')*v"
    assert str(matdiff.hvp("x'*A*x", wrt="x", variables={"A": "matrix n n symmetric"})) == (
        "2*A*v")


def test_printed_hvp_pastes_back():
    """The printed H·v parses (with v declared like the variable) to the same values."""
    h = matdiff.hvp("sum(log(1 + exp(-y .* (X*w))))", wrt="w")
    rng = np.random.default_rng(5)
    vals = {"X": rng.normal(size=(5, 3)), "w": rng.normal(size=3), "y": _labels(rng, 5)}
    V = rng.normal(size=3)
    again = matdiff.evaluate(str(h), {**vals, "v": V})
    np.testing.assert_allclose(again, h.evaluate(**vals, v=V), rtol=1e-12)


def test_direction_is_renamed_when_v_is_taken():
    h = matdiff.hvp("v'*x + x'*x", wrt="x")
    assert h.direction.arg.name == "v2"
    assert str(h) == "2*v2"
    assert "direction v2" in repr(h)
    assert "v2" in h.to_code()
    h2 = matdiff.hvp("x'*x", wrt="x", direction="d")
    assert str(h2) == "2*d"


def test_symbols_latex_and_a_variable_called_apply():
    """Symbols work as text does; LaTeX prints; a variable named apply does not clash
    with the prepared function's closure."""
    x = matdiff.vector("x", "n")
    A = matdiff.matrix("A", "n", "n", "symmetric")
    h = matdiff.hvp(x.T @ A @ x, wrt=x)
    assert str(h) == "2*A*v"
    assert "A" in h.to_latex() and h._repr_latex_().startswith("$\\displaystyle ")
    assert h.to_unicode() == "2 Av"
    h2 = matdiff.hvp("apply'*x + x'*x", wrt="x", variables={"apply": "vector n"})
    vals = {"apply": np.ones(2), "x": np.ones(2)}
    prepared = h2.compile("numpy", prepared=True)(**vals)
    np.testing.assert_allclose(prepared(np.array([1.0, 2.0])), [2.0, 4.0])


def test_zero_hessian():
    h = matdiff.hvp("u'*x", wrt="x")
    assert str(h) == "zeros(n, 1)"
    np.testing.assert_array_equal(h.evaluate(u=np.ones(3), x=np.ones(3), v=np.ones(3)),
                                  np.zeros(3))


@pytest.mark.parametrize("call, words", [
    (lambda: matdiff.hvp("A*x", wrt="x"), "scalar function"),
    (lambda: matdiff.hvp("x'*x", wrt="x", structured=True), "structured"),
    (lambda: matdiff.hvp("x'*x", wrt="x", direction="x"), "is a variable"),
    (lambda: matdiff.hvp("x'*x", wrt="x", direction="1v"), "identifier"),
    (lambda: matdiff.hvp("s*t", wrt="s,t"), "one variable"),
    (lambda: matdiff.hvp("x'*x", wrt="x").evaluate(x=np.ones(2)), "direction v"),
    (lambda: matdiff.hvp("x'*x", wrt="x").evaluate(x=np.ones(2), v=np.ones(3)), "v"),
])
def test_bad_input_is_a_matdiff_error(call, words):
    with pytest.raises(MatdiffError) as err:
        call()
    assert words in str(err.value)


# --------------------------------------------------------- linear-operator view


def test_hessian_as_linear_operator_matches_the_formed_hessian():
    """Consistency: matvec on C-order flattened vectors equals the formed Hessian's, for
    a matrix variable (the Gaussian NLL) and a vector one (logistic)."""
    pytest.importorskip("scipy")
    rng = np.random.default_rng(6)
    S, C = _spd(rng, 4), _spd(rng, 4)
    decl = {"S": "matrix n n spd", "C": "matrix n n spd"}
    H = matdiff.hessian("logdet(S) + tr(inv(S)*C)", wrt="S", variables=decl)
    op = H.as_linear_operator(S=S, C=C)
    assert op.shape == (16, 16)
    full = np.asarray(H.evaluate(S=S, C=C)).reshape(16, 16)
    p = rng.normal(size=16)
    np.testing.assert_allclose(op.matvec(p), full @ p, rtol=1e-10)
    np.testing.assert_allclose(op.rmatvec(p), full.T @ p, rtol=1e-10)
    X, w, y = rng.normal(size=(8, 3)), rng.normal(size=3), _labels(rng, 8)
    op2 = matdiff.hessian_operator("sum(log(1 + exp(-y .* (X*w))))", wrt="w", X=X, w=w, y=y)
    full2 = matdiff.hessian("sum(log(1 + exp(-y .* (X*w))))", wrt="w").evaluate(X=X, w=w, y=y)
    q = rng.normal(size=3)
    np.testing.assert_allclose(op2 @ q, full2 @ q, rtol=1e-10)


def test_linear_operator_needs_a_hessian():
    pytest.importorskip("scipy")
    g = matdiff.grad("x'*x", wrt="x")
    with pytest.raises(MatdiffError, match="Hessians"):
        g.as_linear_operator(x=np.ones(2))


def test_without_scipy_the_error_names_the_extra(monkeypatch):
    monkeypatch.setattr(optimize, "_SCIPY", {})
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)  # import fails as if absent
    with pytest.raises(MatdiffError) as err:
        matdiff.hessian_operator("x'*x", wrt="x", x=np.ones(2))
    assert "pip install matdiff[scipy]" in str(err.value)


@pytest.mark.parametrize("prepared", [False, True])
def test_array_api_hvp_runs_on_numpy_inputs(prepared):
    """Consistency check against h.evaluate: the array-API H·v code defines every helper
    it calls (it once called an undefined _namespace)."""
    pytest.importorskip("array_api_compat")
    h = matdiff.hvp("logdet(S) + tr(inv(S)*C)", wrt="S",
                    variables={"S": "matrix n n spd", "C": "matrix n n spd"})
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 4))
    S, C, V = A @ A.T + 4 * np.eye(4), np.eye(4) + 0.1, rng.standard_normal((4, 4))
    fn = h.compile("array_api", prepared=prepared)
    got = fn(S=S, C=C)(V) if prepared else fn(S=S, C=C, v=V)
    np.testing.assert_allclose(np.asarray(got), h.evaluate(S=S, C=C, v=V), rtol=1e-12)
