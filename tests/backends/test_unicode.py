"""The Unicode printer (every op, precedence, derivative equations) and render()."""

from __future__ import annotations

import pytest

import matdiff
from matdiff.backends.codegen import generate
from matdiff.backends.render import render
from matdiff.backends.unicode import derivative_unicode, juxtapose, to_unicode
from matdiff.errors import MatdiffError
from matdiff.ir import build as b
from matdiff.ir.ops import OPS

A = b.var("A", ("n", "n"))
B = b.var("B", ("n", "n"))
C = b.var("C", ("m", "n"))
X = b.var("X", ("n", "n"))
x = b.var("x", ("n", 1))
y = b.var("y", ("n", 1))
v = b.var("v", (6, 1))
s = b.var("s", (1, 1))
t = b.var("t", (1, 1))

EXAMPLES = {
    "var": (lambda: A, "A"),
    "dvar": (lambda: b.dvar("X", ("n", "n")), "dX"),
    "const": (lambda: b.const(2.5), "2.5"),
    "eye": (lambda: b.eye("n"), "I"),
    "commutation": (lambda: b.commutation("m", "n"), "K(m,n)"),
    "add": (lambda: b.add(A, B), "A + B"),
    "mul": (lambda: b.mul(b.const(2), s, A), "2sA"),
    "matmul": (lambda: b.matmul(A, x), "Ax"),
    "hadamard": (lambda: b.hadamard(x, y), "x ⊙ y"),
    "pow": (lambda: b.power(s, b.const(2)), "s²"),
    "fill": (lambda: b.fill(b.ONE, ("n", 1)), "𝟙ₙ"),  # alone: sized
    "block": (lambda: b.block([[A, B], [B, A]]), "[A, B; B, A]"),
    "reshape": (lambda: b.reshape(v, (2, 3)), "reshape(v, 2, 3)"),
    "transpose": (lambda: b.transpose(A), "Aᵀ"),
    "mpow": (lambda: b.mpower(A, 3), "A³"),
    "kron": (lambda: b.kron(A, B), "A ⊗ B"),
    "tr": (lambda: b.tr(A), "tr(A)"),
    "sum": (lambda: b.sum_(x), "sum(x)"),
    "diag": (lambda: b.diag(x), "diag(x)"),
    "vec": (lambda: b.vec(C), "vec(C)"),
    "det": (lambda: b.det(X), "det(X)"),
    "logdet": (lambda: b.logdet(X), "log det(X)"),
    "inv": (lambda: b.inv(X), "X⁻¹"),
    "norm1": (lambda: b.norm1(x), "‖x‖₁"),
    "norm2": (lambda: b.norm2(x), "‖x‖₂"),
    "softmax": (lambda: b.softmax(x), "softmax(x)"),
    "logsumexp": (lambda: b.logsumexp(x), "logsumexp(x)"),
    "sumdim": (lambda: b.sum_dim(A, 1), "sum(A, 1)"),
    "softmaxdim": (lambda: b.softmax_dim(A, 2), "softmax(A, 2)"),
    "logsumexpdim": (lambda: b.logsumexp_dim(A, 1), "logsumexp(A, 1)"),
    "expm": (lambda: b.expm(A), "expm(A)"),
    "sqrt": (lambda: b.func("sqrt", x), "√x"),
    "abs": (lambda: b.func("abs", x), "|x|"),
}
for _name in (
    "exp",
    "log",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "tanh",
    "sign",
    "sigmoid",
    "relu",
    "softplus",
    "step",
):
    EXAMPLES[_name] = ((lambda n: lambda: b.func(n, x))(_name), f"{_name}(x)")


def test_every_op_has_an_example() -> None:
    assert set(EXAMPLES) == set(OPS)


@pytest.mark.parametrize("op", sorted(OPS))
def test_each_op(op: str) -> None:
    make, expected = EXAMPLES[op]
    node = make()
    assert node.op == op
    assert to_unicode(node) == expected


