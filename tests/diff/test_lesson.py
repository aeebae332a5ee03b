"""The lesson (seed/lesson-09-10-matrix-calculus.txt): worked examples 1-4, practice
problems 1-6, and the key results its sections state, by value (finite differences of
NumPy references, and the lesson's own numbers) and by printed form.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

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


def _fd(ref, vals, wrt):
    return H.numdiff(lambda w: ref({**vals, wrt: w}), vals[wrt])


def _check_value(f, wrt, variables, ref, sizes, seed, domains=None, closed=None, **kw):
    vals = H.sample(np.random.default_rng(seed), variables, sizes, domains)
    d = H.derive(f, wrt, variables, **kw)
    got = H.evaluate(d, vals)
    H.assert_close(got, _fd(ref, vals, wrt), what=f"d/d{wrt} {f} vs FD")
    if closed is not None:
        H.assert_close(got, closed(vals), what=f"d/d{wrt} {f} vs the lesson's formula")
    return d, vals


# ======================================================================== worked examples

# Example 1: linear regression loss L(w) = ||X w - y||², written three ways.

EX1_VARS = {"X": "matrix m n", "w": "vector n", "y": "vector m"}
EX1_SPELLINGS = [
    "norm2(X*w - y)^2",
    "(X*w - y)'*(X*w - y)",
    "w'*X'*X*w - 2*y'*X*w + y'*y",
]
EX1_FORMS = ("2*X'*(X*w - y)", "2*X'*(-y + X*w)", "2*X'*X*w - 2*X'*y", "2*(X'*X*w - X'*y)")


def _ex1_ref(v):
    r = v["X"] @ v["w"] - v["y"]
    return r @ r


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("f", EX1_SPELLINGS)
def test_example1_linear_regression_value(f, sizes):
    _check_value(f, "w", EX1_VARS, _ex1_ref, sizes, 101,
                 closed=lambda v: 2 * v["X"].T @ (v["X"] @ v["w"] - v["y"]))


@pytest.mark.parametrize("f", EX1_SPELLINGS)
def test_example1_linear_regression_form(f):
    H.assert_form(H.derive(f, "w", EX1_VARS), *EX1_FORMS)


def test_example1_normal_equations():
    """At the least-squares solution the gradient vanishes (X'X w = X'y)."""
    rng = np.random.default_rng(102)
    X = rng.standard_normal((6, 3))
    y = rng.standard_normal(6)
    w = np.linalg.solve(X.T @ X, X.T @ y)
    d = H.derive("norm2(X*w - y)^2", "w", EX1_VARS)
    H.assert_close(H.evaluate(d, {"X": X, "w": w, "y": y}), np.zeros(3), rtol=1e-9)


# Example 2: log det.

@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("f", ["log(det(X))", "logdet(X)"])
def test_example2_logdet_general_value(f, n):
    """Invertible (non-symmetric, det > 0) X: the gradient is inv(X)'."""
    X = H.rand_invertible(np.random.default_rng(110 + n), n)
    d = H.derive(f, "X", {"X": "matrix n n"})
    got = H.evaluate(d, {"X": X})
    H.assert_close(got, H.numdiff(lambda M: np.log(det(M)), X))
    H.assert_close(got, inv(X).T)


@pytest.mark.parametrize("f", ["log(det(X))", "logdet(X)"])
def test_example2_logdet_general_form(f):
    H.assert_form(H.derive(f, "X", {"X": "matrix n n"}), "inv(X)'", "inv(X')")


@pytest.mark.parametrize("decl", ["matrix n n symmetric", "matrix n n spd"])
def test_example2_logdet_symmetric_form(decl):
    """"If X is symmetric: df/dX = X^{-1}" (unconstrained gradient, simplified)."""
    d = H.derive("log(det(X))", "X", {"X": decl})
    H.assert_form(d, "inv(X)")
    X = H.rand_spd(np.random.default_rng(115), 3)
    H.assert_close(H.evaluate(d, {"X": X}), H.numdiff(lambda M: np.log(det(M)), X))


@pytest.mark.parametrize("n", [2, 3, 4])
def test_example2_logdet_symmetric_structured(n):
    """"... or 2X^{-1} - diag(X^{-1}) if we consider only the independent entries"."""
    X = H.rand_spd(np.random.default_rng(120 + n), n)
    d = H.derive("log(det(X))", "X", {"X": "matrix n n symmetric"}, structured=True)
    got = H.evaluate(d, {"X": X})
    H.assert_close(got, H.numdiff_symmetric(lambda M: np.log(det(M)), X))
    H.assert_form(d, "2*inv(X) - diag(diag(inv(X)))", "-diag(diag(inv(X))) + 2*inv(X)")


