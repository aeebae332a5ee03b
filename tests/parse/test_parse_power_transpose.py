"""Postfix ' and the powers ^ .^ share one precedence level, applied left to right
(MATLAB's rule): `A^2'` is `(A^2)'`, `x.^2'` is `(x.^2)'`, `A'^2` is `(A')^2`. The
exponent may carry a sign and is an atom; it never takes a following '. Each case is
checked by structure and by value against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import matdiff
from matdiff.backends.text import to_text
from matdiff.errors import LimitError, ShapeError
from matdiff.ir import build as b
from matdiff.parse import MAX_DEPTH, parse

DECLS = {"a": "scalar", "c": "scalar", "d": "scalar", "x": "vector n", "y": "vector n",
         "A": "matrix n n", "B": "matrix n n", "C": "matrix n n", "X": "matrix n n"}

x = b.var("x", ("n", 1))
y = b.var("y", ("n", 1))
a = b.var("a", (1, 1))
A = b.var("A", ("n", "n"))
X = b.var("X", ("n", "n"))

_rng = np.random.default_rng(7)
N = 4
VALUES = {
    "a": 1.3, "c": 2.0, "d": 3.0,
    "x": _rng.uniform(0.5, 2.0, N), "y": _rng.normal(size=N),
    "A": _rng.normal(size=(N, N)), "B": _rng.normal(size=(N, N)),
    "C": _rng.uniform(0.5, 2.0, (N, N)),  # positive: a real elementwise power
    "X": _rng.normal(size=(N, N)) + 4 * np.eye(N),  # invertible, not symmetric
}


def P(text: str):  # noqa: N802 - reads like the math
    return parse(text, DECLS)


def mp(M, k):  # noqa: ANN001, ANN202
    return np.linalg.matrix_power(M, k)


v = VALUES
inv = np.linalg.inv

# text, NumPy value (1-D for vectors and rows, as evaluate returns them)
CASES = [
    # the transpose after a power applies to the power
    ("A^2'", lambda: mp(v["A"], 2).T),
    ("A^3'", lambda: mp(v["A"], 3).T),
    ("A.^2'", lambda: (v["A"] ** 2).T),
    ("x.^2'", lambda: v["x"] ** 2),
    ("x.^2'*y", lambda: (v["x"] ** 2) @ v["y"]),
    ("x'*A^2'*y", lambda: v["x"] @ mp(v["A"], 2).T @ v["y"]),
    ("A^2'*x", lambda: mp(v["A"], 2).T @ v["x"]),
    ("x.^y'", lambda: v["x"] ** v["y"]),
    ("x.^y'*y", lambda: (v["x"] ** v["y"]) @ v["y"]),
    ("2.^x'*y", lambda: (2.0 ** v["x"]) @ v["y"]),
    ("x.^sin(a)'*y", lambda: (v["x"] ** np.sin(v["a"])) @ v["y"]),
    ("x.^(a + 1)'*y", lambda: (v["x"] ** (v["a"] + 1)) @ v["y"]),
    ("C.^B'", lambda: (v["C"] ** v["B"]).T),
    # the power of a transpose
    ("A'^2", lambda: mp(v["A"].T, 2)),
    ("A'^2*x", lambda: mp(v["A"].T, 2) @ v["x"]),
    ("x'.^2*y", lambda: (v["x"] ** 2) @ v["y"]),
    ("exp(x)'.^2*y", lambda: np.exp(v["x"]) ** 2 @ v["y"]),
    ("(A^2)'", lambda: mp(v["A"], 2).T),
    ("(x.^2)'*y", lambda: (v["x"] ** 2) @ v["y"]),
    # mixed runs, left to right
    ("A'^2'", lambda: mp(v["A"].T, 2).T),
    ("A^2'^3", lambda: mp(mp(v["A"], 2).T, 3)),
    ("A^2''", lambda: mp(v["A"], 2)),
    ("A^2'''", lambda: mp(v["A"], 2).T),
    ("x.^2'.^3*y", lambda: (v["x"] ** 6) @ v["y"]),
    ("A*B^2'", lambda: v["A"] @ mp(v["B"], 2).T),
    ("A^2'*B^2", lambda: mp(v["A"], 2).T @ mp(v["B"], 2)),
    # signed exponents
    ("X^-1", lambda: inv(v["X"])),
    ("X^-1'", lambda: inv(v["X"]).T),
    ("X^-2'", lambda: mp(inv(v["X"]), 2).T),
    ("X^+2'", lambda: mp(v["X"], 2).T),
    ("X^--1'", lambda: v["X"].T),
    ("-X^-1'", lambda: -inv(v["X"]).T),
    ("x'*X^-1'*y", lambda: v["x"] @ inv(v["X"]).T @ v["y"]),
    ("x.^-2", lambda: v["x"] ** -2.0),
    ("x.^-2'*y", lambda: (v["x"] ** -2.0) @ v["y"]),
    ("x.^-a'*y", lambda: (v["x"] ** -v["a"]) @ v["y"]),
    ("2^-a", lambda: 2.0 ** -v["a"]),
    ("2^-a'", lambda: 2.0 ** -v["a"]),
    ("2^-1", lambda: 0.5),
    ("2^-(a + 1)", lambda: 2.0 ** -(v["a"] + 1)),
    # associativity and unary minus
    ("a^c^d", lambda: (v["a"] ** v["c"]) ** v["d"]),
    ("a^(c^d)", lambda: v["a"] ** (v["c"] ** v["d"])),
    ("2^3^2", lambda: 64.0),
    ("a^-c^d", lambda: (v["a"] ** -v["c"]) ** v["d"]),
    ("-a^2", lambda: -(v["a"] ** 2)),
    ("-a^c'", lambda: -(v["a"] ** v["c"])),
    ("(-a)^2", lambda: v["a"] ** 2),
    ("-x.^2'*y", lambda: -(v["x"] ** 2) @ v["y"]),
    ("-A^2'", lambda: -mp(v["A"], 2).T),
]


@pytest.mark.parametrize("text, expected", CASES, ids=[t for t, _ in CASES])
def test_value_matches_numpy(text, expected):  # noqa: ANN001
    got = matdiff.evaluate(text, VALUES, variables=DECLS)
    np.testing.assert_allclose(np.asarray(got, dtype=float), expected(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("A^2'", lambda: b.transpose(b.mpower(A, 2))),
        ("A'^2", lambda: b.mpower(b.transpose(A), 2)),
        ("x.^2'", lambda: b.transpose(b.power(x, b.const(2)))),
        ("x'.^2", lambda: b.power(b.transpose(x), b.const(2))),
        ("X^-1'", lambda: b.transpose(b.inv(X))),
        ("x.^-2'", lambda: b.transpose(b.power(x, b.const(-2)))),
        ("a^2^3", lambda: b.power(b.power(a, b.const(2)), b.const(3))),
        ("-a^2", lambda: b.neg(b.power(a, b.const(2)))),
        ("2^-1", lambda: b.const(0.5)),
        ("x.^y'", lambda: b.transpose(b.power(x, y))),
        ("A^2''", lambda: b.mpower(A, 2)),
    ],
)
def test_structure(text, expected):  # noqa: ANN001
    assert P(text) is expected()


def test_transposed_power_is_a_row():
    assert P("x.^2'").shape == (1, "n")
    assert P("x.^-2'").shape == (1, "n")
    assert P("x.^y'").shape == (1, "n")
    assert P("x.^2'*y").shape == (1, 1)


def test_exponent_does_not_swallow_the_transpose():
    # Read as A^(2'), the transpose would vanish: the value must differ from A^2.
    A_ = VALUES["A"]
    got = matdiff.evaluate("A^2'", VALUES, variables=DECLS)
    assert not np.allclose(got, mp(A_, 2))
    # x.^(y') needs the parentheses to put the transpose on the exponent: a shape error
    with pytest.raises(ShapeError):
        P("x.^(y')")


def test_spans_of_the_transposed_power():
    # an error inside the exponent still points at the exponent
    with pytest.raises(ShapeError) as err:
        P("A^x'")
    assert "x" in str(err.value)


@pytest.mark.parametrize("text", [c[0] for c in CASES] + ["A^2'*x", "x.^2'", "X^-1'"])
def test_printed_form_reads_back(text):  # noqa: ANN001
    e = P(text)
    assert P(to_text(e)) is e


def test_alternating_powers_and_transposes_are_bounded():
    assert P("A" + "^2'" * (MAX_DEPTH // 2)).shape == ("n", "n")
    with pytest.raises(LimitError, match="nested"):
        P("A" + "^2'" * MAX_DEPTH)
