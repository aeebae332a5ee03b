"""Generated code for structured variables (symmetric, spd, diagonal, orthogonal) at
orders 1-3, NumPy/JAX/PyTorch, against an independent reference.

Order 3 runs for a few cases, the JAX backend at order 2 (both are slow to run). Correctness test.
The reference is JAX autodiff (jax.grad / jax.jacfwd, float64) of a
function written here by hand in jax.numpy, exactly as the expression is typed: a
declared property constrains the values, not the directions, so `X'` stays a transpose
and `inv(Q)` an inverse (the unconstrained derivative, matdiff's default). Nothing of
matdiff's evaluator or finite differences is used for the reference.

Issue 9 fault 1: the generated code re-derived the lower orders without the function as
typed, so `a'*X'*b` by a symmetric X returned the gradient a*b' instead of b*a'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import matdiff
from matdiff.backends.codegen import compile_function

jax = pytest.importorskip("jax")
jnp = jax.numpy


@pytest.fixture(autouse=True)
def _float64():
    jax.config.update("jax_enable_x64", True)  # the reference in double precision

N = 3
PROPS = ("symmetric", "spd", "diagonal", "orthogonal")


@dataclass
class Case:
    id: str
    f: str
    wrt: str
    decls: dict[str, str]  # {name: kind and size}; the structured matrix is X
    ref: Callable[..., Any]  # jnp function of the variables by name
    props: tuple[str, ...] = PROPS
    orders: tuple[int, ...] = (1, 2)
    layouts: tuple[str, ...] = ("numerator",)


CASES = [
    Case("a'X'b", "a'*X'*b", "X", {"a": "vector n", "b": "vector n"},
         lambda a, X, b: a @ X.T @ b, orders=(1, 2, 3)),
    Case("w'inv(X)w", "w'*(inv(X)*w)", "X", {"w": "vector n"},
         lambda w, X: w @ (jnp.linalg.inv(X) @ w), props=("spd", "orthogonal", "diagonal")),
    Case("exp(v')Wz", "exp(v')*(X*z)", "X", {"v": "vector n", "z": "vector n"},
         lambda v, X, z: jnp.exp(v) @ (X @ z)),
    Case("tr(X'AX)", "tr(X'*A*X)", "X", {"A": "matrix n n"},
         lambda A, X: jnp.trace(X.T @ A @ X)),
    Case("tr(AX')tr(X)", "tr(A*X')*tr(X)", "X", {"A": "matrix n n"},
         lambda A, X: jnp.trace(A @ X.T) * jnp.trace(X)),
    Case("logdet", "log(det(X))", "X", {}, lambda X: jnp.log(jnp.linalg.det(X)),
         props=("spd", "diagonal"), orders=(1, 2, 3)),
    Case("sum(exp(X'y))", "sum(exp(X'*y))", "X", {"y": "vector n"},
         lambda y, X: jnp.sum(jnp.exp(X.T @ y))),
    Case("x'X'Xx by x", "x'*X'*X*x", "x", {"x": "vector n"},
         lambda x, X: x @ X.T @ X @ x),
    Case("u'inv(X')v", "u'*inv(X')*v", "X", {"u": "vector n", "v": "vector n"},
         lambda u, v, X: u @ jnp.linalg.inv(X.T) @ v, props=("spd", "orthogonal"),
         orders=(1, 2, 3)),
    # vector functions (Kronecker forms), both layouts
    Case("X'a", "X'*a", "X", {"a": "vector n"}, lambda a, X: X.T @ a,
         layouts=("numerator", "denominator")),
    Case("X'Xa", "X'*X*a", "X", {"a": "vector n"}, lambda a, X: X.T @ X @ a,
         layouts=("numerator", "denominator")),
    Case("inv(X')a", "inv(X')*a", "X", {"a": "vector n"},
         lambda a, X: jnp.linalg.inv(X.T) @ a, props=("spd", "orthogonal"),
         layouts=("numerator", "denominator")),
    Case("a'X'b-denominator", "a'*X'*b", "X", {"a": "vector n", "b": "vector n"},
         lambda a, X, b: a @ X.T @ b, orders=(2,), layouts=("denominator",)),
]


def _structured_value(prop: str, rng: np.random.Generator) -> np.ndarray:
    M = rng.standard_normal((N, N))
    if prop == "symmetric":
        return (M + M.T) / 2
    if prop == "spd":
        return M @ M.T + N * np.eye(N)
    if prop == "diagonal":
        return np.diag(rng.uniform(0.5, 2.0, N))
    Q, R = np.linalg.qr(M)
    return Q * np.sign(np.diag(R))


def _values(case: Case, prop: str, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {"X": _structured_value(prop, rng)}
    for name, decl in case.decls.items():
        shape = (N,) if decl.startswith("vector") else (N, N)
        out[name] = rng.standard_normal(shape)
    return out


def _reference(case: Case, values: dict[str, np.ndarray], order: int,
               layout: str = "numerator") -> list[np.ndarray]:
    """[value, derivative of order 1, ..., order k] by JAX autodiff: numerator layout
    shape(f) + shape(wrt) * k, denominator the variable's axes first."""
    args = {k: jnp.asarray(v) for k, v in values.items()}

    def g(w: Any) -> Any:
        return case.ref(**{**args, case.wrt: w})

    out = [np.asarray(g(args[case.wrt]))]
    nf = out[0].ndim
    fn = g
    for _ in range(order):
        fn = jax.jacfwd(fn)
        value = np.asarray(fn(args[case.wrt]))
        if layout == "denominator" and nf:
            value = np.moveaxis(value, list(range(nf)), list(range(value.ndim - nf, value.ndim)))
        out.append(value)
    return out