# Example 3: a neural network layer, z = W x, a = ReLU(z), L = ½||a - y||².

NN_VARS = {"W": "matrix m n", "x": "vector n", "y": "vector m"}
NN_SPELLINGS = ["0.5*norm2(relu(W*x) - y)^2", "norm2(relu(W*x) - y)^2/2"]
NN_VALS = {"W": np.array([[1.0, 2.0], [3.0, 4.0]]), "x": np.array([1.0, 1.0]),
           "y": np.array([5.0, 11.0])}


@pytest.mark.parametrize("f", NN_SPELLINGS)
def test_example3_numbers(f):
    """z = [3, 7], dL/da = dL/dz = [-2, -4], dL/dW = [[-2,-2],[-4,-4]], dL/dx = [-14,-20]."""
    dW = H.evaluate(H.derive(f, "W", NN_VARS), NN_VALS)
    dx = H.evaluate(H.derive(f, "x", NN_VARS), NN_VALS)
    H.assert_close(dW, [[-2.0, -2.0], [-4.0, -4.0]], rtol=1e-12, what="dL/dW")
    H.assert_close(dx, [-14.0, -20.0], rtol=1e-12, what="dL/dx")


def _nn_ref(v):
    return 0.5 * np.sum((H.relu(v["W"] @ v["x"]) - v["y"]) ** 2)


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("wrt", ["W", "x"])
def test_example3_value_random(wrt, sizes):
    _check_value(NN_SPELLINGS[0], wrt, NN_VARS, _nn_ref, sizes, 130)


def test_example3_forms():
    dW = H.derive(NN_SPELLINGS[0], "W", NN_VARS)
    dx = H.derive(NN_SPELLINGS[0], "x", NN_VARS)
    H.assert_form(dW, "((relu(W*x) - y) .* step(W*x))*x'",
                  "(step(W*x) .* (relu(W*x) - y))*x'", "((-y + relu(W*x)) .* step(W*x))*x'")
    H.assert_form(dx, "W'*((relu(W*x) - y) .* step(W*x))",
                  "W'*(step(W*x) .* (relu(W*x) - y))", "W'*((-y + relu(W*x)) .* step(W*x))")


# Example 4: the product rule on x'Ax = (x)'(Ax).

EX4_VARS = {"x": "vector n", "A": "matrix n n"}


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("f", ["x'*A*x", "x'*(A*x)", "(A'*x)'*x"])
def test_example4_product_rule_value(f, sizes):
    _check_value(f, "x", EX4_VARS, lambda v: v["x"] @ v["A"] @ v["x"], sizes, 140,
                 closed=lambda v: v["A"] @ v["x"] + v["A"].T @ v["x"])


@pytest.mark.parametrize("f", ["x'*A*x", "x'*(A*x)", "(A'*x)'*x"])
def test_example4_product_rule_form(f):
    H.assert_form(H.derive(f, "x", EX4_VARS),
                  "(A + A')*x", "(A' + A)*x", "A*x + A'*x", "A'*x + A*x")


# ======================================================================== practice problems

# 1. f(x) = ||A x||² = x'A'A x  ->  2 A'A x.

P1_VARS = {"A": "matrix m n", "x": "vector n"}
P1_SPELLINGS = ["norm2(A*x)^2", "x'*A'*A*x"]


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("f", P1_SPELLINGS)
def test_practice1_value(f, sizes):
    _check_value(f, "x", P1_VARS, lambda v: np.sum((v["A"] @ v["x"]) ** 2), sizes, 201,
                 closed=lambda v: 2 * v["A"].T @ v["A"] @ v["x"])


@pytest.mark.parametrize("f", P1_SPELLINGS)
def test_practice1_form(f):
    H.assert_form(H.derive(f, "x", P1_VARS), "2*A'*A*x", "2*A'*(A*x)", "2*(A'*A)*x")


# 2. The Jacobian of f(x) = [x1² + x2, sin(x1 x2)]'.

P2_VARS = {"x1": "scalar", "x2": "scalar"}
P2_F = "[x1^2 + x2; sin(x1*x2)]"


