"""SPEC.md §2 acceptance table: every row, by value and by printed form.

Each row is checked by value against central finite differences of a NumPy reference
function at random inputs from the row's domain, at two sizes (dimensions differ
within and across the sizes where the shapes allow), and separately by its printed
form (one of a few obviously-equal spellings), plus that the printed result pastes
back into matdiff.parse and evaluates to the same value.
"""

from __future__ import annotations

import importlib.util
import itertools
import pathlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest


def _helpers():
    name = "_matdiff_diff_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, pathlib.Path(__file__).with_name("conftest.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


H = _helpers()
SIZES = H.SIZES
inv = np.linalg.inv
det = np.linalg.det


@dataclass
class Row:
    id: str
    f: str
    wrt: str
    variables: dict[str, str]
    ref: Callable[[dict], Any]  # NumPy value of f at a dict of values
    forms: tuple[str, ...]
    domains: dict[str, str] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)
    pasteable: bool = True  # the printed result is in the input language


def _quad(v):
    return v["x"] @ v["A"] @ v["x"]


ROWS = [
    Row("a'x", "a'*x", "x", {"a": "vector n", "x": "vector n"},
        lambda v: v["a"] @ v["x"], ("a",)),
    Row("x'a", "x'*a", "x", {"a": "vector n", "x": "vector n"},
        lambda v: v["x"] @ v["a"], ("a",)),
    Row("x'x", "x'*x", "x", {"x": "vector n"},
        lambda v: v["x"] @ v["x"], ("2*x",)),
    Row("x'Ax", "x'*A*x", "x", {"x": "vector n", "A": "matrix n n"}, _quad,
        ("(A + A')*x", "(A' + A)*x", "A*x + A'*x", "A'*x + A*x")),
    Row("x'Ax-symmetric", "x'*A*x", "x", {"x": "vector n", "A": "matrix n n symmetric"},
        _quad, ("2*A*x",)),
    Row("Ax-jacobian", "A*x", "x", {"A": "matrix m n", "x": "vector n"},
        lambda v: v["A"] @ v["x"], ("A",)),
    Row("Ax-denominator", "A*x", "x", {"A": "matrix m n", "x": "vector n"},
        lambda v: v["A"] @ v["x"], ("A'",), kwargs={"layout": "denominator"}),
    Row("tr(AX)", "tr(A*X)", "X", {"A": "matrix n m", "X": "matrix m n"},
        lambda v: np.trace(v["A"] @ v["X"]), ("A'",)),
    Row("tr(X'A)", "tr(X'*A)", "X", {"A": "matrix m n", "X": "matrix m n"},
        lambda v: np.trace(v["X"].T @ v["A"]), ("A",)),
    Row("tr(XAX')", "tr(X*A*X')", "X", {"A": "matrix n n", "X": "matrix m n"},
        lambda v: np.trace(v["X"] @ v["A"] @ v["X"].T),
        ("X*(A + A')", "X*(A' + A)", "X*A + X*A'", "X*A' + X*A")),
    Row("tr(X'AX)", "tr(X'*A*X)", "X", {"A": "matrix m m", "X": "matrix m n"},
        lambda v: np.trace(v["X"].T @ v["A"] @ v["X"]),
        ("(A + A')*X", "(A' + A)*X", "A*X + A'*X", "A'*X + A*X")),
    Row("a'Xb", "a'*X*b", "X", {"a": "vector m", "X": "matrix m n", "b": "vector n"},
        lambda v: v["a"] @ v["X"] @ v["b"], ("a*b'",)),
    Row("norm2(X)^2", "norm2(X)^2", "X", {"X": "matrix m n"},
        lambda v: np.sum(v["X"] ** 2), ("2*X",)),
    Row("tr(X'X)", "tr(X'*X)", "X", {"X": "matrix m n"},
        lambda v: np.trace(v["X"].T @ v["X"]), ("2*X",)),
    Row("det(X)", "det(X)", "X", {"X": "matrix n n"},
        lambda v: det(v["X"]),
        ("det(X)*inv(X)'", "det(X)*inv(X')", "inv(X)'*det(X)"),
        domains={"X": "invertible"}),
    # log(det(X)) at a general (non-symmetric) matrix with det > 0: at an spd X the
    # value check could not tell inv(X)' from inv(X) (the lesson's pitfall).
    Row("log(det(X))-general", "log(det(X))", "X", {"X": "matrix n n"},
        lambda v: np.log(det(v["X"])), ("inv(X)'", "inv(X')"),
        domains={"X": "invertible"}),
    Row("log(det(X))-spd-domain", "log(det(X))", "X", {"X": "matrix n n"},
        lambda v: np.log(det(v["X"])), ("inv(X)'", "inv(X')"),
        domains={"X": "spd"}),
    Row("a'inv(X)b", "a'*inv(X)*b", "X",
        {"a": "vector n", "X": "matrix n n", "b": "vector n"},
        lambda v: v["a"] @ inv(v["X"]) @ v["b"],
        ("-inv(X)'*a*b'*inv(X)'", "-inv(X')*a*b'*inv(X')", "-(inv(X)*b*a'*inv(X))'"),
        domains={"X": "invertible"}),
    Row("norm2(Ax-b)^2", "norm2(A*x - b)^2", "x",
        {"A": "matrix m n", "x": "vector n", "b": "vector m"},
        lambda v: np.sum((v["A"] @ v["x"] - v["b"]) ** 2),
        ("2*A'*(A*x - b)", "2*A'*(-b + A*x)", "2*(A'*(A*x - b))", "2*A'*A*x - 2*A'*b")),
    Row("norm2(WX-Y)^2", "norm2(W*X - Y)^2", "W",
        {"W": "matrix m n", "X": "matrix n p", "Y": "matrix m p"},
        lambda v: np.sum((v["W"] @ v["X"] - v["Y"]) ** 2),
        ("2*(W*X - Y)*X'", "2*(-Y + W*X)*X'", "2*W*X*X' - 2*Y*X'")),
    Row("tr(AXB)", "tr(A*X*B)", "X",
        {"A": "matrix p m", "X": "matrix m n", "B": "matrix n p"},
        lambda v: np.trace(v["A"] @ v["X"] @ v["B"]), ("A'*B'", "(B*A)'")),
    Row("log(1+exp(w'x))", "log(1 + exp(w'*x))", "x", {"w": "vector n", "x": "vector n"},
        lambda v: np.log1p(np.exp(v["w"] @ v["x"])),
        ("sigmoid(w'*x)*w", "sigmoid(x'*w)*w", "w*sigmoid(w'*x)", "w*sigmoid(x'*w)")),
    Row("softmax-xent-onehot", "-y'*log(softmax(z))", "z",
        {"y": "vector n onehot", "z": "vector n"},
        lambda v: -v["y"] @ np.log(H.softmax(v["z"])),
        ("softmax(z) - y", "-y + softmax(z)")),
    Row("relu-net-W", "0.5*norm2(relu(W*x) - y)^2", "W",
        {"W": "matrix m n", "x": "vector n", "y": "vector m"},
        lambda v: 0.5 * np.sum((H.relu(v["W"] @ v["x"]) - v["y"]) ** 2),
        ("((relu(W*x) - y) .* step(W*x))*x'", "(step(W*x) .* (relu(W*x) - y))*x'",
         "((-y + relu(W*x)) .* step(W*x))*x'")),
    Row("relu-net-x", "0.5*norm2(relu(W*x) - y)^2", "x",
        {"W": "matrix m n", "x": "vector n", "y": "vector m"},
        lambda v: 0.5 * np.sum((H.relu(v["W"] @ v["x"]) - v["y"]) ** 2),
        ("W'*((relu(W*x) - y) .* step(W*x))", "W'*(step(W*x) .* (relu(W*x) - y))",
         "W'*((-y + relu(W*x)) .* step(W*x))")),
    Row("expm(tA)x0", "expm(t*A)*x0", "t",
        {"t": "scalar", "A": "matrix n n", "x0": "vector n"},
        lambda v: H.expm(v["t"] * v["A"]) @ v["x0"],
        ("A*expm(t*A)*x0", "expm(t*A)*A*x0", "A*expm(A*t)*x0", "expm(A*t)*A*x0"),
        domains={"A": "small"}),
]