PARAMS = [
    pytest.param(case, prop, order, layout, id=f"{case.id}-{prop}-order{order}-{layout}")
    for case in CASES for prop in case.props for order in case.orders
    for layout in case.layouts
]


def _derive(case: Case, prop: str, order: int, layout: str = "numerator"):
    variables = {**case.decls, "X": f"matrix n n {prop}"}
    return matdiff.derivative(case.f, wrt=case.wrt, variables=variables, order=order,
                              layout=layout)


def _close(got: Any, want: np.ndarray, what: str) -> None:
    got = np.asarray(got, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8 * scale, err_msg=what)


def _torch_in(v: np.ndarray) -> Any:
    torch = pytest.importorskip("torch")
    return torch.tensor(v, dtype=torch.float64)


def _torch_out(v: Any) -> np.ndarray:
    return v.detach().numpy() if hasattr(v, "detach") else np.asarray(v)


BACKENDS: dict[str, tuple[Callable[[np.ndarray], Any], Callable[[Any], np.ndarray]]] = {
    "numpy": (lambda v: v, np.asarray),
    "jax": (jnp.asarray, np.asarray),
    "torch": (_torch_in, _torch_out),
}


@pytest.mark.parametrize("case, prop, order, layout", PARAMS)
def test_structured_codegen_and_evaluate_match_autodiff(case: Case, prop: str, order: int,
                                                        layout: str):
    d = _derive(case, prop, order, layout)
    # JAX runs eagerly here (slow to start each op): at order 2, the order that failed
    backends = ["numpy", "jax", "torch"] if order == 2 else ["numpy", "torch"]
    fns = {be: compile_function(d, be) for be in backends}
    for seed in (1, 2) if order < 3 else (1,):
        values = _values(case, prop, seed)
        want = _reference(case, values, order, layout)
        _close(d.evaluate(**values), want[-1], f"{case.id} {prop}: d.evaluate order {order}")
        for be, fn in fns.items():
            into, out = BACKENDS[be]
            got = fn(**{k: into(v) for k, v in values.items()})
            assert len(got) == order + 1
            for k, (g, w) in enumerate(zip(got, want, strict=True)):
                _close(out(g), w, f"{case.id} {prop} [{be}] output {k}\n"
                                  f"{fn.__matdiff_source__}")


