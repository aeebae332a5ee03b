"""The LaTeX printer: every op, precedence, derivative equations, well-formed LaTeX.

There is no TeX here, so "compiles" is approximated: braces and \\left/\\right balance,
every macro is one a standard amsmath document knows, and no superscript is stacked on
another (`A^{\\top}^{2}` is a TeX error).
"""

from __future__ import annotations

import random
import re

import pytest

import matdiff
from matdiff.backends.latex import derivative_latex, latex_name, to_latex
from matdiff.ir import build as b
from matdiff.ir.ops import ELEMENTWISE_FUNCTIONS, OPS

A = b.var("A", ("n", "n"))
B = b.var("B", ("n", "n"))
C = b.var("C", ("m", "n"))
X = b.var("X", ("n", "n"))
x = b.var("x", ("n", 1))
y = b.var("y", ("n", 1))
v = b.var("v", (6, 1))
s = b.var("s", (1, 1))
t = b.var("t", (1, 1))

# op -> (an expression whose root is that op, its LaTeX)
EXAMPLES = {
    "var": (lambda: A, "A"),
    "dvar": (lambda: b.dvar("X", ("n", "n")), r"\mathrm{d}X"),
    "const": (lambda: b.const(2.5), "2.5"),
    "eye": (lambda: b.eye("n"), "I"),
    "commutation": (lambda: b.commutation("m", "n"), "K_{m,n}"),
    "add": (lambda: b.add(A, B), "A + B"),
    "mul": (lambda: b.mul(b.const(2), s, A), "2 s A"),
    "matmul": (lambda: b.matmul(A, x), "A x"),
    "hadamard": (lambda: b.hadamard(x, y), r"x \odot y"),
    "pow": (lambda: b.power(s, b.const(2)), "s^{2}"),
    "fill": (lambda: b.fill(b.ONE, ("n", 1)), r"\mathbf{1}_{n}"),  # alone: sized
    "block": (lambda: b.block([[A, B], [B, A]]), r"\begin{bmatrix} A & B \\ B & A \end{bmatrix}"),
    "reshape": (lambda: b.reshape(v, (2, 3)), r"\operatorname{reshape}\left(v, 2, 3\right)"),
    "transpose": (lambda: b.transpose(A), r"A^{\top}"),
    "mpow": (lambda: b.mpower(A, 3), "A^{3}"),
    "kron": (lambda: b.kron(A, B), r"A \otimes B"),
    "tr": (lambda: b.tr(A), r"\operatorname{tr}\left(A\right)"),
    "sum": (lambda: b.sum_(x), r"\operatorname{sum}\left(x\right)"),
    "diag": (lambda: b.diag(x), r"\operatorname{diag}\left(x\right)"),
    "vec": (lambda: b.vec(C), r"\operatorname{vec}\left(C\right)"),
    "det": (lambda: b.det(X), r"\det\left(X\right)"),
    "logdet": (lambda: b.logdet(X), r"\log\det\left(X\right)"),
    "inv": (lambda: b.inv(X), "X^{-1}"),
    "norm1": (lambda: b.norm1(x), r"\left\|x\right\|_1"),
    "norm2": (lambda: b.norm2(x), r"\left\|x\right\|_2"),
    "softmax": (lambda: b.softmax(x), r"\operatorname{softmax}\left(x\right)"),
    "logsumexp": (lambda: b.logsumexp(x), r"\operatorname{logsumexp}\left(x\right)"),
    "sumdim": (lambda: b.sum_dim(A, 1), r"\operatorname{sum}\left(A, 1\right)"),
    "softmaxdim": (lambda: b.softmax_dim(A, 2), r"\operatorname{softmax}\left(A, 2\right)"),
    "logsumexpdim": (lambda: b.logsumexp_dim(A, 1),
                     r"\operatorname{logsumexp}\left(A, 1\right)"),
    "expm": (lambda: b.expm(A), r"\operatorname{expm}\left(A\right)"),
    "exp": (lambda: b.func("exp", x), r"\exp\left(x\right)"),
    "log": (lambda: b.func("log", x), r"\log\left(x\right)"),
    "sin": (lambda: b.func("sin", x), r"\sin\left(x\right)"),
    "cos": (lambda: b.func("cos", x), r"\cos\left(x\right)"),
    "tan": (lambda: b.func("tan", x), r"\tan\left(x\right)"),
    "arcsin": (lambda: b.func("arcsin", x), r"\arcsin\left(x\right)"),
    "arccos": (lambda: b.func("arccos", x), r"\arccos\left(x\right)"),
    "arctan": (lambda: b.func("arctan", x), r"\arctan\left(x\right)"),
    "tanh": (lambda: b.func("tanh", x), r"\tanh\left(x\right)"),
    "sqrt": (lambda: b.func("sqrt", x), r"\sqrt{x}"),
    "abs": (lambda: b.func("abs", x), r"\left|x\right|"),
    "sign": (lambda: b.func("sign", x), r"\operatorname{sign}\left(x\right)"),
    "sigmoid": (lambda: b.func("sigmoid", x), r"\operatorname{sigmoid}\left(x\right)"),
    "relu": (lambda: b.func("relu", x), r"\operatorname{relu}\left(x\right)"),
    "softplus": (lambda: b.func("softplus", x), r"\operatorname{softplus}\left(x\right)"),
    "step": (lambda: b.func("step", x), r"\operatorname{step}\left(x\right)"),
}