@pytest.mark.parametrize("point", [(0.7, -1.3), (2.0, 0.5), (-0.4, 0.9)])
def test_practice2_value(point):
    x1, x2 = point
    d = H.derive(P2_F, "x1,x2", P2_VARS)
    got = H.evaluate(d, {"x1": x1, "x2": x2})
    fd = H.numdiff_stacked(
        lambda v: np.array([v["x1"] ** 2 + v["x2"], np.sin(v["x1"] * v["x2"])]),
        ["x1", "x2"], {"x1": x1, "x2": x2})
    H.assert_close(got, fd, what="J vs FD")
    c = np.cos(x1 * x2)
    H.assert_close(got, [[2 * x1, 1.0], [x2 * c, x1 * c]], what="J vs the lesson's answer")


def test_practice2_value_as_vector_variable():
    """The same Jacobian with x declared a 2-vector: f = [x(1)^2 + x(2); ...] is not in
    the language, so use the vector form x.^2 and check the diagonal Jacobian instead."""
    d = H.derive("x.^2", "x", {"x": "vector n"})
    x = np.array([0.5, -1.5, 2.0])
    H.assert_close(H.evaluate(d, {"x": x}), np.diag(2 * x))


def test_practice2_form():
    forms = []
    for e21 in ("x2*cos(x1*x2)", "cos(x1*x2)*x2"):
        for e22 in ("x1*cos(x1*x2)", "cos(x1*x2)*x1"):
            forms += [f"[2*x1, 1; {e21}, {e22}]", f"[[2*x1, 1], [{e21}, {e22}]]"]
    H.assert_form(H.derive(P2_F, "x1,x2", P2_VARS), *forms)


# 3. d/dX tr(A X B) = A'B'.

P3_VARS = {"A": "matrix p m", "X": "matrix m n", "B": "matrix n p"}


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("f", ["tr(A*X*B)", "tr(B*A*X)"])
def test_practice3_value(f, sizes):
    _check_value(f, "X", P3_VARS, lambda v: np.trace(v["A"] @ v["X"] @ v["B"]), sizes, 203,
                 closed=lambda v: v["A"].T @ v["B"].T)


@pytest.mark.parametrize("f", ["tr(A*X*B)", "tr(B*A*X)"])
def test_practice3_form(f):
    H.assert_form(H.derive(f, "X", P3_VARS), "A'*B'", "(B*A)'")


# 4. d/dW ||W X - Y||_F² = 2 (W X - Y) X'.

P4_VARS = {"W": "matrix m n", "X": "matrix n p", "Y": "matrix m p"}
P4_SPELLINGS = ["norm2(W*X - Y)^2", "tr((W*X - Y)'*(W*X - Y))"]


def _p4_ref(v):
    return np.sum((v["W"] @ v["X"] - v["Y"]) ** 2)


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("f", P4_SPELLINGS)
def test_practice4_value(f, sizes):
    _check_value(f, "W", P4_VARS, _p4_ref, sizes, 204,
                 closed=lambda v: 2 * (v["W"] @ v["X"] - v["Y"]) @ v["X"].T)


@pytest.mark.parametrize("f", P4_SPELLINGS)
def test_practice4_form(f):
    H.assert_form(H.derive(f, "W", P4_VARS),
                  "2*(W*X - Y)*X'", "2*(-Y + W*X)*X'", "2*W*X*X' - 2*Y*X'")


# 5. d/dX det(X) = det(X) inv(X)'.

@pytest.mark.parametrize("n", [2, 3, 5])
def test_practice5_value(n):
    X = H.rand_invertible(np.random.default_rng(205 + n), n)
    d = H.derive("det(X)", "X", {"X": "matrix n n"})
    got = H.evaluate(d, {"X": X})
    H.assert_close(got, H.numdiff(det, X))
    H.assert_close(got, det(X) * inv(X).T)


def test_practice5_form():
    H.assert_form(H.derive("det(X)", "X", {"X": "matrix n n"}),
                  "det(X)*inv(X)'", "det(X)*inv(X')", "inv(X)'*det(X)")


# 6. d/dx log(1 + exp(w'x)) = sigmoid(w'x) w.

P6_VARS = {"w": "vector n", "x": "vector n"}
P6_SPELLINGS = ["log(1 + exp(w'*x))", "log(1 + exp(x'*w))", "softplus(w'*x)"]
P6_FORMS = ("sigmoid(w'*x)*w", "sigmoid(x'*w)*w", "w*sigmoid(w'*x)", "w*sigmoid(x'*w)")