ROW_IDS = [r.id for r in ROWS]


def _values(row: Row, sizes, seed: int):
    rng = np.random.default_rng(seed)
    return H.sample(rng, row.variables, sizes, row.domains)


def _expected(row: Row, vals):
    def f_of(w):
        v = dict(vals)
        v[row.wrt] = w
        return row.ref(v)

    g = H.numdiff(f_of, vals[row.wrt])
    if row.kwargs.get("layout") == "denominator":
        g = g.T
    return g


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_row_value(row: Row, sizes):
    d = H.derive(row.f, row.wrt, row.variables, **row.kwargs)
    for seed in (1, 2):
        vals = _values(row, sizes, seed + 10 * sizes["n"])
        H.assert_close(H.evaluate(d, vals), _expected(row, vals),
                       what=f"d/d{row.wrt} {row.f} (seed {seed}, sizes {sizes})")


@pytest.mark.parametrize("row", ROWS, ids=ROW_IDS)
def test_row_form(row: Row):
    d = H.derive(row.f, row.wrt, row.variables, **row.kwargs)
    H.assert_form(d, *row.forms)


@pytest.mark.parametrize("row", [r for r in ROWS if r.pasteable],
                         ids=[r.id for r in ROWS if r.pasteable])
def test_row_pasteable(row: Row):
    d = H.derive(row.f, row.wrt, row.variables, **row.kwargs)
    vals = _values(row, {"n": 3, "m": 4, "p": 2}, 7)
    H.assert_pasteable(d, row.variables, vals)