KNOWN_MACROS = {
    "left",
    "right",
    "top",
    "mathrm",
    "mathbf",
    "mathit",
    "operatorname",
    "frac",
    "sqrt",
    "odot",
    "oslash",
    "otimes",
    "times",
    "circ",
    "cdot",
    "partial",
    "det",
    "log",
    "exp",
    "sin",
    "cos",
    "tan",
    "tanh",
    "arcsin",
    "arccos",
    "arctan",
    "begin",
    "end",
    "quad",
    "qquad",
    "delta",
    "alpha",
    "beta",
    "gamma",
    "theta",
    "lambda",
    "mu",
    "sigma",
    "Sigma",
    "|",
}


def assert_wellformed(tex: str) -> None:
    """Balanced braces and \\left/\\right, known macros, no stacked superscripts."""
    depth = 0
    for i, ch in enumerate(tex):
        if ch == "{" and (i == 0 or tex[i - 1] != "\\"):
            depth += 1
        elif ch == "}" and (i == 0 or tex[i - 1] != "\\"):
            depth -= 1
        assert depth >= 0, f"unbalanced '}}' in {tex!r}"
    assert depth == 0, f"unbalanced '{{' in {tex!r}"
    assert tex.count(r"\left") == tex.count(r"\right"), tex
    assert tex.count(r"\begin{") == tex.count(r"\end{"), tex
    for macro in re.findall(r"\\([A-Za-z]+|.)", tex):
        assert macro in KNOWN_MACROS or macro == "\\", f"unknown macro \\{macro} in {tex!r}"
    # A superscript group directly followed by another superscript is a TeX error.
    stripped = tex
    while True:
        new = re.sub(r"\{[^{}]*\}", "G", stripped)
        if new == stripped:
            break
        stripped = new
    assert "^G^" not in stripped and "^G_G^" not in stripped, f"double superscript: {tex!r}"


def test_every_op_has_an_example() -> None:
    # A new op in the table fails here until the LaTeX printer and this table know it.
    assert set(EXAMPLES) == set(OPS)


@pytest.mark.parametrize("op", sorted(OPS))
def test_each_op(op: str) -> None:
    make, expected = EXAMPLES[op]
    node = make()
    assert node.op == op
    tex = to_latex(node)
    assert tex == expected
    assert_wellformed(tex)


def test_elementwise_functions_all_printed() -> None:
    for name in ELEMENTWISE_FUNCTIONS:
        assert name in EXAMPLES


