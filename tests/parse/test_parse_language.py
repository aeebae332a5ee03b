"""Every construct of SPEC §1 parses to the expected node with the expected shape."""

from __future__ import annotations

import pytest

from matdiff.ir import build as b
from matdiff.parse import parse, parse_with_env

N = "n"

x = b.var("x", ("n", 1))
y = b.var("y", ("n", 1))
a = b.var("a", (1, 1))
c = b.var("c", (1, 1))
A = b.var("A", ("n", "n"))
B = b.var("B", ("n", "n"))
X = b.var("X", ("n", "n"))

SQUARE = {"x": "vector n", "y": "vector n", "a": "scalar", "c": "scalar",
          "A": "matrix n n", "B": "matrix n n", "X": "matrix n n"}


def P(text: str):  # noqa: N802 - reads like the math
    return parse(text, SQUARE)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("x + y", lambda: b.add(x, y)),
        ("x - y", lambda: b.sub(x, y)),
        ("A*x", lambda: b.matmul(A, x)),
        ("a*x", lambda: b.matmul(a, x)),
        ("x*a", lambda: b.matmul(x, a)),
        ("x/a", lambda: b.div(x, a)),
        ("x .* y", lambda: b.hadamard(x, y)),
        ("x ./ y", lambda: b.ediv(x, y)),
        ("x.^2", lambda: b.power(x, b.const(2))),
        ("x.^-2", lambda: b.power(x, b.const(-2))),
        ("a^2", lambda: b.power(a, b.const(2))),
        ("a^c", lambda: b.power(a, c)),
        ("A^3", lambda: b.mpower(A, 3)),
        ("X^-1", lambda: b.inv(X)),
        ("X^-2", lambda: b.mpower(b.inv(X), 2)),
        ("X^0", lambda: b.eye("n")),
        ("x'", lambda: b.transpose(x)),
        ("x''", lambda: x),
        ("-x", lambda: b.neg(x)),
        ("+x", lambda: x),
        ("--x", lambda: x),
        ("(x)", lambda: x),
        ("x'*A*x", lambda: b.matmul(b.matmul(b.transpose(x), A), x)),
        ("1 - y", lambda: b.sub(b.const(1), y)),
        ("a + A", lambda: b.add(a, A)),
        ("2", lambda: b.const(2)),
        ("0.5", lambda: b.const(0.5)),
        (".5", lambda: b.const(0.5)),
        ("1e-3", lambda: b.const(1e-3)),
        ("2.5E2", lambda: b.const(250)),
        ("2.*x", lambda: b.hadamard(b.const(2), x)),
        ("kron(A, B)", lambda: b.kron(A, B)),
        ("[a, c; c, a]", lambda: b.block([[a, c], [c, a]])),
        ("[x; y]", lambda: b.block([[x], [y]])),
        ("A + eye", lambda: b.add(A, b.eye("n"))),
        ("x + vector(1)", lambda: b.add(x, b.fill(1.0, ("n", 1)))),
        ("A + matrix(a)", lambda: b.add(A, b.fill(a, ("n", "n")))),
        ("2.^x", lambda: b.power(b.fill(2.0, ("n", 1)), x)),
    ],
)
def test_constructs(text, expected):
    assert P(text) is expected()


@pytest.mark.parametrize("name", ["exp", "log", "sin", "cos", "tan", "arcsin", "arccos",
                                  "arctan", "tanh", "sqrt", "abs", "sign", "sigmoid", "relu",
                                  "softplus", "step"])
def test_elementwise_functions(name):
    node = P(f"{name}(x)")
    assert node is b.call(name, [x])
    assert node.shape == ("n", 1)
    assert P(f"{name}(A)").shape == ("n", "n")


@pytest.mark.parametrize(
    "text, shape",
    [
        ("sum(x)", (1, 1)), ("sum(A)", (1, 1)), ("tr(A)", (1, 1)), ("det(A)", (1, 1)),
        ("logdet(A)", (1, 1)), ("inv(A)", ("n", "n")), ("norm1(x)", (1, 1)),
        ("norm2(A)", (1, 1)), ("diag(x)", ("n", "n")), ("diag(A)", ("n", 1)),
        ("diag(x')", ("n", "n")), ("vec(A)", ("n*n", 1)), ("vec(x)", ("n", 1)),
        ("vec(x')", ("n", 1)), ("softmax(x)", ("n", 1)), ("logsumexp(x)", (1, 1)),
        ("kron(A, x)", ("n*n", "n")), ("kron(a, A)", ("n", "n")), ("expm(A)", ("n", "n")),
        ("tr(a)", (1, 1)), ("inv(a)", (1, 1)),
    ],
)
def test_function_shapes(text, shape):
    assert P(text).shape == shape