# ----------------------------------------------------------- rows with their own shape


def test_ax_jacobian_shape_is_m_by_n():
    """Numerator layout: J of f (m) by x (n) is m×n; denominator layout n×m."""
    v = {"A": "matrix m n", "x": "vector n"}
    vals = H.sample(np.random.default_rng(3), v, {"n": 3, "m": 5})
    num = H.evaluate(H.derive("A*x", "x", v), vals)
    den = H.evaluate(H.derive("A*x", "x", v, layout="denominator"), vals)
    H.assert_close(num, vals["A"], what="numerator")
    H.assert_close(den, vals["A"].T, what="denominator")


# inv(X): a matrix by a matrix, 4 indices.

INV_VARS = {"X": "matrix n n"}


@pytest.mark.parametrize("n", [3, 4])
def test_inv_value_four_index(n):
    """D[i,j,k,l] = d inv(X)_ij / d X_kl = -inv(X)_ik inv(X)_lj, by FD."""
    d = H.derive("inv(X)", "X", INV_VARS)
    X = H.rand_invertible(np.random.default_rng(20 + n), n)
    got = H.evaluate(d, {"X": X})
    fd = H.numdiff(inv, X)
    H.assert_close(got, fd, what="d inv(X)/dX vs FD")
    Xi = inv(X)
    H.assert_close(got, -np.einsum("ik,lj->ijkl", Xi, Xi), what="d inv(X)/dX closed form")


def test_inv_form_mentions_differential_or_kronecker():
    d = H.derive("inv(X)", "X", INV_VARS)
    H.assert_mentions(
        d,
        "-inv(X)*dX*inv(X)",
        "-kron(inv(X)', inv(X))", "-kron(inv(X'), inv(X))",
        "-kron(inv(X)',inv(X))",
    )


# The Jacobian of [x1^2 + x2; sin(x1*x2)] by the stacking of scalars x1, x2.