@pytest.mark.parametrize(
    "node, expected",
    [
        (lambda: b.matmul(b.add(A, B), X), "(A + B)X"),
        (lambda: b.matmul(A, b.hadamard(X, B)), "A(B ⊙ X)"),
        (lambda: b.inv(b.matmul(A, B)), "(AB)⁻¹"),
        (lambda: b.transpose(b.inv(X)), "X⁻ᵀ"),
        (lambda: b.mpower(b.transpose(A), 2), "(Aᵀ)²"),
        (lambda: b.power(x, b.const(2)), "x∘²"),
        (lambda: b.power(s, b.const(0.5)), "√s"),
        (lambda: b.power(s, b.const(1.5)), "s^(1.5)"),
        (lambda: b.power(b.add(s, t), b.const(2)), "(s + t)²"),
        (lambda: b.div(s, t), "s/t"),
        (lambda: b.div(b.matmul(x, b.transpose(x)), b.power(b.norm2(x), b.const(3))), "xxᵀ/‖x‖₂³"),
        (lambda: b.div(s, b.mul(t, b.norm2(x))), "s/(t‖x‖₂)"),
        (lambda: b.neg(A), "-A"),
        (lambda: b.sub(b.ONE, s), "1 - s"),
        (lambda: b.neg(b.kron(A, B)), "-A ⊗ B"),
        (lambda: b.matmul(b.kron(A, B), b.var("M", ("n*n", "n*n"))), "(A ⊗ B)M"),
        (lambda: b.ediv(x, y), "x ⊘ y"),
        (lambda: b.norm2(X), "‖X‖_F"),
        (lambda: b.fill(b.const(3), ("n", 1)), "3𝟙ₙ"),
        (lambda: b.transpose(b.fill(b.ONE, ("n", 1))), "𝟙ₙᵀ"),
        (lambda: b.matmul(A, b.dvar("x", ("n", 1))), "A dx"),
        (lambda: b.matmul(b.var("W1", ("n", "n")), x), "W1 x"),
        (lambda: b.mul(b.tr(A), B), "tr(A)B"),
        # only scalars go under a product's '/': an elementwise inverse of a matrix stays
        # a factor (this printed `s/X` and `1/(sx∘²)`, read as dividing by a matrix)
        (lambda: b.mul(s, b.power(X, b.const(-1))), "sX∘⁻¹"),
        (lambda: b.mul(b.power(s, b.const(-1)), b.power(x, b.const(-2))), "x∘⁻²/s"),
        (lambda: b.mul(s, b.power(t, b.const(-1)), b.power(X, b.const(-1))), "sX∘⁻¹/t"),
        (lambda: b.mul(b.const(-2), s, b.power(b.add(A, X), b.const(-1))), "-2s(A + X)∘⁻¹"),
    ],
)
def test_precedence(node, expected: str) -> None:
    assert to_unicode(node()) == expected


def test_juxtapose_spaces() -> None:
    assert juxtapose(["A", "x"]) == "Ax"
    assert juxtapose(["W1", "x"]) == "W1 x"
    assert juxtapose(["A", "dX"]) == "A dX"
    assert juxtapose(["2", "3"]) == "2·3"


@pytest.mark.parametrize(
    "f, wrt, variables, order, expected",
    [
        ("tr(A*X)", "X", {}, 1, "∂f/∂X = Aᵀ"),
        ("x'*A*x", "x", {}, 1, "∂f/∂x = (A + Aᵀ)x"),
        ("x'*A*x", "x", {}, 2, "∂²f/∂x∂xᵀ = A + Aᵀ"),
        ("inv(X)", "X", {"X": "matrix n n"}, 1, "vec(dF) = (-X⁻ᵀ ⊗ X⁻¹) vec(dX)"),
        ("A*x", "A", {}, 1, "df = (xᵀ ⊗ I) vec(dA)"),
        ("exp(a*t)", "t", {"t": "scalar", "a": "scalar"}, 2, "∂²f/∂t² = a² exp(at)"),
        ("logdet(X)", "X", {"X": "matrix n n"}, 2, "∂²f/∂vec(X)∂vec(X)ᵀ = -(X⁻¹ ⊗ X⁻ᵀ)K(n,n)"),
        ("sin(x)", "x", {}, 2, "∂²f[i]/∂x[k]∂x[l] = -δ[i,k]*δ[i,l]*sin(x)[i]"),
    ],
)
def test_derivative_equations(f, wrt, variables, order, expected) -> None:
    d = matdiff.derivative(f, wrt=wrt, variables=variables or None, order=order)
    assert derivative_unicode(d) == expected


def test_scaled_elementwise_inverse_is_not_a_division_by_a_matrix() -> None:
    d = matdiff.derivative("a*sum(log(x))", wrt="x")
    assert derivative_unicode(d) == "∂f/∂x = ax∘⁻¹"
    d = matdiff.derivative("sum(log(x))/a", wrt="x")
    assert derivative_unicode(d) == "∂f/∂x = x∘⁻¹/a"


def test_index_form_without_einstein_notation_falls_back_to_the_differential() -> None:
    d = matdiff.derivative("[X, X]", wrt="X", variables={"X": "matrix n n"})
    assert d.expr is None
    assert derivative_unicode(d) == "dF = [dX, dX]"


# -------------------------------------------------------------------------- render


def test_render_formats() -> None:
    d = matdiff.derivative("tr(A*X)", wrt="X")
    assert render(d, "latex") == r"\frac{\partial f}{\partial X} = A^{\top}"
    assert render(d, "unicode") == "∂f/∂X = Aᵀ"
    assert render(d, "text") == "A'"
    assert render(d, "plain") == "A'"
    assert render(d, "index") == "∂f/∂X[k,l] = A[l,k]"


def test_render_unknown_format() -> None:
    d = matdiff.derivative("tr(A*X)", wrt="X")
    with pytest.raises(MatdiffError, match="unknown output format"):
        render(d, "postscript")


def test_render_code_is_the_generated_code() -> None:
    d = matdiff.derivative("tr(A*X)", wrt="X")
    for backend in ("numpy", "jax", "torch"):
        assert render(d, backend) == generate(d, backend)
    assert "import numpy as np" in render(d, "numpy").splitlines()