@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("f", P6_SPELLINGS)
def test_practice6_value(f, sizes):
    _check_value(f, "x", P6_VARS, lambda v: np.log1p(np.exp(v["w"] @ v["x"])), sizes, 206,
                 closed=lambda v: H.sigmoid(v["w"] @ v["x"]) * v["w"])


@pytest.mark.parametrize("f", P6_SPELLINGS)
def test_practice6_form(f):
    H.assert_form(H.derive(f, "x", P6_VARS), *P6_FORMS)


# ======================================================================== section results

def test_section1_key_gradients():
    """a'x, x'a -> a; x'x -> 2x; symmetric A: x'Ax -> 2Ax (values and forms)."""
    rng = np.random.default_rng(300)
    a, x = rng.standard_normal(4), rng.standard_normal(4)
    A = H.rand_symmetric(rng, 4)
    v = {"a": "vector n", "x": "vector n"}
    for f in ("a'*x", "x'*a"):
        d = H.derive(f, "x", v)
        H.assert_close(H.evaluate(d, {"a": a, "x": x}), a)
        H.assert_form(d, "a")
    d = H.derive("x'*x", "x", {"x": "vector n"})
    H.assert_close(H.evaluate(d, {"x": x}), 2 * x)
    H.assert_form(d, "2*x")
    d = H.derive("x'*A*x", "x", {"x": "vector n", "A": "matrix n n symmetric"})
    H.assert_close(H.evaluate(d, {"x": x, "A": A}), 2 * A @ x)
    H.assert_form(d, "2*A*x")


@pytest.mark.parametrize("n", [2, 4])
def test_section2_matrix_exponential_flow(n):
    """x(t) = e^{At} x0  ->  dx/dt = A e^{At} x0 = A x(t)."""
    rng = np.random.default_rng(310 + n)
    v = {"t": "scalar", "A": "matrix n n", "x0": "vector n"}
    vals = {"t": 0.7, "A": 0.4 * rng.standard_normal((n, n)), "x0": rng.standard_normal(n)}
    d = H.derive("expm(t*A)*x0", "t", v)
    got = H.evaluate(d, vals)
    H.assert_close(got, _fd(lambda u: H.expm(u["t"] * u["A"]) @ u["x0"], vals, "t"))
    H.assert_close(got, vals["A"] @ H.expm(vals["t"] * vals["A"]) @ vals["x0"])
    assert got.shape == (n,)


def test_section3_key_jacobians():
    """d(Ax)/dx = A;  d(x'A)/dx = A' (a row-vector function, laid out as a column)."""
    rng = np.random.default_rng(320)
    A = rng.standard_normal((3, 5))  # A: n×m with n = 3, m = 5
    x = rng.standard_normal(3)
    d = H.derive("x'*A", "x", {"x": "vector n", "A": "matrix n m"})
    got = H.evaluate(d, {"x": x, "A": A})
    H.assert_close(got, H.numdiff(lambda z: z @ A, x), what="d(x'A)/dx vs FD")
    H.assert_close(got, A.T)
    H.assert_form(d, "A'")
    B = rng.standard_normal((5, 3))
    d = H.derive("A*x", "x", {"x": "vector n", "A": "matrix m n"})
    H.assert_close(H.evaluate(d, {"x": x, "A": B}), B)
    H.assert_form(d, "A")


@pytest.mark.parametrize("sizes", SIZES)
def test_section3_elementwise_product_rule(sizes):
    """h = f ⊙ g  ->  dh/dx = diag(g) df/dx + diag(f) dg/dx, with f = Ax, g = Bx."""
    v = {"A": "matrix m n", "B": "matrix m n", "x": "vector n"}
    d, vals = _check_value(
        "(A*x) .* (B*x)", "x", v, lambda u: (u["A"] @ u["x"]) * (u["B"] @ u["x"]), sizes,
        321, closed=lambda u: np.diag(u["B"] @ u["x"]) @ u["A"]
        + np.diag(u["A"] @ u["x"]) @ u["B"])
    H.assert_form(d, "diag(B*x)*A + diag(A*x)*B", "diag(A*x)*B + diag(B*x)*A")