JAC_VARS = {"x1": "scalar", "x2": "scalar"}
JAC_F = "[x1^2 + x2; sin(x1*x2)]"


def _jac_ref(v):
    x1, x2 = v["x1"], v["x2"]
    return np.array([x1**2 + x2, np.sin(x1 * x2)])


@pytest.mark.parametrize("seed", [1, 2])
def test_jacobian_by_scalar_list_value(seed):
    rng = np.random.default_rng(seed)
    vals = {"x1": float(rng.normal()), "x2": float(rng.normal())}
    d = H.derive(JAC_F, "x1,x2", JAC_VARS)
    got = H.evaluate(d, vals)
    H.assert_close(got, H.numdiff_stacked(_jac_ref, ["x1", "x2"], vals), what="J vs FD")
    x1, x2 = vals["x1"], vals["x2"]
    c = np.cos(x1 * x2)
    H.assert_close(got, [[2 * x1, 1.0], [x2 * c, x1 * c]], what="J vs lesson answer")


def _jac_forms():
    e11 = ["2*x1"]
    e21 = ["x2*cos(x1*x2)", "cos(x1*x2)*x2"]
    e22 = ["x1*cos(x1*x2)", "cos(x1*x2)*x1"]
    out = []
    for a, b, c in itertools.product(e11, e21, e22):
        out.append(f"[{a}, 1; {b}, {c}]")  # the input language's block syntax
        out.append(f"[[{a}, 1], [{b}, {c}]]")  # as SPEC's table writes it
    return out


def test_jacobian_by_scalar_list_form():
    H.assert_form(H.derive(JAC_F, "x1,x2", JAC_VARS), *_jac_forms())


def test_jacobian_by_scalar_list_pasteable():
    d = H.derive(JAC_F, "x1,x2", JAC_VARS)
    H.assert_pasteable(d, JAC_VARS, {"x1": 0.3, "x2": -1.1})


# The ReLU network at the lesson's numbers.

RELU_VARS = {"W": "matrix m n", "x": "vector n", "y": "vector m"}
RELU_F = "0.5*norm2(relu(W*x) - y)^2"
RELU_VALS = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "x": np.array([1.0, 1.0]),
             "y": np.array([5.0, 11.0])}


def test_relu_network_exact_numbers_W():
    d = H.derive(RELU_F, "W", RELU_VARS)
    H.assert_close(H.evaluate(d, RELU_VALS), [[-2.0, -2.0], [-4.0, -4.0]], rtol=1e-12)


def test_relu_network_exact_numbers_x():
    d = H.derive(RELU_F, "x", RELU_VARS)
    H.assert_close(H.evaluate(d, RELU_VALS), [-14.0, -20.0], rtol=1e-12)


def test_relu_network_with_inactive_unit():
    """One unit off (W*x has a negative entry): its row of dL/dW must be zero."""
    vals = {"W": np.array([[1.0, 2.0], [-3.0, -4.0], [0.5, 0.5]]),
            "x": np.array([1.0, 1.0]), "y": np.array([5.0, 11.0, -1.0])}
    def ref(v):
        return 0.5 * np.sum((H.relu(v["W"] @ v["x"]) - v["y"]) ** 2)
    for wrt in ("W", "x"):
        d = H.derive(RELU_F, wrt, RELU_VARS)
        fd = H.numdiff(lambda w, k=wrt: ref({**vals, k: w}), vals[wrt])
        H.assert_close(H.evaluate(d, vals), fd, what=f"dL/d{wrt}")


def test_relu_network_exact_numbers_from_lesson_formula():
    """Lesson formulas dL/dW = (dL/dz) x', dL/dx = W'(dL/dz) at random inputs."""
    rng = np.random.default_rng(5)
    vals = H.sample(rng, RELU_VARS, {"n": 3, "m": 4})
    z = vals["W"] @ vals["x"]
    delta = (H.relu(z) - vals["y"]) * H.step(z)
    H.assert_close(H.evaluate(H.derive(RELU_F, "W", RELU_VARS), vals),
                   np.outer(delta, vals["x"]))
    H.assert_close(H.evaluate(H.derive(RELU_F, "x", RELU_VARS), vals),
                   vals["W"].T @ delta)