def test_issue9_reproduction_symmetric_gradient_is_b_a_transposed():
    """The report's case, with its numbers: the order-2 code's gradient is b*a'."""
    d = matdiff.derivative("a'*X'*b", wrt="X", order=2, variables={
        "X": "matrix n n symmetric", "a": "vector n", "b": "vector n"})
    a, b = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    X = np.eye(3)
    _, grad, hess = compile_function(d)(a=a, b=b, X=X)
    np.testing.assert_allclose(grad, np.outer(b, a))
    np.testing.assert_allclose(hess, np.zeros((3, 3, 3, 3)))


STRUCTURED = [
    Case("a'X'b", "a'*X'*b", "X", {"a": "vector n", "b": "vector n"},
         lambda a, X, b: a @ X.T @ b),
    Case("logdet", "log(det(X))", "X", {}, lambda X: jnp.log(jnp.linalg.det(X))),
    Case("tr(AX')tr(X)", "tr(A*X')*tr(X)", "X", {"A": "matrix n n"},
         lambda A, X: jnp.trace(A @ X.T) * jnp.trace(X)),
    # no matrix form (a block holding the variable): values from the differential
    Case("tr(C[M, N][P; X])", "tr(C*[M, N]*[P; X])", "X",
         {"C": "matrix n n", "M": "matrix n n", "N": "matrix n n", "P": "matrix n n"},
         lambda C, M, N, P, X: jnp.trace(C @ jnp.hstack([M, N]) @ jnp.vstack([P, X]))),
]


def _project(G: np.ndarray, prop: str) -> np.ndarray:
    """The gradient on the structure's matrices from the unconstrained one G."""
    if prop == "diagonal":
        return np.diag(np.diag(G))
    return G + G.T - np.diag(np.diag(G))


@pytest.mark.parametrize("case", STRUCTURED, ids=[c.id for c in STRUCTURED])
@pytest.mark.parametrize("prop", ["symmetric", "spd", "diagonal"])
@pytest.mark.parametrize("layout", ["numerator", "denominator"])
def test_structured_gradient_in_every_backend(case: Case, prop: str, layout: str):
    """--structured: G + G' - diag(diag(G)) (symmetric, spd) or diag(diag(G)) (diagonal),
    with G the unconstrained gradient by JAX, with and without a matrix form."""
    if case.id == "logdet" and prop == "symmetric":
        prop = "spd"  # log det needs det > 0
    variables = {**case.decls, "X": f"matrix n n {prop}"}
    d = matdiff.derivative(case.f, wrt="X", variables=variables, structured=True,
                           layout=layout)
    values = _values(case, prop, 7)
    want = _project(_reference(case, values, 1)[1], prop)
    _close(d.evaluate(**values), want, f"{case.id} {prop}: d.evaluate")
    for be in ("numpy", "jax", "torch"):
        into, out = BACKENDS[be]
        fn = compile_function(d, be)
        _, got = fn(**{k: into(v) for k, v in values.items()})
        _close(out(got), want, f"{case.id} {prop} [{be}]\n{fn.__matdiff_source__}")


@pytest.mark.parametrize("f, decl, order", [
    ("tr(C*[M, N]*[P; X])", "matrix n n", 1),  # no property to structure by
    ("tr(C*[M, N]*[P; X])", "matrix n n orthogonal", 1),
    ("tr(C*[M, N]*[P; X])^2", "matrix n n symmetric", 2),  # not a gradient
    ("C*X", "matrix n n symmetric", 1),
])
def test_structured_needs_a_gradient_by_a_structured_variable(f, decl, order):
    """Refused whether or not a matrix form exists (an index form was silently left
    unconstrained)."""
    with pytest.raises(matdiff.MatdiffError):
        matdiff.derivative(f, wrt="X", order=order, structured=True, variables={
            "X": decl, "C": "matrix n n", "M": "matrix n n", "N": "matrix n n",
            "P": "matrix n n"})