@pytest.mark.parametrize(
    "text, shapes",
    [
        # first-letter typing: a-g scalar, h-z vector, A-Z matrix; sizes by unification
        ("a", {"a": (1, 1)}),
        ("g + h'*z", {"g": (1, 1), "h": ("n", 1), "z": ("n", 1)}),
        ("x'*A*x", {"x": ("n", 1), "A": ("n", "n")}),
        ("A*x", {"A": ("n", "m"), "x": ("m", 1)}),
        ("a'*X*b", {"a": (1, 1), "X": ("n", "m")}),
        ("u'*X*v", {"u": ("n", 1), "X": ("n", "m"), "v": ("m", 1)}),
        ("W*X - Y", {"W": ("n", "m"), "X": ("m", "p"), "Y": ("n", "p")}),
        ("tr(A*X*B)", {"A": ("n", "m"), "X": ("m", "p"), "B": ("p", "n")}),
        ("log(det(X))", {"X": ("n", "n")}),
        ("tr(X'*A*X)", {"X": ("n", "m"), "A": ("n", "n")}),
        ("A*x + B*y", {"A": ("n", "m"), "x": ("m", 1), "B": ("n", "p"), "y": ("p", 1)}),
        # unification across the whole expression: A's columns are fixed by a later use
        ("A*x + A*y + x", {"A": ("n", "n"), "x": ("n", 1), "y": ("n", 1)}),
        ("kron(A, B)*vec(X)", {"A": ("n", "m"), "B": ("p", "q"), "X": ("m", "q")}),
        ("[x; y]'*z", {"x": ("n", 1), "y": ("m", 1), "z": ("m+n", 1)}),
        ("x'*eye*y", {"x": ("n", 1), "y": ("n", 1)}),
        ("x'*vector(1)", {"x": ("n", 1)}),
        ("X*matrix(1)*y", {"X": ("n", "m"), "y": ("p", 1)}),
    ],
)
def test_inferred_shapes(text, shapes):
    _, env = parse_with_env(text)
    for name, shape in shapes.items():
        assert env[name].shape == shape, name


def test_fresh_names_skip_declared_names():
    _, env = parse_with_env("A*x + y", {"y": "vector n"})
    assert env["A"].shape == ("n", "m")
    assert env["x"].shape == ("m", 1)
    _, env = parse_with_env("B*z", {"Q": "matrix n m"})
    assert env["B"].shape == ("p", "q")  # n, m taken by the declaration of Q
    assert env["Q"].shape == ("n", "m")


def test_declarations_override_first_letter():
    node, env = parse_with_env("t*A*x0", {"t": "scalar", "A": "matrix 3 3", "x0": "vector 3"})
    assert node.shape == (3, 1)
    assert env["t"].shape == (1, 1)
    _, env = parse_with_env("y*x", {"x": "matrix 1 n"})  # x declared a row vector
    assert env["x"].shape == (1, "n")


def test_declared_sizes_and_properties():
    node, env = parse_with_env("x'*A*x", {"A": "matrix n n symmetric"})
    assert env["A"].arg.props == frozenset({"symmetric"})
    assert env["x"].shape == ("n", 1)
    assert node is b.matmul(b.matmul(b.transpose(env["x"]), env["A"]), env["x"])
    _, env = parse_with_env("S", {"S": "matrix spd"})
    assert env["S"].shape == ("n", "n")  # a square property makes rows and columns one
    _, env = parse_with_env("B*x", {"B": "matrix 3 4"})
    assert env["x"].shape == (4, 1)


def test_env_holds_declared_but_unused():
    _, env = parse_with_env("a*x", {"y": "vector m onehot", "C": "matrix", "t": "scalar"})
    assert env["y"].shape == ("m", 1) and env["y"].arg.props == {"onehot"}
    assert env["t"].shape == (1, 1)
    assert env["x"].shape == ("n", 1)
    assert env["C"].shape == ("p", "q")  # fresh dims named after the expression's
    assert set(env) == {"a", "x", "y", "C", "t"}


def test_precedence():
    assert P("-a^2") is b.neg(b.power(a, b.const(2)))
    assert P("2^-1") is b.const(0.5)
    assert P("a^2^3") is b.power(b.power(a, b.const(2)), b.const(3))
    assert P("a + c*a") is b.add(a, b.mul(c, a))
    assert P("x'.^2") is b.power(b.transpose(x), b.const(2))
    assert P("a*x'") is b.mul(a, b.transpose(x))
    assert P("(a*x)'") is b.mul(a, b.transpose(x))
    assert P("x - y - x") is b.add(x, b.neg(y), b.neg(x))
    assert P("a/c/a") is b.div(b.div(a, c), a)
    assert P("A*x .* y") is b.hadamard(b.matmul(A, x), y)


def test_lesson_examples_parse():
    for text in ["a'*x", "x'*x", "x'*A*x", "A*x", "tr(A*X)", "tr(X'*A)", "tr(X*A*X')",
                 "a'*X*b", "norm2(X)^2", "tr(X'*X)", "det(X)", "log(det(X))",
                 "a'*inv(X)*b", "inv(X)", "norm2(A*x - b)^2", "norm2(W*X - Y)^2",
                 "log(1 + exp(w'*x))", "-y'*log(softmax(z))", "0.5*norm2(relu(W*x) - y)^2",
                 "sum(log(1 + exp(-y .* (X*w))))"]:
        assert parse(text) is not None
    assert parse("expm(t*A)*x0", {"t": "scalar"}).shape == ("n", 1)
    assert parse("[x1^2 + x2; sin(x1*x2)]", {"x1": "scalar", "x2": "scalar"}).shape == (2, 1)


def test_whitespace_and_newlines_are_ignored():
    assert parse(" x' *\tA\n* x ") is parse("x'*A*x")


def test_dot_transpose():
    assert P("x.'") is b.transpose(x)


def test_lone_eye_takes_the_only_size_in_play():
    # how the printer writes d tr(X)/dX: nothing in the text sizes eye
    assert parse("2*tr(X)*eye", {"X": "matrix n n"}) is b.mul(
        b.const(2), b.tr(b.var("X", ("n", "n"))), b.eye("n"))
    assert parse("eye", {"X": "matrix 3 3"}) is b.eye(3)
    assert parse("sum(vector(a))", {"x": "vector n"}).shape == (1, 1)


def test_lone_eye_with_several_sizes_is_an_error():
    from matdiff.errors import ShapeError

    with pytest.raises(ShapeError, match="cannot infer the size of eye"):
        parse("tr(A)*eye", {"A": "matrix p p", "X": "matrix n n"})
    with pytest.raises(ShapeError, match="cannot infer the size of matrix"):
        parse("sum(matrix(1))")