# x'*A*x, order 2.

QUAD_VARS = {"x": "vector n", "A": "matrix n n"}


@pytest.mark.parametrize("n", [3, 5])
def test_quadratic_hessian_value(n):
    rng = np.random.default_rng(30 + n)
    vals = H.sample(rng, QUAD_VARS, {"n": n})
    d = H.derive("x'*A*x", "x", QUAD_VARS, order=2)
    got = H.evaluate(d, vals)
    fd = H.numhess(lambda x: x @ vals["A"] @ x, vals["x"])
    H.assert_close(got, fd, rtol=1e-5, what="Hessian vs FD")
    H.assert_close(got, vals["A"] + vals["A"].T, what="Hessian vs A + A'")


def test_quadratic_hessian_form():
    H.assert_form(H.derive("x'*A*x", "x", QUAD_VARS, order=2), "A + A'", "A' + A")


def test_quadratic_hessian_pasteable():
    d = H.derive("x'*A*x", "x", QUAD_VARS, order=2)
    H.assert_pasteable(d, QUAD_VARS, H.sample(np.random.default_rng(1), QUAD_VARS))


# Logistic loss, order 2.

LOGI_VARS = {"X": "matrix m n", "y": "vector m", "w": "vector n"}
LOGI_F = "sum(log(1 + exp(-y .* (X*w))))"


def _logi_ref(v):
    return np.sum(np.log1p(np.exp(-v["y"] * (v["X"] @ v["w"]))))


@pytest.mark.parametrize("sizes", SIZES)
def test_logistic_hessian_value(sizes):
    rng = np.random.default_rng(40 + sizes["n"])
    vals = H.sample(rng, LOGI_VARS, sizes, {"y": "pm1"})
    d = H.derive(LOGI_F, "w", LOGI_VARS, order=2)
    got = H.evaluate(d, vals)
    fd = H.numhess(lambda w: _logi_ref({**vals, "w": w}), vals["w"])
    H.assert_close(got, fd, rtol=1e-5, what="logistic Hessian vs FD")
    s = H.sigmoid(-vals["y"] * (vals["X"] @ vals["w"]))
    closed = vals["X"].T @ np.diag(s * (1 - s)) @ vals["X"]
    H.assert_close(got, closed, what="logistic Hessian vs X'*diag(s .* (1 - s))*X")


def test_logistic_hessian_value_general_labels():
    """Labels not ±1: the engine does not know y² = 1, the value must still be right."""
    rng = np.random.default_rng(44)
    vals = H.sample(rng, LOGI_VARS, {"n": 3, "m": 5})
    d = H.derive(LOGI_F, "w", LOGI_VARS, order=2)
    fd = H.numhess(lambda w: _logi_ref({**vals, "w": w}), vals["w"])
    H.assert_close(H.evaluate(d, vals), fd, rtol=1e-5)


def test_logistic_hessian_form():
    d = H.derive(LOGI_F, "w", LOGI_VARS, order=2)
    H.assert_mentions(d, "diag(")
    H.assert_mentions(d, "X'")
    assert "dw" not in str(d), f"Hessian printed with a differential: {d}"


def test_logistic_hessian_pasteable():
    d = H.derive(LOGI_F, "w", LOGI_VARS, order=2)
    vals = H.sample(np.random.default_rng(45), LOGI_VARS, {"n": 3, "m": 4}, {"y": "pm1"})
    H.assert_pasteable(d, LOGI_VARS, vals)


# Symmetric X: log det on the space of symmetric matrices.

SYM_VARS = {"X": "matrix n n symmetric"}