@pytest.mark.parametrize(
    "node, expected",
    [
        (lambda: b.matmul(b.add(A, B), X), r"\left(A + B\right) X"),
        (lambda: b.matmul(A, b.hadamard(X, B)), r"A \left(B \odot X\right)"),
        (
            lambda: b.hadamard(b.matmul(A, B), X),
            (r"\left(A B\right) \odot X", r"X \odot \left(A B\right)"),
        ),  # either order
        (lambda: b.inv(b.matmul(A, B)), r"\left(A B\right)^{-1}"),
        (lambda: b.transpose(b.inv(X)), r"X^{-\top}"),
        (lambda: b.mpower(b.transpose(A), 2), r"\left(A^{\top}\right)^{2}"),
        (lambda: b.power(x, b.const(2)), r"x^{\circ 2}"),
        (lambda: b.power(b.add(s, t), b.const(2)), r"\left(s + t\right)^{2}"),
        (lambda: b.div(s, t), r"\frac{s}{t}"),
        (lambda: b.div(x, b.norm2(x)), r"\frac{x}{\left\|x\right\|_2}"),
        (lambda: b.neg(A), "-A"),
        (lambda: b.sub(A, B), "A - B"),
        (lambda: b.sub(b.ONE, s), "1 - s"),
        (lambda: b.kron(b.add(A, B), X), r"\left(A + B\right) \otimes X"),
        (
            # (kron(A, B)*kron(B, A) is now kron(A*B, B*A), the mixed-product rule)
            lambda: b.matmul(b.kron(A, B), b.var("M", ("n*n", "n*n"))),
            r"\left(A \otimes B\right) M",
        ),
        (lambda: b.neg(b.kron(A, B)), r"-A \otimes B"),
        (lambda: b.mul(b.tr(A), B), r"\operatorname{tr}\left(A\right) B"),
        (lambda: b.ediv(x, y), r"x \oslash y"),
        (lambda: b.matmul(b.transpose(x), y), r"x^{\top} y"),
        (lambda: b.power(b.transpose(x), b.const(2)), r"\left(x^{\top}\right)^{\circ 2}"),
        (lambda: b.fill(b.const(3), ("n", 1)), r"3 \mathbf{1}_{n}"),
        (lambda: b.zeros(("n", "n")), r"\mathbf{0}_{n \times n}"),
        (lambda: b.norm2(X), r"\left\|X\right\|_F"),
        (lambda: b.mul(b.const(2), b.const(3)), "6"),
        # only scalars go under \frac; a matrix stays outside the denominator
        (lambda: b.mul(s, b.power(X, b.const(-1))), r"s X^{\circ -1}"),
        (lambda: b.mul(b.power(s, b.const(-1)), b.power(x, b.const(-2))),
         r"\frac{x^{\circ -2}}{s}"),
        (lambda: b.mul(s, b.power(t, b.const(-1)), b.power(X, b.const(-1))),
         r"\frac{s X^{\circ -1}}{t}"),
    ],
)
def test_precedence(node, expected: str | tuple[str, ...]) -> None:
    tex = to_latex(node())
    assert tex in ((expected,) if isinstance(expected, str) else expected)
    assert_wellformed(tex)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("x", "x"),
        ("x1", "x_{1}"),
        ("W_in", "W_{in}"),
        ("theta", r"\theta"),
        ("alpha2", r"\alpha_{2}"),
        ("xy", r"\mathit{xy}"),
    ],
)
def test_names(name: str, expected: str) -> None:
    assert latex_name(name) == expected


@pytest.mark.parametrize(
    "f, wrt, variables, order, expected",
    [
        ("tr(A*X)", "X", {}, 1, r"\frac{\partial f}{\partial X} = A^{\top}"),
        (
            "x'*A*x",
            "x",
            {},
            2,
            r"\frac{\partial^{2} f}{\partial x \partial x^{\top}} = A + A^{\top}",
        ),
        ("A*x", "x", {}, 1, r"\frac{\partial f}{\partial x} = A"),
        (
            "inv(X)",
            "X",
            {"X": "matrix n n"},
            1,
            r"\operatorname{vec}\left(\mathrm{d}F\right) = \left(-X^{-\top} \otimes X^{-1}\right)"
            r" \operatorname{vec}\left(\mathrm{d}X\right)",
        ),
        (
            "A*x",
            "A",
            {},
            1,
            r"\mathrm{d}f = \left(x^{\top} \otimes I\right) "
            r"\operatorname{vec}\left(\mathrm{d}A\right)",
        ),
        (
            "logdet(X)",
            "X",
            {"X": "matrix n n"},
            2,
            r"\frac{\partial^{2} f}{\partial \operatorname{vec}\left(X\right) \partial "
            r"\operatorname{vec}\left(X\right)^{\top}} = -\left(X^{-1} \otimes X^{-\top}\right)"
            r" K_{n,n}",
        ),
        (
            "exp(a*t)",
            "t",
            {"t": "scalar", "a": "scalar"},
            2,
            r"\frac{\partial^{2} f}{\partial t^{2}} = a^{2} \exp\left(a t\right)",
        ),
        (
            "sin(x)",
            "x",
            {},
            2,
            r"\mathrm{d}^{2} f = -\mathrm{d}x \odot \mathrm{d}_{2}x \odot \sin\left(x\right)",
        ),
    ],
)
def test_derivative_equations(f, wrt, variables, order, expected) -> None:
    d = matdiff.derivative(f, wrt=wrt, variables=variables or None, order=order)
    tex = derivative_latex(d)
    assert tex == expected
    assert_wellformed(tex)