def test_section4_trace_tricks():
    """tr(AX) -> A', tr(X'A) -> A, tr(XAX') -> XA' + XA, tr(X'AX) -> AX + A'X, and the
    symmetric-A cases 2XA, 2AX."""
    rng = np.random.default_rng(330)
    n, m = 3, 4
    X = rng.standard_normal((m, n))
    cases = [
        ("tr(A*X)", {"A": "matrix n m"}, rng.standard_normal((n, m)),
         lambda A, X: np.trace(A @ X), lambda A: A.T, ("A'",)),
        ("tr(X'*A)", {"A": "matrix m n"}, rng.standard_normal((m, n)),
         lambda A, X: np.trace(X.T @ A), lambda A: A, ("A",)),
        ("tr(X*A*X')", {"A": "matrix n n symmetric"}, H.rand_symmetric(rng, n),
         lambda A, X: np.trace(X @ A @ X.T), lambda A: 2 * X @ A, ("2*X*A",)),
        ("tr(X'*A*X)", {"A": "matrix m m symmetric"}, H.rand_symmetric(rng, m),
         lambda A, X: np.trace(X.T @ A @ X), lambda A: 2 * A @ X, ("2*A*X",)),
    ]
    for f, adecl, A, ref, closed, forms in cases:
        v = {"X": "matrix m n", **adecl}
        d = H.derive(f, "X", v)
        got = H.evaluate(d, {"X": X, "A": A})
        H.assert_close(got, H.numdiff(lambda Z, A=A, ref=ref: ref(A, Z), X), what=f)
        H.assert_close(got, closed(A), what=f)
        H.assert_form(d, *forms)


@pytest.mark.parametrize("f", ["norm2(X)^2", "tr(X'*X)", "norm2(W)^2"])
def test_section6_frobenius_squared(f):
    name = "W" if "W" in f else "X"
    M = np.random.default_rng(340).standard_normal((3, 4))
    d = H.derive(f, name, {name: "matrix m n"})
    H.assert_close(H.evaluate(d, {name: M}), 2 * M)
    H.assert_form(d, f"2*{name}")


@pytest.mark.parametrize("n", [3, 5])
def test_section6_cross_entropy(n):
    """-log softmax(z)_y with y one-hot -> softmax(z) - e_y."""
    rng = np.random.default_rng(350 + n)
    v = {"y": "vector n onehot", "z": "vector n"}
    vals = {"y": H.rand_onehot(rng, n), "z": rng.standard_normal(n)}
    d = H.derive("-y'*log(softmax(z))", "z", v)
    got = H.evaluate(d, vals)
    H.assert_close(got, _fd(lambda u: -u["y"] @ np.log(H.softmax(u["z"])), vals, "z"))
    H.assert_close(got, H.softmax(vals["z"]) - vals["y"])
    H.assert_form(d, "softmax(z) - y", "-y + softmax(z)")


def test_pitfall_layouts_are_transposes():
    """Pitfall 1: d(Ax)/dx = A in numerator layout, A' in denominator layout."""
    rng = np.random.default_rng(360)
    A, x = rng.standard_normal((4, 3)), rng.standard_normal(3)
    v = {"A": "matrix m n", "x": "vector n"}
    num = H.derive("A*x", "x", v)
    den = H.derive("A*x", "x", v, layout="denominator")
    H.assert_close(H.evaluate(num, {"A": A, "x": x}), A)
    H.assert_close(H.evaluate(den, {"A": A, "x": x}), A.T)
    H.assert_form(num, "A")
    H.assert_form(den, "A'")


def test_pitfall_quadratic_form_needs_the_transpose():
    """Pitfall 2: for non-symmetric A the gradient of x'Ax is not 2Ax."""
    rng = np.random.default_rng(361)
    A, x = rng.standard_normal((3, 3)), rng.standard_normal(3)
    got = H.evaluate(H.derive("x'*A*x", "x", EX4_VARS), {"A": A, "x": x})
    H.assert_close(got, (A + A.T) @ x)
    assert not np.allclose(got, 2 * A @ x)


def test_pitfall_trace_derivative_is_transposed():
    """Pitfall 3: d tr(AX)/dX = A', not A."""
    rng = np.random.default_rng(362)
    A, X = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    got = H.evaluate(H.derive("tr(A*X)", "X", {"A": "matrix n n", "X": "matrix n n"}),
                     {"A": A, "X": X})
    H.assert_close(got, A.T)
    assert not np.allclose(got, A)