@pytest.mark.parametrize("f", ["log(det(X))", "logdet(X)"])
@pytest.mark.parametrize("n", [3, 4])
def test_symmetric_logdet_structured_value(f, n):
    X = H.rand_spd(np.random.default_rng(50 + n), n)
    d = H.derive(f, "X", SYM_VARS, structured=True)
    got = H.evaluate(d, {"X": X})
    fd = H.numdiff_symmetric(lambda M: np.log(det(M)), X)
    H.assert_close(got, fd, what="structured gradient vs symmetric FD")
    Xi = inv(X)
    H.assert_close(got, 2 * Xi - np.diag(np.diag(Xi)), what="2*inv(X) - diag(diag(inv(X)))")


@pytest.mark.parametrize("f", ["log(det(X))", "logdet(X)"])
def test_symmetric_logdet_structured_form(f):
    d = H.derive(f, "X", SYM_VARS, structured=True)
    H.assert_form(d, "2*inv(X) - diag(diag(inv(X)))", "-diag(diag(inv(X))) + 2*inv(X)")


@pytest.mark.parametrize("n", [3, 4])
def test_symmetric_logdet_unconstrained_by_default(n):
    """Default for a symmetric variable: the unconstrained gradient inv(X)' = inv(X)."""
    X = H.rand_spd(np.random.default_rng(60 + n), n)
    d = H.derive("log(det(X))", "X", SYM_VARS)
    got = H.evaluate(d, {"X": X})
    H.assert_close(got, H.numdiff(lambda M: np.log(det(M)), X), what="unconstrained FD")
    H.assert_form(d, "inv(X)")


# Hessians by a matrix are (m, n, m, n); orders beyond two.


@pytest.mark.parametrize("sizes", SIZES)
def test_hessian_by_matrix_quadratic_trace(sizes):
    """tr(X'*A*X) by X (m×n), order 2: H[i,j,k,l] = (A + A')_ik delta_jl."""
    v = {"X": "matrix m n", "A": "matrix m m"}
    vals = H.sample(np.random.default_rng(70 + sizes["n"]), v, sizes)
    d = H.derive("tr(X'*A*X)", "X", v, order=2)
    got = H.evaluate(d, vals)
    A = vals["A"]
    fd = H.numhess(lambda X: np.trace(X.T @ A @ X), vals["X"])
    H.assert_close(got, fd, what="Hessian by matrix vs FD")
    n = vals["X"].shape[1]
    H.assert_close(got, np.einsum("ik,jl->ijkl", A + A.T, np.eye(n)), what="closed form")


@pytest.mark.parametrize("n", [2, 3])
def test_hessian_by_matrix_logdet(n):
    """log(det(X)) by X, order 2: H[i,j,k,l] = -inv(X)_jk inv(X)_li."""
    X = H.rand_invertible(np.random.default_rng(80 + n), n)
    d = H.derive("log(det(X))", "X", {"X": "matrix n n"}, order=2)
    got = H.evaluate(d, {"X": X})
    H.assert_close(got, H.numhess(lambda M: np.log(det(M)), X), what="vs FD")
    Xi = inv(X)
    H.assert_close(got, -np.einsum("jk,li->ijkl", Xi, Xi), what="closed form")


def test_third_order_by_scalar():
    d = H.derive("exp(2*t)*sin(t)", "t", {"t": "scalar"}, order=3)
    t = 0.4
    # (e^{2t} sin t)''' = e^{2t} (2 sin t + 11 cos t)
    H.assert_close(H.evaluate(d, {"t": t}), np.exp(2 * t) * (2 * np.sin(t) + 11 * np.cos(t)))


def test_third_order_by_vector():
    """sum(x.^4) by x, order 3: T[i,j,k] = 24 x_i if i = j = k else 0 (n, n, n)."""
    x = np.array([0.5, -1.0, 2.0])
    d = H.derive("sum(x.^4)", "x", {"x": "vector n"}, order=3)
    T = np.zeros((3, 3, 3))
    for i in range(3):
        T[i, i, i] = 24 * x[i]
    H.assert_close(H.evaluate(d, {"x": x}), T)