def test_derivative_by_a_list_of_scalars() -> None:
    d = matdiff.derivative("a*b^2", wrt="a, b", variables={"a": "scalar", "b": "scalar"})
    tex = derivative_latex(d)
    assert tex.startswith(r"\frac{\partial f}{\partial \left(a, b\right)} = ")
    assert_wellformed(tex)


FUNCTIONS = [
    ("x'*A*x", "x", 1),
    ("norm2(A*x - y)^2", "x", 1),
    ("log(1 + exp(-y*w'*x))", "w", 1),
    ("sigmoid(w'*x)", "w", 2),
    ("logdet(X)", "X", 1),
    ("det(X)", "X", 1),
    ("tr(inv(X)*A)", "X", 1),
    ("X*X", "X", 1),
    ("x/norm2(x)", "x", 1),
    ("softmax(W*x)", "x", 1),
    ("logsumexp(x)", "x", 2),
    ("sum(exp(X))", "X", 1),
    ("inv(X)'*A", "X", 1),
    ("kron(A, X)", "X", 1),
    ("X.^2 ./ Y", "X", 1),
    ("tanh(W*x + c)", "W", 1),
    ("sqrt(x'*x)", "x", 2),
]


@pytest.mark.parametrize("f, wrt, order", FUNCTIONS)
def test_derivatives_are_wellformed(f: str, wrt: str, order: int) -> None:
    variables = (
        {"X": "matrix n n", "Y": "matrix n n", "y": "scalar"} if "y*" in f or "X" in f else None
    )
    d = matdiff.derivative(f, wrt=wrt, variables=variables, order=order)
    assert_wellformed(derivative_latex(d))


# ------------------------------------------------------------- random expressions


def random_expr(rng: random.Random, depth: int, shape: str) -> b.Node:
    """A random well-typed expression: shape 'm' (n×n), 'v' (n), 's' (scalar)."""
    leaves = {"m": [A, B, X], "v": [x, y], "s": [s, t, b.const(2)]}
    if depth == 0:
        return rng.choice(leaves[shape])
    d = depth - 1
    r = lambda sh: random_expr(rng, d, sh)  # noqa: E731
    if shape == "m":
        options = [
            lambda: b.add(r("m"), r("m")),
            lambda: b.matmul(r("m"), r("m")),
            lambda: b.hadamard(r("m"), r("m")),
            lambda: b.transpose(r("m")),
            lambda: b.inv(r("m")),
            lambda: b.mul(r("s"), r("m")),
            lambda: b.neg(r("m")),
            lambda: b.func(rng.choice(sorted(ELEMENTWISE_FUNCTIONS)), r("m")),
            lambda: b.mpower(r("m"), 2),
            lambda: b.diag(r("v")),
            lambda: b.ediv(r("m"), r("m")),
            lambda: b.power(r("m"), b.const(3)),
            lambda: b.matmul(r("v"), b.transpose(r("v"))),
            lambda: b.expm(r("m")),
        ]
    elif shape == "v":
        options = [
            lambda: b.add(r("v"), r("v")),
            lambda: b.matmul(r("m"), r("v")),
            lambda: b.hadamard(r("v"), r("v")),
            lambda: b.mul(r("s"), r("v")),
            lambda: b.softmax(r("v")),
            lambda: b.diag(r("m")),
            lambda: b.sub(r("v"), r("v")),
            lambda: b.div(r("v"), r("s")),
        ]
    else:
        options = [
            lambda: b.add(r("s"), r("s")),
            lambda: b.mul(r("s"), r("s")),
            lambda: b.div(r("s"), r("s")),
            lambda: b.tr(r("m")),
            lambda: b.det(r("m")),
            lambda: b.logdet(r("m")),
            lambda: b.norm2(r("v")),
            lambda: b.norm1(r("m")),
            lambda: b.matmul(b.transpose(r("v")), r("v")),
            lambda: b.power(r("s"), r("s")),
            lambda: b.sub(r("s"), r("s")),
            lambda: b.logsumexp(r("v")),
            lambda: b.sum_(r("m")),
        ]
    return rng.choice(options)()


@pytest.mark.parametrize("seed", range(60))
def test_random_expressions_are_wellformed(seed: int) -> None:
    rng = random.Random(seed)
    e = random_expr(rng, 4, rng.choice("mvs"))
    tex = to_latex(e)
    assert tex, f"seed {seed}"
    assert_wellformed(tex)
